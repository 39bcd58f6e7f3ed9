#include "core/classic/grabcut_baseline.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/util/timer.h"

namespace xs {

namespace {

const double kProbableDiscFraction = 0.12;  // of min(width, height)
const int kSureDiscRadius = 4;
const int kIterations = 3;

class GrabCutPrepared : public PreparedImage {
public:
    cv::Mat bgr;  // CV_8UC3, what cv::grabCut expects
    size_t memory_bytes() const override { return bgr.total() * 3; }
};

class GrabCutBaseline : public Engine {
public:
    std::string name() const override { return "grabcut"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.tasks[Task::Interactive] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Mask};
        return c;
    }

    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override {
        if (image.empty() || image.rgb.size() != size_t(image.width) * image.height * 3)
            throw Error("grabcut: the image is empty or its pixel buffer has the wrong size");
        cancel.throw_if_cancelled();
        auto P = std::make_shared<GrabCutPrepared>();
        P->width = image.width;
        P->height = image.height;
        cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
        cv::cvtColor(rgb, P->bgr, cv::COLOR_RGB2BGR);
        return P;
    }

    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& req, const CancelToken& cancel) override {
        const auto* P = dynamic_cast<const GrabCutPrepared*>(&prepared);
        if (!P) throw Error("grabcut: the prepared image was made by another engine");
        const std::string problem = check(req, P->width, P->height);
        if (!problem.empty()) throw Error(problem);
        cancel.throw_if_cancelled();
        StopWatch sw;
        cv::Mat labels(P->height, P->width, CV_8U, cv::Scalar(cv::GC_PR_BGD));
        const int probable = int(kProbableDiscFraction * std::min(P->width, P->height));
        for (const PointPrompt& p : req.points)
            if (p.positive) cv::circle(labels, cv::Point(int(p.x), int(p.y)), probable, cv::GC_PR_FGD, cv::FILLED);
        for (const PointPrompt& p : req.points)
            cv::circle(labels, cv::Point(int(p.x), int(p.y)), kSureDiscRadius, p.positive ? cv::GC_FGD : cv::GC_BGD,
                       cv::FILLED);
        // GrabCut needs samples of both models; without any background there is nothing to cut.
        const bool has_bg = cv::countNonZero((labels == cv::GC_BGD) | (labels == cv::GC_PR_BGD)) > 0;
        const bool has_fg = cv::countNonZero((labels == cv::GC_FGD) | (labels == cv::GC_PR_FGD)) > 0;
        if (has_bg && has_fg) {
            cv::Mat bgd_model, fgd_model;
            cv::grabCut(P->bgr, labels, cv::Rect(), bgd_model, fgd_model, kIterations, cv::GC_INIT_WITH_MASK);
        }
        cancel.throw_if_cancelled();
        SegmentResult result;
        result.timings.push_back({"segment.grabcut", sw.lap_ms()});
        InstanceResult inst;
        inst.mask = Mask(P->width, P->height);
        cv::Mat out(P->height, P->width, CV_8U, inst.mask.data());
        out.setTo(1, (labels == cv::GC_FGD) | (labels == cv::GC_PR_FGD));
        result.instances.push_back(std::move(inst));
        return result;
    }
};

}  // namespace

void register_grabcut_baseline(EngineRegistry& registry) {
    registry.add("grabcut", "OpenCV GrabCut from click discs (benchmark baseline, about 1 s per click)",
                 [](const EngineOptions& options) -> std::unique_ptr<Engine> {
                     if (!options.empty())
                         throw Error("the grabcut baseline takes no option '" + options.begin()->first + "'");
                     return std::make_unique<GrabCutBaseline>();
                 });
}

}  // namespace xs
