#include "core/engine/clicker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/engine/engine.h"
#include "core/util/error.h"
#include "core/util/timer.h"

namespace xs {

namespace {

// 1-D squared distance transform of a sampled function (lower envelope of parabolas), exact.
// f: input costs (0 or "infinity"), d: output, n: length. v, z: work arrays (n and n + 1).
void distance_1d(const float* f, float* d, int n, int* v, float* z) {
    const float inf = std::numeric_limits<float>::infinity();
    int k = 0;
    v[0] = 0;
    z[0] = -inf;
    z[1] = inf;
    for (int q = 1; q < n; ++q) {
        if (f[q] == inf) continue;
        if (f[v[k]] == inf) {  // the envelope so far is empty: start it at q
            v[k] = q;
            continue;
        }
        float s = ((f[q] + float(q) * q) - (f[v[k]] + float(v[k]) * v[k])) / (2.f * q - 2.f * v[k]);
        while (k > 0 && s <= z[k]) {
            --k;
            s = ((f[q] + float(q) * q) - (f[v[k]] + float(v[k]) * v[k])) / (2.f * q - 2.f * v[k]);
        }
        ++k;
        v[k] = q;
        z[k] = s;
        z[k + 1] = inf;
    }
    if (f[v[0]] == inf) {
        for (int q = 0; q < n; ++q) d[q] = inf;
        return;
    }
    k = 0;
    for (int q = 0; q < n; ++q) {
        while (z[k + 1] < q) ++k;
        const float dq = float(q - v[k]);
        d[q] = dq * dq + f[v[k]];
    }
}

}  // namespace

std::vector<float> distance_to_border(const Mask& region) {
    // Work on the mask padded by one unset pixel on each side, so the border counts as background.
    const int w = region.width() + 2, h = region.height() + 2;
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> g(size_t(w) * h, 0.f);
    for (int y = 0; y < region.height(); ++y)
        for (int x = 0; x < region.width(); ++x)
            if (region.at(x, y)) g[size_t(y + 1) * w + x + 1] = inf;

    const int n = std::max(w, h);
    std::vector<float> f(n), d(n), z(n + 1);
    std::vector<int> v(n);
    for (int x = 0; x < w; ++x) {  // columns
        for (int y = 0; y < h; ++y) f[y] = g[size_t(y) * w + x];
        distance_1d(f.data(), d.data(), h, v.data(), z.data());
        for (int y = 0; y < h; ++y) g[size_t(y) * w + x] = d[y];
    }
    for (int y = 0; y < h; ++y) {  // rows
        float* row = &g[size_t(y) * w];
        for (int x = 0; x < w; ++x) f[x] = row[x];
        distance_1d(f.data(), d.data(), w, v.data(), z.data());
        for (int x = 0; x < w; ++x) row[x] = d[x];
    }
    std::vector<float> out(size_t(region.width()) * region.height());
    for (int y = 0; y < region.height(); ++y)
        for (int x = 0; x < region.width(); ++x)
            out[size_t(y) * region.width() + x] = std::sqrt(g[size_t(y + 1) * w + x + 1]);
    return out;
}

std::optional<Click> next_click(const Mask& gt, const Mask& pred) {
    if (gt.width() != pred.width() || gt.height() != pred.height()) {
        throw Error("clicker: prediction is " + std::to_string(pred.width()) + "x" + std::to_string(pred.height()) +
                    ", ground truth " + std::to_string(gt.width()) + "x" + std::to_string(gt.height()));
    }
    const int w = gt.width(), h = gt.height();
    Mask fn(w, h), fp(w, h);
    bool any_fn = false, any_fp = false;
    for (size_t i = 0; i < size_t(w) * h; ++i) {
        const bool g = gt.data()[i] != 0, p = pred.data()[i] != 0;
        if (g && !p) fn.data()[i] = 1, any_fn = true;
        if (p && !g) fp.data()[i] = 1, any_fp = true;
    }
    if (!any_fn && !any_fp) return std::nullopt;

    auto best_of = [&](const Mask& region, bool any, Click& c) {
        c.distance = 0;
        if (!any) return;
        const std::vector<float> dist = distance_to_border(region);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float d = dist[size_t(y) * w + x];
                if (d > c.distance) c.distance = d, c.x = x, c.y = y;
            }
    };
    Click pos, neg;
    pos.positive = true;
    neg.positive = false;
    best_of(fn, any_fn, pos);
    best_of(fp, any_fp, neg);
    return pos.distance >= neg.distance ? pos : neg;
}

double clicker_iou(const Mask& gt, const Mask& pred) {
    if (gt.width() != pred.width() || gt.height() != pred.height()) throw Error("clicker_iou: mask sizes differ");
    int64_t inter = 0, uni = 0;
    for (size_t i = 0; i < size_t(gt.width()) * gt.height(); ++i) {
        const bool g = gt.data()[i] != 0, p = pred.data()[i] != 0;
        inter += (g && p);
        uni += (g || p);
    }
    return uni == 0 ? 1.0 : double(inter) / double(uni);
}

int clicks_to_reach(const std::vector<double>& ious, double threshold, int max_clicks) {
    for (size_t k = 0; k < ious.size() && int(k) < max_clicks; ++k)
        if (ious[k] >= threshold) return int(k) + 1;
    return max_clicks;
}

ClickerRun run_clicker(Engine& engine, const PreparedImage& prepared, const Mask& gt, int max_clicks,
                       double stop_iou, int min_clicks, const CancelToken& cancel) {
    ClickerRun run;
    SegmentRequest req;
    req.task = Task::Interactive;
    Mask pred(gt.width(), gt.height());
    for (int k = 0; k < max_clicks; ++k) {
        const std::optional<Click> click = next_click(gt, pred);
        if (!click) {  // exact: every further click would change nothing
            run.ious.push_back(1.0);
            if (int(run.ious.size()) >= min_clicks) break;
            continue;
        }
        req.points.push_back({float(click->x) + 0.5f, float(click->y) + 0.5f, click->positive});
        run.clicks.push_back(*click);
        StopWatch sw;
        SegmentResult res = engine.segment(prepared, req, cancel);
        run.ms.push_back(sw.elapsed_ms());
        pred = res.instances.empty() ? Mask(gt.width(), gt.height()) : std::move(res.instances[0].mask);
        if (pred.width() != gt.width() || pred.height() != gt.height())
            throw Error("engine '" + engine.name() + "' returned a mask of the wrong size");
        run.ious.push_back(clicker_iou(gt, pred));
        if (run.clicks.size() == 1) run.first_mask = pred;
        run.last_mask = pred;
        req.input_mask = pred;
        if (run.ious.back() >= stop_iou && int(run.ious.size()) >= min_clicks) break;
    }
    return run;
}

}  // namespace xs

