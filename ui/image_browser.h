#pragma once
// The images of the open project: the folder scan (core/io/folder_scan.h, off the GUI thread), the
// image list widget, the current image, a small cache of decoded images (the shown one and its
// neighbours, decoded off the GUI thread) and which files could not be read. Images are ImageKeys
// throughout; rows and keys map to each other without searching.
#include <QObject>
#include <QString>
#include <QStringList>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/annotation/project.h"
#include "ui/background_task.h"
#include "ui/image_source.h"

class QListWidget;

namespace xs {

class Document;

class ImageBrowser : public QObject {
    Q_OBJECT
public:
    ImageBrowser(Document* doc, QListWidget* list, QObject* parent = nullptr);
    ~ImageBrowser() override;  // cancels the scan and waits for running decodes

    // Lists the images of the document's image root: what the scan finds plus the project's own
    // images (moved files keep their annotations reachable). Without a scan (the root is missing), the
    // project's images only. Emits scan_finished.
    void scan();
    void list_project_images();
    bool scanning() const { return scan_ != nullptr; }
    void cancel_scan();

    int count() const { return int(keys_.size()); }
    int current() const { return current_; }
    ImageKey key(int index) const;  // empty when out of range
    ImageKey current_key() const { return key(current_); }
    int index_of(const ImageKey& key) const;  // -1 when not listed
    // Makes `index` current; emits current_changed, then image_decoded (maybe at once, from the cache)
    // or decode_failed for it.
    void show(int index);
    void next();
    void prev();
    const LoadedImage* decoded(const ImageKey& key) const;  // nullptr when not decoded (yet)
    QString load_error(const ImageKey& key) const;         // why it could not be decoded, if it could not
    void refresh_item(const ImageKey& key);                // annotation count and error marker

Q_SIGNALS:
    void scan_progress(int found);
    void scan_finished(int images, const QStringList& notes);  // notes: cancelled, links not followed...
    void current_changed(int index);
    void image_decoded(const xs::ImageKey& key, const xs::LoadedImage& image);  // current or a neighbour
    void decode_failed(const xs::ImageKey& key, const QString& message);

private:
    void reset();
    void set_keys(std::vector<ImageKey> keys);
    void decode(int index);
    void decoded_one(const ImageKey& key, LoadedImage loaded, int generation);
    void remember(const ImageKey& key, const LoadedImage& loaded);

    Document* doc_;
    QListWidget* list_;
    std::vector<ImageKey> keys_;
    std::unordered_map<ImageKey, int> rows_;
    int current_ = -1;
    int generation_ = 0;  // results of an older folder's work are dropped
    std::shared_ptr<TaskControl> scan_;
    std::map<ImageKey, std::shared_ptr<TaskControl>> decoding_;
    std::map<ImageKey, LoadedImage> decoded_;
    std::deque<ImageKey> decoded_order_;  // least recently decoded first
    std::map<ImageKey, QString> errors_;
};

}  // namespace xs
