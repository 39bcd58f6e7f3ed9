#include "ui/session_view.h"

#include <QDockWidget>
#include <QStatusBar>
#include <algorithm>
#include <cmath>

#include "ui/annotation_editor.h"
#include "ui/candidates.h"
#include "ui/caption_view.h"
#include "ui/image_canvas.h"
#include "ui/prompt_session.h"

namespace xs {

SessionView::SessionView(PromptSession* session, AnnotationEditor* editor, const Widgets& widgets, QObject* parent)
    : QObject(parent), session_(session), editor_(editor), w_(widgets) {
    connect(session_, &PromptSession::prompts_changed, w_.canvas, &ImageCanvas::set_prompts);
    connect(session_, &PromptSession::preview_changed, this, &SessionView::show_preview);
    connect(session_, &PromptSession::candidates_changed, this, [this](const QString& origin) { show_candidates(origin, 0); });
    connect(session_, &PromptSession::caption_changed, this, [this](const QString& text, const std::vector<bool>& has_mask) {
        w_.caption->set_caption(text, has_mask);
        w_.caption_dock->show();
        w_.caption_dock->raise();
    });
    connect(w_.candidates, &CandidatesPanel::current_changed, this, [this](int i) { show_candidates(QString(), i); });
    connect(w_.candidates, &CandidatesPanel::accept_requested, this, &SessionView::accept_candidate);
    connect(w_.candidates, &CandidatesPanel::reject_requested, this, &SessionView::reject_candidate);
    connect(w_.candidates, &CandidatesPanel::accept_all_requested, this, &SessionView::accept_all_candidates);
    connect(w_.candidates, &CandidatesPanel::reject_all_requested, this, &SessionView::reject_all_candidates);
    connect(w_.caption, &CaptionView::phrase_hovered, this, &SessionView::highlight_phrase);
    connect(w_.caption, &CaptionView::phrase_clicked, this, &SessionView::highlight_phrase);
    connect(w_.canvas, &ImageCanvas::cursor_moved, this, &SessionView::link_caption);
}

void SessionView::show_preview() {
    std::vector<Mask> masks;
    for (const InstanceResult& r : session_->preview()) masks.push_back(r.mask);
    w_.canvas->set_preview(masks);
    w_.canvas->set_highlight({}, QColor());
    Q_EMIT preview_changed();
}

// `origin` non-empty: a new list (from an answer); empty: the same list with another current one, or
// none at all.
void SessionView::show_candidates(const QString& origin, int current) {
    const std::vector<InstanceResult>& list = session_->candidates();
    if (!origin.isEmpty()) {
        w_.candidates->set_candidates(list, origin);
        w_.candidates_dock->show();
        w_.candidates_dock->raise();
    } else if (list.empty()) {
        w_.candidates->clear();
    }
    std::vector<Mask> masks;
    for (const InstanceResult& r : list) masks.push_back(r.mask);
    w_.canvas->set_candidates(masks, list.empty() ? -1 : std::min(current, int(list.size()) - 1));
}

bool SessionView::pick_candidate(QPointF pos) {
    const int i = session_->candidates().empty() ? -1 : w_.canvas->candidate_at(pos);
    if (i < 0) return false;
    w_.candidates->set_current(i);
    w_.status->showMessage(tr("Candidate %1 (score %2): Y or Enter accepts, N rejects.")
                               .arg(i + 1).arg(session_->candidates()[size_t(i)].score, 0, 'f', 3), 6000);
    return true;
}

void SessionView::accept_candidate(int index) {
    if (index < 0) index = w_.candidates->current();
    const std::optional<InstanceResult> r = session_->take_candidate(index);
    if (!r) return w_.status->showMessage(tr("No candidate to accept."), 4000);
    editor_->add_instances({*r}, session_->candidates_source().toStdString(), false, tr("Accept candidate"), provenance());
    const int left = int(session_->candidates().size());
    if (left) w_.candidates->set_current(std::min(index, left - 1));
    w_.status->showMessage(tr("Accepted; %1 candidate(s) left. Ctrl+Z undoes.").arg(left), 4000);
}

void SessionView::reject_candidate(int index) {
    if (index < 0) index = w_.candidates->current();
    const std::optional<InstanceResult> r = session_->take_candidate(index);
    if (!r) return;
    if (session_->episode()) editor_->reject_candidates({*r}, *session_->episode(), tr("Reject candidate"));
    const int left = int(session_->candidates().size());
    if (left) w_.candidates->set_current(std::min(index, left - 1));
    w_.status->showMessage(tr("Rejected; %1 candidate(s) left.").arg(left), 4000);
}

void SessionView::accept_all_candidates() {
    const std::vector<InstanceResult> all = session_->take_candidates();
    if (all.empty()) return;
    editor_->add_instances(all, session_->candidates_source().toStdString(), false,
                           tr("Accept %1 candidates").arg(all.size()), provenance());
    w_.status->showMessage(tr("Accepted %1 candidate(s) as instances. Ctrl+Z undoes them together.").arg(all.size()), 5000);
}

void SessionView::reject_all_candidates() {
    const std::vector<InstanceResult> all = session_->take_candidates();
    if (all.empty()) return;
    if (session_->episode())
        editor_->reject_candidates(all, *session_->episode(), tr("Reject %1 candidates").arg(all.size()));
    w_.status->showMessage(tr("Rejected every candidate."), 4000);
}

// The candidates' request and their episode, kept with every decision.
Provenance SessionView::provenance() const {
    Provenance from;
    from.request = &session_->answered_request();
    if (session_->episode()) from.episode = &*session_->episode();
    return from;
}

// Mask -> phrase: the pointer over a preview mask of a grounded caption highlights its phrase (the
// smallest mask there wins).
void SessionView::link_caption(QPointF pos) {
    const std::vector<InstanceResult>& preview = session_->preview();
    if (session_->task() != Task::GroundedCaption || preview.empty() || w_.caption->phrases().isEmpty()) return;
    const int x = int(std::floor(pos.x())), y = int(std::floor(pos.y()));
    int phrase = -1;
    int64_t smallest = 0;
    for (const InstanceResult& r : preview) {
        if (x < 0 || y < 0 || x >= r.mask.width() || y >= r.mask.height() || !r.mask.at(x, y)) continue;
        if (phrase < 0 || r.mask.area() < smallest) {
            phrase = r.prompt_index;
            smallest = r.mask.area();
        }
    }
    if (phrase != w_.caption->highlighted()) highlight_phrase(phrase);
}

// Phrase -> mask.
void SessionView::highlight_phrase(int phrase) {
    std::vector<Mask> masks;
    for (const InstanceResult& r : session_->preview())
        if (phrase >= 0 && r.prompt_index == phrase) masks.push_back(r.mask);
    w_.canvas->set_highlight(std::move(masks), phrase_color(std::max(0, phrase)));
    w_.caption->highlight_phrase(phrase);
}

}  // namespace xs
