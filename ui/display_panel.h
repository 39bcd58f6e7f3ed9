#pragma once
// The Display panel: brightness, contrast and gamma of the canvas (a slider and a number box each,
// kept in step) and a Reset button. Display only: see ui/display_adjustment.h.
#include <QWidget>

#include "ui/display_adjustment.h"

class QCheckBox;
class QDoubleSpinBox;
class QSlider;
class QSpinBox;

namespace xs {

class DisplayPanel : public QWidget {
    Q_OBJECT
public:
    explicit DisplayPanel(QWidget* parent = nullptr);
    DisplayAdjustment adjustment() const;
    void set_adjustment(const DisplayAdjustment& adjustment);  // emits changed when it differs
    void reset() { set_adjustment(DisplayAdjustment()); }
    // "Apply to what the engine sees" (off unless the user ticks it; not stored).
    bool for_engine() const;
    // What the engine should see: the adjustment when for_engine(), else none.
    DisplayAdjustment engine_adjustment() const { return for_engine() ? adjustment() : DisplayAdjustment(); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

Q_SIGNALS:
    void changed(const xs::DisplayAdjustment& adjustment);
    void engine_adjustment_changed(const xs::DisplayAdjustment& adjustment);

private:
    QSpinBox* add_integer_row(const QString& label, const char* name, int lo, int hi, const QString& tip);
    void emit_changed();

    QSpinBox* brightness_;
    QSpinBox* contrast_;
    QDoubleSpinBox* gamma_;
    QSlider* gamma_slider_;
    QCheckBox* for_engine_;
    bool updating_ = false;
};

}  // namespace xs
