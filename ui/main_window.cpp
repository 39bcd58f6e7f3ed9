#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QColorDialog>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "core/builtin/builtin_engines.h"
#include "ui/coco_export.h"
#include "ui/icons.h"
#include "ui/panels.h"
#include "ui/qt_convert.h"
#include "ui/widgets.h"

namespace xs {

namespace {

constexpr int kDecodedCacheSize = 5;  // decoded images kept (shown one and neighbours)
const char* kProjectFileName = "xsam-project.json";

// Tasks offered in the text-prompt bar, in menu order.
struct TaskEntry {
    Task task;
    const char* label;
    const char* placeholder;
};
const TaskEntry kTextTasks[] = {
    {Task::Referring, "Referring", "Describe one object, e.g. \"the cat on the left\""},
    {Task::Reasoning, "Reasoning", "Ask a question whose answer is an object"},
    {Task::Generic, "Categories", "Category names separated by commas, e.g. person, car, dog"},
    {Task::OpenVocabulary, "Open vocabulary", "Any category names separated by commas"},
    {Task::GroundedCaption, "Grounded caption", "(no text needed) describe the image with linked masks"},
    {Task::VisualGrounded, "Visual grounded", "(no text needed) find every object like the prompted one"},
    {Task::Chat, "Chat", "Ask anything about the image; the answer appears in the Caption panel"},
};

QStringList split_categories(const QString& text) {
    QStringList out;
    for (const QString& part : text.split(',')) {
        QString t = part.trimmed();
        if (!t.isEmpty()) out << t;
    }
    return out;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName("mainWindow");
    doc_ = new Document(this);
    worker_ = new EngineWorker(this);
    build_ui();
    build_actions();
    build_xsam_ui();
    restore_settings();

    connect(worker_, &EngineWorker::engine_loaded, this, &MainWindow::on_engine_loaded);
    connect(worker_, &EngineWorker::engine_failed, this, &MainWindow::on_engine_failed);
    connect(worker_, &EngineWorker::segment_finished, this, &MainWindow::on_segment_finished);
    connect(worker_, &EngineWorker::segment_failed, this, &MainWindow::on_segment_failed);

    connect(doc_, &Document::instances_changed, this, [this](int image_id) {
        const ImageRecord* rec = current_record();
        if (rec && rec->id == image_id) refresh_instances();
        int index = -1;
        if (const ImageRecord* r = doc_->project().find_image(image_id)) index = file_names_.indexOf(qstr(r->file_name));
        if (index >= 0) refresh_file_item(index);
    });
    connect(doc_, &Document::categories_changed, this, [this] {
        refresh_categories();
        refresh_instances();
    });
    connect(doc_, &Document::save_failed, this, &MainWindow::on_save_failed);
    connect(doc_, &Document::save_recovered, this, [this] {
        if (notice_->level() == NoticeBar::Level::Error) notice_->hide();
        statusBar()->showMessage(tr("Project saved to %1").arg(doc_->path()), 4000);
    });
    connect(doc_, &Document::changed_on_disk, this, &MainWindow::on_changed_on_disk);
    connect(doc_, &Document::image_file_changed, this, [this](const QString&, const QString& message) { notify(1, message); });
    connect(doc_->undo_stack(), &QUndoStack::indexChanged, this, [this] { update_window_title(); });
    // Undo, redo and accept are enabled only when they would do something; their tooltips say what.
    auto* stack = doc_->undo_stack();
    auto update_undo = [this, stack] {
        actions_["undo"]->setEnabled(stack->canUndo());
        actions_["redo"]->setEnabled(stack->canRedo());
        actions_["undo"]->setToolTip(stack->canUndo() ? tr("Undo %1 (Ctrl+Z)").arg(stack->undoText()) : tr("Nothing to undo"));
        actions_["redo"]->setToolTip(stack->canRedo() ? tr("Redo %1 (Ctrl+Shift+Z)").arg(stack->redoText()) : tr("Nothing to redo"));
    };
    connect(stack, &QUndoStack::indexChanged, this, update_undo);
    connect(stack, &QUndoStack::cleanChanged, this, update_undo);
    update_undo();
    connect(this, &MainWindow::preview_changed, this, [this] { actions_["accept"]->setEnabled(!preview_.empty()); });
    actions_["accept"]->setEnabled(false);

    QStringList names;
    for (const std::string& n : builtin_engines().names()) names << qstr(n);
    engine_panel_->set_engine_names(names, QString());
    update_capabilities();
    update_window_title();
}

MainWindow::~MainWindow() {
    if (scan_cancel_) scan_cancel_->store(true);
    for (auto* w : loading_) w->waitForFinished();
    if (scan_watcher_) scan_watcher_->waitForFinished();
    // The document outlives this destructor's body (it is a child); its closing signals must not
    // reach the half-destroyed window.
    disconnect(doc_, nullptr, this, nullptr);
    disconnect(doc_->undo_stack(), nullptr, this, nullptr);
    doc_->flush();
}

// Layout ---------------------------------------------------------------------------------------

void MainWindow::build_ui() {
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    auto* central = new QWidget(this);
    auto* central_layout = new QVBoxLayout(central);
    central_layout->setContentsMargins(0, 0, 0, 0);
    central_layout->setSpacing(0);
    notice_ = new NoticeBar(central);
    central_layout->addWidget(notice_);
    canvas_ = new ImageCanvas(central);
    canvas_->setObjectName("canvas");
    central_layout->addWidget(canvas_, 1);
    setCentralWidget(central);
    help_ = new HelpOverlay(canvas_);

    // Left: images.
    files_ = new QListWidget(this);
    files_->setObjectName("fileList");
    files_->setUniformItemSizes(true);
    files_->setIconSize(QSize(10, 10));
    auto* files_dock = new QDockWidget(tr("Images"), this);
    files_dock->setObjectName("imagesDock");
    files_dock->setWidget(files_);
    addDockWidget(Qt::LeftDockWidgetArea, files_dock);
    connect(files_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != current_) show_image(row);
    });

    // Right: categories, instances, engine.
    categories_ = new CategoryPanel(this);
    auto* cat_dock = new QDockWidget(tr("Categories"), this);
    cat_dock->setObjectName("categoriesDock");
    cat_dock->setWidget(categories_);
    addDockWidget(Qt::RightDockWidgetArea, cat_dock);
    instances_ = new InstancePanel(this);
    auto* inst_dock = new QDockWidget(tr("Instances"), this);
    inst_dock->setObjectName("instancesDock");
    inst_dock->setWidget(instances_);
    addDockWidget(Qt::RightDockWidgetArea, inst_dock);
    engine_panel_ = new EnginePanel(this);
    auto* eng_dock = new QDockWidget(tr("Engine"), this);
    eng_dock->setObjectName("engineDock");
    eng_dock->setWidget(engine_panel_);
    addDockWidget(Qt::RightDockWidgetArea, eng_dock);
    resizeDocks({files_dock}, {220}, Qt::Horizontal);
    resizeDocks({cat_dock, inst_dock, eng_dock}, {160, 260, 240}, Qt::Vertical);
    resizeDocks({cat_dock}, {300}, Qt::Horizontal);

    connect(categories_, &CategoryPanel::add_requested, this, &MainWindow::add_category);
    connect(categories_, &CategoryPanel::rename_requested, this, &MainWindow::rename_category);
    connect(categories_, &CategoryPanel::recolor_requested, this, &MainWindow::recolor_category);
    connect(categories_, &CategoryPanel::delete_requested, this, &MainWindow::delete_category);
    connect(instances_, &InstancePanel::selection_changed, this, [this](const std::vector<int64_t>& ids) {
        selected_ = ids;
        update_selection_layer();
    });
    connect(instances_, &InstancePanel::visibility_toggled, this, &MainWindow::toggle_visibility);
    connect(instances_, &InstancePanel::context_menu_requested, this, &MainWindow::instance_context_menu);
    connect(engine_panel_, &EnginePanel::engine_chosen, this, &MainWindow::set_engine);

    // Canvas gestures.
    connect(canvas_, &ImageCanvas::point_clicked, this, &MainWindow::add_point);
    connect(canvas_, &ImageCanvas::box_drawn, this, &MainWindow::add_box);
    connect(canvas_, &ImageCanvas::scribble_drawn, this, &MainWindow::add_scribble);
    connect(canvas_, &ImageCanvas::brush_stroke, this, &MainWindow::on_brush_stroke);
    connect(canvas_, &ImageCanvas::select_clicked, this, &MainWindow::select_at);
    connect(canvas_, &ImageCanvas::hovered_instance_changed, this, &MainWindow::update_hover);
    connect(canvas_, &ImageCanvas::cursor_moved, this, [this](QPointF p) {
        QSize s = canvas_->image_size();
        if (p.x() >= 0 && p.y() >= 0 && p.x() < s.width() && p.y() < s.height())
            status_cursor_->setText(QStringLiteral("%1, %2").arg(int(p.x())).arg(int(p.y())));
        else
            status_cursor_->clear();
    });
    connect(canvas_, &ImageCanvas::zoom_changed, this,
            [this](double z) { status_zoom_->setText(QStringLiteral("%1%").arg(z * 100, 0, 'f', z < 0.1 ? 1 : 0)); });

    // Status bar.
    status_cursor_ = new QLabel(this);
    status_cursor_->setMinimumWidth(90);
    status_zoom_ = new QLabel(this);
    status_zoom_->setMinimumWidth(50);
    status_engine_ = new QLabel(this);
    status_engine_->setObjectName("engineStatus");
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(true);
    progress_->hide();
    progress_cancel_ = new QToolButton(this);
    progress_cancel_->setText(tr("Cancel"));
    progress_cancel_->hide();
    connect(progress_cancel_, &QToolButton::clicked, this, [this] {
        // A copy: the handler may hide the progress bar, which drops progress_cancel_fn_.
        if (auto fn = progress_cancel_fn_) fn();
    });
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(progress_cancel_);
    statusBar()->addPermanentWidget(status_cursor_);
    statusBar()->addPermanentWidget(status_zoom_);
    statusBar()->addPermanentWidget(status_engine_);
}

QAction* MainWindow::make_action(const QString& name, const QString& text, const QList<QKeySequence>& keys,
                                 const QString& tip, void (MainWindow::*slot)()) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    a->setShortcuts(keys);
    a->setShortcutContext(Qt::WindowShortcut);
    QString key_text = keys.isEmpty() ? QString() : keys.first().toString(QKeySequence::NativeText);
    a->setToolTip(key_text.isEmpty() ? tip : QStringLiteral("%1 (%2)").arg(tip, key_text));
    a->setStatusTip(tip);
    if (slot) connect(a, &QAction::triggered, this, slot);
    addAction(a);
    actions_.insert(name, a);
    return a;
}

QAction* MainWindow::action(const QString& object_name) const { return actions_.value(object_name); }

void MainWindow::build_actions() {
    using K = QKeySequence;
    // File
    QList<QAction*> file = {
        make_action("openFolder", tr("Open &Folder…"), {K(Qt::CTRL | Qt::Key_O)}, tr("Open a folder of images"), &MainWindow::open_folder_dialog),
        make_action("openProject", tr("Open &Project…"), {K(Qt::CTRL | Qt::SHIFT | Qt::Key_O)}, tr("Open a project file"), &MainWindow::open_project_dialog),
        make_action("saveAs", tr("Save Project &As…"), {K(Qt::CTRL | Qt::SHIFT | Qt::Key_S)}, tr("Save the project to another file"), &MainWindow::save_project_as_dialog),
        make_action("exportCoco", tr("&Export COCO…"), {K(Qt::CTRL | Qt::Key_E)}, tr("Export the annotations as COCO JSON"), &MainWindow::export_dialog),
        make_action("quit", tr("&Quit"), {K(Qt::CTRL | Qt::Key_Q)}, tr("Quit (everything is already saved)"), nullptr),
    };
    connect(actions_["quit"], &QAction::triggered, this, &QWidget::close);
    // Navigation and view
    QList<QAction*> view = {
        make_action("nextImage", tr("Next image"), {K(Qt::Key_D)}, tr("Show the next image"), &MainWindow::next_image),
        make_action("prevImage", tr("Previous image"), {K(Qt::Key_A)}, tr("Show the previous image"), &MainWindow::prev_image),
        make_action("zoomFit", tr("Fit to window"), {K(Qt::Key_F)}, tr("Fit the image to the window"), &MainWindow::zoom_fit),
        make_action("zoomActual", tr("Actual size (1:1)"), {K(Qt::Key_0)}, tr("Show the image at 100%"), &MainWindow::zoom_actual),
        make_action("zoomIn", tr("Zoom in"), {K(Qt::Key_Equal), K(Qt::Key_Plus)}, tr("Zoom in"), &MainWindow::zoom_in),
        make_action("zoomOut", tr("Zoom out"), {K(Qt::Key_Minus)}, tr("Zoom out"), &MainWindow::zoom_out),
        make_action("toggleOutlines", tr("Outlines"), {K(Qt::Key_O)}, tr("Show or hide mask outlines"), &MainWindow::toggle_outlines),
        make_action("help", tr("Shortcuts help"), {K(Qt::Key_F1), K(Qt::Key_Question)}, tr("Show every shortcut"), &MainWindow::show_help),
    };
    actions_["toggleOutlines"]->setCheckable(true);
    actions_["toggleOutlines"]->setChecked(true);
    // Tools
    tool_group_ = new QActionGroup(this);
    QList<QAction*> tools = {
        make_action("toolSelect", tr("Select"), {K(Qt::Key_V)}, tr("Select instances (Ctrl+click works in every tool)"), &MainWindow::tool_select),
        make_action("toolPrompt", tr("Points and box"), {K(Qt::Key_P)}, tr("Left click: positive point, right click: negative point, drag: box"), &MainWindow::tool_prompt),
        make_action("toolScribble", tr("Scribble"), {K(Qt::Key_S)}, tr("Left drag: positive scribble, right drag: negative scribble"), &MainWindow::tool_scribble),
        make_action("toolBrush", tr("Brush"), {K(Qt::Key_B)}, tr("Paint onto the selected instance (a new one if none is selected)"), &MainWindow::tool_brush),
        make_action("toolEraser", tr("Eraser"), {K(Qt::Key_E)}, tr("Erase from the selected instance"), &MainWindow::tool_eraser),
        make_action("brushBigger", tr("Bigger brush"), {K(Qt::Key_BracketRight)}, tr("Make the brush bigger"), &MainWindow::brush_bigger),
        make_action("brushSmaller", tr("Smaller brush"), {K(Qt::Key_BracketLeft)}, tr("Make the brush smaller"), &MainWindow::brush_smaller),
        make_action("focusText", tr("Text prompt"), {K(Qt::Key_T)}, tr("Type a text prompt"), &MainWindow::focus_text_prompt),
    };
    for (int i = 0; i < 5; ++i) {
        tools[i]->setCheckable(true);
        tool_group_->addAction(tools[i]);
    }
    actions_["toolPrompt"]->setChecked(true);
    // Annotation
    QList<QAction*> edit = {
        make_action("accept", tr("Accept mask"), {K(Qt::Key_Return), K(Qt::Key_Enter)}, tr("Accept the preview as instances of the current category"), &MainWindow::accept_preview),
        make_action("discard", tr("Discard prompts"), {K(Qt::Key_Escape)}, tr("Discard the prompts and the preview, or clear the selection"), &MainWindow::discard_prompts),
        make_action("undo", tr("Undo"), {K(Qt::CTRL | Qt::Key_Z)}, tr("Undo the last change"), &MainWindow::undo),
        make_action("redo", tr("Redo"), {K(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), K(Qt::CTRL | Qt::Key_Y)}, tr("Redo"), &MainWindow::redo),
        make_action("deleteInstance", tr("Delete instance"), {K(Qt::Key_Delete), K(Qt::Key_Backspace)}, tr("Delete the selected instances"), &MainWindow::delete_selected),
        make_action("mergeInstances", tr("Merge"), {K(Qt::Key_M)}, tr("Merge the selected instances into the top-most one"), &MainWindow::merge_selected),
        make_action("subtractInstances", tr("Subtract"), {K(Qt::Key_X)}, tr("Cut the top-most selected instance out of the other selected ones"), &MainWindow::subtract_selected),
        make_action("raiseInstance", tr("Bring forward"), {K(Qt::Key_PageUp)}, tr("Move the selected instances up in drawing order"), &MainWindow::raise_selected),
        make_action("lowerInstance", tr("Send backward"), {K(Qt::Key_PageDown)}, tr("Move the selected instances down in drawing order"), &MainWindow::lower_selected),
        make_action("assignCategory", tr("Apply category"), {K(Qt::Key_C)}, tr("Give the selected instances the current category"), &MainWindow::assign_category_to_selection),
        make_action("addCategory", tr("Add category"), {K(Qt::CTRL | Qt::Key_N)}, tr("Add a category"), &MainWindow::add_category),
    };
    // Digits choose categories.
    QList<QAction*> digits;
    for (int d = 1; d <= 9; ++d) {
        auto* a = new QAction(tr("Category %1").arg(d), this);
        a->setObjectName(QStringLiteral("category%1").arg(d));
        a->setShortcut(K(Qt::Key_0 + d));
        connect(a, &QAction::triggered, this, [this, d] { choose_category(d); });
        addAction(a);
        actions_.insert(a->objectName(), a);
        digits << a;
    }
    auto* digit_help = new QAction(tr("Choose category 1-9"), this);
    digit_help->setShortcut(K(QStringLiteral("1..9")));  // shown in the help only
    Q_UNUSED(digits);

    // Menus.
    QMenu* m_file = menuBar()->addMenu(tr("&File"));
    m_file->addActions({file[0], file[1]});
    m_file->addSeparator();
    m_file->addActions({file[2], file[3]});
    m_file->addSeparator();
    m_file->addAction(file[4]);
    QMenu* m_edit = menuBar()->addMenu(tr("&Edit"));
    m_edit->addActions(edit);
    QMenu* m_view = menuBar()->addMenu(tr("&View"));
    m_view->addActions(view);
    QMenu* m_tools = menuBar()->addMenu(tr("&Tools"));
    m_tools->addActions(tools);
    QMenu* m_help = menuBar()->addMenu(tr("&Help"));
    m_help->addAction(actions_["help"]);

    const std::pair<const char*, IconKind> icons[] = {
        {"toolSelect", IconKind::Select}, {"toolPrompt", IconKind::Prompt}, {"toolScribble", IconKind::Scribble},
        {"toolBrush", IconKind::Brush}, {"toolEraser", IconKind::Eraser}, {"accept", IconKind::Accept},
        {"undo", IconKind::Undo}, {"redo", IconKind::Redo}, {"zoomFit", IconKind::Fit},
        {"zoomActual", IconKind::ActualSize}, {"toggleOutlines", IconKind::Outlines}};
    for (const auto& [name, kind] : icons) actions_[name]->setIcon(make_icon(kind));
    // Tool bar: tools, brush size, opacity, zoom.
    QToolBar* tb = addToolBar(tr("Tools"));
    tb->setObjectName("toolsBar");
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->setIconSize(QSize(20, 20));
    tb->addActions({tools[0], tools[1], tools[2], tools[3], tools[4]});
    brush_size_ = new QSpinBox(tb);
    brush_size_->setObjectName("brushSize");
    brush_size_->setRange(1, 500);
    brush_size_->setSuffix(tr(" px"));
    brush_size_->setToolTip(tr("Brush and eraser radius ([ and ] change it)"));
    brush_size_->setValue(int(canvas_->brush_radius()));
    connect(brush_size_, &QSpinBox::valueChanged, this, [this](int v) { canvas_->set_brush_radius(v); });
    tb->addWidget(brush_size_);
    tb->addSeparator();
    tb->addAction(edit[0]);
    tb->addAction(edit[2]);
    tb->addAction(edit[3]);
    tb->addSeparator();
    tb->addWidget(new QLabel(tr(" Opacity "), tb));
    opacity_slider_ = new QSlider(Qt::Horizontal, tb);
    opacity_slider_->setObjectName("opacitySlider");
    opacity_slider_->setRange(0, 100);
    opacity_slider_->setValue(45);
    opacity_slider_->setMaximumWidth(120);
    opacity_slider_->setToolTip(tr("Fill opacity of the masks"));
    connect(opacity_slider_, &QSlider::valueChanged, this, &MainWindow::set_opacity);
    tb->addWidget(opacity_slider_);
    tb->addAction(actions_["toggleOutlines"]);
    tb->addSeparator();
    tb->addAction(actions_["zoomFit"]);
    tb->addAction(actions_["zoomActual"]);

    // Text-prompt bar on its own row.
    addToolBarBreak();
    QToolBar* pb = addToolBar(tr("Text prompt"));
    pb->setObjectName("promptBar");
    pb->setMovable(false);
    pb->addWidget(new QLabel(tr(" Task "), pb));
    task_combo_ = new QComboBox(pb);
    task_combo_->setObjectName("taskCombo");
    for (const TaskEntry& t : kTextTasks) task_combo_->addItem(tr(t.label), int(t.task));
    pb->addWidget(task_combo_);
    text_edit_ = new QLineEdit(pb);
    text_edit_->setObjectName("textPrompt");
    text_edit_->setClearButtonEnabled(true);
    pb->addWidget(text_edit_);
    run_text_ = new QPushButton(tr("Run"), pb);
    run_text_->setObjectName("runText");
    pb->addWidget(run_text_);
    connect(task_combo_, &QComboBox::currentIndexChanged, this, &MainWindow::update_task_bar);
    connect(text_edit_, &QLineEdit::returnPressed, this, &MainWindow::run_text_prompt);
    connect(run_text_, &QPushButton::clicked, this, &MainWindow::run_text_prompt);

    help_sections_ = {{tr("Files"), file}, {tr("Navigate and view"), view}, {tr("Tools"), tools}, {tr("Annotate"), edit}};
    help_->set_sections(help_sections_, {tr("1 … 9 choose a category.   Wheel: zoom.   Middle drag or Space + drag: pan."),
                                         tr("Ctrl + click: select an instance in any tool; Ctrl/Shift + click adds to the selection."),
                                         tr("Every change is saved automatically. Click or press Esc to close this help.")});
}

void MainWindow::restore_settings() {
    QSettings s;
    if (s.contains("window/geometry")) restoreGeometry(s.value("window/geometry").toByteArray());
    else resize(1480, 920);
    fit_to_screen();
    if (s.contains("window/state")) restoreState(s.value("window/state").toByteArray());
    opacity_slider_->setValue(s.value("view/opacity", 45).toInt());
    bool outlines = s.value("view/outlines", true).toBool();
    actions_["toggleOutlines"]->setChecked(outlines);
    OverlayStyle style = canvas_->overlay_style();
    style.opacity = opacity_slider_->value() / 100.0;
    style.outlines = outlines;
    canvas_->set_overlay_style(style);
    brush_size_->setValue(s.value("tools/brush_radius", 12).toInt());
}

void MainWindow::save_settings() {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("view/opacity", opacity_slider_->value());
    s.setValue("view/outlines", actions_["toggleOutlines"]->isChecked());
    s.setValue("tools/brush_radius", canvas_->brush_radius());
    if (!engine_name_.isEmpty()) s.setValue("engine/name", engine_name_);
    if (doc_->is_open()) {
        s.setValue("files/last_project", doc_->path());
        if (current_ >= 0) s.setValue("files/last_image/" + doc_->path(), file_names_.value(current_));
    }
}

void MainWindow::closeEvent(QCloseEvent* e) {
    save_settings();
    doc_->flush();
    if (!doc_->last_save_error().isEmpty()) {
        auto answer = QMessageBox::warning(
            this, tr("Unsaved changes"),
            tr("The project could not be saved:\n%1\n\nQuit anyway and lose the changes since the last save?")
                .arg(doc_->last_save_error()),
            QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Discard) {
            e->ignore();
            return;
        }
    }
    e->accept();
}

void MainWindow::update_window_title() {
    QString title = QStringLiteral("X-SAM Studio");
    if (doc_->is_open()) title = QFileInfo(doc_->image_root()).fileName() + QStringLiteral(" — ") + title;
    if (current_ >= 0) title = file_names_.value(current_) + QStringLiteral(" · ") + title;
    setWindowTitle(title);
}

// Opening --------------------------------------------------------------------------------------

bool MainWindow::open_folder(const QString& folder_in) {
    QFileInfo fi(folder_in);
    if (!fi.exists() || !fi.isDir()) {
        notify(2, tr("The folder %1 does not exist.").arg(folder_in));
        return false;
    }
    QString folder = fi.absoluteFilePath();
    QString project_path = QDir(folder).filePath(kProjectFileName);
    Project project;
    if (QFileInfo::exists(project_path)) {
        try {
            project = load_project(project_path.toStdString());
        } catch (const std::exception& e) {
            notify(2, tr("Could not read the project file %1:\n%2\nThe file was left untouched; fix or move it, then open the folder again.")
                          .arg(project_path, QString::fromStdString(e.what())));
            return false;
        }
    } else {
        project.image_root = ".";
    }
    QString notice;
    if (!QFileInfo(folder).isWritable()) {
        // Keep the annotations next to the user's other data instead of failing on every save.
        QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/projects";
        QDir().mkpath(dir);
        QString name = fi.fileName() + "-" + QString::number(qHash(folder), 16) + ".json";
        QString fallback = QDir(dir).filePath(name);
        if (QFileInfo::exists(fallback)) {
            try {
                project = load_project(fallback.toStdString());
            } catch (const std::exception& e) {
                notify(2, tr("Could not read %1: %2").arg(fallback, QString::fromStdString(e.what())));
                return false;
            }
        }
        project.image_root = folder.toStdString();
        notice = tr("The folder %1 is read-only, so the project is saved in %2.").arg(folder, fallback);
        project_path = fallback;
    }
    doc_->open(std::move(project), project_path);
    if (!notice.isEmpty()) notify(1, notice);
    else notice_->hide();
    QStringList known;
    for (const ImageRecord& r : doc_->project().images) known << qstr(r.file_name);
    start_scan(doc_->image_root(), known);
    return true;
}

bool MainWindow::open_project(const QString& project_file) {
    Project project;
    try {
        project = load_project(project_file.toStdString());
    } catch (const std::exception& e) {
        notify(2, tr("Could not open the project: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    doc_->open(std::move(project), project_file);
    notice_->hide();
    QStringList known;
    for (const ImageRecord& r : doc_->project().images) known << qstr(r.file_name);
    if (!QFileInfo(doc_->image_root()).isDir()) {
        notify(1, tr("The image folder %1 of this project does not exist; the annotations are kept, but images cannot be shown.")
                      .arg(doc_->image_root()));
        scan_finished({}, known, false);
        return true;
    }
    start_scan(doc_->image_root(), known);
    return true;
}

void MainWindow::start_scan(const QString& root, const QStringList& known) {
    if (scan_cancel_) scan_cancel_->store(true);
    ++folder_generation_;
    loading_.clear();  // their results are dropped when they arrive
    file_names_.clear();
    files_->clear();
    current_ = -1;
    image_.reset();
    loaded_.clear();
    loaded_order_.clear();
    load_errors_.clear();
    clear_prompts();
    selected_.clear();
    canvas_->clear_image(tr("Looking for images in %1…").arg(root));
    statusBar()->clearMessage();
    status_zoom_->clear();
    status_cursor_->clear();
    refresh_categories();
    instances_->set_instances(nullptr, doc_->project());
    update_window_title();

    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto found_count = std::make_shared<std::atomic<int>>(0);
    scan_cancel_ = cancel;
    scan_found_ = found_count;
    auto* watcher = new QFutureWatcher<QStringList>(this);
    scan_watcher_ = watcher;
    connect(watcher, &QFutureWatcher<QStringList>::finished, this, [this, watcher, cancel, known] {
        watcher->deleteLater();
        if (scan_watcher_ != watcher) return;  // a newer scan replaced this one
        scan_watcher_ = nullptr;
        hide_progress();
        scan_finished(watcher->result(), known, cancel->load());
    });
    show_progress(tr("Scanning…"), 0, 0, [cancel] { cancel->store(true); });
    auto* ticker = new QTimer(watcher);
    connect(ticker, &QTimer::timeout, this, [this, found_count] {
        progress_->setFormat(tr("Scanning… %1 images").arg(found_count->load()));
    });
    ticker->start(100);
    watcher->setFuture(QtConcurrent::run([root, cancel, found_count] {
        return scan_images(root, cancel.get(), [found_count](int n) { found_count->store(n); });
    }));
}

void MainWindow::scan_finished(const QStringList& found, const QStringList& known, bool cancelled) {
    QStringList names = found;
    // Images the project knows but the scan did not see (moved, or a cancelled scan) stay listed so
    // their annotations remain reachable.
    for (const QString& k : known)
        if (!names.contains(k)) names << k;
    natural_sort(names);
    file_names_ = names;
    files_->clear();
    for (int i = 0; i < file_names_.size(); ++i) {
        new QListWidgetItem(file_names_[i], files_);
        refresh_file_item(i);
    }
    if (cancelled) notify(1, tr("The folder scan was cancelled; %1 images listed.").arg(file_names_.size()));
    if (file_names_.isEmpty()) {
        QString msg = tr("No images found in %1.\nLooked in every sub-folder for %2.")
                          .arg(doc_->image_root(), image_name_filters_text());
        canvas_->clear_image(msg);
        notify(1, msg);
        return;
    }
    statusBar()->showMessage(tr("%1 images in %2").arg(file_names_.size()).arg(doc_->image_root()), 5000);
    QString last = QSettings().value("files/last_image/" + doc_->path()).toString();
    int start = std::max(0, int(file_names_.indexOf(last)));
    show_image(start);
}

// Images ---------------------------------------------------------------------------------------

QString MainWindow::current_key() const { return current_ >= 0 ? file_names_.value(current_) : QString(); }

// The engine caches prepared images by this key: the absolute path, so two folders with the same
// relative names never share a cache entry.
QString MainWindow::engine_key() const { return current_ >= 0 ? doc_->image_path(current_key().toStdString()) : QString(); }

const ImageRecord* MainWindow::current_record() const {
    if (current_ < 0 || !image_) return nullptr;
    return doc_->project().find_image(current_key().toStdString()) ;
}

void MainWindow::refresh_file_item(int index) {
    QListWidgetItem* item = files_->item(index);
    if (!item) return;
    const ImageRecord* rec = doc_->project().find_image(file_names_[index].toStdString());
    int n = rec ? int(rec->instances.size()) : 0;
    QString error = load_errors_.value(file_names_[index]);
    QColor dot = !error.isEmpty() ? QColor(0xe7, 0x4c, 0x3c) : n > 0 ? QColor(0x2e, 0xcc, 0x71) : QColor(0, 0, 0, 0);
    QPixmap pm(10, 10);
    pm.fill(Qt::transparent);
    {
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(n > 0 || !error.isEmpty() ? Qt::NoPen : QPen(QColor(0x90, 0x90, 0x90), 1));
        p.setBrush(dot);
        p.drawEllipse(QRectF(1, 1, 8, 8));
    }
    item->setIcon(QIcon(pm));
    item->setText(n > 0 ? QStringLiteral("%1   (%2)").arg(file_names_[index]).arg(n) : file_names_[index]);
    item->setData(Qt::UserRole, n);
    item->setToolTip(!error.isEmpty() ? error : n > 0 ? tr("%1 instances").arg(n) : tr("not annotated yet"));
}

void MainWindow::show_image(int index) {
    if (index < 0 || index >= file_names_.size()) return;
    clear_prompts();
    selected_.clear();
    hovered_ = 0;
    current_ = index;
    {
        QSignalBlocker block(files_);
        files_->setCurrentRow(index);
    }
    image_.reset();
    update_window_title();
    const QString key = file_names_[index];
    auto it = loaded_.find(key);
    if (it != loaded_.end()) {
        display_loaded(it.value());
    } else if (load_errors_.contains(key)) {
        LoadedImage failed;
        failed.error = load_errors_.value(key);
        display_loaded(failed);
    } else {
        canvas_->clear_image(tr("Loading %1…").arg(key));
        instances_->set_instances(nullptr, doc_->project());
        request_load(index, true);
    }
    Q_EMIT image_shown(index);
}

void MainWindow::request_load(int index, bool for_display) {
    if (index < 0 || index >= file_names_.size()) return;
    const QString key = file_names_[index];
    if (loaded_.contains(key) || loading_.contains(key) || load_errors_.contains(key)) return;
    const QString path = doc_->image_path(key.toStdString());
    auto* watcher = new QFutureWatcher<LoadedImage>(this);
    loading_.insert(key, watcher);
    const int generation = folder_generation_;
    connect(watcher, &QFutureWatcher<LoadedImage>::finished, this, [this, watcher, key, generation] {
        watcher->deleteLater();
        if (generation != folder_generation_) return;  // from a folder that is no longer open
        loading_.remove(key);
        LoadedImage loaded = watcher->result();
        if (!loaded.ok()) {
            load_errors_.insert(key, loaded.error);
            int i = file_names_.indexOf(key);
            refresh_file_item(i);
            if (key == current_key()) display_loaded(loaded);
            return;
        }
        loaded_.insert(key, loaded);
        loaded_order_.removeAll(key);
        loaded_order_.append(key);
        while (loaded_order_.size() > kDecodedCacheSize) {
            QString old = loaded_order_.takeFirst();
            if (old == current_key()) {
                loaded_order_.append(old);
                continue;
            }
            loaded_.remove(old);
        }
        if (key == current_key()) {
            display_loaded(loaded);
        } else if (engine_ready_ && key == file_names_.value(current_ + 1)) {
            // Run ahead: the engine prepares the next image while the user works on this one (a
            // prompt on the shown image goes first; the worker queues this behind it).
            worker_->prefetch(doc_->image_path(key.toStdString()), loaded.image);
        }
    });
    watcher->setFuture(QtConcurrent::run(load_for_display, path));
    Q_UNUSED(for_display);
}

void MainWindow::display_loaded(const LoadedImage& loaded) {
    const QString key = current_key();
    if (!loaded.ok()) {
        canvas_->clear_image(tr("Cannot show %1\n\n%2").arg(key, loaded.error));
        notify(2, tr("Cannot open %1: %2").arg(key, loaded.error));
        instances_->set_instances(nullptr, doc_->project());
        return;
    }
    image_ = loaded.image;
    canvas_->set_image(loaded.levels);
    ImageRecord& rec = doc_->ensure_image(key, loaded);  // a reduced preview's record is held at its size
    if (rec.width != image_->width || rec.height != image_->height) {
        notify(1, tr("%1 is now %2 x %3 pixels but was annotated at %4 x %5; its %6 instances are kept in the project but not shown.")
                      .arg(key).arg(image_->width).arg(image_->height).arg(rec.width).arg(rec.height).arg(rec.instances.size()));
    } else if (notice_->isVisible() && notice_->text().startsWith(tr("Cannot open"))) {
        notice_->hide();
    }
    refresh_instances();
    refresh_file_item(current_);
    statusBar()->showMessage(tr("%1  ·  %2  ·  decoded in %3 ms").arg(key, loaded.size_text())
                                 .arg(loaded.ms, 0, 'f', 0), 4000);
    // Get the engine going on this image now, so the first click answers quickly; decode the
    // neighbours so A/D switch instantly.
    if (engine_ready_) worker_->prefetch(engine_key(), image_, true);
    request_load(current_ + 1, false);
    request_load(current_ - 1, false);
    prefetch_next();
}

void MainWindow::refresh_instances() {
    const ImageRecord* rec = current_record();
    canvas_->set_instances(rec, doc_->project());
    // Drop selected ids that no longer exist.
    std::vector<int64_t> keep;
    if (rec)
        for (int64_t id : selected_)
            for (const Instance& inst : rec->instances)
                if (inst.id == id) keep.push_back(id);
    selected_ = keep;
    instances_->set_instances(rec, doc_->project());
    instances_->set_selected(selected_);
    update_selection_layer();
    hovered_ = -1;
    canvas_->set_hover({});
}

void MainWindow::refresh_categories() { categories_->set_categories(doc_->project().categories); }

void MainWindow::next_image() {
    if (current_ + 1 < file_names_.size()) show_image(current_ + 1);
}

void MainWindow::prev_image() {
    if (current_ > 0) show_image(current_ - 1);
}

// Engine ---------------------------------------------------------------------------------------

void MainWindow::set_engine(const QString& name) {
    if (name == engine_name_ && (engine_ready_ || name.isEmpty()) && !force_reload_) return;
    force_reload_ = false;
    EngineOptions options;
    if (!engine_options_for(name, &options)) return;  // e.g. X-SAM without a model folder: settings shown
    if (loading_id_ && !previous_engine_.isEmpty() && name == previous_engine_ && cancel_engine_load()) return;
    // The worker keeps the engine that is active now until the new one is ready; a cancel (or a
    // failure) goes back to it. A load replacing a load keeps the engine that was active before both.
    if (engine_ready_) previous_engine_ = engine_name_;
    engine_name_ = name;
    engine_ready_ = false;
    clear_prompts();
    engine_panel_->set_loading(name);
    status_engine_->setText(tr("%1: loading…").arg(name));
    show_progress(tr("Loading engine %1…").arg(name), 0, 0, [this] { cancel_engine_load(); });
    update_capabilities();
    loading_id_ = worker_->load_engine(name, options);
}

bool MainWindow::cancel_engine_load() {
    if (loading_id_ == 0 || !worker_->cancel_load()) return false;  // not loading, or already loaded
    const QString cancelled = engine_name_;
    loading_id_ = 0;
    hide_progress();
    if (!previous_engine_.isEmpty()) {
        engine_name_ = previous_engine_;
        engine_ready_ = true;
        engine_panel_->set_info(engine_info_);
        update_status_engine();
        notify(1, tr("Loading the %1 engine was cancelled; %2 stays active.").arg(cancelled, engine_name_));
    } else {
        engine_name_.clear();
        engine_ready_ = false;
        engine_panel_->set_failed(cancelled, tr("loading was cancelled"));
        status_engine_->setText(tr("no engine"));
        notify(1, tr("Loading the %1 engine was cancelled; no engine is active.").arg(cancelled));
    }
    update_capabilities();
    if (engine_ready_ && image_) worker_->prefetch(engine_key(), image_);
    return true;
}

void MainWindow::on_engine_loaded(const EngineInfo& info) {
    if (info.load_id != loading_id_ || loading_id_ == 0) return;  // a cancelled or superseded load
    loading_id_ = 0;
    previous_engine_.clear();
    engine_info_ = info;
    engine_ready_ = true;
    hide_progress();
    engine_panel_->set_info(info);
    update_status_engine();
    update_capabilities();
    if (image_) worker_->prefetch(engine_key(), image_);
    prefetch_next();
    // Prompts placed while the engine was loading are answered now.
    if (image_ && (!prompts_.points.empty() || !prompts_.boxes.empty() || !prompts_.scribbles.empty()))
        send_prompts(Task::Interactive);
}

void MainWindow::on_engine_failed(const QString& name, const QString& message) {
    if (name != engine_name_ || loading_id_ == 0) return;
    loading_id_ = 0;
    hide_progress();
    engine_panel_->set_failed(name, message);
    notify(2, tr("The %1 engine could not be loaded: %2").arg(name, message));
    if (!previous_engine_.isEmpty()) {
        // The worker still holds the previous engine: it stays active.
        engine_name_ = previous_engine_;
        engine_ready_ = true;
        status_engine_->setText(tr("%1 · %2 (%3 failed)").arg(engine_info_.name, engine_info_.device, name));
    } else {
        engine_ready_ = false;
        status_engine_->setText(tr("%1: failed").arg(name));
    }
    update_capabilities();
}

void MainWindow::update_status_engine() {
    if (!engine_ready_) return;
    status_engine_->setText(QStringLiteral("%1 · %2").arg(engine_info_.name, engine_info_.device));
}

// Enables exactly what the engine can do; a disabled control says why in its tooltip.
void MainWindow::update_capabilities() {
    const Capabilities& caps = engine_info_.capabilities;
    const QString engine = engine_name_.isEmpty() ? tr("no engine") : engine_name_;
    auto why = [&](const QString& what) {
        return engine_ready_ ? tr("The %1 engine does not support %2.").arg(engine, what)
                             : tr("The engine is not ready yet.");
    };
    auto set = [&](QAction* a, bool ok, const QString& tip, const QString& missing) {
        a->setEnabled(ok);
        QString base = a->statusTip();
        a->setToolTip(ok ? tip : why(missing));
    };
    bool points = engine_ready_ && (caps.supports(Task::Interactive, PromptKind::Point) ||
                                    caps.supports(Task::Interactive, PromptKind::Box));
    bool scribbles = engine_ready_ && caps.supports(Task::Interactive, PromptKind::Scribble);
    set(actions_["toolPrompt"], points, tr("Points and box (P): left click positive, right click negative, drag a box"),
        tr("point or box prompts"));
    set(actions_["toolScribble"], scribbles, tr("Scribble (S): left drag positive, right drag negative"),
        tr("scribble prompts"));
    if (!points && actions_["toolPrompt"]->isChecked() && engine_ready_) select_tool(Tool::Select);
    if (!scribbles && actions_["toolScribble"]->isChecked() && engine_ready_) select_tool(Tool::Select);
    // Text tasks: unsupported entries are disabled with the reason as their tooltip.
    auto* model = qobject_cast<QStandardItemModel*>(task_combo_->model());
    for (int i = 0; i < task_combo_->count(); ++i) {
        Task t = Task(task_combo_->itemData(i).toInt());
        bool ok = engine_ready_ && caps.supports(t);
        QStandardItem* item = model->item(i);
        item->setEnabled(ok);
        item->setToolTip(ok ? QString() : why(tr("the %1 task").arg(QString::fromLatin1(task_name(t)))));
    }
    update_task_bar();
    update_xsam_actions();
}

void MainWindow::update_task_bar() {
    int i = task_combo_->currentIndex();
    if (i < 0) return;
    Task t = Task(task_combo_->itemData(i).toInt());
    bool ok = engine_ready_ && engine_info_.capabilities.supports(t);
    const TaskEntry* entry = nullptr;
    for (const TaskEntry& e : kTextTasks)
        if (e.task == t) entry = &e;
    text_edit_->setPlaceholderText(entry ? tr(entry->placeholder) : QString());
    bool needs_text = t == Task::Referring || t == Task::Reasoning || t == Task::Generic || t == Task::OpenVocabulary ||
                      t == Task::Chat;
    text_edit_->setEnabled(ok && needs_text);
    run_text_->setEnabled(ok);
    QString reason = engine_ready_ ? tr("The %1 engine does not support the %2 task.").arg(engine_name_, QString::fromLatin1(task_name(t)))
                                   : tr("The engine is not ready yet.");
    task_combo_->setToolTip(ok ? tr("What the text prompt asks for") : reason);
    run_text_->setToolTip(ok ? tr("Run the text prompt (Enter in the text box)") : reason);
    text_edit_->setToolTip(ok ? QString() : reason);
}

QString MainWindow::prompt_source(const SegmentRequest& r) const {
    QStringList parts;
    int pos = 0, neg = 0;
    for (const PointPrompt& p : r.points) (p.positive ? pos : neg)++;
    if (pos || neg) parts << QStringLiteral("points(%1+,%2-)").arg(pos).arg(neg);
    if (!r.boxes.empty()) parts << QStringLiteral("box");
    int spos = 0, sneg = 0;
    for (const ScribblePrompt& s : r.scribbles) (s.positive ? spos : sneg)++;
    if (spos || sneg) parts << QStringLiteral("scribbles(%1+,%2-)").arg(spos).arg(sneg);
    if (!r.text.empty()) parts << QStringLiteral("text(\"%1\")").arg(qstr(r.text).left(60));
    if (!r.categories.empty()) parts << QStringLiteral("categories(%1)").arg(r.categories.size());
    QString task = r.task == Task::Interactive ? QString() : QString::fromLatin1(task_name(r.task)) + ":";
    return engine_info_.name + ":" + task + parts.join(',');
}

void MainWindow::add_point(QPointF pos, bool positive) {
    if (!image_) return;
    if (positive && candidate_click(pos)) return;  // a click on a "find all like this" candidate picks it
    prompts_.points.push_back(PointPrompt{float(pos.x()), float(pos.y()), positive});
    send_prompts(Task::Interactive);
}

void MainWindow::add_box(QRectF r) {
    if (!image_) return;
    prompts_.boxes.clear();  // one box per object
    prompts_.boxes.push_back(BoxPrompt{float(r.left()), float(r.top()), float(r.right()), float(r.bottom())});
    send_prompts(Task::Interactive);
}

void MainWindow::add_scribble(const std::vector<QPointF>& points, bool positive) {
    if (!image_) return;
    ScribblePrompt s;
    s.positive = positive;
    for (const QPointF& p : points) s.points.push_back(PointF{float(p.x()), float(p.y())});
    prompts_.scribbles.push_back(std::move(s));
    send_prompts(Task::Interactive);
}

void MainWindow::send_prompts(Task task) {
    canvas_->set_prompts(prompts_);
    // Interactive refinement: the current preview is the starting point for the next answer.
    prompts_.input_mask.reset();
    if (task == Task::Interactive && prompt_task_ == Task::Interactive && preview_.size() == 1 &&
        engine_info_.capabilities.supports(Task::Interactive, PromptKind::Mask))
        prompts_.input_mask = preview_.front().mask;
    if (!engine_ready_) {
        statusBar()->showMessage(tr("The engine is not ready yet; the prompts are kept."), 4000);
        return;
    }
    prompts_.task = task;
    std::string problem = validate_request(engine_info_.capabilities, prompts_, image_->width, image_->height,
                                           engine_info_.name.toStdString());
    if (!problem.empty()) {
        statusBar()->showMessage(qstr(problem), 8000);
        notify(1, qstr(problem));
        return;
    }
    prompt_task_ = task;
    prompts_.score_threshold = score_threshold_;
    prompts_.mask_threshold = mask_threshold_;
    prompts_.inspect = inspector_dock_ && inspector_dock_->isVisible();
    preview_source_ = prompt_source(prompts_);
    request_timer_.restart();
    awaiting_ = worker_->segment(engine_key(), image_, prompts_);
    status_engine_->setText(QStringLiteral("%1 · %2 · working…").arg(engine_info_.name, engine_info_.device));
}

void MainWindow::run_text_prompt() {
    if (!image_) return;
    Task t = Task(task_combo_->currentData().toInt());
    SegmentRequest keep = prompts_;
    prompts_.text.clear();
    prompts_.categories.clear();
    if (t == Task::Referring || t == Task::Reasoning || t == Task::Chat) {
        QString text = text_edit_->text().trimmed();
        if (text.isEmpty()) {
            statusBar()->showMessage(tr("Type what to look for first."), 4000);
            return;
        }
        prompts_ = SegmentRequest();
        prompts_.text = text.toStdString();
    } else if (t == Task::Generic || t == Task::OpenVocabulary) {
        QStringList cats = split_categories(text_edit_->text());
        if (cats.isEmpty()) {  // default to the project's categories
            for (const Category& c : doc_->project().categories) cats << qstr(c.name);
        }
        if (cats.isEmpty()) {
            statusBar()->showMessage(tr("Type category names, separated by commas."), 4000);
            return;
        }
        prompts_ = SegmentRequest();
        for (const QString& c : cats) prompts_.categories.push_back(c.toStdString());
    } else if (t == Task::GroundedCaption) {
        prompts_ = SegmentRequest();
    } else if (t == Task::VisualGrounded) {
        if (keep.points.empty() && keep.boxes.empty() && keep.scribbles.empty()) {
            statusBar()->showMessage(tr("Mark one example object with points, a box or a scribble first."), 5000);
            return;
        }
    }
    send_prompts(t);
}

void MainWindow::on_segment_finished(const SegmentAnswer& answer) {
    if (answer.request_id != awaiting_) return;  // superseded
    awaiting_ = 0;
    double round_trip = request_timer_.elapsed();
    if (answer.image_key != engine_key()) return;
    if (handle_grounded_answer(answer, round_trip)) return;  // "find all like this" candidates
    preview_.clear();
    std::vector<Mask> masks;
    for (const InstanceResult& r : answer.result.instances) {
        if (r.mask.width() != image_->width || r.mask.height() != image_->height || !r.mask.any()) continue;
        preview_.push_back(r);
        masks.push_back(r.mask);
        if (prompt_task_ == Task::Interactive) break;  // best mask only
    }
    canvas_->set_preview(masks);
    engine_panel_->set_timings(answer.prepare_timings, answer.result.timings, round_trip);
    // Status bar: engine, device and milliseconds per stage (short stage names; the engine panel
    // and the tooltip have the full ones).
    auto short_name = [](const std::string& stage) {
        QString s = qstr(stage);
        int dot = s.indexOf('.');
        return dot >= 0 ? s.mid(dot + 1) : s;
    };
    QStringList stages, prepare_parts, segment_parts;
    for (const StageTiming& t : answer.prepare_timings) {
        prepare_parts << QStringLiteral("%1 %2").arg(short_name(t.stage)).arg(t.ms, 0, 'f', 0);
        stages << QStringLiteral("%1 %2 ms").arg(qstr(t.stage)).arg(t.ms, 0, 'f', 1);
    }
    for (const StageTiming& t : answer.result.timings) {
        segment_parts << QStringLiteral("%1 %2").arg(short_name(t.stage)).arg(t.ms, 0, 'f', 0);
        stages << QStringLiteral("%1 %2 ms").arg(qstr(t.stage)).arg(t.ms, 0, 'f', 1);
    }
    QString text = QStringLiteral("%1 · %2").arg(engine_info_.name, engine_info_.device);
    if (!prepare_parts.isEmpty()) text += tr(" · prepare: ") + prepare_parts.join(", ");
    text += tr(" · segment: ") + segment_parts.join(", ") + tr(" ms");
    status_engine_->setText(text);
    status_engine_->setToolTip(stages.join('\n') + tr("\nround trip %1 ms").arg(round_trip, 0, 'f', 0));
    // Generated text (the grounded caption, the chat's answer) is shown by the Caption panel, phrases
    // linked to masks; a chat has no mask to find.
    if (prompt_task_ == Task::Chat) {
        statusBar()->showMessage(tr("The answer is in the Caption panel."), 8000);
    } else if (preview_.empty()) {
        statusBar()->showMessage(tr("The engine found nothing for these prompts. Add or move prompts, or press Esc."), 8000);
    } else {
        statusBar()->showMessage(tr("Preview: %1 mask(s). Enter accepts as \"%2\", Esc discards.")
                                     .arg(preview_.size())
                                     .arg(doc_->project().find_category(categories_->current_category())
                                              ? qstr(doc_->project().find_category(categories_->current_category())->name)
                                              : tr("object")),
                                 8000);
    }
    after_answer(answer);
    Q_EMIT preview_changed();
}

void MainWindow::on_segment_failed(int request_id, const QString& message) {
    if (request_id != awaiting_) return;
    awaiting_ = 0;
    update_status_engine();
    notify(2, tr("The engine could not answer: %1").arg(message));
    Q_EMIT preview_changed();
}

int MainWindow::ensure_category() {
    int id = categories_->current_category();
    if (id && doc_->project().find_category(id)) return id;
    if (!doc_->project().categories.empty()) return doc_->project().categories.front().id;
    return 0;
}

int MainWindow::category_for_new_instances(std::vector<Category>& cats, EditState& after) {
    const int current = ensure_category();
    if (current != 0) return current;
    // First instance of a fresh project: make a category for it, applied with the edit (undoable).
    const std::vector<Category> before = doc_->project().categories;
    Category c = doc_->project().add_category("object");
    doc_->project().categories = before;
    cats.push_back(c);
    after.categories = cats;
    return c.id;
}

void MainWindow::accept_preview() {
    if (text_edit_->hasFocus()) {  // Enter in the text box runs the text prompt
        run_text_prompt();
        return;
    }
    if (preview_.empty() && !candidates_list_.empty()) {  // Enter accepts the current candidate
        accept_candidate(-1);
        return;
    }
    const ImageRecord* rec = current_record();
    if (!rec) return;
    if (preview_.empty()) {
        statusBar()->showMessage(awaiting_ ? tr("Still waiting for the engine's answer.") : tr("Nothing to accept: click an object first."), 4000);
        return;
    }
    EditState after;
    std::vector<Category> cats = doc_->project().categories;
    int current = category_for_new_instances(cats, after);
    std::vector<Instance> list = rec->instances;
    std::vector<int64_t> new_ids;
    for (const InstanceResult& r : preview_) {
        int cat = current;
        if (!r.label.empty() && prompt_task_ != Task::Interactive) {
            for (const Category& c : cats)
                if (c.name == r.label) cat = c.id;
        }
        Instance inst = doc_->make_instance(cat, rle_encode(r.mask), r.score, preview_source_.toStdString());
        new_ids.push_back(inst.id);
        list.push_back(std::move(inst));
    }
    after.instances[rec->id] = std::move(list);
    const int n = int(preview_.size());
    clear_prompts();
    doc_->edit(std::move(after), n == 1 ? tr("Accept mask") : tr("Accept %1 masks").arg(n));
    const Category* cat = doc_->project().find_category(current);
    statusBar()->showMessage(tr("Accepted %1 instance(s) as \"%2\". Ctrl+Z undoes.").arg(n).arg(cat ? qstr(cat->name) : QString()), 4000);
    if (after.categories) {
        refresh_categories();
        categories_->set_current_category(current);
    }
    set_selection(new_ids);
}

void MainWindow::clear_prompts() {
    prompts_ = SegmentRequest();
    preview_.clear();
    clear_candidates();
    if (awaiting_) worker_->cancel_segment();
    awaiting_ = 0;
    canvas_->set_prompts(prompts_);
    canvas_->set_preview({});
    Q_EMIT preview_changed();
}

void MainWindow::discard_prompts() {
    if (help_->isVisible()) {
        help_->hide();
        return;
    }
    bool had = !prompts_.points.empty() || !prompts_.boxes.empty() || !prompts_.scribbles.empty() || !preview_.empty() ||
               !candidates_list_.empty();
    clear_prompts();
    if (!had) set_selection({});
}

// Selection and editing ------------------------------------------------------------------------

void MainWindow::select_at(QPointF pos, bool extend) {
    int64_t id = canvas_->instance_at(pos);
    std::vector<int64_t> ids = extend ? selected_ : std::vector<int64_t>();
    if (id) {
        auto it = std::find(ids.begin(), ids.end(), id);
        if (it != ids.end() && extend) ids.erase(it);
        else if (it == ids.end()) ids.push_back(id);
    }
    set_selection(ids);
}

void MainWindow::set_selection(const std::vector<int64_t>& ids) {
    selected_ = ids;
    instances_->set_selected(ids);
    update_selection_layer();
}

void MainWindow::update_selection_layer() {
    const ImageRecord* rec = current_record();
    std::vector<Mask> masks;
    if (rec)
        for (const Instance& inst : rec->instances)
            if (std::find(selected_.begin(), selected_.end(), inst.id) != selected_.end() &&
                inst.mask.width == rec->width && inst.mask.height == rec->height)
                masks.push_back(rle_decode(inst.mask));
    canvas_->set_selection(std::move(masks));
}

void MainWindow::update_hover(int64_t id) {
    if (id == hovered_) return;
    hovered_ = id;
    const ImageRecord* rec = current_record();
    std::vector<Mask> masks;
    if (rec && id)
        for (const Instance& inst : rec->instances)
            if (inst.id == id) masks.push_back(rle_decode(inst.mask));
    canvas_->set_hover(std::move(masks));
    if (rec && id) {
        for (const Instance& inst : rec->instances) {
            if (inst.id != id) continue;
            const Category* c = doc_->project().find_category(inst.category_id);
            canvas_->setToolTip(tr("#%1 %2 · score %3 · %4").arg(id).arg(c ? qstr(c->name) : QString("?"))
                                    .arg(inst.score, 0, 'f', 2).arg(qstr(inst.source)));
        }
    } else {
        canvas_->setToolTip(QString());
    }
}

void MainWindow::on_brush_stroke(const std::vector<QPointF>& points, bool erase) {
    const ImageRecord* rec = current_record();
    if (!rec) return;
    std::vector<Instance> list = rec->instances;
    const double radius = canvas_->brush_radius();
    if (selected_.size() > 1) {
        statusBar()->showMessage(tr("Select a single instance to paint on."), 4000);
        return;
    }
    if (selected_.empty()) {
        if (erase) {
            statusBar()->showMessage(tr("Select the instance to erase from first (Ctrl+click it)."), 4000);
            return;
        }
        int cat = ensure_category();
        EditState after;
        if (cat == 0) {
            std::vector<Category> before = doc_->project().categories;
            Category c = doc_->project().add_category("object");
            doc_->project().categories = before;
            before.push_back(c);
            after.categories = before;
            cat = c.id;
        }
        Mask m(rec->width, rec->height);
        paint_stroke(m, points, radius, true);
        if (!m.any()) return;
        Instance inst = doc_->make_instance(cat, rle_encode(m), 1.0f, "manual:brush");
        int64_t id = inst.id;
        list.push_back(std::move(inst));
        after.instances[rec->id] = std::move(list);
        bool new_category = bool(after.categories);
        doc_->edit(std::move(after), tr("Brush (new instance)"));
        if (new_category) refresh_categories();
        set_selection({id});
        return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].id != selected_.front()) continue;
        Mask m = rle_decode(list[i].mask);
        paint_stroke(m, points, radius, !erase);
        Rle updated = rle_encode(m);
        if (updated == list[i].mask) return;
        if (!m.any()) {
            list.erase(list.begin() + long(i));
            doc_->edit_instances(rec->id, std::move(list), tr("Erase (instance removed)"));
            return;
        }
        list[i].mask = std::move(updated);
        list[i].score = 1.0f;
        list[i].modified_ms = now_ms();
        doc_->edit_instances(rec->id, std::move(list), erase ? tr("Erase") : tr("Brush"));
        return;
    }
}

void MainWindow::delete_selected() {
    if (text_edit_->hasFocus()) return;
    const ImageRecord* rec = current_record();
    if (!rec || selected_.empty()) return;
    std::vector<Instance> list;
    for (const Instance& inst : rec->instances)
        if (std::find(selected_.begin(), selected_.end(), inst.id) == selected_.end()) list.push_back(inst);
    int n = int(rec->instances.size() - list.size());
    selected_.clear();
    doc_->edit_instances(rec->id, std::move(list), n == 1 ? tr("Delete instance") : tr("Delete %1 instances").arg(n));
}

void MainWindow::merge_selected() {
    const ImageRecord* rec = current_record();
    if (!rec || selected_.size() < 2) {
        statusBar()->showMessage(tr("Select two or more instances to merge (Ctrl+click or in the list)."), 4000);
        return;
    }
    // Merge into the top-most selected instance (the last in drawing order).
    std::vector<Instance> list = rec->instances;
    int target = -1;
    for (int i = int(list.size()) - 1; i >= 0 && target < 0; --i)
        if (std::find(selected_.begin(), selected_.end(), list[i].id) != selected_.end()) target = i;
    Mask merged = rle_decode(list[target].mask);
    std::vector<Instance> out;
    for (int i = 0; i < int(list.size()); ++i) {
        bool sel = std::find(selected_.begin(), selected_.end(), list[i].id) != selected_.end();
        if (sel && i != target) merged = mask_union(merged, rle_decode(list[i].mask));
    }
    for (int i = 0; i < int(list.size()); ++i) {
        bool sel = std::find(selected_.begin(), selected_.end(), list[i].id) != selected_.end();
        if (!sel || i == target) out.push_back(list[i]);
    }
    int64_t id = list[target].id;
    for (Instance& inst : out) {
        if (inst.id != id) continue;
        inst.mask = rle_encode(merged);
        inst.score = 1.0f;
        inst.modified_ms = now_ms();
    }
    doc_->edit_instances(rec->id, std::move(out), tr("Merge %1 instances").arg(selected_.size()));
    set_selection({id});
}

void MainWindow::subtract_selected() {
    const ImageRecord* rec = current_record();
    if (!rec || selected_.size() < 2) {
        statusBar()->showMessage(tr("Select two or more instances: the top-most one is cut out of the others."), 4000);
        return;
    }
    std::vector<Instance> list = rec->instances;
    int cutter = -1;
    for (int i = int(list.size()) - 1; i >= 0 && cutter < 0; --i)
        if (std::find(selected_.begin(), selected_.end(), list[i].id) != selected_.end()) cutter = i;
    Mask cut = rle_decode(list[cutter].mask);
    std::vector<Instance> out;
    for (int i = 0; i < int(list.size()); ++i) {
        Instance inst = list[i];
        bool sel = std::find(selected_.begin(), selected_.end(), inst.id) != selected_.end();
        if (sel && i != cutter) {
            Mask m = mask_subtract(rle_decode(inst.mask), cut);
            if (!m.any()) continue;  // nothing left of it
            inst.mask = rle_encode(m);
            inst.score = 1.0f;
            inst.modified_ms = now_ms();
        }
        out.push_back(std::move(inst));
    }
    doc_->edit_instances(rec->id, std::move(out), tr("Subtract"));
}

void MainWindow::raise_selected() { move_selected(+1); }
void MainWindow::lower_selected() { move_selected(-1); }

void MainWindow::move_selected(int step) {
    const ImageRecord* rec = current_record();
    if (!rec || selected_.empty()) return;
    std::vector<Instance> list = rec->instances;
    auto sel = [&](const Instance& i) { return std::find(selected_.begin(), selected_.end(), i.id) != selected_.end(); };
    bool moved = false;
    if (step > 0) {
        for (int i = int(list.size()) - 2; i >= 0; --i)
            if (sel(list[i]) && !sel(list[i + 1])) {
                std::swap(list[i], list[i + 1]);
                moved = true;
            }
    } else {
        for (int i = 1; i < int(list.size()); ++i)
            if (sel(list[i]) && !sel(list[i - 1])) {
                std::swap(list[i], list[i - 1]);
                moved = true;
            }
    }
    if (moved) doc_->edit_instances(rec->id, std::move(list), step > 0 ? tr("Bring forward") : tr("Send backward"));
}

void MainWindow::assign_category_to_selection() {
    const ImageRecord* rec = current_record();
    int cat = categories_->current_category();
    if (!rec || selected_.empty() || !cat) return;
    std::vector<Instance> list = rec->instances;
    for (Instance& inst : list)
        if (std::find(selected_.begin(), selected_.end(), inst.id) != selected_.end()) {
            inst.category_id = cat;
            inst.modified_ms = now_ms();
        }
    doc_->edit_instances(rec->id, std::move(list), tr("Change category"));
}

void MainWindow::toggle_visibility(int64_t id, bool visible) {
    const ImageRecord* rec = current_record();
    if (!rec) return;
    std::vector<Instance> list = rec->instances;
    for (Instance& inst : list)
        if (inst.id == id) inst.visible = visible;
    doc_->edit_instances(rec->id, std::move(list), visible ? tr("Show instance") : tr("Hide instance"));
}

void MainWindow::instance_context_menu(const QPoint& global_pos) {
    if (selected_.empty()) return;
    QMenu menu(this);
    QMenu* cat_menu = menu.addMenu(tr("Set category"));
    for (const Category& c : doc_->project().categories) {
        QAction* a = cat_menu->addAction(color_swatch(to_qcolor(c.color)), qstr(c.name));
        int id = c.id;
        connect(a, &QAction::triggered, this, [this, id] {
            categories_->set_current_category(id);
            assign_category_to_selection();
        });
    }
    menu.addActions({actions_["mergeInstances"], actions_["subtractInstances"], actions_["raiseInstance"],
                     actions_["lowerInstance"], actions_["deleteInstance"]});
    menu.exec(global_pos);
}

// Categories -----------------------------------------------------------------------------------

void MainWindow::add_category() {
    if (!doc_->is_open()) return;
    bool ok = false;
    QString name = QInputDialog::getText(this, tr("Add category"), tr("Name:"), QLineEdit::Normal, QString(), &ok).trimmed();
    if (!ok || name.isEmpty()) return;
    if (doc_->project().find_category(name.toStdString())) {
        notify(1, tr("There is already a category named \"%1\".").arg(name));
        return;
    }
    std::vector<Category> before = doc_->project().categories;
    Category c = doc_->project().add_category(name.toStdString());  // takes the next id and palette colour
    doc_->project().categories = before;
    EditState after;
    after.categories = before;
    after.categories->push_back(c);
    doc_->edit(std::move(after), tr("Add category %1").arg(name));
    categories_->set_current_category(c.id);
}

void MainWindow::rename_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    bool ok = false;
    QString name = QInputDialog::getText(this, tr("Rename category"), tr("Name:"), QLineEdit::Normal, qstr(c->name), &ok).trimmed();
    if (!ok || name.isEmpty() || name == qstr(c->name)) return;
    const Category* other = doc_->project().find_category(name.toStdString());
    if (other && other->id != id) {
        notify(1, tr("There is already a category named \"%1\".").arg(name));
        return;
    }
    EditState after;
    after.categories = doc_->project().categories;
    for (Category& k : *after.categories)
        if (k.id == id) k.name = name.toStdString();
    doc_->edit(std::move(after), tr("Rename category"));
}

void MainWindow::recolor_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    QColor color = QColorDialog::getColor(to_qcolor(c->color), this, tr("Colour of %1").arg(qstr(c->name)));
    if (!color.isValid()) return;
    EditState after;
    after.categories = doc_->project().categories;
    for (Category& k : *after.categories)
        if (k.id == id) k.color = to_rgb(color);
    doc_->edit(std::move(after), tr("Recolour category"));
}

void MainWindow::delete_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    int uses = 0, images = 0;
    for (const ImageRecord& r : doc_->project().images) {
        int n = 0;
        for (const Instance& inst : r.instances) n += inst.category_id == id;
        uses += n;
        images += n > 0;
    }
    auto answer = QMessageBox::question(
        this, tr("Delete category"),
        uses ? tr("Delete the category \"%1\" and its %2 instances on %3 images?\n(Undo brings them back.)").arg(qstr(c->name)).arg(uses).arg(images)
             : tr("Delete the category \"%1\"? No instance uses it.").arg(qstr(c->name)),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return;
    EditState after;
    after.categories = doc_->project().categories;
    after.categories->erase(std::remove_if(after.categories->begin(), after.categories->end(),
                                           [id](const Category& k) { return k.id == id; }),
                            after.categories->end());
    for (const ImageRecord& r : doc_->project().images) {
        bool touched = false;
        std::vector<Instance> keep;
        for (const Instance& inst : r.instances) {
            if (inst.category_id == id) touched = true;
            else keep.push_back(inst);
        }
        if (touched) after.instances[r.id] = std::move(keep);
    }
    doc_->edit(std::move(after), tr("Delete category"));
}

void MainWindow::choose_category(int digit) {
    categories_->select_by_index(digit - 1);
    const Category* c = doc_->project().find_category(categories_->current_category());
    if (c) statusBar()->showMessage(tr("Category: %1").arg(qstr(c->name)), 2500);
}

// Files, export, misc --------------------------------------------------------------------------

void MainWindow::open_folder_dialog() {
    QSettings s;
    QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of images"), s.value("files/last_folder").toString());
    if (dir.isEmpty()) return;
    s.setValue("files/last_folder", dir);
    open_folder(dir);
}

void MainWindow::open_project_dialog() {
    QString file = QFileDialog::getOpenFileName(this, tr("Open a project"), QSettings().value("files/last_folder").toString(),
                                                tr("X-SAM Studio projects (*.json)"));
    if (!file.isEmpty()) open_project(file);
}

void MainWindow::save_project_as_dialog() {
    if (!doc_->is_open()) return;
    QString file = QFileDialog::getSaveFileName(this, tr("Save project as"), doc_->path(), tr("X-SAM Studio projects (*.json)"));
    if (file.isEmpty()) return;
    doc_->save_as(file);
    if (doc_->last_save_error().isEmpty()) notify(0, tr("The project is now saved in %1.").arg(file));
}

bool MainWindow::export_coco(const QString& path, bool polygons, QString* summary) {
    if (!doc_->is_open()) {
        *summary = tr("No project is open.");
        return false;
    }
    CocoExportResult result = export_coco_file(doc_->full_project(), path, polygons);
    *summary = result.summary;
    return result.ok;
}

void MainWindow::export_dialog() {
    if (!doc_->is_open()) return;
    QDialog dlg(this);
    dlg.setWindowTitle(tr("Export COCO"));
    auto* form = new QFormLayout(&dlg);
    auto* path_row = new QHBoxLayout;
    auto* path_edit = new QLineEdit(QFileInfo(doc_->path()).absolutePath() + "/annotations.coco.json", &dlg);
    path_edit->setMinimumWidth(380);
    auto* browse = new QPushButton(tr("Browse…"), &dlg);
    path_row->addWidget(path_edit);
    path_row->addWidget(browse);
    form->addRow(tr("File:"), path_row);
    auto* rle = new QRadioButton(tr("RLE (exact, keeps holes)"), &dlg);
    auto* poly = new QRadioButton(tr("Polygons (holes are lost; masks with holes stay RLE)"), &dlg);
    rle->setChecked(true);
    form->addRow(tr("Segmentation:"), rle);
    form->addRow(QString(), poly);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    connect(browse, &QPushButton::clicked, &dlg, [&] {
        QString f = QFileDialog::getSaveFileName(&dlg, tr("Export COCO"), path_edit->text(), tr("COCO JSON (*.json)"));
        if (!f.isEmpty()) path_edit->setText(f);
    });
    if (dlg.exec() != QDialog::Accepted) return;
    start_export(path_edit->text(), poly->isChecked());
}

bool MainWindow::start_export(const QString& path, bool polygons) {
    if (!doc_->is_open() || export_progress_) return false;
    // The writer runs on a worker thread with a snapshot of the project; the GUI stays responsive.
    // Progress and the cancel flag are shared through atomics; Cancel makes the writer stop at the
    // next image and write nothing.
    auto snapshot = std::make_shared<Project>(doc_->full_project());  // full resolution
    const int total = int(snapshot->images.size());
    auto done = std::make_shared<std::atomic<int>>(0);
    auto cancel = std::make_shared<std::atomic<bool>>(false);

    auto* dlg = new QProgressDialog(tr("Exporting %1 images to %2…").arg(total).arg(QFileInfo(path).fileName()),
                                    tr("Cancel"), 0, std::max(total, 1), this);
    dlg->setObjectName("exportProgress");
    auto* bar = new QProgressBar(dlg);
    bar->setFormat(tr("%v of %m images (%p%)"));
    bar->setTextVisible(true);
    bar->setAlignment(Qt::AlignCenter);
    dlg->setBar(bar);
    dlg->setRange(0, std::max(total, 1));  // after setBar: the new bar has its own range
    dlg->setWindowTitle(tr("COCO export"));
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(0);
    dlg->setAutoClose(false);
    dlg->setAutoReset(false);
    dlg->setMinimumWidth(420);
    dlg->setValue(0);
    export_progress_ = dlg;
    connect(dlg, &QProgressDialog::canceled, this, [dlg, cancel] {
        cancel->store(true);
        dlg->setLabelText(tr("Cancelling…"));
    });
    auto* ticker = new QTimer(dlg);
    connect(ticker, &QTimer::timeout, dlg, [dlg, done] {
        if (!dlg->wasCanceled()) dlg->setValue(done->load());
    });
    ticker->start(50);
    dlg->show();

    auto* watcher = new QFutureWatcher<CocoExportResult>(this);
    connect(watcher, &QFutureWatcher<CocoExportResult>::finished, this, [this, watcher, dlg, path] {
        watcher->deleteLater();
        export_progress_ = nullptr;
        dlg->hide();
        dlg->deleteLater();
        const CocoExportResult r = watcher->result();
        QString message;
        if (r.cancelled) {
            message = tr("Export cancelled; nothing was written.");
            notify(1, message);
        } else if (r.ok) {
            message = tr("Wrote %1\n\n%2").arg(path, r.summary);
            auto* box = new QMessageBox(QMessageBox::Information, tr("COCO export"), message, QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();  // not exec(): nothing waits on it
        } else {
            message = tr("Export failed: %1").arg(r.summary);
            notify(2, message);
        }
        Q_EMIT export_finished(r.ok, r.cancelled, message);
    });
    watcher->setFuture(QtConcurrent::run([snapshot, path, polygons, done, cancel] {
        return export_coco_file(*snapshot, path, polygons, [done, cancel](int d, int) {
            done->store(d);
            return !cancel->load();
        });
    }));
    return true;
}

void MainWindow::show_help() { help_->toggle(); }

void MainWindow::undo() {
    if (text_edit_->hasFocus()) {
        text_edit_->undo();
        return;
    }
    clear_prompts();
    doc_->undo_stack()->undo();
    statusBar()->showMessage(tr("Undone"), 1500);
}

void MainWindow::redo() {
    if (text_edit_->hasFocus()) {
        text_edit_->redo();
        return;
    }
    clear_prompts();
    doc_->undo_stack()->redo();
    statusBar()->showMessage(tr("Redone"), 1500);
}

void MainWindow::set_opacity(int percent) {
    OverlayStyle s = canvas_->overlay_style();
    s.opacity = percent / 100.0;
    canvas_->set_overlay_style(s);
}

void MainWindow::toggle_outlines() {
    OverlayStyle s = canvas_->overlay_style();
    s.outlines = actions_["toggleOutlines"]->isChecked();
    canvas_->set_overlay_style(s);
}

void MainWindow::brush_bigger() {
    brush_size_->setValue(int(std::ceil(canvas_->brush_radius() * 1.25)));
    statusBar()->showMessage(tr("Brush radius %1 px").arg(canvas_->brush_radius()), 1500);
}

void MainWindow::brush_smaller() {
    brush_size_->setValue(int(std::floor(canvas_->brush_radius() / 1.25)));
    statusBar()->showMessage(tr("Brush radius %1 px").arg(canvas_->brush_radius()), 1500);
}

void MainWindow::zoom_fit() { canvas_->fit(); }
void MainWindow::zoom_actual() { canvas_->actual_size(); }
void MainWindow::zoom_in() { canvas_->zoom_by(1.25, QPointF(canvas_->width() / 2.0, canvas_->height() / 2.0)); }
void MainWindow::zoom_out() { canvas_->zoom_by(0.8, QPointF(canvas_->width() / 2.0, canvas_->height() / 2.0)); }

void MainWindow::focus_text_prompt() {
    text_edit_->setFocus();
    text_edit_->selectAll();
}

void MainWindow::select_tool(Tool tool) {
    canvas_->set_tool(tool);
    const char* names[] = {"toolSelect", "toolPrompt", "toolScribble", "toolBrush", "toolEraser"};
    actions_[names[int(tool)]]->setChecked(true);
    canvas_->setFocus();
}

void MainWindow::on_save_failed(const QString& message) {
    notify(2, tr("Cannot save the project: %1\nYour work is kept in memory. Choose another place to save it.").arg(message));
    notice_->show_notice(NoticeBar::Level::Error,
                         tr("Cannot save the project: %1\nYour work is kept in memory; choose another place to save it.").arg(message),
                         {{tr("Save Project As…"), [this] { save_project_as_dialog(); }}});
}

void MainWindow::on_changed_on_disk() {
    notice_->show_notice(
        NoticeBar::Level::Warning,
        tr("The project file %1 was changed by another program.").arg(doc_->path()),
        {{tr("Reload it"), [this] {
              // Keep our version beside it, then load theirs.
              QString backup = doc_->path() + ".mine-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss") + ".json";
              try {
                  atomic_write_file(backup.toStdString(), project_to_json(doc_->full_project()));
              } catch (const std::exception& e) {
                  notify(2, tr("Could not keep a copy of your version: %1; nothing was reloaded.").arg(QString::fromStdString(e.what())));
                  return;
              }
              QString path = doc_->path();
              int index = current_;
              Project theirs;
              try {
                  theirs = load_project(path.toStdString());
              } catch (const std::exception& e) {
                  notify(2, tr("Could not read the changed file: %1").arg(QString::fromStdString(e.what())));
                  return;
              }
              doc_->open(std::move(theirs), path);
              refresh_categories();
              if (index >= 0) show_image(index);
              notify(0, tr("Reloaded. Your previous version is kept in %1.").arg(backup));
          }},
         {tr("Keep mine"), [this] {
              QString backup = doc_->path() + ".theirs-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss") + ".json";
              QFile::copy(doc_->path(), backup);
              doc_->keep_mine();  // writes ours again
              notify(0, tr("Kept your version. The other one is saved as %1.").arg(backup));
          }}});
}

void MainWindow::notify(int level, const QString& text) {
    notice_->show_notice(level == 2 ? NoticeBar::Level::Error : level == 1 ? NoticeBar::Level::Warning : NoticeBar::Level::Info, text);
}

void MainWindow::show_progress(const QString& text, int value, int maximum, std::function<void()> cancel) {
    progress_->setRange(0, maximum);
    progress_->setValue(value);
    progress_->setFormat(text);
    progress_->show();
    progress_cancel_fn_ = std::move(cancel);
    progress_cancel_->setVisible(bool(progress_cancel_fn_));
}

void MainWindow::hide_progress() {
    progress_->hide();
    progress_cancel_->hide();
    progress_cancel_fn_ = nullptr;
}

}  // namespace xs
