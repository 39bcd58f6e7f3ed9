// X-SAM vision modules against independent formulas (explicit loops in double precision), the model
// config parser, the tiny vision path's shapes, and the official parameter manifest.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "core/util/error.h"
#include "core/xsam/model/attention.h"
#include "core/xsam/model/config.h"
#include "core/xsam/model/connector.h"
#include "core/xsam/model/mask_decoder.h"
#include "core/xsam/model/pixel_decoder.h"
#include "core/xsam/model/projector.h"
#include "core/xsam/model/region.h"
#include "core/xsam/model/sam_vit.h"
#include "core/xsam/model/xsam_model.h"
#include "tests/harness/plain_test.h"

using namespace xs::xsam;
using xs::plain_test::env_or;

namespace {

const auto kD = torch::TensorOptions().dtype(torch::kDouble);

std::string source_dir() { return env_or("XS_SOURCE_DIR", "."); }

// Normalised mean squared error: sum((a-b)^2) / sum(b^2).
double nmse(const torch::Tensor& a, const torch::Tensor& b) {
    XS_CHECK_MSG(a.sizes() == b.sizes(), "shape mismatch");
    auto ad = a.to(torch::kDouble), bd = b.to(torch::kDouble);
    double den = bd.pow(2).sum().item<double>();
    double num = (ad - bd).pow(2).sum().item<double>();
    return num / std::max(den, 1e-300);
}

std::string fmt(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

XsamConfig tiny() { return load_config(source_dir() + "/models/xsam-tiny.json"); }
XsamConfig full() { return load_config(source_dir() + "/models/xsam-phi3-siglip2-samL.json"); }

void randomize(torch::nn::Module& m, uint64_t seed) { init_random_parameters(m, seed, 0.3); }

}  // namespace

// ---- config -------------------------------------------------------------------------------------

XS_TEST(config_full_values) {
    auto c = full();
    XS_CHECK(c.seg_encoder.hidden_size == 1024 && c.seg_encoder.grid() == 64 && c.seg_encoder.window_size == 14);
    XS_CHECK(c.visual_encoder.num_patches() == 729);
    XS_CHECK(c.visual_projector.in_features == 1152 && c.visual_projector.out_features == 3072);
    XS_CHECK(c.seg_projector.in_features == 4096 && c.seg_projector.out_features == 3072);
    XS_CHECK(c.llm_projector.in_features == 3072 && c.llm_projector.out_features == 256);
    XS_CHECK((c.pixel_decoder.feature_channels == std::vector<int64_t>{512, 1024, 2048}));
    XS_CHECK(c.pixel_decoder.num_fpn_levels() == 1);
    XS_CHECK(c.mask_decoder.num_layers() == 9 && c.mask_decoder.num_queries == 200);
    XS_CHECK(c.image_tokens() == 1753);
    XS_CHECK(c.llm.vocab_size == 32014 && c.llm.hidden_size == 3072);
}

XS_TEST(config_errors_name_the_field) {
    auto doc = nlohmann::json::parse(std::ifstream(source_dir() + "/models/xsam-tiny.json"));
    auto d1 = doc;
    d1["seg_encoder"].erase("window_size");
    XS_CHECK_THROWS(parse_config(d1, "t.json"), xs::Error, "t.json.seg_encoder.window_size: missing field");
    auto d2 = doc;
    d2["pixel_decoder"]["num_attention_heads"] = "eight";
    XS_CHECK_THROWS(parse_config(d2, "t.json"), xs::Error, "pixel_decoder.num_attention_heads: expected an integer");
    auto d3 = doc;
    d3["seg_encoder"]["num_attention_heads"] = 5;
    XS_CHECK_THROWS(parse_config(d3, "t.json"), xs::Error, "not divisible");
    auto d4 = doc;
    d4["connector"]["scale_factors"] = {2, 1};
    XS_CHECK_THROWS(parse_config(d4, "t.json"), xs::Error, "connector.scale_factors");
    auto d5 = doc;
    d5.erase("llm");
    XS_CHECK_THROWS(parse_config(d5, "t.json"), xs::Error, "t.json.llm: missing field");
    XS_CHECK_THROWS(load_config("/nonexistent/x.json"), xs::Error, "cannot open");
}

// ---- SAM windowed attention with decomposed relative position -----------------------------------

namespace {

// Naive SAM block: per window, per head, explicit scores with rel-pos bias, softmax, weighted sum.
torch::Tensor naive_sam_layer(SamVisionLayerImpl& L, const torch::Tensor& x, int64_t heads, double eps) {
    const int64_t H = x.size(1), W = x.size(2), C = x.size(3), D = C / heads;
    const int64_t ws = L.window_size > 0 ? L.window_size : std::max(H, W);
    auto ln = [&](const torch::Tensor& t, const torch::Tensor& w, const torch::Tensor& b) {
        auto m = t.mean(-1, true);
        auto v = (t - m).pow(2).mean(-1, true);
        return (t - m) / torch::sqrt(v + eps) * w + b;
    };
    auto y = ln(x[0], L.layer_norm1->weight, L.layer_norm1->bias);  // [H, W, C]
    const int64_t Hp = L.window_size > 0 ? (H + ws - 1) / ws * ws : H;
    const int64_t Wp = L.window_size > 0 ? (W + ws - 1) / ws * ws : W;
    auto pad = torch::zeros({Hp, Wp, C}, kD);
    pad.slice(0, 0, H).slice(1, 0, W).copy_(y);
    auto out = torch::zeros({Hp, Wp, C}, kD);
    auto& A = *L.attn;
    const int64_t wh = L.window_size > 0 ? ws : H, ww = L.window_size > 0 ? ws : W;
    auto qkvw = A.qkv->weight, qkvb = A.qkv->bias;
    for (int64_t oy = 0; oy < Hp; oy += wh) {
        for (int64_t ox = 0; ox < Wp; ox += ww) {
            auto win = pad.slice(0, oy, oy + wh).slice(1, ox, ox + ww).reshape({wh * ww, C});
            auto qkv = torch::matmul(win, qkvw.t()) + qkvb;  // [N, 3C]
            std::vector<torch::Tensor> heads_out;
            for (int64_t h = 0; h < heads; ++h) {
                auto q = qkv.slice(1, h * D, (h + 1) * D);
                auto k = qkv.slice(1, C + h * D, C + (h + 1) * D);
                auto v = qkv.slice(1, 2 * C + h * D, 2 * C + (h + 1) * D);
                auto scores = torch::zeros({wh * ww, wh * ww}, kD);
                auto qa = q.accessor<double, 2>();
                auto ka = k.accessor<double, 2>();
                auto rh = A.rel_pos_h.accessor<double, 2>();
                auto rw = A.rel_pos_w.accessor<double, 2>();
                auto sa = scores.accessor<double, 2>();
                for (int64_t i = 0; i < wh * ww; ++i) {
                    const int64_t qy = i / ww, qx = i % ww;
                    for (int64_t j = 0; j < wh * ww; ++j) {
                        const int64_t ky = j / ww, kx = j % ww;
                        double s = 0, bh = 0, bw = 0;
                        for (int64_t d = 0; d < D; ++d) {
                            s += qa[i][d] * ka[j][d];
                            bh += qa[i][d] * rh[qy - ky + wh - 1][d];
                            bw += qa[i][d] * rw[qx - kx + ww - 1][d];
                        }
                        sa[i][j] = s / std::sqrt(double(D)) + bh + bw;
                    }
                }
                auto p = torch::exp(scores - std::get<0>(scores.max(1, true)));
                p = p / p.sum(1, true);
                heads_out.push_back(torch::matmul(p, v));
            }
            auto o = torch::cat(heads_out, 1);
            o = torch::matmul(o, A.proj->weight.t()) + A.proj->bias;
            out.slice(0, oy, oy + wh).slice(1, ox, ox + ww).copy_(o.reshape({wh, ww, C}));
        }
    }
    auto attn = out.slice(0, 0, H).slice(1, 0, W);
    auto h1 = x[0] + attn;
    auto z = ln(h1, L.layer_norm2->weight, L.layer_norm2->bias);
    auto m = torch::matmul(z, L.mlp->lin1->weight.t()) + L.mlp->lin1->bias;
    m = 0.5 * m * (1 + torch::erf(m / std::sqrt(2.0)));
    m = torch::matmul(m, L.mlp->lin2->weight.t()) + L.mlp->lin2->bias;
    return (h1 + m).unsqueeze(0);
}

}  // namespace

XS_TEST(sam_windowed_attention_matches_naive_loop) {
    torch::NoGradGuard ng;
    SamVitConfig c;
    c.hidden_size = 16;
    c.num_attention_heads = 2;
    c.mlp_dim = 24;
    c.image_size = 7 * 16;  // 7x7 grid: window 3 needs padding to 9x9
    c.patch_size = 16;
    for (int64_t ws : {3, 0}) {
        SamVisionLayer layer(c, ws, kD);
        randomize(*layer, 7 + uint64_t(ws));
        auto x = torch::randn({1, 7, 7, 16}, kD);
        auto got = layer->forward(x);
        auto want = naive_sam_layer(*layer, x, 2, c.layer_norm_eps);
        const double e = nmse(got, want);
        XS_CHECK_MSG(e < 1e-20, "window " + std::to_string(ws) + " nmse " + fmt(e));
    }
}

XS_TEST(sam_global_attention_chunked_path_matches_naive_loop) {
    // On the CPU the decomposed rel-pos bias is folded into the attention product and the queries run in
    // blocks of 256 rows (32x32 grid: 4 blocks), 6 heads, fp64, tolerance NMSE < 1e-20 against the naive
    // loop.
    torch::NoGradGuard ng;
    SamVitConfig c;
    c.hidden_size = 12;
    c.num_attention_heads = 6;
    c.mlp_dim = 16;
    c.image_size = 32 * 16;
    c.patch_size = 16;
    SamVisionLayer layer(c, 0, kD);
    randomize(*layer, 17);
    auto x = torch::randn({1, 32, 32, 12}, kD);
    auto got = layer->forward(x);
    auto want = naive_sam_layer(*layer, x, 6, c.layer_norm_eps);
    const double e = nmse(got, want);
    XS_CHECK_MSG(e < 1e-20, "nmse " + fmt(e));
}

namespace {

// A SAM global layer as computed before the rel-pos bias was folded into the product (issue 18): the
// [heads, N, N] bias materialised in the compute dtype and added to the scores as an additive mask.
torch::Tensor sam_global_layer_with_bias_mask(SamVisionLayerImpl& L, const torch::Tensor& x) {
    auto& A = *L.attn;
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3), n = h * w;
    const int64_t heads = A.num_heads, d = c / heads;
    auto t = A.qkv(L.layer_norm1(x)).reshape({b, n, 3, heads, d}).permute({2, 0, 3, 1, 4});
    auto q = t[0], k = t[1], v = t[2];
    auto q4 = q.reshape({b, heads, h, w, d});
    auto bh = torch::einsum("bnyxc,ykc->bnyxk", {q4, sam_get_rel_pos(h, h, A.rel_pos_h)});
    auto bw = torch::einsum("bnyxc,xkc->bnyxk", {q4, sam_get_rel_pos(w, w, A.rel_pos_w)});
    auto bias = (bh.unsqueeze(-1) + bw.unsqueeze(-2)).reshape({b, heads, n, n});
    auto out = attention(q, k, v, bias).permute({0, 2, 1, 3}).reshape({b, h, w, c});
    auto hs = x + A.proj(out);
    return hs + L.mlp(L.layer_norm2(hs));
}

}  // namespace

XS_TEST(sam_folded_rel_pos_in_fp32_and_bf16_against_the_bias_mask_and_fp64) {
    // The fold in fp32 and bf16 compute: against the fp64 naive loop and against the previous
    // formulation (bias mask) in the same dtype. Bounds: fp32 NMSE < 1e-10; bf16 NMSE < 1e-3 against
    // fp64 and no worse than the bias-mask formulation's error plus 1e-5 (it rounds the bias twice).
    torch::NoGradGuard ng;
    SamVitConfig c;
    c.hidden_size = 32;
    c.num_attention_heads = 2;
    c.mlp_dim = 48;
    c.image_size = 24 * 16;  // 576 tokens: 3 query blocks, the last one partial
    c.patch_size = 16;
    SamVisionLayer layer(c, 0, kD);
    randomize(*layer, 29);
    auto x = torch::randn({1, 24, 24, 32}, kD);
    auto exact = naive_sam_layer(*layer, x, 2, c.layer_norm_eps);
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
        layer->to(dtype);
        auto xd = x.to(dtype);
        const double folded = nmse(layer->forward(xd), exact);
        const double masked = nmse(sam_global_layer_with_bias_mask(*layer, xd), exact);
        const double between = nmse(layer->forward(xd), sam_global_layer_with_bias_mask(*layer, xd));
        std::printf("  %s: folded vs fp64 %.3g, bias mask vs fp64 %.3g, folded vs bias mask %.3g\n",
                    dtype == torch::kFloat ? "fp32" : "bf16", folded, masked, between);
        if (dtype == torch::kFloat) {
            XS_CHECK_MSG(folded < 1e-10 && between < 1e-10, "fp32 nmse " + fmt(folded) + " / " + fmt(between));
        } else {
            XS_CHECK_MSG(folded < 1e-3 && folded < masked + 1e-5, "bf16 nmse " + fmt(folded) + " vs " + fmt(masked));
        }
    }
}

XS_TEST(sam_rel_pos_lookup_and_window_roundtrip) {
    auto table = torch::arange(5 * 2, kD).view({5, 2});  // 2*3-1 rows
    auto r = sam_get_rel_pos(3, 3, table);
    for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 3; ++j)
            XS_CHECK(torch::equal(r[i][j], table[i - j + 2]));
    auto x = torch::randn({2, 5, 7, 3}, kD);
    auto p = sam_window_partition(x, 3);
    XS_CHECK(p.first.size(0) == 2 * 2 * 3 && p.second.first == 6 && p.second.second == 9);
    XS_CHECK(torch::equal(sam_window_unpartition(p.first, 3, p.second, {5, 7}), x));
}

// ---- pixel shuffle --------------------------------------------------------------------------------

XS_TEST(pixel_shuffle_matches_index_formula) {
    // Explicit formula for s = 1/k, derived by following the reference's reshapes element by element:
    //   out[b, i, j, n] = in[b, i*k + n / (k*C), j*k + (n % (k*C)) / C, n % C].
    const int64_t B = 2, H = 4, W = 6, C = 3;
    auto x = torch::randn({B, H, W, C}, kD);
    auto y = pixel_shuffle(x, 0.5);
    XS_CHECK((y.sizes() == torch::IntArrayRef{B, H / 2, W / 2, 4 * C}));
    auto xa = x.accessor<double, 4>();
    auto ya = y.accessor<double, 4>();
    const int64_t k = 2;
    int64_t bad = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < H / k; ++i)
            for (int64_t j = 0; j < W / k; ++j)
                for (int64_t cc = 0; cc < k * k * C; ++cc) {
                    // Step 1: x.reshape(B, H, W/k, kC): t1[b, h, w', m] = x[b, h, w'*k + m / C, m % C]
                    // Step 2: permute -> t2[b, w', h, m]; view(B, W/k, H/k, k*kC):
                    //   t3[b, w', i, n] = t2 flat over (h, m) = (i*k + n / (kC), n % (kC))
                    // Step 3: permute -> out[b, i, w', n] = t3[b, w', i, n]
                    const int64_t h = i * k + cc / (k * C);
                    const int64_t m = cc % (k * C);
                    const int64_t w = j * k + m / C;
                    const int64_t c = m % C;
                    if (ya[b][i][j][cc] != xa[b][h][w][c]) ++bad;
                }
    XS_CHECK_MSG(bad == 0, std::to_string(bad) + " elements differ");
    // Scale 2 (used by the connector): the expected shape and exactly the same multiset of values.
    auto z = torch::randn({1, 3, 4, 8}, kD);
    auto z2 = pixel_shuffle(z, 2.0);
    XS_CHECK((z2.sizes() == torch::IntArrayRef{1, 6, 8, 2}));
    XS_CHECK(torch::equal(std::get<0>(z2.flatten().sort()), std::get<0>(z.flatten().sort())));
    // channels-first variant agrees with the channels-last one
    auto zc = pixel_shuffle_nchw(z.permute({0, 3, 1, 2}), 2.0);
    XS_CHECK(torch::equal(zc, z2.permute({0, 3, 1, 2})));
}

// ---- LayerNorm2d ----------------------------------------------------------------------------------

XS_TEST(layer_norm_2d_matches_formula) {
    torch::NoGradGuard ng;
    LayerNorm2d ln(5, 1e-6, kD);
    randomize(*ln, 3);
    auto x = torch::randn({2, 5, 3, 4}, kD) * 3 + 1;
    auto got = ln(x);
    auto xa = x.accessor<double, 4>();
    auto ga = got.accessor<double, 4>();
    double worst = 0;
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t j = 0; j < 4; ++j) {
                double mean = 0, var = 0;
                for (int64_t c = 0; c < 5; ++c) mean += xa[b][c][i][j] / 5;
                for (int64_t c = 0; c < 5; ++c) var += (xa[b][c][i][j] - mean) * (xa[b][c][i][j] - mean) / 5;
                for (int64_t c = 0; c < 5; ++c) {
                    double want = ln->weight[c].item<double>() * (xa[b][c][i][j] - mean) / std::sqrt(var + 1e-6) +
                                  ln->bias[c].item<double>();
                    worst = std::max(worst, std::abs(want - ga[b][c][i][j]));
                }
            }
    XS_CHECK_MSG(worst < 1e-12, "max abs error " + fmt(worst));
}

// ---- multi-scale deformable attention -------------------------------------------------------------

XS_TEST(ms_deform_attn_matches_naive_bilinear_loop) {
    const int64_t B = 2, Hh = 2, D = 3, Q = 5, P = 3;
    std::vector<std::pair<int64_t, int64_t>> shapes{{4, 5}, {3, 2}};
    const int64_t L = 2, S = 4 * 5 + 3 * 2;
    auto value = torch::randn({B, S, Hh, D}, kD);
    auto loc = torch::rand({B, Q, Hh, L, P, 2}, kD) * 1.4 - 0.2;  // some samples fall outside
    auto aw = torch::softmax(torch::randn({B, Q, Hh, L * P}, kD), -1).view({B, Q, Hh, L, P});
    auto got = ms_deform_attn_core(value.to(torch::kFloat), shapes, loc.to(torch::kFloat), aw.to(torch::kFloat));
    XS_CHECK((got.sizes() == torch::IntArrayRef{B, Q, Hh * D}));
    auto want = torch::zeros({B, Q, Hh * D}, kD);
    auto va = value.accessor<double, 4>();
    auto la = loc.accessor<double, 6>();
    auto wa = aw.accessor<double, 5>();
    auto oa = want.accessor<double, 3>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t q = 0; q < Q; ++q)
            for (int64_t h = 0; h < Hh; ++h) {
                int64_t start = 0;
                for (int64_t l = 0; l < L; ++l) {
                    const int64_t hh = shapes[size_t(l)].first, ww = shapes[size_t(l)].second;
                    for (int64_t p = 0; p < P; ++p) {
                        // align_corners=False: pixel coordinate = loc * size - 0.5, zero outside.
                        const double x = la[b][q][h][l][p][0] * double(ww) - 0.5;
                        const double y = la[b][q][h][l][p][1] * double(hh) - 0.5;
                        const int64_t x0 = int64_t(std::floor(x)), y0 = int64_t(std::floor(y));
                        for (int64_t dy = 0; dy <= 1; ++dy)
                            for (int64_t dx = 0; dx <= 1; ++dx) {
                                const int64_t xi = x0 + dx, yi = y0 + dy;
                                if (xi < 0 || yi < 0 || xi >= ww || yi >= hh) continue;
                                const double wgt = (dx ? x - x0 : 1 - (x - x0)) * (dy ? y - y0 : 1 - (y - y0));
                                for (int64_t d = 0; d < D; ++d)
                                    oa[b][q][h * D + d] +=
                                        wa[b][q][h][l][p] * wgt * va[b][start + yi * ww + xi][h][d];
                            }
                    }
                    start += hh * ww;
                }
            }
    const double e = nmse(got, want);
    XS_CHECK_MSG(e < 1e-12, "nmse " + fmt(e));  // fp32 grid_sample vs double loop
}

XS_TEST(sine_position_embedding_matches_formula) {
    auto x = torch::zeros({1, 8, 3, 4});
    auto pe = sine_position_embedding(x, 4);  // [1, 8, 3, 4]
    XS_CHECK((pe.sizes() == torch::IntArrayRef{1, 8, 3, 4}));
    const double two_pi = 2 * M_PI;
    double worst = 0;
    for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j)
            for (int64_t f = 0; f < 4; ++f) {
                const double dim_t = std::pow(10000.0, 2.0 * double(f / 2) / 4.0);
                const double yv = (i + 1) / (3 + 1e-6) * two_pi / dim_t;
                const double xv = (j + 1) / (4 + 1e-6) * two_pi / dim_t;
                const double wy = f % 2 == 0 ? std::sin(yv) : std::cos(yv);
                const double wx = f % 2 == 0 ? std::sin(xv) : std::cos(xv);
                // channel order: y features [sin f0, sin f2, cos f1, cos f3]? No: stack(sin(even), cos(odd))
                // interleaves per pair: [sin(d0), cos(d1), sin(d2), cos(d3)].
                worst = std::max(worst, std::abs(pe[0][f][i][j].item<double>() - wy));
                worst = std::max(worst, std::abs(pe[0][4 + f][i][j].item<double>() - wx));
            }
    XS_CHECK_MSG(worst < 1e-5, "max abs error " + fmt(worst));
}

// ---- decoder pieces -------------------------------------------------------------------------------

XS_TEST(cosine_class_logits_match_formula) {
    auto q = torch::randn({2, 4, 6}, kD), c = torch::randn({2, 3, 6}, kD);
    auto scale = torch::tensor({std::log(1 / 0.07)}, kD);
    auto got = cosine_class_logits(q, c, scale, 500.0);
    double worst = 0;
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t i = 0; i < 4; ++i)
            for (int64_t k = 0; k < 3; ++k) {
                double dot = (q[b][i] * c[b][k]).sum().item<double>();
                double want = (1 / 0.07) * dot / (q[b][i].norm().item<double>() * c[b][k].norm().item<double>());
                worst = std::max(worst, std::abs(want - got[b][i][k].item<double>()));
            }
    XS_CHECK_MSG(worst < 1e-10, fmt(worst));
    auto big = cosine_class_logits(q, c, torch::tensor({10.0}, kD), 500.0);
    XS_CHECK(big.abs().max().item<double>() <= 500.0 + 1e-9);
}

XS_TEST(region_features_match_naive_sampling) {
    auto tokens = torch::randn({16, 5}, kD);  // 4x4 map
    auto masks = torch::zeros({2, 20, 24}, torch::kBool);
    masks[0].slice(0, 3, 9).slice(1, 5, 12).fill_(true);  // 42 pixels > num_points 10
    masks[1][7][2] = true;                                // a single pixel
    auto got = region_features(tokens, masks, 10);
    XS_CHECK((got.sizes() == torch::IntArrayRef{2, 5}));
    auto map = tokens.view({4, 4, 5});
    for (int64_t k = 0; k < 2; ++k) {
        auto pts = region_sample_points(masks[k], 10);
        XS_CHECK(pts.size(0) == (k == 0 ? 10 : 1));
        auto best = torch::full({5}, -1e300, kD);
        for (int64_t p = 0; p < pts.size(0); ++p) {
            // align_corners=True: feature coordinate = normalised * (size - 1)
            const double y = pts[p][0].item<double>() * 3, x = pts[p][1].item<double>() * 3;
            const int64_t y0 = int64_t(std::floor(y)), x0 = int64_t(std::floor(x));
            auto v = torch::zeros({5}, kD);
            for (int64_t dy = 0; dy <= 1; ++dy)
                for (int64_t dx = 0; dx <= 1; ++dx) {
                    const int64_t yi = std::min<int64_t>(y0 + dy, 3), xi = std::min<int64_t>(x0 + dx, 3);
                    v += map[yi][xi] * (dy ? y - y0 : 1 - (y - y0)) * (dx ? x - x0 : 1 - (x - x0));
                }
            best = torch::max(best, v);
        }
        const double e = nmse(got[k], best);
        XS_CHECK_MSG(e < 1e-12, "mask " + std::to_string(k) + " nmse " + fmt(e));
    }
    XS_CHECK(torch::equal(region_features(tokens, masks, 10), got));  // deterministic
    auto empty = torch::zeros({1, 4, 4}, torch::kBool);
    XS_CHECK_THROWS(region_features(tokens, empty, 10), xs::Error, "empty");
}

XS_TEST(mask_decoder_conditioning_shifts_content_queries) {
    torch::NoGradGuard ng;
    auto c = tiny();
    MaskDecoder dec(c.mask_decoder);
    randomize(*dec, 5);
    const int64_t D = c.mask_decoder.hidden_dim;
    std::vector<torch::Tensor> ms{torch::randn({1, D, 2, 2}), torch::randn({1, D, 4, 4}), torch::randn({1, D, 8, 8})};
    auto mf = torch::randn({1, D, 8, 8});
    auto s = torch::randn({1, D});
    auto a = dec(ms, mf, s, true);
    XS_CHECK(int64_t(a.mask_logits.size()) == c.mask_decoder.num_layers() + 1);
    XS_CHECK((a.mask_logits.back().sizes() == torch::IntArrayRef{1, c.mask_decoder.num_queries, 8, 8}));
    // Same as adding the embedding to queries_features.weight (the reference's definition).
    MaskDecoder dec2(c.mask_decoder);
    for (auto& p : dec2->named_parameters()) p.value().detach().copy_(dec->named_parameters()[p.key()]);
    dec2->queries_features->weight.detach().add_(s[0]);
    auto b = dec2(ms, mf, c10::nullopt, true);
    XS_CHECK(nmse(a.mask_logits.back(), b.mask_logits.back()) < 1e-12);
    XS_CHECK(nmse(a.query_states.back(), b.query_states.back()) < 1e-12);
    auto last = dec(ms, mf, s, false);
    XS_CHECK(last.mask_logits.size() == 1 && torch::equal(last.mask_logits[0], a.mask_logits.back()));
}

namespace {

// The decoder as Mask2Former writes it, without the prepared memory: every layer projects its
// level's keys and values, and the attention mask of the next layer is the full-resolution mask
// logits resized to that level. The reference for mask_decoder_memory_matches_the_direct_loop.
MaskDecoderOutput direct_decoder(MaskDecoderImpl& d, const std::vector<torch::Tensor>& ms, const torch::Tensor& mf,
                                 const torch::Tensor& seg) {
    namespace F = torch::nn::functional;
    const int64_t L = d.config.num_feature_levels, D = d.config.hidden_dim, heads = d.config.num_attention_heads;
    const int64_t b = seg.size(0);
    std::vector<torch::Tensor> memory, pos;
    for (int64_t i = 0; i < L; ++i) {
        auto f = ms[size_t(i)].expand({b, -1, -1, -1});
        pos.push_back(sine_position_embedding(f, D / 2).flatten(2).transpose(1, 2));
        memory.push_back(f.flatten(2).transpose(1, 2) + d.level_embed->weight[i].view({1, 1, -1}));
    }
    auto mfb = mf.expand({b, -1, -1, -1});
    auto& dec = *d.decoder;
    auto predict = [&](const torch::Tensor& states, int64_t level) {
        auto masks = torch::einsum("bqc,bchw->bqhw", {dec.mask_predictor->mask_embedder->forward(states), mfb});
        auto small = F::interpolate(masks, F::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{ms[size_t(level)].size(2), ms[size_t(level)].size(3)})
                                               .mode(torch::kBilinear)
                                               .align_corners(false));
        auto blocked = small.sigmoid().flatten(2) < 0.5;
        auto allowed = blocked.logical_not().logical_or(blocked.all(-1, true));
        return std::make_pair(masks, allowed.unsqueeze(1).expand({-1, heads, -1, -1}));
    };
    auto query_pos = d.queries_embedder->weight.unsqueeze(0).expand({b, -1, -1});
    auto x = d.queries_features->weight.unsqueeze(0) + seg.unsqueeze(1);
    MaskDecoderOutput out;
    auto states = dec.layernorm(x);
    auto pm = predict(states, 0);
    out.query_states.push_back(states);
    out.mask_logits.push_back(pm.first);
    for (size_t i = 0; i < dec.layers->size(); ++i) {
        const size_t level = i % size_t(L);
        x = dec.layers[i]->as<MaskedAttentionDecoderLayerImpl>()->forward(x, query_pos, memory[level], pos[level], pm.second);
        states = dec.layernorm(x);
        pm = predict(states, int64_t((i + 1) % size_t(L)));
        out.query_states.push_back(states);
        out.mask_logits.push_back(pm.first);
    }
    return out;
}

}  // namespace

// The per-image memory (keys, values, resized mask features) gives the direct loop's results: fp64,
// level sizes that do not divide the mask-feature size, three prompts on one image's features
// (broadcast); NMSE < 1e-20 for every prediction, intermediate ones included.
XS_TEST(mask_decoder_memory_matches_the_direct_loop) {
    torch::NoGradGuard ng;
    auto c = tiny();
    MaskDecoder dec(c.mask_decoder);
    randomize(*dec, 7);
    dec->to(torch::kDouble);
    const int64_t D = c.mask_decoder.hidden_dim;
    auto o = torch::TensorOptions().dtype(torch::kDouble);
    std::vector<torch::Tensor> ms{torch::randn({1, D, 3, 2}, o), torch::randn({1, D, 5, 4}, o), torch::randn({1, D, 7, 6}, o)};
    auto mf = torch::randn({1, D, 13, 11}, o);
    auto seg = torch::randn({3, D}, o);
    auto want = direct_decoder(*dec, ms, mf, seg);
    auto mem = dec->prepare_memory(ms, mf);
    XS_CHECK(mem.defined() && int64_t(mem.keys.size()) == c.mask_decoder.num_layers());
    XS_CHECK((mem.level_mask_features[2].sizes() == torch::IntArrayRef{1, D, 7, 6}));
    XS_CHECK(mem.bytes() > 0);
    auto got = dec->forward_memory(mem, mf, seg, true);
    XS_CHECK(got.mask_logits.size() == want.mask_logits.size() && got.query_states.size() == want.query_states.size());
    for (size_t i = 0; i < want.mask_logits.size() && i < got.mask_logits.size(); ++i) {
        XS_CHECK((got.mask_logits[i].sizes() == torch::IntArrayRef{3, c.mask_decoder.num_queries, 13, 11}));
        const double em = nmse(got.mask_logits[i], want.mask_logits[i]), es = nmse(got.query_states[i], want.query_states[i]);
        XS_CHECK_MSG(em < 1e-20 && es < 1e-20, "prediction " + std::to_string(i) + " nmse masks " + fmt(em) + " states " + fmt(es));
    }
    // Only the last prediction without keep_all, the same numbers.
    auto last = dec->forward_memory(mem, mf, seg, false);
    XS_CHECK(last.mask_logits.size() == 1 && torch::equal(last.mask_logits[0], got.mask_logits.back()));
    XS_CHECK_THROWS(dec->forward_memory(mem, mf, torch::randn({2, D + 1}, o), false), xs::Error, "seg_embedding must be");
}

// ---- connector and the whole tiny vision path -------------------------------------------------------

XS_TEST(connector_shapes) {
    torch::NoGradGuard ng;
    auto c = tiny();
    Connector con(c.connector);
    randomize(*con, 9);
    const int64_t g = c.seg_encoder.grid(), C = c.seg_encoder.hidden_size;
    std::vector<torch::Tensor> hs;
    for (int64_t i = 0; i <= c.seg_encoder.num_hidden_layers; ++i) hs.push_back(torch::randn({1, g, g, C}));
    auto out = con(hs);
    XS_CHECK(out.size() == 3);
    XS_CHECK((out[0].sizes() == torch::IntArrayRef{1, C / 2, 2 * g, 2 * g}));
    XS_CHECK((out[1].sizes() == torch::IntArrayRef{1, C, g, g}));
    XS_CHECK((out[2].sizes() == torch::IntArrayRef{1, 2 * C, g / 2, g / 2}));
    // Full size on the meta device: 512x128x128, 1024x64x64, 2048x32x32.
    auto f = full();
    auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    Connector big(f.connector, meta);
    std::vector<torch::Tensor> bhs;
    for (int64_t i = 0; i <= 24; ++i) bhs.push_back(torch::empty({1, 64, 64, 1024}, meta));
    try {
        auto bo = big(bhs);
        XS_CHECK((bo[0].sizes() == torch::IntArrayRef{1, 512, 128, 128}));
        XS_CHECK((bo[1].sizes() == torch::IntArrayRef{1, 1024, 64, 64}));
        XS_CHECK((bo[2].sizes() == torch::IntArrayRef{1, 2048, 32, 32}));
    } catch (const c10::Error& e) {
        std::printf("note: meta-device shape pass unsupported here (%s)\n", e.what_without_backtrace());
        const std::vector<int64_t> want{512, 1024, 2048};
        for (size_t i = 0; i < 3; ++i) XS_CHECK(f.connector.out_channels(i) == want[i]);
    }
}

XS_TEST(tiny_vision_path_shapes) {
    torch::NoGradGuard ng;
    auto c = tiny();
    XsamModel m(c, default_build_options(), /*with_llm=*/false);
    randomize(*m, 1);
    auto sig = torch::randn({1, 3, c.visual_encoder.image_size, c.visual_encoder.image_size});
    auto sam = torch::randn({1, 3, c.seg_encoder.image_size, c.seg_encoder.image_size});
    auto f = m->encode_images(sig, sam);
    const int64_t llm = c.llm.hidden_size, D = c.mask_decoder.hidden_dim, g = c.seg_encoder.grid();
    XS_CHECK((f.visual_tokens.sizes() == torch::IntArrayRef{1, c.visual_encoder.num_patches(), llm}));
    XS_CHECK((f.seg_tokens.sizes() == torch::IntArrayRef{1, g * g / 4, llm}));
    XS_CHECK(XsamModelImpl::image_embeddings(f).size(1) == c.image_tokens());
    XS_CHECK(f.multi_scale_features.size() == 3);
    XS_CHECK((f.multi_scale_features[0].sizes() == torch::IntArrayRef{1, D, g / 2, g / 2}));
    XS_CHECK((f.multi_scale_features[2].sizes() == torch::IntArrayRef{1, D, 2 * g, 2 * g}));
    XS_CHECK((f.mask_features.sizes() == torch::IntArrayRef{1, D, 2 * g, 2 * g}));
    auto seg = m->llm_projector(torch::randn({3, 1, llm})).squeeze(1);  // three <SEG> states
    auto out = m->decode(f, seg);
    XS_CHECK((out.mask_logits.back().sizes() == torch::IntArrayRef{3, c.mask_decoder.num_queries, 2 * g, 2 * g}));
    auto logits = m->class_logits(out.query_states.back(), torch::randn({3, 2, D}));
    XS_CHECK((logits.sizes() == torch::IntArrayRef{3, c.mask_decoder.num_queries, 3}));
    XS_CHECK(torch::isfinite(logits).all().item<bool>() && torch::isfinite(out.mask_logits.back()).all().item<bool>());
    auto masks = torch::zeros({2, c.seg_encoder.image_size, c.seg_encoder.image_size}, torch::kBool);
    masks[0].slice(0, 10, 40).slice(1, 20, 60).fill_(true);
    masks[1][100][5] = true;
    auto rf = m->region_features(f, masks);
    XS_CHECK((rf.sizes() == torch::IntArrayRef{2, llm}));
}

// Weights kept in bf16 (as the engine may on the CPU) are upcast per operation: the result equals the
// fp32 model holding the same bf16-rounded values, i.e. no computation silently runs in bf16.
XS_TEST(bf16_weights_compute_in_fp32) {
    torch::NoGradGuard ng;
    auto c = tiny();
    XsamModel a(c, default_build_options(), false);
    randomize(*a, 4);
    XsamModel b(c, torch::TensorOptions().dtype(torch::kBFloat16), false);
    auto pb = b->named_parameters(true);
    for (auto& p : a->named_parameters(true)) {
        pb[p.key()].copy_(p.value());
        p.value().copy_(pb[p.key()].to(torch::kFloat));  // a holds the bf16-rounded values in fp32
    }
    XS_CHECK(b->segmentor->encoder->pos_embed.scalar_type() == torch::kBFloat16);
    auto sig = torch::randn({1, 3, c.visual_encoder.image_size, c.visual_encoder.image_size});
    auto sam = torch::randn({1, 3, c.seg_encoder.image_size, c.seg_encoder.image_size});
    auto fa = a->encode_images(sig, sam), fb = b->encode_images(sig, sam);
    XS_CHECK(fb.visual_tokens.scalar_type() == torch::kFloat && fb.mask_features.scalar_type() == torch::kFloat);
    XS_CHECK_MSG(nmse(fb.visual_tokens, fa.visual_tokens) < 1e-12, fmt(nmse(fb.visual_tokens, fa.visual_tokens)));
    XS_CHECK_MSG(nmse(fb.seg_tokens, fa.seg_tokens) < 1e-12, fmt(nmse(fb.seg_tokens, fa.seg_tokens)));
    XS_CHECK_MSG(nmse(fb.mask_features, fa.mask_features) < 1e-12, fmt(nmse(fb.mask_features, fa.mask_features)));
    auto s = torch::randn({1, c.mask_decoder.hidden_dim});
    auto da = a->decode(fa, s), db = b->decode(fb, s);
    XS_CHECK(nmse(db.mask_logits.back(), da.mask_logits.back()) < 1e-10);
    auto ph = torch::randn({1, 2, c.mask_decoder.hidden_dim});
    XS_CHECK(nmse(b->class_logits(db.query_states.back(), ph), a->class_logits(da.query_states.back(), ph)) < 1e-10);
}

// like() converts large CPU weights into pooled buffers (no fresh allocation per use). The converted
// values must be exact, a converted weight still held must never be overwritten by a later conversion,
// and it must work inside and outside InferenceMode.
XS_TEST(pooled_weight_conversion_is_exact_and_never_aliases_a_live_result) {
    torch::NoGradGuard ng;
    torch::manual_seed(5);
    auto x = torch::zeros({1}, torch::kFloat);
    auto w1 = torch::randn({300, 300}).to(torch::kBFloat16);  // 90000 elements: above the pool threshold
    auto w2 = torch::randn({200, 400}).to(torch::kBFloat16);
    auto a = like(w1, x);
    XS_CHECK(a.scalar_type() == torch::kFloat && a.sizes() == w1.sizes());
    XS_CHECK(torch::equal(a, w1.to(torch::kFloat)));
    auto b = like(w2, x);  // `a` is alive: `b` must live in another buffer
    XS_CHECK(torch::equal(a, w1.to(torch::kFloat)) && torch::equal(b, w2.to(torch::kFloat)));
    XS_CHECK(a.data_ptr() != b.data_ptr());
    const void* pa = a.data_ptr();
    a = torch::Tensor();  // released: the next conversion of that size may reuse the buffer
    auto c = like(w1, x);
    XS_CHECK(torch::equal(c, w1.to(torch::kFloat)) && torch::equal(b, w2.to(torch::kFloat)));
    XS_CHECK_MSG(c.data_ptr() == pa, "the released buffer was not reused");
    {
        c10::InferenceMode im;
        auto lin = Linear(300, 300, true, torch::TensorOptions().dtype(torch::kBFloat16));
        lin->weight.copy_(w1);
        lin->bias.zero_();
        auto in = torch::randn({4, 300});
        auto y = lin(in);
        auto ref = torch::matmul(in, w1.to(torch::kFloat).t());
        XS_CHECK_MSG(nmse(y, ref) < 1e-12, fmt(nmse(y, ref)));
    }
    auto d = like(w2, torch::zeros({1}, torch::kDouble));  // another dtype: exact as well
    XS_CHECK(d.scalar_type() == torch::kDouble && torch::equal(d, w2.to(torch::kDouble)));
}

// ---- the official manifest ------------------------------------------------------------------------

XS_TEST(full_model_matches_official_manifest) {
    auto c = full();
    auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    XsamModel m(c, meta, true);
    std::map<std::string, std::vector<int64_t>> built;
    int64_t total = 0;
    for (const auto& p : m->named_parameters(true)) {
        built[p.key()] = p.value().sizes().vec();
        total += p.value().numel();
    }
    std::ifstream in(source_dir() + "/tests/data/xsam_manifest.tsv");
    XS_CHECK_MSG(in.good(), "tests/data/xsam_manifest.tsv missing");
    std::map<std::string, std::vector<int64_t>> want, buffers;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string name, shape, kind;
        std::getline(ls, name, '\t');
        std::getline(ls, shape, '\t');
        std::getline(ls, kind, '\t');
        std::vector<int64_t> dims;
        std::istringstream ss(shape);
        std::string d;
        while (std::getline(ss, d, ',')) dims.push_back(std::stoll(d));
        (kind == "buffer" ? buffers : want)[name] = dims;
    }
    std::string diff;
    int n = 0;
    for (auto& w : want) {
        auto it = built.find(w.first);
        if (it == built.end()) {
            if (n++ < 10) diff += " missing:" + w.first;
        } else if (it->second != w.second) {
            if (n++ < 10) diff += " shape:" + w.first;
        }
    }
    for (auto& b : built)
        if (!want.count(b.first) && n++ < 10) diff += " unexpected:" + b.first;
    XS_CHECK_MSG(n == 0, std::to_string(n) + " differences:" + diff);
    for (auto& e : checkpoint_unused_entries(c)) XS_CHECK(buffers.count(e.first) && buffers[e.first] == e.second);
    XS_CHECK(buffers.size() == checkpoint_unused_entries(c).size());
    const double rel = std::abs(double(total) - 4.62e9) / 4.62e9;
    XS_CHECK_MSG(rel < 0.005, "total " + std::to_string(total));
}

// tests/data/xsam_vision_hf_manifest.tsv was written on the GPU machine by make_goldens_vision.py from
// transformers' own SamVisionEncoder, SiglipVisionModel, Mask2FormerPixelDecoder and
// Mask2FormerTransformerModule at the released sizes (meta device). transformers 5 names SigLIP's
// parameters without the "vision_model." level that the checkpoint (saved with transformers 4) has.
XS_TEST(full_vision_parts_match_transformers_manifest) {
    std::ifstream in(source_dir() + "/tests/data/xsam_vision_hf_manifest.tsv");
    XS_CHECK_MSG(in.good(), "tests/data/xsam_vision_hf_manifest.tsv missing");
    std::map<std::string, std::vector<int64_t>> hf;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        std::string name = line.substr(0, tab);
        const std::string ve = "visual_encoder.", vm = "visual_encoder.vision_model.";
        if (name.rfind(ve, 0) == 0 && name.rfind(vm, 0) != 0) name = vm + name.substr(ve.size());
        std::vector<int64_t> dims;
        std::istringstream ss(line.substr(tab + 1));
        std::string d;
        while (std::getline(ss, d, ',')) dims.push_back(std::stoll(d));
        hf[name] = dims;
    }
    XS_CHECK(hf.size() > 1000);
    auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    XsamModel m(full(), meta, false);
    size_t compared = 0;
    std::string diff;
    for (const auto& p : m->named_parameters(true)) {
        const std::string& n = p.key();
        const bool covered = n.rfind("visual_encoder.", 0) == 0 || n.rfind("segmentor.encoder.", 0) == 0 ||
                             n.rfind("segmentor.pixel_decoder.", 0) == 0 || n.rfind("segmentor.decoder.", 0) == 0;
        if (!covered) continue;
        auto it = hf.find(n);
        if (it == hf.end()) {
            diff += " missing-in-hf:" + n;
        } else if (it->second != p.value().sizes().vec()) {
            diff += " shape:" + n;
        }
        ++compared;
    }
    XS_CHECK_MSG(diff.empty(), diff.substr(0, 600));
    XS_CHECK_MSG(compared == hf.size(), std::to_string(compared) + " built vs " + std::to_string(hf.size()) + " in hf");
}

XS_TEST(model_info_cli_reports_counts_and_keys) {
    const std::string cli = env_or("XS_CLI", "");
    XS_CHECK_MSG(!cli.empty(), "XS_CLI not set");
    auto run = [&](const std::string& args) {
        std::string out;
        FILE* p = popen((cli + " " + args + " 2>&1").c_str(), "r");
        XS_CHECK(p != nullptr);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        const int rc = pclose(p);
        return std::make_pair(rc, out);
    };
    auto full_run = run("model-info --config " + source_dir() + "/models/xsam-phi3-siglip2-samL.json");
    XS_CHECK_MSG(full_run.first == 0, full_run.second);
    auto j = nlohmann::json::parse(full_run.second);
    const int64_t total = j["total_params"].get<int64_t>();
    int64_t sum = 0;
    for (auto& kv : j["params_by_prefix"].items()) sum += kv.value().get<int64_t>();
    XS_CHECK(sum == total);
    XS_CHECK(j["params_by_prefix"]["llm"].get<int64_t>() > 3800000000LL);
    // The manifest's header line carries the derived total.
    std::ifstream in(source_dir() + "/tests/data/xsam_manifest.tsv");
    std::string line, want;
    while (std::getline(in, line))
        if (line.rfind("# total parameters: ", 0) == 0) want = line.substr(20);
    XS_CHECK_MSG(std::to_string(total) == want, std::to_string(total) + " vs manifest " + want);
    auto tiny_run = run("model-info --keys --config " + source_dir() + "/models/xsam-tiny.json");
    XS_CHECK_MSG(tiny_run.first == 0, tiny_run.second);
    auto t = nlohmann::json::parse(tiny_run.second);
    XS_CHECK(t["keys"].contains("segmentor.encoder.layers.1.attn.rel_pos_h"));
    XS_CHECK((t["keys"]["segmentor.encoder.layers.1.attn.rel_pos_h"].get<std::vector<int64_t>>() ==
              std::vector<int64_t>{15, 8}));  // global block: 2 * 8 - 1 rows of head_dim 8
    XS_CHECK((t["keys"]["segmentor.encoder.layers.0.attn.rel_pos_h"].get<std::vector<int64_t>>() ==
              std::vector<int64_t>{5, 8}));   // window 3
    auto bad = run("model-info --config /nonexistent.json");
    XS_CHECK(bad.first != 0 && bad.second.find("cannot open") != std::string::npos);
}

XS_TEST_MAIN()
