#pragma once
// The canvas tools (ui/canvas_tool.h), one source file each; the action table names them.
#include <memory>
#include <string>

#include "ui/canvas_tool.h"

namespace xs {

std::unique_ptr<CanvasTool> make_select_tool();
std::unique_ptr<CanvasTool> make_points_box_tool();
std::unique_ptr<CanvasTool> make_scribble_tool();
std::unique_ptr<CanvasTool> make_brush_tool();
std::unique_ptr<CanvasTool> make_eraser_tool();
std::unique_ptr<CanvasTool> make_polygon_tool();

// Vertex editing is a command on the selected instance (not a tool row): the tool starts with that
// instance's shapes and ends with a Vertices gesture naming the image and the instance.
struct VertexEditTarget {
    std::string image;
    int64_t instance = 0;
    PolygonShapes shapes;  // COCO coordinates
};
std::unique_ptr<CanvasTool> make_vertex_edit_tool(VertexEditTarget target);

}  // namespace xs
