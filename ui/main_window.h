#pragma once
// The main window: wires the canvas, the panels, the document and the engine worker together.
//
// Layout: image list on the left, canvas in the middle (notice bar above it), categories, instances
// and engine panels on the right, tools and the text-prompt bar on top, engine status and progress in
// the status bar. Every user action is a QAction with a shortcut (listed by the F1 help overlay).
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QHash>
#include <QMainWindow>
#include <atomic>
#include <memory>

#include "ui/document.h"
#include "ui/engine_worker.h"
#include "ui/image_canvas.h"
#include "ui/image_source.h"

class QActionGroup;
class QComboBox;
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

class CategoryPanel;
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
    int current_index() const { return current_; }
    int image_count() const { return int(file_names_.size()); }
    const ImageRecord* current_record() const;
    bool image_ready() const { return image_ != nullptr; }
    bool engine_ready() const { return engine_ready_; }
    bool scanning() const { return scan_watcher_ != nullptr; }
    int preview_count() const { return int(preview_.size()); }
    bool request_pending() const { return awaiting_ != 0; }
    std::vector<int64_t> selected_instances() const { return selected_; }
    QAction* action(const QString& object_name) const;

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
    void start_scan(const QString& root, const QStringList& known);
    void scan_finished(const QStringList& found, const QStringList& known, bool cancelled);
    void request_load(int index, bool for_display);
    void display_loaded(const LoadedImage& loaded);
    void refresh_file_item(int index);
    void refresh_instances();
    void refresh_categories();
    void next_image();
    void prev_image();
    QString current_key() const;
    QString engine_key() const;

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
    int ensure_category();  // the current category, creating "object" when there is none

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
    QStringList file_names_;  // relative to the image root
    int current_ = -1;
    std::shared_ptr<const Image> image_;  // the shown image as the engine sees it
    QHash<QString, LoadedImage> loaded_;  // small cache of decoded images (shown and neighbours)
    QStringList loaded_order_;
    QHash<QString, QFutureWatcher<LoadedImage>*> loading_;
    QHash<QString, QString> load_errors_;
    int folder_generation_ = 0;
    QFutureWatcher<QStringList>* scan_watcher_ = nullptr;
    std::shared_ptr<std::atomic<bool>> scan_cancel_;
    std::shared_ptr<std::atomic<int>> scan_found_;

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

    // Selection and hover
    std::vector<int64_t> selected_;
    int64_t hovered_ = 0;
};

}  // namespace xs
