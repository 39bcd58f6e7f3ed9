#pragma once
// The engine worker: one long-lived thread that owns the engine (the GUI thread never runs one).
//
// Follows the render-thread pattern of Qt's mandelbrot example: requests are stored under a mutex and
// the thread wakes up to serve them. Only the newest segment request matters: a new one cancels the
// one in flight (through its CancelToken) and replaces any that is waiting. Prepared images are kept
// in a small cache so going back to an image costs nothing, and the next image can be prepared ahead.
// Results come back as queued signals; every request carries an id so stale answers can be dropped.
// A re-run of the engine's own post-processing over an inspection (other thresholds, no model pass) is
// a request like a prompt.
//
// The prepared-image cache is an LRU bounded by memory (PreparedImage::memory_bytes, budget set with
// set_cache_budget; the most recent entry is always kept), keyed by the project's ImageKey; opening
// another project calls reset_images(), which empties it. Prefetches wait in a short queue; a prompt
// cancels a running prefetch of another image, which is queued again after the prompt's answer.
//
// Loading an engine runs on a separate loader thread, so the current engine keeps answering until the
// new one is ready; then the worker swaps it in between requests. A load can be cancelled (or
// superseded by a newer load_engine): the GUI gets control back at once, the previous engine stays,
// and a load that completes after that is discarded (its engine destroyed, no signal).
#include <QMutex>
#include <QString>
#include <QThread>
#include <QThreadPool>
#include <QWaitCondition>
#include <list>
#include <memory>
#include <optional>

#include "core/annotation/project.h"
#include "core/engine/engine.h"
#include "core/engine/inspection.h"

namespace xs {

struct EngineInfo {
    QString name;
    QString device;
    Capabilities capabilities;
    double load_ms = 0;
    int load_id = 0;  // the id load_engine() returned for this load
};

struct SegmentAnswer {
    int request_id = 0;
    ImageKey image_key;
    SegmentResult result;
    std::vector<StageTiming> prepare_timings;  // empty when the prepared image came from the cache
};

class EngineWorker : public QThread {
    Q_OBJECT
public:
    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;  // cancels what runs and waits for the thread

    // Starts creating the engine on a loader thread; returns the load id (carried by engine_loaded).
    // The current engine keeps serving until the new one replaces it (then the cache is dropped).
    int load_engine(const QString& name, const EngineOptions& options = {});
    // Cancels the load in progress: returns true when there was one and it will never be swapped in
    // (engine_loaded / engine_failed will not be emitted for it); false when none was in progress
    // (e.g. it already finished: its engine_loaded is on its way).
    bool cancel_load();
    int loading_id() const;  // the load in progress, 0 if none
    // The registry engines are created from (builtin_engines() when never set or nullptr). It must
    // outlive the worker. For tests and embedding.
    void set_registry(const EngineRegistry* registry);
    const EngineRegistry& registry() const;
    // Asks for an answer; returns the request id. Cancels the request in flight.
    int segment(const ImageKey& image_key, std::shared_ptr<const Image> image, const SegmentRequest& request);
    // Re-runs the engine's post-processing over an inspection at other thresholds (no model pass);
    // returns the request id (postprocessed, or segment_failed). A request like segment(): the newest
    // one wins.
    int postprocess(std::shared_ptr<const Inspection> inspection, float score_threshold, float mask_threshold);
    // Prepares an image ahead of time (after any prompt). Queued last, or first when `first` (the shown
    // image); the queue keeps the newest few.
    void prefetch(const ImageKey& image_key, std::shared_ptr<const Image> image, bool first = false);
    void cancel_segment();
    // Cancels request `id` when it still waits or runs (and nothing else): a hover preview's request
    // goes without touching a click's that replaced it.
    void cancel_request(int id);
    // Another project's images: the same keys may name other files, so everything prepared so far is
    // dropped (before the next request runs) and queued prefetches are forgotten.
    void reset_images();
    bool busy() const;

    struct CacheStats {
        int entries = 0;
        size_t bytes = 0;
        size_t budget = 0;
        std::vector<ImageKey> keys;  // most recent first
        int prepares = 0;  // prepare() calls since the engine was loaded
    };
    void set_cache_budget(size_t bytes);
    CacheStats cache_stats() const;

Q_SIGNALS:
    void engine_loaded(const xs::EngineInfo& info);
    void engine_failed(const QString& name, const QString& message);
    void segment_finished(const xs::SegmentAnswer& answer);
    void segment_failed(int request_id, const QString& message);
    void postprocessed(int request_id, const std::vector<xs::InstanceResult>& instances);
    void busy_changed(bool busy);
    void load_progress(int load_id, double fraction, const QString& stage);
    void cache_changed();  // an image was prepared or dropped

protected:
    void run() override;

private:
    struct Job {
        int id = 0;
        int generation = 0;  // images_generation_ when it was asked for
        ImageKey key;
        std::shared_ptr<const Image> image;
        SegmentRequest request;
        std::shared_ptr<const Inspection> inspection;  // set: a post-processing request
        float score_threshold = 0, mask_threshold = 0;
    };
    struct CacheEntry {
        ImageKey key;
        std::shared_ptr<const PreparedImage> prepared;
    };
    std::shared_ptr<const PreparedImage> prepared_for(const ImageKey& key, const Image& image,
                                                      const CancelToken& cancel, bool* from_cache);
    struct LoadedEngine {
        int id = 0;
        std::unique_ptr<Engine> engine;
        EngineInfo info;
    };
    void run_load(int id, const QString& name, const EngineOptions& options);
    void serve_segment(Job job, std::shared_ptr<CancelToken> cancel);
    void serve_postprocess(const Job& job);
    int queue_request(Job job);  // latest wins

    mutable QMutex mutex_;
    QWaitCondition wake_;
    bool abort_ = false;
    const EngineRegistry* registry_ = nullptr;
    int current_load_ = 0;  // the load whose engine may still be swapped in; 0: none
    int next_load_id_ = 1;
    std::optional<LoadedEngine> finished_load_;  // created, waiting for the worker to swap it in
    QThreadPool loaders_;
    std::optional<Job> pending_job_;
    std::list<Job> pending_prefetch_;  // oldest first
    ImageKey running_prefetch_key_;    // the prefetch being prepared, empty if none
    int images_generation_ = 0;        // reset_images() count
    size_t cache_budget_ = size_t(2) << 30;
    CacheStats stats_;
    std::shared_ptr<CancelToken> running_cancel_;
    int running_id_ = 0;  // the request running_cancel_ belongs to; 0: a prefetch, a load or nothing
    bool busy_ = false;
    int next_id_ = 1;

    // Worker-thread state only.
    std::unique_ptr<Engine> engine_;
    std::list<CacheEntry> cache_;  // most recent first
    int cache_generation_ = 0;     // the images_generation_ the cache holds
};

}  // namespace xs

Q_DECLARE_METATYPE(xs::EngineInfo)
Q_DECLARE_METATYPE(xs::SegmentAnswer)
Q_DECLARE_METATYPE(std::vector<xs::InstanceResult>)
