// The classic engine: geodesic seeds + colour histograms + graph cut, on an image pyramid.
//
// prepare(): Lab colour, colour-bin index, neighbour colour distances and graph-cut edge weights for
// every level of a small pyramid (level 0 = the image, long side <= kMaxWorkingSide; each next level
// half the size, down to one that fits Params::max_cut_pixels).
// segment():
//   1. seeds: click discs, scribble strokes, outside-the-box -> hard foreground / background;
//   2. extent: geodesic distances (colour-edge cost) from the positive vs the negative seeds and the
//      image border on the coarsest level; the region closer to the positives, the previous mask,
//      the clicks and the box give the region of interest (ROI);
//   3. in the ROI, on the finest level whose ROI fits Params::max_cut_pixels: unaries from colour
//      histograms (fitted to the geodesic region / previous mask, plus the colours around each
//      click), the geodesic balance (the positive seeds travel cheaply along the previous mask) and
//      the previous mask (minus what a negative seed reaches first); contrast-sensitive pairwise
//      terms; one min cut (Params::cut_iterations);
//   4. the components connected to positive seeds are kept; the mask is brought back to image size.
// A lone first click runs this for three variants (first_click_variants) and keeps the mask whose
// outline looks most like an object's (outline_score).
#include "core/classic/classic_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/imgproc/detail/gcgraph.hpp>

namespace xs {

namespace {

// Images with a longer side are downscaled once in prepare(); results are upsampled back.
const int kMaxWorkingSide = 1024;
// Colour histograms: kBinsL levels of lightness and kBinsAB of each of a and b (about 3.1 and 2.75
// Lab units a bin), smoothed by kHistogramBlurPasses passes of [1 2 1] along each axis. Both halves of
// stamps-bench chose 32 x 80 x 80 with 2 passes (README); before: 16 x 16 x 16 with 1 pass.
const int kBinsL = 32;
const int kBinsAB = 80;
const int kHistogramBlurPasses = 2;
const int kHistSize = kBinsL * kBinsAB * kBinsAB;
// The outline score's coarse colour histograms: 8 levels per Lab channel, each a whole number of the
// fine bins (coarse_bin()).
const int kOutlineBins = 8;
static_assert(kBinsL % kOutlineBins == 0 && kBinsAB % kOutlineBins == 0, "coarse bins must group fine bins");
// Radius (working pixels) of the hard-seed disc at a click, and the default scribble radius.
const int kClickRadius = 2;
const float kScribbleRadius = 2.f;
// The method's weights, tuned on stamps-bench with the standard clicker; each sits on a plateau
// (in the sweeps made, halving or doubling one moved NoC@85 by less than 0.7). The click samples'
// weights were chosen on one half of stamps-bench's images and checked on the other (README).
struct Params {
    float geo_eps = 1.0f;        // geodesic step cost per pixel of length (plus the Lab difference)
    float border_offset = 20.f;  // the image border is a background seed this much farther away
    // Colour log-likelihood ratio, clipped to +-colour_clip, times colour_weight: 2 since the histograms
    // got finer (the odd half of stamps-bench chose 2 and the even half 3 among 0.7 / 1 / 1.5 / 2 / 3; README).
    float colour_weight = 2.0f;
    float colour_clip = 4.0f;
    float geo_weight = 3.0f;     // geodesic balance in [-1, 1]
    float prior_weight = 0.5f;   // previous mask
    float smooth_weight = 30.0f; // contrast-sensitive smoothness
    float cut_iterations = 1;    // 2: cut, re-fit the colour models, cut again (1.5x the time, ~0.1 NoC@85)
    float roi_margin_frac = 0.25f;  // ROI margin around the expected object: fraction of its size
    float roi_margin_px = 16;      // plus this many pixels
    float neg_removes_prior = 1;   // previous-mask pixels closer to a negative seed lose their prior
    float max_cut_pixels = 150000; // the graph cut runs on a coarser level when the ROI is larger
    float click_sample_radius = 8;  // colour samples around each click (image pixels)
    float click_sample_mass = 1.5;  // their share of a colour model, relative to its other mass
    float first_click_sample_mass = 6;  // the same without a previous mask
    // For the positive seeds' geodesic distance, a step onto the previous mask (where its colours say
    // object) costs this fraction of geo_eps (travel_along_prior).
    float prior_step_factor = 0.3f;
    // When the cut ran on a coarser level, the outline is cut again on level 0 in a band of this
    // radius (level-0 pixels) around it (refine_boundary), the coarse answer weighing this much.
    float band_radius = 3;
    float band_prior_weight = 1.0f;
    // There, object-coloured parts narrower than this (level-0 pixels; what an opening with a disc
    // of this diameter removes) connected to the answer join the band (thin parts).
    float thin_width = 5;
    // A correction's changes against its click's kind away from the click (keep_changes_at_newest_click):
    // those not within this many image pixels of the newest click and larger than this fraction of
    // the previous mask are undone (0.05 chosen on stamps-bench's even half among 0.05 / 0.1 / 0.25 /
    // all; the odd half ties them all; README).
    float local_change_radius = 3;
    float far_change_frac = 0.05f;
};

const Params& params() {
    static const Params p;
    return p;
}

const float kInf = std::numeric_limits<float>::infinity();

// One pyramid level: everything the per-request work needs, at one resolution.
struct Level {
    double scale = 1.0;  // level pixels per original pixel
    cv::Mat lab;         // CV_32FC3
    cv::Mat bin;         // CV_32S colour-histogram bin of each pixel
    cv::Mat cdist[4];    // CV_32F Lab distance to the neighbour: right, down, down-right, down-left
    cv::Mat wt[4];       // CV_32F graph-cut edge weight exp(-beta d^2) for the same neighbours
    float mean_gradient = 0;  // mean over pixels of max(cdist right, cdist down)
};

// Neighbour offsets matching Level::cdist / Level::wt.
const int kDx[4] = {1, 0, 1, -1};
const int kDy[4] = {0, 1, 1, 1};

class ClassicPrepared : public PreparedImage {
public:
    std::vector<Level> levels;  // finest first
    size_t memory_bytes() const override {
        size_t n = 0;
        for (const Level& l : levels) {
            n += l.lab.total() * l.lab.elemSize() + l.bin.total() * l.bin.elemSize();
            for (int k = 0; k < 4; ++k) n += l.cdist[k].total() * 4 + l.wt[k].total() * 4;
        }
        return n;
    }
};

Level make_level(const cv::Mat& rgb8, double scale, const CancelToken& cancel) {
    Level L;
    L.scale = scale;
    cv::Mat f;
    rgb8.convertTo(f, CV_32FC3, 1.0 / 255.0);
    cv::GaussianBlur(f, f, cv::Size(3, 3), 0.6);
    cv::cvtColor(f, L.lab, cv::COLOR_RGB2Lab);
    cancel.throw_if_cancelled();
    const int w = L.lab.cols, h = L.lab.rows;

    L.bin.create(h, w, CV_32S);
    auto level = [](float v, float lo, float range, int n) { return std::clamp(int((v - lo) / range * float(n)), 0, n - 1); };
    for (int y = 0; y < h; ++y) {
        const cv::Vec3f* p = L.lab.ptr<cv::Vec3f>(y);
        int32_t* b = L.bin.ptr<int32_t>(y);
        for (int x = 0; x < w; ++x)
            b[x] = (level(p[x][0], 0.f, 100.f, kBinsL) * kBinsAB + level(p[x][1], -110.f, 220.f, kBinsAB)) * kBinsAB +
                   level(p[x][2], -110.f, 220.f, kBinsAB);
    }

    double sum_sq = 0;
    int64_t count = 0;
    for (int k = 0; k < 4; ++k) {
        cancel.throw_if_cancelled();
        L.cdist[k] = cv::Mat::zeros(h, w, CV_32F);
        for (int y = 0; y < h; ++y) {
            const int y2 = y + kDy[k];
            if (y2 >= h) continue;
            const cv::Vec3f* p = L.lab.ptr<cv::Vec3f>(y);
            const cv::Vec3f* q = L.lab.ptr<cv::Vec3f>(y2);
            float* d = L.cdist[k].ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const int x2 = x + kDx[k];
                if (x2 < 0 || x2 >= w) continue;
                const cv::Vec3f diff = p[x] - q[x2];
                const float sq = diff.dot(diff);
                d[x] = std::sqrt(sq);
                sum_sq += sq;
                ++count;
            }
        }
    }
    double gradient_sum = 0;
    for (int y = 0; y < h; ++y) {
        const float* r = L.cdist[0].ptr<float>(y);
        const float* d = L.cdist[1].ptr<float>(y);
        for (int x = 0; x < w; ++x) gradient_sum += std::max(r[x], d[x]);
    }
    L.mean_gradient = float(gradient_sum / std::max(1.0, double(w) * h));
    // GrabCut's contrast normalisation: beta = 1 / (2 <|dI|^2>).
    const double beta = count > 0 && sum_sq > 0 ? 1.0 / (2.0 * sum_sq / double(count)) : 0.0;
    for (int k = 0; k < 4; ++k) {
        cancel.throw_if_cancelled();
        L.wt[k].create(h, w, CV_32F);
        const float len = (k >= 2) ? std::sqrt(2.f) : 1.f;
        for (int y = 0; y < h; ++y) {
            const float* d = L.cdist[k].ptr<float>(y);
            float* o = L.wt[k].ptr<float>(y);
            for (int x = 0; x < w; ++x) o[x] = float(std::exp(-beta * double(d[x]) * d[x])) / len;
        }
    }
    return L;
}

// Geodesic distance by raster scans: `dist` holds 0 (or an offset) at seeds and +inf elsewhere on
// input; every pixel gets the cheapest path cost, a step costing length * (the step cost of the pixel
// stepped onto: `step_cost` (CV_32F, ROI size) or params().geo_eps when empty) + colour difference.
void geodesic_distance(const Level& L, const cv::Rect& roi, cv::Mat& dist, const CancelToken& cancel,
                       const cv::Mat& step_cost = cv::Mat()) {
    const int w = roi.width, h = roi.height;
    const float eps0 = params().geo_eps;
    const float r2 = std::sqrt(2.f);
    auto cd = [&](int k, int x, int y) { return L.cdist[k].at<float>(y + roi.y, x + roi.x); };
    for (int pass = 0; pass < 2; ++pass) {
        cancel.throw_if_cancelled();
        for (int y = 0; y < h; ++y) {
            float* d = dist.ptr<float>(y);
            const float* up = y > 0 ? dist.ptr<float>(y - 1) : nullptr;
            const float* c0 = L.cdist[0].ptr<float>(y + roi.y) + roi.x;
            const float* sc = step_cost.empty() ? nullptr : step_cost.ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const float eps = sc ? sc[x] : eps0, diag = r2 * eps;
                float v = d[x];
                if (x > 0) v = std::min(v, d[x - 1] + eps + c0[x - 1]);
                if (up) {
                    v = std::min(v, up[x] + eps + cd(1, x, y - 1));
                    if (x > 0) v = std::min(v, up[x - 1] + diag + cd(2, x - 1, y - 1));
                    if (x + 1 < w) v = std::min(v, up[x + 1] + diag + cd(3, x + 1, y - 1));
                }
                d[x] = v;
            }
        }
        for (int y = h - 1; y >= 0; --y) {
            float* d = dist.ptr<float>(y);
            const float* down = y + 1 < h ? dist.ptr<float>(y + 1) : nullptr;
            const float* c0 = L.cdist[0].ptr<float>(y + roi.y) + roi.x;
            const float* sc = step_cost.empty() ? nullptr : step_cost.ptr<float>(y);
            for (int x = w - 1; x >= 0; --x) {
                const float eps = sc ? sc[x] : eps0, diag = r2 * eps;
                float v = d[x];
                if (x + 1 < w) v = std::min(v, d[x + 1] + eps + c0[x]);
                if (down) {
                    v = std::min(v, down[x] + eps + cd(1, x, y));
                    if (x + 1 < w) v = std::min(v, down[x + 1] + diag + cd(2, x, y));
                    if (x > 0) v = std::min(v, down[x - 1] + diag + cd(3, x, y));
                }
                d[x] = v;
            }
        }
    }
}

// The prompts drawn at one level: hard labels (0 none, 1 fg, 2 bg), box limits, previous mask.
struct Seeds {
    cv::Mat hard;       // CV_8U, level size
    cv::Mat prior;      // CV_32F fraction of the previous mask, empty if none
    cv::Rect box;       // union of the boxes at this level; empty if none
    bool any_fg = false;
    bool any_bg = false;
};

Seeds draw_seeds(const SegmentRequest& req, const Level& L) {
    const int w = L.lab.cols, h = L.lab.rows;
    const double s = L.scale;
    Seeds S;
    S.hard = cv::Mat::zeros(h, w, CV_8U);
    if (!req.boxes.empty()) {
        cv::Mat inside = cv::Mat::zeros(h, w, CV_8U);
        for (const BoxPrompt& b : req.boxes) {
            cv::Rect r(cv::Point(int(std::floor(b.x0 * s)), int(std::floor(b.y0 * s))),
                       cv::Point(int(std::ceil(b.x1 * s)), int(std::ceil(b.y1 * s))));
            r &= cv::Rect(0, 0, w, h);
            inside(r).setTo(1);
            S.box = S.box.area() > 0 ? (S.box | r) : r;
        }
        S.hard.setTo(2, inside == 0);
        S.any_bg = S.any_bg || cv::countNonZero(inside) < w * h;
    }
    const int radius = std::max(1, int(std::lround(kClickRadius * std::min(1.0, s * 1.0))));
    for (const ScribblePrompt& sc : req.scribbles) {
        const float rad = (sc.radius > 0 ? sc.radius * float(s) : kScribbleRadius);
        const int thick = std::max(1, int(std::lround(2 * rad)));
        std::vector<cv::Point> pts;
        for (const PointF& p : sc.points) pts.emplace_back(int(p.x * s), int(p.y * s));
        const uchar label = sc.positive ? 1 : 2;
        if (pts.size() == 1) {
            cv::circle(S.hard, pts[0], std::max(1, thick / 2), label, cv::FILLED);
        } else {
            cv::polylines(S.hard, pts, false, label, thick, cv::LINE_8);
        }
        (sc.positive ? S.any_fg : S.any_bg) = true;
    }
    // Clicks last: a click overrides strokes under it; later clicks override earlier ones.
    for (const PointPrompt& p : req.points) {
        const cv::Point c(std::clamp(int(p.x * s), 0, w - 1), std::clamp(int(p.y * s), 0, h - 1));
        cv::circle(S.hard, c, radius, p.positive ? 1 : 2, cv::FILLED);
        (p.positive ? S.any_fg : S.any_bg) = true;
    }
    // The exact click pixels stay what they were asked to be, whatever drew over their discs.
    for (const PointPrompt& p : req.points) {
        const cv::Point c(std::clamp(int(p.x * s), 0, w - 1), std::clamp(int(p.y * s), 0, h - 1));
        S.hard.at<uchar>(c) = p.positive ? 1 : 2;
    }
    if (req.input_mask) {
        const Mask& m = *req.input_mask;
        cv::Mat mm(m.height(), m.width(), CV_8U, const_cast<uint8_t*>(m.data()));
        cv::Mat f;
        mm.convertTo(f, CV_32F);
        if (f.cols != w || f.rows != h) cv::resize(f, S.prior, cv::Size(w, h), 0, 0, cv::INTER_AREA);
        else S.prior = f;
    }
    return S;
}

// Geodesic distances from the positive seeds, from the negative seeds, and (when `border_is_bg`)
// from the ROI border plus an offset: a weaker background seed. Absent seeds leave +inf.
void seed_distances(const Level& L, const cv::Mat& hard, const cv::Rect& roi, bool border_is_bg, float border_offset, cv::Mat& dpos,
                    cv::Mat& dneg, cv::Mat& dborder, const CancelToken& cancel, const cv::Mat& pos_step_cost = cv::Mat()) {
    const cv::Mat h = hard(roi);
    auto from = [&](cv::Mat& d, const cv::Mat& seeds, bool any, const cv::Mat& step_cost) {
        d.create(roi.size(), CV_32F);
        d.setTo(kInf);
        if (!any) return;
        d.setTo(0.f, seeds);
        geodesic_distance(L, roi, d, cancel, step_cost);
    };
    from(dpos, h == 1, true, pos_step_cost);
    from(dneg, h == 2, cv::countNonZero(h == 2) > 0, cv::Mat());
    dborder.create(roi.size(), CV_32F);
    dborder.setTo(kInf);
    if (border_is_bg) {
        const float off = border_offset;
        dborder.row(0).setTo(off);
        dborder.row(dborder.rows - 1).setTo(off);
        dborder.col(0).setTo(off);
        dborder.col(dborder.cols - 1).setTo(off);
        geodesic_distance(L, roi, dborder, cancel);
    }
}

// Smooths a colour histogram `passes` times over neighbouring bins ([1 2 1] along each axis, the ends
// renormalised) so unseen but close colours count.
void blur_histogram(std::vector<float>& h, int passes) {
    std::vector<float> o(h.size());
    auto blur_axis = [&](int stride, int axis) {
        const size_t outer = h.size() / (size_t(axis) * size_t(stride));
        for (size_t u = 0; u < outer; ++u)
            for (int c = 0; c < axis; ++c) {
                const size_t base = (u * size_t(axis) + size_t(c)) * size_t(stride);
                const float* mid = h.data() + base;
                const float* lo = c > 0 ? mid - stride : nullptr;
                const float* hi = c + 1 < axis ? mid + stride : nullptr;
                const float norm = 2.f + (lo ? 1.f : 0.f) + (hi ? 1.f : 0.f);
                float* out = o.data() + base;
                for (int k = 0; k < stride; ++k) {
                    float v = 2.f * mid[k];
                    if (lo) v += lo[k];
                    if (hi) v += hi[k];
                    out[k] = v / norm;
                }
            }
        h.swap(o);
    };
    for (int k = 0; k < passes; ++k) {
        blur_axis(1, kBinsAB);
        blur_axis(kBinsAB, kBinsAB);
        blur_axis(kBinsAB * kBinsAB, kBinsL);
    }
}

// The coarse (outline score) bin of a colour-histogram bin.
int coarse_bin(int bin) {
    const int l = bin / (kBinsAB * kBinsAB), a = bin / kBinsAB % kBinsAB, b = bin % kBinsAB;
    const int fl = kBinsL / kOutlineBins, fab = kBinsAB / kOutlineBins;
    return ((l / fl) * kOutlineBins + a / fab) * kOutlineBins + b / fab;
}

// Colour histogram (smoothed, normalised to log-probabilities) of the pixels where `weight` > 0,
// each counting its weight.
std::vector<float> colour_log_model(const cv::Mat& bin, const cv::Mat& weight) {
    std::vector<float> h(kHistSize, 0.f);
    for (int y = 0; y < bin.rows; ++y) {
        const int32_t* b = bin.ptr<int32_t>(y);
        const float* wr = weight.ptr<float>(y);
        for (int x = 0; x < bin.cols; ++x)
            if (wr[x] > 0) h[b[x]] += wr[x];
    }
    blur_histogram(h, kHistogramBlurPasses);
    double total = 0;
    for (float v : h) total += v;
    const double floor_mass = 1e-3;  // Dirichlet-like floor: every colour has some probability
    const double denom = total * (1 + floor_mass) + 1e-9, floor_bin = floor_mass * total / kHistSize + 1e-9;
    const float empty = float(std::log(floor_bin / denom));  // most bins: colours the image lacks
    std::vector<float> out(kHistSize);
    for (int i = 0; i < kHistSize; ++i) out[i] = h[i] == 0.f ? empty : float(std::log((h[i] + floor_bin) / denom));
    return out;
}

// Min cut on the ROI: returns CV_8U labels (1 fg) for the ROI.
cv::Mat graph_cut(const Level& L, const cv::Rect& roi, const cv::Mat& unary /*CV_32F, >0 favours fg*/,
                  const cv::Mat& hard) {
    const int w = roi.width, h = roi.height;
    cv::detail::GCGraph<float> g(unsigned(w * h), unsigned(8 * w * h));
    for (int i = 0; i < w * h; ++i) g.addVtx();
    const float big = 1e6f;
    for (int y = 0; y < h; ++y) {
        const float* u = unary.ptr<float>(y);
        const uchar* hd = hard.ptr<uchar>(y + roi.y) + roi.x;
        for (int x = 0; x < w; ++x) {
            const int i = y * w + x;
            if (hd[x] == 1) g.addTermWeights(i, big, 0);
            else if (hd[x] == 2) g.addTermWeights(i, 0, big);
            else g.addTermWeights(i, std::max(u[x], 0.f), std::max(-u[x], 0.f));
            for (int k = 0; k < 4; ++k) {
                const int x2 = x + kDx[k], y2 = y + kDy[k];
                if (x2 < 0 || x2 >= w || y2 >= h) continue;
                const float wgt = params().smooth_weight * L.wt[k].at<float>(y + roi.y, x + roi.x);
                g.addEdges(i, y2 * w + x2, wgt, wgt);
            }
        }
    }
    g.maxFlow();
    cv::Mat out(h, w, CV_8U);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) out.at<uchar>(y, x) = g.inSourceSegment(y * w + x) ? 1 : 0;
    return out;
}

// The colours around a click say what the object (positive) or the background (negative) looks
// like: a disc of radius click_sample_radius around each click adds click_sample_mass times the
// model's current mass to its colour model, shared by the clicks of that sign.
void add_click_samples(const SegmentRequest& req, const Level& L, const cv::Rect& roi, bool positive, float share,
                       cv::Mat& weight) {
    if (share <= 0) return;
    cv::Mat disc = cv::Mat::zeros(roi.size(), CV_8U);
    const int r = std::max(1, int(std::lround(params().click_sample_radius * L.scale)));
    for (const PointPrompt& p : req.points) {
        if (p.positive != positive) continue;
        const cv::Point c(std::clamp(int(p.x * L.scale), 0, L.lab.cols - 1), std::clamp(int(p.y * L.scale), 0, L.lab.rows - 1));
        for (int y = std::max(roi.y, c.y - r); y <= std::min(roi.y + roi.height - 1, c.y + r); ++y)
            for (int x = std::max(roi.x, c.x - r); x <= std::min(roi.x + roi.width - 1, c.x + r); ++x)
                if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) <= r * r) disc.at<uchar>(y - roi.y, x - roi.x) = 1;
    }
    const int n = cv::countNonZero(disc);
    if (n == 0) return;
    const double mass = cv::sum(weight)[0];
    weight.setTo(cv::Scalar(1.0 + share * std::max(mass, double(n)) / n), disc);
}

// The positive seeds' step cost (see geodesic_distance) for a correction: a step onto a pixel of the
// previous mask whose colour the previous mask (with the clicks' colour samples) calls object costs
// Params::prior_step_factor x geo_eps. What earlier clicks got then stays nearer to them than to a
// negative click beside a far part of it across a faint edge (a click between two long legs removed
// the legs, not only the gap), while a leak of the negative click's colour gets no such shortcut.
cv::Mat travel_along_prior(const SegmentRequest& req, const Level& L, const cv::Rect& roi, const cv::Mat& prior) {
    cv::Mat step_cost(roi.size(), CV_32F, cv::Scalar(params().geo_eps));
    const cv::Mat bins = L.bin(roi);
    cv::Mat wf = cv::Mat::zeros(roi.size(), CV_32F);
    wf.setTo(1.f, prior > 0.5f);
    cv::Mat wb = 1.f - wf;
    add_click_samples(req, L, roi, true, params().click_sample_mass, wf);
    add_click_samples(req, L, roi, false, params().click_sample_mass, wb);
    const std::vector<float> mf = colour_log_model(bins, wf), mb = colour_log_model(bins, wb);
    for (int y = 0; y < roi.height; ++y) {
        const float* pr = prior.ptr<float>(y);
        const int32_t* b = bins.ptr<int32_t>(y);
        float* sc = step_cost.ptr<float>(y);
        for (int x = 0; x < roi.width; ++x)
            if (pr[x] > 0.5f && mf[b[x]] > mb[b[x]]) sc[x] = params().geo_eps * params().prior_step_factor;
    }
    return step_cost;
}

// Full-resolution boundary refinement: a graph cut on level 0 restricted to a narrow band around
// the outline of `soft` (the cut's answer brought to level 0, values in [0, 1], `rect`-sized), with
// colour models re-fitted at level 0 to that answer. Pixels outside the band keep their label and
// act on the band through the smoothness term. `hard` is level 0's seed map (whole image).
cv::Mat refine_boundary(const Level& L, const cv::Rect& rect, const cv::Mat& soft, const cv::Mat& hard, int band,
                        float prior_weight) {
    const cv::Mat lab0 = soft > 0.5f;
    cv::Mat out = lab0 / 255;  // 0/1
    if (band <= 0) return out;
    const cv::Mat bins = L.bin(rect);
    cv::Mat wf, wb;
    out.convertTo(wf, CV_32F);
    wb = 1.f - wf;
    const std::vector<float> mf = colour_log_model(bins, wf), mb = colour_log_model(bins, wb);
    // Thin parts: object-coloured structures narrower than Params::thin_width connected to the
    // answer (legs, antennae, handles lost on the coarse level) join the band, and the cut decides.
    cv::Mat grown = lab0.clone();
    if (params().thin_width > 0) {
        cv::Mat fgcol(rect.size(), CV_8U);
        for (int y = 0; y < rect.height; ++y) {
            const int32_t* b = bins.ptr<int32_t>(y);
            uchar* o = fgcol.ptr<uchar>(y);
            for (int x = 0; x < rect.width; ++x) o[x] = mf[b[x]] > mb[b[x]] ? 255 : 0;
        }
        const int t = int(params().thin_width);
        cv::Mat opened;
        cv::morphologyEx(fgcol, opened, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(t, t)));
        const cv::Mat candidates = (fgcol & ~opened) | lab0;
        cv::Mat comp;
        const int nc = cv::connectedComponents(candidates, comp, 8, CV_32S);
        std::vector<char> keep(size_t(nc), 0);
        for (int y = 0; y < rect.height; ++y)
            for (int x = 0; x < rect.width; ++x)
                if (lab0.at<uchar>(y, x)) keep[size_t(comp.at<int>(y, x))] = 1;
        for (int y = 0; y < rect.height; ++y)
            for (int x = 0; x < rect.width; ++x) {
                const int c = comp.at<int>(y, x);
                if (c > 0 && keep[size_t(c)]) grown.at<uchar>(y, x) = 255;
            }
    }
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * band + 1, 2 * band + 1));
    cv::Mat dil, ero;
    cv::dilate(grown, dil, cross);
    cv::erode(lab0, ero, cross);
    const cv::Mat inband = dil & ~ero;
    const int n = cv::countNonZero(inband);
    if (n == 0) return out;
    cv::Mat idx(rect.size(), CV_32S, cv::Scalar(-1));
    int k = 0;
    for (int y = 0; y < rect.height; ++y)
        for (int x = 0; x < rect.width; ++x)
            if (inband.at<uchar>(y, x)) idx.at<int>(y, x) = k++;
    cv::detail::GCGraph<float> g(unsigned(n), unsigned(8 * n));
    for (int i = 0; i < n; ++i) g.addVtx();
    const float big = 1e6f;
    std::vector<float> src(size_t(n), 0.f), snk(size_t(n), 0.f);
    for (int y = 0; y < rect.height; ++y) {
        const int* ir = idx.ptr<int>(y);
        const float* sf = soft.ptr<float>(y);
        const int32_t* b = bins.ptr<int32_t>(y);
        const uchar* hd = hard.ptr<uchar>(y + rect.y) + rect.x;
        for (int x = 0; x < rect.width; ++x) {
            const int i = ir[x];
            if (i < 0) continue;
            if (hd[x] == 1) src[size_t(i)] += big;
            else if (hd[x] == 2) snk[size_t(i)] += big;
            else {
                const float u = params().colour_weight * std::clamp(mf[b[x]] - mb[b[x]], -params().colour_clip, params().colour_clip) +
                                prior_weight * (2.f * sf[x] - 1.f);
                src[size_t(i)] += std::max(u, 0.f);
                snk[size_t(i)] += std::max(-u, 0.f);
            }
        }
    }
    // Pairwise terms in all 8 directions: within the band as edges, to fixed pixels as terminal weights.
    for (int y = 0; y < rect.height; ++y)
        for (int x = 0; x < rect.width; ++x)
            for (int d = 0; d < 4; ++d) {
                const int x2 = x + kDx[d], y2 = y + kDy[d];
                if (x2 < 0 || x2 >= rect.width || y2 >= rect.height) continue;
                const int i = idx.at<int>(y, x), j = idx.at<int>(y2, x2);
                if (i < 0 && j < 0) continue;
                const float wgt = params().smooth_weight * L.wt[d].at<float>(y + rect.y, x + rect.x);
                if (i >= 0 && j >= 0) g.addEdges(i, j, wgt, wgt);
                else if (i >= 0) (out.at<uchar>(y2, x2) ? src : snk)[size_t(i)] += wgt;
                else (out.at<uchar>(y, x) ? src : snk)[size_t(j)] += wgt;
            }
    for (int i = 0; i < n; ++i) g.addTermWeights(i, src[size_t(i)], snk[size_t(i)]);
    g.maxFlow();
    for (int y = 0; y < rect.height; ++y)
        for (int x = 0; x < rect.width; ++x) {
            const int i = idx.at<int>(y, x);
            if (i >= 0) out.at<uchar>(y, x) = g.inSourceSegment(i) ? 1 : 0;
        }
    return out;
}

// Keeps the components of `label` (CV_8U 0/1) that hold a positive seed of `hard` (same size);
// leaves `label` as it is when none does.
void keep_connected_to_clicks(cv::Mat& label, const cv::Mat& hard) {
    cv::Mat comp;
    const int nc = cv::connectedComponents(label, comp, 8, CV_32S);
    std::vector<char> keep(size_t(nc), 0);
    bool any = false;
    for (int y = 0; y < label.rows; ++y)
        for (int x = 0; x < label.cols; ++x) {
            const int c = comp.at<int>(y, x);
            if (c > 0 && hard.at<uchar>(y, x) == 1) keep[size_t(c)] = 1, any = true;
        }
    if (!any) return;
    for (int y = 0; y < label.rows; ++y)
        for (int x = 0; x < label.cols; ++x) label.at<uchar>(y, x) = keep[size_t(comp.at<int>(y, x))] ? 1 : 0;
}

cv::Rect expand(const cv::Rect& r, float frac, int px, const cv::Size& bounds) {
    const int mx = int(r.width * frac) + px, my = int(r.height * frac) + px;
    cv::Rect e(r.x - mx, r.y - my, r.width + 2 * mx, r.height + 2 * my);
    return e & cv::Rect(0, 0, bounds.width, bounds.height);
}

cv::Rect scale_rect(const cv::Rect& r, double f, const cv::Size& bounds) {
    cv::Rect o(cv::Point(int(std::floor(r.x * f)), int(std::floor(r.y * f))),
               cv::Point(int(std::ceil((r.x + r.width) * f)), int(std::ceil((r.y + r.height) * f))));
    return o & cv::Rect(0, 0, bounds.width, bounds.height);
}

// What a request leaves open to the engine: how far the image border weighs as background, and how
// much the colours around the clicks weigh when there is no previous mask.
struct Variant {
    float border_offset;
    float first_click_sample_mass;
};

Variant default_variant() { return {params().border_offset, params().first_click_sample_mass}; }

// The first click's candidates: the default, more weight on the colours around the click (a
// multi-coloured object), and a farther border (a larger object). Chosen by cross-validation on
// stamps-bench's halves among five variants.
std::vector<Variant> first_click_variants() {
    const Variant d = default_variant();
    return {d, {d.border_offset, 20.f}, {60.f, d.first_click_sample_mass}};
}

bool is_first_click(const SegmentRequest& req) {
    return req.points.size() == 1 && req.points[0].positive && !req.input_mask && req.boxes.empty() &&
           req.scribbles.empty() && req.mask_prompts.empty();
}

// How much a mask looks like an object: the mean colour edge along its outline (relative to the
// image's mean) plus kOutlineSeparationWeight x how unlike each other the colours just inside and
// just outside the outline are (1 - histogram intersection, 8 levels per Lab channel), in a band of
// max(3, 0.1 sqrt(area)) pixels. Measured on level 0.
const double kOutlineSeparationWeight = 2.0;

double outline_score(const Level& L, const Mask& mask) {
    cv::Mat m(mask.height(), mask.width(), CV_8U, const_cast<uint8_t*>(mask.data()));
    if (m.size() != L.lab.size()) {
        cv::Mat small;
        cv::resize(m, small, L.lab.size(), 0, 0, cv::INTER_NEAREST);
        m = small;
    }
    const int area = cv::countNonZero(m);
    if (area == 0) return 0;
    const int band = std::max(3, int(0.1 * std::sqrt(double(area))));
    const cv::Rect box = expand(cv::boundingRect(m), 0.f, band + 1, m.size());
    const cv::Mat roi = m(box) != 0;
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
    cv::Mat eroded1, eroded, dilated;
    cv::erode(roi, eroded1, cross);
    cv::erode(roi, eroded, cross, cv::Point(-1, -1), band);
    cv::dilate(roi, dilated, cross, cv::Point(-1, -1), band);
    const cv::Mat outline = roi & ~eroded1, inside = roi & ~eroded, outside = dilated & ~roi;
    double edge = 0;
    int edge_n = 0;
    const size_t coarse_size = size_t(kOutlineBins) * kOutlineBins * kOutlineBins;
    std::vector<double> hin(coarse_size, 0.0), hout(coarse_size, 0.0);
    double nin = 0, nout = 0;
    for (int y = 0; y < box.height; ++y)
        for (int x = 0; x < box.width; ++x) {
            const int X = x + box.x, Y = y + box.y;
            if (outline.at<uchar>(y, x)) {
                edge += std::max(L.cdist[0].at<float>(Y, X), L.cdist[1].at<float>(Y, X));
                ++edge_n;
            }
            const int b8 = coarse_bin(L.bin.at<int32_t>(Y, X));
            if (inside.at<uchar>(y, x)) hin[size_t(b8)] += 1, nin += 1;
            if (outside.at<uchar>(y, x)) hout[size_t(b8)] += 1, nout += 1;
        }
    double overlap = 0;
    for (size_t i = 0; i < hin.size(); ++i) overlap += std::min(hin[i] / std::max(1.0, nin), hout[i] / std::max(1.0, nout));
    const double mean_edge = edge_n > 0 ? edge / edge_n : 0.0;
    return mean_edge / std::max(1e-6, double(L.mean_gradient)) + kOutlineSeparationWeight * (1.0 - overlap);
}

// A correction answers one click; what else it changes is the cut re-deciding the rest of the
// previous mask. Small far changes are mostly outline trims, but a positive click can drop a whole
// part (the cut keeps only what is connected to a positive click, so a part of the previous mask
// that no click touches goes; on stamps-bench's orca a click near the tail kept the tail only)
// and a negative click can bring in a far region. So each connected part of what a positive
// click removed from the previous mask (of what a negative click added to it) that comes no nearer
// than Params::local_change_radius to the newest click (the request's last point) and is larger
// than Params::far_change_frac of the previous mask goes back to the previous mask. Changes of the
// click's own kind stay wherever they are (one negative click removes its colour everywhere).
void keep_changes_at_newest_click(const SegmentRequest& req, cv::Mat& full) {
    const Mask& pm = *req.input_mask;
    const cv::Mat prev = cv::Mat(pm.height(), pm.width(), CV_8U, const_cast<uint8_t*>(pm.data())) != 0;
    const PointPrompt& c = req.points.back();
    const cv::Mat now = full != 0;
    const cv::Mat change = c.positive ? (prev & ~now) : (now & ~prev);
    cv::Mat comp;
    const int nc = cv::connectedComponents(change, comp, 8, CV_32S);
    if (nc <= 1) return;
    std::vector<int> area(size_t(nc), 0);
    for (int y = 0; y < full.rows; ++y) {
        const int* cr = comp.ptr<int>(y);
        for (int x = 0; x < full.cols; ++x) ++area[size_t(cr[x])];
    }
    const double limit = params().far_change_frac * std::max(1, cv::countNonZero(prev));
    std::vector<char> keep(size_t(nc), 0);
    for (int i = 1; i < nc; ++i) keep[size_t(i)] = area[size_t(i)] <= limit;
    const int cx = std::clamp(int(c.x), 0, full.cols - 1), cy = std::clamp(int(c.y), 0, full.rows - 1);
    const int rad = int(params().local_change_radius);
    for (int y = std::max(0, cy - rad); y <= std::min(full.rows - 1, cy + rad); ++y)
        for (int x = std::max(0, cx - rad); x <= std::min(full.cols - 1, cx + rad); ++x)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad) keep[size_t(comp.at<int>(y, x))] = 1;
    for (int y = 0; y < full.rows; ++y) {
        const int* cr = comp.ptr<int>(y);
        uchar* o = full.ptr<uchar>(y);
        for (int x = 0; x < full.cols; ++x)
            if (cr[x] > 0 && !keep[size_t(cr[x])]) o[x] = c.positive ? 1 : 0;
    }
}

class ClassicEngine : public Engine {
public:
    std::string name() const override { return "classic"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.tasks[Task::Interactive] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Box,
                                      PromptKind::Scribble, PromptKind::NegativeScribble, PromptKind::Mask};
        return c;
    }

    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override {
        if (image.empty() || image.rgb.size() != size_t(image.width) * image.height * 3)
            throw Error("classic engine: the image is empty or its pixel buffer has the wrong size");
        cancel.throw_if_cancelled();
        StopWatch sw;
        auto P = std::make_shared<ClassicPrepared>();
        P->width = image.width;
        P->height = image.height;
        cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
        double scale = 1.0;
        const int long_side = std::max(image.width, image.height);
        cv::Mat work = rgb;
        if (long_side > kMaxWorkingSide) {
            scale = double(kMaxWorkingSide) / long_side;
            cv::resize(rgb, work, cv::Size(std::max(1, int(std::lround(image.width * scale))),
                                           std::max(1, int(std::lround(image.height * scale)))),
                       0, 0, cv::INTER_AREA);
        }
        P->timings.push_back({"prepare.resize", sw.lap_ms()});
        cancel.throw_if_cancelled();
        while (true) {
            cancel.throw_if_cancelled();
            const double sx = double(work.cols) / image.width;
            P->levels.push_back(make_level(work, sx, cancel));
            if (work.total() <= size_t(params().max_cut_pixels) || std::min(work.cols, work.rows) < 32) break;
            cv::Mat half;
            cv::resize(work, half, cv::Size((work.cols + 1) / 2, (work.rows + 1) / 2), 0, 0, cv::INTER_AREA);
            work = half;
        }
        P->timings.push_back({"prepare.levels", sw.lap_ms()});
        return P;
    }

    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& req, const CancelToken& cancel) override {
        const auto* P = dynamic_cast<const ClassicPrepared*>(&prepared);
        if (!P) throw Error("classic engine: the prepared image was made by another engine");
        const std::string problem = check(req, P->width, P->height);
        if (!problem.empty()) throw Error(problem);
        cancel.throw_if_cancelled();
        if (!is_first_click(req)) return segment_with(P, req, default_variant(), cancel);

        // A single click says little about the object's extent: try each first-click variant and
        // keep the mask with the best outline (strong edges, colours unlike its surroundings).
        StopWatch sw;
        SegmentResult best;
        double best_score = -1;
        for (const Variant& v : first_click_variants()) {
            SegmentResult r = segment_with(P, req, v, cancel);
            const double score = outline_score(P->levels[0], r.instances[0].mask);
            if (score > best_score) best_score = score, best = std::move(r);
        }
        // The stages of an answer add up to its time (a hover preview reads them as such): this one
        // is what the other variants and the scoring cost on top of the kept variant's stages.
        double kept_ms = 0;
        for (const StageTiming& t : best.timings) kept_ms += t.ms;
        best.timings.push_back({"segment.first_click_choice", sw.elapsed_ms() - kept_ms});
        return best;
    }

private:
    SegmentResult segment_with(const ClassicPrepared* P, const SegmentRequest& req, const Variant& v,
                               const CancelToken& cancel) const;
};

SegmentResult ClassicEngine::segment_with(const ClassicPrepared* P, const SegmentRequest& req, const Variant& v,
                                          const CancelToken& cancel) const {
    SegmentResult result;
    StopWatch sw;
    const bool has_box = !req.boxes.empty();

    // 2. Extent on the coarsest level.
    const Level& C = P->levels.back();
    const cv::Size csize(C.lab.cols, C.lab.rows);
    Seeds cs = draw_seeds(req, C);
    cv::Rect focus;  // region expected to hold the object, at the coarse level
    auto add_focus = [&](const cv::Rect& r) {
        if (r.area() > 0) focus = focus.area() > 0 ? (focus | r) : r;
    };
    if (cs.any_fg) {
        cv::Mat dpos, dneg, dborder;
        seed_distances(C, cs.hard, cv::Rect(0, 0, csize.width, csize.height), !has_box, v.border_offset, dpos, dneg, dborder,
                       cancel);
        cv::Mat near = (dpos < cv::min(dneg, dborder));
        add_focus(cv::boundingRect(near));
        add_focus(cv::boundingRect(cs.hard == 1));
    }
    if (!cs.prior.empty()) add_focus(cv::boundingRect(cs.prior > 0.5f));
    if (has_box) add_focus(cs.box);
    if (focus.area() == 0) focus = cv::Rect(0, 0, csize.width, csize.height);
    cv::Rect roi_c = has_box && !cs.any_fg && cs.prior.empty()
                         ? expand(cs.box, 0.1f, 4, csize)
                         : expand(focus, params().roi_margin_frac, std::max(2, int(params().roi_margin_px * C.scale / P->levels[0].scale)), csize);
    if (has_box) roi_c &= expand(cs.box, 0.f, 2, csize);
    result.timings.push_back({"segment.extent", sw.lap_ms()});
    cancel.throw_if_cancelled();

    // 3. Pick the finest level whose ROI fits the cut budget.
    size_t li = 0;
    cv::Rect roi;
    for (; li < P->levels.size(); ++li) {
        const Level& L = P->levels[li];
        roi = scale_rect(roi_c, L.scale / C.scale, cv::Size(L.lab.cols, L.lab.rows));
        if (roi.area() <= int(params().max_cut_pixels)) break;
    }
    if (li == P->levels.size()) li = P->levels.size() - 1;
    const Level& L = P->levels[li];
    const Seeds S = (li + 1 == P->levels.size()) ? cs : draw_seeds(req, L);
    const bool border_bg = !has_box;
    cv::Mat dpos, dneg, dborder;
    if (S.any_fg) {
        // Seeds outside the ROI do not reach it; the ROI border is a weak background like the image's.
        const cv::Mat pos_step_cost = S.prior.empty() ? cv::Mat() : travel_along_prior(req, L, roi, S.prior(roi));
        seed_distances(L, S.hard, roi, border_bg, v.border_offset, dpos, dneg, dborder, cancel, pos_step_cost);
    }
    result.timings.push_back({"segment.geodesic", sw.lap_ms()});
    cancel.throw_if_cancelled();

    const cv::Mat bins = L.bin(roi);
    const cv::Mat hard = S.hard;
    cv::Mat prior = S.prior.empty() ? cv::Mat() : S.prior(roi).clone();
    // Geodesic balance in [-1, 1] (> 0: closer to the positive seeds).
    cv::Mat geo = cv::Mat::zeros(roi.size(), CV_32F);
    if (S.any_fg) {
        for (int y = 0; y < roi.height; ++y) {
            const float* p = dpos.ptr<float>(y);
            const float* n = dneg.ptr<float>(y);
            const float* bd = dborder.ptr<float>(y);
            float* pr = prior.empty() ? nullptr : prior.ptr<float>(y);
            float* g = geo.ptr<float>(y);
            for (int x = 0; x < roi.width; ++x) {
                const float a = std::min(p[x], 1e6f), b = std::min(std::min(n[x], bd[x]), 1e6f);
                g[x] = (b - a) / (a + b + 1.f);
                // What a negative seed reaches before any positive one leaves the previous mask.
                if (pr && params().neg_removes_prior > 0 && n[x] < p[x]) pr[x] = 0.f;
            }
        }
    }
    // Initial labelling for the colour models.
    cv::Mat label(roi.size(), CV_8U);
    for (int y = 0; y < roi.height; ++y) {
        const uchar* hd = hard.ptr<uchar>(y + roi.y) + roi.x;
        const float* g = geo.ptr<float>(y);
        const float* pr = prior.empty() ? nullptr : prior.ptr<float>(y);
        uchar* o = label.ptr<uchar>(y);
        for (int x = 0; x < roi.width; ++x) {
            bool fg;
            if (pr) fg = pr[x] > 0.5f || (S.any_fg && g[x] > 0.f && pr[x] > 0.f);
            else if (S.any_fg) fg = g[x] > 0.f;
            else fg = true;  // box only: everything inside the box
            if (hd[x] == 1) fg = true;
            if (hd[x] == 2) fg = false;
            o[x] = fg ? 1 : 0;
        }
    }
    result.timings.push_back({"segment.init", sw.lap_ms()});

    cv::Mat unary(roi.size(), CV_32F);
    for (int it = 0; it < int(params().cut_iterations); ++it) {
        cancel.throw_if_cancelled();
        cv::Mat wf, wb;
        label.convertTo(wf, CV_32F);
        wb = 1.f - wf;
        const float share = req.input_mask ? params().click_sample_mass : v.first_click_sample_mass;
        add_click_samples(req, L, roi, true, share, wf);
        add_click_samples(req, L, roi, false, share, wb);
        const std::vector<float> mf = colour_log_model(bins, wf);
        const std::vector<float> mb = colour_log_model(bins, wb);
        for (int y = 0; y < roi.height; ++y) {
            const int32_t* b = bins.ptr<int32_t>(y);
            const float* g = geo.ptr<float>(y);
            const float* pr = prior.empty() ? nullptr : prior.ptr<float>(y);
            float* u = unary.ptr<float>(y);
            for (int x = 0; x < roi.width; ++x) {
                float v = params().colour_weight * std::clamp(mf[b[x]] - mb[b[x]], -params().colour_clip, params().colour_clip);
                if (S.any_fg) v += params().geo_weight * g[x];
                if (pr) v += params().prior_weight * (2.f * pr[x] - 1.f);
                u[x] = v;
            }
        }
        cancel.throw_if_cancelled();
        label = graph_cut(L, roi, unary, hard);
    }
    result.timings.push_back({"segment.graphcut", sw.lap_ms()});
    cancel.throw_if_cancelled();

    // 4. Keep what is connected to a positive seed (or, without any, to the previous mask / the largest part).
    cv::Mat comp;
    const int ncomp = cv::connectedComponents(label, comp, 8, CV_32S);
    std::vector<char> keep(size_t(ncomp), 0);
    bool any_kept = false;
    for (int y = 0; y < roi.height; ++y) {
        const uchar* hd = hard.ptr<uchar>(y + roi.y) + roi.x;
        const int* c = comp.ptr<int>(y);
        const float* pr = prior.empty() ? nullptr : prior.ptr<float>(y);
        for (int x = 0; x < roi.width; ++x) {
            if (c[x] == 0) continue;
            if (hd[x] == 1 || (!S.any_fg && pr && pr[x] > 0.5f)) keep[size_t(c[x])] = 1, any_kept = true;
        }
    }
    if (!any_kept && ncomp > 1) {
        std::vector<int> area(size_t(ncomp), 0);
        for (int y = 0; y < roi.height; ++y)
            for (int x = 0; x < roi.width; ++x) ++area[size_t(comp.at<int>(y, x))];
        int best = 1;
        for (int c = 2; c < ncomp; ++c)
            if (area[size_t(c)] > area[size_t(best)]) best = c;
        keep[size_t(best)] = 1;
    }
    double conf_sum = 0;
    int64_t conf_n = 0;
    for (int y = 0; y < roi.height; ++y) {
        const int* c = comp.ptr<int>(y);
        uchar* o = label.ptr<uchar>(y);
        const float* u = unary.ptr<float>(y);
        for (int x = 0; x < roi.width; ++x) {
            o[x] = keep[size_t(c[x])] ? 1 : 0;
            if (o[x]) conf_sum += 1.0 / (1.0 + std::exp(-double(u[x]))), ++conf_n;
        }
    }

    // Back to the image size.
    Mask out(P->width, P->height);
    cv::Mat full(P->height, P->width, CV_8U, out.data());
    if (li > 0 && params().band_radius > 0) {
        // The cut ran on a coarser level: cut the outline again on level 0, in a narrow band.
        const Level& L0 = P->levels[0];
        const cv::Rect r0 = scale_rect(roi, L0.scale / L.scale, cv::Size(L0.lab.cols, L0.lab.rows));
        cv::Mat f, up;
        label.convertTo(f, CV_32F);
        cv::resize(f, up, r0.size(), 0, 0, cv::INTER_LINEAR);
        const Seeds S0 = draw_seeds(req, L0);
        label = refine_boundary(L0, r0, up, S0.hard, int(params().band_radius), params().band_prior_weight);
        keep_connected_to_clicks(label, S0.hard(r0));
        roi = r0;
        li = 0;
    }
    const Level& LF = P->levels[li];
    if (std::abs(LF.scale - 1.0) < 1e-9) {
        label.copyTo(full(roi));
    } else {
        const cv::Rect dst = scale_rect(roi, 1.0 / LF.scale, full.size());
        cv::Mat f, up;
        label.convertTo(f, CV_32F);
        cv::resize(f, up, dst.size(), 0, 0, cv::INTER_LINEAR);
        cv::Mat bin8 = up > 0.5f;
        bin8.setTo(1, bin8);
        bin8.copyTo(full(dst));
    }
    // Only for clicks alone: with a box or scribbles in the request its last point need not be the
    // newest prompt, and a box's outside is background whatever the previous mask had there.
    if (req.input_mask && !req.points.empty() && req.scribbles.empty() && req.boxes.empty() && req.mask_prompts.empty())
        keep_changes_at_newest_click(req, full);
    // Clicks are honoured exactly at image resolution.
    for (const PointPrompt& p : req.points) out.set(int(p.x), int(p.y), p.positive);
    result.timings.push_back({"segment.post", sw.lap_ms()});

    InstanceResult inst;
    inst.mask = std::move(out);
    inst.score = conf_n > 0 ? float(conf_sum / double(conf_n)) : 0.f;
    inst.label = "";
    result.instances.push_back(std::move(inst));
    return result;
}

}  // namespace

void register_classic_engine(EngineRegistry& registry) {
    registry.add("classic",
                 "OpenCV graph cut with geodesic seeds and colour models; points, boxes, scribbles, mask "
                 "refinement; no weights needed",
                 [](const EngineOptions& options) -> std::unique_ptr<Engine> {
                     for (const auto& kv : options) {
                         if (kv.first == "device" && kv.second != "cpu" && !kv.second.empty())
                             throw Error("the classic engine runs on the CPU only (device '" + kv.second + "')");
                         if (kv.first != "device" && kv.first != "threads")
                             throw Error("the classic engine takes no option '" + kv.first + "'");
                     }
                     return std::make_unique<ClassicEngine>();
                 });
}

}  // namespace xs
