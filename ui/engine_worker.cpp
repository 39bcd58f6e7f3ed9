#include "ui/engine_worker.h"

#include <QMutexLocker>

#include "core/builtin/builtin_engines.h"

namespace xs {

namespace {
constexpr size_t kCacheBudgetBytes = size_t(2) << 30;  // prepared images kept, all together
constexpr size_t kCacheMaxEntries = 4;
}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QThread(parent) {
    qRegisterMetaType<xs::EngineInfo>();
    qRegisterMetaType<xs::SegmentAnswer>();
}

EngineWorker::~EngineWorker() {
    {
        QMutexLocker lock(&mutex_);
        abort_ = true;
        if (running_cancel_) running_cancel_->cancel();
        wake_.wakeOne();
    }
    wait();
}

void EngineWorker::load_engine(const QString& name, const EngineOptions& options) {
    QMutexLocker lock(&mutex_);
    pending_load_ = std::make_pair(name, options);
    if (running_cancel_) running_cancel_->cancel();
    if (!isRunning()) start();
    wake_.wakeOne();
}

int EngineWorker::segment(const QString& image_key, std::shared_ptr<const Image> image,
                          const SegmentRequest& request) {
    QMutexLocker lock(&mutex_);
    Job job;
    job.id = next_id_++;
    job.key = image_key;
    job.image = std::move(image);
    job.request = request;
    pending_job_ = std::move(job);
    if (running_cancel_) running_cancel_->cancel();  // latest wins
    if (!isRunning()) start();
    wake_.wakeOne();
    return pending_job_->id;
}

void EngineWorker::prefetch(const QString& image_key, std::shared_ptr<const Image> image) {
    QMutexLocker lock(&mutex_);
    Job job;
    job.key = image_key;
    job.image = std::move(image);
    pending_prefetch_ = std::move(job);
    if (!isRunning()) start();
    wake_.wakeOne();
}

void EngineWorker::cancel_segment() {
    QMutexLocker lock(&mutex_);
    pending_job_.reset();
    if (running_cancel_) running_cancel_->cancel();
}

bool EngineWorker::busy() const {
    QMutexLocker lock(&mutex_);
    return busy_;
}

void EngineWorker::run() {
    for (;;) {
        std::optional<std::pair<QString, EngineOptions>> load;
        std::optional<Job> job;
        bool is_prefetch = false;
        auto cancel = std::make_shared<CancelToken>();
        {
            QMutexLocker lock(&mutex_);
            while (!abort_ && !pending_load_ && !pending_job_ && !pending_prefetch_) {
                if (busy_) {
                    busy_ = false;
                    Q_EMIT busy_changed(false);
                }
                wake_.wait(&mutex_);
            }
            if (abort_) return;
            if (pending_load_) {
                load.swap(pending_load_);
            } else if (pending_job_) {
                job.swap(pending_job_);
            } else {
                job.swap(pending_prefetch_);
                is_prefetch = true;
            }
            running_cancel_ = cancel;
            if (!busy_ && !is_prefetch) {
                busy_ = true;
                Q_EMIT busy_changed(true);
            }
        }
        if (load) {
            serve_load(load->first, load->second);
        } else if (is_prefetch) {
            if (engine_) {
                try {
                    bool cached = false;
                    prepared_for(job->key, *job->image, *cancel, &cached);
                } catch (const std::exception&) {
                    // A failed prefetch is reported when the image is actually asked about.
                }
            }
        } else {
            serve_segment(std::move(*job), cancel);
        }
        QMutexLocker lock(&mutex_);
        running_cancel_.reset();
    }
}

void EngineWorker::serve_load(const QString& name, const EngineOptions& options) {
    cache_.clear();
    engine_.reset();
    StopWatch watch;
    try {
        engine_ = builtin_engines().create(name.toStdString(), options);
        EngineInfo info;
        info.name = QString::fromStdString(engine_->name());
        info.device = QString::fromStdString(engine_->device());
        info.capabilities = engine_->capabilities();
        info.load_ms = watch.elapsed_ms();
        Q_EMIT engine_loaded(info);
    } catch (const std::exception& e) {
        engine_.reset();
        Q_EMIT engine_failed(name, QString::fromStdString(e.what()));
    }
}

std::shared_ptr<const PreparedImage> EngineWorker::prepared_for(const QString& key, const Image& image,
                                                                const CancelToken& cancel, bool* from_cache) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (it->key == key) {
            cache_.splice(cache_.begin(), cache_, it);  // most recent first
            *from_cache = true;
            return cache_.front().prepared;
        }
    }
    *from_cache = false;
    std::shared_ptr<const PreparedImage> prepared = engine_->prepare(image, cancel);
    cache_.push_front(CacheEntry{key, prepared});
    size_t total = 0;
    auto it = cache_.begin();
    for (size_t n = 0; it != cache_.end(); ++it, ++n) {
        total += it->prepared->memory_bytes();
        if (n > 0 && (n >= kCacheMaxEntries || total > kCacheBudgetBytes)) break;
    }
    cache_.erase(it, cache_.end());
    return prepared;
}

void EngineWorker::serve_segment(Job job, std::shared_ptr<CancelToken> cancel) {
    if (!engine_) {
        Q_EMIT segment_failed(job.id, tr("No engine is loaded."));
        return;
    }
    try {
        bool cached = false;
        std::shared_ptr<const PreparedImage> prepared = prepared_for(job.key, *job.image, *cancel, &cached);
        SegmentAnswer answer;
        answer.request_id = job.id;
        answer.image_key = job.key;
        if (!cached) answer.prepare_timings = prepared->timings;
        answer.result = engine_->segment(*prepared, job.request, *cancel);
        Q_EMIT segment_finished(answer);
    } catch (const Cancelled&) {
        // Superseded by a newer request; nothing to report.
    } catch (const std::exception& e) {
        Q_EMIT segment_failed(job.id, QString::fromStdString(e.what()));
    }
}

}  // namespace xs
