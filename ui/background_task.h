#pragma once
// Work that leaves the GUI thread, done one way everywhere (folder scans, image decoding, COCO
// export, model-folder checks): the work runs on Qt's thread pool with a TaskControl it polls for
// cancellation and reports progress to; its result comes back on the GUI thread.
//
//   std::shared_ptr<TaskControl> task = run_in_background<ImageFolder>(
//       this,                                                     // owner: no result after it is gone
//       [root](TaskControl& c) { return scan_image_folder(root, c.cancel_flag(), c.progress_reporter()); },
//       [this](ImageFolder found, const TaskControl& c) { ... }, // on the GUI thread
//       [this](int progress) { ... });                            // every 100 ms while it runs (optional)
//   task->cancel();  task->wait();
//
// The work must not touch the owner: it gets copies. An owner that goes away while work still runs
// cancels it and waits for it in its destructor (the result is dropped).
#include <QFutureWatcher>
#include <QObject>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>
#include <functional>
#include <memory>

namespace xs {

class TaskControl {
public:
    void cancel() { cancel_.store(true); }
    bool cancelled() const { return cancel_.load(); }
    const std::atomic<bool>* cancel_flag() const { return &cancel_; }
    void set_progress(int value) { progress_.store(value); }
    int progress() const { return progress_.load(); }
    std::function<void(int)> progress_reporter() {
        return [this](int value) { set_progress(value); };
    }
    void wait() const {
        if (wait_) wait_();
    }

    std::function<void()> wait_;  // set by run_in_background

private:
    std::atomic<bool> cancel_{false};
    std::atomic<int> progress_{0};
};

template <typename Result>
std::shared_ptr<TaskControl> run_in_background(QObject* owner, std::function<Result(TaskControl&)> work,
                                               std::function<void(Result, const TaskControl&)> done,
                                               std::function<void(int)> on_progress = {}, int progress_ms = 100) {
    auto control = std::make_shared<TaskControl>();
    auto* watcher = new QFutureWatcher<Result>(owner);
    QObject::connect(watcher, &QFutureWatcher<Result>::finished, owner, [watcher, control, done] {
        watcher->deleteLater();
        done(watcher->result(), *control);
    });
    if (on_progress) {
        auto* ticker = new QTimer(watcher);
        QObject::connect(ticker, &QTimer::timeout, owner, [control, on_progress] { on_progress(control->progress()); });
        ticker->start(progress_ms);
    }
    QFuture<Result> future = QtConcurrent::run([control, work] { return work(*control); });
    control->wait_ = [future]() mutable { future.waitForFinished(); };
    watcher->setFuture(future);
    return control;
}

}  // namespace xs
