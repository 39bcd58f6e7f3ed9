// Eraser: erases from the selected instance (holes are kept).
#include <QObject>

#include "ui/tools/stroke_tool.h"
#include "ui/tools/tools.h"

namespace xs {

namespace {

class EraserTool : public StrokeTool {
public:
    QString help() const override { return QObject::tr("Erase from the selected instance."); }

protected:
    bool paints(Qt::MouseButton) const override { return false; }
    QColor outline() const override { return QColor(255, 120, 120); }
};

}  // namespace

std::unique_ptr<CanvasTool> make_eraser_tool() { return std::make_unique<EraserTool>(); }

}  // namespace xs
