#pragma once
// A canvas tool: what presses, moves and releases of the mouse on the image mean, what it draws while
// a gesture is in progress, its cursor and a line of help. One class per tool (ui/tools/); a new tool
// is one new source file (the class and its make_*_tool() factory, declared in ui/tools/tools.h) plus
// its row in the action table (ui/action_table.cpp), which gives it a name, a shortcut and a place in
// the menus and the tool bar.
//
// Tools speak in gestures, in image coordinates; the canvas hands each finished one on
// (ImageCanvas::gesture) to whoever handles that kind: prompts go to the prompt session, strokes,
// selections, polygons and vertex edits to the editor. Panning, zooming and Ctrl+click selection
// belong to the canvas, in every tool.
//
// Image coordinates: pixel (x, y) covers [x, x + 1) x [y, y + 1). Polygon shapes (core/mask/polygon.h)
// follow COCO, where pixel (x, y) is centred on (x, y): a canvas point p is the COCO point p - 0.5.
#include <QPointF>
#include <Qt>
#include <QSizeF>
#include <QString>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mask/polygon.h"

class QPainter;

namespace xs {

struct Gesture {
    enum class Kind { Point, Box, Scribble, Stroke, Select, Polygon, Vertices };
    Kind kind = Kind::Point;
    // Point, Scribble: a positive prompt (false: negative). Stroke: paint (false: erase). Select: add
    // to the selection (false: replace it). Vertices: apply the edit (false: discard it).
    bool positive = true;
    std::vector<QPointF> points;  // image coordinates; a Box has its two corners, a Polygon its vertices
    // Vertices: the edited shapes (COCO coordinates) of instance `instance` on image `image`.
    PolygonShapes shapes;
    std::string image;
    int64_t instance = 0;
};

struct ToolEvent {
    QPointF image;   // image coordinates
    QPointF widget;  // canvas coordinates
    Qt::MouseButton button = Qt::NoButton;
    Qt::KeyboardModifiers modifiers;
};

// What a tool may read of the canvas while it works.
class ToolView {
public:
    virtual ~ToolView() = default;
    virtual bool inside_image(QPointF image_pos) const = 0;
    virtual QSizeF image_extent() const = 0;  // image pixels
    virtual QPointF image_to_widget(QPointF image_pos) const = 0;
    virtual double scale() const = 0;          // canvas pixels per image pixel
    virtual double brush_radius() const = 0;   // image pixels
    virtual QPointF mouse_widget() const = 0;  // the pointer; (-1, -1) when it is outside
};

class CanvasTool {
public:
    using Emit = std::function<void(const Gesture&)>;
    virtual ~CanvasTool() = default;
    // Presses of the left or right button (the canvas keeps the middle one and Ctrl+click).
    virtual void press(const ToolEvent& e, const ToolView& view) = 0;
    virtual void move(const ToolEvent& e, const ToolView& view) = 0;
    virtual void release(const ToolEvent& e, const ToolView& view, const Emit& emit) = 0;
    virtual void cancel() = 0;  // drop the gesture in progress (another tool was chosen)
    // The gesture in progress (and, for tools that draw at the pointer, their outline).
    virtual void paint(QPainter& p, const ToolView& view) const = 0;
    virtual Qt::CursorShape cursor() const = 0;
    virtual bool draws_at_pointer() const { return false; }  // repaint around the pointer as it moves
    virtual bool repaints_on_move() const { return false; }  // repaint everything as the pointer moves
    // A left click places a positive point: the hover preview may show what it would give.
    virtual bool click_places_point() const { return false; }
    virtual QString help() const = 0;

    // Keys while the canvas has the focus. A key the tool claims reaches key_press before the
    // window's shortcuts (Enter, Esc, Backspace and Del are shortcuts of the window otherwise).
    virtual bool claims_key(int /*key*/) const { return false; }
    virtual void key_press(int /*key*/, const ToolView&, const Emit&) {}
    // A double click of the left button; false: it counts as a press.
    virtual bool double_click(const ToolEvent&, const ToolView&, const Emit&) { return false; }
    // The tool is put away (another tool, another image): unfinished work is dropped, or handed on as
    // a gesture by a tool whose work is applied on leaving (the vertex editor).
    virtual void finish(const Emit&) { cancel(); }
};

}  // namespace xs
