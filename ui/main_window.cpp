#include "ui/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

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
#include "ui/project_opener.h"
#include "ui/prompt_bar.h"
#include "ui/qt_convert.h"
#include "ui/session_view.h"
#include "ui/shortcuts_dialog.h"
#include "ui/shown_image.h"
#include "ui/status_view.h"
#include "ui/tools/tools.h"
#include "ui/theme.h"
#include "ui/widgets.h"

namespace xs {

namespace {

const ActionRow& row_named(const char* name) {
    for (const ActionRow& row : action_rows())
        if (QLatin1String(row.name) == QLatin1String(name)) return row;
    qFatal("no action row '%s'", name);
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName("mainWindow");
    doc_ = new Document(this);
    engines_ = new EngineController(this);
    session_ = new PromptSession(engines_, this);
    editor_ = new AnnotationEditor(doc_, this);
    exporter_ = new ExportController(doc_, this);
    importer_ = new ImportController(doc_, this);
    build_central();
    build_docks();
    status_ = new StatusView(statusBar());
    actions_ = std::make_unique<ActionTable>(this, handlers(), [this](const ActionRow& row) { select_tool(row); });
    actions_->fill_menus(menuBar());
    build_tool_bars();
    session_view_ = new SessionView(session_, editor_,
                                    {canvas_, candidates_, candidates_dock_, caption_, caption_dock_, statusBar()}, this);
    annotation_view_ = new AnnotationView(doc_, editor_, canvas_, instances_, categories_, attributes_, this);
    annotation_view_->set_menu_actions({action("mergeInstances"), action("subtractInstances"), action("raiseInstance"),
                                        action("lowerInstance"), action("deleteInstance"), action("editReferring")});
    engine_view_ = new EngineView(engines_, engine_panel_, status_, this);
    hover_ = new HoverPreview(canvas_, session_, engines_, *actions_, this);
    shown_ = new ShownImage({doc_, browser_, engines_, session_, editor_, annotation_view_, canvas_, notice_, status_, statusBar()}, this);
    help_->set_sections(actions_->help_sections(),
                        {tr("1 … 9 choose a category.   Wheel: zoom.   Middle drag or Space + drag: pan."),
                         tr("Ctrl + click: select an instance in any tool; Ctrl/Shift + click adds to the selection."),
                         tr("Polygon (L): click vertices, Enter or the first vertex closes, Backspace undoes a vertex, Esc cancels."),
                         tr("Edit vertices (Shift+E): drag vertices (Shift+click or a rubber band picks several),"),
                         tr("    double-click an edge to insert one, Del removes; Enter applies, Esc discards."),
                         tr("Candidates: click one on the image to make it current; Enter or Y accepts, N rejects, Esc rejects all."),
                         tr("Every change is saved automatically. Click or press Esc to close this help.")});
    wire_document();
    wire_engine();
    wire_session();
    wire_editor();
    wire_panels();
    wire_review();
    restore_settings();
    select_tool(row_named("toolPrompt"));
    action("accept")->setEnabled(false);  // until there is a preview
    update_capabilities();
    update_window_title();
}

MainWindow::~MainWindow() {
    // The parts outlive this destructor's body (they are children); nothing they say on their way
    // out may reach the half-destroyed window.
    for (QObject* part : std::initializer_list<QObject*>{doc_, doc_->undo_stack(), engines_, engines_->worker(), session_,
                                                         editor_, exporter_, browser_, canvas_, files_, filter_bar_, categories_,
                                                         instances_, engine_panel_, candidates_, caption_, inspector_,
                                                         inspector_dock_, display_, display_dock_, status_, session_view_,
                                                         engine_view_, shown_})
        disconnect(part, nullptr, this, nullptr);
    doc_->flush();
}

// Layout -----------------------------------------------------------------------------------------

ActionTable::Handlers MainWindow::handlers() {
    ActionTable::Handlers h = {
        {"openFolder", [this] { open_folder_dialog(); }},
        {"openProject", [this] { open_project_dialog(); }},
        {"saveAs", [this] { save_project_as_dialog(); }},
        {"exportCoco", [this] { exporter_->export_dialog(); }},
        {"exportAs", [this] { exporter_->export_as_dialog(); }},
        {"importData", [this] { importer_->import_dialog(); }},
        {"quit", [this] { close(); }},
        {"accept", [this] { accept(); }},
        {"discard", [this] { discard(); }},
        {"undo", [this] { undo(); }},
        {"redo", [this] { redo(); }},
        {"deleteInstance", [this] { if (!prompt_bar_->text_edit()->hasFocus()) editor_->delete_selected(); }},
        {"mergeInstances", [this] { editor_->merge(); }},
        {"subtractInstances", [this] { editor_->subtract(); }},
        {"raiseInstance", [this] { editor_->move(+1); }},
        {"lowerInstance", [this] { editor_->move(-1); }},
        {"assignCategory", [this] { editor_->apply_current_category(); }},
        {"addCategory", [this] { editor_->add_category(); }},
        {"toggleCrowd", [this] { editor_->toggle_flag(kAttrCrowd); }},
        {"toggleOccluded", [this] { editor_->toggle_flag(kAttrOccluded); }},
        {"toggleTruncated", [this] { editor_->toggle_flag(kAttrTruncated); }},
        {"editReferring", [this] { if (!prompt_bar_->text_edit()->hasFocus()) editor_->edit_referring(); }},
        {"nextImage", [this] { browser_->next(); }},
        {"prevImage", [this] { browser_->prev(); }},
        {"nextUnfinished", [this] { next_unfinished(); }},
        {"findImages", [this] { filter_bar_->focus_name(); }},
        {"toggleThumbnails", [this] { browser_->set_thumbnails_shown(action("toggleThumbnails")->isChecked()); }},
        {"statusTodo", [this] { set_review_status(ReviewStatus::todo); }},
        {"statusInProgress", [this] { set_review_status(ReviewStatus::in_progress); }},
        {"statusDone", [this] { set_review_status(ReviewStatus::done); }},
        {"statusNeedsReview", [this] { set_review_status(ReviewStatus::needs_review); }},
        {"addTag", [this] { filter_bar_->focus_tag(); }},
        {"removeTag", [this] { filter_bar_->remove_typed_tag(); }},
        {"zoomFit", [this] { canvas_->fit(); }},
        {"zoomActual", [this] { canvas_->actual_size(); }},
        {"zoomIn", [this] { zoom(1.25); }},
        {"zoomOut", [this] { zoom(0.8); }},
        {"toggleOutlines", [this] {
             OverlayStyle s = canvas_->overlay_style();
             s.outlines = action("toggleOutlines")->isChecked();
             canvas_->set_overlay_style(s);
         }},
        {"editVertices", [this] { edit_vertices(); }},
        {"brushBigger", [this] { brush_size(1.25); }},
        {"brushSmaller", [this] { brush_size(0.8); }},
        {"focusText", [this] { prompt_bar_->focus_text(); }},
        {"engineSettings", [this] { open_engine_settings(); }},
        {"findSimilar", [this] { find_similar(); }},
        {"acceptCandidate", [this] { session_view_->accept_candidate(-1); }},
        {"rejectCandidate", [this] { session_view_->reject_candidate(-1); }},
        {"acceptAllCandidates", [this] { session_view_->accept_all_candidates(); }},
        {"rejectAllCandidates", [this] { session_view_->reject_all_candidates(); }},
        {"toggleDisplayPanel", [this] { display_dock_->setVisible(!display_dock_->isVisible()); }},
        {"resetDisplay", [this] {
             display_->reset();
             statusBar()->showMessage(tr("Display adjustments reset"), 1500);
         }},
        {"themeSystem", [this] { set_theme(theme_name(Theme::System)); }},
        {"themeLight", [this] { set_theme(theme_name(Theme::Light)); }},
        {"themeDark", [this] { set_theme(theme_name(Theme::Dark)); }},
        {"toggleInspector", [this] { toggle_inspector(); }},
        {"help", [this] { help_->toggle(); }},
        {"shortcutSettings", [this] { open_shortcuts_dialog(); }},
    };
    for (HoverMode m : kHoverModes) h.insert(hover_mode_action(m), [this, m] { hover_->set_mode(m); });
    for (int d = 1; d <= 9; ++d) h.insert(QStringLiteral("category%1").arg(d), [this, d] { choose_category(d); });
    return h;
}

// Wiring -----------------------------------------------------------------------------------------

void MainWindow::wire_document() {
    connect(doc_, &Document::instances_changed, this, [this](const ImageKey& key) {
        if (shown_->ready() && key == shown_->key()) annotation_view_->refresh(shown_->record());
        browser_->refresh_item(key);
    });
    connect(doc_, &Document::categories_changed, this, [this] {
        categories_->set_categories(doc_->project().categories);
        annotation_view_->refresh(shown_->record());
    });
    connect(doc_, &Document::save_failed, this, &MainWindow::on_save_failed);
    connect(doc_, &Document::save_recovered, this, [this] {
        if (notice_->level() == NoticeBar::Level::Error) notice_->hide();
        statusBar()->showMessage(tr("Project saved to %1").arg(doc_->path()), 4000);
    });
    connect(doc_, &Document::changed_on_disk, this, [this] { on_changed_on_disk(QString()); });
    connect(doc_, &Document::edit_refused, this, [this](const QString& why) { notify(1, why); });
    connect(exporter_, &ExportController::finished, this, [this](bool ok, bool cancelled, const QString& message) {
        if (!ok) notify(cancelled ? 1 : 2, message);
        Q_EMIT export_finished(ok, cancelled, message);
    });
    connect(importer_, &ImportController::finished, this, [this](bool ok, bool cancelled, const QString& message) {
        if (!ok) notify(cancelled ? 1 : 2, message.section('\n', 0, 0));
        Q_EMIT import_finished(ok, cancelled, message);
    });
    connect(doc_, &Document::image_file_changed, this, [this](const QString&, const QString& message) { notify(1, message); });
    // Undo and redo are enabled only when they would do something; their tooltips say what.
    QUndoStack* stack = doc_->undo_stack();
    auto update_undo = [this, stack] {
        action("undo")->setEnabled(stack->canUndo());
        action("redo")->setEnabled(stack->canRedo());
        auto key = [this](const char* name) { return action(name)->shortcut().toString(QKeySequence::NativeText); };  // as changed
        action("undo")->setToolTip(stack->canUndo() ? tr("Undo %1 (%2)").arg(stack->undoText(), key("undo")) : tr("Nothing to undo"));
        action("redo")->setToolTip(stack->canRedo() ? tr("Redo %1 (%2)").arg(stack->redoText(), key("redo")) : tr("Nothing to redo"));
        update_window_title();
    };
    connect(stack, &QUndoStack::indexChanged, this, update_undo);
    connect(stack, &QUndoStack::cleanChanged, this, update_undo);
    update_undo();
}

void MainWindow::wire_engine() {
    connect(shown_, &ShownImage::changed, this, [this](int index) {
        update_window_title();
        Q_EMIT image_shown(index);
    });
    connect(engines_, &EngineController::load_started, session_, &PromptSession::clear);
    connect(engines_, &EngineController::state_changed, this, &MainWindow::engine_state_changed);
    connect(engines_, &EngineController::notice, this, &MainWindow::notify);
}

void MainWindow::wire_session() {
    session_->set_existing_masks([this] { return editor_->all_masks(); });
    // Enter accepts the preview, or else the current candidate.
    auto update_accept = [this] { action("accept")->setEnabled(!session_->preview().empty() || !session_->candidates().empty()); };
    connect(session_view_, &SessionView::preview_changed, this, [this, update_accept] {
        update_accept();
        Q_EMIT preview_changed();
    });
    connect(session_, &PromptSession::candidates_changed, this, update_accept);
    connect(session_, &PromptSession::answered, this, [this](const SegmentAnswer& answer, double round_trip_ms) {
        if (answer.result.inspection) inspector_->set_inspection(answer.result.inspection, answer.prepare_timings, round_trip_ms);
        engine_view_->show_answer(answer, round_trip_ms);
    });
    connect(session_, &PromptSession::refiltered, inspector_, &InspectorPanel::show_refiltered);
    connect(session_, &PromptSession::message, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
    connect(session_, &PromptSession::problem, this, &MainWindow::notify);
    connect(canvas_, &ImageCanvas::gesture, this, &MainWindow::handle_gesture);
    connect(canvas_, &ImageCanvas::cursor_moved, this, [this](QPointF p) { status_->set_cursor(p, canvas_->image_size()); });
    connect(canvas_, &ImageCanvas::zoom_changed, status_, &StatusView::set_zoom);
}

void MainWindow::wire_editor() {
    connect(editor_, &AnnotationEditor::category_made, this, [this](int id) {
        categories_->set_categories(doc_->project().categories);
        categories_->set_current_category(id);
    });
    connect(editor_, &AnnotationEditor::message, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
    connect(editor_, &AnnotationEditor::notice, this, &MainWindow::notify);
}

void MainWindow::wire_panels() {
    connect(categories_, &CategoryPanel::current_changed, editor_, &AnnotationEditor::set_current_category);
    connect(categories_, &CategoryPanel::add_requested, editor_, &AnnotationEditor::add_category);
    connect(categories_, &CategoryPanel::rename_requested, editor_, &AnnotationEditor::rename_category);
    connect(categories_, &CategoryPanel::recolor_requested, editor_, &AnnotationEditor::recolor_category);
    connect(categories_, &CategoryPanel::delete_requested, editor_, &AnnotationEditor::delete_category);
    connect(categories_, &CategoryPanel::attributes_requested, editor_, &AnnotationEditor::edit_attribute_declarations);
    connect(attributes_, &AttributePanel::declarations_requested, editor_, &AnnotationEditor::edit_attribute_declarations);
    connect(engine_panel_, &EnginePanel::settings_requested, this, &MainWindow::open_engine_settings);
    connect(inspector_, &InspectorPanel::refilter_requested, session_, &PromptSession::refilter);
    connect(inspector_, &InspectorPanel::thresholds_changed, this, [this](float score, float mask) {
        session_->set_thresholds(score, mask);
        QSettings s;
        s.setValue("inspector/score_threshold", score);
        s.setValue("inspector/mask_threshold", mask);
    });
    connect(inspector_dock_, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        action("toggleInspector")->setChecked(visible);
        if (visible && !inspector_dock_->isFloating()) resizeDocks({inspector_dock_}, {360}, Qt::Vertical);
    });
    connect(prompt_bar_, &PromptBar::run_requested, this, &MainWindow::run_text_task);
    connect(display_, &DisplayPanel::changed, canvas_, &ImageCanvas::set_display_adjustment);
    connect(display_, &DisplayPanel::engine_adjustment_changed, shown_, &ShownImage::set_engine_adjustment);
    connect(display_dock_, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        action("toggleDisplayPanel")->setChecked(visible);
        // Room for every row: the right-hand docks share the height.
        if (visible && !display_dock_->isFloating()) resizeDocks({display_dock_}, {display_->sizeHint().height() + 40}, Qt::Vertical);
    });
}

// Images -----------------------------------------------------------------------------------------

void MainWindow::show_image(int index) { browser_->show(index); }
int MainWindow::current_index() const { return browser_->current(); }
int MainWindow::image_count() const { return browser_->count(); }
bool MainWindow::scanning() const { return browser_->scanning(); }
bool MainWindow::image_ready() const { return shown_->ready(); }
const ImageRecord* MainWindow::current_record() const { return shown_->record(); }

// Actions ----------------------------------------------------------------------------------------

void MainWindow::handle_gesture(const Gesture& g) {
    const QPointF at = g.points.empty() ? QPointF() : g.points.front();
    switch (g.kind) {
        case Gesture::Kind::Point:
            if (g.positive && session_view_->pick_candidate(at)) return;  // a click on a candidate picks it
            return session_->add_point(at, g.positive);
        case Gesture::Kind::Box: return session_->add_box(QRectF(at, g.points.back()));
        case Gesture::Kind::Scribble: return session_->add_scribble(g.points, g.positive);
        case Gesture::Kind::Select: return editor_->select(canvas_->instance_at(at), g.positive);
        case Gesture::Kind::Stroke: {
            const ImageRecord* rec = current_record();
            if (!rec) return;
            Mask stroke(rec->width, rec->height);
            paint_stroke(stroke, g.points, canvas_->brush_radius(), true);
            return editor_->stroke(stroke, !g.positive);
        }
        case Gesture::Kind::Polygon: return editor_->add_polygon(g.points);
        case Gesture::Kind::Vertices: return vertex_editing_done(g);
    }
}

void MainWindow::edit_vertices() {
    if (!shown_->ready()) return;
    canvas_->finish_tool();  // a vertex edit in progress is applied first, so the outline below is current
    int64_t id = 0;
    PolygonShapes shapes;
    RoundTripLoss loss;
    const double tolerance = vertex_tolerance_->value();
    if (!editor_->selected_shapes(tolerance, &id, &shapes, &loss)) return;
    if (loss.total() > 0)
        notify(1, tr("This mask has %1 px that polygons lose at a tolerance of %2 px (%3 px left out, %4 px added); "
                     "applying the edit changes them too. Esc discards the edit; tolerance 0 keeps every pixel.")
                      .arg(loss.total()).arg(tolerance).arg(loss.lost).arg(loss.added));
    const QString previous = canvas_->tool_name() == "editVertices" ? tool_before_vertices_ : canvas_->tool_name();
    canvas_->set_tool(make_vertex_edit_tool({current_record()->file_name, id, std::move(shapes)}), "editVertices");
    tool_before_vertices_ = previous;
    ++vertex_session_;
    annotation_view_->set_edited_instance(id);
    canvas_->setFocus();
    statusBar()->showMessage(canvas_->tool()->help(), 10000);
}

void MainWindow::vertex_editing_done(const Gesture& g) {
    annotation_view_->set_edited_instance(0);
    if (notice_->isVisible() && notice_->text().contains(tr("px that polygons lose"))) notice_->hide();
    statusBar()->showMessage(g.positive ? tr("Vertex edit applied.") : tr("Vertex edit discarded."), 3000);
    if (g.positive) editor_->set_shapes(g.image, g.instance, g.shapes);
    // Back to the tool used before, unless another tool or another vertex edit was chosen meanwhile (the
    // finished tool is still running this call, so it is put away afterwards).
    const int session = vertex_session_;
    QTimer::singleShot(0, this, [this, session] {
        if (session == vertex_session_ && canvas_->tool_name() == "editVertices")
            select_tool(row_named(tool_before_vertices_.toLatin1().constData()));
    });
}

void MainWindow::select_tool(const ActionRow& row) {
    canvas_->set_tool(row.tool(), row.name);
    actions_->check_tool(row.name);
    canvas_->setFocus();
}

void MainWindow::accept() {
    if (prompt_bar_->text_edit()->hasFocus()) return run_text_task(prompt_bar_->task(), prompt_bar_->text());
    if (session_->preview().empty() && !session_->candidates().empty()) return session_view_->accept_candidate(-1);
    if (!current_record()) return;
    if (doc_->read_only()) return notify(1, doc_->read_only_reason());  // the preview stays
    if (session_->preview().empty()) {
        statusBar()->showMessage(session_->pending() ? tr("Still waiting for the engine's answer.")
                                                     : tr("Nothing to accept: click an object first."), 4000);
        return;
    }
    const bool use_labels = session_->task() != Task::Interactive;
    const std::string source = session_->preview_source().toStdString();
    // The prompt, and a grounded caption's text, go with the instances (taking the preview clears them).
    const SegmentRequest request = session_->answered_request();
    std::string caption;
    Provenance from;
    from.request = &request;
    if (session_->task() == Task::GroundedCaption && session_->last_answer()) {
        caption = session_->last_answer()->result.text;
        from.caption_text = &caption;
    }
    const std::vector<InstanceResult> results = session_->take_preview();
    const int n = int(results.size());
    const std::vector<int64_t> ids = editor_->add_instances(
        results, source, use_labels, n == 1 ? tr("Accept mask") : tr("Accept %1 masks").arg(n), from);
    statusBar()->showMessage(tr("Accepted %1 instance(s). Ctrl+Z undoes.").arg(n), 4000);
    editor_->set_selection(ids);
}

void MainWindow::discard() {
    if (help_->isVisible()) return help_->hide();
    const bool had = session_->has_work();
    // Esc over candidates rejects them all (kept in their find-all episode), like Shift+N.
    if (!session_->candidates().empty()) session_view_->reject_all_candidates();
    session_->clear();
    if (!had) editor_->set_selection({});
}

void MainWindow::undo() {
    if (prompt_bar_->text_edit()->hasFocus()) return prompt_bar_->text_edit()->undo();
    if (canvas_->tool_name() == "editVertices") canvas_->finish_tool();  // applied, so undo has it to undo
    session_->clear();
    doc_->undo_stack()->undo();
    statusBar()->showMessage(tr("Undone"), 1500);
}

void MainWindow::redo() {
    if (prompt_bar_->text_edit()->hasFocus()) return prompt_bar_->text_edit()->redo();
    if (canvas_->tool_name() == "editVertices") canvas_->finish_tool();
    session_->clear();
    doc_->undo_stack()->redo();
    statusBar()->showMessage(tr("Redone"), 1500);
}

void MainWindow::run_text_task(Task task, const QString& text) {
    std::vector<std::string> project_categories;
    for (const Category& c : doc_->project().categories) project_categories.push_back(c.name);
    QString problem;
    if (!session_->run_task(task, text, project_categories, &problem) && !problem.isEmpty())
        statusBar()->showMessage(problem, 5000);
}

void MainWindow::find_similar() {
    if (!shown_->ready()) return;
    if (!action("findSimilar")->isEnabled()) return statusBar()->showMessage(action("findSimilar")->toolTip(), 6000);
    const Selection& sel = editor_->selection();
    const QString origin = sel.size() == 1 ? tr("instance #%1").arg(sel.front()) : tr("%1 selected instances").arg(sel.size());
    QString problem;
    if (!session_->find_similar(editor_->selected_masks(), origin, sel.size() == 1 ? sel.front() : 0, &problem))
        statusBar()->showMessage(problem, 6000);
}

void MainWindow::choose_category(int digit) {
    categories_->select_by_index(digit - 1);
    if (const Category* c = doc_->project().find_category(categories_->current_category()))
        statusBar()->showMessage(tr("Category: %1").arg(qstr(c->name)), 2500);
}

void MainWindow::zoom(double factor) { canvas_->zoom_by(factor, QPointF(canvas_->width() / 2.0, canvas_->height() / 2.0)); }

void MainWindow::brush_size(double factor) {
    const double r = canvas_->brush_radius() * factor;
    brush_size_->setValue(int(factor > 1 ? std::ceil(r) : std::floor(r)));
    statusBar()->showMessage(tr("Brush radius %1 px").arg(canvas_->brush_radius()), 1500);
}

void MainWindow::toggle_inspector() { inspector_dock_->setVisible(!inspector_dock_->isVisible()); }

ShortcutsDialog* MainWindow::shortcuts_dialog() const { return shortcuts_dialog_.data(); }

void MainWindow::open_shortcuts_dialog() {
    if (shortcuts_dialog_) return shortcuts_dialog_->raise();
    shortcuts_dialog_ = new ShortcutsDialog(actions_->keys(), this);
    shortcuts_dialog_->setAttribute(Qt::WA_DeleteOnClose);
    connect(shortcuts_dialog_, &QDialog::accepted, this, [this] {
        actions_->set_keys(shortcuts_dialog_->keys());
        QSettings s;
        actions_->save_keys(s);
        statusBar()->showMessage(tr("Shortcuts saved"), 2500);
    });
    shortcuts_dialog_->open();
}

void MainWindow::set_engine(const QString& name) { engines_->choose(name); }
bool MainWindow::cancel_engine_load() { return engines_->cancel_load(); }
void MainWindow::open_engine_settings() { engines_->open_settings(engine_panel_->engine_combo()->currentText()); }

bool MainWindow::export_coco(const QString& path, bool polygons, QString* summary) {
    return exporter_->export_now(path, polygons, summary);
}

bool MainWindow::start_export(const QString& path, bool polygons) { return exporter_->start_export(path, polygons); }
bool MainWindow::exporting() const { return exporter_->exporting(); }
QProgressDialog* MainWindow::export_progress_dialog() const { return exporter_->progress_dialog(); }
QProgressBar* MainWindow::progress_bar() { return status_->progress_bar(); }
QToolButton* MainWindow::progress_cancel_button() { return status_->cancel_button(); }
std::vector<int64_t> MainWindow::selected_instances() const { return editor_->selection(); }

// Engine state and answers -----------------------------------------------------------------------

void MainWindow::engine_state_changed() {
    if (engines_->ready()) {
        if (notice_->isVisible() && notice_->text().contains(tr("needs a model folder"))) notice_->hide();
        shown_->prepare_ahead();
        session_->resend();  // prompts placed while the engine was loading are answered now
    }
    update_capabilities();
}

// Enables exactly what the engine can do; a disabled control says why in its tooltip.
void MainWindow::update_capabilities() {
    const bool ready = engines_->ready();
    const QString engine = engines_->name().isEmpty() ? tr("no engine") : engines_->name();
    auto why = [ready, engine](const QString& what) {
        return ready ? tr("The %1 engine does not support %2.").arg(engine, what) : tr("The engine is not ready yet.");
    };
    actions_->update_needs(ready, engines_->info().capabilities, why);
    prompt_bar_->set_engine(ready, engines_->info().capabilities, why);
    QAction* tool = action(canvas_->tool_name());
    if (ready && tool && !tool->isEnabled()) select_tool(row_named("toolSelect"));
}

// Files, settings, notices, progress --------------------------------------------------------------

void MainWindow::update_window_title() {
    QString title = QStringLiteral("X-SAM Studio");
    if (doc_->is_open()) title = QFileInfo(doc_->image_root()).fileName() + QStringLiteral(" — ") + title;
    if (browser_->current() >= 0) title = display_name(browser_->current_key()) + QStringLiteral(" · ") + title;
    setWindowTitle(title);
}

void MainWindow::notify(int level, const QString& text) { notice_->notify(level, text); }

}  // namespace xs
