#pragma once
// The X-SAM engine: the engine contract (core/engine/engine.h) on the X-SAM model.
//
//   prepare(image):  both preprocessings (tensor ops on the device) -> SigLIP + visual_projector,
//                    SAM ViT + seg_projector + seg_connector + pixel decoder, then the LLM over the
//                    prompt prefix [BOS] "<|user|>\n" <image: 729 + 1024 embeddings>, whose key/value
//                    cache is kept. Everything a prompt on this image can reuse.
//   segment(...):    builds the question (prompts.h), embeds it (region features for visual prompts),
//                    runs the LLM on top of a copy of the prefix cache, projects the <SEG> and phrase
//                    hidden states, runs the mask decoder on the cached pixel-decoder features and
//                    post-processes the last decoder level (postprocess.h). Teacher-forced scoring for
//                    every task but the grounded caption and the chat, which are generated greedily
//                    (stop at <|end|>; the chat's answer is text only).
//
// Devices: "cpu" or "cuda[:N]". Cancellation is checked between stages.
// Precision ("compute", compute_precision.h): on the CPU "auto" computes in bf16 where the processor has
// bf16 matrix units that really are faster (the weights are then kept in bf16), else in fp32 with the
// weights kept in the file's dtype unless "dtype" says otherwise (converted to fp32 one matrix at a
// time). On CUDA the computation runs in the weights' dtype (bf16 by default). device() names the
// precision, compute_reason() says why.
#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/xsam/engine/compute_precision.h"
#include "core/xsam/model/config.h"
#include "core/xsam/model/phi3.h"
#include "core/xsam/pipeline/postprocess.h"
#include "core/xsam/pipeline/preprocess.h"
#include "core/xsam/tokenizer/tokenizer.h"
#include "core/xsam/pipeline/prompts.h"
#include "core/xsam/model/xsam_model.h"

namespace xs::xsam {

class XsamTokenizerAdapter;

// What prepare() keeps for one image.
class XsamPrepared : public PreparedImage {
public:
    size_t memory_bytes() const override;

    const void* owner = nullptr;  // the engine that made it
    CanvasGeometry geometry;
    VisionFeatures features;
    KVCache prefix_cache;         // LLM keys/values of the prefix (BOS .. image tokens)
    torch::Tensor prefix_embeds;  // [1, L0, width]: kept for the no-reuse check path
};

// Raw outputs of one scoring pass (tests compare these; segment() post-processes them). The generated
// tasks fill the same fields for the inspector: the question with the generated answer, the question's
// and the generated ids, the phrases, and the logits only when the caption's phrases were decoded.
struct ScoringOutput {
    Question question;
    std::vector<int64_t> ids;         // the question's token ids (regions as -300), after the prefix
    torch::Tensor class_logits;       // [Q, K + 1] float32 (CPU)
    torch::Tensor mask_logits;        // [Q, h, w] float32 (device)
    torch::Tensor seg_embedding;      // [1, D]
    std::vector<std::string> labels;  // one per class (phrase, category or visual prompt)
    std::vector<torch::Tensor> regions;  // the region canvases (interactive / VGD)
};

struct XsamEngineOptions {
    std::string model_dir;
    std::string device = "cpu";
    std::string dtype;                 // "" = default for the device
    std::string compute = "auto";      // auto | fp32 | bf16 (see the header comment)
    int threads = 0;
    std::string generic_mode = "instance";
    int64_t max_new_tokens = 512;
    bool reuse_prefix = true;          // false: recompute the prefix in every segment() (checks)
    // Random weights instead of a checkpoint (benchmarks, tests): model_dir names a config *.json (or a
    // folder with config.json), the model is built in memory and filled by init_random_parameters(seed).
    // The tokenizer is `tokenizer` (a .model file; "" = the config's "tokenizer" field, else
    // <config stem>.tokenizer.model next to it); its vocabulary may be smaller than the LLM's rows.
    bool random_weights = false;
    uint64_t seed = 0;
    std::string tokenizer;
    int64_t llm_layers = 0;            // > 0 with random_weights: override the LLM depth (timing)

    static XsamEngineOptions from(const EngineOptions& options);
};

class XsamEngine : public Engine {
public:
    explicit XsamEngine(const XsamEngineOptions& options);
    ~XsamEngine() override;

    std::string name() const override { return "xsam"; }
    // "cpu, bf16 compute (auto: bf16 units, 17.9x fp32)", "cuda:0, bf16 compute".
    std::string device() const override;
    const torch::Device& torch_device() const { return device_; }
    torch::ScalarType compute_dtype() const { return compute_dtype_; }
    // Why this precision, in a sentence; on the CPU the whole decision (flags, measured speeds).
    const std::string& compute_reason() const { return compute_.why; }
    const ComputeChoice& compute_choice() const { return compute_; }
    Capabilities capabilities() const override;
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override;
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request,
                          const CancelToken& cancel) override;
    std::vector<InstanceResult> postprocess(const Inspection& inspection, float score_threshold,
                                            float mask_threshold) const override;

    // The scoring pass alone (every task but the generated ones: GroundedCaption, Chat).
    ScoringOutput score(const XsamPrepared& prepared, const SegmentRequest& request, const CancelToken& cancel,
                        std::vector<StageTiming>* timings = nullptr);

    // The grounded caption with a given answer instead of a generated one (teacher forcing), e.g.
    // "<p>A cup</p> on <p>a table</p> <SEG>.": phrases and masks exactly as after generation.
    SegmentResult caption_teacher_forced(const PreparedImage& prepared, const std::string& answer,
                                         const CancelToken& cancel);

    const XsamConfig& config() const { return config_; }
    XsamModel& model() { return model_; }
    // Token ids of a piece list (tests): regions -300, image -200, BOS the tokenizer's.
    std::vector<int64_t> encode_pieces(const std::vector<Piece>& pieces) const;
    std::string decode(const std::vector<int64_t>& ids) const;

private:
    // What the post-processing of one answer reads (from a scoring pass or from an inspection).
    struct PostprocessInput {
        Task task = Task::Interactive;
        std::string generic_mode = "instance";   // generic / open-vocabulary: instance, panoptic or semantic
        DecoderOutput decoder;
        CanvasGeometry geometry;
        std::array<float, 4> prompt_box{};       // interactive: the positive prompt's box
        std::vector<torch::Tensor> negatives;    // interactive: negative prompts at the image size
    };
    std::vector<InstanceResult> run_postprocess(const PostprocessInput& in, float score_threshold, float mask_threshold,
                                                const std::vector<std::string>& labels) const;
    const XsamPrepared& check_prepared(const PreparedImage& prepared) const;
    torch::Tensor embed_ids(const std::vector<int64_t>& ids, const std::vector<torch::Tensor>& region_feats);
    // The generated tasks (grounded caption, chat): greedy generation on the cached prefix until a stop
    // token (<|end|>, <|endoftext|>, </s>) or max_new_tokens; the caption's phrases then go through
    // the mask decoder. `forced`: a given answer instead of the generated one.
    SegmentResult generate(const XsamPrepared& p, const SegmentRequest& request, const CancelToken& cancel,
                           const std::string* forced = nullptr);
    void sync() const;

    XsamEngineOptions options_;
    XsamConfig config_;
    PreprocessConfig preprocess_;
    torch::Device device_;
    torch::ScalarType compute_dtype_;
    ComputeChoice compute_;
    XsamModel model_{nullptr};
    std::unique_ptr<XsamTokenizerAdapter> tokenizer_;
    std::vector<int64_t> prefix_ids_;
    int64_t seg_id_ = -1, pstart_id_ = -1, pend_id_ = -1, end_id_ = -1, eos_id_ = -1, bos_id_ = -1, endoftext_id_ = -1;
};

inline constexpr int64_t kImageIndex = kImageTokenIndex;
inline constexpr int64_t kRegionIndex = kRegionTokenIndex;

// xsam-cli init-random-weights: a complete model folder (config.json, model.safetensors, tokenizer.model)
// with seeded random weights. `tokenizer_model`: the SentencePiece file to copy ("" = the one the
// config names, looked up next to the config file).
void write_random_model(const std::string& config_path, const std::string& out_dir, uint64_t seed,
                        const std::string& tokenizer_model = "");

}  // namespace xs::xsam
