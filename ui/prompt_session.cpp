#include "ui/prompt_session.h"

#include <cmath>

#include "core/engine/inspection.h"
#include "ui/engine_controller.h"
#include "ui/qt_convert.h"

namespace xs {

namespace {

constexpr double kDuplicateIou = 0.85;  // a candidate this close to an annotated instance is not offered

QStringList split_names(const QString& text) {
    QStringList out;
    for (const QString& part : text.split(',')) {
        const QString t = part.trimmed();
        if (!t.isEmpty()) out << t;
    }
    return out;
}

bool has_visual_prompts(const SegmentRequest& r) { return !r.points.empty() || !r.boxes.empty() || !r.scribbles.empty(); }

bool same_points(const std::vector<PointF>& a, const std::vector<PointF>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].x != b[i].x || a[i].y != b[i].y) return false;
    return true;
}

// Whether an engine gets the same question from both: every field a request carries.
bool same_request(const SegmentRequest& a, const SegmentRequest& b) {
    if (a.task != b.task || a.points.size() != b.points.size() || a.boxes.size() != b.boxes.size() ||
        a.scribbles.size() != b.scribbles.size() || a.input_mask != b.input_mask || a.mask_prompts != b.mask_prompts ||
        a.text != b.text || a.categories != b.categories || a.score_threshold != b.score_threshold ||
        a.mask_threshold != b.mask_threshold || a.inspect != b.inspect)
        return false;
    for (size_t i = 0; i < a.points.size(); ++i)
        if (a.points[i].x != b.points[i].x || a.points[i].y != b.points[i].y || a.points[i].positive != b.points[i].positive)
            return false;
    for (size_t i = 0; i < a.boxes.size(); ++i)
        if (a.boxes[i].x0 != b.boxes[i].x0 || a.boxes[i].y0 != b.boxes[i].y0 || a.boxes[i].x1 != b.boxes[i].x1 ||
            a.boxes[i].y1 != b.boxes[i].y1)
            return false;
    for (size_t i = 0; i < a.scribbles.size(); ++i)
        if (a.scribbles[i].positive != b.scribbles[i].positive || a.scribbles[i].radius != b.scribbles[i].radius ||
            !same_points(a.scribbles[i].points, b.scribbles[i].points))
            return false;
    return true;
}

}  // namespace

bool same_image_pixel(QPointF a, QPointF b) {
    return std::floor(a.x()) == std::floor(b.x()) && std::floor(a.y()) == std::floor(b.y());
}

PromptSession::PromptSession(EngineController* engines, QObject* parent) : QObject(parent), engines_(engines) {
    EngineWorker* worker = engines_->worker();
    connect(worker, &EngineWorker::segment_finished, this, &PromptSession::on_finished);
    connect(worker, &EngineWorker::segment_failed, this, &PromptSession::on_failed);
    connect(worker, &EngineWorker::postprocessed, this, &PromptSession::on_postprocessed);
}

void PromptSession::set_image(const ImageKey& key, std::shared_ptr<const Image> image) {
    clear();  // the hover preview too
    key_ = key;
    image_ = std::move(image);
}

void PromptSession::clear() {
    drop_hover();
    prompts_ = SegmentRequest();
    preview_.clear();
    candidates_.clear();
    if (awaiting_) engines_->worker()->cancel_segment();
    awaiting_ = 0;
    Q_EMIT prompts_changed(prompts_);
    Q_EMIT preview_changed();
    Q_EMIT candidates_changed(QString());
}

bool PromptSession::has_work() const { return has_visual_prompts(prompts_) || !preview_.empty() || !candidates_.empty(); }

void PromptSession::add_point(QPointF pos, bool positive) {
    if (!image_ || (positive && take_hover_as_click(pos))) return;
    prompts_.points.push_back(PointPrompt{float(pos.x()), float(pos.y()), positive});
    send(Task::Interactive);
}

void PromptSession::add_box(QRectF r) {
    if (!image_) return;
    prompts_.boxes = {BoxPrompt{float(r.left()), float(r.top()), float(r.right()), float(r.bottom())}};  // one per object
    send(Task::Interactive);
}

void PromptSession::add_scribble(const std::vector<QPointF>& points, bool positive) {
    if (!image_) return;
    ScribblePrompt s;
    s.positive = positive;
    for (const QPointF& p : points) s.points.push_back(PointF{float(p.x()), float(p.y())});
    prompts_.scribbles.push_back(std::move(s));
    send(Task::Interactive);
}

bool PromptSession::run_task(Task task, const QString& text, const std::vector<std::string>& default_categories,
                             QString* problem) {
    if (!image_) return false;
    SegmentRequest next;
    if (task == Task::Referring || task == Task::Reasoning || task == Task::Chat) {
        if (text.trimmed().isEmpty())
            return *problem = task == Task::Chat ? tr("Type a question first.") : tr("Type what to look for first."), false;
        next.text = text.trimmed().toStdString();
    } else if (task == Task::Generic || task == Task::OpenVocabulary) {
        for (const QString& c : split_names(text)) next.categories.push_back(c.toStdString());
        if (next.categories.empty()) next.categories = default_categories;
        if (next.categories.empty()) return *problem = tr("Type category names, separated by commas."), false;
    } else if (task == Task::VisualGrounded) {
        if (!has_visual_prompts(prompts_))
            return *problem = tr("Mark one example object with points, a box or a scribble first."), false;
        next = prompts_;
        next.text.clear();
        next.categories.clear();
    }
    prompts_ = next;
    send(task);
    return true;
}

bool PromptSession::find_similar(const std::vector<Mask>& masks, const QString& origin, int64_t example_instance_id,
                                 QString* problem) {
    if (!image_) return false;
    SegmentRequest r;
    for (const PointPrompt& p : prompts_.points)
        if (p.positive) r.points.push_back(p);
    r.boxes = prompts_.boxes;
    for (const ScribblePrompt& s : prompts_.scribbles)
        if (s.positive) r.scribbles.push_back(s);
    candidates_origin_ = tr("the marked example");
    example_instance_id_ = 0;
    if (!has_visual_prompts(r)) {
        r.mask_prompts = masks;
        candidates_origin_ = origin;
        example_instance_id_ = example_instance_id;
    }
    if (!has_visual_prompts(r) && r.mask_prompts.empty())
        return *problem = tr("Select an instance (Ctrl+click) or mark an example with points, a box or a scribble, then press G."), false;
    candidates_.clear();
    preview_.clear();
    Q_EMIT preview_changed();
    Q_EMIT candidates_changed(QString());
    prompts_ = r;
    send(Task::VisualGrounded);
    if (awaiting_) Q_EMIT message(tr("Looking for everything like %1…").arg(candidates_origin_), 0);
    return true;
}

void PromptSession::resend() {
    if (image_ && has_visual_prompts(prompts_)) send(Task::Interactive);
}

void PromptSession::set_thresholds(float score, float mask) {
    score_threshold_ = score;
    mask_threshold_ = mask;
}

std::optional<SegmentRequest> PromptSession::complete_request(SegmentRequest r, Task task, QString* why) const {
    const EngineInfo& engine = engines_->info();
    // Interactive refinement: the current preview is the starting point for the next answer.
    r.input_mask.reset();
    if (task == Task::Interactive && task_ == Task::Interactive && preview_.size() == 1 &&
        engine.capabilities.supports(Task::Interactive, PromptKind::Mask))
        r.input_mask = preview_.front().mask;
    r.task = task;
    const std::string problem = validate_request(engine.capabilities, r, image_->width, image_->height, engine.name.toStdString());
    if (!problem.empty()) {
        *why = qstr(problem);
        return std::nullopt;
    }
    r.score_threshold = score_threshold_;
    r.mask_threshold = mask_threshold_;
    r.inspect = true;  // kept with the answer, for the inspector (engines that cannot, ignore it)
    return r;
}

std::optional<SegmentRequest> PromptSession::click_request(QPointF pos) const {
    if (!image_ || !engines_->ready() || awaiting_) return std::nullopt;
    SegmentRequest r = prompts_;
    r.points.push_back(PointPrompt{float(pos.x()), float(pos.y()), true});
    QString why;
    return complete_request(std::move(r), Task::Interactive, &why);
}

void PromptSession::send(Task task) {
    drop_hover();  // asked with the prompts before these
    Q_EMIT prompts_changed(prompts_);
    if (!engines_->ready()) {
        Q_EMIT message(tr("The engine is not ready yet; the prompts are kept."), 4000);
        return;
    }
    QString why;
    std::optional<SegmentRequest> request = complete_request(prompts_, task, &why);
    if (!request) {
        Q_EMIT message(why, 8000);
        Q_EMIT problem(1, why);
        return;
    }
    prompts_ = std::move(*request);
    task_ = task;
    preview_source_ = source_of(prompts_);
    candidates_source_ = engines_->info().name + QStringLiteral(":vgd:") + candidates_origin_;
    timer_.restart();
    refiltering_ = false;
    awaiting_ = engines_->worker()->segment(key_, image_, prompts_);
}

bool PromptSession::request_hover(QPointF pos) {
    drop_hover();
    if (!candidates_.empty()) return false;
    std::optional<SegmentRequest> request = click_request(pos);
    if (!request) return false;
    hover_.request = std::move(*request);
    hover_.engine_load = engines_->info().load_id;
    hover_.timer.start();
    hover_.id = engines_->worker()->segment(key_, image_, hover_.request);
    return true;
}

void PromptSession::drop_hover() {
    if (hover_.id) engines_->worker()->cancel_request(hover_.id);
    const bool shown = hover_.answer.has_value();
    hover_ = Hover();
    if (shown) Q_EMIT hover_changed();
}

std::vector<InstanceResult> PromptSession::hover() const {
    if (!hover_.answer) return {};
    for (const InstanceResult& r : hover_.answer->result.instances)
        if (r.mask.width() == image_->width && r.mask.height() == image_->height && r.mask.any()) return {r};
    return {};
}

// A click on the image pixel the hover preview was asked for, with nothing changed since, takes its
// answer: the click's prompt is the hovered point (in the same pixel), so prompts and answer agree.
bool PromptSession::take_hover_as_click(QPointF pos) {
    if (!hover_.answer || hover_.engine_load != engines_->info().load_id) return false;
    const QPointF hovered(hover_.request.points.back().x, hover_.request.points.back().y);
    if (!same_image_pixel(hovered, pos)) return false;
    const std::optional<SegmentRequest> now = click_request(hovered);
    if (!now || !same_request(*now, hover_.request)) return false;
    const SegmentAnswer answer = std::move(*hover_.answer);
    const double round_trip_ms = hover_.round_trip_ms;
    prompts_ = hover_.request;
    drop_hover();
    Q_EMIT prompts_changed(prompts_);
    task_ = Task::Interactive;
    preview_source_ = source_of(prompts_);
    take_answer(answer, round_trip_ms);
    return true;
}

void PromptSession::on_finished(const SegmentAnswer& answer) {
    if (hover_.id && answer.request_id == hover_.id) {
        hover_.id = 0;
        hover_.round_trip_ms = double(hover_.timer.elapsed());
        if (answer.image_key != key_) return;
        hover_.answer = answer;
        Q_EMIT hover_changed();
        return;
    }
    if (answer.request_id != awaiting_) return;  // superseded
    awaiting_ = 0;
    if (answer.image_key != key_) return;
    take_answer(answer, double(timer_.elapsed()));
}

void PromptSession::take_answer(const SegmentAnswer& answer, double round_trip_ms) {
    last_answer_ = answer;
    answered_request_ = prompts_;
    Q_EMIT answered(answer, round_trip_ms);
    if (task_ == Task::VisualGrounded) {
        episode_ = episode_record(prompts_, example_instance_id_, engines_->info().name.toStdString());
        return show_candidates(answer.result.instances);
    }
    show_preview(answer.result.instances);
    if (task_ == Task::GroundedCaption || task_ == Task::Chat) show_caption(answer);
    // A chat answers with text only: the Caption panel shows it.
    if (task_ == Task::Chat) return Q_EMIT message(tr("The answer is in the Caption panel."), 8000);
    Q_EMIT message(preview_.empty() ? tr("The engine found nothing for these prompts. Add or move prompts, or press Esc.")
                                    : tr("Preview: %1 mask(s). Enter accepts them in the current category, Esc discards.")
                                          .arg(preview_.size()),
                   8000);
}

void PromptSession::on_failed(int request_id, const QString& message) {
    if (hover_.id && request_id == hover_.id) hover_.id = 0;  // a click there would say why
    if (request_id != awaiting_) return;
    awaiting_ = 0;
    Q_EMIT problem(2, tr("The engine could not answer: %1").arg(message));
    Q_EMIT preview_changed();
}

void PromptSession::refilter(float score, float mask) {
    if (!image_ || !last_answer_ || !last_answer_->result.inspection || last_answer_->image_key != key_) return;
    if (last_answer_->result.inspection->rule == Inspection::Rule::TextOnly) return;  // a chat: no masks
    if (awaiting_ && !refiltering_) return;  // a new answer is on its way: it replaces the last one
    refiltering_ = true;
    awaiting_ = engines_->worker()->postprocess(last_answer_->result.inspection, score, mask);
}

void PromptSession::on_postprocessed(int request_id, const std::vector<InstanceResult>& instances) {
    if (request_id != awaiting_) return;
    awaiting_ = 0;
    if (last_answer_->result.inspection->task == Task::VisualGrounded) show_candidates(instances);
    else show_preview(instances);
    Q_EMIT refiltered(int(instances.size()));
}

void PromptSession::show_preview(const std::vector<InstanceResult>& results) {
    preview_.clear();
    for (const InstanceResult& r : results) {
        if (r.mask.width() != image_->width || r.mask.height() != image_->height || !r.mask.any()) continue;
        preview_.push_back(r);
        if (task_ == Task::Interactive) break;  // the best mask only
    }
    Q_EMIT preview_changed();
}

void PromptSession::show_candidates(const std::vector<InstanceResult>& results) {
    candidates_.clear();
    // What is annotated already (the example itself, usually) is not offered again.
    const std::vector<Mask> existing = existing_ ? existing_() : std::vector<Mask>();
    int duplicates = 0;
    for (const InstanceResult& r : results) {
        if (r.mask.width() != image_->width || r.mask.height() != image_->height || !r.mask.any()) continue;
        bool dup = false;
        for (const Mask& m : existing) dup = dup || mask_iou(m, r.mask) >= kDuplicateIou;
        if (dup) ++duplicates;
        else candidates_.push_back(r);
    }
    QString origin = candidates_origin_.isEmpty() ? tr("the example") : candidates_origin_;
    if (duplicates) origin += tr(" (%1 already annotated, not listed)").arg(duplicates);
    Q_EMIT candidates_changed(origin);
    Q_EMIT message(candidates_.empty()
                       ? tr("Nothing like %1 was found.").arg(origin)
                       : tr("%1 candidate(s): Y accepts the current one, N rejects it, Shift+Y accepts all, Esc rejects all.")
                             .arg(candidates_.size()),
                   8000);
}

// Phrase i links to the preview mask whose prompt_index is i.
void PromptSession::show_caption(const SegmentAnswer& answer) {
    const QString text = qstr(answer.result.text);
    int phrases = 0;
    for (int pos = 0; (pos = text.indexOf("<p>", pos)) >= 0; pos += 3) ++phrases;
    std::vector<bool> has_mask(size_t(phrases), false);
    for (const InstanceResult& r : preview_)
        if (r.prompt_index >= 0 && r.prompt_index < phrases) has_mask[size_t(r.prompt_index)] = true;
    Q_EMIT caption_changed(text, has_mask);
}

std::vector<InstanceResult> PromptSession::take_preview() {
    std::vector<InstanceResult> out = preview_;
    clear();
    return out;
}

std::optional<InstanceResult> PromptSession::take_candidate(int index) {
    if (index < 0 || index >= int(candidates_.size())) return std::nullopt;
    InstanceResult r = candidates_[size_t(index)];
    candidates_.erase(candidates_.begin() + index);
    Q_EMIT candidates_changed(candidates_origin_);
    return r;
}

std::vector<InstanceResult> PromptSession::take_candidates() {
    std::vector<InstanceResult> all;
    all.swap(candidates_);
    Q_EMIT candidates_changed(QString());
    return all;
}


QString PromptSession::source_of(const SegmentRequest& r) const {
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
    const QString task = r.task == Task::Interactive ? QString() : QString::fromLatin1(task_name(r.task)) + ":";
    return engines_->info().name + ":" + task + parts.join(',');
}

}  // namespace xs
