#include "ui/display_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <cmath>

namespace xs {

namespace {

constexpr int kGammaSliderScale = 100;  // the gamma slider moves in steps of 0.01

}  // namespace

DisplayPanel::DisplayPanel(QWidget* parent) : QWidget(parent) {
    setObjectName("displayPanel");
    auto* grid = new QGridLayout(this);
    grid->setColumnStretch(1, 1);
    brightness_ = add_integer_row(tr("Brightness"), "brightness", kMinBrightness, kMaxBrightness,
                                  tr("Added to every pixel, in percent (display only)"));
    contrast_ = add_integer_row(tr("Contrast"), "contrast", kMinContrast, kMaxContrast,
                                tr("Spreads or flattens the tones about mid-grey (display only)"));

    const int row = grid->rowCount();
    gamma_slider_ = new QSlider(Qt::Horizontal, this);
    gamma_slider_->setObjectName("gammaSlider");
    gamma_slider_->setRange(int(kMinGamma * kGammaSliderScale), int(kMaxGamma * kGammaSliderScale));
    gamma_ = new QDoubleSpinBox(this);
    gamma_->setObjectName("gammaBox");
    gamma_->setRange(kMinGamma, kMaxGamma);
    gamma_->setSingleStep(0.05);
    gamma_->setDecimals(2);
    const QString gamma_tip = tr("Above 1 brightens the dark and middle tones, below 1 darkens them (display only)");
    gamma_slider_->setToolTip(gamma_tip);
    gamma_->setToolTip(gamma_tip);
    grid->addWidget(new QLabel(tr("Gamma"), this), row, 0);
    grid->addWidget(gamma_slider_, row, 1);
    grid->addWidget(gamma_, row, 2);
    gamma_slider_->installEventFilter(this);
    connect(gamma_slider_, &QSlider::valueChanged, this, [this](int v) { gamma_->setValue(double(v) / kGammaSliderScale); });
    connect(gamma_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        gamma_slider_->setValue(int(std::lround(v * kGammaSliderScale)));
        emit_changed();
    });

    auto* reset = new QPushButton(tr("Reset (Ctrl+0)"), this);
    reset->setObjectName("resetDisplay");
    reset->setToolTip(tr("Show the image as it is"));
    connect(reset, &QPushButton::clicked, this, &DisplayPanel::reset);
    for_engine_ = new QCheckBox(tr("Apply to what the engine sees"), this);
    for_engine_->setObjectName("engineSeesAdjustment");
    // The sliders' tooltips say "display only"; this says what ticking changes.
    for_engine_->setToolTip(tr("Off: only the screen shows the adjustment. On: the engine also segments the adjusted "
                               "image. The project, the export and the image file never change."));
    connect(for_engine_, &QCheckBox::toggled, this, [this] { Q_EMIT engine_adjustment_changed(engine_adjustment()); });
    grid->addWidget(reset, grid->rowCount(), 0, 1, 3, Qt::AlignLeft);
    grid->addWidget(for_engine_, grid->rowCount(), 0, 1, 3);
    grid->setRowStretch(grid->rowCount(), 1);
    set_adjustment(DisplayAdjustment());
}

QSpinBox* DisplayPanel::add_integer_row(const QString& label, const char* name, int lo, int hi, const QString& tip) {
    auto* grid = static_cast<QGridLayout*>(layout());
    const int row = grid->rowCount();
    auto* slider = new QSlider(Qt::Horizontal, this);
    slider->setObjectName(QStringLiteral("%1Slider").arg(QLatin1String(name)));
    slider->setRange(lo, hi);
    slider->setToolTip(tip);
    slider->installEventFilter(this);
    auto* box = new QSpinBox(this);
    box->setObjectName(QStringLiteral("%1Box").arg(QLatin1String(name)));
    box->setRange(lo, hi);
    box->setToolTip(tip);
    grid->addWidget(new QLabel(label, this), row, 0);
    grid->addWidget(slider, row, 1);
    grid->addWidget(box, row, 2);
    connect(slider, &QSlider::valueChanged, box, &QSpinBox::setValue);
    connect(box, &QSpinBox::valueChanged, this, [this, slider](int v) {
        slider->setValue(v);
        emit_changed();
    });
    return box;
}

// A focused slider keeps the keys it moves by: PgUp/PgDn are also the window's "Bring forward" and
// "Send backward" shortcuts, which would otherwise take them.
bool DisplayPanel::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::ShortcutOverride && qobject_cast<QSlider*>(watched)) {
        switch (static_cast<QKeyEvent*>(event)->key()) {
            case Qt::Key_Left: case Qt::Key_Right: case Qt::Key_Up: case Qt::Key_Down:
            case Qt::Key_PageUp: case Qt::Key_PageDown: case Qt::Key_Home: case Qt::Key_End:
                event->accept();
                return true;
            default: break;
        }
    }
    return QWidget::eventFilter(watched, event);
}

bool DisplayPanel::for_engine() const { return for_engine_->isChecked(); }

DisplayAdjustment DisplayPanel::adjustment() const {
    DisplayAdjustment a;
    a.brightness = brightness_->value();
    a.contrast = contrast_->value();
    a.gamma = gamma_->value();
    return a;
}

void DisplayPanel::set_adjustment(const DisplayAdjustment& a) {
    const DisplayAdjustment before = adjustment();
    updating_ = true;  // one changed signal for the three boxes
    brightness_->setValue(a.brightness);
    contrast_->setValue(a.contrast);
    gamma_->setValue(a.gamma);
    updating_ = false;
    if (adjustment() != before) emit_changed();
}

void DisplayPanel::emit_changed() {
    if (updating_) return;
    Q_EMIT changed(adjustment());
    if (for_engine()) Q_EMIT engine_adjustment_changed(adjustment());
}

}  // namespace xs
