#pragma once
// The images of the open project: the folder scan (core/io/folder_scan.h, off the GUI thread), the
// image list (ImageListModel in a QListView: review status, tags, instance count, thumbnails) and its
// filter over an ImageIndex kept up to date image by image, the current image, a small cache of
// decoded images (the shown one and its neighbours, decoded off the GUI thread) and which files could
// not be read. Images are ImageKeys throughout; rows and keys map to each other without searching.
// An index is an image's place in the whole list; next() / prev() walk the images the filter shows.
#include <QObject>
#include <QString>
#include <QStringList>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/annotation/project.h"
#include "core/review/image_index.h"
#include "ui/background_task.h"
#include "ui/image_source.h"

class QListView;
class QTimer;

namespace xs {

class Document;
class ImageListModel;
class ThumbnailCache;

class ImageBrowser : public QObject {
    Q_OBJECT
public:
    ImageBrowser(Document* doc, QListView* list, QObject* parent = nullptr);
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
    void next();  // the next / previous image the filter shows (from the current one, shown or not)
    void prev();
    // Shows the next image in list order, among those the filter shows, whose status is not done
    // (wrapping; the current one last). False when every one is done.
    bool next_unfinished();
    const LoadedImage* decoded(const ImageKey& key) const;  // nullptr when not decoded (yet)
    QString load_error(const ImageKey& key) const;         // why it could not be decoded, if it could not
    void refresh_item(const ImageKey& key);  // its summary (instances, status, tags) and error marker
    void refresh_all();  // the document holds another version of the project: every summary again

    // The images the user means: those selected in the list, else the current one.
    std::vector<ImageKey> selected_keys() const;
    // The filter is applied when set (an image edited out of it stays listed until the next change).
    void set_filter(const ImageFilter& filter);
    const ImageFilter& filter() const { return filter_; }
    // The images with "find all like this" candidates not accepted yet (for the filter).
    void set_pending(std::set<ImageKey> keys);
    int shown_count() const;
    std::vector<int> shown_indexes() const;
    const ImageIndex& image_index() const { return index_; }
    ImageListModel* model() const { return model_; }
    ThumbnailCache* thumbnails() const { return thumbnails_; }
    void set_thumbnails_shown(bool on);

Q_SIGNALS:
    void scan_progress(int found);
    void scan_finished(int images, const QStringList& notes);  // notes: cancelled, links not followed...
    void current_changed(int index);
    void filtered(int shown, int total);  // after the list was filled or filtered
    void image_decoded(const xs::ImageKey& key, const xs::LoadedImage& image);  // current or a neighbour
    void decode_failed(const xs::ImageKey& key, const QString& message);

private:
    void reset();
    void set_keys(std::vector<ImageKey> keys);
    void decode(int index);
    void decoded_one(const ImageKey& key, LoadedImage loaded, int generation);
    void remember(const ImageKey& key, const LoadedImage& loaded);
    void apply_filter();
    void select_in_view(int index);
    void keep_visible_thumbnails();

    Document* doc_;
    QListView* list_;
    ImageIndex index_;
    ThumbnailCache* thumbnails_;
    ImageListModel* model_;
    ImageFilter filter_;
    std::set<ImageKey> pending_;
    QTimer* visible_timer_;
    bool selecting_ = false;  // the list's current row is being set to follow the shown image  // coalesces scroll steps before the thumbnail requests are trimmed
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
