#include "ui/engine_controller.h"

#include <QSettings>
#include <algorithm>

#include "ui/qt_convert.h"

namespace xs {

namespace {
constexpr size_t kMiB = size_t(1) << 20;
}  // namespace

EngineController::EngineController(QWidget* window) : QObject(window), window_(window) {
    worker_ = new EngineWorker(this);
    connect(worker_, &EngineWorker::engine_loaded, this, &EngineController::on_loaded);
    connect(worker_, &EngineWorker::engine_failed, this, &EngineController::on_failed);
    connect(worker_, &EngineWorker::load_progress, this, [this](int load_id, double fraction, const QString& stage) {
        if (load_id == loading_id_ && loading_id_ != 0) Q_EMIT load_progress(fraction, stage);
    });
    worker_->set_cache_budget(size_t(std::max(1, QSettings().value("cache/budget_mb", 2048).toInt())) * kMiB);
}

QString EngineController::title(const QString& name) const {
    try {
        return qstr(registry().describe(name.toStdString()).title);
    } catch (const std::exception&) {
        return name;
    }
}

void EngineController::choose(const QString& name) {
    if (name == name_ && (ready_ || loading_id_ != 0 || name.isEmpty())) return;
    if (loading_id_ && !previous_.isEmpty() && name == previous_ && cancel_load()) return;
    const EngineDescription* engine = nullptr;
    try {
        engine = &registry().describe(name.toStdString());
    } catch (const std::exception& e) {
        Q_EMIT notice(2, QString::fromStdString(e.what()));
        return;
    }
    const EngineSettings settings = EngineSettings::load(*engine);
    if (!engine->model_folder_option.empty() && settings.model_folder(*engine).empty()) {
        Q_EMIT notice(1, tr("%1 needs a model folder: choose it in its settings (Engine ▸ Engine settings…).")
                             .arg(qstr(engine->title)));
        open_settings(name);
        return;
    }
    load(name, settings);
}

void EngineController::load(const QString& name, const EngineSettings& settings) {
    worker_->set_cache_budget(size_t(std::max(1, settings.cache_mb)) * kMiB);
    // The worker keeps the engine that is active now until the new one is ready; a cancel (or a
    // failure) goes back to it. A load replacing a load keeps the engine that was active before both.
    if (ready_) previous_ = name_;
    name_ = name;
    ready_ = false;
    failed_.clear();
    loading_id_ = worker_->load_engine(name, settings.options);
    Q_EMIT load_started(name);
    Q_EMIT state_changed();
}

bool EngineController::cancel_load() {
    if (loading_id_ == 0 || !worker_->cancel_load()) return false;  // not loading, or already loaded
    const QString cancelled = name_;
    loading_id_ = 0;
    if (!previous_.isEmpty()) {
        name_ = previous_;
        ready_ = true;
        Q_EMIT notice(1, tr("Loading the %1 engine was cancelled; %2 stays active.").arg(cancelled, name_));
    } else {
        name_.clear();
        ready_ = false;
        Q_EMIT notice(1, tr("Loading the %1 engine was cancelled; no engine is active.").arg(cancelled));
    }
    previous_.clear();
    Q_EMIT state_changed();
    return true;
}

void EngineController::on_loaded(const EngineInfo& info) {
    if (info.load_id != loading_id_ || loading_id_ == 0) return;  // a cancelled or superseded load
    loading_id_ = 0;
    previous_.clear();
    info_ = info;
    ready_ = true;
    Q_EMIT state_changed();
}

void EngineController::on_failed(const QString& name, const QString& message) {
    if (name != name_ || loading_id_ == 0) return;
    loading_id_ = 0;
    failed_ = name;
    Q_EMIT notice(2, tr("The %1 engine could not be loaded: %2").arg(name, message));
    if (!previous_.isEmpty()) {  // the worker still holds the previous engine: it stays active
        name_ = previous_;
        ready_ = true;
    } else {
        ready_ = false;
    }
    previous_.clear();
    Q_EMIT state_changed();
    // An engine with a model folder: its settings page shows why, so the folder can be fixed.
    if (!registry().describe(name.toStdString()).model_folder_option.empty()) {
        open_settings(name);
        if (dialog_) dialog_->show_problem(message);
    }
}

void EngineController::open_settings(const QString& name) {
    if (dialog_ && dialog_->engine_name() == name.toStdString()) {
        dialog_->raise();
        dialog_->activateWindow();
        return;
    }
    if (dialog_) dialog_->close();
    const EngineDescription& engine = registry().describe(name.toStdString());
    EngineSettingsDialog* dialog = new EngineSettingsDialog(engine, EngineSettings::load(engine), window_);
    dialog_ = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, name, engine] {
        const EngineSettings s = dialog->settings();
        s.save(engine);
        load(name, s);  // new folder, device or precision: load again even when it is active
    });
    dialog->open();
}

}  // namespace xs
