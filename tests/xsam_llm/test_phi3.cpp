// Attention helper, RMSNorm, RoPE and the Phi-3 decoder with its key/value cache, against independent
// formulas written as plain loops (NMSE with stated tolerances).
#include "core/util/error.h"
#include "core/xsam/model/attention.h"
#include "core/xsam/model/phi3.h"
#include "tests/harness/plain_test.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>

using namespace xs::xsam;

namespace {

// Normalised mean squared error: sum (a - b)^2 / sum b^2 (both in fp64).
double nmse(const torch::Tensor& a, const torch::Tensor& ref) {
    auto x = a.to(torch::kDouble), r = ref.to(torch::kDouble);
    XS_CHECK_MSG(x.sizes() == r.sizes(), "shape mismatch");
    double den = r.pow(2).sum().item<double>();
    double num = (x - r).pow(2).sum().item<double>();
    return den > 0 ? num / den : num;
}

std::string num(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

// Naive attention: loops over batch, head, query, key. mask(b, h, i, j) says whether i may see j.
torch::Tensor naive_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::function<double(int64_t, int64_t, int64_t, int64_t)>& bias, double scale) {
    auto Q = q.to(torch::kDouble).contiguous(), K = k.to(torch::kDouble).contiguous(),
         V = v.to(torch::kDouble).contiguous();
    const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), Lk = k.size(2), D = q.size(3);
    auto out = torch::zeros({B, H, Lq, D}, torch::kDouble);
    auto qa = Q.accessor<double, 4>(), ka = K.accessor<double, 4>(), va = V.accessor<double, 4>();
    auto oa = out.accessor<double, 4>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < Lq; ++i) {
                std::vector<double> s(Lk);
                double mx = -std::numeric_limits<double>::infinity();
                for (int64_t j = 0; j < Lk; ++j) {
                    double dot = 0;
                    for (int64_t d = 0; d < D; ++d) dot += qa[b][h][i][d] * ka[b][h][j][d];
                    s[j] = dot * scale + bias(b, h, i, j);
                    mx = std::max(mx, s[j]);
                }
                double z = 0;
                for (auto& x : s) z += (x = std::exp(x - mx));
                for (int64_t j = 0; j < Lk; ++j)
                    for (int64_t d = 0; d < D; ++d) oa[b][h][i][d] += s[j] / z * va[b][h][j][d];
            }
    return out;
}

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

Phi3Config tiny_config(int64_t layers = 2, int64_t sliding_window = 0, int64_t kv_heads = 4) {
    Phi3Config c;
    c.vocab_size = 97;
    c.hidden_size = 32;
    c.intermediate_size = 48;
    c.num_hidden_layers = layers;
    c.num_attention_heads = 4;
    c.num_key_value_heads = kv_heads;
    c.max_position_embeddings = 256;
    c.rope_theta = 10000.0;
    c.rms_norm_eps = 1e-5;
    c.sliding_window = sliding_window;
    return c;
}

// Fills every parameter with seeded random values (norm weights around 1).
void randomize(torch::nn::Module& m, uint64_t seed) {
    torch::manual_seed(seed);
    torch::NoGradGuard g;
    for (auto& p : m.named_parameters()) {
        if (p.key().find("norm") != std::string::npos)
            p.value().copy_(1.0 + 0.1 * torch::randn_like(p.value()));
        else
            p.value().copy_(0.2 * torch::randn_like(p.value()));
    }
}

}  // namespace

XS_TEST(attention_matches_naive_loop_plain_causal_and_masked) {
    torch::manual_seed(1);
    auto opt = torch::TensorOptions().dtype(torch::kDouble);
    auto q = torch::randn({2, 3, 5, 8}, opt), k = torch::randn({2, 3, 7, 8}, opt), v = torch::randn({2, 3, 7, 8}, opt);
    const double sc = 1.0 / std::sqrt(8.0);
    // 1. no mask
    auto ref = naive_attention(q, k, v, [](auto, auto, auto, auto) { return 0.0; }, sc);
    double e = nmse(attention(q, k, v), ref);
    XS_CHECK_MSG(e < 1e-24, "plain nmse " + num(e));
    // 2. causal with offset: query i sees keys 0 .. Lk - Lq + i (here 2 + i)
    ref = naive_attention(q, k, v, [](auto, auto, int64_t i, int64_t j) { return j <= 2 + i ? 0.0 : kNegInf; }, sc);
    e = nmse(attention(q, k, v, c10::nullopt, true), ref);
    XS_CHECK_MSG(e < 1e-24, "causal nmse " + num(e));
    // 3. bool mask per batch (broadcast over heads), combined with causal
    auto bm = torch::rand({2, 1, 5, 7}, opt) > 0.3;
    bm.select(3, 0).fill_(true);  // every row keeps key 0
    auto bma = bm.accessor<bool, 4>();
    ref = naive_attention(
        q, k, v, [&](int64_t b, auto, int64_t i, int64_t j) { return bma[b][0][i][j] && j <= 2 + i ? 0.0 : kNegInf; }, sc);
    e = nmse(attention(q, k, v, bm, true), ref);
    XS_CHECK_MSG(e < 1e-24, "bool+causal nmse " + num(e));
    // 4. additive float mask and a custom scale
    auto am = torch::randn({1, 3, 5, 7}, opt);
    auto ama = am.accessor<double, 4>();
    ref = naive_attention(q, k, v, [&](auto, int64_t h, int64_t i, int64_t j) { return ama[0][h][i][j]; }, 0.3);
    e = nmse(attention(q, k, v, am, false, 0.3), ref);
    XS_CHECK_MSG(e < 1e-24, "additive nmse " + num(e));
    // 5. fp32 inputs: same within fp32 precision
    e = nmse(attention(q.to(torch::kFloat), k.to(torch::kFloat), v.to(torch::kFloat), am.to(torch::kFloat), false, 0.3),
             ref);
    XS_CHECK_MSG(e < 1e-10, "fp32 nmse " + num(e));
}

// A bool mask broadcast over the heads (the mask decoder's [B, 1, Q, hw]) is added on the CPU as a 0 / -inf
// mask built at its own size: the same scores as masked_fill_ (checked bit for bit against that
// formulation written out, fp32 and bf16) and, in fp64, the naive loop's answer.
XS_TEST(attention_broadcast_bool_mask_equals_masked_fill) {
    torch::manual_seed(5);
    const int64_t B = 2, H = 8, Lq = 20, Lk = 300, D = 32;
    auto q = torch::randn({B, H, Lq, D}, torch::kDouble), k = torch::randn({B, H, Lk, D}, torch::kDouble),
         v = torch::randn({B, H, Lk, D}, torch::kDouble);
    auto allowed = torch::rand({B, 1, Lq, Lk}) > 0.6;
    allowed.select(3, 7).fill_(true);  // no row blocked everywhere
    const double sc = 1.0 / std::sqrt(double(D));
    auto aa = allowed.accessor<bool, 4>();
    auto ref = naive_attention(q, k, v, [&](int64_t b, auto, int64_t i, int64_t j) { return aa[b][0][i][j] ? 0.0 : kNegInf; },
                               sc);
    double e = nmse(attention(q, k, v, allowed), ref);
    XS_CHECK_MSG(e < 1e-24, "fp64 nmse " + num(e));
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
        auto qd = q.to(dtype), kd = k.to(dtype), vd = v.to(dtype);
        auto scores = scaled_scores(qd, kd, sc);
        scores.masked_fill_(allowed.logical_not(), kNegInf);
        auto filled = torch::matmul(torch::softmax(scores, -1), vd);
        auto got = attention(qd, kd, vd, allowed);
        XS_CHECK_MSG(torch::equal(got, filled), std::string("not the masked_fill result in ") + c10::toString(dtype));
        e = nmse(got.to(torch::kDouble), ref);
        XS_CHECK_MSG(e < (dtype == torch::kFloat ? 1e-10 : 1e-4), std::string(c10::toString(dtype)) + " nmse " + num(e));
    }
}

XS_TEST(rmsnorm_matches_formula) {
    torch::manual_seed(2);
    RMSNorm n(16, 1e-5, torch::TensorOptions().dtype(torch::kDouble));
    {
        torch::NoGradGuard g;
        n->weight.copy_(torch::randn({16}, torch::kDouble));
    }
    auto x = torch::randn({3, 4, 16}, torch::kDouble) * 3.0;
    auto y = n->forward(x);
    // y_i = w_i * x_i / sqrt(mean_j x_j^2 + eps), computed row by row
    auto ref = torch::empty_like(x);
    auto xa = x.accessor<double, 3>();
    auto ra = ref.accessor<double, 3>();
    auto w = n->weight.accessor<double, 1>();
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 4; ++b) {
            double ss = 0;
            for (int i = 0; i < 16; ++i) ss += xa[a][b][i] * xa[a][b][i];
            double inv = 1.0 / std::sqrt(ss / 16 + 1e-5);
            for (int i = 0; i < 16; ++i) ra[a][b][i] = w[i] * xa[a][b][i] * inv;
        }
    double e = nmse(y, ref);
    XS_CHECK_MSG(e < 1e-28, "fp64 nmse " + num(e));
    // fp32 input on fp64 weights: statistics in fp32, tolerance 1e-12
    e = nmse(n->forward(x.to(torch::kFloat)), ref);
    XS_CHECK_MSG(e < 1e-12, "fp32 nmse " + num(e));
}

XS_TEST(rope_matches_pairwise_rotation) {
    torch::manual_seed(3);
    const int64_t D = 12, L = 6, past = 1000;
    const double theta = 10000.0;
    auto x = torch::randn({1, 2, L, D}, torch::kDouble);
    auto pos = torch::arange(past, past + L, torch::kLong);
    auto [c, s] = rope_tables(pos, D, theta, torch::kDouble);
    auto y = apply_rope(x, c, s);
    // Independent: dimension j pairs with j + D/2 and rotates by angle p * theta^(-2j/D).
    auto ref = torch::empty_like(x);
    auto xa = x.accessor<double, 4>();
    auto ra = ref.accessor<double, 4>();
    for (int h = 0; h < 2; ++h)
        for (int64_t l = 0; l < L; ++l)
            for (int64_t j = 0; j < D / 2; ++j) {
                double ang = double(past + l) * std::pow(theta, -2.0 * double(j) / double(D));
                double a = xa[0][h][l][j], b = xa[0][h][l][j + D / 2];
                ra[0][h][l][j] = a * std::cos(ang) - b * std::sin(ang);
                ra[0][h][l][j + D / 2] = b * std::cos(ang) + a * std::sin(ang);
            }
    double e = nmse(y, ref);
    XS_CHECK_MSG(e < 1e-26, "nmse " + num(e));
    // Relative property: <rope(q, p), rope(k, p')> depends on p - p' only.
    auto q = torch::randn({1, 1, 1, D}, torch::kDouble), k = torch::randn({1, 1, 1, D}, torch::kDouble);
    auto dot_at = [&](int64_t pq, int64_t pk) {
        auto [cq, sq] = rope_tables(torch::full({1}, pq, torch::kLong), D, theta, torch::kDouble);
        auto [ck, sk] = rope_tables(torch::full({1}, pk, torch::kLong), D, theta, torch::kDouble);
        return (apply_rope(q, cq, sq) * apply_rope(k, ck, sk)).sum().item<double>();
    };
    XS_CHECK(std::abs(dot_at(7, 3) - dot_at(107, 103)) < 1e-9);
    XS_CHECK(std::abs(dot_at(7, 3) - dot_at(7, 4)) > 1e-6);
}

// RMSNorm in bf16 against HF's formulation written out in bf16
// ((x.float() * rsqrt(mean(x.float()^2) + eps)).to(bf16) * w; NMSE <= 1e-6) and against fp64 (<= 1e-4).
XS_TEST(rmsnorm_bf16_matches_the_fp32_statistics_formulation) {
    torch::manual_seed(14);
    const int64_t dim = 3072;
    RMSNorm n(dim, 1e-5, torch::TensorOptions().dtype(torch::kBFloat16));
    {
        torch::NoGradGuard g;
        n->weight.copy_(1.0 + 0.1 * torch::randn({dim}));
    }
    auto x = (torch::randn({2, 50, dim}) * 3.0).to(torch::kBFloat16);
    auto got = n->forward(x);
    XS_CHECK(got.scalar_type() == torch::kBFloat16 && got.sizes() == x.sizes());
    auto xf = x.to(torch::kFloat);
    auto hf = (xf * torch::rsqrt(xf.pow(2).mean(-1, true) + 1e-5)).to(torch::kBFloat16) * n->weight;
    auto xd = x.to(torch::kDouble);
    auto ref = xd * torch::rsqrt(xd.pow(2).mean(-1, true) + 1e-5) * n->weight.to(torch::kDouble);
    const double e_hf = nmse(got, hf), e_ref = nmse(got, ref);
    const double differ = (got != hf).to(torch::kDouble).mean().item<double>();
    std::printf("  rmsnorm bf16: nmse against HF's formulation %.3g (%.4f%% of elements differ), against fp64 %.3g\n",
                e_hf, 100 * differ, e_ref);
    XS_CHECK_MSG(e_hf <= 1e-6, "against HF's formulation: nmse " + num(e_hf));
    XS_CHECK_MSG(e_ref <= 1e-4, "against fp64: nmse " + num(e_ref));
}

// A causal sequence of 512 tokens or more on the CPU runs in query blocks of 256 rows (the image
// prefix). Against the naive loop in fp64 (NMSE <= 1e-24) with and without cached positions before the
// queries, in fp32 (<= 1e-10), and in bf16 against fp64 (<= 1e-4) and against the whole-square bf16
// formulation (scores, masked_fill_, softmax, product; <= 1e-4).
XS_TEST(causal_attention_in_blocks_matches_naive_loop) {
    torch::manual_seed(15);
    const int64_t H = 2, D = 8, lq = 600;
    for (int64_t past : {0, 13}) {
        const int64_t lk = lq + past;
        auto opt = torch::TensorOptions().dtype(torch::kDouble);
        auto q = torch::randn({1, H, lq, D}, opt) * 2, k = torch::randn({1, H, lk, D}, opt),
             v = torch::randn({1, H, lk, D}, opt);
        const double sc = 1.0 / std::sqrt(double(D));
        auto ref = naive_attention(
            q, k, v, [&](auto, auto, int64_t i, int64_t j) { return j <= past + i ? 0.0 : kNegInf; }, sc);
        const std::string tag = " (past " + std::to_string(past) + ")";
        double e = nmse(attention(q, k, v, c10::nullopt, true), ref);
        XS_CHECK_MSG(e <= 1e-24, "fp64 nmse " + num(e) + tag);
        e = nmse(attention(q.to(torch::kFloat), k.to(torch::kFloat), v.to(torch::kFloat), c10::nullopt, true), ref);
        XS_CHECK_MSG(e <= 1e-10, "fp32 nmse " + num(e) + tag);
        const auto bf = torch::kBFloat16;
        auto qb = q.to(bf), kb = k.to(bf), vb = v.to(bf);
        auto got = attention(qb, kb, vb, c10::nullopt, true);
        auto qi = torch::arange(lq).unsqueeze(1), kj = torch::arange(lk).unsqueeze(0);
        auto scores = scaled_scores(qb, kb, sc);
        scores.masked_fill_(kj > qi + past, kNegInf);
        auto square = torch::matmul(torch::softmax(scores, -1), vb);
        const double e64 = nmse(got, ref), esq = nmse(got, square);
        std::printf("  causal blocks bf16%s: nmse against fp64 %.3g, against the whole square %.3g (square against "
                    "fp64 %.3g)\n", tag.c_str(), e64, esq, nmse(square, ref));
        XS_CHECK_MSG(e64 <= 1e-4, "bf16 against fp64: nmse " + num(e64) + tag);
        XS_CHECK_MSG(esq <= 1e-4, "bf16 against the whole square: nmse " + num(esq) + tag);
    }
}

XS_TEST(parameter_names_are_the_checkpoint_keys) {
    auto cfg = tiny_config(2, 0, 2);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().device(torch::kMeta));
    std::set<std::string> names;
    for (auto& p : m->named_parameters()) names.insert(p.key());
    std::set<std::string> expected = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"};
    for (int i = 0; i < 2; ++i) {
        std::string p = "model.layers." + std::to_string(i) + ".";
        for (const char* s : {"self_attn.qkv_proj.weight", "self_attn.o_proj.weight", "mlp.gate_up_proj.weight",
                              "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"})
            expected.insert(p + s);
    }
    XS_CHECK(names == expected);
    auto params = m->named_parameters();
    // GQA: 4 heads of 8, 2 kv heads -> qkv rows (4 + 2 * 2) * 8 = 64
    XS_CHECK(params["model.layers.0.self_attn.qkv_proj.weight"].sizes() == torch::IntArrayRef({64, 32}));
    XS_CHECK(params["model.layers.1.mlp.gate_up_proj.weight"].sizes() == torch::IntArrayRef({96, 32}));
    XS_CHECK(params["lm_head.weight"].sizes() == torch::IntArrayRef({97, 32}));
    XS_CHECK(params["model.norm.weight"].device().is_meta());
    // Full size: Phi-3-mini with X-SAM's 32014-row vocabulary has 3,821,079,552 + 2 * 14 * 3072 params.
    Phi3Config full;
    full.vocab_size = 32014;
    Phi3ForCausalLM big(full, torch::TensorOptions().device(torch::kMeta));
    int64_t total = 0;
    for (auto& p : big->parameters()) total += p.numel();
    XS_CHECK_MSG(total == 3821079552LL - 2LL * 50 * 3072, "total " + std::to_string(total));
}

XS_TEST(incremental_decoding_equals_full_forward_fp64) {
    auto cfg = tiny_config(2, 0, 2);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 4);
    auto ids = torch::randint(0, cfg.vocab_size, {1, 11}, torch::kLong);
    auto emb = m->embed(ids);
    auto full = m->forward(emb, nullptr, true);
    // Feed 4 tokens, then 1, 1, then 5 through a cache.
    KVCache cache;
    std::vector<torch::Tensor> parts, logits;
    int64_t at = 0;
    for (int64_t n : {4, 1, 1, 5}) {
        auto o = m->forward(emb.narrow(1, at, n), &cache, true);
        parts.push_back(o.hidden);
        logits.push_back(o.logits);
        at += n;
        XS_CHECK(cache.length() == at);
    }
    double e = nmse(torch::cat(parts, 1), full.hidden);
    XS_CHECK_MSG(e <= 1e-10, "hidden nmse " + num(e));
    e = nmse(torch::cat(logits, 1), full.logits);
    XS_CHECK_MSG(e <= 1e-10, "logits nmse " + num(e));
    // Also in fp32, tolerance 1e-6.
    // (same module: fp32 activations on fp64 weights, the weights converted per matmul)
    KVCache c32;
    auto a = m->forward(emb.narrow(1, 0, 6).to(torch::kFloat), &c32).hidden;
    auto b = m->forward(emb.narrow(1, 6, 5).to(torch::kFloat), &c32).hidden;
    e = nmse(torch::cat({a, b}, 1), full.hidden);
    XS_CHECK_MSG(e <= 1e-6, "fp32 nmse " + num(e));
    XS_CHECK(a.scalar_type() == torch::kFloat);
}

// The CPU layout of the decoder projections ([in, out] storage behind the same [out, in] parameter)
// changes no name, shape or value, and gives the same outputs: fp64 (NMSE <= 1e-24) and bf16 weights
// with fp32 compute (NMSE <= 1e-12; only the order of the products' sums may differ), with and
// without a KV cache.
XS_TEST(input_major_layout_gives_the_same_outputs) {
    auto cfg = tiny_config(2, 0, 2);
    for (auto dt : {torch::kDouble, torch::kBFloat16}) {
        Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(dt));
        randomize(*m, 6);
        const auto compute = dt == torch::kDouble ? torch::kDouble : torch::kFloat;
        auto ids = torch::randint(0, cfg.vocab_size, {1, 9}, torch::kLong);
        auto emb = m->embed(ids, compute);
        auto want = m->forward(emb, nullptr, true);
        std::vector<std::pair<std::string, torch::Tensor>> before;
        for (const auto& p : m->named_parameters()) before.emplace_back(p.key(), p.value().clone());
        m->use_input_major_layout();
        auto params = m->named_parameters();
        XS_CHECK(params.size() == before.size());
        int moved = 0;
        for (const auto& [name, value] : before) {
            const torch::Tensor& now = params[name];
            XS_CHECK_MSG(now.sizes() == value.sizes() && torch::equal(now, value), name);
            if (!now.is_contiguous()) {
                ++moved;
                XS_CHECK_MSG(now.t().is_contiguous() && name.find(".layers.") != std::string::npos, name);
            }
        }
        XS_CHECK(moved == 4 * cfg.num_hidden_layers);  // qkv, o, gate_up, down per layer; not lm_head
        XS_CHECK(m->lm_head->weight.is_contiguous());
        auto got = m->forward(emb, nullptr, true);
        const double tol = dt == torch::kDouble ? 1e-24 : 1e-12;
        double e = nmse(got.hidden, want.hidden);
        XS_CHECK_MSG(e <= tol, "hidden nmse " + num(e));
        e = nmse(got.logits, want.logits);
        XS_CHECK_MSG(e <= tol, "logits nmse " + num(e));
        KVCache cache;
        auto a = m->forward(emb.narrow(1, 0, 5), &cache).hidden;
        auto b = m->forward(emb.narrow(1, 5, 4), &cache).hidden;
        e = nmse(torch::cat({a, b}, 1), want.hidden);
        XS_CHECK_MSG(e <= (dt == torch::kDouble ? 1e-20 : 1e-10), "cached nmse " + num(e));
        m->use_input_major_layout();  // a second call changes nothing
        XS_CHECK(torch::equal(m->forward(emb, nullptr, false).hidden, got.hidden));
    }
}

XS_TEST(prefix_cache_reuse_is_exact_and_copies_are_independent) {
    auto cfg = tiny_config(2, 0, 4);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 5);
    auto prefix = torch::randn({1, 9, cfg.hidden_size}, torch::kDouble);
    auto p1 = m->embed(torch::tensor({{3, 5, 7}}, torch::kLong));
    auto p2 = m->embed(torch::tensor({{11, 13, 17, 19}}, torch::kLong));
    KVCache base;
    m->forward(prefix, &base);
    const int64_t base_bytes = base.bytes();
    // Two prompts on copies of the prefix cache, in alternating order, twice each.
    KVCache c1 = base, c2 = base;
    auto h1 = m->forward(p1, &c1).hidden;
    auto h2 = m->forward(p2, &c2).hidden;
    KVCache c1b = base;
    auto h1b = m->forward(p1, &c1b).hidden;
    auto r1 = m->forward(torch::cat({prefix, p1}, 1)).hidden.narrow(1, 9, 3);
    auto r2 = m->forward(torch::cat({prefix, p2}, 1)).hidden.narrow(1, 9, 4);
    XS_CHECK_MSG(nmse(h1, r1) <= 1e-24, "p1 " + num(nmse(h1, r1)));
    XS_CHECK_MSG(nmse(h2, r2) <= 1e-24, "p2 " + num(nmse(h2, r2)));
    XS_CHECK(torch::equal(h1, h1b));
    XS_CHECK(base.length() == 9 && c1.length() == 12 && c2.length() == 13);
    XS_CHECK(base.bytes() == base_bytes);
    // A deep copy and a truncated copy behave like the original prefix.
    KVCache d = base.deep_copy();
    auto h2d = m->forward(p2, &d).hidden;
    XS_CHECK(torch::equal(h2d, h2));
    c1.truncate(9);
    auto h2t = m->forward(p2, &c1).hidden;
    XS_CHECK(torch::equal(h2t, h2));
    // Growing c1 (now holding p2) must not have disturbed c2 / c1b, which share buffers with it.
    auto next = m->embed(torch::tensor({{23}}, torch::kLong));
    auto n1 = m->forward(next, &c1b).hidden;
    auto ref = m->forward(torch::cat({prefix, p1, next}, 1)).hidden.narrow(1, 12, 1);
    XS_CHECK_MSG(nmse(n1, ref) <= 1e-24, "after sharing " + num(nmse(n1, ref)));
}

XS_TEST(sliding_window_limits_what_a_position_sees) {
    // One layer, window 4: the output at position p depends on inputs p-3 .. p only.
    auto cfg = tiny_config(1, 4, 4);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 6);
    torch::manual_seed(7);
    auto x = torch::randn({1, 10, cfg.hidden_size}, torch::kDouble);
    auto y = m->forward(x).hidden;
    auto x2 = x.clone();
    x2.select(1, 2).add_(1.0);  // perturb position 2
    auto y2 = m->forward(x2).hidden;
    for (int64_t p = 0; p < 10; ++p) {
        const double d = (y.select(1, p) - y2.select(1, p)).abs().max().item<double>();
        const bool should_change = p >= 2 && p - 2 < 4;
        XS_CHECK_MSG(should_change ? d > 1e-6 : d == 0.0, "position " + std::to_string(p) + " diff " + num(d));
    }
    // The same model without a window: later positions do change.
    auto cfg_nw = cfg;
    cfg_nw.sliding_window = 0;
    Phi3ForCausalLM nw(cfg_nw, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*nw, 6);
    auto z = nw->forward(x).hidden, z2 = nw->forward(x2).hidden;
    XS_CHECK((z.select(1, 9) - z2.select(1, 9)).abs().max().item<double>() > 1e-6);
    // Incremental decoding past the window equals the full forward (two layers, window 4).
    auto cfg2 = tiny_config(2, 4, 2);
    Phi3ForCausalLM m2(cfg2, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m2, 8);
    auto full = m2->forward(x).hidden;
    KVCache c;
    std::vector<torch::Tensor> parts;
    parts.push_back(m2->forward(x.narrow(1, 0, 3), &c).hidden);
    for (int64_t p = 3; p < 7; ++p) parts.push_back(m2->forward(x.narrow(1, p, 1), &c).hidden);
    parts.push_back(m2->forward(x.narrow(1, 7, 3), &c).hidden);
    const double e = nmse(torch::cat(parts, 1), full);
    XS_CHECK_MSG(e <= 1e-24, "nmse " + num(e));
}

XS_TEST(greedy_generation_matches_stepwise_argmax) {
    auto cfg = tiny_config(2, 0, 4);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 9);
    auto prompt = m->embed(torch::tensor({{1, 2, 3, 4, 5}}, torch::kLong));
    KVCache cache;
    auto r = m->generate_greedy(prompt, cache, 6, {});
    XS_CHECK(r.tokens.size() == 6 && !r.stopped);
    XS_CHECK(r.hidden.size(1) == 5 + 5);
    // Reference without a cache: re-run the whole sequence each step.
    std::vector<int64_t> seq = {1, 2, 3, 4, 5};
    for (int step = 0; step < 6; ++step) {
        auto o = m->forward(m->embed(torch::tensor(seq, torch::kLong).view({1, -1})), nullptr, true);
        int64_t next = o.logits.select(1, o.logits.size(1) - 1).argmax(-1).item<int64_t>();
        XS_CHECK_MSG(next == r.tokens[step], "step " + std::to_string(step));
        if (step == 5) {
            double e = nmse(r.hidden, o.hidden.narrow(1, 0, 10));
            XS_CHECK_MSG(e <= 1e-20, "hidden nmse " + num(e));
        }
        seq.push_back(next);
    }
    // A stop token ends generation and is reported.
    KVCache c2;
    auto r2 = m->generate_greedy(prompt, c2, 6, {r.tokens[2]});
    XS_CHECK(r2.stopped && r2.tokens.size() == 3);
    XS_CHECK(c2.length() == 5 + 2);
}

XS_TEST(bf16_weights_compute_in_fp32_like_upcast_weights) {
    // Weights kept in bf16 (CPU memory saving), activations fp32: equal to an fp32 model holding the
    // same (bf16-rounded) values, within fp32 rounding (NMSE <= 1e-12).
    auto cfg = tiny_config(2, 0, 2);
    Phi3ForCausalLM m16(cfg, torch::TensorOptions().dtype(torch::kBFloat16));
    randomize(*m16, 10);
    Phi3ForCausalLM m32(cfg, torch::TensorOptions().dtype(torch::kFloat));
    {
        torch::NoGradGuard g;
        auto src = m16->named_parameters();
        for (auto& p : m32->named_parameters()) p.value().copy_(src[p.key()]);
    }
    auto ids = torch::randint(0, cfg.vocab_size, {1, 7}, torch::kLong);
    auto a = m16->forward(m16->embed(ids, torch::kFloat), nullptr, true);
    auto b = m32->forward(m32->embed(ids), nullptr, true);
    XS_CHECK(a.hidden.scalar_type() == torch::kFloat && a.logits.scalar_type() == torch::kFloat);
    const double e = nmse(a.logits, b.logits);
    XS_CHECK_MSG(e <= 1e-12, "nmse " + num(e));
}

XS_TEST(cache_growth_is_in_place_when_not_shared) {
    auto cfg = tiny_config(1, 0, 4);
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 11);
    KVCache c;
    c.reserve(16);
    m->forward(torch::randn({1, 4, cfg.hidden_size}, torch::kDouble), &c);
    const int64_t bytes = c.bytes();  // capacity 4 + 16 positions
    XS_CHECK(bytes == 2 * 1 * 4 * 20 * 8 * 8);
    for (int i = 0; i < 10; ++i) m->forward(torch::randn({1, 1, cfg.hidden_size}, torch::kDouble), &c);
    XS_CHECK(c.length() == 14 && c.bytes() == bytes);  // no reallocation
    KVCache shared = c;                                 // a copy shares the buffer...
    m->forward(torch::randn({1, 1, cfg.hidden_size}, torch::kDouble), &shared);
    XS_CHECK(shared.bytes() == bytes);                  // ...the first to grow writes in place
    m->forward(torch::randn({1, 1, cfg.hidden_size}, torch::kDouble), &c);
    XS_CHECK(c.bytes() == 2 * 1 * 4 * (15 + 64) * 8 * 8);  // the other one reallocated, with 64 spare
    XS_CHECK(c.length() == 15 && shared.length() == 15);
}

XS_TEST(attention_over_two_blocks_equals_attention_over_their_concatenation) {
    // The prompt-on-a-cached-prefix path: keys/values in two blocks, never concatenated. fp64, causal
    // (aligned to the end), a bool window mask and an additive mask; tolerance NMSE <= 1e-24.
    torch::manual_seed(21);
    auto q = torch::randn({1, 3, 5, 8}, torch::kDouble);
    auto k1 = torch::randn({1, 3, 9, 8}, torch::kDouble), v1 = torch::randn({1, 3, 9, 8}, torch::kDouble);
    auto k2 = torch::randn({1, 3, 5, 8}, torch::kDouble), v2 = torch::randn({1, 3, 5, 8}, torch::kDouble);
    auto k = torch::cat({k1, k2}, 2), v = torch::cat({v1, v2}, 2);
    auto ref = naive_attention(q, k, v, [](int64_t, int64_t, int64_t i, int64_t j) { return j <= 9 + i ? 0.0 : kNegInf; },
                               1.0 / std::sqrt(8.0));
    auto a = attention_two_blocks(q, k1, v1, k2, v2, c10::nullopt, true);
    XS_CHECK_MSG(nmse(a, ref) <= 1e-24, "causal " + num(nmse(a, ref)));
    XS_CHECK_MSG(nmse(a, attention(q, k, v, c10::nullopt, true)) <= 1e-24, "vs attention()");
    auto window = torch::ones({5, 14}, torch::kBool);
    window.narrow(1, 0, 3).fill_(false);  // nobody sees the first three keys
    auto b = attention_two_blocks(q, k1, v1, k2, v2, window, true);
    auto refb = attention(q, k, v, window, true);
    XS_CHECK_MSG(nmse(b, refb) <= 1e-24, "bool mask " + num(nmse(b, refb)));
    auto additive = torch::randn({5, 14}, torch::kDouble);
    auto c = attention_two_blocks(q, k1, v1, k2, v2, additive, false, 0.5);
    auto refc = naive_attention(q, k, v, [&](int64_t, int64_t, int64_t i, int64_t j) {
        return additive[i][j].item<double>(); }, 0.5);
    XS_CHECK_MSG(nmse(c, refc) <= 1e-24, "additive " + num(nmse(c, refc)));
    // Causal with earlier own positions in the second block (decoding: Lk2 = 7 > Lq = 5; only the second
    // block is masked) and with a first block that some queries may not see entirely (Lk1 = 9 > Lk - Lq = 7:
    // the general mask); fp64 against the naive loop, bf16 against attention() on the concatenation.
    for (int64_t l2 : {7, 3}) {
        auto k2b = torch::randn({1, 3, l2, 8}, torch::kDouble), v2b = torch::randn({1, 3, l2, 8}, torch::kDouble);
        auto kk = torch::cat({k1, k2b}, 2), vv = torch::cat({v1, v2b}, 2);
        const int64_t past = 9 + l2 - 5;
        auto r = naive_attention(q, kk, vv, [&](int64_t, int64_t, int64_t i, int64_t j) { return j <= past + i ? 0.0 : kNegInf; },
                                 1.0 / std::sqrt(8.0));
        auto got = attention_two_blocks(q, k1, v1, k2b, v2b, c10::nullopt, true);
        XS_CHECK_MSG(nmse(got, r) <= 1e-24, "causal, Lk2 " + std::to_string(l2) + ": " + num(nmse(got, r)));
        const auto bf = torch::kBFloat16;
        auto gb = attention_two_blocks(q.to(bf), k1.to(bf), v1.to(bf), k2b.to(bf), v2b.to(bf), c10::nullopt, true);
        auto cb = attention(q.to(bf), kk.to(bf), vv.to(bf), c10::nullopt, true);
        XS_CHECK_MSG(nmse(gb, cb) <= 1e-4, "bf16, Lk2 " + std::to_string(l2) + ": " + num(nmse(gb, cb)));
        XS_CHECK_MSG(nmse(gb, r) <= 1e-4, "bf16 against fp64, Lk2 " + std::to_string(l2) + ": " + num(nmse(gb, r)));
    }
}

XS_TEST(prompts_on_top_of_a_shared_prefix_equal_a_fresh_full_forward) {
    // KVCache::on_top_of: the prefix is read in place (no copy), each prompt has its own tail. fp64,
    // tolerance NMSE <= 1e-20 against one forward pass over prefix + prompt without a cache; grouped
    // query attention (2 kv heads for 4 heads) and a sliding window that cuts into the prefix.
    for (int64_t window : {int64_t(0), int64_t(10)}) {
        auto cfg = tiny_config(2, window, 2);
        Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kDouble));
        randomize(*m, 31);
        torch::manual_seed(32);
        auto prefix = torch::randn({1, 9, cfg.hidden_size}, torch::kDouble);
        auto p1 = m->embed(torch::tensor({{3, 5, 7}}, torch::kLong));
        auto p2 = m->embed(torch::tensor({{11, 13, 17, 19}}, torch::kLong));
        KVCache base;
        m->forward(prefix, &base);
        const int64_t bytes = base.bytes();
        KVCache probe = base.deep_copy();
        KVCache c1 = KVCache::on_top_of(base);
        XS_CHECK(c1.length() == 9 && c1.base_length() == 9 && c1.bytes() == 0);
        auto h1 = m->forward(p1, &c1).hidden;
        KVCache c2 = KVCache::on_top_of(base);
        auto h2 = m->forward(p2, &c2).hidden;
        auto r1 = m->forward(torch::cat({prefix, p1}, 1)).hidden.narrow(1, 9, 3);
        auto r2 = m->forward(torch::cat({prefix, p2}, 1)).hidden.narrow(1, 9, 4);
        const std::string w = " (window " + std::to_string(window) + ")";
        XS_CHECK_MSG(nmse(h1, r1) <= 1e-20, "p1 " + num(nmse(h1, r1)) + w);
        XS_CHECK_MSG(nmse(h2, r2) <= 1e-20, "p2 " + num(nmse(h2, r2)) + w);
        XS_CHECK(c1.length() == 12 && c2.length() == 13);
        // The base is untouched: same length, same buffers, and a prompt on it again gives the same.
        XS_CHECK(base.length() == 9 && base.bytes() == bytes);
        KVCache c1b = KVCache::on_top_of(base);
        XS_CHECK(torch::equal(m->forward(p1, &c1b).hidden, h1));
        const double e_probe = nmse(m->forward(p2, &probe).hidden, h2);  // the deep copy made before
        XS_CHECK_MSG(e_probe <= 1e-20, "deep copy made before " + num(e_probe) + w);
        // Growing a tail token by token (greedy decoding) and copying a tail cache keep agreeing.
        auto next = m->embed(torch::tensor({{23}}, torch::kLong));
        KVCache copy = c1;  // shares c1's tail copy-on-write
        auto n1 = m->forward(next, &c1).hidden;
        auto n2 = m->forward(next, &copy).hidden;
        auto ref = m->forward(torch::cat({prefix, p1, next}, 1)).hidden.narrow(1, 12, 1);
        XS_CHECK_MSG(nmse(n1, ref) <= 1e-20 && torch::equal(n1, n2), "grown tail" + w);
        // append() (the concatenating form) and deep_copy() of a cache with a base see every position.
        KVCache d = c1.deep_copy();
        XS_CHECK(d.length() == 13 && d.base_length() == 0);
        auto after = m->embed(torch::tensor({{29}}, torch::kLong));
        auto da = m->forward(after, &d).hidden;
        auto db = m->forward(after, &c1).hidden;
        XS_CHECK_MSG(nmse(da, db) <= 1e-24, "deep copy of a based cache" + w);
        // Truncating back to the prefix and below it.
        c2.truncate(9);
        XS_CHECK(torch::equal(m->forward(p1, &c2).hidden, h1));
        c2.truncate(5);
        XS_CHECK(c2.length() == 5 && c2.base_length() == 5);
        auto t5 = m->forward(p1, &c2).hidden;
        auto r5 = m->forward(torch::cat({prefix.narrow(1, 0, 5), p1}, 1)).hidden.narrow(1, 5, 3);
        XS_CHECK_MSG(nmse(t5, r5) <= 1e-20, "truncated below the base " + num(nmse(t5, r5)) + w);
        // Greedy generation on top of a shared prefix equals generation on a private copy.
        KVCache g1 = KVCache::on_top_of(base), g2 = base.deep_copy();
        auto ga = m->generate_greedy(p1, g1, 4, {});
        auto gb = m->generate_greedy(p1, g2, 4, {});
        XS_CHECK(ga.tokens == gb.tokens);
        XS_CHECK_MSG(nmse(ga.hidden, gb.hidden) <= 1e-20, "greedy" + w);
    }
}

XS_TEST(bad_config_and_overlong_input_are_rejected) {
    auto cfg = tiny_config();
    cfg.num_attention_heads = 5;
    XS_CHECK_THROWS({ Phi3ForCausalLM bad(cfg); }, xs::Error, "num_attention_heads");
    auto ok = tiny_config();
    ok.max_position_embeddings = 8;
    Phi3ForCausalLM m(ok, torch::TensorOptions().dtype(torch::kDouble));
    randomize(*m, 1);
    XS_CHECK_THROWS(m->forward(torch::zeros({1, 9, 32}, torch::kDouble)), xs::Error, "max_position_embeddings");
}

XS_TEST_MAIN()
