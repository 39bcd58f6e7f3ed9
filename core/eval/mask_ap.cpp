#include "core/eval/mask_ap.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "core/util/error.h"

namespace xs::eval {

namespace {

constexpr int kMaxDets[3] = {1, 10, 100};
constexpr double kNoValue = -1.0;

// The thresholds as numpy.linspace computes them (start + i * step, the last one exact), so that the
// recall points compare with recalls bit for bit as in COCOeval.
std::vector<double> linspace(double start, double stop, int n) {
    std::vector<double> v(static_cast<size_t>(n));
    const double step = (stop - start) / double(n - 1);
    for (int i = 0; i < n; ++i) v[size_t(i)] = double(i) * step + start;
    v[size_t(n - 1)] = stop;
    return v;
}

const std::vector<double>& iou_thresholds() {
    static const std::vector<double> t = linspace(0.5, 0.95, 10);
    return t;
}

// COCOeval's area ranges [all, small, medium, large]: [0, 1e5^2], [0, 32^2], [32^2, 96^2], [96^2, 1e5^2].
const double kAreaLow[4] = {0.0, 0.0, 1024.0, 9216.0};
const double kAreaHigh[4] = {1e10, 1024.0, 9216.0, 1e10};

bool outside(double area, int range) { return area < kAreaLow[range] || area > kAreaHigh[range]; }

// Indices of `n` items sorted by key, highest first, ties in their given order (numpy's mergesort of
// the negated key).
template <typename Key>
std::vector<size_t> stable_order_desc(size_t n, Key key) {
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
    return idx;
}

}  // namespace

const std::array<const char*, MaskApSummary::kStats>& MaskApSummary::names() {
    static const std::array<const char*, kStats> n = {"AP",    "AP50",  "AP75",  "APs",  "APm",  "APl",
                                                      "AR1",   "AR10",  "AR100", "ARs",  "ARm",  "ARl"};
    return n;
}

int64_t rle_intersection_area(const Rle& a, const Rle& b) {
    if (a.height != b.height || a.width != b.width)
        throw Error("rle_intersection_area: masks of different sizes (" + std::to_string(a.width) + "x" +
                    std::to_string(a.height) + " and " + std::to_string(b.width) + "x" + std::to_string(b.height) + ")");
    // Walk both run lists at once; a run of each alternates zeros and ones, starting with zeros.
    size_t ia = 0, ib = 0;
    uint64_t left_a = a.counts.empty() ? 0 : a.counts[0];
    uint64_t left_b = b.counts.empty() ? 0 : b.counts[0];
    int64_t inter = 0;
    while (true) {
        while (left_a == 0 && ia + 1 < a.counts.size()) left_a = a.counts[++ia];
        while (left_b == 0 && ib + 1 < b.counts.size()) left_b = b.counts[++ib];
        if (left_a == 0 || left_b == 0) break;
        const uint64_t step = std::min(left_a, left_b);
        if ((ia % 2 == 1) && (ib % 2 == 1)) inter += int64_t(step);
        left_a -= step;
        left_b -= step;
    }
    return inter;
}

double rle_iou(const Rle& dt, const Rle& gt, bool gt_is_crowd) {
    const int64_t inter = rle_intersection_area(dt, gt);
    if (inter == 0) return 0.0;
    const int64_t dt_area = rle_area(dt);
    const int64_t uni = gt_is_crowd ? dt_area : dt_area + rle_area(gt) - inter;
    return double(inter) / double(uni);
}

MaskApEvaluator::MaskApEvaluator(std::vector<int64_t> category_ids) {
    std::sort(category_ids.begin(), category_ids.end());
    category_ids.erase(std::unique(category_ids.begin(), category_ids.end()), category_ids.end());
    categories_ = std::move(category_ids);
    evals_.resize(categories_.size());
}

void MaskApEvaluator::add_image(int64_t image_id, const std::vector<GroundTruthInstance>& ground_truth,
                                const std::vector<Detection>& detections) {
    if (std::find(images_.begin(), images_.end(), image_id) != images_.end())
        throw Error("mask AP: image " + std::to_string(image_id) + " was added twice");
    images_.push_back(image_id);
    for (size_t k = 0; k < categories_.size(); ++k) {
        std::vector<const GroundTruthInstance*> gt;
        std::vector<const Detection*> dt;
        for (const GroundTruthInstance& g : ground_truth)
            if (g.category_id == categories_[k]) gt.push_back(&g);
        for (const Detection& d : detections)
            if (d.category_id == categories_[k]) dt.push_back(&d);
        if (gt.empty() && dt.empty()) continue;  // COCOeval: no record for this image and category
        evaluate_category(image_id, k, gt, dt);
    }
}

// COCOeval.computeIoU + evaluateImg for one image and category, for every area range.
void MaskApEvaluator::evaluate_category(int64_t image_id, size_t k, const std::vector<const GroundTruthInstance*>& gt,
                                        const std::vector<const Detection*>& dt_given) {
    const std::vector<size_t> by_score = stable_order_desc(dt_given.size(), [&](size_t i) { return dt_given[i]->score; });
    std::vector<const Detection*> dt;
    for (size_t i = 0; i < by_score.size() && i < size_t(kMaxDets[2]); ++i) dt.push_back(dt_given[by_score[i]]);
    const size_t D = dt.size(), G = gt.size();
    std::vector<double> iou(D * G);  // [detection][ground truth], ground truth in the given order
    for (size_t d = 0; d < D; ++d)
        for (size_t g = 0; g < G; ++g) iou[d * G + g] = rle_iou(dt[d]->mask, gt[g]->mask, gt[g]->iscrowd);
    std::vector<double> dt_area(D);
    for (size_t d = 0; d < D; ++d) dt_area[d] = double(rle_area(dt[d]->mask));

    const std::vector<double>& thresholds = iou_thresholds();
    for (int a = 0; a < kAreaRanges; ++a) {
        std::vector<uint8_t> ignore_given(G);
        for (size_t g = 0; g < G; ++g) ignore_given[g] = gt[g]->iscrowd || outside(gt[g]->area, a);
        // Ground truth sorted with the ignored last (stable).
        std::vector<size_t> order(G);
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return ignore_given[x] < ignore_given[y]; });

        ImageEval e;
        e.image_id = image_id;
        for (size_t d = 0; d < D; ++d) e.scores.push_back(dt[d]->score);
        e.matched.assign(size_t(kThresholds) * D, 0);
        e.ignored.assign(size_t(kThresholds) * D, 0);
        for (size_t g = 0; g < G; ++g) e.counted_ground_truth += ignore_given[g] ? 0 : 1;

        for (int t = 0; t < kThresholds; ++t) {
            std::vector<uint8_t> gt_taken(G, 0);
            for (size_t d = 0; d < D; ++d) {
                double best = std::min(thresholds[size_t(t)], 1.0 - 1e-10);
                long m = -1;  // position in `order`
                for (size_t j = 0; j < G; ++j) {
                    const size_t g = order[j];
                    if (gt_taken[j] && !gt[g]->iscrowd) continue;
                    if (m > -1 && !ignore_given[order[size_t(m)]] && ignore_given[g]) break;
                    if (iou[d * G + g] < best) continue;
                    best = iou[d * G + g];
                    m = long(j);
                }
                if (m == -1) continue;
                const size_t g = order[size_t(m)];
                e.ignored[size_t(t) * D + d] = ignore_given[g];
                e.matched[size_t(t) * D + d] = gt[g]->id != 0;  // COCOeval stores the id; 0 reads as "no match"
                gt_taken[size_t(m)] = 1;
            }
            for (size_t d = 0; d < D; ++d) {
                uint8_t& ig = e.ignored[size_t(t) * D + d];
                if (!e.matched[size_t(t) * D + d] && outside(dt_area[d], a)) ig = 1;
            }
        }
        evals_[k][size_t(a)].push_back(std::move(e));
    }
}

// COCOeval.accumulate() for one category, area range and detection limit: precision at the recall
// points ([threshold][recall point]) and the recall reached ([threshold]). `counted` > 0.
void MaskApEvaluator::accumulate(const std::vector<const ImageEval*>& E, int64_t counted, size_t max_det,
                                 std::vector<double>& precision, std::vector<double>& recall) {
    static const std::vector<double> rec_thr = linspace(0.0, 1.0, kRecallPoints);
    const double eps = 2.220446049250313e-16;  // numpy.spacing(1)
    struct Ref {
        const ImageEval* e;
        size_t d;
    };
    std::vector<Ref> dets;  // images in id order, each image's best max_det
    for (const ImageEval* e : E)
        for (size_t d = 0; d < e->scores.size() && d < max_det; ++d) dets.push_back({e, d});
    const std::vector<size_t> order = stable_order_desc(dets.size(), [&](size_t i) { return dets[i].e->scores[dets[i].d]; });
    const size_t nd = dets.size();
    precision.assign(size_t(kThresholds) * kRecallPoints, 0.0);
    recall.assign(size_t(kThresholds), 0.0);
    for (size_t t = 0; t < size_t(kThresholds); ++t) {
        std::vector<double> rc(nd), pr(nd);
        double tp = 0, fp = 0;
        for (size_t i = 0; i < nd; ++i) {
            const Ref& r = dets[order[i]];
            const size_t D = r.e->scores.size();
            const bool matched = r.e->matched[t * D + r.d], ignored = r.e->ignored[t * D + r.d];
            if (!ignored) (matched ? tp : fp) += 1.0;
            rc[i] = tp / double(counted);
            pr[i] = tp / (fp + tp + eps);
        }
        recall[t] = nd ? rc[nd - 1] : 0.0;
        for (size_t i = nd; i-- > 1;)
            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        for (size_t ri = 0; ri < size_t(kRecallPoints); ++ri) {
            const size_t pi = size_t(std::lower_bound(rc.begin(), rc.end(), rec_thr[ri]) - rc.begin());
            precision[t * kRecallPoints + ri] = pi < nd ? pr[pi] : 0.0;  // COCOeval leaves 0 past the last recall
        }
    }
}

MaskApSummary MaskApEvaluator::summarize() const {
    // COCOeval.summarize() averages the precision entries that are not -1 (categories with ground
    // truth) over thresholds, recall points and categories; the sums are kept per area range and
    // detection limit instead of the whole [T, R, K, A, M] array.
    struct Mean {
        double sum = 0;
        int64_t n = 0;
        void add(double v) { sum += v, ++n; }
        double value() const { return n ? sum / double(n) : kNoValue; }
    };
    Mean ap[kAreaRanges][3], ap_at[kThresholds][kAreaRanges][3], ar[kAreaRanges][3];
    MaskApSummary s;
    std::vector<double> precision, recall;
    for (size_t k = 0; k < categories_.size(); ++k) {
        Mean per_category;
        for (int a = 0; a < kAreaRanges; ++a) {
            std::vector<const ImageEval*> E;
            for (const ImageEval& e : evals_[k][size_t(a)]) E.push_back(&e);
            std::stable_sort(E.begin(), E.end(), [](const ImageEval* x, const ImageEval* y) { return x->image_id < y->image_id; });
            int64_t counted = 0;
            for (const ImageEval* e : E) counted += e->counted_ground_truth;
            if (counted <= 0) continue;  // no precision without ground truth to find (-1)
            for (int m = 0; m < 3; ++m) {
                accumulate(E, counted, size_t(kMaxDets[m]), precision, recall);
                for (int t = 0; t < kThresholds; ++t) {
                    for (int r = 0; r < kRecallPoints; ++r) {
                        const double v = precision[size_t(t) * kRecallPoints + size_t(r)];
                        ap[a][m].add(v);
                        ap_at[t][a][m].add(v);
                        if (a == 0 && m == 2) per_category.add(v);
                    }
                    ar[a][m].add(recall[size_t(t)]);
                }
            }
        }
        if (per_category.n) s.ap_per_category[categories_[k]] = per_category.value();
    }
    // AP50 and AP75 are thresholds 0 and 5 (numpy's linspace gives 0.75 exactly there).
    s.stats = {ap[0][2].value(),       ap_at[0][0][2].value(), ap_at[5][0][2].value(), ap[1][2].value(),
               ap[2][2].value(),       ap[3][2].value(),       ar[0][0].value(),       ar[0][1].value(),
               ar[0][2].value(),       ar[1][2].value(),       ar[2][2].value(),       ar[3][2].value()};
    return s;
}

nlohmann::json MaskApEvaluator::to_json() const {
    nlohmann::json j;
    j["categories"] = categories_;
    j["images"] = images_;
    nlohmann::json evals = nlohmann::json::array();
    for (size_t k = 0; k < categories_.size(); ++k)
        for (int a = 0; a < kAreaRanges; ++a)
            for (const ImageEval& e : evals_[k][size_t(a)]) {
                evals.push_back({{"category", categories_[k]},
                                 {"area_range", a},
                                 {"image", e.image_id},
                                 {"scores", e.scores},
                                 {"matched", e.matched},
                                 {"ignored", e.ignored},
                                 {"counted_ground_truth", e.counted_ground_truth}});
            }
    j["evaluations"] = std::move(evals);
    return j;
}

MaskApEvaluator MaskApEvaluator::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        MaskApEvaluator ev(j.at("categories").get<std::vector<int64_t>>());
        ev.images_ = j.at("images").get<std::vector<int64_t>>();
        for (const nlohmann::json& x : j.at("evaluations")) {
            const int64_t cat = x.at("category").get<int64_t>();
            const int a = x.at("area_range").get<int>();
            const auto it = std::lower_bound(ev.categories_.begin(), ev.categories_.end(), cat);
            if (it == ev.categories_.end() || *it != cat || a < 0 || a >= kAreaRanges)
                throw Error("an evaluation names category " + std::to_string(cat) + ", area range " + std::to_string(a));
            ImageEval e;
            e.image_id = x.at("image").get<int64_t>();
            e.scores = x.at("scores").get<std::vector<double>>();
            e.matched = x.at("matched").get<std::vector<uint8_t>>();
            e.ignored = x.at("ignored").get<std::vector<uint8_t>>();
            e.counted_ground_truth = x.at("counted_ground_truth").get<int64_t>();
            const size_t n = size_t(kThresholds) * e.scores.size();
            if (e.matched.size() != n || e.ignored.size() != n)
                throw Error("image " + std::to_string(e.image_id) + ": match flags do not fit its detections");
            ev.evals_[size_t(it - ev.categories_.begin())][size_t(a)].push_back(std::move(e));
        }
        return ev;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": mask AP state: " + e.what());
    } catch (const Error& e) {
        throw Error(source + ": mask AP state: " + e.what());
    }
}

void MaskApEvaluator::merge(const MaskApEvaluator& other) {
    if (other.categories_ != categories_) throw Error("mask AP: the parts evaluate different categories");
    for (int64_t id : other.images_)
        if (std::find(images_.begin(), images_.end(), id) != images_.end())
            throw Error("mask AP: image " + std::to_string(id) + " is in two parts");
    images_.insert(images_.end(), other.images_.begin(), other.images_.end());
    for (size_t k = 0; k < categories_.size(); ++k)
        for (size_t a = 0; a < size_t(kAreaRanges); ++a)
            evals_[k][a].insert(evals_[k][a].end(), other.evals_[k][a].begin(), other.evals_[k][a].end());
}

}  // namespace xs::eval
