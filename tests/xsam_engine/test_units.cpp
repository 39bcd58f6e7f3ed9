// Unit tests of the X-SAM engine's own numerics: the two preprocessings (against values worked out by
// hand from PIL's resampling formulas), the question templates, visual-prompt rasterisation and the
// post-processing rules (against a brute-force transcription of the reference's rules).
#include <torch/torch.h>

#include <cmath>

#include "core/xsam/pipeline/postprocess.h"
#include "core/xsam/pipeline/preprocess.h"
#include "core/xsam/pipeline/prompts.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::xsam;

namespace {

torch::Tensor row(std::vector<float> v) {
    return torch::tensor(v, torch::kFloat32).view({1, 1, 1, int64_t(v.size())});
}

bool near(double a, double b, double tol = 1e-5) { return std::fabs(a - b) <= tol; }

Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    Image im;
    im.width = w;
    im.height = h;
    im.rgb.resize(size_t(w) * h * 3);
    for (size_t i = 0; i < size_t(w) * h; ++i) {
        im.rgb[i * 3] = r;
        im.rgb[i * 3 + 1] = g;
        im.rgb[i * 3 + 2] = b;
    }
    return im;
}

CanvasGeometry identity_geometry(int s) {
    CanvasGeometry g;
    g.canvas = s;
    g.scaled_h = g.scaled_w = g.height = g.width = s;
    return g;
}

}  // namespace

// ---- preprocessing ---------------------------------------------------------------------------------

XS_TEST(sam_scaled_size_matches_reference_rounding) {
    XS_CHECK(sam_scaled_size(480, 640, 1024) == std::make_pair(768, 1024));
    XS_CHECK(sam_scaled_size(1000, 333, 1024) == std::make_pair(1024, 341));  // 340.992 + 0.5 -> 341
    XS_CHECK(sam_scaled_size(427, 640, 1024) == std::make_pair(683, 1024));   // 683.2 + 0.5 -> 683
    XS_CHECK(sam_scaled_size(1, 1, 1024) == std::make_pair(1024, 1024));
    XS_CHECK(sam_scaled_size(3000, 4000, 1024) == std::make_pair(768, 1024));
}

// PIL bilinear, shrinking 4 -> 2 (support 2): weights 3/7, 3/7, 1/7 and 1/7, 3/7, 3/7 (worked out from
// PIL's precompute_coeffs); growing 2 -> 4: [a, (3a + b)/4, (a + 3b)/4, b]. Output rounded half up.
XS_TEST(pil_bilinear_resize_matches_hand_computation) {
    torch::Tensor d = pil_resize_u8(row({0, 70, 140, 210}), 1, 2, "bilinear");
    XS_CHECK_MSG(near(d[0][0][0][0].item<float>(), 50) && near(d[0][0][0][1].item<float>(), 160),
                 "got " + std::to_string(d[0][0][0][0].item<float>()) + ", " + std::to_string(d[0][0][0][1].item<float>()));
    d = pil_resize_u8(row({10, 20, 30, 40}), 1, 2, "bilinear");  // 17.14 -> 17, 32.86 -> 33
    XS_CHECK(near(d[0][0][0][0].item<float>(), 17) && near(d[0][0][0][1].item<float>(), 33));
    torch::Tensor u = pil_resize_u8(row({0, 101}), 1, 4, "bilinear");  // 0, 25.25, 75.75, 101
    XS_CHECK(near(u[0][0][0][0].item<float>(), 0) && near(u[0][0][0][1].item<float>(), 25) &&
             near(u[0][0][0][2].item<float>(), 76) && near(u[0][0][0][3].item<float>(), 101));
    // Separable: a 2-D shrink of a rank-one image equals the product of the 1-D results.
    torch::Tensor img = torch::tensor({0.f, 70.f, 140.f, 210.f}).view({1, 1, 4, 1}) * 0 +
                        torch::tensor({0.f, 70.f, 140.f, 210.f}).view({1, 1, 1, 4});
    torch::Tensor r2 = pil_resize_u8(img, 2, 2, "bilinear");
    XS_CHECK(near(r2[0][0][0][0].item<float>(), 50) && near(r2[0][0][1][1].item<float>(), 160));
    // Nearest (PIL): source floor((dst + 0.5) * in / out): 4 -> 3 picks 0, 2, 3.
    torch::Tensor n = pil_resize_u8(row({1, 2, 3, 4}), 1, 3, "nearest");
    XS_CHECK(near(n[0][0][0][0].item<float>(), 1) && near(n[0][0][0][1].item<float>(), 3) &&
             near(n[0][0][0][2].item<float>(), 4));
    // Bicubic keeps a constant image constant, and rounds within 0..255.
    torch::Tensor c = pil_resize_u8(torch::full({1, 3, 7, 5}, 200.f), 3, 11, "bicubic");
    XS_CHECK((c - 200).abs().max().item<float>() == 0.f);
    torch::Tensor edge = pil_resize_u8(row({0, 255, 0, 255, 0, 255}), 1, 13, "bicubic");
    XS_CHECK(edge.min().item<float>() >= 0.f && edge.max().item<float>() <= 255.f);
}

XS_TEST(sam_preprocess_normalises_then_pads_with_zero) {
    PreprocessConfig cfg;
    cfg.sam_size = 8;
    Image im = solid(4, 2, 128, 64, 255);  // w=4, h=2 -> scaled 4 x 8
    SamInput s = preprocess_sam(im, cfg, torch::kCPU);
    XS_CHECK(s.scaled_h == 4 && s.scaled_w == 8);
    XS_CHECK(s.pixels.sizes() == torch::IntArrayRef({1, 3, 8, 8}));
    const double r = (128.0 / 255 - 0.485) / 0.229, g = (64.0 / 255 - 0.456) / 0.224, b = (255.0 / 255 - 0.406) / 0.225;
    XS_CHECK_MSG(near(s.pixels[0][0][2][5].item<float>(), r, 1e-5), std::to_string(s.pixels[0][0][2][5].item<float>()));
    XS_CHECK(near(s.pixels[0][1][3][7].item<float>(), g, 1e-5));
    XS_CHECK(near(s.pixels[0][2][0][0].item<float>(), b, 1e-5));
    XS_CHECK(s.pixels.narrow(2, 4, 4).abs().max().item<float>() == 0.f);  // padding rows are exactly 0
    // A 2x2 checker grown to 8x8 follows the hand formula in both directions.
    Image ck = solid(2, 2, 0, 0, 0);
    ck.rgb[3] = 200;  // pixel (1, 0) red = 200
    cfg.sam_size = 4;
    SamInput c = preprocess_sam(ck, cfg, torch::kCPU);
    // row 0 of the red channel: [0, 50, 150, 200]; row 1 (a quarter of the way to row 1 = 0): [0, 37.5->38, 112.5->113, 150]
    auto red = [&](int y, int x) { return c.pixels[0][0][y][x].item<float>() * 0.229f + 0.485f; };
    XS_CHECK_MSG(near(red(0, 1) * 255, 50, 1e-3) && near(red(0, 2) * 255, 150, 1e-3) && near(red(0, 3) * 255, 200, 1e-3),
                 std::to_string(red(0, 1) * 255));
    XS_CHECK_MSG(near(red(1, 1) * 255, 38, 1e-3) && near(red(1, 2) * 255, 113, 1e-3), std::to_string(red(1, 1) * 255));
}

XS_TEST(siglip_preprocess_pads_centred_with_grey) {
    PreprocessConfig cfg;
    cfg.siglip_size = 4;
    Image wide = solid(4, 2, 255, 0, 255);  // square 4x4, image rows 1..2
    torch::Tensor t = preprocess_siglip(wide, cfg, torch::kCPU);
    XS_CHECK(t.sizes() == torch::IntArrayRef({1, 3, 4, 4}));
    const float grey = float((127.0 / 255 - 0.5) / 0.5);
    XS_CHECK(near(t[0][0][0][0].item<float>(), grey) && near(t[0][1][3][2].item<float>(), grey));
    XS_CHECK(near(t[0][0][1][0].item<float>(), 1.0) && near(t[0][1][2][3].item<float>(), -1.0));
    Image tall = solid(1, 3, 0, 0, 0);  // side 3, x offset (3 - 1) / 2 = 1
    cfg.siglip_size = 3;
    torch::Tensor u = preprocess_siglip(tall, cfg, torch::kCPU);
    XS_CHECK(near(u[0][0][0][1].item<float>(), -1.0) && near(u[0][0][0][0].item<float>(), grey) &&
             near(u[0][0][2][2].item<float>(), grey));
    Image odd = solid(2, 1, 10, 10, 10);  // side 2, y offset (2 - 1) / 2 = 0: image on row 0
    cfg.siglip_size = 2;
    torch::Tensor o = preprocess_siglip(odd, cfg, torch::kCPU);
    XS_CHECK(near(o[0][0][0][0].item<float>(), (10.0 / 255 - 0.5) / 0.5) && near(o[0][0][1][1].item<float>(), grey));
}

XS_TEST(preprocess_config_rejects_bad_fields) {
    XS_CHECK_THROWS(PreprocessConfig::from_json(nlohmann::json{{"siglip_resample", "lanczos"}}, "m.json: preprocess"),
                    Error, "siglip_resample");
    XS_CHECK_THROWS(PreprocessConfig::from_json(nlohmann::json{{"sam_mean", {1, 2}}}, "m.json: preprocess"), Error,
                    "sam_mean");
    PreprocessConfig c = PreprocessConfig::from_json(nlohmann::json{{"siglip_resample", "bicubic"}}, "x");
    XS_CHECK(c.siglip_resample == "bicubic" && c.sam_size == 1024);
}

// ---- prompts ---------------------------------------------------------------------------------------

XS_TEST(question_templates_follow_the_reference) {
    Question r = referring_question("  The Bird ");
    XS_CHECK(r.question == "Can you segment <p>the bird</p> in this image? Please generate the segmentation mask.");
    XS_CHECK(r.answer == "It is <SEG>.");
    Question g = categories_question({"person", "wall-other-merged", "Dining-Table"});
    XS_CHECK_MSG(g.question == "Can you segment the image based on the following categories: <p>person</p>, "
                               "<p>wall</p>, <p>dining table</p>? Please output the segmentation masks.",
                 g.question);
    XS_CHECK(g.num_phrases == 3 && g.answer == "Sure, it is <SEG>.");
    Question v = regions_question(2);
    XS_CHECK(v.question == "Can you segment the image based on the following regions: <p><region></p>, "
                           "<p><region></p>? Please output the corresponding segmentation mask.");
    XS_CHECK(reasoning_question("What can hold water?").question ==
             "<p>What can hold water?</p> Please output the corresponding segmentation mask.");
    XS_CHECK_THROWS(referring_question(" "), Error, "empty");
    XS_CHECK_THROWS(referring_question("a <SEG> b"), Error, "special token");
    XS_CHECK_THROWS(categories_question({}), Error, "empty");

    std::vector<Piece> p = question_pieces(v, true);
    // "\n...: <p>" R "</p>, <p>" R "</p>? ...<|end|>\n<|assistant|>\n" "Sure, <SEG>.<|end|>" "\n"
    XS_CHECK(p.size() == 7);
    XS_CHECK(p[0].kind == Piece::Text && p[0].text == "\nCan you segment the image based on the following regions: <p>");
    XS_CHECK(p[1].kind == Piece::Region && p[3].kind == Piece::Region);
    XS_CHECK(p[4].text == "</p>? Please output the corresponding segmentation mask.<|end|>\n<|assistant|>\n");
    XS_CHECK(p[5].text == "Sure, <SEG>.<|end|>" && p[6].text == "\n");
    std::vector<Piece> pre = prefix_pieces();
    XS_CHECK(pre.size() == 3 && pre[0].kind == Piece::Bos && pre[1].text == "<|user|>\n" && pre[2].kind == Piece::Image);
    XS_CHECK(question_pieces(caption_question(), false).size() == 1);
}

XS_TEST(rasterised_shapes_have_the_training_sizes) {
    CanvasGeometry g = identity_geometry(1024);
    // Disc of radius 10 around a pixel centre: the lattice points with dx^2 + dy^2 <= 100: 317.
    torch::Tensor p = rasterise_point(g, 100.5f, 200.5f);
    XS_CHECK_MSG(p.sum().item<int64_t>() == 317, std::to_string(p.sum().item<int64_t>()));
    XS_CHECK(p[200][100].item<uint8_t>() == 1 && p[200][110].item<uint8_t>() == 1 && p[200][111].item<uint8_t>() == 0);
    // Box: pixel centres inside [10, 30] x [20, 25] -> 20 x 5.
    torch::Tensor b = rasterise_box(g, BoxPrompt{10, 20, 30, 25});
    XS_CHECK(b.sum().item<int64_t>() == 100 && b[20][10].item<uint8_t>() == 1 && b[25][10].item<uint8_t>() == 0);
    // A horizontal scribble of length 100 and radius 5 covers about 100 x 11 pixels plus two caps.
    ScribblePrompt s;
    s.points = {{100.5f, 300.5f}, {200.5f, 300.5f}};
    torch::Tensor sc = rasterise_scribble(g, s);
    const int64_t area = sc.sum().item<int64_t>();
    XS_CHECK_MSG(area > 100 * 11 && area < 100 * 11 + 100, std::to_string(area));
    XS_CHECK(sc[305][150].item<uint8_t>() == 1 && sc[306][150].item<uint8_t>() == 0);
    // Scaled geometry: a 512 x 256 image on the 1024 canvas (scale 2); the disc keeps radius 10 on the canvas.
    CanvasGeometry h;
    h.canvas = 1024;
    h.width = 512;
    h.height = 256;
    h.scaled_w = 1024;
    h.scaled_h = 512;
    torch::Tensor q = rasterise_point(h, 50.25f, 100.25f);
    XS_CHECK(q.sum().item<int64_t>() == 317 && q[200][100].item<uint8_t>() == 1);
    XS_CHECK(q.narrow(0, 512, 512).sum().item<int64_t>() == 0);
    torch::Tensor edge = rasterise_point(h, 0.1f, 0.1f);  // clipped at the corner, never empty
    XS_CHECK(edge.sum().item<int64_t>() > 50 && edge.sum().item<int64_t>() < 100);
    // Mask prompt: PIL-nearest doubling of a 2-pixel mask.
    Mask m(512, 256);
    m.set(3, 5, true);
    torch::Tensor mc = rasterise_mask(h, m);
    XS_CHECK(mc.sum().item<int64_t>() == 4 && mc[10][6].item<uint8_t>() == 1 && mc[11][7].item<uint8_t>() == 1);
    Mask wrong(10, 10);
    XS_CHECK_THROWS(rasterise_mask(h, wrong), Error, "expected the image size");
}

XS_TEST(regions_follow_the_task) {
    CanvasGeometry g = identity_geometry(64);
    SegmentRequest r;
    r.task = Task::Interactive;
    r.points = {{10, 10, true}, {40, 40, true}, {30, 5, false}};
    r.boxes = {BoxPrompt{1, 1, 5, 5}};
    RegionSet one = build_regions(g, r);
    XS_CHECK(one.masks.size() == 1);
    XS_CHECK(one.masks[0][10][10].item<uint8_t>() == 1 && one.masks[0][40][40].item<uint8_t>() == 1 &&
             one.masks[0][2][2].item<uint8_t>() == 1);
    XS_CHECK(one.masks[0][5][30].item<uint8_t>() == 0);  // the negative point is no part of the region
    r.task = Task::VisualGrounded;
    RegionSet many = build_regions(g, r);
    XS_CHECK(many.masks.size() == 3 && many.labels[0] == "point 1" && many.labels[2] == "box 1");
    SegmentRequest none;
    none.task = Task::Interactive;
    none.points = {{3, 3, false}};
    XS_CHECK_THROWS(build_regions(g, none), Error, "at least one positive");
}

// ---- post-processing -------------------------------------------------------------------------------

namespace {

// The reference's instance rule written out plainly over all pairs (genseg/vgdseg postprocess).
std::vector<std::tuple<int, int, float>> brute_instances(const DecoderOutput& out, const CanvasGeometry& g,
                                                          float thr, bool keep_best) {
    torch::Tensor scores = class_probs(out.class_logits);
    const int64_t Q = scores.size(0), C = scores.size(1);
    auto [vals, idx] = scores.flatten().topk(Q, 0, true, true);
    torch::Tensor up = masks_to_image(out.mask_logits, g);
    std::vector<std::tuple<int, int, float>> all;
    for (int64_t i = 0; i < Q; ++i) {
        const int64_t q = idx[i].item<int64_t>() / C, c = idx[i].item<int64_t>() % C;
        torch::Tensor m = (up[q] > 0).to(torch::kFloat32);
        const float ms = float((up[q].sigmoid() * m).sum().item<double>() / (m.sum().item<double>() + 1e-6));
        all.emplace_back(int(q), int(c), vals[i].item<float>() * ms);
    }
    float best = -1;
    size_t bi = 0;
    for (size_t i = 0; i < all.size(); ++i)
        if (std::get<2>(all[i]) > best) best = std::get<2>(all[i]), bi = i;
    std::vector<std::tuple<int, int, float>> kept;
    for (size_t i = 0; i < all.size(); ++i) {
        const int q = std::get<0>(all[i]);
        const bool nonempty = (up[q] > 0).any().item<bool>();
        if ((std::get<2>(all[i]) >= thr && nonempty) || (keep_best && i == bi)) kept.push_back(all[i]);
    }
    std::stable_sort(kept.begin(), kept.end(), [](auto& a, auto& b) { return std::get<2>(a) > std::get<2>(b); });
    return kept;
}

}  // namespace

XS_TEST(instance_rule_equals_brute_force_reference) {
    CanvasGeometry g;
    g.canvas = 32;
    g.scaled_h = 20;
    g.scaled_w = 32;
    g.height = 25;
    g.width = 40;
    for (int seed = 0; seed < 12; ++seed) {
        torch::manual_seed(seed);
        DecoderOutput out;
        const int64_t Q = 10, C = 1 + seed % 3;
        out.class_logits = torch::randn({Q, C + 1}) * 3;
        out.mask_logits = torch::randn({Q, 8, 8}) * 4;
        for (float thr : {0.05f, 0.2f, 0.5f}) {
            for (bool keep_best : {false, true}) {
                auto fast = instance_candidates(out, g, thr, keep_best);
                auto ref = brute_instances(out, g, thr, keep_best);
                XS_CHECK_MSG(fast.size() == ref.size(), "seed " + std::to_string(seed) + " thr " + std::to_string(thr) +
                                                            ": " + std::to_string(fast.size()) + " vs " +
                                                            std::to_string(ref.size()));
                for (size_t i = 0; i < fast.size(); ++i) {
                    XS_CHECK(fast[i].query == std::get<0>(ref[i]) && fast[i].label == std::get<1>(ref[i]));
                    XS_CHECK(near(fast[i].score, std::get<2>(ref[i]), 1e-6));
                    XS_CHECK(fast[i].mask.sizes() == torch::IntArrayRef({25, 40}));
                }
            }
        }
    }
}

XS_TEST(best_query_per_class_and_crop_geometry) {
    CanvasGeometry g;
    g.canvas = 8;
    g.scaled_h = 4;
    g.scaled_w = 8;
    g.height = 2;
    g.width = 4;
    DecoderOutput out;
    // 3 queries, 2 classes + background. Class 0 is best at query 2, class 1 at query 0.
    out.class_logits = torch::tensor({{0.f, 5.f, 0.f}, {1.f, 1.f, 3.f}, {6.f, 0.f, 0.f}});
    out.mask_logits = torch::full({3, 8, 8}, -100.f);
    out.mask_logits[2].narrow(0, 0, 4).fill_(100.f);        // inside the crop: all on
    out.mask_logits[0].narrow(0, 4, 4).fill_(100.f);        // only in the padding: cropped away
    auto res = best_query_per_class(out, g, 0.5f);
    XS_CHECK(res.size() == 2 && res[0].query == 2 && res[1].query == 0);
    XS_CHECK(res[0].mask.sizes() == torch::IntArrayRef({2, 4}));
    XS_CHECK(res[0].mask.all().item<bool>());
    XS_CHECK(!res[1].mask.any().item<bool>());
    const double p = std::exp(6.0) / (std::exp(6.0) + 2.0);
    XS_CHECK(near(res[0].score, p, 1e-5));
}

XS_TEST(panoptic_and_semantic_rules) {
    CanvasGeometry g = identity_geometry(8);
    DecoderOutput out;
    // q0: class 0 on the left half; q1: class 1 on the right half; q2: background-ish.
    out.class_logits = torch::tensor({{5.f, 0.f, 0.f}, {0.f, 5.f, 0.f}, {0.f, 0.f, 5.f}});
    out.mask_logits = torch::full({3, 8, 8}, -20.f);
    out.mask_logits[0].narrow(1, 0, 4).fill_(20.f);
    out.mask_logits[1].narrow(1, 4, 4).fill_(20.f);
    auto pan = panoptic_segments(out, g, 0.5f);
    XS_CHECK(pan.size() == 2);
    XS_CHECK(pan[0].mask.sum().item<int64_t>() == 32 && pan[1].mask.sum().item<int64_t>() == 32);
    XS_CHECK(pan[0].label != pan[1].label);
    XS_CHECK(pan[0].mask.logical_and(pan[1].mask).sum().item<int64_t>() == 0);
    auto sem = semantic_segments(out, g);
    XS_CHECK(sem.size() == 2);
    for (auto& s : sem) {
        XS_CHECK(s.mask.sum().item<int64_t>() == 32);
        XS_CHECK(s.mask[0][s.label == 0 ? 0 : 7].item<bool>());
    }
    // A query whose mask is mostly covered by a stronger one is dropped (overlap rule).
    out.mask_logits[1].fill_(20.f);  // q1 now covers everything but loses the left half to q0 (equal scores: first wins)
    auto pan2 = panoptic_segments(out, g, 0.5f);
    XS_CHECK_MSG(pan2.size() == 1 && pan2[0].query == 0, std::to_string(pan2.size()));
}

XS_TEST(interactive_choice_and_negative_points) {
    auto box_mask = [](int x0, int y0, int x1, int y1) {
        torch::Tensor m = torch::zeros({20, 20}, torch::kBool);
        m.narrow(0, y0, y1 - y0).narrow(1, x0, x1 - x0).fill_(true);
        return m;
    };
    std::vector<Candidate> c = {{0, 0, 0.9f, box_mask(10, 10, 20, 20)}, {1, 0, 0.6f, box_mask(2, 2, 8, 8)}};
    torch::Tensor prompt = box_mask(3, 3, 7, 7);
    XS_CHECK(choose_interactive(c, prompt, {}) == 1);  // best box overlap, not best score
    XS_CHECK(near(box_iou({0, 0, 2, 2}, {1, 1, 3, 3}), 1.0 / 7.0));
    XS_CHECK(mask_box(box_mask(2, 3, 8, 9)) == (std::array<float, 4>{2, 3, 8, 9}));
    // A negative point inside candidate 1 moves the choice to candidate 0.
    std::vector<Candidate> c2 = c;
    torch::Tensor neg = box_mask(4, 4, 5, 5);
    XS_CHECK(choose_interactive(c2, prompt, {neg}) == 0);
    XS_CHECK(c2[0].mask.sum().item<int64_t>() == 100);  // not edited: it covers no negative point
    // When every candidate covers the negative point, the choice stays and the point's area is removed.
    std::vector<Candidate> c3 = {c[1]};
    XS_CHECK(choose_interactive(c3, prompt, {neg}) == 0);
    XS_CHECK(c3[0].mask.sum().item<int64_t>() == 35 && !c3[0].mask[4][4].item<bool>());
    std::vector<Candidate> none;
    XS_CHECK(choose_interactive(none, prompt, {}) == -1);
}

XS_TEST(mask_conversions_round_trip) {
    Mask m(5, 3);
    m.set(4, 2, true);
    m.set(0, 1, true);
    torch::Tensor t = from_mask(m);
    XS_CHECK(t.sizes() == torch::IntArrayRef({3, 5}) && t[2][4].item<bool>() && t[1][0].item<bool>());
    XS_CHECK(to_mask(t) == m);
    CanvasGeometry h;
    h.canvas = 8;
    h.scaled_h = 4;
    h.scaled_w = 8;
    h.height = 2;
    h.width = 4;
    torch::Tensor region = torch::zeros({8, 8}, torch::kUInt8);
    region[2][6] = 1;  // -> image (3, 1) with torch nearest floor(dst * 2)
    torch::Tensor back = region_to_image(region, h);
    XS_CHECK(back.sum().item<int64_t>() == 1 && back[1][3].item<bool>());
}

XS_TEST_MAIN()
