#pragma once
// Masks <-> COCO polygons.
//
//   std::vector<xs::Polygon> polys = {{10, 10, 50, 10, 30, 40}};       // x1,y1,x2,y2,... in pixels
//   xs::Mask m = xs::polygons_to_mask(polys, 640, 480);               // exactly as pycocotools
//   if (auto exact = xs::exact_polygons(m)) { ...write *exact... }    // else write RLE
//
// Rasterisation reproduces pycocotools (frPyObjects + merge, i.e. maskApi.c rleFrPoly and a union):
// a pixel (x, y) is the unit square centred on integer coordinates (x, y). Polygons are unioned by
// every COCO reader, so they cannot express holes.
#include <optional>
#include <vector>

#include "core/mask/mask.h"

namespace xs {

using Polygon = std::vector<double>;  // x1, y1, x2, y2, ... (at least 3 points for COCO)

// One polygon rasterised exactly like pycocotools' rleFrPoly.
Rle rle_from_polygon(const Polygon& xy, int height, int width);
// The union of several polygons (what pycocotools' annToMask gives for a polygon segmentation).
Mask polygons_to_mask(const std::vector<Polygon>& polygons, int width, int height);
Rle polygons_to_rle(const std::vector<Polygon>& polygons, int height, int width);

// Outer boundaries of the mask's 4-connected parts, traced along pixel edges: vertices lie on pixel
// corners (half-integers such as 9.5; 0 instead of -0.5 on the left/top border), collinear points
// removed, clockwise in image coordinates.
// Holes are not represented (see mask_has_holes).
std::vector<Polygon> mask_to_polygons(const Mask& mask);

// True if some background region is enclosed by the mask (OpenCV findContours, RETR_CCOMP, with
// the foreground 8-connected).
bool mask_has_holes(const Mask& mask);

// Polygons that rasterise (as above) back to exactly this mask, or nullopt when polygons cannot
// express it (holes; every instance is checked pixel for pixel). An empty mask gives nullopt.
std::optional<std::vector<Polygon>> exact_polygons(const Mask& mask);
inline bool can_export_as_polygons(const Mask& mask) { return exact_polygons(mask).has_value(); }

// Regions with holes, for drawing and vertex editing (COCO files never hold these: see above).
//
//   xs::PolygonShapes shapes = xs::mask_to_shapes(mask, 1.0);        // outlines and hole outlines
//   ... move, insert, delete vertices (core/annotation/vertex_editing.h) ...
//   xs::Mask back = xs::shapes_to_mask(shapes, mask.width(), mask.height());
//
// Rasterisation rule: every ring is rasterised alone exactly as above (pycocotools' rleFrPoly, so a
// self-crossing ring is filled even-odd); a shape is its outer ring minus the union of its hole
// rings; the shapes are unioned. A shape without holes therefore gives exactly what pycocotools'
// frPyObjects + merge gives for the same polygons, and holes are explicit rings rather than a
// winding rule, so two overlapping outer rings never cancel each other out (they would under
// even-odd) and a hole stays a hole whichever way its ring runs (nonzero depends on that).
struct PolygonShape {
    Polygon outer;
    std::vector<Polygon> holes;
    bool operator==(const PolygonShape& o) const { return outer == o.outer && holes == o.holes; }
};
using PolygonShapes = std::vector<PolygonShape>;

Rle shapes_to_rle(const PolygonShapes& shapes, int height, int width);
Mask shapes_to_mask(const PolygonShapes& shapes, int width, int height);

// One shape per 4-connected part of the mask: its outline and the outlines of its holes (background
// enclosed by it, 8-connected), traced along pixel edges like mask_to_polygons, then simplified by
// Douglas-Peucker with `tolerance` pixels (0: exact; collinear points are always removed). A ring that
// simplifies to fewer than 3 vertices is dropped (its pixels count as lost). An island inside a hole
// is a shape of its own.
PolygonShapes mask_to_shapes(const Mask& mask, double tolerance);

// What the round trip through `shapes` (made by mask_to_shapes from `mask`) changes once they are
// rasterised back: mask pixels they lose and pixels they add. At tolerance 0 both are 0.
struct RoundTripLoss {
    int64_t lost = 0;
    int64_t added = 0;
    int64_t total() const { return lost + added; }
};
RoundTripLoss shape_round_trip_loss(const Mask& mask, const PolygonShapes& shapes);

}  // namespace xs
