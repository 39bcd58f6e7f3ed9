#include "ui/engine_view.h"

#include "ui/engine_controller.h"
#include "ui/panels.h"
#include "ui/status_view.h"

namespace xs {

EngineView::EngineView(EngineController* engines, EnginePanel* panel, StatusView* status, QObject* parent)
    : QObject(parent), engines_(engines), panel_(panel), status_(status) {
    connect(engines_, &EngineController::load_started, this, [this](const QString& name) {
        panel_->set_loading(name);
        status_->set_engine(tr("%1: loading…").arg(name));
        status_->show_progress(tr("Loading engine %1…").arg(name), 0, [this] { engines_->cancel_load(); });
    });
    connect(engines_, &EngineController::load_progress, this, [this](double fraction, const QString& stage) {
        status_->set_progress(fraction, tr("%1: %2 (%p%)").arg(engines_->name(), stage));
        status_->set_engine(tr("%1: %2…").arg(engines_->name(), stage));
    });
    connect(engines_, &EngineController::state_changed, this, &EngineView::show_state);
    connect(panel_, &EnginePanel::engine_chosen, engines_, &EngineController::choose);
    QStringList names;
    for (const std::string& n : engines_->registry().names()) names << QString::fromStdString(n);
    panel_->set_engine_names(names, QString());
}

void EngineView::show_state() {
    if (engines_->loading()) return;
    status_->hide_progress();
    const QString failed = engines_->failed();
    if (engines_->ready()) {
        const EngineInfo& info = engines_->info();
        panel_->set_info(info);
        QString text = QStringLiteral("%1 · %2").arg(info.name, info.device);
        if (!failed.isEmpty()) text += tr(" (%1 failed)").arg(failed);
        status_->set_engine(text);
    } else {
        panel_->set_failed(failed.isEmpty() ? tr("no engine") : failed,
                           failed.isEmpty() ? tr("loading was cancelled") : tr("see the message above"));
        status_->set_engine(failed.isEmpty() ? tr("no engine") : tr("%1: failed").arg(failed));
    }
}

void EngineView::show_answer(const SegmentAnswer& answer, double round_trip_ms) {
    panel_->set_timings(answer.prepare_timings, answer.result.timings, round_trip_ms);
    status_->set_answer(engines_->info(), answer, round_trip_ms);
}

}  // namespace xs
