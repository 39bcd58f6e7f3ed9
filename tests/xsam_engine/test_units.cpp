// Unit tests of the X-SAM engine's own numerics: the two preprocessings (against values worked out by
// hand from PIL's resampling formulas), the question templates, visual-prompt rasterisation and the
// post-processing rules (against a brute-force transcription of the reference's rules).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

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
// (Value-for-value parity with PIL itself: tests/xsam_official_parity.)
XS_TEST(pil_bilinear_resize_matches_hand_computation) {
    auto grey_row = [](std::vector<uint8_t> v) {
        Image im;
        im.width = int(v.size());
        im.height = 1;
        for (uint8_t x : v) im.rgb.insert(im.rgb.end(), {x, x, x});
        return im;
    };
    auto at = [](const Image& im, int x, int y = 0) { return int(im.pixel(x, y)[0]); };
    Image d = pil_resize(grey_row({0, 70, 140, 210}), 2, 1, "bilinear");
    XS_CHECK_MSG(at(d, 0) == 50 && at(d, 1) == 160, "got " + std::to_string(at(d, 0)) + ", " + std::to_string(at(d, 1)));
    d = pil_resize(grey_row({10, 20, 30, 40}), 2, 1, "bilinear");  // 17.14 -> 17, 32.86 -> 33
    XS_CHECK(at(d, 0) == 17 && at(d, 1) == 33);
    Image u = pil_resize(grey_row({0, 101}), 4, 1, "bilinear");  // 0, 25.25, 75.75, 101
    XS_CHECK(at(u, 0) == 0 && at(u, 1) == 25 && at(u, 2) == 76 && at(u, 3) == 101);
    // Separable: a 2-D shrink of a rank-one image equals the product of the 1-D results.
    Image sq = solid(4, 4, 0, 0, 0);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) sq.rgb[(size_t(y) * 4 + x) * 3] = uint8_t(70 * x);
    Image r2 = pil_resize(sq, 2, 2, "bilinear");
    XS_CHECK(at(r2, 0, 0) == 50 && at(r2, 1, 1) == 160);
    // Nearest (PIL): source floor((dst + 0.5) * in / out): 4 -> 3 picks 0, 2, 3.
    Image n = pil_resize(grey_row({1, 2, 3, 4}), 3, 1, "nearest");
    XS_CHECK(at(n, 0) == 1 && at(n, 1) == 3 && at(n, 2) == 4);
    // Bicubic keeps a constant image constant, and clips within 0..255.
    Image c = pil_resize(solid(5, 7, 200, 200, 200), 11, 3, "bicubic");
    XS_CHECK(std::all_of(c.rgb.begin(), c.rgb.end(), [](uint8_t v) { return v == 200; }));
    Image edge = pil_resize(grey_row({0, 255, 0, 255, 0, 255}), 13, 1, "bicubic");
    XS_CHECK(edge.width == 13 && edge.height == 1);
    // xtuner's expand2square: centred, offsets rounded down.
    Image tall = expand_to_square(solid(1, 4, 9, 9, 9), 127);
    XS_CHECK(tall.width == 4 && tall.height == 4 && at(tall, 1, 0) == 9 && at(tall, 0, 0) == 127 && at(tall, 2, 3) == 127);
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

// The reference draws visual prompts on the original image (point: disc of radius 10, scribble: line
// grown by radius 5, in image pixels) and resizes that mask like the image (PIL NEAREST). The figures
// below come from the official functions (enhance_with_circles, skimage.draw.line, PIL's resize); the
// code before this rule drew radius 10 on the canvas whatever the image size (317 pixels everywhere).
XS_TEST(prompts_are_drawn_at_the_original_image_scale) {
    auto count = [](const torch::Tensor& t) { return t.sum().item<int64_t>(); };
    auto bbox = [](const torch::Tensor& t) { return mask_box(t.to(torch::kBool)); };
    // Image = canvas: the lattice points with dx^2 + dy^2 <= 100 around pixel (100, 200).
    CanvasGeometry g = identity_geometry(1024);
    torch::Tensor p = rasterise_point(g, 100.5f, 200.5f);
    XS_CHECK_MSG(count(p) == 317, std::to_string(count(p)));
    XS_CHECK(p[200][100].item<uint8_t>() == 1 && p[200][110].item<uint8_t>() == 1 && p[200][111].item<uint8_t>() == 0);
    // 640 x 480 grows 1.6x to 1024 x 768: the disc grows with it (802 pixels, rows 304..337, cols 144..177).
    const CanvasGeometry vga{1024, 768, 1024, 480, 640};
    torch::Tensor q = rasterise_point(vga, 100.5f, 200.5f);
    XS_CHECK_MSG(count(q) == 802, std::to_string(count(q)));
    XS_CHECK((bbox(q) == std::array<float, 4>{144, 304, 178, 338}));
    XS_CHECK(q.narrow(0, 768, 256).sum().item<int64_t>() == 0);
    // 4000 x 3000 shrinks to 0.256x: 20 pixels, rows 510..514, cols 254..258.
    const CanvasGeometry photo{1024, 768, 1024, 3000, 4000};
    torch::Tensor r = rasterise_point(photo, 1000.5f, 2000.5f);
    XS_CHECK_MSG(count(r) == 20, std::to_string(count(r)));
    XS_CHECK((bbox(r) == std::array<float, 4>{254, 510, 259, 515}));
    // A horizontal scribble (100, 300) -> (200, 300) on the 640 x 480 image: 1181 image pixels, 3083 on the canvas.
    ScribblePrompt s;
    s.points = {{100.5f, 300.5f}, {200.5f, 300.5f}};
    XS_CHECK(draw_scribble(640, 480, s).area() == 1181);
    XS_CHECK_MSG(count(rasterise_scribble(vga, s)) == 3083, std::to_string(count(rasterise_scribble(vga, s))));
    // Box with integer corners: numpy's mask[20:25, 10:30] on the image, then resized.
    Mask b = draw_box(640, 480, BoxPrompt{10, 20, 30, 25});
    XS_CHECK(b.area() == 100 && b.at(10, 20) && !b.at(10, 25) && !b.at(30, 20));
    XS_CHECK(count(rasterise_box(identity_geometry(1024), BoxPrompt{10, 20, 30, 25})) == 100);
    // A shape lost in a shrinking resize keeps one canvas pixel.
    torch::Tensor tiny = rasterise_box(photo, BoxPrompt{2000.2f, 1000.2f, 2000.8f, 1000.8f});
    XS_CHECK_MSG(count(tiny) == 1 && tiny[256][512].item<uint8_t>() == 1, std::to_string(count(tiny)));
    // Mask prompt: PIL-nearest doubling of one pixel of a 512 x 256 mask.
    const CanvasGeometry h{1024, 512, 1024, 256, 512};
    Mask m(512, 256);
    m.set(3, 5, true);
    torch::Tensor mc = rasterise_mask(h, m);
    XS_CHECK(count(mc) == 4 && mc[10][6].item<uint8_t>() == 1 && mc[11][7].item<uint8_t>() == 1);
    Mask wrong(10, 10);
    XS_CHECK_THROWS(rasterise_mask(h, wrong), Error, "expected the image size");
    XS_CHECK(count(rasterise_point(h, 0.1f, 0.1f)) > 0);  // clipped at the corner
}

// Negative prompts are drawn like positive ones, on the image grid with the same radii.
XS_TEST(negative_prompts_use_the_image_radii) {
    SegmentRequest r;
    r.task = Task::Interactive;
    r.points = {{100.5f, 200.5f, false}, {5.5f, 5.5f, true}};
    ScribblePrompt s;
    s.points = {{100.5f, 300.5f}, {200.5f, 300.5f}};
    s.positive = false;
    r.scribbles = {s};
    std::vector<Mask> n = negative_prompts(r, 4000, 3000);
    XS_CHECK(n.size() == 2 && n[0].area() == 317 && n[0].at(100, 200) && n[1].area() == 1181);
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

// masks_to_image upsamples only the canvas's rows and columns the image occupies: every output pixel
// has the same source logits and weights as in the whole-canvas upsampling. LibTorch's bilinear kernel
// itself does not round every pixel the same way for different sizes (a batch of 1 against a batch of 3
// differs by up to 2e-6; the grouped post-processing already upsamples groups of 2-16), so the bound
// is a normalised max error of 1e-6 and identical masks at the logit threshold 0 on these maps.
XS_TEST(masks_to_image_equals_the_whole_canvas_upsampling) {
    struct Case { int canvas, logits, height, width; };
    const Case cases[] = {{1024, 256, 480, 640}, {1024, 256, 640, 480}, {1024, 256, 333, 1000}, {1024, 256, 640, 427},
                          {1024, 256, 1, 1},     {1024, 256, 700, 700}, {1024, 256, 3000, 40},  {32, 8, 25, 40},
                          {32, 32, 25, 40},      {32, 12, 25, 40},      {32, 16, 40, 25},       {30, 10, 7, 29}};
    int compared = 0, bitwise = 0;
    double worst = 0;
    for (const Case& c : cases) {
        torch::manual_seed(c.logits + c.height);
        CanvasGeometry g;
        g.canvas = c.canvas;
        auto [sh, sw] = sam_scaled_size(c.height, c.width, c.canvas);
        g.scaled_h = sh, g.scaled_w = sw, g.height = c.height, g.width = c.width;
        for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
            torch::Tensor logits = (torch::randn({3, c.logits, c.logits}) * 4).to(dtype);
            for (const torch::Tensor& l : {logits, logits[1]}) {  // a batch and a single [h, w] map
                torch::Tensor a = masks_to_image(l, g), b = masks_to_image_whole_canvas(l, g);
                XS_CHECK(a.sizes() == b.sizes() && a.size(-2) == c.height && a.size(-1) == c.width);
                const double err = (a - b).abs().max().item<double>() / b.abs().max().item<double>();
                worst = std::max(worst, err);
                XS_CHECK(err <= 1e-6);
                XS_CHECK(torch::equal(a > 0, b > 0));
                bitwise += torch::equal(a, b);
                ++compared;
            }
        }
    }
    XS_CHECK(compared == 48);
    std::printf("masks_to_image: %d of %d bitwise equal, worst normalised max error %.2e\n", bitwise, compared, worst);
}

// mask_score (bool mask, sigmoid().mul_(mask), exact count) against the reference's formulation written
// out (float mask, sigmoid * mask, float sums): the same float, bit for bit, and the same mask.
XS_TEST(mask_score_equals_the_float_mask_formulation) {
    int compared = 0;
    for (int seed = 0; seed < 8; ++seed) {
        torch::manual_seed(100 + seed);
        const int64_t h = 7 + 61 * seed, w = 640 - 37 * seed;
        torch::Tensor l = torch::randn({h, w}) * (1 + seed);
        if (seed == 3) l.fill_(-5.f);  // an empty mask
        for (float cut : {0.f, 1.5f, -INFINITY}) {
            torch::Tensor m = (l > cut).to(torch::kFloat32);
            const float ref = float((l.sigmoid() * m).sum().item<double>() / (m.sum().item<double>() + 1e-6));
            torch::Tensor mask;
            const float got = mask_score(l, cut, &mask);
            XS_CHECK_MSG(got == ref, "seed " + std::to_string(seed) + ": " + std::to_string(got) + " vs " +
                                         std::to_string(ref));
            XS_CHECK(mask.scalar_type() == torch::kBool && torch::equal(mask, l > cut));
            ++compared;
        }
    }
    XS_CHECK(compared == 24);
}

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
