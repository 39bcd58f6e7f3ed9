#include "ui/engine_worker.h"

#include <QMutexLocker>

#include "core/builtin/builtin_engines.h"
#include "core/engine/load_progress.h"

namespace xs {

namespace {
constexpr size_t kMaxQueuedPrefetches = 3;  // the shown image and its neighbours
}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QThread(parent) {
    qRegisterMetaType<xs::EngineInfo>();
    qRegisterMetaType<xs::SegmentAnswer>();
    qRegisterMetaType<std::vector<xs::InstanceResult>>();
    // Cancelled loads keep running to their end (factories cannot be interrupted), so a few may
    // overlap with the one the user is waiting for.
    loaders_.setMaxThreadCount(4);
}

EngineWorker::~EngineWorker() {
    {
        QMutexLocker lock(&mutex_);
        abort_ = true;
        if (running_cancel_) running_cancel_->cancel();
        current_load_ = 0;
        finished_load_.reset();
        wake_.wakeOne();
    }
    wait();
    loaders_.waitForDone();  // a load in progress is discarded when it ends
}

int EngineWorker::load_engine(const QString& name, const EngineOptions& options) {
    int id = 0;
    {
        QMutexLocker lock(&mutex_);
        id = next_load_id_++;
        current_load_ = id;
        finished_load_.reset();  // a finished but not yet swapped-in older load is superseded
        if (running_cancel_) running_cancel_->cancel();
        if (!isRunning()) start();
    }
    loaders_.start([this, id, name, options] { run_load(id, name, options); });
    return id;
}

bool EngineWorker::cancel_load() {
    QMutexLocker lock(&mutex_);
    if (current_load_ == 0) return false;
    current_load_ = 0;
    finished_load_.reset();
    return true;
}

int EngineWorker::loading_id() const {
    QMutexLocker lock(&mutex_);
    return current_load_;
}

void EngineWorker::set_registry(const EngineRegistry* registry) {
    QMutexLocker lock(&mutex_);
    registry_ = registry;
}

const EngineRegistry& EngineWorker::registry() const {
    QMutexLocker lock(&mutex_);
    return registry_ ? *registry_ : builtin_engines();
}

int EngineWorker::segment(const ImageKey& image_key, std::shared_ptr<const Image> image,
                          const SegmentRequest& request) {
    Job job;
    job.key = image_key;
    job.image = std::move(image);
    job.request = request;
    return queue_request(std::move(job));
}

int EngineWorker::postprocess(std::shared_ptr<const Inspection> inspection, float score_threshold,
                              float mask_threshold) {
    Job job;
    job.inspection = std::move(inspection);
    job.score_threshold = score_threshold;
    job.mask_threshold = mask_threshold;
    return queue_request(std::move(job));
}

int EngineWorker::queue_request(Job job) {
    QMutexLocker lock(&mutex_);
    job.id = next_id_++;
    job.generation = images_generation_;
    // Latest wins; a prefetch preparing this very image goes on (the answer needs it anyway), and so
    // does whatever runs when this is only a (short) re-run of the post-processing.
    if (running_cancel_ && !job.inspection && running_prefetch_key_ != job.key) running_cancel_->cancel();
    pending_job_ = std::move(job);
    if (!isRunning()) start();
    wake_.wakeOne();
    return pending_job_->id;
}

void EngineWorker::prefetch(const ImageKey& image_key, std::shared_ptr<const Image> image, bool first) {
    QMutexLocker lock(&mutex_);
    Job job;
    job.generation = images_generation_;
    job.key = image_key;
    job.image = std::move(image);
    for (auto it = pending_prefetch_.begin(); it != pending_prefetch_.end();)
        it = it->key == image_key ? pending_prefetch_.erase(it) : std::next(it);
    if (first) {
        pending_prefetch_.push_front(std::move(job));
        while (pending_prefetch_.size() > kMaxQueuedPrefetches) pending_prefetch_.pop_back();
    } else {
        pending_prefetch_.push_back(std::move(job));
        while (pending_prefetch_.size() > kMaxQueuedPrefetches) pending_prefetch_.pop_front();
    }
    if (!isRunning()) start();
    wake_.wakeOne();
}

void EngineWorker::cancel_segment() {
    QMutexLocker lock(&mutex_);
    pending_job_.reset();
    if (running_cancel_) running_cancel_->cancel();
}

void EngineWorker::cancel_request(int id) {
    QMutexLocker lock(&mutex_);
    if (pending_job_ && pending_job_->id == id) pending_job_.reset();
    if (running_cancel_ && running_id_ == id) running_cancel_->cancel();
}

void EngineWorker::reset_images() {
    QMutexLocker lock(&mutex_);
    ++images_generation_;
    pending_job_.reset();
    pending_prefetch_.clear();
    if (running_cancel_) running_cancel_->cancel();
    stats_.keys.clear();
    stats_.entries = 0;
    stats_.bytes = 0;
}

bool EngineWorker::busy() const {
    QMutexLocker lock(&mutex_);
    return busy_;
}

void EngineWorker::set_cache_budget(size_t bytes) {
    QMutexLocker lock(&mutex_);
    cache_budget_ = bytes;
    stats_.budget = bytes;  // applied at the next insertion
}

EngineWorker::CacheStats EngineWorker::cache_stats() const {
    QMutexLocker lock(&mutex_);
    CacheStats s = stats_;
    s.budget = cache_budget_;
    return s;
}

void EngineWorker::run() {
    for (;;) {
        std::optional<LoadedEngine> load;
        std::optional<Job> job;
        bool is_prefetch = false;
        bool drop_cache = false;
        auto cancel = std::make_shared<CancelToken>();
        {
            QMutexLocker lock(&mutex_);
            while (!abort_ && !finished_load_ && !pending_job_ && pending_prefetch_.empty()) {
                if (busy_) {
                    busy_ = false;
                    Q_EMIT busy_changed(false);
                }
                wake_.wait(&mutex_);
            }
            if (abort_) return;
            if (finished_load_) {
                // Taken under the lock together with clearing current_load_: from here on the load
                // can no longer be cancelled, and cancel_load() says so.
                load.swap(finished_load_);
                current_load_ = 0;
                is_prefetch = true;  // not a request: does not make the worker busy
            } else if (pending_job_) {
                job.swap(pending_job_);
            } else {
                job = std::move(pending_prefetch_.front());
                pending_prefetch_.pop_front();
                running_prefetch_key_ = job->key;
                is_prefetch = true;
            }
            running_cancel_ = cancel;
            running_id_ = is_prefetch ? 0 : job->id;
            drop_cache = cache_generation_ != images_generation_;  // another project's images
            cache_generation_ = images_generation_;
            if (!busy_ && !is_prefetch) {
                busy_ = true;
                Q_EMIT busy_changed(true);
            }
        }
        if (drop_cache) cache_.clear();
        if (load) {
            cache_.clear();
            engine_ = std::move(load->engine);  // the previous engine is destroyed here
            {
                QMutexLocker lock(&mutex_);
                stats_ = CacheStats();
            }
            Q_EMIT engine_loaded(load->info);
            Q_EMIT cache_changed();
        } else if (is_prefetch) {
            if (engine_) {
                try {
                    bool cached = false;
                    prepared_for(job->key, *job->image, *cancel, &cached);
                } catch (const Cancelled&) {
                    // Interrupted by a prompt on another image: try again afterwards, unless a newer
                    // request for it is queued already.
                    QMutexLocker lock(&mutex_);
                    bool queued = false;
                    for (const Job& j : pending_prefetch_) queued = queued || j.key == job->key;
                    if (!abort_ && !queued && job->generation == images_generation_)
                        pending_prefetch_.push_front(std::move(*job));
                } catch (const std::exception&) {
                    // A failed prefetch is reported when the image is actually asked about.
                }
            }
        } else if (job->inspection) {
            serve_postprocess(*job);
        } else {
            serve_segment(std::move(*job), cancel);
        }
        QMutexLocker lock(&mutex_);
        running_cancel_.reset();
        running_id_ = 0;
        running_prefetch_key_.clear();
    }
}

void EngineWorker::run_load(int id, const QString& name, const EngineOptions& options) {
    const EngineRegistry* registry = nullptr;
    {
        QMutexLocker lock(&mutex_);
        if (id != current_load_ || abort_) return;  // cancelled before it started
        registry = registry_ ? registry_ : &builtin_engines();
    }
    StopWatch watch;
    // The engine reports its stages on this thread; they reach the GUI as queued signals.
    // A cancelled or superseded load stops at its next report (per tensor while reading weights)
    // instead of running to the end only to be discarded.
    LoadProgressScope progress([this, id](double fraction, const std::string& stage) {
        {
            QMutexLocker lock(&mutex_);
            if (id != current_load_ || abort_) throw Cancelled();
        }
        Q_EMIT load_progress(id, fraction, QString::fromStdString(stage));
    });
    LoadedEngine loaded;
    loaded.id = id;
    QString error;
    try {
        loaded.engine = registry->create(name.toStdString(), options);
        loaded.info.name = QString::fromStdString(loaded.engine->name());
        loaded.info.device = QString::fromStdString(loaded.engine->device());
        loaded.info.capabilities = loaded.engine->capabilities();
        loaded.info.load_ms = watch.elapsed_ms();
        loaded.info.load_id = id;
    } catch (const std::exception& e) {
        loaded.engine.reset();
        error = QString::fromStdString(e.what());
        if (error.isEmpty()) error = tr("unknown error");
    }
    QMutexLocker lock(&mutex_);
    if (id != current_load_ || abort_) {
        lock.unlock();
        return;  // cancelled or superseded meanwhile: discard (the engine is destroyed here)
    }
    if (!loaded.engine) {
        current_load_ = 0;
        Q_EMIT engine_failed(name, error);  // the current engine stays
        return;
    }
    finished_load_ = std::move(loaded);
    wake_.wakeOne();
}

std::shared_ptr<const PreparedImage> EngineWorker::prepared_for(const ImageKey& key, const Image& image,
                                                                const CancelToken& cancel, bool* from_cache) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (it->key == key) {
            cache_.splice(cache_.begin(), cache_, it);  // most recent first
            *from_cache = true;
            QMutexLocker lock(&mutex_);
            stats_.keys.clear();
            for (const CacheEntry& e : cache_) stats_.keys.push_back(e.key);
            return cache_.front().prepared;
        }
    }
    *from_cache = false;
    std::shared_ptr<const PreparedImage> prepared = engine_->prepare(image, cancel);
    cache_.push_front(CacheEntry{key, prepared});
    size_t budget = 0;
    {
        QMutexLocker lock(&mutex_);
        budget = cache_budget_;
    }
    // Least recently used first out, until the rest fits the budget (the newest always stays).
    size_t total = 0;
    for (const CacheEntry& e : cache_) total += e.prepared->memory_bytes();
    while (cache_.size() > 1 && total > budget) {
        total -= cache_.back().prepared->memory_bytes();
        cache_.pop_back();
    }
    {
        QMutexLocker lock(&mutex_);
        stats_.entries = int(cache_.size());
        stats_.bytes = total;
        stats_.keys.clear();
        for (const CacheEntry& e : cache_) stats_.keys.push_back(e.key);
        stats_.prepares += 1;
    }
    Q_EMIT cache_changed();
    return prepared;
}

void EngineWorker::serve_postprocess(const Job& job) {
    if (!engine_) {
        Q_EMIT segment_failed(job.id, tr("No engine is loaded."));
        return;
    }
    try {
        Q_EMIT postprocessed(job.id, engine_->postprocess(*job.inspection, job.score_threshold, job.mask_threshold));
    } catch (const std::exception& e) {
        Q_EMIT segment_failed(job.id, QString::fromStdString(e.what()));
    }
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
