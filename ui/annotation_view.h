#pragma once
// Shows the shown image's annotations: the canvas overlay, the instance list, the selection (on the
// canvas and in the list) and the instance under the pointer (highlighted, with a tooltip). The
// list's selection, visibility boxes and context menu go to the editor, and so do the Attributes
// panel's changes.
#include <QList>
#include <QObject>

#include "core/annotation/editing.h"

class QAction;

namespace xs {

class AnnotationEditor;
class AttributePanel;
class CategoryPanel;
class Document;
class ImageCanvas;
class InstancePanel;

class AnnotationView : public QObject {
    Q_OBJECT
public:
    AnnotationView(Document* doc, AnnotationEditor* editor, ImageCanvas* canvas, InstancePanel* instances,
                   CategoryPanel* categories, AttributePanel* attributes, QObject* parent);
    // The image's record changed, or another image is shown (nullptr: none).
    void refresh(const ImageRecord* record);
    // The instance whose vertices are being edited is left off the canvas (the vertex editor draws
    // it); 0: none.
    void set_edited_instance(int64_t id);
    // The edit actions the list's context menu offers besides "Set category".
    void set_menu_actions(const QList<QAction*>& actions) { menu_actions_ = actions; }

private:
    void show_selection(const Selection& ids);
    void show_hover(int64_t id);
    void context_menu(const QPoint& global_pos);

    Document* doc_;
    AnnotationEditor* editor_;
    ImageCanvas* canvas_;
    InstancePanel* instances_;
    CategoryPanel* categories_;
    AttributePanel* attributes_;
    QList<QAction*> menu_actions_;
    int64_t hovered_ = 0;
    int64_t edited_ = 0;
};

}  // namespace xs
