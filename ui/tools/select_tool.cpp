// Select: a left click picks the instance under it (Ctrl or Shift adds to the selection).
#include <QObject>

#include "ui/tools/tools.h"

namespace xs {

namespace {

class SelectTool : public CanvasTool {
public:
    void press(const ToolEvent&, const ToolView&) override {}
    void move(const ToolEvent&, const ToolView&) override {}
    void release(const ToolEvent& e, const ToolView& view, const Emit& emit) override {
        if (e.button != Qt::LeftButton || !view.inside_image(e.image)) return;
        const bool extend = e.modifiers & (Qt::ControlModifier | Qt::ShiftModifier);
        emit(Gesture{Gesture::Kind::Select, extend, {e.image}});
    }
    void cancel() override {}
    void paint(QPainter&, const ToolView&) const override {}
    Qt::CursorShape cursor() const override { return Qt::ArrowCursor; }
    QString help() const override { return QObject::tr("Click an instance to select it; Ctrl or Shift adds to the selection."); }
};

}  // namespace

std::unique_ptr<CanvasTool> make_select_tool() { return std::make_unique<SelectTool>(); }

}  // namespace xs
