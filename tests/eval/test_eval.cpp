// The metric code of core/eval against references: mask AP against pycocotools' COCOeval itself
// (goldens made by tests/reference/eval/make_coco_eval_goldens.py), and small hand-computed cases
// for the others.
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/eval/gcg.h"
#include "core/eval/iou_metrics.h"
#include "core/eval/mask_ap.h"
#include "core/eval/panoptic.h"
#include "core/eval/visual_prompts.h"
#include "core/mask/mask.h"
#include "core/util/error.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::eval;
using nlohmann::json;

namespace {

std::string source_dir() { return plain_test::env_or("XS_SOURCE_DIR", "."); }

json read_json(const std::string& path) {
    std::ifstream in(path);
    XS_CHECK_MSG(in.good(), "cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

Rle rle_of(const json& j) { return rle_from_string(j.at("counts").get<std::string>(), j.at("size")[0], j.at("size")[1]); }

// Adds a golden case's images to `ev` (only those whose position passes `take`), in the file's order.
template <typename Take>
void add_case(MaskApEvaluator& ev, const json& c, Take take) {
    int position = 0;
    for (const json& img : c.at("images")) {
        const int64_t id = img.at("id");
        if (!take(position++)) continue;
        std::vector<GroundTruthInstance> gt;
        std::vector<Detection> dt;
        for (const json& a : c.at("ground_truth")) {
            if (a.at("image_id").get<int64_t>() != id) continue;
            GroundTruthInstance g;
            g.id = a.at("id");
            g.category_id = a.at("category_id");
            g.mask = rle_of(a);
            g.area = a.at("area");
            g.iscrowd = a.at("iscrowd").get<int>() != 0;
            gt.push_back(std::move(g));
        }
        for (const json& r : c.at("detections")) {
            if (r.at("image_id").get<int64_t>() != id) continue;
            Detection d;
            d.category_id = r.at("category_id");
            d.mask = rle_of(r);
            d.score = r.at("score");
            dt.push_back(std::move(d));
        }
        ev.add_image(id, gt, dt);
    }
}

}  // namespace

XS_TEST(mask_ap_agrees_with_cocoeval_on_every_golden_case) {
    const json doc = read_json(source_dir() + "/tests/data/eval/coco_eval_goldens.json");
    XS_CHECK(doc.at("cases").size() >= 10);
    double worst = 0;
    for (const json& c : doc.at("cases")) {
        const std::string name = c.at("name");
        MaskApEvaluator ev(c.at("categories").get<std::vector<int64_t>>());
        add_case(ev, c, [](int) { return true; });
        const MaskApSummary s = ev.summarize();
        const std::vector<double> want = c.at("stats").get<std::vector<double>>();
        XS_CHECK(want.size() == size_t(MaskApSummary::kStats));
        for (int i = 0; i < MaskApSummary::kStats; ++i) {
            const double diff = std::fabs(s.stats[size_t(i)] - want[size_t(i)]);
            worst = std::max(worst, diff);
            XS_CHECK_MSG(diff <= 1e-6, name + " " + MaskApSummary::names()[size_t(i)] + ": ours " +
                                           std::to_string(s.stats[size_t(i)]) + ", COCOeval " + std::to_string(want[size_t(i)]));
        }
        const json& per_cat = c.at("ap_per_category");
        XS_CHECK_MSG(per_cat.size() == s.ap_per_category.size(), name + ": categories with AP differ");
        for (const auto& [cat, ap] : s.ap_per_category) {
            const double want_ap = per_cat.at(std::to_string(cat));
            worst = std::max(worst, std::fabs(ap - want_ap));
            XS_CHECK_MSG(std::fabs(ap - want_ap) <= 1e-6, name + " category " + std::to_string(cat));
        }
    }
    std::printf("       largest difference from COCOeval over all cases and stats: %.3g\n", worst);
}

XS_TEST(mask_ap_of_merged_parts_equals_the_whole) {
    const json doc = read_json(source_dir() + "/tests/data/eval/coco_eval_goldens.json");
    for (const json& c : doc.at("cases")) {
        const std::vector<int64_t> cats = c.at("categories").get<std::vector<int64_t>>();
        MaskApEvaluator whole(cats), even(cats), odd(cats);
        add_case(whole, c, [](int) { return true; });
        add_case(even, c, [](int i) { return i % 2 == 0; });
        add_case(odd, c, [](int i) { return i % 2 == 1; });
        MaskApEvaluator merged = MaskApEvaluator::from_json(json::parse(odd.to_json().dump()), "odd part");
        merged.merge(MaskApEvaluator::from_json(json::parse(even.to_json().dump()), "even part"));
        const MaskApSummary a = whole.summarize(), b = merged.summarize();
        for (int i = 0; i < MaskApSummary::kStats; ++i)
            XS_CHECK_MSG(a.stats[size_t(i)] == b.stats[size_t(i)], c.at("name").get<std::string>() + " stat " + std::to_string(i));
        XS_CHECK_THROWS(merged.merge(even), Error, "is in two parts");
    }
}

XS_TEST(mask_iou_follows_rleiou_for_crowd_and_ordinary_ground_truth) {
    Mask gt(10, 10), dt(10, 10);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 5; ++x) gt.set(x, y, true);  // 50 px
    for (int y = 0; y < 4; ++y)
        for (int x = 3; x < 8; ++x) dt.set(x, y, true);  // 20 px, 8 inside gt
    const Rle g = rle_encode(gt), d = rle_encode(dt);
    XS_CHECK(rle_intersection_area(g, d) == 8);
    XS_CHECK(std::fabs(rle_iou(d, g, false) - 8.0 / 62.0) < 1e-15);
    XS_CHECK(std::fabs(rle_iou(d, g, true) - 8.0 / 20.0) < 1e-15);  // crowd: intersection / detection area
    XS_CHECK(rle_iou(rle_encode(Mask(10, 10)), g, false) == 0.0);
    XS_CHECK_THROWS(rle_iou(rle_encode(Mask(9, 10)), g, false), Error, "different sizes");
}

XS_TEST(mask_ap_refuses_an_image_added_twice) {
    MaskApEvaluator ev({1});
    ev.add_image(1, {}, {});
    XS_CHECK_THROWS(ev.add_image(1, {}, {}), Error, "added twice");
    // No ground truth anywhere: every summary is COCOeval's -1.
    XS_CHECK(ev.summarize().stats[0] == -1.0);
}

XS_TEST(panoptic_quality_agrees_with_xsam_pq_compute_on_every_golden_case) {
    const json doc = read_json(source_dir() + "/tests/data/eval/panoptic_goldens.json");
    XS_CHECK(doc.at("cases").size() >= 5);
    double worst = 0;
    for (const json& c : doc.at("cases")) {
        const std::string name = c.at("name");
        std::vector<int64_t> all, things, stuff;
        for (const json& cat : c.at("categories")) {
            all.push_back(cat.at("id"));
            (cat.at("isthing").get<int>() ? things : stuff).push_back(cat.at("id"));
        }
        PanopticEvaluator pq(all);
        for (const json& img : c.at("images")) {
            std::vector<PanopticSegment> gt, pred;
            for (const json& s : img.at("ground_truth"))
                gt.push_back({s.at("category_id").get<int64_t>(), rle_of(s), s.at("iscrowd").get<int>() != 0});
            for (const json& s : img.at("predictions")) pred.push_back({s.at("category_id").get<int64_t>(), rle_of(s), false});
            pq.add_image(img.at("width"), img.at("height"), gt, pred);
        }
        auto check = [&](const PanopticSummary& s, const json& want, const std::string& what) {
            XS_CHECK_MSG(s.categories == want.at("n").get<int>(), name + " " + what + " n");
            for (const char* key : {"pq", "sq", "rq"}) {
                const double ours = key[0] == 'p' ? s.pq : key[0] == 's' ? s.sq : s.rq;
                const double diff = std::fabs(ours - want.at(key).get<double>());
                worst = std::max(worst, diff);
                XS_CHECK_MSG(diff <= 1e-9, name + " " + what + " " + key + ": ours " + std::to_string(ours) + ", pq_compute " +
                                               std::to_string(want.at(key).get<double>()));
            }
        };
        check(pq.summarize(), c.at("all"), "All");
        check(pq.summarize(things), c.at("things"), "Things");
        check(pq.summarize(stuff), c.at("stuff"), "Stuff");
        const PanopticSummary s = pq.summarize();
        for (const auto& [cat, v] : s.per_category) {
            const json& want = c.at("per_category").at(std::to_string(cat));
            XS_CHECK_MSG(std::fabs(v.pq - want.at("pq").get<double>()) <= 1e-9, name + " category " + std::to_string(cat));
        }
    }
    std::printf("       largest difference from pq_compute: %.3g\n", worst);
}

XS_TEST(panoptic_quality_of_a_hand_computed_image) {
    // 10 x 10: ground truth A (category 1, left 5 columns), void elsewhere. The prediction covers
    // A's left 4 columns (40 px) and 2 void columns (20 px): IoU = 40 / (60 + 50 - 40 - 20) = 0.8.
    // A second prediction of category 2 lies on void only: ignored.
    auto cols = [](std::vector<std::pair<int, int>> spans) {
        Mask m(10, 10);
        for (auto [x0, x1] : spans)
            for (int y = 0; y < 10; ++y)
                for (int x = x0; x < x1; ++x) m.set(x, y, true);
        return rle_encode(m);
    };
    PanopticEvaluator pq({1, 2});
    pq.add_image(10, 10, {{1, cols({{0, 5}}), false}}, {{1, cols({{0, 4}, {5, 7}}), false}, {2, cols({{8, 10}}), false}});
    PanopticSummary s = pq.summarize();
    XS_CHECK(s.categories == 1);
    XS_CHECK(std::fabs(s.pq - 0.8) < 1e-12 && std::fabs(s.sq - 0.8) < 1e-12 && s.rq == 1.0);
    // A missed instance of category 2 (a false negative) halves RQ of that category: PQ 0.
    pq.add_image(10, 10, {{2, cols({{0, 3}}), false}}, {});
    s = pq.summarize();
    XS_CHECK(s.categories == 2 && std::fabs(s.pq - 0.4) < 1e-12);
    XS_CHECK_THROWS(pq.add_image(10, 10, {}, {{3, cols({{0, 1}}), false}}), Error, "unknown category 3");
    XS_CHECK_THROWS(pq.add_image(10, 9, {{1, cols({{0, 1}}), false}}, {}), Error, "10x10");
}

namespace {

// A 10 x 10 mask of the columns [x0, x1).
Mask columns(int x0, int x1) {
    Mask m(10, 10);
    for (int y = 0; y < 10; ++y)
        for (int x = x0; x < x1; ++x) m.set(x, y, true);
    return m;
}

bool near(double a, double b) { return std::fabs(a - b) < 1e-12; }

}  // namespace

XS_TEST(ciou_and_giou_of_hand_computed_samples) {
    IouAccumulator acc;
    XS_CHECK(acc.ciou() == -1 && acc.giou() == -1);
    acc.add(3, 4);
    acc.add(0, 5);
    acc.add(0, 0);  // both empty: IoU 1, as X-SAM's IouStat
    XS_CHECK(near(acc.ciou(), 3.0 / 9.0));
    XS_CHECK(near(acc.giou(), (0.75 + 0 + 1) / 3.0));
    IouAccumulator masks;
    masks.add(columns(0, 4), columns(2, 6));  // 20 / 60
    masks.add(columns(0, 5), columns(0, 5));
    XS_CHECK(near(masks.ciou(), (20.0 + 50.0) / (60.0 + 50.0)));
    XS_CHECK(near(masks.giou(), (1.0 / 3.0 + 1.0) / 2.0));
    IouAccumulator merged = IouAccumulator::from_json(acc.to_json(), "a");
    merged.merge(masks);
    XS_CHECK(merged.samples() == 5 && near(merged.ciou(), (3.0 + 70.0) / (9.0 + 110.0)));
    XS_CHECK_THROWS(masks.add(Mask(3, 3), columns(0, 1)), Error, "3x3");
}

XS_TEST(semantic_miou_of_a_hand_computed_confusion_matrix) {
    // Two classes, index 2 = ignore / unlabelled. Pixel by pixel (ground truth, prediction):
    // (0,0) (0,1) (1,1) (1,1) (ignore,0) (1,unlabelled).
    SemanticEvaluator sem(2);
    sem.add({0, 0, 1, 1, 2, 1}, {0, 1, 1, 1, 0, 2});
    const SemanticSummary s = sem.summarize();
    // class 0: TP 1, GT 2, predicted 1 (the prediction on ignored ground truth does not count): IoU 1/2
    // class 1: TP 2, GT 3 (the unlabelled pixel is a miss), predicted 3: IoU 2/4
    XS_CHECK(near(s.iou[0], 0.5) && near(s.iou[1], 0.5));
    XS_CHECK(near(s.miou, 0.5));
    XS_CHECK(near(s.macc, (0.5 + 2.0 / 3.0) / 2.0));
    XS_CHECK(near(s.pacc, 3.0 / 5.0));
    XS_CHECK(near(s.fwiou, 0.5 * 2.0 / 5.0 + 0.5 * 3.0 / 5.0));
    // A class absent from the ground truth has no IoU and leaves the mean alone.
    SemanticEvaluator three(3);
    three.add({0, 0, 3}, {0, 2, 1});
    const SemanticSummary t = three.summarize();
    XS_CHECK(t.classes_counted == 1 && near(t.miou, 0.5) && t.iou[1] == -1 && t.iou[2] == -1);
    XS_CHECK_THROWS(three.add({4}, {0}), Error, "outside 0..3");
    SemanticEvaluator merged = SemanticEvaluator::from_json(sem.to_json(), "a");
    merged.merge(sem);
    XS_CHECK(near(merged.summarize().miou, 0.5));
}

XS_TEST(grounded_caption_miou_and_recall_of_hand_computed_images) {
    XS_CHECK(near(phrase_similarity("The Dog!", "dog"), 1.0));
    XS_CHECK(near(phrase_similarity("a brown dog", "the dog"), 2.0 / 3.0));
    XS_CHECK(phrase_similarity("the", "a") == 0.0);
    GcgEvaluator gcg;
    // Ground truth: left half "a brown dog", right half "the green grass". Predictions: 4 of the 5
    // left columns "dog" (IoU 0.8, similar phrase: a match) and 4 of the right ones "a cat" (IoU 0.8,
    // phrase not similar: the search stops there).
    gcg.add_image({{rle_encode(columns(0, 5)), "a brown dog"}, {rle_encode(columns(5, 10)), "the green grass"}},
                  {{rle_encode(columns(0, 4)), "dog"}, {rle_encode(columns(6, 10)), "a cat"}});
    XS_CHECK(near(gcg.miou(), 0.8));
    XS_CHECK(gcg.phrases() == 2 && gcg.matched() == 1 && near(gcg.recall(), 0.5));
    // An image without any predicted mask counts 0 (the reference would skip it).
    gcg.add_image({{rle_encode(columns(0, 2)), "sky"}}, {});
    XS_CHECK(near(gcg.miou(), 0.4) && near(gcg.recall(), 1.0 / 3.0));
    // The best-IoU pair decides: a worse pair with a matching phrase is not searched.
    GcgEvaluator stop;
    stop.add_image({{rle_encode(columns(0, 5)), "dog"}}, {{rle_encode(columns(0, 5)), "cat"}, {rle_encode(columns(0, 4)), "dog"}});
    XS_CHECK(stop.matched() == 0 && near(stop.miou(), 1.0));
}

XS_TEST(mask_prompt_equals_xsam_generate_mask_vprompt) {
    const json doc = read_json(source_dir() + "/tests/data/eval/mask_prompt_goldens.json");
    XS_CHECK(doc.at("cases").size() >= 5);
    for (const json& c : doc.at("cases")) {
        const Mask gt = rle_decode(rle_of(c.at("mask")));
        const VisualPrompt p = derive_prompt(gt, PromptType::Mask);
        const Mask want = rle_decode(rle_of(c.at("prompt")));
        int64_t differ = 0;
        for (int y = 0; y < gt.height(); ++y)
            for (int x = 0; x < gt.width(); ++x) differ += p.raster.at(x, y) != want.at(x, y);
        XS_CHECK_MSG(differ == 0, c.at("name").get<std::string>() + ": " + std::to_string(differ) + " pixels differ");
        if (c.contains("blurred")) {
            const std::vector<double> ref = c.at("blurred").get<std::vector<double>>();
            const std::vector<double> ours = gaussian_blur(gt, 2.0);
            XS_CHECK(ours.size() == ref.size());
            double err = 0, norm = 0;
            for (size_t i = 0; i < ref.size(); ++i) err += (ours[i] - ref[i]) * (ours[i] - ref[i]), norm += ref[i] * ref[i];
            std::printf("       Gaussian blur vs scipy.ndimage.gaussian_filter: NMSE %.3g\n", err / norm);
            XS_CHECK(err / norm <= 1e-24);
        }
    }
}

XS_TEST(point_box_and_scribble_prompts_of_hand_made_masks) {
    // Two parts: rows 2..7 x cols 3..10 (48 px, centroid (4.5, 6.5)) and a 2 x 2 speck (not > 5 px).
    Mask m(40, 30);
    for (int y = 2; y < 8; ++y)
        for (int x = 3; x < 11; ++x) m.set(x, y, true);
    for (int y = 20; y < 22; ++y)
        for (int x = 30; x < 32; ++x) m.set(x, y, true);
    const VisualPrompt point = derive_prompt(m, PromptType::Point);
    XS_CHECK(point.points.size() == 1);
    // Nearest pixel to the centroid (4.5, 6.5): (4, 6) comes first in row-major order among the four.
    XS_CHECK(point.points[0].x == 6.5f && point.points[0].y == 4.5f);
    XS_CHECK(point.raster.at(6, 4) && point.raster.at(16, 4) && !point.raster.at(17, 4));  // radius 10
    const VisualPrompt box = derive_prompt(m, PromptType::Box);
    XS_CHECK(box.boxes.size() == 1 && box.boxes[0].x0 == 3 && box.boxes[0].y0 == 2 && box.boxes[0].x1 == 11 &&
             box.boxes[0].y1 == 8);
    XS_CHECK(box.raster.area() == 48);
    const VisualPrompt scribble = derive_prompt(m, PromptType::Scribble);
    XS_CHECK(scribble.scribbles.size() == 1 && scribble.scribbles[0].points.size() >= 2);
    // Box shrunk to 0.85 about the centroid: rows int(4.5 - 2.55) = 1 .. int(7.05) = 7, columns
    // int(6.5 - 3.4) = 3 .. int(9.9) = 9: the line starts at column 3 and ends at column 9; its rows
    // carry the sine (15 px) and are clipped to the image.
    XS_CHECK(scribble.scribbles[0].points.front().x == 3.5f && scribble.scribbles[0].points.back().x == 9.5f);
    for (const PointF& p : scribble.scribbles[0].points) XS_CHECK(p.y >= 0.5f && p.y <= 29.5f);
    XS_CHECK(scribble.raster.any());
    XS_CHECK(derive_prompt(m, PromptType::Scribble).raster == scribble.raster);  // deterministic
    // Only specks: no point, box or scribble (the reference leaves such an instance without a prompt).
    Mask speck(10, 10);
    speck.set(2, 2, true);
    XS_CHECK(derive_prompt(speck, PromptType::Point).empty() && derive_prompt(speck, PromptType::Box).empty());
    XS_CHECK(prompt_type_from_name("scribble") == PromptType::Scribble && !prompt_type_from_name("clicks"));
}

XS_TEST_MAIN()
