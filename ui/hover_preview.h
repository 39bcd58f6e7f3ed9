#pragma once
// The hover preview: with a tool whose click places a point, resting the pointer on the image for
// kRestMs asks the prompt session for what a positive click there would give (PromptSession::
// request_hover); the answer is drawn dim on the canvas. Moving to another image pixel hides it and
// starts the wait again; leaving the image or the canvas, another tool, image or engine hides it. A
// click on the same pixel with nothing changed takes the answer as its own (the session decides).
//
// The setting (View menu, kept as "view/hover_preview"): Off, On, or Auto (the default): on while the
// engine answers in under kAutoLimitMs. The answer time is the sum of the stages the engine reports
// for its latest answer (a click's or a hover's), which is on the shown image except just after
// another image is shown, when the previous image's stands in until the first answer on this one.
// With no answer yet from the loaded engine, Auto waits for the first click.
#include <QObject>
#include <QPointF>
#include <optional>

#include "ui/engine_worker.h"

class QAction;
class QTimer;

namespace xs {

class ActionTable;
class EngineController;
class ImageCanvas;
class PromptSession;

enum class HoverMode { Off, On, Auto };
const HoverMode kHoverModes[] = {HoverMode::Off, HoverMode::On, HoverMode::Auto};
const char* hover_mode_action(HoverMode mode);  // its action's name (ui/action_table.cpp)

class HoverPreview : public QObject {
    Q_OBJECT
public:
    static constexpr int kRestMs = 150;
    static constexpr double kAutoLimitMs = 100;

    // The mode is read from the settings and shown by its action (checkable; one of the three is
    // checked). The actions' handlers call set_mode().
    HoverPreview(ImageCanvas* canvas, PromptSession* session, EngineController* engines, const ActionTable& actions,
                 QObject* parent);
    void set_mode(HoverMode mode);  // and saves it
    HoverMode mode() const { return mode_; }
    // Whether resting the pointer asks for a preview now (the mode, and for Auto the answer time).
    bool enabled() const;
    std::optional<double> answer_ms() const { return answer_ms_; }  // the latest answer's engine time

private:
    void moved(QPointF image_pos);
    void left();
    void rested();
    void measure(const SegmentAnswer& answer);
    void show();

    ImageCanvas* canvas_;
    PromptSession* session_;
    QTimer* rest_;
    QPointF pos_;
    bool over_image_ = false;
    HoverMode mode_ = HoverMode::Auto;
    std::optional<double> answer_ms_;
    QAction* actions_[3];  // by HoverMode
};

}  // namespace xs
