#include "ui/thumbnails.h"

#include <QTimer>
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
    if (batch_) batch_->cancel();
    if (batch_) batch_->wait();
}

QImage ThumbnailCache::get(const ImageKey& key) {
    if (const QImage* cached = cache_.object(QByteArray::fromStdString(key))) return *cached;
    if (failed_.count(key) || batch_keys_.count(key)) return QImage();
    const auto queued = std::find(queue_.begin(), queue_.end(), key);
    if (queued != queue_.end()) queue_.erase(queued);
    queue_.push_front(key);
    if (int(queue_.size()) > kMaxQueued) queue_.pop_back();  // the oldest request: scrolled past long ago
    // Started from the event loop: the rows drawn in this paint join the same batch.
    if (!batch_) QTimer::singleShot(0, this, &ThumbnailCache::start_next);
    return QImage();
}

void ThumbnailCache::keep_only(const std::set<ImageKey>& keys) {
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const ImageKey& k) { return !keys.count(k); }),
                 queue_.end());
    if (batch_ && std::none_of(batch_keys_.begin(), batch_keys_.end(), [&](const ImageKey& k) { return keys.count(k); }))
        batch_->cancel();
}

void ThumbnailCache::clear() {
    ++generation_;
    if (batch_) batch_->cancel();
    batch_.reset();
    batch_keys_.clear();
    queue_.clear();
    cache_.clear();
    failed_.clear();
}

void ThumbnailCache::start_next() {
    if (batch_ || queue_.empty()) return;
    std::vector<std::pair<ImageKey, std::string>> work;
    while (!queue_.empty() && int(work.size()) < kBatch) {
        work.push_back({queue_.front(), path_of_(queue_.front())});
        batch_keys_.insert(queue_.front());
        queue_.pop_front();
    }
    const int generation = generation_;
    batch_ = run_in_background<Made>(
        this,
        [work](TaskControl& c) {
            Made made;
            for (const auto& [key, path] : work) {
                if (c.cancelled()) break;
                made.push_back({key, make_thumbnail(path, kSide)});
            }
            return made;
        },
        [this, generation](Made made, const TaskControl&) {
            if (generation != generation_) return;
            batch_.reset();
            batch_keys_.clear();
            for (const auto& [key, image] : made) arrived(key, image);
            start_next();
        });
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
