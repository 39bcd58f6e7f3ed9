#pragma once
// Shows the prompt session: its prompts and preview on the canvas, "find all like this" candidates
// (numbered outlines on the canvas and the Candidates panel) and the grounded caption (each phrase
// linked to its preview mask, both ways). Accepting or rejecting a candidate hands it to the editor,
// with the request and the find-all episode it belongs to (kept as grounding data).
#include <QObject>
#include <QPointF>

class QDockWidget;
class QStatusBar;

namespace xs {

class AnnotationEditor;
struct Provenance;
class CandidatesPanel;
class CaptionView;
class ImageCanvas;
class PromptSession;

class SessionView : public QObject {
    Q_OBJECT
public:
    struct Widgets {
        ImageCanvas* canvas;
        CandidatesPanel* candidates;
        QDockWidget* candidates_dock;
        CaptionView* caption;
        QDockWidget* caption_dock;
        QStatusBar* status;
    };
    SessionView(PromptSession* session, AnnotationEditor* editor, const Widgets& widgets, QObject* parent);

    bool pick_candidate(QPointF image_pos);  // true when a click there picked a candidate
    void accept_candidate(int index);        // -1: the current one
    void reject_candidate(int index);
    void accept_all_candidates();
    void reject_all_candidates();

Q_SIGNALS:
    void preview_changed();

private:
    void show_preview();
    void show_candidates(const QString& origin, int current);
    void link_caption(QPointF image_pos);
    void highlight_phrase(int phrase);
    Provenance provenance() const;

    PromptSession* session_;
    AnnotationEditor* editor_;
    Widgets w_;
};

}  // namespace xs
