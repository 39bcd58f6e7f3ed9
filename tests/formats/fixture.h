#pragma once
// Shared by the format suites: stamps-bench as a project, a hand-made project of edge cases (holes,
// touching and overlapping instances, one-pixel instances, a part inside another's hole, an empty
// image) with real image files, and the round-trip check that holds every format to its own export
// report: a mask on an image the report lists as unchanged must come back pixel for pixel, and on
// an image it lists, the worst IoU and the number of changed pixels must be exactly what it said.
#include <QtTest/QtTest>

#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "core/coco/coco.h"
#include "core/formats/format.h"

namespace xs::test {

namespace fs = std::filesystem;

inline std::string bench_dir() { return std::string(qgetenv("XS_SHARED_DIR").constData()) + "/data/stamps-bench"; }

inline std::string scratch(const std::string& sub) {
    const QByteArray tmp = qgetenv("XS_TEST_TMP");  // set by CTest
    const std::string dir = (tmp.isEmpty() ? std::string("/tmp/xs_test_formats") : tmp.toStdString()) + "/" + sub;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

inline Project bench_project() {
    CocoImportOptions o;
    o.images_dir = bench_dir() + "/images";
    o.check_images = false;
    return read_coco(bench_dir() + "/instances.json", o);
}

// stamps-bench with grounding data: referring sentences (several per instance), prompts of every
// kind, captions linking phrases to instances, and "find all like this" episodes.
inline Project grounded_bench() {
    Project p = bench_project();
    for (ImageRecord& img : p.images) {
        if (img.id % 3 != 1 || img.instances.empty()) continue;
        Instance& a = img.instances[0];
        a.referring = {"the object on image " + std::to_string(img.id), "it, the \"first\" one \xc3\xa9"};
        a.prompt.task = "referring";
        a.prompt.text = a.referring[0];
        const BBox b = rle_bbox(a.mask);
        if (img.instances.size() > 1) {
            Instance& c = img.instances[1];
            c.prompt.task = "vgd";
            VisualPrompt scribble;
            scribble.kind = VisualPrompt::Kind::Scribble;
            scribble.points = {{double(b.x) + 1, double(b.y) + 1}, {double(b.x + b.w) - 1, double(b.y + b.h) - 1}};
            c.prompt.visual = {point_prompt(b.x + 2.5, b.y + 3.5), point_prompt(1, 1, false),
                               box_prompt(b.x, b.y, b.x + b.w, b.y + b.h), scribble, mask_prompt(a.mask)};
            c.referring = {"the second one"};
            FindAllEpisode e;
            e.example_instance_id = a.id;
            e.accepted = {c.id};
            e.rejected = {{img.instances.back().mask, 0.125f}};
            e.source = "xsam";
            e.created_ms = 1700000000000 + img.id;
            img.episodes.push_back(e);
            FindAllEpisode drawn;
            drawn.example = {box_prompt(1, 2, 30, 40)};
            drawn.accepted = {a.id, c.id};
            drawn.source = "classic";
            drawn.created_ms = 1700000000500 + img.id;
            img.episodes.push_back(drawn);
        }
        GroundedCaption cap;
        cap.text = "A thing and more things \xc3\xbc.";
        GroundedPhrase first{0, 7, {a.id}};
        GroundedPhrase rest{12, 23, {}};
        for (size_t k = 1; k < img.instances.size(); ++k) rest.instance_ids.push_back(img.instances[k].id);
        cap.phrases = {first};
        if (!rest.instance_ids.empty()) cap.phrases.push_back(rest);
        cap.source = "xsam:gcg";
        cap.created_ms = 1700000001000 + img.id;
        img.captions.push_back(cap);
    }
    return p;
}

inline Mask box_mask(int w, int h, int x0, int y0, int bw, int bh) {
    Mask m(w, h);
    for (int y = y0; y < y0 + bh; ++y)
        for (int x = x0; x < x0 + bw; ++x) m.set(x, y, true);
    return m;
}

// Images a.png (24 x 16) with every edge case and empty.png (10 x 8) without instances, written
// into `images_dir`.
inline Project edge_project(const std::string& images_dir) {
    fs::create_directories(images_dir + "/sub");
    cv::imwrite(images_dir + "/sub/a.png", cv::Mat(16, 24, CV_8UC3, cv::Scalar(40, 80, 120)));
    cv::imwrite(images_dir + "/empty.png", cv::Mat(8, 10, CV_8UC3, cv::Scalar(0, 0, 0)));
    Project p;
    p.image_root = images_dir;
    const int shape = p.add_category("shape").id;
    const int dot = p.add_category("dot").id;
    ImageRecord& a = p.add_image("sub/a.png", 24, 16);
    const int w = 24, h = 16;
    Mask ring = box_mask(w, h, 1, 1, 8, 8);
    ring = mask_subtract(ring, box_mask(w, h, 3, 3, 4, 4));
    p.add_instance(a, shape, rle_encode(ring));                                   // a hole
    p.add_instance(a, dot, rle_encode(box_mask(w, h, 4, 4, 1, 1)));               // one pixel, inside the hole
    p.add_instance(a, shape, rle_encode(box_mask(w, h, 11, 1, 3, 3)));            // touching ...
    p.add_instance(a, shape, rle_encode(box_mask(w, h, 14, 1, 3, 3)));            // ... the one before
    p.add_instance(a, shape, rle_encode(box_mask(w, h, 11, 8, 5, 5)));            // overlapped by ...
    p.add_instance(a, dot, rle_encode(box_mask(w, h, 14, 11, 2, 2)));             // (this one wholly) ...
    p.add_instance(a, shape, rle_encode(box_mask(w, h, 13, 10, 5, 5)));           // ... this one on top
    p.add_instance(a, dot, rle_encode(box_mask(w, h, 23, 15, 1, 1)));             // one pixel in the corner
    p.add_instance(a, shape, rle_encode(mask_union(box_mask(w, h, 19, 1, 2, 2), box_mask(w, h, 19, 5, 2, 2))));  // two parts
    Mask diagonal(w, h);
    diagonal.set(0, 15, true);
    diagonal.set(1, 14, true);
    p.add_instance(a, dot, rle_encode(diagonal));  // two pixels touching at a corner
    p.add_image("empty.png", 10, 8);
    return p;
}

inline ExportReport export_with(const Format& f, const Project& p, const std::string& out,
                                const FormatSettings& settings = {}) {
    ExportOptions eo;
    eo.images_dir = p.image_root;
    eo.settings = settings;
    ExportReport rep;
    f.export_project(p, out, eo, rep);
    return rep;
}

inline Project import_with(const Format& f, const std::string& in, const std::string& images_dir,
                           ImportReport* report = nullptr, const FormatSettings& settings = {}) {
    Project q;
    q.image_root = images_dir;
    ImportOptions io;
    io.images_dir = images_dir;
    io.settings = settings;
    ImportReport rep;
    f.import_into(q, in, io, rep);
    if (report) *report = rep;
    return q;
}

inline const ImageLoss* loss_of(const ExportReport& rep, const std::string& file_name) {
    for (const ImageLoss& l : rep.losses) {
        if (l.file_name == file_name) return &l;
    }
    return nullptr;
}

// `back` read back from an export of `p` with report `rep`. Each instance is paired with the unused
// instance of the same category read back on its image that overlaps it most; one with no partner
// was dropped by the format (its pixels all count as changed, its IoU as 0).
inline void check_round_trip(const Project& p, const Project& back, const ExportReport& rep) {
    QCOMPARE(back.images.size(), p.images.size());
    for (const ImageRecord& img : p.images) {
        const ImageRecord* b = const_cast<Project&>(back).find_image(img.file_name);
        QVERIFY2(b, img.file_name.c_str());
        QCOMPARE(b->width, img.width);
        QCOMPARE(b->height, img.height);
        const ImageLoss* loss = loss_of(rep, img.file_name);
        std::vector<bool> used(b->instances.size(), false);
        int64_t changed = 0;
        double worst = 1.0;
        for (const Instance& inst : img.instances) {
            const Mask original = rle_decode(inst.mask);
            const std::string name = p.find_category(inst.category_id)->name;
            int best = -1;
            double best_iou = 0;
            for (size_t k = 0; k < b->instances.size(); ++k) {
                if (used[k] || back.find_category(b->instances[k].category_id)->name != name) continue;
                const double iou = mask_iou(original, rle_decode(b->instances[k].mask));
                if (iou > best_iou) {
                    best_iou = iou;
                    best = int(k);
                }
            }
            const Mask got = best < 0 ? Mask(img.width, img.height) : rle_decode(b->instances[size_t(best)].mask);
            if (best >= 0) used[size_t(best)] = true;
            if (!loss) QVERIFY2(got == original, (img.file_name + ": instance " + std::to_string(inst.id) + " differs").c_str());
            changed += mask_subtract(mask_union(original, got), mask_intersection(original, got)).area();
            worst = std::min(worst, best_iou);
        }
        for (size_t k = 0; k < used.size(); ++k) QVERIFY2(used[k], (img.file_name + ": an instance came back that was never there").c_str());
        if (loss) {
            QCOMPARE(changed, loss->pixels_changed);
            QCOMPARE(worst, loss->min_iou);
        }
    }
}

}  // namespace xs::test
