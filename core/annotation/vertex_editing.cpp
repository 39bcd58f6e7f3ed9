#include "core/annotation/vertex_editing.h"

#include <algorithm>
#include <set>

namespace xs {

namespace {

Polygon* ring_of(PolygonShapes& shapes, int shape, int ring) {
    if (shape < 0 || shape >= int(shapes.size())) return nullptr;
    PolygonShape& s = shapes[size_t(shape)];
    if (ring == 0) return &s.outer;
    if (ring < 0 || ring > int(s.holes.size())) return nullptr;
    return &s.holes[size_t(ring - 1)];
}

int vertex_count(const Polygon& ring) { return int(ring.size() / 2); }

}  // namespace

int ring_count(const PolygonShape& shape) { return 1 + int(shape.holes.size()); }

const Polygon* find_ring(const PolygonShapes& shapes, int shape, int ring) {
    return ring_of(const_cast<PolygonShapes&>(shapes), shape, ring);
}

bool vertex_exists(const PolygonShapes& shapes, const VertexRef& v) {
    const Polygon* ring = find_ring(shapes, v.shape, v.ring);
    return ring && v.index >= 0 && v.index < vertex_count(*ring);
}

std::optional<PolygonShapes> move_vertices(const PolygonShapes& shapes, const std::vector<VertexRef>& vertices,
                                           double dx, double dy) {
    if (dx == 0 && dy == 0) return std::nullopt;
    PolygonShapes out = shapes;
    bool moved = false;
    for (const VertexRef& v : std::set<VertexRef>(vertices.begin(), vertices.end())) {
        if (!vertex_exists(shapes, v)) continue;
        Polygon& ring = *ring_of(out, v.shape, v.ring);
        ring[size_t(2 * v.index)] += dx;
        ring[size_t(2 * v.index + 1)] += dy;
        moved = true;
    }
    if (!moved) return std::nullopt;
    return out;
}

std::optional<PolygonShapes> insert_vertex(const PolygonShapes& shapes, const VertexRef& edge_start, double x, double y) {
    if (!vertex_exists(shapes, edge_start)) return std::nullopt;
    PolygonShapes out = shapes;
    Polygon& ring = *ring_of(out, edge_start.shape, edge_start.ring);
    const auto at = ring.begin() + std::ptrdiff_t(2 * (edge_start.index + 1));
    ring.insert(at, {x, y});
    return out;
}

std::optional<PolygonShapes> delete_vertices(const PolygonShapes& shapes, const std::vector<VertexRef>& vertices) {
    std::set<VertexRef> gone;
    for (const VertexRef& v : vertices)
        if (vertex_exists(shapes, v)) gone.insert(v);
    if (gone.empty()) return std::nullopt;
    PolygonShapes out;
    for (int s = 0; s < int(shapes.size()); ++s) {
        PolygonShape kept;
        for (int r = 0; r < ring_count(shapes[size_t(s)]); ++r) {
            const Polygon& ring = *find_ring(shapes, s, r);
            Polygon left;
            for (int i = 0; i < vertex_count(ring); ++i)
                if (!gone.count(VertexRef{s, r, i})) left.insert(left.end(), {ring[size_t(2 * i)], ring[size_t(2 * i + 1)]});
            if (vertex_count(left) < 3) {
                if (r == 0) break;  // the outline goes, and its holes with it
                continue;
            }
            if (r == 0) kept.outer = std::move(left);
            else kept.holes.push_back(std::move(left));
        }
        if (!kept.outer.empty()) out.push_back(std::move(kept));
    }
    return out;
}

}  // namespace xs
