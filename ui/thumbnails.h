#pragma once
// Small pictures of the listed images for the image list: decoded off the GUI thread
// (run_in_background, through libjpeg's DCT scaling for JPEGs, so a 12-megapixel photograph costs
// about what a 0.2-megapixel one does), kept in a memory LRU bounded by bytes, and asked only for
// the rows the list shows: requests of rows scrolled away are dropped before they start.
//
//   ThumbnailCache thumbs([doc](const ImageKey& k) { return doc->image_path(k); });
//   QImage t = thumbs.get(key);            // null until it arrives; asks for it
//   thumbs.keep_only(visible_keys);        // after scrolling: forget the other requests
//   connect(&thumbs, &ThumbnailCache::ready, ...);   // (key) arrived: redraw its row
#include <QCache>
#include <QImage>
#include <QObject>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "core/annotation/project.h"
#include "ui/background_task.h"

namespace xs {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    static constexpr int kSide = 48;            // the longer side of a thumbnail, in pixels
    static constexpr int kBatch = 16;  // images one background task decodes: one hand-over per batch
                                       // (a task per image cost the GUI thread ~0.5 ms per row)
                                       // One batch at a time: the GUI thread keeps the other core.
    static constexpr int kMaxQueued = 256;  // requests waiting; more than a few screens' rows
    static constexpr qint64 kMemoryBytes = 48ll << 20;  // the LRU's bound

    using PathOf = std::function<std::string(const ImageKey&)>;
    explicit ThumbnailCache(PathOf path_of, QObject* parent = nullptr);
    ~ThumbnailCache() override;  // cancels and waits for the decodes in flight

    // The thumbnail when it is cached (then it counts as used now), else a null image, and the image
    // is queued (newest request first). A file that could not be decoded gives a null image for good.
    QImage get(const ImageKey& key);
    // Requests for keys not in `keys` are dropped; a running batch none of whose images is in `keys`
    // stops after the image it is on (what it made is kept).
    void keep_only(const std::set<ImageKey>& keys);
    void clear();  // another folder: everything goes, results of running work are dropped
    int cached() const { return cache_.count(); }
    int queued() const { return int(queue_.size()); }
    int running() const { return int(batch_keys_.size()); }
    qint64 cached_bytes() const { return cache_.totalCost(); }

Q_SIGNALS:
    void ready(const xs::ImageKey& key);

private:
    void start_next();
    void arrived(const ImageKey& key, const QImage& image);
    using Made = std::vector<std::pair<ImageKey, QImage>>;

    PathOf path_of_;
    QCache<QByteArray, QImage> cache_;  // cost: bytes
    std::set<ImageKey> failed_;
    std::deque<ImageKey> queue_;        // newest first
    std::shared_ptr<TaskControl> batch_;  // the running batch, if any
    std::set<ImageKey> batch_keys_;
    int generation_ = 0;
};

// The thumbnail of one file (worker threads): at most kSide on its longer side; null when it cannot
// be decoded.
QImage make_thumbnail(const std::string& path, int side);

}  // namespace xs
