#pragma once
// The canvas tools (ui/canvas_tool.h), one source file each; the action table names them.
#include <memory>

#include "ui/canvas_tool.h"

namespace xs {

std::unique_ptr<CanvasTool> make_select_tool();
std::unique_ptr<CanvasTool> make_points_box_tool();
std::unique_ptr<CanvasTool> make_scribble_tool();
std::unique_ptr<CanvasTool> make_brush_tool();
std::unique_ptr<CanvasTool> make_eraser_tool();

}  // namespace xs
