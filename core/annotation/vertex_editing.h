#pragma once
// Vertex edits on polygon shapes (core/mask/polygon.h), as pure functions like core/annotation/editing.h:
// each takes the shapes before and returns the shapes after (std::nullopt when nothing changes).
//
//   xs::PolygonShapes shapes = xs::mask_to_shapes(mask, 1.0);
//   if (auto moved = xs::move_vertices(shapes, {{0, 0, 3}, {0, 0, 4}}, 2.0, -1.0)) shapes = *moved;
//   xs::Mask after = xs::shapes_to_mask(shapes, w, h);   // holes stay holes
//
// A vertex is named by its shape, its ring (0: the outer ring, k: hole k - 1) and its index there.
#include <optional>
#include <vector>

#include "core/mask/polygon.h"

namespace xs {

struct VertexRef {
    int shape = 0;
    int ring = 0;
    int index = 0;
    bool operator==(const VertexRef& o) const { return shape == o.shape && ring == o.ring && index == o.index; }
    bool operator<(const VertexRef& o) const {
        if (shape != o.shape) return shape < o.shape;
        if (ring != o.ring) return ring < o.ring;
        return index < o.index;
    }
};

int ring_count(const PolygonShape& shape);  // 1 + the number of holes
const Polygon* find_ring(const PolygonShapes& shapes, int shape, int ring);  // nullptr if there is none
bool vertex_exists(const PolygonShapes& shapes, const VertexRef& v);

// Moves the named vertices by (dx, dy); unknown ones are ignored, each vertex moves once.
std::optional<PolygonShapes> move_vertices(const PolygonShapes& shapes, const std::vector<VertexRef>& vertices,
                                           double dx, double dy);
// Inserts a vertex at (x, y) on the edge that starts at `edge_start` (so it gets index + 1).
std::optional<PolygonShapes> insert_vertex(const PolygonShapes& shapes, const VertexRef& edge_start, double x, double y);
// Deletes the named vertices. A ring left with fewer than 3 vertices goes (an outer ring with its
// holes: the whole shape).
std::optional<PolygonShapes> delete_vertices(const PolygonShapes& shapes, const std::vector<VertexRef>& vertices);

}  // namespace xs
