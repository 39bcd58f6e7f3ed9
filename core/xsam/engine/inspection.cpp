#include "core/xsam/engine/inspection.h"

#include <cstring>

#include "core/xsam/pipeline/postprocess.h"
#include "core/xsam/model/region.h"

namespace xs::xsam {

namespace {

Mask canvas_mask(const torch::Tensor& region) {
    torch::Tensor m = region.to(torch::kCPU).ne(0).to(torch::kUInt8).contiguous();
    Mask out(int(m.size(1)), int(m.size(0)));
    std::memcpy(out.data(), m.data_ptr<uint8_t>(), size_t(m.numel()));
    return out;
}

// Tokens of `ids` with their exact text: each text token's piece is what it adds to the decoded run
// (so leading spaces show), placeholders named.
void add_tokens(const XsamEngine& engine, const std::vector<int64_t>& ids, bool prefix, int64_t image_positions,
                std::vector<InspectionToken>& out) {
    std::vector<int64_t> run;
    std::string decoded;
    for (int64_t id : ids) {
        InspectionToken t;
        t.id = id;
        t.prefix = prefix;
        if (id == kImageIndex || id == kRegionIndex) {
            run.clear();
            decoded.clear();
            t.text = id == kImageIndex ? "<image>" : "<region>";
            if (id == kImageIndex) t.repeat = int(image_positions);
        } else {
            run.push_back(id);
            std::string now = engine.decode(run);
            t.text = now.size() >= decoded.size() && now.compare(0, decoded.size(), decoded) == 0
                         ? now.substr(decoded.size())
                         : engine.decode({id});
            // A piece that adds nothing on its own (a lone word-start mark) is shown as a space.
            if (t.text.empty()) t.text = engine.decode({id});
            if (t.text.empty()) t.text = " ";
            decoded = now;
        }
        out.push_back(std::move(t));
    }
}

}  // namespace

std::shared_ptr<Inspection> make_inspection(const XsamEngine& engine, const XsamPrepared& p, const ScoringOutput& s,
                                            const SegmentRequest& request, const std::vector<StageTiming>& timings,
                                            const std::string& generic_mode) {
    c10::InferenceMode guard;
    auto in = std::make_shared<Inspection>();
    in->engine = engine.name();
    in->device = engine.device();
    in->precision_why = engine.compute_reason();
    in->task = request.task;
    switch (request.task) {
        case Task::Referring:
        case Task::Reasoning:
        case Task::GroundedCaption: in->rule = Inspection::Rule::BestPerClass; break;
        case Task::Generic:
        case Task::OpenVocabulary:
            in->rule = generic_mode == "panoptic"   ? Inspection::Rule::Panoptic
                       : generic_mode == "semantic" ? Inspection::Rule::Semantic
                                                    : Inspection::Rule::Instances;
            break;
        case Task::VisualGrounded: in->rule = Inspection::Rule::Instances; break;
        case Task::Interactive: in->rule = Inspection::Rule::Interactive; break;
        case Task::Chat: in->rule = Inspection::Rule::TextOnly; break;
    }
    in->question = s.question.question;
    in->answer = s.question.answer;
    in->labels = s.labels;

    // The sequence: the cached prefix (its image placeholder stands for every image embedding), then
    // the question and the teacher-forced answer.
    const std::vector<int64_t> prefix = engine.encode_pieces(prefix_pieces());
    const int64_t image_positions = p.prefix_embeds.defined() ? p.prefix_embeds.size(1) - int64_t(prefix.size()) + 1 : 0;
    add_tokens(engine, prefix, true, image_positions, in->tokens);
    add_tokens(engine, s.ids, false, 0, in->tokens);

    // Visual prompts as the model saw them, and the region sampler's points (canvas x, y).
    const int64_t num_points = engine.config().region.num_points;
    for (size_t k = 0; k < s.regions.size(); ++k) {
        InspectionRegion r;
        r.label = k < s.labels.size() ? s.labels[k] : "region " + std::to_string(k + 1);
        r.canvas = canvas_mask(s.regions[k]);
        torch::Tensor pts = region_sample_points(s.regions[k], num_points).to(torch::kCPU).contiguous();
        const float H = float(s.regions[k].size(0)), W = float(s.regions[k].size(1));
        auto a = pts.accessor<float, 2>();
        for (int64_t i = 0; i < pts.size(0); ++i) r.sampled_points.push_back({a[i][1] * W, a[i][0] * H});
        in->regions.push_back(std::move(r));
    }

    const CanvasGeometry& g = p.geometry;
    in->canvas = g.canvas;
    in->scaled_w = g.scaled_w;
    in->scaled_h = g.scaled_h;
    in->width = g.width;
    in->height = g.height;
    in->score_threshold = request.score_threshold;
    in->mask_threshold = request.mask_threshold;
    in->timings = timings;
    if (!s.class_logits.defined()) return in;  // generated text without a decoder pass (chat, ungrounded caption)

    // The last decoder level.
    torch::Tensor logits = s.class_logits.to(torch::kFloat32).to(torch::kCPU).contiguous();  // [Q, C + 1]
    in->class_logits.assign(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
    torch::Tensor probs = logits.softmax(-1).contiguous();
    torch::Tensor masks = s.mask_logits.to(torch::kFloat32).to(torch::kCPU).contiguous();                // [Q, h, w]
    in->num_queries = int(masks.size(0));
    in->mask_h = int(masks.size(1));
    in->mask_w = int(masks.size(2));
    in->mask_logits.assign(masks.data_ptr<float>(), masks.data_ptr<float>() + masks.numel());
    auto pa = probs.accessor<float, 2>();
    const int64_t C = probs.size(1) - 1;
    for (int64_t q = 0; q < probs.size(0); ++q) {
        InspectionQuery iq;
        iq.index = int(q);
        for (int64_t c = 0; c < C; ++c) iq.class_probs.push_back(pa[q][c]);
        iq.background_prob = pa[q][C];
        in->queries.push_back(std::move(iq));
    }

    if (request.task == Task::Interactive && !s.regions.empty()) {
        const std::array<float, 4> box = mask_box(region_to_image(s.regions.front(), g));
        for (int i = 0; i < 4; ++i) in->prompt_box[i] = box[size_t(i)];
        in->negatives = negative_prompts(request, p.width, p.height);  // as segment() uses them
    }
    return in;
}

}  // namespace xs::xsam
