#include "ui/hover_preview.h"

#include <QAction>
#include <QActionGroup>
#include <QSettings>
#include <QTimer>

#include "ui/action_table.h"
#include "ui/engine_controller.h"
#include "ui/image_canvas.h"
#include "ui/prompt_session.h"

namespace xs {

namespace {

const char* const kSettingKey = "view/hover_preview";
const char* const kModeNames[] = {"off", "on", "auto"};  // by HoverMode, as saved

HoverMode mode_named(const QString& name) {
    for (HoverMode m : kHoverModes)
        if (name == QLatin1String(kModeNames[int(m)])) return m;
    return HoverMode::Auto;
}

}  // namespace

const char* hover_mode_action(HoverMode mode) {
    static const char* const names[] = {"hoverPreviewOff", "hoverPreviewOn", "hoverPreviewAuto"};
    return names[int(mode)];
}

HoverPreview::HoverPreview(ImageCanvas* canvas, PromptSession* session, EngineController* engines,
                           const ActionTable& actions, QObject* parent)
    : QObject(parent), canvas_(canvas), session_(session) {
    auto* group = new QActionGroup(this);
    for (HoverMode m : kHoverModes) group->addAction(actions_[int(m)] = actions.action(hover_mode_action(m)));
    mode_ = mode_named(QSettings().value(kSettingKey).toString());
    actions_[int(mode_)]->setChecked(true);
    rest_ = new QTimer(this);
    rest_->setSingleShot(true);
    rest_->setInterval(kRestMs);
    connect(rest_, &QTimer::timeout, this, &HoverPreview::rested);
    connect(canvas_, &ImageCanvas::click_point_moved, this, &HoverPreview::moved);
    connect(canvas_, &ImageCanvas::click_point_left, this, &HoverPreview::left);
    connect(canvas_, &ImageCanvas::gesture, rest_, &QTimer::stop);  // a click or drag ended the rest
    connect(session_, &PromptSession::hover_changed, this, &HoverPreview::show);
    connect(engines->worker(), &EngineWorker::segment_finished, this, &HoverPreview::measure);
    connect(engines, &EngineController::state_changed, this, [this] {
        answer_ms_.reset();  // another engine, or other settings: measured again
        left();
    });
}

void HoverPreview::set_mode(HoverMode mode) {
    mode_ = mode;
    QSettings().setValue(kSettingKey, kModeNames[int(mode)]);
    actions_[int(mode)]->setChecked(true);
    if (!enabled()) session_->drop_hover();
}

bool HoverPreview::enabled() const {
    switch (mode_) {
        case HoverMode::Off: return false;
        case HoverMode::On: return true;
        case HoverMode::Auto: return answer_ms_ && *answer_ms_ < kAutoLimitMs;
    }
    return false;
}

void HoverPreview::moved(QPointF image_pos) {
    // Within the pixel whose question is open (waiting, asked, or shown), the question is the same.
    const bool open = rest_->isActive() || session_->hover_pending() || session_->hover_answered();
    if (over_image_ && open && same_image_pixel(image_pos, pos_)) return;
    over_image_ = true;
    pos_ = image_pos;
    session_->drop_hover();
    rest_->start();
}

void HoverPreview::left() {
    over_image_ = false;
    rest_->stop();
    session_->drop_hover();
}

void HoverPreview::rested() {
    if (over_image_ && enabled() && !canvas_->gesture_in_progress()) session_->request_hover(pos_);
}

void HoverPreview::measure(const SegmentAnswer& answer) {
    double ms = 0;
    for (const StageTiming& t : answer.result.timings) ms += t.ms;
    answer_ms_ = ms;
}

void HoverPreview::show() {
    std::vector<Mask> masks;
    for (const InstanceResult& r : session_->hover()) masks.push_back(r.mask);
    canvas_->set_hover_preview(std::move(masks));
}

}  // namespace xs
