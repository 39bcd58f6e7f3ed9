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

}  // namespace xs
