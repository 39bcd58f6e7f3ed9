#pragma once
// Editing the shown image's annotations: the selection, and every change as one undoable step. The
// changes themselves are the pure functions of core/annotation/editing.h; this class picks their
// inputs (the selection, the current category), asks for names and confirmations, and hands the
// results to the document's undo stack.
#include <QObject>
#include <QPointF>
#include <QString>
#include <vector>

#include "core/annotation/editing.h"
#include "core/engine/engine.h"
#include "core/mask/polygon.h"

class QWidget;

namespace xs {

class Document;

// What accepted engine results came from, kept with them as grounding data (core/annotation/grounding.h)
// in the same undo step.
struct Provenance {
    const SegmentRequest* request = nullptr;     // recorded as each new instance's prompt
    const std::string* caption_text = nullptr;   // a grounded caption (marked text): its phrases link to them
    const FindAllEpisode* episode = nullptr;     // "find all like this": they are its accepted candidates
};

class AnnotationEditor : public QObject {
    Q_OBJECT
public:
    AnnotationEditor(Document* doc, QWidget* window);

    // The shown image (empty: none shown); the selection starts empty.
    void set_image(const ImageKey& key);
    const ImageRecord* record() const;  // the shown image's record, nullptr when none is shown
    void set_current_category(int id) { category_ = id; }

    const Selection& selection() const { return selection_; }
    void set_selection(const Selection& ids);
    void select(int64_t id, bool extend);  // id 0 (nothing there) clears, unless extending
    void drop_missing_from_selection();    // after undo: ids that are gone leave the selection
    std::vector<Mask> selected_masks() const { return masks_of(selection_); }
    std::vector<Mask> all_masks() const;  // of the shown image's instances
    std::vector<Mask> masks_of(const Selection& ids) const;

    void merge();
    void subtract();
    void delete_selected();
    void move(int step);  // +1 bring forward, -1 send backward
    void apply_current_category();
    void set_visible(int64_t id, bool visible);
    // Sets an attribute (core/annotation/attributes.h) on every selected instance that has it, as one
    // step; toggle_flag flips a fixed boolean one (on for all unless all have it).
    void set_attribute(const QString& name, const AttributeValue& value);
    void toggle_flag(const char* name);
    // A brush or eraser stroke (a mask of the image's size) on the selected instance; painting with
    // nothing selected makes a new instance.
    void stroke(const Mask& stroke, bool erase);
    // A polygon drawn on the canvas (canvas image coordinates) as a new instance of the current
    // category, rasterised as COCO polygons are (core/mask/polygon.h).
    void add_polygon(const std::vector<QPointF>& vertices);
    // The single selected instance as polygon shapes for vertex editing (`tolerance` pixels), and what
    // rasterising them back would change. False, with a message, when not exactly one is selected.
    bool selected_shapes(double tolerance, int64_t* id, PolygonShapes* shapes, RoundTripLoss* loss);
    // Edited shapes rasterised back onto instance `id` of image `key`, as one step.
    void set_shapes(const ImageKey& key, int64_t id, const PolygonShapes& shapes);
    // New instances from engine results, in one step; `use_labels`: a result whose label names a
    // category goes there. Returns their ids.
    std::vector<int64_t> add_instances(const std::vector<InstanceResult>& results, const std::string& source,
                                       bool use_labels, const QString& undo_text, const Provenance& from = {});
    // Candidates of a "find all like this" run the user rejected: kept in its episode, one step.
    void reject_candidates(const std::vector<InstanceResult>& rejected, const FindAllEpisode& episode,
                           const QString& undo_text);
    // The shown image's referring sentences of an instance, replaced in one step (an empty sentence
    // is dropped; nothing changes when they are the same).
    void set_referring(int64_t id, const std::vector<std::string>& sentences, const QString& undo_text);

    // Opens the referring-sentence editor (ui/referring_editor.h) of the one selected instance.
    void edit_referring();
    void add_category();  // asks for a name
    void rename_category(int id);
    void recolor_category(int id);
    void delete_category(int id);  // asks first
    // Opens the dialog of a category's custom attribute declarations (ui/attribute_declarations.h);
    // each declare / change / remove it asks for is one step here.
    void edit_attribute_declarations(int category_id);

Q_SIGNALS:
    void selection_changed(const xs::Selection& ids);
    void category_made(int id);                  // a new category was added: make it current
    void message(const QString& text, int ms);   // for the status bar
    void notice(int level, const QString& text); // for the notice bar (1 warning)

private:
    int category_for_new(ProjectEdit* edit);
    int64_t add_manual_instance(const Mask& mask, const std::string& source, const QString& undo_text);
    // Grounding geometry is kept at the image's full resolution (the instance masks of an image shown
    // reduced are at the working resolution until saved: Document::full_project).
    void to_full_resolution(std::vector<VisualPrompt>& prompts) const;
    Rle mask_at_full_resolution(const Mask& mask) const;
    // The shown image's episode `like` (the same run), added (without decisions) when missing.
    FindAllEpisode& episode_in(ImageGrounding& grounding, const FindAllEpisode& like) const;
    // One declaration edit of the document; false (nothing changed) when it has none or refuses it.
    bool apply_declaration_edit(std::optional<ProjectEdit> edit, const QString& undo_text);

    Document* doc_;
    QWidget* window_;
    ImageKey key_;
    Selection selection_;
    int category_ = 0;
};

}  // namespace xs
