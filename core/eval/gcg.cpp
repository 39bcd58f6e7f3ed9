#include "core/eval/gcg.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/eval/mask_ap.h"
#include "core/util/error.h"

namespace xs::eval {

namespace {

std::set<std::string> words_of(const std::string& phrase) {
    std::set<std::string> words;
    std::string cur;
    for (char ch : phrase + " ") {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c >= 0x80) {  // bytes of non-ASCII letters stay inside a word
            cur += char(std::tolower(c));
        } else if (!cur.empty()) {
            if (cur != "a" && cur != "an" && cur != "the") words.insert(cur);
            cur.clear();
        }
    }
    return words;
}

// IoU matrix [rows][cols] of two mask lists (0 when the union is empty).
std::vector<double> iou_matrix(const std::vector<PhraseMask>& rows, const std::vector<PhraseMask>& cols) {
    std::vector<double> m(rows.size() * cols.size(), 0.0);
    for (size_t r = 0; r < rows.size(); ++r)
        for (size_t c = 0; c < cols.size(); ++c) m[r * cols.size() + c] = rle_iou(rows[r].mask, cols[c].mask, false);
    return m;
}

// Index of the first largest entry (numpy.argmax over the flattened matrix).
size_t argmax(const std::vector<double>& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

// compute_miou: greedy one-to-one pairing, deleting the pair's row and column each time.
double image_miou(const std::vector<PhraseMask>& pred, const std::vector<PhraseMask>& gt) {
    std::vector<double> m = iou_matrix(pred, gt);
    size_t rows = pred.size(), cols = gt.size();
    double sum = 0;
    int pairs = 0;
    while (rows > 0 && cols > 0) {
        const size_t best = argmax(m);
        if (!(m[best] > 0)) break;
        sum += m[best];
        ++pairs;
        const size_t br = best / cols, bc = best % cols;
        std::vector<double> next;
        for (size_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < cols; ++c)
                if (r != br && c != bc) next.push_back(m[r * cols + c]);
        m.swap(next);
        --rows;
        --cols;
    }
    return pairs ? sum / pairs : 0.0;
}

// _find_best_matches: the best-IoU pair must also pass the phrase test, or the search stops.
int64_t phrase_matches(const std::vector<PhraseMask>& gt, const std::vector<PhraseMask>& pred) {
    std::vector<double> iou = iou_matrix(gt, pred);
    std::vector<double> sim(iou.size());
    for (size_t g = 0; g < gt.size(); ++g)
        for (size_t p = 0; p < pred.size(); ++p) sim[g * pred.size() + p] = phrase_similarity(gt[g].phrase, pred[p].phrase);
    int64_t matches = 0;
    while (!iou.empty()) {
        const size_t best = argmax(iou);
        if (iou[best] < 0.5 || sim[best] < 0.5) break;
        ++matches;
        const size_t bg = best / pred.size(), bp = best % pred.size();
        for (size_t p = 0; p < pred.size(); ++p) iou[bg * pred.size() + p] = sim[bg * pred.size() + p] = 0;
        for (size_t g = 0; g < gt.size(); ++g) iou[g * pred.size() + bp] = sim[g * pred.size() + bp] = 0;
    }
    return matches;
}

}  // namespace

double phrase_similarity(const std::string& a, const std::string& b) {
    const std::set<std::string> wa = words_of(a), wb = words_of(b);
    if (wa.empty() || wb.empty()) return 0.0;
    size_t common = 0;
    for (const std::string& w : wa) common += wb.count(w);
    return 2.0 * double(common) / double(wa.size() + wb.size());
}

void GcgEvaluator::add_image(const std::vector<PhraseMask>& ground_truth, const std::vector<PhraseMask>& predictions) {
    miou_sum_ += image_miou(predictions, ground_truth);
    matched_ += phrase_matches(ground_truth, predictions);
    phrases_ += int64_t(ground_truth.size());
    ++images_;
}

double GcgEvaluator::miou() const { return images_ ? miou_sum_ / double(images_) : -1; }
double GcgEvaluator::recall() const { return phrases_ ? double(matched_) / double(phrases_) : -1; }

nlohmann::json GcgEvaluator::to_json() const {
    return {{"miou_sum", miou_sum_}, {"images", images_}, {"phrases", phrases_}, {"matched", matched_}};
}

GcgEvaluator GcgEvaluator::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        GcgEvaluator g;
        g.miou_sum_ = j.at("miou_sum").get<double>();
        g.images_ = j.at("images").get<int64_t>();
        g.phrases_ = j.at("phrases").get<int64_t>();
        g.matched_ = j.at("matched").get<int64_t>();
        return g;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": grounded-caption state: " + e.what());
    }
}

void GcgEvaluator::merge(const GcgEvaluator& other) {
    miou_sum_ += other.miou_sum_;
    images_ += other.images_;
    phrases_ += other.phrases_;
    matched_ += other.matched_;
}

}  // namespace xs::eval
