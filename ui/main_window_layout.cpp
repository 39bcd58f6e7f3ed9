// MainWindow, its layout: the central canvas with its notice bar, the docks, the tool bars, and the
// look the window remembers between runs (geometry, dock state, theme, view and tool settings).
#include "ui/main_window.h"

#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QToolBar>
#include <QVBoxLayout>

#include "ui/annotation_editor.h"
#include "ui/annotation_view.h"
#include "ui/attribute_panel.h"
#include "ui/candidates.h"
#include "ui/caption_view.h"
#include "ui/display_panel.h"
#include "ui/engine_view.h"
#include "ui/export_controller.h"
#include "ui/hover_preview.h"
#include "ui/import_controller.h"
#include "ui/image_browser.h"
#include "ui/image_filter_bar.h"
#include "ui/inspector.h"
#include "ui/panels.h"
#include "ui/prompt_bar.h"
#include "ui/session_view.h"
#include "ui/shortcuts_dialog.h"
#include "ui/shown_image.h"
#include "ui/status_view.h"
#include "ui/theme.h"
#include "ui/widgets.h"

namespace xs {

void MainWindow::build_central() {
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    notice_ = new NoticeBar(central);
    layout->addWidget(notice_);
    canvas_ = new ImageCanvas(central);
    canvas_->setObjectName("canvas");
    layout->addWidget(canvas_, 1);
    setCentralWidget(central);
    help_ = new HelpOverlay(canvas_);
}

// The panel sits in a scroll area, so no panel's content (an engine's list of stage timings, many
// declared attributes) raises the dock's minimum size: that would grow the whole window past its size
// (or the screen) and shift the canvas under the pointer; the panel scrolls instead.
QDockWidget* MainWindow::add_dock(QWidget* widget, const QString& title, const char* name, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    auto* scroll = new QScrollArea(dock);
    scroll->setObjectName(QStringLiteral("%1Scroll").arg(QLatin1String(name)));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(widget);
    dock->setWidget(scroll);
    addDockWidget(area, dock);
    return dock;
}

void MainWindow::build_docks() {
    auto* image_panel = new QWidget(this);
    auto* image_layout = new QVBoxLayout(image_panel);
    image_layout->setContentsMargins(0, 0, 0, 0);
    image_layout->setSpacing(0);
    filter_bar_ = new ImageFilterBar(image_panel);
    files_ = new QListView(image_panel);
    files_->setObjectName("fileList");
    image_layout->addWidget(filter_bar_);
    image_layout->addWidget(files_, 1);
    browser_ = new ImageBrowser(doc_, files_, this);
    QDockWidget* images = add_dock(image_panel, tr("Images"), "imagesDock", Qt::LeftDockWidgetArea);
    categories_ = new CategoryPanel(this);
    QDockWidget* cats = add_dock(categories_, tr("Categories"), "categoriesDock", Qt::RightDockWidgetArea);
    instances_ = new InstancePanel(this);
    QDockWidget* insts = add_dock(instances_, tr("Instances"), "instancesDock", Qt::RightDockWidgetArea);
    attributes_ = new AttributePanel(this);
    QDockWidget* attrs = add_dock(attributes_, tr("Attributes"), "attributesDock", Qt::RightDockWidgetArea);
    engine_panel_ = new EnginePanel(this);
    QDockWidget* engine = add_dock(engine_panel_, tr("Engine"), "engineDock", Qt::RightDockWidgetArea);
    candidates_ = new CandidatesPanel(this);
    candidates_dock_ = add_dock(candidates_, tr("Candidates"), "candidatesDock", Qt::RightDockWidgetArea);
    tabifyDockWidget(insts, candidates_dock_);
    caption_ = new CaptionView(this);
    caption_dock_ = add_dock(caption_, tr("Caption"), "captionDock", Qt::RightDockWidgetArea);
    tabifyDockWidget(engine, caption_dock_);
    engine->raise();
    insts->raise();
    inspector_ = new InspectorPanel(this);
    inspector_dock_ = add_dock(inspector_, tr("Inspector"), "inspectorDock", Qt::BottomDockWidgetArea);
    inspector_dock_->hide();
    display_ = new DisplayPanel(this);
    display_dock_ = add_dock(display_, tr("Display"), "displayDock", Qt::RightDockWidgetArea);
    display_dock_->hide();
    resizeDocks({images}, {320}, Qt::Horizontal);  // thumbnails and the filter bar
    resizeDocks({cats, insts, attrs, engine}, {140, 220, 170, 200}, Qt::Vertical);
    resizeDocks({cats}, {300}, Qt::Horizontal);
}

void MainWindow::build_tool_bars() {
    QToolBar* tb = addToolBar(tr("Tools"));
    tb->setObjectName("toolsBar");
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->setIconSize(QSize(20, 20));
    tb->addActions(actions_->in_bar(BarId::Tools));
    brush_size_ = new QSpinBox(tb);
    brush_size_->setObjectName("brushSize");
    brush_size_->setRange(1, 500);
    brush_size_->setSuffix(tr(" px"));
    brush_size_->setToolTip(tr("Brush and eraser radius ([ and ] change it)"));
    brush_size_->setValue(int(canvas_->brush_radius()));
    connect(brush_size_, &QSpinBox::valueChanged, this, [this](int v) { canvas_->set_brush_radius(v); });
    tb->addWidget(brush_size_);
    vertex_tolerance_ = new QDoubleSpinBox(tb);
    vertex_tolerance_->setObjectName("vertexTolerance");
    vertex_tolerance_->setRange(0, 20);
    vertex_tolerance_->setSingleStep(0.5);
    vertex_tolerance_->setDecimals(1);
    vertex_tolerance_->setValue(1.0);
    vertex_tolerance_->setPrefix(tr("± "));
    vertex_tolerance_->setSuffix(tr(" px"));
    vertex_tolerance_->setToolTip(tr("Edit vertices: how far (pixels) the outline may stray from the mask to save "
                                     "vertices; 0 keeps every pixel"));
    tb->addWidget(vertex_tolerance_);
    tb->addSeparator();
    tb->addActions(actions_->in_bar(BarId::Edit));
    tb->addSeparator();
    tb->addWidget(new QLabel(tr(" Opacity "), tb));
    opacity_slider_ = new QSlider(Qt::Horizontal, tb);
    opacity_slider_->setObjectName("opacitySlider");
    opacity_slider_->setRange(0, 100);
    opacity_slider_->setMaximumWidth(120);
    opacity_slider_->setToolTip(tr("Fill opacity of the masks"));
    connect(opacity_slider_, &QSlider::valueChanged, this, [this](int percent) {
        OverlayStyle s = canvas_->overlay_style();
        s.opacity = percent / 100.0;
        canvas_->set_overlay_style(s);
    });
    tb->addWidget(opacity_slider_);
    tb->addActions(actions_->in_bar(BarId::View));
    tb->addSeparator();
    tb->addActions(actions_->in_bar(BarId::Engine));
    addToolBarBreak();
    prompt_bar_ = new PromptBar(this);
    addToolBar(prompt_bar_);
}

void MainWindow::set_theme(const QString& name) {
    const Theme theme = theme_from_name(name);
    apply_theme(theme);
    action("themeSystem")->setChecked(theme == Theme::System);
    action("themeLight")->setChecked(theme == Theme::Light);
    action("themeDark")->setChecked(theme == Theme::Dark);
    QSettings().setValue("view/theme", theme_name(theme));
}

void MainWindow::restore_settings() {
    QSettings s;
    if (!s.contains("window/geometry") || !restoreGeometry(s.value("window/geometry").toByteArray())) resize(1480, 920);
    fit_to_screen(this);
    set_theme(s.value("view/theme").toString());
    const QStringList key_problems = actions_->load_keys(s);
    if (!key_problems.isEmpty()) notify(1, key_problems.join('\n'));
    if (s.contains("window/state")) restoreState(s.value("window/state").toByteArray());
    opacity_slider_->setValue(s.value("view/opacity", 45).toInt());
    action("toggleOutlines")->setChecked(s.value("view/outlines", true).toBool());
    OverlayStyle style = canvas_->overlay_style();
    style.opacity = opacity_slider_->value() / 100.0;
    style.outlines = action("toggleOutlines")->isChecked();
    canvas_->set_overlay_style(style);
    brush_size_->setValue(s.value("tools/brush_radius", 12).toInt());
    vertex_tolerance_->setValue(s.value("tools/vertex_tolerance", 1.0).toDouble());
    const float score = s.value("inspector/score_threshold", 0.5).toFloat(), mask = s.value("inspector/mask_threshold", 0.5).toFloat();
    inspector_->set_thresholds(score, mask);
    session_->set_thresholds(score, mask);
}

void MainWindow::save_settings() {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("view/opacity", opacity_slider_->value());
    s.setValue("view/outlines", action("toggleOutlines")->isChecked());
    s.setValue("tools/brush_radius", canvas_->brush_radius());
    s.setValue("tools/vertex_tolerance", vertex_tolerance_->value());
    if (!engines_->name().isEmpty()) s.setValue("engine/name", engines_->name());
    if (doc_->is_open()) {
        s.setValue("files/last_project", doc_->path());
        if (browser_->current() >= 0) s.setValue("files/last_image/" + doc_->path(), QByteArray::fromStdString(browser_->current_key()));
    }
}

}  // namespace xs
