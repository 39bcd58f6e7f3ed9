// The main window's X-SAM features: model settings and load progress, "Find all like this"
// candidates, the grounded caption view, the inspector, and the first window fitting the screen.
// (The rest of MainWindow is in main_window.cpp.)
#include <QAction>
#include <QDockWidget>
#include <QGuiApplication>
#include <QMenuBar>
#include <QProgressBar>
#include <QMenu>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <algorithm>
#include <cmath>

#include "ui/candidates.h"
#include "ui/caption_view.h"
#include "ui/inspector.h"
#include "ui/main_window.h"
#include "ui/model_settings.h"
#include "ui/panels.h"
#include "ui/qt_convert.h"
#include "ui/widgets.h"

namespace xs {

namespace {
constexpr size_t kMiB = size_t(1) << 20;
}  // namespace

void MainWindow::build_xsam_ui() {
    using K = QKeySequence;
    // Docks: candidates next to the instances, the caption next to the engine, the inspector below.
    candidates_ = new CandidatesPanel(this);
    candidates_dock_ = new QDockWidget(tr("Candidates"), this);
    candidates_dock_->setObjectName("candidatesDock");
    candidates_dock_->setWidget(candidates_);
    addDockWidget(Qt::RightDockWidgetArea, candidates_dock_);
    if (auto* inst = findChild<QDockWidget*>("instancesDock")) tabifyDockWidget(inst, candidates_dock_);
    caption_ = new CaptionView(this);
    caption_dock_ = new QDockWidget(tr("Caption"), this);
    caption_dock_->setObjectName("captionDock");
    caption_dock_->setWidget(caption_);
    addDockWidget(Qt::RightDockWidgetArea, caption_dock_);
    if (auto* eng = findChild<QDockWidget*>("engineDock")) tabifyDockWidget(eng, caption_dock_);
    if (auto* eng = findChild<QDockWidget*>("engineDock")) eng->raise();
    if (auto* inst = findChild<QDockWidget*>("instancesDock")) inst->raise();
    inspector_ = new InspectorPanel(this);
    inspector_dock_ = new QDockWidget(tr("Inspector"), this);
    inspector_dock_->setObjectName("inspectorDock");
    inspector_dock_->setWidget(inspector_);
    addDockWidget(Qt::BottomDockWidgetArea, inspector_dock_);
    inspector_dock_->hide();

    // Actions.
    QList<QAction*> xs_actions = {
        make_action("findSimilar", tr("Find all like this"), {K(Qt::Key_G)},
                    tr("Find every object like the selected instance or the marked example (visual grounded)"),
                    &MainWindow::find_similar),
        make_action("acceptCandidate", tr("Accept candidate"), {K(Qt::Key_Y)}, tr("Accept the current candidate as an instance"), nullptr),
        make_action("rejectCandidate", tr("Reject candidate"), {K(Qt::Key_N)}, tr("Reject the current candidate"), nullptr),
        make_action("acceptAllCandidates", tr("Accept all candidates"), {K(Qt::SHIFT | Qt::Key_Y)}, tr("Accept every candidate (one undo step)"), nullptr),
        make_action("rejectAllCandidates", tr("Reject all candidates"), {K(Qt::SHIFT | Qt::Key_N)}, tr("Reject every candidate"), nullptr),
        make_action("modelSettings", tr("X-SAM model settings…"), {K(Qt::CTRL | Qt::Key_Comma)},
                    tr("Model folder, device, precision and cache of the X-SAM engine"), &MainWindow::open_model_settings),
    };
    QAction* inspector_toggle = inspector_dock_->toggleViewAction();
    inspector_toggle->setObjectName("toggleInspector");
    inspector_toggle->setText(tr("Inspector"));
    inspector_toggle->setShortcut(K(Qt::CTRL | Qt::Key_I));
    inspector_toggle->setToolTip(tr("Show what the model saw and produced (Ctrl+I)"));
    addAction(inspector_toggle);
    connect(inspector_dock_, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible && !inspector_dock_->isFloating()) resizeDocks({inspector_dock_}, {360}, Qt::Vertical);
    });
    actions_.insert("toggleInspector", inspector_toggle);
    xs_actions << inspector_toggle;
    connect(actions_["acceptCandidate"], &QAction::triggered, this, [this] { accept_candidate(-1); });
    connect(actions_["rejectCandidate"], &QAction::triggered, this, [this] { reject_candidate(-1); });
    connect(actions_["acceptAllCandidates"], &QAction::triggered, this, &MainWindow::accept_all_candidates);
    connect(actions_["rejectAllCandidates"], &QAction::triggered, this, &MainWindow::reject_all_candidates);

    QMenu* m_engine = new QMenu(tr("E&ngine"), this);
    menuBar()->insertMenu(menuBar()->actions().value(4), m_engine);  // before Help
    m_engine->addAction(actions_["modelSettings"]);
    m_engine->addSeparator();
    m_engine->addActions({actions_["findSimilar"], actions_["acceptCandidate"], actions_["rejectCandidate"],
                          actions_["acceptAllCandidates"], actions_["rejectAllCandidates"]});
    m_engine->addSeparator();
    m_engine->addAction(inspector_toggle);
    if (auto* tb = findChild<QToolBar*>("toolsBar")) {
        tb->addSeparator();
        tb->addAction(actions_["findSimilar"]);
    }
    help_sections_.append({tr("X-SAM"), xs_actions});
    help_->set_sections(help_sections_, {tr("1 … 9 choose a category.   Wheel: zoom.   Middle drag or Space + drag: pan."),
                                         tr("Ctrl + click: select an instance in any tool; Ctrl/Shift + click adds to the selection."),
                                         tr("Candidates: click one on the image to make it current; Enter or Y accepts, N rejects, Esc rejects all."),
                                         tr("Every change is saved automatically. Click or press Esc to close this help.")});

    // Wiring.
    connect(worker_, &EngineWorker::load_progress, this, &MainWindow::on_load_progress);
    connect(worker_, &EngineWorker::engine_loaded, this, [this](const EngineInfo& info) {
        if (info.name == QLatin1String("xsam") && notice_->isVisible() && notice_->text().startsWith(tr("X-SAM needs")))
            notice_->hide();
    });
    connect(worker_, &EngineWorker::engine_failed, this, [this](const QString& name, const QString& message) {
        if (name != QLatin1String("xsam")) return;
        open_model_settings();
        settings_dialog_->show_problem(message);
    });
    connect(engine_panel_, &EnginePanel::settings_requested, this, &MainWindow::open_model_settings);
    connect(candidates_, &CandidatesPanel::current_changed, this, &MainWindow::set_current_candidate);
    connect(candidates_, &CandidatesPanel::accept_requested, this, &MainWindow::accept_candidate);
    connect(candidates_, &CandidatesPanel::reject_requested, this, &MainWindow::reject_candidate);
    connect(candidates_, &CandidatesPanel::accept_all_requested, this, &MainWindow::accept_all_candidates);
    connect(candidates_, &CandidatesPanel::reject_all_requested, this, &MainWindow::reject_all_candidates);
    connect(caption_, &CaptionView::phrase_hovered, this, &MainWindow::highlight_caption_phrase);
    connect(caption_, &CaptionView::phrase_clicked, this, &MainWindow::highlight_caption_phrase);
    connect(canvas_, &ImageCanvas::cursor_moved, this, &MainWindow::link_caption_from_canvas);
    connect(inspector_, &InspectorPanel::refiltered, this, &MainWindow::on_refiltered);
    connect(inspector_, &InspectorPanel::thresholds_changed, this, [this](float score, float mask) {
        score_threshold_ = score;
        mask_threshold_ = mask;
        QSettings s;
        s.setValue("xsam/score_threshold", score);
        s.setValue("xsam/mask_threshold", mask);
    });
    {
        QSettings s;
        score_threshold_ = s.value("xsam/score_threshold", 0.5).toFloat();
        mask_threshold_ = s.value("xsam/mask_threshold", 0.5).toFloat();
    }
    inspector_->set_thresholds(score_threshold_, mask_threshold_);
    worker_->set_cache_budget(size_t(std::max(1, XsamSettings::load().cache_mb)) * kMiB);
    update_xsam_actions();
    if (auto* images = findChild<QDockWidget*>("imagesDock")) resizeDocks({images}, {200}, Qt::Horizontal);
}

// The first window fits the screen's available area (a saved geometry from a bigger screen too).
void MainWindow::fit_to_screen() {
    QScreen* screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
    if (!screen) return;
    const QRect avail = screen->availableGeometry();
    // Room for the window frame, which is not known before the window is shown.
    const QSize room = avail.size() - QSize(16, 48);
    QSize want = size().boundedTo(room).expandedTo(QSize(640, 480).boundedTo(room));
    if (want != size()) resize(want);
    QRect g = geometry();
    if (!avail.contains(g)) {
        g.moveLeft(std::clamp(g.left(), avail.left(), std::max(avail.left(), avail.right() - g.width())));
        g.moveTop(std::clamp(g.top(), avail.top() + 32, std::max(avail.top(), avail.bottom() - g.height())));
        move(g.topLeft());
    }
}

void MainWindow::prefetch_next() {
    if (!engine_ready_ || current_ < 0) return;
    const QString next = file_names_.value(current_ + 1);
    auto it = loaded_.find(next);
    if (next.isEmpty() || it == loaded_.end() || !it->ok()) return;
    worker_->prefetch(doc_->image_path(next.toStdString()), it->image);
}

// Engine options ----------------------------------------------------------------------------------

bool MainWindow::engine_options_for(const QString& name, EngineOptions* options) {
    options->clear();
    if (name != QLatin1String("xsam")) return true;
    const XsamSettings s = XsamSettings::load();
    if (s.model_dir.isEmpty()) {
        notify(1, tr("X-SAM needs a model folder: choose it in the model settings (Engine ▸ X-SAM model settings…)."));
        open_model_settings();
        return false;
    }
    *options = s.engine_options();
    return true;
}

void MainWindow::open_model_settings() {
    if (settings_dialog_) {
        settings_dialog_->raise();
        settings_dialog_->activateWindow();
        return;
    }
    settings_dialog_ = new ModelSettingsDialog(XsamSettings::load(), this);
    settings_dialog_->setAttribute(Qt::WA_DeleteOnClose);
    connect(settings_dialog_, &QObject::destroyed, this, [this] { settings_dialog_ = nullptr; });
    connect(settings_dialog_, &QDialog::accepted, this, [this] {
        const XsamSettings s = settings_dialog_->settings();
        s.save();
        worker_->set_cache_budget(size_t(std::max(1, s.cache_mb)) * kMiB);
        force_reload_ = true;  // new folder, device or precision: load again
        set_engine(QStringLiteral("xsam"));
    });
    settings_dialog_->open();
}

void MainWindow::on_load_progress(int load_id, double fraction, const QString& stage) {
    if (load_id != loading_id_ || loading_id_ == 0) return;
    progress_->setRange(0, 100);
    progress_->setValue(int(fraction * 100));
    progress_->setFormat(tr("%1: %2 (%p%)").arg(engine_name_, stage));
    status_engine_->setText(tr("%1: %2…").arg(engine_name_, stage));
}

void MainWindow::update_xsam_actions() {
    const bool vgd = engine_ready_ && engine_info_.capabilities.supports(Task::VisualGrounded);
    QAction* find = actions_.value("findSimilar");
    if (!find) return;
    find->setEnabled(vgd);
    find->setToolTip(vgd ? tr("Find every object like the selected instance or the marked example (G)")
                         : engine_ready_ ? tr("The %1 engine does not support the visual grounded task; choose X-SAM.").arg(engine_name_)
                                         : tr("The engine is not ready yet."));
}

// Find all like this ----------------------------------------------------------------------------

void MainWindow::find_similar() {
    if (!image_) return;
    if (!engine_ready_ || !engine_info_.capabilities.supports(Task::VisualGrounded)) {
        statusBar()->showMessage(actions_["findSimilar"]->toolTip(), 6000);
        return;
    }
    SegmentRequest r;
    for (const PointPrompt& p : prompts_.points)
        if (p.positive) r.points.push_back(p);
    r.boxes = prompts_.boxes;
    for (const ScribblePrompt& s : prompts_.scribbles)
        if (s.positive) r.scribbles.push_back(s);
    QString origin;
    if (!r.points.empty() || !r.boxes.empty() || !r.scribbles.empty()) {
        origin = tr("the marked example");
    } else if (const ImageRecord* rec = current_record(); rec && !selected_.empty()) {
        for (const Instance& inst : rec->instances)
            if (std::find(selected_.begin(), selected_.end(), inst.id) != selected_.end() && inst.mask.width == rec->width &&
                inst.mask.height == rec->height)
                r.mask_prompts.push_back(rle_decode(inst.mask));
        origin = selected_.size() == 1 ? tr("instance #%1").arg(selected_.front()) : tr("%1 selected instances").arg(selected_.size());
    }
    if (r.points.empty() && r.boxes.empty() && r.scribbles.empty() && r.mask_prompts.empty()) {
        statusBar()->showMessage(tr("Select an instance (Ctrl+click) or mark an example with points, a box or a scribble, then press G."), 6000);
        return;
    }
    clear_candidates();
    preview_.clear();
    canvas_->set_preview({});
    prompts_ = r;
    candidates_origin_ = origin;
    send_prompts(Task::VisualGrounded);
    if (awaiting_) statusBar()->showMessage(tr("Looking for everything like %1…").arg(origin));
}

bool MainWindow::handle_grounded_answer(const SegmentAnswer& answer, double round_trip_ms) {
    if (answer.result.inspection) inspector_->set_inspection(answer.result.inspection, answer.prepare_timings, round_trip_ms);
    if (prompt_task_ != Task::VisualGrounded) return false;
    engine_panel_->set_timings(answer.prepare_timings, answer.result.timings, round_trip_ms);
    update_status_engine();
    show_candidates(answer.result.instances);
    Q_EMIT preview_changed();
    return true;
}

void MainWindow::show_candidates(const std::vector<InstanceResult>& results) {
    candidates_list_.clear();
    const ImageRecord* rec = current_record();
    // What is annotated already (the example itself, usually) is not offered again.
    std::vector<Mask> existing;
    if (rec)
        for (const Instance& inst : rec->instances)
            if (inst.mask.width == rec->width && inst.mask.height == rec->height) existing.push_back(rle_decode(inst.mask));
    int duplicates = 0;
    for (const InstanceResult& r : results) {
        if (!image_ || r.mask.width() != image_->width || r.mask.height() != image_->height || !r.mask.any()) continue;
        bool dup = false;
        for (const Mask& m : existing) dup = dup || mask_iou(m, r.mask) >= 0.85;
        if (dup) {
            ++duplicates;
            continue;
        }
        candidates_list_.push_back(r);
    }
    QString origin = candidates_origin_.isEmpty() ? tr("the example") : candidates_origin_;
    if (duplicates) origin += tr(" (%1 already annotated, not listed)").arg(duplicates);
    candidates_->set_candidates(candidates_list_, origin);
    std::vector<Mask> masks;
    for (const InstanceResult& r : candidates_list_) masks.push_back(r.mask);
    canvas_->set_candidates(masks, candidates_list_.empty() ? -1 : 0);
    candidates_dock_->show();
    candidates_dock_->raise();
    statusBar()->showMessage(candidates_list_.empty()
                                 ? tr("Nothing like %1 was found.").arg(origin)
                                 : tr("%1 candidate(s): Y accepts the current one, N rejects it, Shift+Y accepts all, Esc rejects all.")
                                       .arg(candidates_list_.size()),
                             8000);
}

void MainWindow::clear_candidates() {
    canvas_->set_highlight({}, QColor());
    if (candidates_list_.empty() && (!candidates_ || candidates_->count() == 0)) return;
    candidates_list_.clear();
    if (candidates_) candidates_->clear();
    canvas_->set_candidates({}, -1);
}

void MainWindow::set_current_candidate(int index) {
    std::vector<Mask> masks;
    for (const InstanceResult& r : candidates_list_) masks.push_back(r.mask);
    canvas_->set_candidates(masks, index);
}

bool MainWindow::candidate_click(QPointF pos) {
    if (candidates_list_.empty()) return false;
    const int i = canvas_->candidate_at(pos);
    if (i < 0) return false;
    candidates_->set_current(i);
    statusBar()->showMessage(tr("Candidate %1 (score %2): Y or Enter accepts, N rejects.").arg(i + 1).arg(candidates_list_[size_t(i)].score, 0, 'f', 3), 6000);
    return true;
}

void MainWindow::add_instances(const std::vector<InstanceResult>& results, const QString& undo_text) {
    const ImageRecord* rec = current_record();
    if (!rec || results.empty()) return;
    EditState after;
    std::vector<Category> cats = doc_->project().categories;
    int current = category_for_new_instances(cats, after);
    std::vector<Instance> list = rec->instances;
    std::vector<int64_t> ids;
    const std::string source = (engine_info_.name + QStringLiteral(":vgd:") + candidates_origin_).toStdString();
    for (const InstanceResult& r : results) {
        Instance inst = doc_->make_instance(current, rle_encode(r.mask), r.score, source);
        ids.push_back(inst.id);
        list.push_back(std::move(inst));
    }
    after.instances[rec->id] = std::move(list);
    doc_->edit(std::move(after), undo_text);
    if (after.categories) {
        refresh_categories();
        categories_->set_current_category(current);
    }
}

void MainWindow::accept_candidate(int index) {
    if (index < 0) index = candidates_->current();
    if (index < 0 || index >= int(candidates_list_.size())) {
        statusBar()->showMessage(tr("No candidate to accept."), 4000);
        return;
    }
    const InstanceResult r = candidates_list_[size_t(index)];
    candidates_list_.erase(candidates_list_.begin() + index);
    add_instances({r}, tr("Accept candidate"));
    const int left = int(candidates_list_.size());
    candidates_->set_candidates(candidates_list_, candidates_origin_);
    if (left) candidates_->set_current(std::min(index, left - 1));
    set_current_candidate(left ? std::min(index, left - 1) : -1);
    statusBar()->showMessage(tr("Accepted; %1 candidate(s) left. Ctrl+Z undoes.").arg(left), 4000);
}

void MainWindow::reject_candidate(int index) {
    if (index < 0) index = candidates_->current();
    if (index < 0 || index >= int(candidates_list_.size())) return;
    candidates_list_.erase(candidates_list_.begin() + index);
    const int left = int(candidates_list_.size());
    candidates_->set_candidates(candidates_list_, candidates_origin_);
    if (left) candidates_->set_current(std::min(index, left - 1));
    set_current_candidate(left ? std::min(index, left - 1) : -1);
    statusBar()->showMessage(tr("Rejected; %1 candidate(s) left.").arg(left), 4000);
}

void MainWindow::accept_all_candidates() {
    if (candidates_list_.empty()) return;
    const std::vector<InstanceResult> all = candidates_list_;
    clear_candidates();
    add_instances(all, tr("Accept %1 candidates").arg(all.size()));
    statusBar()->showMessage(tr("Accepted %1 candidate(s) as instances. Ctrl+Z undoes them together.").arg(all.size()), 5000);
}

void MainWindow::reject_all_candidates() {
    if (candidates_list_.empty()) return;
    clear_candidates();
    statusBar()->showMessage(tr("Rejected every candidate."), 4000);
}

// Grounded caption ---------------------------------------------------------------------------------

void MainWindow::after_answer(const SegmentAnswer& answer) {
    canvas_->set_highlight({}, QColor());
    // The caption panel shows the grounded caption and the chat's answer (plain text, no phrases).
    if (prompt_task_ != Task::GroundedCaption && prompt_task_ != Task::Chat) return;
    caption_request_ = answer.request_id;
    // Phrase i links to the preview mask whose prompt_index is i.
    QStringList phrases;
    std::vector<bool> has_mask;
    int n = 0;
    for (int pos = 0; (pos = qstr(answer.result.text).indexOf("<p>", pos)) >= 0; pos += 3) ++n;
    has_mask.assign(size_t(n), false);
    for (const InstanceResult& r : preview_)
        if (r.prompt_index >= 0 && r.prompt_index < n) has_mask[size_t(r.prompt_index)] = true;
    caption_->set_caption(qstr(answer.result.text), has_mask);
    caption_dock_->show();
    caption_dock_->raise();
}

void MainWindow::highlight_caption_phrase(int phrase) {
    std::vector<Mask> masks;
    if (phrase >= 0)
        for (const InstanceResult& r : preview_)
            if (r.prompt_index == phrase) masks.push_back(r.mask);
    canvas_->set_highlight(std::move(masks), phrase_color(std::max(0, phrase)));
    caption_->highlight_phrase(phrase);
}

void MainWindow::link_caption_from_canvas(QPointF pos) {
    if (prompt_task_ != Task::GroundedCaption || preview_.empty() || caption_->phrases().isEmpty()) return;
    const int x = int(std::floor(pos.x())), y = int(std::floor(pos.y()));
    int phrase = -1;
    int64_t best = 0;
    for (const InstanceResult& r : preview_) {
        if (x < 0 || y < 0 || x >= r.mask.width() || y >= r.mask.height() || !r.mask.at(x, y)) continue;
        const int64_t a = r.mask.area();
        if (phrase < 0 || a < best) {
            phrase = r.prompt_index;
            best = a;
        }
    }
    if (phrase != caption_->highlighted()) highlight_caption_phrase(phrase);
}

// Inspector ------------------------------------------------------------------------------------------

void MainWindow::on_refiltered(const std::vector<InstanceResult>& instances) {
    if (!image_ || !inspector_->inspection()) return;
    const Inspection& in = *inspector_->inspection();
    if (in.width != image_->width || in.height != image_->height) return;  // from another image
    if (in.task == Task::VisualGrounded) {
        show_candidates(instances);
        return;
    }
    preview_.clear();
    std::vector<Mask> masks;
    for (const InstanceResult& r : instances) {
        if (!r.mask.any()) continue;
        preview_.push_back(r);
        masks.push_back(r.mask);
        if (in.task == Task::Interactive) break;
    }
    canvas_->set_preview(masks);
    Q_EMIT preview_changed();
}

}  // namespace xs
