#pragma once
// The engine: which one is chosen, loading it (with progress and Cancel; the previous engine keeps
// answering until the new one is ready), its settings page (generated from what it says it takes)
// and what it can do. Owns the engine worker thread. Knows no engine by name: everything comes from
// the registry's descriptions.
#include <QObject>
#include <QPointer>
#include <QString>

#include "core/engine/engine.h"
#include "ui/engine_settings.h"
#include "ui/engine_worker.h"

class QWidget;

namespace xs {

class EngineController : public QObject {
    Q_OBJECT
public:
    explicit EngineController(QWidget* window);
    EngineWorker* worker() { return worker_; }
    const EngineRegistry& registry() const { return worker_->registry(); }

    // Loads the engine (its saved settings); an engine that needs a model folder and has none opens its
    // settings page instead. Choosing the engine that is loading cancels nothing; choosing the one it
    // replaces cancels the load.
    void choose(const QString& name);
    // Cancels the load in progress: the previous engine (if any) stays active at once, and the load's
    // engine is discarded when it ends. False when no load was in progress.
    bool cancel_load();
    void open_settings(const QString& name);  // the engine's generated settings page; Use loads it

    bool loading() const { return loading_id_ != 0; }
    bool ready() const { return ready_; }
    const QString& name() const { return name_; }  // active or loading; "" when none
    const EngineInfo& info() const { return info_; }
    const QString& failed() const { return failed_; }  // the engine whose last load failed, if it did
    QString title(const QString& name) const;  // for people ("" when unknown)
    EngineSettingsDialog* settings_dialog() const { return dialog_; }

Q_SIGNALS:
    void load_started(const QString& name);
    void load_progress(double fraction, const QString& stage);
    // Loaded, failed or cancelled: what is active (and so what can be done) may have changed.
    void state_changed();
    void notice(int level, const QString& text);  // 0 info, 1 warning, 2 error

private:
    void on_loaded(const EngineInfo& info);
    void on_failed(const QString& name, const QString& message);
    void load(const QString& name, const EngineSettings& settings);

    EngineWorker* worker_;
    QWidget* window_;
    QString name_;
    QString previous_;  // active (in the worker) while name_ loads; "" if none
    EngineInfo info_;
    bool ready_ = false;
    QString failed_;
    int loading_id_ = 0;
    QPointer<EngineSettingsDialog> dialog_;
};

}  // namespace xs
