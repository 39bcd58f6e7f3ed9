#include "ui/annotation_editor.h"

#include <QColorDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <algorithm>

#include "core/engine/provenance.h"
#include "core/mask/mask_scale.h"
#include "ui/attribute_declarations.h"
#include "ui/document.h"
#include "ui/qt_convert.h"
#include "ui/referring_editor.h"

namespace xs {

AnnotationEditor::AnnotationEditor(Document* doc, QWidget* window) : QObject(window), doc_(doc), window_(window) {}

void AnnotationEditor::set_image(const ImageKey& key) {
    key_ = key;
    set_selection({});
}

const ImageRecord* AnnotationEditor::record() const { return key_.empty() ? nullptr : doc_->project().find_image(key_); }

void AnnotationEditor::set_selection(const Selection& ids) {
    selection_ = ids;
    Q_EMIT selection_changed(selection_);
}

void AnnotationEditor::select(int64_t id, bool extend) {
    Selection ids = extend ? selection_ : Selection();
    if (id) {
        auto it = std::find(ids.begin(), ids.end(), id);
        if (it != ids.end() && extend) ids.erase(it);
        else if (it == ids.end()) ids.push_back(id);
    }
    set_selection(ids);
}

void AnnotationEditor::drop_missing_from_selection() {
    const ImageRecord* rec = record();
    Selection keep;
    if (rec)
        for (int64_t id : selection_)
            for (const Instance& inst : rec->instances)
                if (inst.id == id) keep.push_back(id);
    if (keep != selection_) set_selection(keep);
}

std::vector<Mask> AnnotationEditor::all_masks() const {
    std::vector<Mask> out;
    if (const ImageRecord* rec = record())
        for (const Instance& inst : rec->instances)
            if (inst.mask.width == rec->width && inst.mask.height == rec->height) out.push_back(rle_decode(inst.mask));
    return out;
}

std::vector<Mask> AnnotationEditor::masks_of(const Selection& ids) const {
    std::vector<Mask> out;
    const ImageRecord* rec = record();
    if (!rec) return out;
    for (const Instance& inst : rec->instances) {
        const bool listed = std::find(ids.begin(), ids.end(), inst.id) != ids.end();
        if (listed && inst.mask.width == rec->width && inst.mask.height == rec->height) out.push_back(rle_decode(inst.mask));
    }
    return out;
}

void AnnotationEditor::merge() {
    const ImageRecord* rec = record();
    int64_t kept = 0;
    std::optional<Instances> list = rec ? merge_instances(rec->instances, selection_, now_ms(), &kept) : std::nullopt;
    if (!list) return Q_EMIT message(tr("Select two or more instances to merge (Ctrl+click or in the list)."), 4000);
    doc_->edit_instances(key_, std::move(*list), tr("Merge %1 instances").arg(selection_.size()));
    set_selection({kept});
}

void AnnotationEditor::subtract() {
    const ImageRecord* rec = record();
    if (!rec || selection_.size() < 2)
        return Q_EMIT message(tr("Select two or more instances: the top-most one is cut out of the others."), 4000);
    if (auto list = subtract_instances(rec->instances, selection_, now_ms()))
        doc_->edit_instances(key_, std::move(*list), tr("Subtract"));
}

void AnnotationEditor::delete_selected() {
    const ImageRecord* rec = record();
    if (!rec) return;
    if (auto list = delete_instances(rec->instances, selection_)) {
        const int n = int(rec->instances.size() - list->size());
        selection_.clear();
        doc_->edit_instances(key_, std::move(*list), n == 1 ? tr("Delete instance") : tr("Delete %1 instances").arg(n));
        Q_EMIT selection_changed(selection_);
    }
}

void AnnotationEditor::move(int step) {
    const ImageRecord* rec = record();
    if (!rec) return;
    if (auto list = reorder_instances(rec->instances, selection_, step))
        doc_->edit_instances(key_, std::move(*list), step > 0 ? tr("Bring forward") : tr("Send backward"));
}

void AnnotationEditor::apply_current_category() {
    const ImageRecord* rec = record();
    const Category* category = doc_->project().find_category(category_);
    if (!rec || !category) return;
    if (auto list = apply_category(rec->instances, selection_, *category, now_ms()))
        doc_->edit_instances(key_, std::move(*list), tr("Change category"));
}

void AnnotationEditor::set_visible(int64_t id, bool visible) {
    const ImageRecord* rec = record();
    if (!rec) return;
    if (auto list = xs::set_visible(rec->instances, id, visible))
        doc_->edit_instances(key_, std::move(*list), visible ? tr("Show instance") : tr("Hide instance"));
}

void AnnotationEditor::set_attribute(const QString& name, const AttributeValue& value) {
    const ImageRecord* rec = record();
    if (!rec) return;
    if (auto list = xs::set_attribute(rec->instances, selection_, doc_->project().categories, name.toStdString(), value,
                                      now_ms()))
        doc_->edit_instances(key_, std::move(*list), tr("Set %1").arg(name));
}

void AnnotationEditor::toggle_flag(const char* name) {
    const ImageRecord* rec = record();
    if (!rec || selection_.empty()) return;
    set_attribute(QString::fromLatin1(name), AttributeValue(toggled_flag(rec->instances, selection_, name)));
}

int AnnotationEditor::category_for_new(ProjectEdit* edit) {
    return category_for_new_instances(doc_->project(), category_, edit);
}

void AnnotationEditor::stroke(const Mask& stroke, bool erase) {
    const ImageRecord* rec = record();
    if (!rec) return;
    if (selection_.size() > 1) return Q_EMIT message(tr("Select a single instance to paint on."), 4000);
    if (selection_.empty() && erase)
        return Q_EMIT message(tr("Select the instance to erase from first (Ctrl+click it)."), 4000);
    if (selection_.empty()) {
        if (!stroke.any()) return;
        return set_selection({add_manual_instance(stroke, "manual:brush", tr("Brush (new instance)"))});
    }
    const size_t before = rec->instances.size();
    if (auto list = paint_instance(rec->instances, selection_.front(), stroke, erase, now_ms())) {
        const bool removed = list->size() < before;
        doc_->edit_instances(key_, std::move(*list), removed ? tr("Erase (instance removed)") : erase ? tr("Erase") : tr("Brush"));
        if (removed) set_selection({});
    }
}

int64_t AnnotationEditor::add_manual_instance(const Mask& mask, const std::string& source, const QString& undo_text) {
    ProjectEdit edit;
    const int category = category_for_new(&edit);
    Instances list = record()->instances;
    list.push_back(doc_->project().new_instance(category, rle_encode(mask), 1.0f, source));
    const int64_t id = list.back().id;
    edit.instances[key_] = std::move(list);
    doc_->edit(edit, undo_text);
    if (edit.categories) Q_EMIT category_made(category);
    return id;
}

void AnnotationEditor::add_polygon(const std::vector<QPointF>& vertices) {
    const ImageRecord* rec = record();
    if (!rec) return;
    Polygon ring;
    for (const QPointF& v : vertices) ring.insert(ring.end(), {v.x() - 0.5, v.y() - 0.5});  // canvas -> COCO
    const Mask mask = shapes_to_mask({PolygonShape{ring, {}}}, rec->width, rec->height);
    if (!mask.any())
        return Q_EMIT message(tr("The polygon covers no pixel centre of the image; nothing was added."), 5000);
    set_selection({add_manual_instance(mask, "manual:polygon", tr("Polygon (new instance)"))});
}

bool AnnotationEditor::selected_shapes(double tolerance, int64_t* id, PolygonShapes* shapes, RoundTripLoss* loss) {
    const ImageRecord* rec = record();
    const Instance* inst = nullptr;
    if (rec && selection_.size() == 1)
        for (const Instance& i : rec->instances)
            if (i.id == selection_.front() && i.mask.width == rec->width && i.mask.height == rec->height) inst = &i;
    if (!inst) {
        Q_EMIT message(tr("Select one instance to edit its vertices (Ctrl+click it)."), 4000);
        return false;
    }
    const Mask mask = rle_decode(inst->mask);
    *id = inst->id;
    *shapes = mask_to_shapes(mask, tolerance);
    *loss = shape_round_trip_loss(mask, *shapes);
    return true;
}

void AnnotationEditor::set_shapes(const ImageKey& key, int64_t id, const PolygonShapes& shapes) {
    const ImageRecord* rec = doc_->project().find_image(key);
    if (!rec) return;
    if (std::none_of(rec->instances.begin(), rec->instances.end(), [id](const Instance& i) { return i.id == id; }))
        return Q_EMIT message(tr("The instance whose vertices were edited is gone; the edit was not applied."), 5000);
    const size_t before = rec->instances.size();
    std::optional<Instances> list = set_instance_mask(rec->instances, id, shapes_to_mask(shapes, rec->width, rec->height), now_ms());
    if (!list) return Q_EMIT message(tr("Vertex editing changed no pixel."), 3000);
    const bool removed = list->size() < before;
    doc_->edit_instances(key, std::move(*list), removed ? tr("Edit vertices (instance removed)") : tr("Edit vertices"));
    if (removed && key == key_) drop_missing_from_selection();
}

std::vector<int64_t> AnnotationEditor::add_instances(const std::vector<InstanceResult>& results, const std::string& source,
                                                     bool use_labels, const QString& undo_text, const Provenance& from) {
    const ImageRecord* rec = record();
    if (!rec || results.empty()) return {};
    ProjectEdit edit;
    const int current = category_for_new(&edit);
    const std::vector<Category>& cats = edit.categories ? *edit.categories : doc_->project().categories;
    Instances list = rec->instances;
    std::vector<int64_t> ids;
    for (const InstanceResult& r : results) {
        int category = current;
        for (const Category& c : cats)
            if (use_labels && !r.label.empty() && c.name == r.label) category = c.id;
        Instance inst = doc_->project().new_instance(category, rle_encode(r.mask), r.score, source);
        if (from.request) {
            record_prompt(inst, *from.request);
            to_full_resolution(inst.prompt.visual);
        }
        list.push_back(std::move(inst));
        ids.push_back(list.back().id);
    }
    edit.instances[key_] = std::move(list);
    if (from.caption_text || from.episode) {
        ImageGrounding grounding{rec->captions, rec->episodes};
        if (from.caption_text) {
            SegmentResult accepted;  // the accepted masks keep their phrase (prompt_index)
            accepted.text = *from.caption_text;
            accepted.instances = results;
            grounding.captions.push_back(caption_record(accepted, ids, source));
        }
        if (from.episode) {
            std::vector<int64_t>& list_of = episode_in(grounding, *from.episode).accepted;
            list_of.insert(list_of.end(), ids.begin(), ids.end());
        }
        edit.grounding[key_] = std::move(grounding);
    }
    doc_->edit(edit, undo_text);
    if (edit.categories) Q_EMIT category_made(current);
    return ids;
}

void AnnotationEditor::reject_candidates(const std::vector<InstanceResult>& rejected, const FindAllEpisode& episode,
                                         const QString& undo_text) {
    const ImageRecord* rec = record();
    if (!rec || rejected.empty()) return;
    ImageGrounding grounding{rec->captions, rec->episodes};
    FindAllEpisode& e = episode_in(grounding, episode);
    for (const InstanceResult& r : rejected) e.rejected.push_back({mask_at_full_resolution(r.mask), r.score});
    ProjectEdit edit;
    edit.grounding[key_] = std::move(grounding);
    doc_->edit(edit, undo_text);
}

void AnnotationEditor::set_referring(int64_t id, const std::vector<std::string>& sentences, const QString& undo_text) {
    const ImageRecord* rec = record();
    if (!rec) return;
    std::vector<std::string> kept;
    for (const std::string& s : sentences)
        if (!QString::fromStdString(s).trimmed().isEmpty()) kept.push_back(QString::fromStdString(s).trimmed().toStdString());
    Instances list = rec->instances;
    auto it = std::find_if(list.begin(), list.end(), [id](const Instance& i) { return i.id == id; });
    if (it == list.end() || it->referring == kept) return;
    it->referring = std::move(kept);
    doc_->edit_instances(key_, std::move(list), undo_text);
}

// An episode is one run: its creation time and source name it (its example is stored at full resolution).
void AnnotationEditor::edit_referring() {
    const ImageRecord* rec = record();
    if (!rec || selection_.size() != 1)
        return Q_EMIT message(tr("Select one instance (Ctrl+click) to edit its referring sentences."), 5000);
    const int64_t id = selection_.front();
    auto sentences_of = [this, id]() -> std::vector<std::string> {
        if (const ImageRecord* r = record())
            for (const Instance& inst : r->instances)
                if (inst.id == id) return inst.referring;
        return {};
    };
    const Instance* inst = nullptr;
    for (const Instance& i : rec->instances)
        if (i.id == id) inst = &i;
    if (!inst) return;
    const Category* cat = doc_->project().find_category(inst->category_id);
    ReferringEditor dialog(QStringLiteral("#%1 %2").arg(id).arg(cat ? qstr(cat->name) : QString()), inst->referring, window_);
    connect(&dialog, &ReferringEditor::changed, this,
            [this, id, &dialog, sentences_of](const std::vector<std::string>& sentences, const QString& undo_text) {
                set_referring(id, sentences, undo_text);
                dialog.set_sentences(sentences_of());  // as the document has them (a read-only one refuses)
            });
    dialog.exec();
}

FindAllEpisode& AnnotationEditor::episode_in(ImageGrounding& grounding, const FindAllEpisode& like) const {
    for (FindAllEpisode& e : grounding.episodes)
        if (e.created_ms == like.created_ms && e.source == like.source && e.example_instance_id == like.example_instance_id)
            return e;
    FindAllEpisode fresh = like;
    fresh.accepted.clear();
    fresh.rejected.clear();
    to_full_resolution(fresh.example);
    grounding.episodes.push_back(std::move(fresh));
    return grounding.episodes.back();
}

void AnnotationEditor::to_full_resolution(std::vector<VisualPrompt>& prompts) const {
    int full_w = 0, full_h = 0, work_w = 0, work_h = 0;
    if (!doc_->working_resolution(key_, &full_w, &full_h, &work_w, &work_h)) return;
    const double sx = double(full_w) / work_w, sy = double(full_h) / work_h;
    for (VisualPrompt& p : prompts) {
        for (auto& xy : p.points) xy = {xy[0] * sx, xy[1] * sy};
        p.radius *= sx;
        if (p.raster.width == work_w && p.raster.height == work_h) p.raster = rle_upsample(p.raster, full_w, full_h);
    }
}

Rle AnnotationEditor::mask_at_full_resolution(const Mask& mask) const {
    int full_w = 0, full_h = 0, work_w = 0, work_h = 0;
    if (!doc_->working_resolution(key_, &full_w, &full_h, &work_w, &work_h)) return rle_encode(mask);
    return rle_upsample(rle_encode(mask), full_w, full_h);
}

void AnnotationEditor::add_category() {
    if (!doc_->is_open()) return;
    bool ok = false;
    const QString name = QInputDialog::getText(window_, tr("Add category"), tr("Name:"), QLineEdit::Normal, QString(), &ok).trimmed();
    if (!ok || name.isEmpty()) return;
    std::optional<ProjectEdit> edit = xs::add_category(doc_->project(), name.toStdString());
    if (!edit) return Q_EMIT notice(1, tr("There is already a category named \"%1\".").arg(name));
    const int id = edit->categories->back().id;
    doc_->edit(std::move(*edit), tr("Add category %1").arg(name));
    Q_EMIT category_made(id);
}

void AnnotationEditor::rename_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    bool ok = false;
    const QString name =
        QInputDialog::getText(window_, tr("Rename category"), tr("Name:"), QLineEdit::Normal, qstr(c->name), &ok).trimmed();
    if (!ok || name.isEmpty() || name == qstr(c->name)) return;
    ProjectEdit edit;
    edit.categories = xs::rename_category(doc_->project().categories, id, name.toStdString());
    if (!edit.categories) return Q_EMIT notice(1, tr("There is already a category named \"%1\".").arg(name));
    doc_->edit(std::move(edit), tr("Rename category"));
}

void AnnotationEditor::recolor_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    const QColor color = QColorDialog::getColor(to_qcolor(c->color), window_, tr("Colour of %1").arg(qstr(c->name)));
    if (!color.isValid()) return;
    ProjectEdit edit;
    edit.categories = xs::recolor_category(doc_->project().categories, id, to_rgb(color));
    doc_->edit(std::move(edit), tr("Recolour category"));
}

void AnnotationEditor::delete_category(int id) {
    const Category* c = doc_->project().find_category(id);
    if (!c) return;
    int uses = 0, images = 0;
    for (const ImageRecord& r : doc_->project().images) {
        const int n = int(std::count_if(r.instances.begin(), r.instances.end(), [id](const Instance& i) { return i.category_id == id; }));
        uses += n;
        images += n > 0;
    }
    const QString question =
        uses ? tr("Delete the category \"%1\" and its %2 instances on %3 images?\n(Undo brings them back.)").arg(qstr(c->name)).arg(uses).arg(images)
             : tr("Delete the category \"%1\"? No instance uses it.").arg(qstr(c->name));
    if (QMessageBox::question(window_, tr("Delete category"), question, QMessageBox::Yes | QMessageBox::Cancel,
                              QMessageBox::Cancel) != QMessageBox::Yes)
        return;
    if (std::optional<ProjectEdit> edit = xs::delete_category(doc_->project(), id)) doc_->edit(std::move(*edit), tr("Delete category"));
}

void AnnotationEditor::edit_attribute_declarations(int category_id) {
    const Category* c = doc_->project().find_category(category_id);
    if (!c) return;
    AttributeDeclarationsDialog dialog(qstr(c->name), c->attributes, window_);
    // After each request: what happened, and the declarations as the document has them.
    auto show = [this, category_id, &dialog](bool changed, const QString& done, const std::string& chosen) {
        dialog.show_message(changed ? done : doc_->read_only() ? doc_->read_only_reason() : tr("Nothing changed."), !changed);
        const Category* now = doc_->project().find_category(category_id);
        dialog.set_declarations(now ? now->attributes : std::vector<AttributeSpec>(), chosen);
    };
    connect(&dialog, &AttributeDeclarationsDialog::declare_requested, this, [this, category_id, show](const AttributeSpec& spec) {
        const QString name = qstr(spec.name);
        const bool changed = apply_declaration_edit(declare_attribute(doc_->project(), category_id, spec),
                                                    tr("Declare attribute %1").arg(name));
        show(changed, tr("Declared \"%1\".").arg(name), spec.name);
    });
    connect(&dialog, &AttributeDeclarationsDialog::change_requested, this,
            [this, category_id, show](const std::string& name, const AttributeSpec& spec) {
                int reset = 0;
                const bool changed = apply_declaration_edit(change_attribute(doc_->project(), category_id, name, spec, &reset),
                                                            tr("Change attribute %1").arg(qstr(name)));
                show(changed,
                     reset ? tr("Changed \"%1\": %2 instance(s) had a value it no longer takes and now have its default "
                                "(Undo brings them back).").arg(qstr(name)).arg(reset)
                           : tr("Changed \"%1\"; every instance kept its value.").arg(qstr(name)),
                     changed ? spec.name : name);
            });
    connect(&dialog, &AttributeDeclarationsDialog::remove_requested, this, [this, category_id, show](const std::string& name) {
        const bool changed = apply_declaration_edit(remove_attribute(doc_->project(), category_id, name),
                                                    tr("Remove attribute %1").arg(qstr(name)));
        show(changed, tr("Removed \"%1\" and every instance's value of it (Undo brings them back).").arg(qstr(name)), {});
    });
    dialog.exec();
}

bool AnnotationEditor::apply_declaration_edit(std::optional<ProjectEdit> edit, const QString& undo_text) {
    if (!edit || !doc_->is_open() || doc_->read_only()) return false;
    doc_->edit(std::move(*edit), undo_text);
    return true;
}

}  // namespace xs
