#pragma once
// What the brush and the eraser share: a stroke of round dabs of the brush radius, drawn as it is
// made, and the brush outline at the pointer.
#include <QColor>
#include <vector>

#include "ui/canvas_tool.h"

namespace xs {

class StrokeTool : public CanvasTool {
public:
    void press(const ToolEvent& e, const ToolView& view) override;
    void move(const ToolEvent& e, const ToolView& view) override;
    void release(const ToolEvent& e, const ToolView& view, const Emit& emit) override;
    void cancel() override;
    void paint(QPainter& p, const ToolView& view) const override;
    Qt::CursorShape cursor() const override { return Qt::BlankCursor; }
    bool draws_at_pointer() const override { return true; }

protected:
    virtual bool paints(Qt::MouseButton button) const = 0;  // false: erases
    virtual QColor outline() const = 0;

private:
    Qt::MouseButton button_ = Qt::NoButton;
    std::vector<QPointF> stroke_;
};

}  // namespace xs
