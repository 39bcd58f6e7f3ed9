#pragma once
// The prompt session of the shown image: the prompts placed so far, the request in flight, the live
// preview, "find all like this" candidates, the grounded caption, and the last answer (with the
// engine's inspection, so an inspector opened later shows it). It asks the engine worker and reads
// its answers; accepting a preview or a candidate hands the results to the editor (take_*).
//
// The hover preview (when to ask is ui/hover_preview.h's part) is the answer a positive click at the
// pointer would get, asked ahead: the same request a click would send, so a click on the same image
// pixel with nothing changed since (image, prompts, preview, thresholds, engine load) takes that
// answer as its own instead of asking again. It is never an instance: it only shows until the pointer
// moves, and Enter does not accept it.
#include <QElapsedTimer>
#include <QObject>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/annotation/project.h"
#include "core/engine/engine.h"
#include "core/engine/provenance.h"
#include "ui/engine_worker.h"

namespace xs {

class EngineController;

// Whether two points (image coordinates) lie in the same image pixel: clicks there ask the same.
bool same_image_pixel(QPointF a, QPointF b);

class PromptSession : public QObject {
    Q_OBJECT
public:
    PromptSession(EngineController* engines, QObject* parent = nullptr);

    // The shown image (nullptr: none); everything of the previous one is dropped. `existing` gives the
    // masks already annotated on it (candidates that repeat one are not offered).
    void set_image(const ImageKey& key, std::shared_ptr<const Image> image);
    void set_existing_masks(std::function<std::vector<Mask>()> existing) { existing_ = std::move(existing); }
    void clear();  // prompts, preview, candidates, and the request in flight
    bool has_work() const;  // prompts, a preview or candidates to discard

    void add_point(QPointF pos, bool positive);
    void add_box(QRectF rect);
    void add_scribble(const std::vector<QPointF>& points, bool positive);
    // A text-bar task: referring / reasoning need `text`; generic / open-vocabulary take the comma-
    // separated names in it (or `default_categories`); visual grounded uses the prompts placed. False
    // with *problem when the request cannot be made.
    bool run_task(Task task, const QString& text, const std::vector<std::string>& default_categories, QString* problem);
    // "Find all like this": from the positive prompts placed, else from the given masks (the selected
    // instances, described by `origin`).
    // `example_instance_id`: the one selected instance used as the example (0: none or several).
    bool find_similar(const std::vector<Mask>& masks, const QString& origin, int64_t example_instance_id,
                      QString* problem);
    void resend();  // the prompts placed while no engine was ready
    // Asks for the hover preview at `pos` (image pixels), dropping the previous one. False when a click
    // there would not be sent now: no image or engine, a request in flight, candidates listed (a click
    // picks one of them), or a point the engine does not take.
    bool request_hover(QPointF pos);
    void drop_hover();  // cancels the hover request in flight and hides its answer
    bool hover_pending() const { return hover_.id != 0; }
    bool hover_answered() const { return hover_.answer.has_value(); }
    std::vector<InstanceResult> hover() const;  // the answer's mask to show (empty: none)
    void set_thresholds(float score, float mask);
    // Re-runs the engine's post-processing over the last answer's inspection (no model pass).
    void refilter(float score, float mask);

    bool pending() const { return awaiting_ != 0; }
    Task task() const { return task_; }
    const SegmentRequest& prompts() const { return prompts_; }
    const std::vector<InstanceResult>& preview() const { return preview_; }
    const QString& preview_source() const { return preview_source_; }
    const std::vector<InstanceResult>& candidates() const { return candidates_; }
    const QString& candidates_source() const { return candidates_source_; }
    const std::optional<SegmentAnswer>& last_answer() const { return last_answer_; }
    // The request the preview or the candidates answer (kept as the accepted instances' prompt).
    const SegmentRequest& answered_request() const { return answered_request_; }
    // The "find all like this" run the candidates come from (decisions are added to it).
    const std::optional<FindAllEpisode>& episode() const { return episode_; }
    // Accepting or rejecting: the results leave the session (the preview, one candidate, or all of them).
    std::vector<InstanceResult> take_preview();
    std::optional<InstanceResult> take_candidate(int index);
    std::vector<InstanceResult> take_candidates();

Q_SIGNALS:
    void prompts_changed(const xs::SegmentRequest& prompts);
    void preview_changed();
    void candidates_changed(const QString& origin);
    void caption_changed(const QString& caption, const std::vector<bool>& has_mask);
    void answered(const xs::SegmentAnswer& answer, double round_trip_ms);
    void refiltered(int instances);
    void hover_changed();
    void message(const QString& text, int ms);  // for the status bar
    void problem(int level, const QString& text);  // for the notice bar (1 warning, 2 error)

private:
    // The request `task` with `prompts` sends now (input mask, thresholds); nullopt and *why when the
    // engine would refuse it.
    std::optional<SegmentRequest> complete_request(SegmentRequest prompts, Task task, QString* why) const;
    // What a positive click at `pos` would send now; nullopt when it would not be sent.
    std::optional<SegmentRequest> click_request(QPointF pos) const;
    bool take_hover_as_click(QPointF pos);
    void send(Task task);
    void on_finished(const SegmentAnswer& answer);
    void take_answer(const SegmentAnswer& answer, double round_trip_ms);
    void on_failed(int request_id, const QString& message);
    void on_postprocessed(int request_id, const std::vector<InstanceResult>& instances);
    void show_preview(const std::vector<InstanceResult>& results);
    void show_candidates(const std::vector<InstanceResult>& results);
    void show_caption(const SegmentAnswer& answer);
    QString source_of(const SegmentRequest& request) const;

    EngineController* engines_;
    ImageKey key_;
    std::shared_ptr<const Image> image_;
    std::function<std::vector<Mask>()> existing_;
    SegmentRequest prompts_;
    Task task_ = Task::Interactive;
    float score_threshold_ = 0.5f, mask_threshold_ = 0.5f;
    int awaiting_ = 0;  // the request (or re-filtering) whose answer is awaited, 0 if none
    bool refiltering_ = false;  // awaiting_ is a re-run of the post-processing
    QElapsedTimer timer_;
    std::vector<InstanceResult> preview_;
    QString preview_source_;
    std::vector<InstanceResult> candidates_;
    QString candidates_origin_, candidates_source_;
    std::optional<SegmentAnswer> last_answer_;
    struct Hover {
        int id = 0;              // the request in flight; 0 once answered, or none
        SegmentRequest request;  // exactly what a click would have sent
        int engine_load = 0;     // EngineInfo::load_id of the engine asked
        QElapsedTimer timer;
        double round_trip_ms = 0;
        std::optional<SegmentAnswer> answer;
    };
    Hover hover_;
    SegmentRequest answered_request_;
    int64_t example_instance_id_ = 0;
    std::optional<FindAllEpisode> episode_;
};

}  // namespace xs
