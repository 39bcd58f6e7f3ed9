#pragma once
// Tool-bar icons, drawn with QPainter so they stay sharp at any scale and need no image files.
#include <QIcon>

namespace xs {

enum class IconKind { None, Select, Prompt, Scribble, Brush, Eraser, Accept, Undo, Redo, Fit, ActualSize, Outlines, Polygon, Vertices };

QIcon make_icon(IconKind kind);

}  // namespace xs
