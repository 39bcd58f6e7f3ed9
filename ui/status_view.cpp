#include "ui/status_view.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>
#include <QToolButton>

#include "ui/qt_convert.h"
#include "ui/widgets.h"

namespace xs {

namespace {

// "sam" of "prepare.sam": short names in the bar, the full ones in the tooltip.
QString short_stage(const std::string& stage) {
    const QString s = qstr(stage);
    const int dot = s.indexOf('.');
    return dot >= 0 ? s.mid(dot + 1) : s;
}

QStringList stages(const std::vector<StageTiming>& timings, bool full) {
    QStringList out;
    for (const StageTiming& t : timings)
        out << (full ? QStringLiteral("%1 %2 ms").arg(qstr(t.stage)).arg(t.ms, 0, 'f', 1)
                     : QStringLiteral("%1 %2").arg(short_stage(t.stage)).arg(t.ms, 0, 'f', 0));
    return out;
}

}  // namespace

StatusView::StatusView(QStatusBar* bar) : QObject(bar) {
    cursor_ = new QLabel(bar);
    cursor_->setMinimumWidth(90);
    zoom_ = new QLabel(bar);
    zoom_->setMinimumWidth(50);
    engine_ = new ElidedLabel(bar);
    engine_->setObjectName("engineStatus");
    progress_ = new QProgressBar(bar);
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(true);
    progress_->hide();
    cancel_ = new QToolButton(bar);
    cancel_->setText(tr("Cancel"));
    cancel_->hide();
    connect(cancel_, &QToolButton::clicked, this, [this] {
        if (auto fn = cancel_fn_) fn();  // a copy: the handler may hide the progress bar
    });
    for (QWidget* w : std::initializer_list<QWidget*>{progress_, cancel_, cursor_, zoom_, engine_}) bar->addPermanentWidget(w);
}

void StatusView::show_progress(const QString& text, int maximum, std::function<void()> cancel) {
    progress_->setRange(0, maximum);
    progress_->setValue(0);
    progress_->setFormat(text);
    progress_->show();
    cancel_fn_ = std::move(cancel);
    cancel_->setVisible(bool(cancel_fn_));
}

void StatusView::set_progress(double fraction, const QString& format) {
    progress_->setRange(0, 100);
    progress_->setValue(int(fraction * 100));
    progress_->setFormat(format);
}

void StatusView::set_progress_text(const QString& text) { progress_->setFormat(text); }

void StatusView::hide_progress() {
    progress_->hide();
    cancel_->hide();
    cancel_fn_ = nullptr;
}

void StatusView::set_engine(const QString& text, const QString& tooltip) {
    engine_->setText(text);
    engine_->setToolTip(tooltip);
}

void StatusView::set_answer(const EngineInfo& engine, const SegmentAnswer& answer, double round_trip_ms) {
    QString text = QStringLiteral("%1 · %2").arg(engine.name, engine.device);
    if (!answer.prepare_timings.empty()) text += tr(" · prepare: ") + stages(answer.prepare_timings, false).join(", ");
    text += tr(" · segment: ") + stages(answer.result.timings, false).join(", ") + tr(" ms");
    QStringList all = stages(answer.prepare_timings, true) + stages(answer.result.timings, true);
    set_engine(text, all.join('\n') + tr("\nround trip %1 ms").arg(round_trip_ms, 0, 'f', 0));
}

void StatusView::set_cursor(QPointF p, QSize s) {
    const bool inside = p.x() >= 0 && p.y() >= 0 && p.x() < s.width() && p.y() < s.height();
    cursor_->setText(inside ? QStringLiteral("%1, %2").arg(int(p.x())).arg(int(p.y())) : QString());
}

void StatusView::set_zoom(double z) { zoom_->setText(QStringLiteral("%1%").arg(z * 100, 0, 'f', z < 0.1 ? 1 : 0)); }

void StatusView::clear_view() {
    cursor_->clear();
    zoom_->clear();
}

}  // namespace xs
