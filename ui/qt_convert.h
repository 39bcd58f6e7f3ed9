#pragma once
// Conversions between core types (no Qt) and Qt types, used across ui/.
#include <QColor>
#include <QImage>
#include <QString>

#include "core/annotation/project.h"
#include "core/io/image.h"
#include "core/mask/mask.h"
#include "core/util/utf8.h"

namespace xs {

inline QString qstr(const std::string& s) { return QString::fromStdString(s); }
inline std::string stdstr(const QString& s) { return s.toStdString(); }
// A file name (an ImageKey: file system bytes) for display: bytes that are not UTF-8 show as U+FFFD,
// the name itself stays as it is everywhere else.
inline QString display_name(const std::string& file_name) { return QString::fromStdString(utf8_display(file_name)); }

inline QColor to_qcolor(Rgb c) { return QColor(c.r, c.g, c.b); }
inline Rgb to_rgb(const QColor& c) { return Rgb{uint8_t(c.red()), uint8_t(c.green()), uint8_t(c.blue())}; }

// Display copy of an RGB image, in the format QPainter draws fastest (RGB32).
QImage to_qimage(const Image& image);

// True when the mask pixel (x, y) is set, read straight from the run lengths (no decoding).
bool rle_contains(const Rle& rle, int x, int y);

// The bounding box of a run-length mask as a QRect (empty for an empty mask).
QRect rle_rect(const Rle& rle);

}  // namespace xs
