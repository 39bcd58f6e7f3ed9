// Brush: paints onto the selected instance (a new one when none is selected); a right drag erases.
#include <QObject>

#include "ui/tools/stroke_tool.h"
#include "ui/tools/tools.h"

namespace xs {

namespace {

class BrushTool : public StrokeTool {
public:
    QString help() const override {
        return QObject::tr("Paint onto the selected instance (a new one if none is selected); right drag erases.");
    }

protected:
    bool paints(Qt::MouseButton button) const override { return button != Qt::RightButton; }
    QColor outline() const override { return QColor(255, 255, 255); }
};

}  // namespace

std::unique_ptr<CanvasTool> make_brush_tool() { return std::make_unique<BrushTool>(); }

}  // namespace xs
