#pragma once
// The main window lays out and wires; the parts decide (README, "Architecture"):
//   ImageBrowser + ShownImage          the image list (scan, decode cache, neighbours) and what follows
//                                      when an image is current or decoded (ui/image_browser.h, shown_image.h)
//   PromptSession + SessionView        prompts, preview, candidates, caption, the last answer
//   AnnotationEditor + AnnotationView  selection and every edit as an undo step; the instance display
//   EngineController + EngineView      engine choice, loading, settings pages; the Engine panel and status
//   ExportController                   COCO export, Export as… (every format)
//   ImportController                   Import… (every format) as one undo step
//   ActionTable                        every action as a data row: menus, tool bar, shortcuts, help
//   ImageCanvas                        display, with one CanvasTool class per tool (ui/tools/)
//   HoverPreview                       what a click at the resting pointer would give, and its setting
//
// Layout: image list on the left, canvas in the middle (notice bar above it), categories, instances
// (candidates), engine (caption) panels on the right (the display adjustments float there when
// shown), the inspector below, tools and the text-prompt
// bar on top, engine status and progress in the status bar.
#include <QMainWindow>
#include <QPointer>
#include <functional>
#include <memory>

#include "ui/action_table.h"
#include "ui/document.h"
#include "ui/engine_controller.h"
#include "ui/image_canvas.h"
#include "ui/image_source.h"
#include "ui/project_opener.h"
#include "ui/prompt_session.h"

class QDockWidget;
class QDoubleSpinBox;
class QLabel;
class QListView;
class QProgressBar;
class QProgressDialog;
class QSlider;
class QSpinBox;
class QToolButton;

namespace xs {

class AnnotationEditor;
class AnnotationView;
class AttributePanel;
class CandidatesPanel;
class CaptionView;
class CategoryPanel;
class DisplayPanel;
class EnginePanel;
class EngineView;
class ExportController;
class ImportController;
class HelpOverlay;
class HoverPreview;
class ImageBrowser;
class ImageFilterBar;
class InspectorPanel;
class InstancePanel;
class NoticeBar;
class PromptBar;
class SessionView;
class ShortcutsDialog;
class ShownImage;
class StatusView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a folder of images; its project file is <folder>/xsam-project.json (created if needed).
    bool open_folder(const QString& folder);
    // Opens a project file; its images are found under the project's image_root.
    bool open_project(const QString& project_file);
    void set_engine(const QString& name);
    void show_image(int index);
    // COCO export on the calling thread (scripts and tests) or with a progress dialog (the GUI).
    bool export_coco(const QString& path, bool polygons, QString* summary);
    bool start_export(const QString& path, bool polygons);
    ExportController* exporter() { return exporter_; }  // every format (start_format_export)
    ImportController* importer() { return importer_; }
    bool cancel_engine_load();
    void open_engine_settings();  // of the engine chosen in the Engine panel
    void find_similar();

    // State for tests and scripting.
    Document* document() { return doc_; }
    ImageCanvas* canvas() { return canvas_; }
    QListView* file_list() { return files_; }
    ImageBrowser* image_browser() { return browser_; }
    ImageFilterBar* filter_bar() { return filter_bar_; }
    CategoryPanel* category_panel() { return categories_; }
    InstancePanel* instance_panel() { return instances_; }
    AttributePanel* attribute_panel() { return attributes_; }
    NoticeBar* notice_bar() { return notice_; }
    CandidatesPanel* candidates_panel() { return candidates_; }
    CaptionView* caption_view() { return caption_; }
    InspectorPanel* inspector() { return inspector_; }
    QDockWidget* inspector_dock() { return inspector_dock_; }
    DisplayPanel* display_panel() { return display_; }
    QDockWidget* display_dock() { return display_dock_; }
    ShortcutsDialog* shortcuts_dialog() const;  // while open
    void open_shortcuts_dialog();
    QProgressBar* progress_bar();
    QToolButton* progress_cancel_button();
    QProgressDialog* export_progress_dialog() const;
    EngineSettingsDialog* engine_settings_dialog() const { return engines_->settings_dialog(); }
    EngineWorker* engine_worker() { return engines_->worker(); }
    QAction* action(const QString& name) const { return actions_->action(name); }
    int current_index() const;
    int image_count() const;
    const ImageRecord* current_record() const;
    bool image_ready() const;
    bool scanning() const;
    bool exporting() const;
    bool engine_ready() const { return engines_->ready(); }
    bool engine_loading() const { return engines_->loading(); }
    const QString& engine_name() const { return engines_->name(); }
    int preview_count() const { return int(session_->preview().size()); }
    const std::vector<InstanceResult>& preview() const { return session_->preview(); }
    const std::vector<InstanceResult>& candidates() const { return session_->candidates(); }
    bool request_pending() const { return session_->pending(); }
    std::vector<InstanceResult> hover() const { return session_->hover(); }
    bool hover_pending() const { return session_->hover_pending(); }
    HoverPreview* hover_preview() const { return hover_; }
    Task last_task() const { return session_->task(); }
    std::vector<int64_t> selected_instances() const;

Q_SIGNALS:
    void image_shown(int index);
    void export_finished(bool ok, bool cancelled, const QString& message);
    void import_finished(bool ok, bool cancelled, const QString& message);
    void preview_changed();

protected:
    void closeEvent(QCloseEvent*) override;

private:
    // Layout.
    void build_central();
    void build_docks();
    QDockWidget* add_dock(QWidget* widget, const QString& title, const char* name, Qt::DockWidgetArea area);
    void build_tool_bars();
    ActionTable::Handlers handlers();
    // Wiring, one part each.
    void wire_document();
    void wire_engine();
    void wire_session();
    void wire_editor();
    void wire_panels();
    // The image list's review status, tags and filter (main_window_review.cpp).
    void wire_review();
    void set_review_status(ReviewStatus status);
    void edit_tag(const QString& tag, bool add);
    void next_unfinished();

    bool open_document(OpenedProject opened);

    // Actions.
    void handle_gesture(const Gesture& g);
    void edit_vertices();  // the selected instance's outline and holes become the vertex editor
    void vertex_editing_done(const Gesture& g);
    void select_tool(const ActionRow& row);
    void accept();
    void discard();
    void undo();
    void redo();
    void run_text_task(Task task, const QString& text);
    void choose_category(int digit);
    void zoom(double factor);
    void brush_size(double factor);
    void toggle_inspector();
    void set_theme(const QString& name);  // "system", "light", "dark"; stored

    // The engine's state: what can be done now.
    void engine_state_changed();
    void update_capabilities();

    // Files, settings, notices, progress.
    void open_folder_dialog();
    void open_project_dialog();
    void save_project_as_dialog();
    void restore_settings();
    void save_settings();
    void update_window_title();
    void on_save_failed(const QString& message);
    void on_changed_on_disk(const QString& problem);  // problem: why the last choice failed
    void offer_fallback(const FallbackCopy& copy);
    void notify(int level, const QString& text);

    Document* doc_;
    EngineController* engines_;
    PromptSession* session_;
    AnnotationEditor* editor_;
    ExportController* exporter_;
    ImportController* importer_;
    ImageBrowser* browser_ = nullptr;
    std::unique_ptr<ActionTable> actions_;

    ImageCanvas* canvas_;
    NoticeBar* notice_;
    HelpOverlay* help_;
    QListView* files_ = nullptr;
    ImageFilterBar* filter_bar_ = nullptr;
    CategoryPanel* categories_ = nullptr;
    InstancePanel* instances_ = nullptr;
    AttributePanel* attributes_ = nullptr;
    EnginePanel* engine_panel_ = nullptr;
    CandidatesPanel* candidates_ = nullptr;
    CaptionView* caption_ = nullptr;
    InspectorPanel* inspector_ = nullptr;
    QDockWidget* candidates_dock_ = nullptr;
    QDockWidget* caption_dock_ = nullptr;
    QDockWidget* inspector_dock_ = nullptr;
    DisplayPanel* display_ = nullptr;
    QDockWidget* display_dock_ = nullptr;
    QPointer<ShortcutsDialog> shortcuts_dialog_;
    PromptBar* prompt_bar_ = nullptr;
    QSlider* opacity_slider_ = nullptr;
    QSpinBox* brush_size_ = nullptr;
    QDoubleSpinBox* vertex_tolerance_ = nullptr;
    QString tool_before_vertices_ = QStringLiteral("toolSelect");
    int vertex_session_ = 0;  // counts vertex edits started, so a finished one does not end a newer one
    StatusView* status_ = nullptr;
    SessionView* session_view_ = nullptr;
    AnnotationView* annotation_view_ = nullptr;
    EngineView* engine_view_ = nullptr;
    ShownImage* shown_ = nullptr;
    HoverPreview* hover_ = nullptr;
};

}  // namespace xs
