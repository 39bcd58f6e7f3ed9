#pragma once
// The main window: wires the canvas, the panels, the document and the engine worker together.
//
// Layout: image list on the left, canvas in the middle (notice bar above it), categories, instances
// and engine panels on the right, tools and the text-prompt bar on top, engine status and progress in
// the status bar. Every user action is a QAction with a shortcut (listed by the F1 help overlay).
#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <memory>

#include "ui/document.h"
#include "ui/engine_worker.h"
#include "ui/image_canvas.h"
#include "ui/image_source.h"

class QActionGroup;
class QComboBox;
class QDockWidget;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QProgressDialog;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolButton;

namespace xs {

class CandidatesPanel;
class ImageBrowser;
class CaptionView;
class CategoryPanel;
class InspectorPanel;
class ModelSettingsDialog;
class EnginePanel;
class HelpOverlay;
class InstancePanel;
class NoticeBar;

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

    // Writes the project as COCO JSON (RLE or polygon segmentations); returns false with a message.
    // Runs on the calling thread (for scripts and tests); the GUI uses start_export.
    bool export_coco(const QString& path, bool polygons, QString* summary);
    // Exports on a worker thread with a progress dialog whose Cancel aborts it (then nothing is
    // written). Returns false when no project is open or an export is already running. Emits
    // export_finished when done.
    bool start_export(const QString& path, bool polygons);
    bool exporting() const { return export_progress_ != nullptr; }
    QProgressDialog* export_progress_dialog() const { return export_progress_; }
    // Cancels the engine load in progress: the previous engine (if any) stays active at once, and the
    // load's engine is discarded when it ends. Returns false when no load was in progress.
    bool cancel_engine_load();
    bool engine_loading() const { return loading_id_ != 0; }
    const QString& engine_name() const { return engine_name_; }
    EngineWorker* engine_worker() { return worker_; }
    QToolButton* progress_cancel_button() { return progress_cancel_; }

    // State for tests and scripting.
    Document* document() { return doc_; }
    ImageCanvas* canvas() { return canvas_; }
    QListWidget* file_list() { return files_; }
    CategoryPanel* category_panel() { return categories_; }
    InstancePanel* instance_panel() { return instances_; }
    NoticeBar* notice_bar() { return notice_; }
    int current_index() const;
    int image_count() const;
    const ImageRecord* current_record() const;
    bool image_ready() const { return image_ != nullptr; }
    bool engine_ready() const { return engine_ready_; }
    bool scanning() const;
    int preview_count() const { return int(preview_.size()); }
    bool request_pending() const { return awaiting_ != 0; }
    std::vector<int64_t> selected_instances() const { return selected_; }
    QAction* action(const QString& object_name) const;

    // X-SAM features (main_window_xsam.cpp): model settings, "Find all like this" candidates, the
    // grounded caption view and the inspector.
    void open_model_settings();
    void find_similar();
    CandidatesPanel* candidates_panel() { return candidates_; }
    CaptionView* caption_view() { return caption_; }
    InspectorPanel* inspector() { return inspector_; }
    QDockWidget* inspector_dock() { return inspector_dock_; }
    ModelSettingsDialog* model_settings_dialog() { return settings_dialog_; }
    const std::vector<InstanceResult>& candidates() const { return candidates_list_; }
    const std::vector<InstanceResult>& preview() const { return preview_; }
    QProgressBar* progress_bar() { return progress_; }
    Task last_task() const { return prompt_task_; }

Q_SIGNALS:
    void image_shown(int index);
    void export_finished(bool ok, bool cancelled, const QString& message);
    void preview_changed();

protected:
    void closeEvent(QCloseEvent*) override;

private:
    void build_actions();
    void build_ui();
    void restore_settings();
    void save_settings();
    QAction* make_action(const QString& name, const QString& text, const QList<QKeySequence>& keys,
                         const QString& tip, void (MainWindow::*slot)());

    // Images
    void start_scan();
    void scan_finished(int images, const QStringList& notes);
    void image_changing(int index);
    void image_decoded(const ImageKey& key, const LoadedImage& loaded);
    void display_loaded(const LoadedImage& loaded);
    void refresh_instances();
    void refresh_categories();
    void next_image();
    void prev_image();
    ImageKey current_key() const;

    // Prompts and engine
    void add_point(QPointF pos, bool positive);
    void add_box(QRectF rect);
    void add_scribble(const std::vector<QPointF>& points, bool positive);
    void send_prompts(Task task);
    void run_text_prompt();
    void on_segment_finished(const SegmentAnswer& answer);
    void on_segment_failed(int request_id, const QString& message);
    void on_engine_loaded(const EngineInfo& info);
    void on_engine_failed(const QString& name, const QString& message);
    void update_capabilities();
    void update_task_bar();
    void accept_preview();
    void discard_prompts();
    void clear_prompts();
    QString prompt_source(const SegmentRequest& request) const;

    // X-SAM features (main_window_xsam.cpp)
    void build_xsam_ui();
    bool engine_options_for(const QString& name, EngineOptions* options);  // false: cannot load yet
    void on_load_progress(int load_id, double fraction, const QString& stage);
    bool handle_grounded_answer(const SegmentAnswer& answer, double round_trip_ms);  // true: consumed
    void after_answer(const SegmentAnswer& answer);
    void show_candidates(const std::vector<InstanceResult>& results);
    void clear_candidates();
    void set_current_candidate(int index);
    bool candidate_click(QPointF pos);  // true when the click picked a candidate
    void accept_candidate(int index);
    void reject_candidate(int index);
    void accept_all_candidates();
    void reject_all_candidates();
    void add_instances(const std::vector<InstanceResult>& results, const QString& undo_text);
    void link_caption_from_canvas(QPointF pos);
    void highlight_caption_phrase(int phrase);
    void on_refiltered(const std::vector<InstanceResult>& instances);
    void update_xsam_actions();
    void fit_to_screen();
    void prefetch_next();  // the engine prepares the next image (when decoded) while the user works

    // Editing
    void on_brush_stroke(const std::vector<QPointF>& points, bool erase);
    void select_at(QPointF pos, bool extend);
    void set_selection(const std::vector<int64_t>& ids);
    void update_selection_layer();
    void update_hover(int64_t id);
    void delete_selected();
    void merge_selected();
    void subtract_selected();
    void raise_selected();
    void lower_selected();
    void move_selected(int step);
    void assign_category_to_selection();
    void toggle_visibility(int64_t id, bool visible);
    void instance_context_menu(const QPoint& global_pos);
    // The category new instances get (core/annotation/editing.h); on a fresh project it comes with *edit.
    int category_for_new_instances(ProjectEdit* edit);
    void select_new_category(const ProjectEdit& edit, int category);  // when the edit brought one

    // Categories
    void add_category();
    void rename_category(int id);
    void recolor_category(int id);
    void delete_category(int id);
    void choose_category(int digit);

    // Files and misc
    void open_folder_dialog();
    void open_project_dialog();
    void save_project_as_dialog();
    void export_dialog();
    void show_help();
    void undo() ;
    void redo();
    void set_opacity(int percent);
    void toggle_outlines();
    void brush_bigger();
    void brush_smaller();
    void zoom_fit();
    void zoom_actual();
    void zoom_in();
    void zoom_out();
    void focus_text_prompt();
    void on_save_failed(const QString& message);
    void on_changed_on_disk();
    void show_progress(const QString& text, int value, int maximum, std::function<void()> cancel);
    void hide_progress();
    void notify(int level, const QString& text);
    void select_tool(Tool tool);
    void tool_select() { select_tool(Tool::Select); }
    void tool_prompt() { select_tool(Tool::Prompt); }
    void tool_scribble() { select_tool(Tool::Scribble); }
    void tool_brush() { select_tool(Tool::Brush); }
    void tool_eraser() { select_tool(Tool::Eraser); }
    void update_status_engine();
    void update_window_title();

    Document* doc_;
    EngineWorker* worker_;
    ImageCanvas* canvas_;
    NoticeBar* notice_;
    HelpOverlay* help_;
    QListWidget* files_;
    CategoryPanel* categories_;
    InstancePanel* instances_;
    EnginePanel* engine_panel_;
    QComboBox* task_combo_;
    QLineEdit* text_edit_;
    QPushButton* run_text_;
    QSlider* opacity_slider_;
    QSpinBox* brush_size_;
    QLabel* status_engine_;
    QLabel* status_cursor_;
    QLabel* status_zoom_;
    QProgressBar* progress_;
    QToolButton* progress_cancel_;
    std::function<void()> progress_cancel_fn_;
    QActionGroup* tool_group_;
    QHash<QString, QAction*> actions_;
    QList<QPair<QString, QList<QAction*>>> help_sections_;

    // Images
    ImageBrowser* browser_;
    std::shared_ptr<const Image> image_;  // the shown image as the engine sees it

    // Prompts
    SegmentRequest prompts_;
    Task prompt_task_ = Task::Interactive;
    int awaiting_ = 0;  // id of the request whose answer we wait for, 0 if none
    QElapsedTimer request_timer_;
    std::vector<InstanceResult> preview_;
    QString preview_source_;
    EngineInfo engine_info_;
    bool engine_ready_ = false;
    QString engine_name_;
    QString previous_engine_;  // active (in the worker) while engine_name_ loads; empty if none
    int loading_id_ = 0;       // the worker's id of the load in progress
    QProgressDialog* export_progress_ = nullptr;

    // X-SAM features
    CandidatesPanel* candidates_ = nullptr;
    CaptionView* caption_ = nullptr;
    InspectorPanel* inspector_ = nullptr;
    QDockWidget* candidates_dock_ = nullptr;
    QDockWidget* caption_dock_ = nullptr;
    QDockWidget* inspector_dock_ = nullptr;
    ModelSettingsDialog* settings_dialog_ = nullptr;
    std::vector<InstanceResult> candidates_list_;
    QString candidates_origin_;
    int caption_request_ = 0;  // the request whose answer the caption view shows
    float score_threshold_ = 0.5f;
    float mask_threshold_ = 0.5f;
    bool force_reload_ = false;  // set_engine() loads again even when the engine is already active

    // Selection and hover
    std::vector<int64_t> selected_;
    int64_t hovered_ = 0;
};

}  // namespace xs
