#pragma once
// The status bar's permanent part: a progress bar with Cancel (folder scans, engine loads), the
// pointer's pixel, the zoom, and the engine with its device and the last answer's stages.
#include <QObject>
#include <QPointF>
#include <QSize>
#include <QString>
#include <functional>

#include "ui/engine_worker.h"

class QLabel;
class QProgressBar;
class QStatusBar;
class QToolButton;

namespace xs {

class StatusView : public QObject {
    Q_OBJECT
public:
    explicit StatusView(QStatusBar* bar);
    // A bar with `text` (maximum 0: busy, no percentage) and, when `cancel` is set, a Cancel button.
    void show_progress(const QString& text, int maximum, std::function<void()> cancel);
    void set_progress(double fraction, const QString& format);
    void set_progress_text(const QString& text);
    void hide_progress();
    void set_engine(const QString& text, const QString& tooltip = QString());
    // "engine · device · prepare: sam 120 · segment: decoder 12 ms", every stage in the tooltip.
    void set_answer(const EngineInfo& engine, const SegmentAnswer& answer, double round_trip_ms);
    void set_cursor(QPointF image_pos, QSize image_size);
    void set_zoom(double zoom);
    void clear_view();  // cursor and zoom

    QProgressBar* progress_bar() { return progress_; }
    QToolButton* cancel_button() { return cancel_; }
    QLabel* engine_label() { return engine_; }

private:
    QLabel* cursor_;
    QLabel* zoom_;
    QLabel* engine_;
    QProgressBar* progress_;
    QToolButton* cancel_;
    std::function<void()> cancel_fn_;
};

}  // namespace xs
