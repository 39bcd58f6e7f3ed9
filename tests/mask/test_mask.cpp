// Masks and the COCO RLE codec. Expected values below are worked out by hand from the algorithm in
// ../shared/design/coco.md (column-major runs starting with zeros; string: deltas from the fourth
// run on, 5 bits per character least significant first, 0x20 = more, 0x10 = sign of the last group,
// + 48), and checked against the counts strings pycocotools wrote into stamps-bench.
#include <QElapsedTimer>
#include <QtTest/QtTest>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"
#include "core/mask/polygon.h"
#include "core/util/error.h"

using namespace xs;

namespace {

Mask from_rows(const std::vector<std::string>& rows) {
    Mask m(int(rows[0].size()), int(rows.size()));
    for (int y = 0; y < m.height(); ++y) {
        for (int x = 0; x < m.width(); ++x) m.set(x, y, rows[size_t(y)][size_t(x)] == '#');
    }
    return m;
}

// Independent brute-force references.
std::vector<uint32_t> brute_counts(const Mask& m) {
    std::vector<uint8_t> seq;
    for (int x = 0; x < m.width(); ++x) {
        for (int y = 0; y < m.height(); ++y) seq.push_back(m.at(x, y) ? 1 : 0);
    }
    std::vector<uint32_t> counts;
    uint8_t cur = 0;
    uint32_t run = 0;
    for (uint8_t v : seq) {
        if (v != cur) {
            counts.push_back(run);
            run = 0;
            cur = v;
        }
        ++run;
    }
    counts.push_back(run);
    return counts;
}

BBox brute_bbox(const Mask& m) {
    int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
    for (int y = 0; y < m.height(); ++y) {
        for (int x = 0; x < m.width(); ++x) {
            if (!m.at(x, y)) continue;
            x0 = std::min(x0, x);
            y0 = std::min(y0, y);
            x1 = std::max(x1, x);
            y1 = std::max(y1, y);
        }
    }
    if (x1 < 0) return BBox{};
    return BBox{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

Mask random_mask(std::mt19937& rng, int w, int h, int mode) {
    Mask m(w, h);
    std::uniform_real_distribution<double> u(0, 1);
    const double density = u(rng);
    // mode 0: independent pixels; 1: a few random blobs (long runs); 2: all set; 3: empty
    if (mode == 0) {
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) m.set(x, y, u(rng) < density);
        }
    } else if (mode == 1) {
        const int blobs = 1 + int(rng() % 4);
        for (int b = 0; b < blobs; ++b) {
            const double cx = u(rng) * w, cy = u(rng) * h, r = 1 + u(rng) * std::max(w, h) / 2.0;
            for (int y = 0; y < h; ++y) {
                for (int x = 0; x < w; ++x) {
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) m.set(x, y, true);
                }
            }
        }
    } else if (mode == 2) {
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) m.set(x, y, true);
        }
    }
    return m;
}

std::string bench_path() {
    const QByteArray dir = qgetenv("XS_SHARED_DIR");
    return std::string(dir.constData()) + "/data/stamps-bench/instances.json";
}

}  // namespace

class TestMask : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firstPixelSet() {
        Mask m(2, 2);
        m.set(0, 0, true);  // column-major [1,0,0,0]
        const Rle r = rle_encode(m);
        QCOMPARE(r.counts, (std::vector<uint32_t>{0, 1, 3}));
        QCOMPARE(rle_to_string(r), std::string("013"));
        QCOMPARE(rle_area(r), int64_t(1));
        QVERIFY(rle_bbox(r) == (BBox{0, 0, 1, 1}));
        QVERIFY(m.bbox() == (BBox{0, 0, 1, 1}));
    }

    void negativeDelta() {
        // 3 wide, 2 high; column-major sequence 0 0 | 1 1 | 0 1 -> counts [2, 2, 1, 1];
        // string: '2', '2', '1', then 1 - 2 = -1 -> 31 (sign bit set, nothing more) -> 'O'.
        const Mask m = from_rows({".#.", ".##"});
        const Rle r = rle_encode(m);
        QCOMPARE(r.counts, (std::vector<uint32_t>{2, 2, 1, 1}));
        QCOMPARE(rle_to_string(r), std::string("221O"));
        QCOMPARE(rle_from_string("221O", 2, 3), r);
        QCOMPARE(rle_area(r), int64_t(3));
        QVERIFY(rle_bbox(r) == (BBox{1, 0, 2, 2}));
        QVERIFY(rle_decode(r) == m);
    }

    void longRunsAndSignBit() {
        // counts [0, 1000, 16, 960, 17] over a 1 x 1993 mask.
        //  0    -> '0'
        //  1000 = 31*32 + 8: group 8 with more (8|32=40 -> 'X'), group 31 has the sign bit set but
        //         the value is positive, so one more group: 63 -> 'o', then 0 -> '0'      => "Xo0"
        //  16   : group 16 has the sign bit set, value positive -> 48 -> '`', then '0'     => "`0"
        //  960 - 1000 = -40: groups 24 (more, 56 -> 'h') and 30 (sign, last -> 'N')       => "hN"
        //  17 - 16 = 1 -> '1'
        Rle r;
        r.height = 1;
        r.width = 1993;
        r.counts = {0, 1000, 16, 960, 17};
        QCOMPARE(rle_to_string(r), std::string("0Xo0`0hN1"));
        QCOMPARE(rle_from_string("0Xo0`0hN1", 1, 1993), r);
        const Mask m = rle_decode(r);
        QCOMPARE(m.area(), int64_t(1960));
        QVERIFY(m.at(0, 0) && m.at(999, 0) && !m.at(1000, 0) && !m.at(1015, 0) && m.at(1016, 0) && m.at(1975, 0) &&
                !m.at(1976, 0));
        QCOMPARE(rle_encode(m), r);
        QVERIFY(rle_bbox(r) == (BBox{0, 0, 1976, 1}));
    }

    void fullAndEmpty() {
        Mask full = from_rows({"###", "###"});
        QCOMPARE(rle_to_string(rle_encode(full)), std::string("06"));
        Mask empty(3, 2);
        QCOMPARE(rle_to_string(rle_encode(empty)), std::string("6"));
        QVERIFY(rle_bbox(rle_encode(empty)) == BBox{});
        QVERIFY(empty.bbox() == BBox{});
        QCOMPARE(rle_area(rle_encode(empty)), int64_t(0));
    }

    void badStrings() {
        auto expect_error = [](const std::string& s, int h, int w, const char* needle) {
            try {
                rle_from_string(s, h, w);
                QFAIL(("accepted " + s).c_str());
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
            }
        };
        expect_error("013", 2, 3, "sum to 4, expected 6");   // counts do not sum to h*w
        expect_error("01 3", 2, 2, "invalid character");     // space is below '0'
        expect_error("01X", 2, 2, "middle of a value");      // 'X' says more follows, nothing does
        expect_error("0O", 1, 1, "invalid run length");      // -1 as a first count
        Rle bad;
        bad.height = 2;
        bad.width = 2;
        bad.counts = {1, 1};
        QVERIFY_THROWS_EXCEPTION(Error, rle_decode(bad));
    }

    void benchStringsRoundTrip() {
        std::ifstream in(bench_path());
        QVERIFY2(in.good(), bench_path().c_str());
        const nlohmann::json j = nlohmann::json::parse(in);
        int checked = 0;
        for (const auto& a : j["annotations"]) {
            const auto& seg = a["segmentation"];
            const std::string s = seg["counts"];
            const int h = seg["size"][0], w = seg["size"][1];
            const Rle r = rle_from_string(s, h, w);
            const Mask m = rle_decode(r);
            QCOMPARE(rle_to_string(rle_encode(m)), s);  // byte-exact with pycocotools' own output
            QCOMPARE(m.area(), a["area"].get<int64_t>());
            const BBox b = rle_bbox(r);
            QCOMPARE(double(b.x), a["bbox"][0].get<double>());
            QCOMPARE(double(b.y), a["bbox"][1].get<double>());
            QCOMPARE(double(b.w), a["bbox"][2].get<double>());
            QCOMPARE(double(b.h), a["bbox"][3].get<double>());
            QVERIFY(m.bbox() == b);
            ++checked;
        }
        QCOMPARE(checked, 57);
    }

    void exhaustiveSmallMasks() {
        // Every 4x3 and 3x4 mask (2 x 4096): encoder vs brute force, decoder, string codec, bbox, area.
        for (const auto& [w, h] : {std::pair<int, int>{4, 3}, std::pair<int, int>{3, 4}}) {
            for (int bits = 0; bits < (1 << (w * h)); ++bits) {
                Mask m(w, h);
                for (int i = 0; i < w * h; ++i) m.set(i % w, i / w, (bits >> i) & 1);
                const Rle r = rle_encode(m);
                QCOMPARE(r.counts, brute_counts(m));
                QVERIFY(rle_decode(r) == m);
                QCOMPARE(rle_from_string(rle_to_string(r), h, w), r);
                QVERIFY(rle_bbox(r) == brute_bbox(m));
                QVERIFY(m.bbox() == brute_bbox(m));
                QCOMPARE(rle_area(r), m.area());
            }
        }
    }

    void randomRoundTrips() {
        std::mt19937 rng(12345);
        for (int t = 0; t < 600; ++t) {
            const bool big = t % 10 == 0;
            const int w = 1 + int(rng() % (big ? 300 : 40)), h = 1 + int(rng() % (big ? 200 : 40));
            const Mask m = random_mask(rng, w, h, t % 4 == 3 ? int(rng() % 4) : t % 2);
            const Rle r = rle_encode(m);
            QCOMPARE(r.counts, brute_counts(m));
            QVERIFY(rle_decode(r) == m);
            const std::string s = rle_to_string(r);
            QCOMPARE(rle_from_string(s, h, w), r);
            QCOMPARE(rle_area(r), m.area());
            const BBox bb = brute_bbox(m);
            QVERIFY(rle_bbox(r) == bb);
            QVERIFY(m.bbox() == bb);
            QCOMPARE(m.any(), m.area() > 0);
        }
    }

    void setOperations() {
        const Mask a = from_rows({"##..", "##.."});
        const Mask b = from_rows({".##.", ".##."});
        QCOMPARE(mask_union(a, b).area(), int64_t(6));
        QCOMPARE(mask_intersection(a, b).area(), int64_t(2));
        QVERIFY(mask_subtract(a, b) == from_rows({"#...", "#..."}));
        QCOMPARE(mask_iou(a, b), 2.0 / 6.0);
        QCOMPARE(mask_iou(Mask(4, 2), Mask(4, 2)), 0.0);
        QVERIFY_THROWS_EXCEPTION(Error, mask_union(a, Mask(3, 2)));
    }

    void polygonRasterHandWorked() {
        // Square through pixel centres (0,0)-(10,10): vertices x5 -> 0 and 50. Column X is sampled
        // where the boundary steps from 5X+2 to 5X+3: X = 0..9. Top edge: (0 + .5)/5 - .5 = -0.4 -> row 0;
        // bottom edge: (50 + .5)/5 - .5 = 9.6 -> ceil 10, so rows 0..9. 10 x 10 = 100 pixels.
        const Mask sq = polygons_to_mask({{0, 0, 10, 0, 10, 10, 0, 10}}, 20, 20);
        QCOMPARE(sq.area(), int64_t(100));
        QVERIFY(sq.bbox() == (BBox{0, 0, 10, 10}));
        // Pixel-edge square around pixels x 2..4, y 3..5.
        const Mask px = polygons_to_mask({{1.5, 2.5, 4.5, 2.5, 4.5, 5.5, 1.5, 5.5}}, 8, 8);
        QCOMPARE(px.area(), int64_t(9));
        QVERIFY(px.bbox() == (BBox{2, 3, 3, 3}));
        // Partly outside: x5 -> -25..15: columns 0..2; rows: top clamps to 0, bottom (15.5)/5-.5 = 2.6 -> 3.
        const Mask clip = polygons_to_mask({{-5, -5, 3, -5, 3, 3, -5, 3}}, 10, 10);
        QCOMPARE(clip.area(), int64_t(9));
        QVERIFY(clip.bbox() == (BBox{0, 0, 3, 3}));
        // Polygons are unioned: two overlapping squares.
        const Mask two = polygons_to_mask({{1.5, 2.5, 4.5, 2.5, 4.5, 5.5, 1.5, 5.5}, {2.5, 2.5, 5.5, 2.5, 5.5, 5.5, 2.5, 5.5}}, 8, 8);
        QCOMPARE(two.area(), int64_t(12));
    }

    void pycocotoolsReferenceOutputs() {
        // Outputs of pycocotools itself (frPyObjects of single polygons, i.e. raw rleFrPoly counts,
        // and the string form of an uncompressed RLE), as recorded in the public test suite of
        // twsl/pytorchcocotools (tests/mask/test_fr_py_objects.py). The last polygons are a real
        // COCO annotation with fractional coordinates.
        QCOMPARE(rle_to_string(rle_from_polygon({10, 10, 20, 10, 20, 20, 21, 21, 10, 20}, 25, 25)),
                 std::string("T8:?00000000001O00000:F`2"));
        QCOMPARE(rle_to_string(rle_from_polygon({10, 10, 10, 20, 20, 20, 20, 10}, 25, 25)),  // frBbox [10,10,10,10]
                 std::string("T8:?00000000000000000c3"));
        Rle u;
        u.height = 25;
        u.width = 25;
        u.counts = {130, 5, 20, 5, 20, 5, 20, 5, 20, 5, 390};
        QCOMPARE(rle_to_string(u), std::string("R45d00000000b;"));
        const Polygon a = {266.83, 189.37, 267.79, 175.29, 269.46, 170.04, 271.37, 165.98, 270.89, 163.12,
                           269.12, 159.54, 272.8,  156.44, 287.36, 156.44, 293.33, 157.87, 296.91, 160.49,
                           296.91, 161.21, 291.89, 161.92, 289.98, 165.03, 291.42, 169.56, 285.16, 196.54};
        const Polygon b = {266.35, 214.44, 270.41, 217.3,  276.38, 218.97, 282.11,
                           218.97, 285.93, 217.3,  286.88, 207.28, 267.07, 201.07};
        QCOMPARE(rle_to_string(rle_from_polygon(a, 427, 640)),
                 std::string("\\`_3;j<6B@nCc0Q<@kCc0S<;01N10001O001O00001O001O0000O1L4K6K4L4B]COh<O<O001O0O2Omk^4"));
        QCOMPARE(rle_to_string(rle_from_polygon(b, 427, 640)),
                 std::string("RT_32n<<O100O0010O000010O0001O00001O000O101O0ISPc4"));
        // The union (what annToMask gives) covers exactly the pixels of both.
        const Mask both = polygons_to_mask({a, b}, 640, 427);
        QCOMPARE(both.area(), rle_area(rle_from_polygon(a, 427, 640)) + rle_area(rle_from_polygon(b, 427, 640)));
    }

    void exactPolygons() {
        // Two parts and a diagonal contact: expressible, one polygon per 4-connected part.
        const Mask parts = from_rows({"##....", "##....", "..#..#", "....##"});
        QVERIFY(!mask_has_holes(parts));
        auto polys = exact_polygons(parts);
        QVERIFY(polys.has_value());
        QCOMPARE(int(polys->size()), 3);
        QVERIFY(polygons_to_mask(*polys, 6, 4) == parts);
        for (const Polygon& p : *polys) {
            QVERIFY(p.size() >= 6 && p.size() % 2 == 0);
            for (size_t i = 0; i < p.size(); ++i) {
                const double lim = i % 2 ? 4 : 6;
                QVERIFY(p[i] >= 0 && p[i] <= lim);
            }
        }
        // A ring: the hole cannot be expressed with unioned polygons.
        const Mask ring = from_rows({"#####", "#...#", "#.#.#", "#...#", "#####"});
        QVERIFY(mask_has_holes(ring));
        QVERIFY(!exact_polygons(ring).has_value());
        QVERIFY(!can_export_as_polygons(ring));
        QVERIFY(!exact_polygons(Mask(4, 4)).has_value());

        std::mt19937 rng(7);
        int exact = 0, holes = 0;
        for (int t = 0; t < 400; ++t) {
            const int w = 1 + int(rng() % 40), h = 1 + int(rng() % 40);
            const Mask m = random_mask(rng, w, h, t % 2);
            if (!m.any()) continue;
            const auto p = exact_polygons(m);
            if (mask_has_holes(m)) {
                QVERIFY(!p.has_value());
                ++holes;
                continue;
            }
            QVERIFY(p.has_value());  // without holes, pixel-edge outlines are always exact
            QVERIFY(polygons_to_mask(*p, w, h) == m);
            ++exact;
        }
        QVERIFY(exact > 100);
        QVERIFY(holes > 50);
    }
    void shapeRasterHandWorked() {
        // Pixel-edge square around pixels 1..6 (36 px) with a hole around pixels 3..4 (4 px).
        const Polygon outer = {0.5, 0.5, 6.5, 0.5, 6.5, 6.5, 0.5, 6.5};
        const Polygon hole = {2.5, 2.5, 4.5, 2.5, 4.5, 4.5, 2.5, 4.5};
        const Polygon hole_reversed = {2.5, 4.5, 4.5, 4.5, 4.5, 2.5, 2.5, 2.5};
        const Mask ring = shapes_to_mask({{outer, {hole}}}, 8, 8);
        QCOMPARE(ring.area(), int64_t(32));
        QVERIFY(ring.at(2, 2) && ring.at(5, 5) && !ring.at(3, 3) && !ring.at(4, 4) && !ring.at(0, 0));
        // A hole is a hole whichever way its ring runs.
        QVERIFY(shapes_to_mask({{outer, {hole_reversed}}}, 8, 8) == ring);
        // Without holes: exactly pycocotools' union of the same polygons.
        QVERIFY(shapes_to_mask({{outer, {}}}, 8, 8) == polygons_to_mask({outer}, 8, 8));
        // Overlapping outer rings are unioned (even-odd over all rings would cancel the overlap).
        const Polygon right = {3.5, 0.5, 7.5, 0.5, 7.5, 6.5, 3.5, 6.5};
        QCOMPARE(shapes_to_mask({{outer, {}}, {right, {}}}, 8, 8).area(), int64_t(42));
        // An island in the hole is a shape of its own: pixel (3, 3) is back, the rest of the hole stays.
        const Polygon island = {2.5, 2.5, 3.5, 2.5, 3.5, 3.5, 2.5, 3.5};
        const Mask with_island = shapes_to_mask({{outer, {hole}}, {island, {}}}, 8, 8);
        QCOMPARE(with_island.area(), int64_t(33));
        QVERIFY(with_island.at(3, 3) && !with_island.at(4, 3));
        // A hole only cuts its own shape; a hole partly outside its outline cuts only what is inside.
        const Polygon wide_hole = {4.5, 2.5, 7.5, 2.5, 7.5, 3.5, 4.5, 3.5};  // pixels 5..7 of row 3
        QCOMPARE(shapes_to_mask({{outer, {wide_hole}}}, 8, 8).area(), int64_t(34));
        // Clipped at the image's edges like every COCO polygon.
        QCOMPARE(shapes_to_mask({{{-5, -5, 3, -5, 3, 3, -5, 3}, {}}}, 10, 10).area(), int64_t(9));
        QCOMPARE(shapes_to_mask({}, 5, 4), Mask(5, 4));
        // The real COCO annotation of pycocotoolsReferenceOutputs, as a shape: pycocotools' own string.
        const Polygon b = {266.35, 214.44, 270.41, 217.3,  276.38, 218.97, 282.11,
                           218.97, 285.93, 217.3,  286.88, 207.28, 267.07, 201.07};
        QCOMPARE(rle_to_string(shapes_to_rle({{b, {}}}, 427, 640)),
                 std::string("RT_32n<<O100O0010O000010O0001O00001O000O101O0ISPc4"));
    }

    void maskToShapesKeepsHoles() {
        // A ring with an island in its hole, and a separate part touching it only at a corner.
        const Mask m = from_rows({"#####.", "#...#.", "#.#.#.", "#...#.", "#####.", ".....#"});
        const PolygonShapes shapes = mask_to_shapes(m, 0);
        QCOMPARE(int(shapes.size()), 3);
        int holes = 0;
        for (const PolygonShape& s : shapes) holes += int(s.holes.size());
        QCOMPARE(holes, 1);
        QVERIFY(shapes_to_mask(shapes, 6, 6) == m);
        QCOMPARE(shape_round_trip_loss(m, shapes).total(), int64_t(0));
        // The outline of the ring: pixel corners, collinear points removed, left/top border at 0.
        QCOMPARE(shapes[0].outer, (Polygon{0, 0, 4.5, 0, 4.5, 4.5, 0, 4.5}));
        QCOMPARE(shapes[0].holes[0].size(), size_t(8));
        QVERIFY(mask_to_shapes(Mask(3, 3), 1.0).empty());
    }

    void shapesRoundTripIsExactAtToleranceZero() {
        std::mt19937 rng(11);
        int with_holes = 0;
        for (int t = 0; t < 400; ++t) {
            const int w = 1 + int(rng() % 40), h = 1 + int(rng() % 40);
            const Mask m = random_mask(rng, w, h, t % 3);
            const PolygonShapes shapes = mask_to_shapes(m, 0);
            QVERIFY2(shapes_to_mask(shapes, w, h) == m, qPrintable(QStringLiteral("case %1").arg(t)));
            with_holes += mask_has_holes(m);
        }
        QVERIFY(with_holes > 50);
    }

    void largeMaskFigures() {
        // A 6000 x 4000 mask (a disc of radius 1500 with 40 round holes): what starting and applying
        // a vertex edit costs (printed, not asserted: the machine is shared), and exactness at 0.
        const int w = 6000, h = 4000;
        Mask m(w, h);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                bool in = (x - 3000) * (x - 3000) + (y - 2000) * (y - 2000) <= 1500 * 1500;
                for (int k = 0; k < 40 && in; ++k) {
                    const int cx = 1900 + (k % 8) * 300, cy = 1300 + (k / 8) * 300;
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= 60 * 60) in = false;
                }
                m.set(x, y, in);
            }
        QElapsedTimer t;
        t.start();
        const PolygonShapes exact = mask_to_shapes(m, 0);
        const double trace_ms = t.nsecsElapsed() / 1e6;
        t.restart();
        const PolygonShapes one = mask_to_shapes(m, 1.0);
        const double simplify_ms = t.nsecsElapsed() / 1e6;
        t.restart();
        const RoundTripLoss loss = shape_round_trip_loss(m, one);
        const double loss_ms = t.nsecsElapsed() / 1e6;
        t.restart();
        const Mask back = shapes_to_mask(exact, w, h);
        const double raster_ms = t.nsecsElapsed() / 1e6;
        QVERIFY(back == m);
        QCOMPARE(int(one.size()), 1);
        QCOMPARE(int(one[0].holes.size()), 40);
        int64_t v0 = 0, v1 = 0;
        for (const Polygon& r : exact[0].holes) v0 += int64_t(r.size() / 2);
        for (const Polygon& r : one[0].holes) v1 += int64_t(r.size() / 2);
        v0 += int64_t(exact[0].outer.size() / 2);
        v1 += int64_t(one[0].outer.size() / 2);
        qInfo("6000 x 4000 disc with 40 holes (%lld px): outlines %.0f ms (%lld vertices), at 1 px %.0f ms (%lld "
              "vertices), loss count %.0f ms (%lld px lost, %lld added), rasterising %.0f ms",
              (long long)m.area(), trace_ms, (long long)v0, simplify_ms, (long long)v1, loss_ms, (long long)loss.lost,
              (long long)loss.added, raster_ms);
    }

    void simplificationOnStampsBench() {
        // Every stamps-bench mask: exact at tolerance 0; at 1 px far fewer vertices, and the loss that
        // shape_round_trip_loss reports is exactly the pixels where the round trip differs.
        std::ifstream in(bench_path());
        QVERIFY2(in.good(), bench_path().c_str());
        const nlohmann::json j = nlohmann::json::parse(in);
        auto vertices = [](const PolygonShapes& shapes) {
            int64_t n = 0;
            for (const PolygonShape& s : shapes) {
                n += int64_t(s.outer.size() / 2);
                for (const Polygon& hole : s.holes) n += int64_t(hole.size() / 2);
            }
            return n;
        };
        int64_t v0 = 0, v1 = 0, v2 = 0, lost = 0, added = 0, pixels = 0;
        double worst_iou = 1, iou_sum = 0;
        int n = 0, holes = 0;
        for (const auto& a : j["annotations"]) {
            const auto& seg = a["segmentation"];
            const int h = seg["size"][0], w = seg["size"][1];
            const Mask m = rle_decode(rle_from_string(seg["counts"], h, w));
            const PolygonShapes exact = mask_to_shapes(m, 0);
            QVERIFY(shapes_to_mask(exact, w, h) == m);
            const PolygonShapes one = mask_to_shapes(m, 1.0);
            const Mask back = shapes_to_mask(one, w, h);
            const RoundTripLoss loss = shape_round_trip_loss(m, one);
            QCOMPARE(loss.lost, mask_subtract(m, back).area());
            QCOMPARE(loss.added, mask_subtract(back, m).area());
            const double iou = mask_iou(m, back);
            worst_iou = std::min(worst_iou, iou);
            iou_sum += iou;
            const int64_t c0 = vertices(exact), c1 = vertices(one), c2 = vertices(mask_to_shapes(m, 2.0));
            QVERIFY(c1 < c0 && c2 <= c1);
            v0 += c0;
            v1 += c1;
            v2 += c2;
            lost += loss.lost;
            added += loss.added;
            pixels += m.area();
            for (const PolygonShape& s : exact) holes += int(s.holes.size());
            ++n;
        }
        QCOMPARE(n, 57);
        qInfo("stamps-bench, 57 masks, %lld px, %d holes: vertices %lld exact, %lld at 1 px, %lld at 2 px; "
              "at 1 px: %lld px lost, %lld px added, mean IoU %.4f, worst IoU %.4f",
              (long long)pixels, holes, (long long)v0, (long long)v1, (long long)v2, (long long)lost,
              (long long)added, iou_sum / n, worst_iou);
        // Simplification is worth having, and 1 px stays close to the mask (measured: vertices / 4.5,
        // mean IoU 0.966; the worst, 0.869, is a small thin mask whose 1-2 px holes close).
        QVERIFY(v1 * 3 < v0);
        QVERIFY(iou_sum / n > 0.95);
        QVERIFY(worst_iou > 0.8);
    }
};

QTEST_APPLESS_MAIN(TestMask)
#include "test_mask.moc"
