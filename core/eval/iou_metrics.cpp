#include "core/eval/iou_metrics.h"

#include "core/util/error.h"

namespace xs::eval {

void IouAccumulator::add(int64_t intersection, int64_t union_area) {
    intersection_ += intersection;
    union_ += union_area;
    iou_sum_ += union_area > 0 ? double(intersection) / double(union_area) : 1.0;
    ++samples_;
}

void IouAccumulator::add(const Mask& prediction, const Mask& ground_truth) {
    if (prediction.width() != ground_truth.width() || prediction.height() != ground_truth.height())
        throw Error("IoU: the prediction is " + std::to_string(prediction.width()) + "x" +
                    std::to_string(prediction.height()) + ", the ground truth " + std::to_string(ground_truth.width()) +
                    "x" + std::to_string(ground_truth.height()));
    int64_t inter = 0, uni = 0;
    const uint8_t* p = prediction.data();
    const uint8_t* g = ground_truth.data();
    const size_t n = size_t(prediction.width()) * size_t(prediction.height());
    for (size_t i = 0; i < n; ++i) {
        inter += (p[i] && g[i]) ? 1 : 0;
        uni += (p[i] || g[i]) ? 1 : 0;
    }
    add(inter, uni);
}

double IouAccumulator::ciou() const {
    if (samples_ == 0) return -1;
    return union_ > 0 ? double(intersection_) / double(union_) : 1.0;
}

double IouAccumulator::giou() const { return samples_ == 0 ? -1 : iou_sum_ / double(samples_); }

nlohmann::json IouAccumulator::to_json() const {
    return {{"intersection", intersection_}, {"union", union_}, {"iou_sum", iou_sum_}, {"samples", samples_}};
}

IouAccumulator IouAccumulator::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        IouAccumulator a;
        a.intersection_ = j.at("intersection").get<int64_t>();
        a.union_ = j.at("union").get<int64_t>();
        a.iou_sum_ = j.at("iou_sum").get<double>();
        a.samples_ = j.at("samples").get<int64_t>();
        return a;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": IoU state: " + e.what());
    }
}

void IouAccumulator::merge(const IouAccumulator& other) {
    intersection_ += other.intersection_;
    union_ += other.union_;
    iou_sum_ += other.iou_sum_;
    samples_ += other.samples_;
}

SemanticEvaluator::SemanticEvaluator(int classes) : classes_(classes) {
    if (classes < 1) throw Error("semantic mIoU needs at least one class");
    // The confusion matrix has (classes + 1)^2 cells: 4096 classes take 134 MB.
    if (classes > kMaxClasses) throw Error("semantic mIoU: " + std::to_string(classes) + " classes, at most " + std::to_string(kMaxClasses));
    confusion_.assign(size_t(classes + 1) * size_t(classes + 1), 0);
}

void SemanticEvaluator::add(const std::vector<int32_t>& ground_truth, const std::vector<int32_t>& prediction) {
    if (ground_truth.size() != prediction.size())
        throw Error("semantic mIoU: label maps of " + std::to_string(ground_truth.size()) + " and " +
                    std::to_string(prediction.size()) + " pixels");
    const size_t n = size_t(classes_) + 1;
    for (size_t i = 0; i < ground_truth.size(); ++i) {
        const int32_t g = ground_truth[i], p = prediction[i];
        if (g < 0 || g > classes_ || p < 0 || p > classes_)
            throw Error("semantic mIoU: label " + std::to_string(g < 0 || g > classes_ ? g : p) + " outside 0.." +
                        std::to_string(classes_));
        ++confusion_[size_t(p) * n + size_t(g)];
    }
}

SemanticSummary SemanticEvaluator::summarize() const {
    const size_t K = size_t(classes_), n = K + 1;
    SemanticSummary s;
    s.iou.assign(K, -1.0);
    double tp_all = 0, gt_all = 0, iou_sum = 0, acc_sum = 0, fw = 0;
    int acc_classes = 0;
    std::vector<double> pos_gt(K, 0), iou(K, -1.0);
    for (size_t c = 0; c < K; ++c) {
        double gt = 0, pred = 0;
        for (size_t p = 0; p <= K; ++p) gt += double(confusion_[p * n + c]);  // unlabelled predictions miss
        for (size_t g = 0; g < K; ++g) pred += double(confusion_[c * n + g]);  // ignored ground truth does not count
        const double tp = double(confusion_[c * n + c]);
        pos_gt[c] = gt;
        tp_all += tp;
        gt_all += gt;
        if (gt <= 0) continue;
        acc_sum += tp / gt;
        ++acc_classes;
        const double uni = gt + pred - tp;
        if (uni > 0) {
            iou[c] = tp / uni;
            iou_sum += iou[c];
            ++s.classes_counted;
        }
    }
    if (gt_all <= 0) return s;
    for (size_t c = 0; c < K; ++c)
        if (iou[c] >= 0) fw += iou[c] * pos_gt[c] / gt_all;
    s.iou = iou;
    s.miou = s.classes_counted ? iou_sum / s.classes_counted : -1;
    s.macc = acc_classes ? acc_sum / acc_classes : -1;
    s.fwiou = fw;
    s.pacc = tp_all / gt_all;
    return s;
}

nlohmann::json SemanticEvaluator::to_json() const { return {{"classes", classes_}, {"confusion", confusion_}}; }

SemanticEvaluator SemanticEvaluator::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        const int64_t classes = j.at("classes").get<int64_t>();
        if (classes < 1 || classes > kMaxClasses) throw Error("\"classes\": " + std::to_string(classes));
        SemanticEvaluator e{static_cast<int>(classes)};
        std::vector<int64_t> c = j.at("confusion").get<std::vector<int64_t>>();
        if (c.size() != e.confusion_.size()) throw Error("the confusion matrix has " + std::to_string(c.size()) + " cells");
        e.confusion_ = std::move(c);
        return e;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": semantic state: " + e.what());
    } catch (const Error& e) {
        throw Error(source + ": semantic state: " + e.what());
    }
}

void SemanticEvaluator::merge(const SemanticEvaluator& other) {
    if (other.classes_ != classes_) throw Error("semantic mIoU: the parts have different class counts");
    for (size_t i = 0; i < confusion_.size(); ++i) confusion_[i] += other.confusion_[i];
}

}  // namespace xs::eval
