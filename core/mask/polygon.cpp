// Masks <-> polygons. The rasteriser follows the behaviour of pycocotools' rleFrPoly (cocoapi
// common/maskApi.c) step by step so that results agree pixel for pixel; it is written independently
// from that description:
//   1. vertices are snapped to a grid 5x finer than the pixels (v -> int(5 v + 0.5), truncating);
//   2. every edge is walked on that grid, one step per unit of its longer axis, giving a dense
//      boundary;
//   3. wherever the boundary crosses the centre line of a pixel column, the first pixel row whose
//      centre lies at or below the crossing becomes a toggle position (column-major index);
//   4. the sorted toggle positions, plus h*w as the end, become the run lengths; a toggle that
//      coincides with the previous one cancels it.
#include "core/mask/polygon.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <map>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace xs {

namespace {

constexpr double kScale = 5.0;

// Sets the pixels of the runs of ones of rle in mask (same size).
void or_rle_into(Mask& mask, const Rle& rle) {
    const uint64_t h = uint64_t(rle.height), w = uint64_t(rle.width);
    if (h == 0 || w == 0) return;
    uint8_t* d = mask.data();
    uint64_t pos = 0;
    bool value = false;
    for (uint32_t c : rle.counts) {
        if (value && c > 0) {
            uint64_t x = pos / h, y = pos % h;
            for (uint32_t i = 0; i < c; ++i) {
                d[y * w + x] = 1;
                if (++y == h) {
                    y = 0;
                    ++x;
                }
            }
        }
        pos += c;
        value = !value;
    }
}

}  // namespace

Rle rle_from_polygon(const Polygon& xy, int height, int width) {
    if (height < 0 || width < 0) throw Error("rle_from_polygon: negative size");
    const size_t k = xy.size() / 2;
    Rle out;
    out.height = height;
    out.width = width;
    const uint32_t h = uint32_t(height), w = uint32_t(width);

    // 1. Snap the vertices to the fine grid; the polygon is closed by repeating the first vertex.
    std::vector<int> gx(k + 1), gy(k + 1);
    for (size_t j = 0; j < k; ++j) {
        gx[j] = int(kScale * xy[2 * j] + 0.5);
        gy[j] = int(kScale * xy[2 * j + 1] + 0.5);
    }
    if (k > 0) {
        gx[k] = gx[0];
        gy[k] = gy[0];
    }

    // 2. Dense boundary. Each edge is walked from its lower end along its longer axis; a
    // flipped edge is walked backwards so the points keep the polygon's order.
    std::vector<int> bu, bv;
    for (size_t j = 0; j < k; ++j) {
        int x0 = gx[j], x1 = gx[j + 1], y0 = gy[j], y1 = gy[j + 1];
        const int dx = std::abs(x1 - x0), dy = std::abs(y0 - y1);
        const bool along_x = dx >= dy;
        const bool flip = along_x ? (x0 > x1) : (y0 > y1);
        if (flip) {
            std::swap(x0, x1);
            std::swap(y0, y1);
        }
        if (along_x) {
            const double slope = dx == 0 ? 0.0 : double(y1 - y0) / dx;
            for (int d = 0; d <= dx; ++d) {
                const int t = flip ? dx - d : d;
                bu.push_back(t + x0);
                bv.push_back(int(y0 + slope * t + 0.5));
            }
        } else {
            const double slope = double(x1 - x0) / dy;
            for (int d = 0; d <= dy; ++d) {
                const int t = flip ? dy - d : d;
                bv.push_back(t + y0);
                bu.push_back(int(x0 + slope * t + 0.5));
            }
        }
    }

    // 3. Toggle positions where the boundary crosses a pixel column's centre line.
    std::vector<uint32_t> toggles;
    for (size_t j = 1; j < bu.size(); ++j) {
        if (bu[j] == bu[j - 1]) continue;
        double xd = double(bu[j] < bu[j - 1] ? bu[j] : bu[j] - 1);
        xd = (xd + 0.5) / kScale - 0.5;
        if (std::floor(xd) != xd || xd < 0 || xd > double(w) - 1.0) continue;
        double yd = double(std::min(bv[j], bv[j - 1]));
        yd = (yd + 0.5) / kScale - 0.5;
        if (yd < 0) {
            yd = 0;
        } else if (yd > double(h)) {
            yd = double(h);
        }
        yd = std::ceil(yd);
        // 0 <= xd <= w - 1 and 0 <= yd <= h: unsigned arithmetic cannot overflow while h * w fits
        // 32 bits (int arithmetic overflowed beyond 2^31 pixels).
        toggles.push_back(uint32_t(xd) * h + uint32_t(yd));
    }
    toggles.push_back(h * w);
    std::sort(toggles.begin(), toggles.end());

    // 4. Run lengths; a zero-length run means two toggles at one place, which cancel.
    std::vector<uint32_t> steps(toggles.size());
    uint32_t prev = 0;
    for (size_t j = 0; j < toggles.size(); ++j) {
        steps[j] = toggles[j] - prev;
        prev = toggles[j];
    }
    size_t j = 0;
    out.counts.push_back(steps[j++]);
    while (j < steps.size()) {
        if (steps[j] > 0) {
            out.counts.push_back(steps[j++]);
        } else {
            ++j;
            if (j < steps.size()) out.counts.back() += steps[j++];
        }
    }
    return out;
}

Mask polygons_to_mask(const std::vector<Polygon>& polygons, int width, int height) {
    Mask m(width, height);
    for (const Polygon& p : polygons) or_rle_into(m, rle_from_polygon(p, height, width));
    return m;
}

Rle polygons_to_rle(const std::vector<Polygon>& polygons, int height, int width) {
    return rle_encode(polygons_to_mask(polygons, width, height));
}

namespace {

// One closed boundary of a mask, traced along pixel edges. Corner (i, j) sits at (i - 0.5, j - 0.5).
struct TracedLoop {
    std::vector<std::pair<int, int>> corners;  // where the direction changes
    bool outer = false;                        // clockwise in image coordinates (a hole runs the other way)
    int pixel_x = 0, pixel_y = 0;              // a foreground pixel along the loop: which part it bounds
};

// Every boundary of `mask`: boundary edges run with the foreground on their right (image coordinates,
// y down), so outer boundaries go clockwise and hole boundaries counter-clockwise. The foreground is
// 4-connected (parts touching only at a corner get separate loops), the background 8-connected.
std::vector<TracedLoop> trace_loops(const Mask& mask) {
    const int w = mask.width(), h = mask.height();
    std::vector<TracedLoop> result;
    if (w <= 0 || h <= 0) return result;
    // Directions: 0 east, 1 south, 2 west, 3 north.
    const int cw = w + 1;
    std::vector<uint8_t> out((size_t(w) + 1) * (size_t(h) + 1), 0);
    auto fg = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h && mask.at(x, y); };
    auto corner = [&](int i, int j) { return size_t(j) * cw + i; };
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            if (!mask.at(x, y)) continue;
            if (!fg(x, y - 1)) out[corner(x, y)] |= 1 << 0;          // top edge, eastwards
            if (!fg(x + 1, y)) out[corner(x + 1, y)] |= 1 << 1;      // right edge, southwards
            if (!fg(x, y + 1)) out[corner(x + 1, y + 1)] |= 1 << 2;  // bottom edge, westwards
            if (!fg(x - 1, y)) out[corner(x, y + 1)] |= 1 << 3;      // left edge, northwards
        }
    }
    static const int kDx[4] = {1, 0, -1, 0};
    static const int kDy[4] = {0, 1, 0, -1};
    // The pixel on the right of an edge leaving corner (i, j) in direction d, as an offset from (i, j).
    static const int kRightX[4] = {0, -1, -1, 0};
    static const int kRightY[4] = {0, 0, -1, -1};
    for (int j = 0; j <= h; ++j) {
        for (int i = 0; i <= w; ++i) {
            while (out[corner(i, j)]) {
                // Trace one loop starting here.
                int d = 0;
                while (!(out[corner(i, j)] & (1 << d))) ++d;
                TracedLoop loop;
                loop.pixel_x = i + kRightX[d];
                loop.pixel_y = j + kRightY[d];
                std::vector<std::pair<int, int>>& pts = loop.corners;
                int ci = i, cj = j;
                const int start_dir = d;
                while (true) {
                    out[corner(ci, cj)] &= uint8_t(~(1 << d));
                    ci += kDx[d];
                    cj += kDy[d];
                    // Choose the next direction: prefer a right turn, so parts that touch only at a
                    // corner become separate loops (4-connectivity), then straight, then left. At the
                    // start corner the (already used) first edge competes as well: if it wins, the
                    // loop is closed.
                    const bool at_start = ci == i && cj == j;
                    uint8_t opts = out[corner(ci, cj)];
                    if (at_start) opts |= uint8_t(1 << start_dir);
                    int nd = -1;
                    for (int turn : {1, 0, 3}) {
                        const int cand = (d + turn) % 4;
                        if (opts & (1 << cand)) {
                            nd = cand;
                            break;
                        }
                    }
                    if (nd < 0) throw Error("mask_to_polygons: internal error, open boundary");
                    if (at_start && nd == start_dir) break;
                    if (nd != d) pts.emplace_back(ci, cj);  // the direction changes: a vertex
                    d = nd;
                }
                if (d != start_dir) pts.insert(pts.begin(), {i, j});
                if (pts.size() < 3) continue;  // cannot happen for a closed pixel boundary
                // Signed area: positive for outer boundaries (clockwise in image coordinates).
                long long area2 = 0;
                for (size_t p = 0; p < pts.size(); ++p) {
                    const auto& a = pts[p];
                    const auto& b = pts[(p + 1) % pts.size()];
                    area2 += (long long)a.first * b.second - (long long)b.first * a.second;
                }
                loop.outer = area2 > 0;
                result.push_back(std::move(loop));
            }
        }
    }
    return result;
}

// Corners of a window at (ox, oy) of a larger image as a polygon in the larger image's frame.
Polygon corners_to_polygon(const std::vector<std::pair<int, int>>& corners, int ox, int oy) {
    Polygon poly;
    poly.reserve(corners.size() * 2);
    // Corners on the image's left/top border would be at -0.5; 0 rasterises the same way and keeps
    // coordinates inside the image for tools that check that.
    for (const auto& c : corners) {
        const int gx = c.first + ox, gy = c.second + oy;
        poly.push_back(gx == 0 ? 0.0 : gx - 0.5);
        poly.push_back(gy == 0 ? 0.0 : gy - 0.5);
    }
    return poly;
}

// Outer outlines of `mask`, which is the window at (ox, oy) of a larger image.
std::vector<Polygon> trace_outlines(const Mask& mask, int ox, int oy) {
    std::vector<Polygon> result;
    for (const TracedLoop& loop : trace_loops(mask))
        if (loop.outer) result.push_back(corners_to_polygon(loop.corners, ox, oy));
    return result;
}

// The window of the mask's bounding box grown by one pixel (clipped to the image), and its origin.
Mask crop_to_content(const Mask& mask, int& ox, int& oy) {
    const BBox b = mask.bbox();
    ox = std::max(0, b.x - 1);
    oy = std::max(0, b.y - 1);
    const int x1 = std::min(mask.width(), b.x + b.w + 1), y1 = std::min(mask.height(), b.y + b.h + 1);
    Mask crop(x1 - ox, y1 - oy);
    for (int y = oy; y < y1; ++y) {
        std::copy(mask.data() + size_t(y) * mask.width() + ox, mask.data() + size_t(y) * mask.width() + x1,
                  crop.data() + size_t(y - oy) * crop.width());
    }
    return crop;
}

}  // namespace

std::vector<Polygon> mask_to_polygons(const Mask& mask) {
    if (!mask.any()) return {};
    int ox = 0, oy = 0;
    const Mask crop = crop_to_content(mask, ox, oy);
    return trace_outlines(crop, ox, oy);
}

bool mask_has_holes(const Mask& mask) {
    if (mask.width() <= 0 || mask.height() <= 0) return false;
    // Pad by one pixel so parts touching the border are closed; findContours modifies its input in
    // older OpenCV versions, so work on a copy.
    cv::Mat padded(mask.height() + 2, mask.width() + 2, CV_8U, cv::Scalar(0));
    const cv::Mat src(mask.height(), mask.width(), CV_8U, const_cast<uint8_t*>(mask.data()));
    src.copyTo(padded(cv::Rect(1, 1, mask.width(), mask.height())));
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::findContours(padded, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
    for (const cv::Vec4i& hnode : hierarchy) {
        if (hnode[3] >= 0) return true;  // a contour with a parent is a hole boundary
    }
    return false;
}

std::optional<std::vector<Polygon>> exact_polygons(const Mask& mask) {
    if (!mask.any()) return std::nullopt;
    // Work on the bounding box plus a one-pixel margin: same holes, same outlines, less to scan.
    int ox = 0, oy = 0;
    const Mask crop = crop_to_content(mask, ox, oy);
    if (mask_has_holes(crop)) return std::nullopt;
    std::vector<Polygon> polys = trace_outlines(crop, 0, 0);
    if (polys.empty()) return std::nullopt;
    // Check pixel for pixel with the rasteriser every COCO reader uses. Checking in the window is
    // the same as checking in the image: all coordinates are multiples of 0.5 (exact on the 5x grid,
    // so an integer shift moves every grid point by exactly 5 x shift), and the margin keeps the
    // window's own edges free of vertices except where they are the image's edges (offset 0).
    if (polygons_to_mask(polys, crop.width(), crop.height()) != crop) return std::nullopt;
    for (Polygon& p : polys) {
        for (size_t i = 0; i < p.size(); i += 2) {
            p[i] += ox;
            p[i + 1] += oy;
        }
    }
    return polys;
}

// Shapes ------------------------------------------------------------------------------------------

namespace {

// The runs of ones of an RLE as [begin, end) positions in column-major order, ascending. Set
// operations on them cost the number of runs, not the number of pixels.
using Runs = std::vector<std::pair<uint64_t, uint64_t>>;

Runs runs_of(const Rle& rle) {
    Runs runs;
    uint64_t pos = 0;
    bool value = false;
    for (uint32_t c : rle.counts) {
        if (value && c > 0) runs.emplace_back(pos, pos + c);
        pos += c;
        value = !value;
    }
    return runs;
}

Runs runs_union(const Runs& a, const Runs& b) {
    Runs all;
    all.reserve(a.size() + b.size());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all));
    Runs out;
    for (const auto& r : all) {
        if (!out.empty() && r.first <= out.back().second) out.back().second = std::max(out.back().second, r.second);
        else out.push_back(r);
    }
    return out;
}

Runs runs_subtract(const Runs& a, const Runs& b) {
    Runs out;
    size_t k = 0;
    for (auto r : a) {
        while (k < b.size() && b[k].second <= r.first) ++k;
        for (size_t m = k; m < b.size() && b[m].first < r.second; ++m) {
            if (b[m].first > r.first) out.emplace_back(r.first, b[m].first);
            r.first = std::max(r.first, b[m].second);
        }
        if (r.first < r.second) out.push_back(r);
    }
    return out;
}

Rle rle_of_runs(const Runs& runs, int height, int width) {
    Rle rle;
    rle.height = height;
    rle.width = width;
    uint64_t pos = 0;
    for (const auto& r : runs) {
        rle.counts.push_back(uint32_t(r.first - pos));
        rle.counts.push_back(uint32_t(r.second - r.first));
        pos = r.second;
    }
    rle.counts.push_back(uint32_t(uint64_t(height) * uint64_t(width) - pos));
    return rle;
}

std::vector<std::pair<int, int>> simplify_ring(const std::vector<std::pair<int, int>>& corners, double tolerance) {
    if (tolerance <= 0) return corners;
    std::vector<cv::Point> in, out;
    in.reserve(corners.size());
    for (const auto& c : corners) in.emplace_back(c.first, c.second);
    cv::approxPolyDP(in, out, tolerance, true);
    std::vector<std::pair<int, int>> result;
    for (const cv::Point& p : out) result.emplace_back(p.x, p.y);
    return result;
}

}  // namespace

Rle shapes_to_rle(const PolygonShapes& shapes, int height, int width) {
    if (height < 0 || width < 0) throw Error("shapes_to_rle: negative size");
    Runs all;
    for (const PolygonShape& shape : shapes) {
        Runs holes;
        for (const Polygon& hole : shape.holes) holes = runs_union(holes, runs_of(rle_from_polygon(hole, height, width)));
        all = runs_union(all, runs_subtract(runs_of(rle_from_polygon(shape.outer, height, width)), holes));
    }
    return rle_of_runs(all, height, width);
}

Mask shapes_to_mask(const PolygonShapes& shapes, int width, int height) {
    return rle_decode(shapes_to_rle(shapes, height, width));
}

PolygonShapes mask_to_shapes(const Mask& mask, double tolerance) {
    if (!mask.any()) return {};
    int ox = 0, oy = 0;
    const Mask crop = crop_to_content(mask, ox, oy);
    // A loop belongs to the 4-connected part of the foreground pixel on its right.
    cv::Mat labels;
    const cv::Mat src(crop.height(), crop.width(), CV_8U, const_cast<uint8_t*>(crop.data()));
    cv::connectedComponents(src, labels, 4, CV_32S);
    const std::vector<TracedLoop> loops = trace_loops(crop);
    PolygonShapes shapes;
    std::map<int, size_t> shape_of_part;
    for (bool outer : {true, false}) {
        for (const TracedLoop& loop : loops) {
            if (loop.outer != outer) continue;
            const int part = labels.at<int>(loop.pixel_y, loop.pixel_x);
            const std::vector<std::pair<int, int>> ring = simplify_ring(loop.corners, tolerance);
            if (ring.size() < 3) continue;
            if (outer) {
                shape_of_part[part] = shapes.size();
                shapes.push_back(PolygonShape{corners_to_polygon(ring, ox, oy), {}});
            } else if (shape_of_part.count(part)) {  // its outline may have simplified away
                shapes[shape_of_part[part]].holes.push_back(corners_to_polygon(ring, ox, oy));
            }
        }
    }
    return shapes;
}

RoundTripLoss shape_round_trip_loss(const Mask& mask, const PolygonShapes& shapes) {
    const Mask back = shapes_to_mask(shapes, mask.width(), mask.height());
    RoundTripLoss loss;
    const size_t n = size_t(mask.width()) * size_t(mask.height());
    for (size_t i = 0; i < n; ++i) {
        loss.lost += mask.data()[i] && !back.data()[i];
        loss.added += back.data()[i] && !mask.data()[i];
    }
    return loss;
}

}  // namespace xs
