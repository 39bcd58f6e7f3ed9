#include "ui/thumbnails.h"

#include <algorithm>

#include "core/io/image_decode.h"
#include "ui/qt_convert.h"

namespace xs {

QImage make_thumbnail(const std::string& path, int side) {
    try {
        DecodeLimits limits;
        limits.max_side = side;
        limits.max_pixels = int64_t(side) * side;
        limits.full_decode_budget_bytes = int64_t(256) << 20;  // other formats are decoded whole
        const WorkingImage wi = load_working_image(path, limits);
        return to_qimage(wi.image).copy();  // owns its pixels
    } catch (const std::exception&) {
        return QImage();
    }
}

ThumbnailCache::ThumbnailCache(PathOf path_of, QObject* parent) : QObject(parent), path_of_(std::move(path_of)) {
    cache_.setMaxCost(kMemoryBytes);
}

ThumbnailCache::~ThumbnailCache() {
    for (auto& kv : running_) kv.second->cancel();
    for (auto& kv : running_) kv.second->wait();
}

QImage ThumbnailCache::get(const ImageKey& key) {
    if (const QImage* cached = cache_.object(QByteArray::fromStdString(key))) return *cached;
    if (failed_.count(key) || running_.count(key)) return QImage();
    const auto queued = std::find(queue_.begin(), queue_.end(), key);
    if (queued != queue_.end()) queue_.erase(queued);
    queue_.push_front(key);
    start_next();
    return QImage();
}

void ThumbnailCache::keep_only(const std::set<ImageKey>& keys) {
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const ImageKey& k) { return !keys.count(k); }),
                 queue_.end());
    for (auto& kv : running_)
        if (!keys.count(kv.first)) kv.second->cancel();
}

void ThumbnailCache::clear() {
    ++generation_;
    for (auto& kv : running_) kv.second->cancel();
    running_.clear();
    queue_.clear();
    cache_.clear();
    failed_.clear();
}

void ThumbnailCache::start_next() {
    while (int(running_.size()) < kMaxRunning && !queue_.empty()) {
        const ImageKey key = queue_.front();
        queue_.pop_front();
        const std::string path = path_of_(key);
        const int generation = generation_;
        running_[key] = run_in_background<QImage>(
            this,
            [path](TaskControl& c) { return c.cancelled() ? QImage() : make_thumbnail(path, kSide); },
            [this, key, generation](QImage image, const TaskControl& c) {
                if (generation != generation_) return;
                running_.erase(key);
                if (!c.cancelled() || !image.isNull()) arrived(key, image);
                start_next();
            });
    }
}

void ThumbnailCache::arrived(const ImageKey& key, const QImage& image) {
    if (image.isNull()) {
        failed_.insert(key);
        return;
    }
    cache_.insert(QByteArray::fromStdString(key), new QImage(image), std::max<qint64>(1, image.sizeInBytes()));
    Q_EMIT ready(key);
}

}  // namespace xs
