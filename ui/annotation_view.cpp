#include "ui/annotation_view.h"

#include <QAction>
#include <QMenu>

#include "ui/annotation_editor.h"
#include "ui/attribute_panel.h"
#include "ui/document.h"
#include "ui/image_canvas.h"
#include "ui/panels.h"
#include "ui/qt_convert.h"

namespace xs {

AnnotationView::AnnotationView(Document* doc, AnnotationEditor* editor, ImageCanvas* canvas, InstancePanel* instances,
                               CategoryPanel* categories, AttributePanel* attributes, QObject* parent)
    : QObject(parent), doc_(doc), editor_(editor), canvas_(canvas), instances_(instances), categories_(categories),
      attributes_(attributes) {
    connect(editor_, &AnnotationEditor::selection_changed, this, &AnnotationView::show_selection);
    connect(canvas_, &ImageCanvas::hovered_instance_changed, this, &AnnotationView::show_hover);
    connect(instances_, &InstancePanel::selection_changed, editor_, &AnnotationEditor::set_selection);
    connect(instances_, &InstancePanel::visibility_toggled, editor_, &AnnotationEditor::set_visible);
    connect(instances_, &InstancePanel::context_menu_requested, this, &AnnotationView::context_menu);
    connect(attributes_, &AttributePanel::attribute_edited, editor_, &AnnotationEditor::set_attribute);
}

void AnnotationView::set_edited_instance(int64_t id) {
    edited_ = id;
    refresh(editor_->record());
}

void AnnotationView::refresh(const ImageRecord* rec) {
    if (rec && edited_) {
        ImageRecord shown = *rec;
        for (Instance& inst : shown.instances)
            if (inst.id == edited_) inst.visible = false;
        canvas_->set_instances(&shown, doc_->project());
    } else {
        canvas_->set_instances(rec, doc_->project());
    }
    instances_->set_instances(rec, doc_->project());
    editor_->drop_missing_from_selection();
    show_selection(editor_->selection());
    hovered_ = -1;
    canvas_->set_hover({});
}

void AnnotationView::show_selection(const Selection& ids) {
    instances_->set_selected(ids);
    Selection shown;
    for (int64_t id : ids)
        if (id != edited_) shown.push_back(id);
    canvas_->set_selection(shown.size() == ids.size() ? editor_->selected_masks() : editor_->masks_of(shown));
    attributes_->show_instances(editor_->record(), doc_->project(), ids);
}

void AnnotationView::show_hover(int64_t id) {
    if (id == hovered_) return;
    hovered_ = id;
    const ImageRecord* rec = editor_->record();
    std::vector<Mask> masks;
    QString tip;
    if (rec && id)
        for (const Instance& inst : rec->instances) {
            if (inst.id != id) continue;
            masks.push_back(rle_decode(inst.mask));
            const Category* c = doc_->project().find_category(inst.category_id);
            tip = tr("#%1 %2 · score %3 · %4").arg(id).arg(c ? qstr(c->name) : QString("?")).arg(inst.score, 0, 'f', 2).arg(qstr(inst.source));
        }
    canvas_->set_hover(std::move(masks));
    canvas_->setToolTip(tip);
}

void AnnotationView::context_menu(const QPoint& global_pos) {
    if (editor_->selection().empty()) return;
    QMenu menu;
    QMenu* cats = menu.addMenu(tr("Set category"));
    for (const Category& c : doc_->project().categories)
        connect(cats->addAction(color_swatch(to_qcolor(c.color)), qstr(c.name)), &QAction::triggered, this, [this, id = c.id] {
            categories_->set_current_category(id);
            editor_->apply_current_category();
        });
    menu.addActions(menu_actions_);
    menu.exec(global_pos);
}

}  // namespace xs
