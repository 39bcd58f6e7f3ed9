#pragma once
// The whole X-SAM model, assembled so that named_parameters() equals the released checkpoint's keys:
//   llm.*                          Phi-3 causal LM (core/xsam/model/phi3.h)
//   visual_encoder.vision_model.*  SigLIP2 tower (siglip.h)
//   segmentor.encoder.*            SAM ViT (sam_vit.h)
//   segmentor.pixel_decoder.*      Mask2Former pixel decoder (pixel_decoder.h)
//   segmentor.decoder.*            modified Mask2Former transformer decoder (mask_decoder.h)
//   segmentor.logit_scale          [1]
//   visual_projector.model.{0,2}, seg_projector.model.{0,2}, llm_projector.model.{0,2} (projector.h)
//   seg_connector.model.{0,1,2}.model.{0..5} (connector.h)
//   bg_embeds.weight               [1, decoder width]
// plus one persistent buffer the checkpoint carries but inference never reads (see
// checkpoint_unused_entries()). The region sampler has no weights (region.h).
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/xsam/model/config.h"
#include "core/xsam/model/connector.h"
#include "core/xsam/model/mask_decoder.h"
#include "core/xsam/model/phi3.h"
#include "core/xsam/model/pixel_decoder.h"
#include "core/xsam/model/projector.h"
#include "core/xsam/model/sam_vit.h"
#include "core/xsam/model/siglip.h"

namespace xs::xsam {

struct SegmentorImpl : torch::nn::Module {
    SegmentorImpl(const XsamConfig& c, const torch::TensorOptions& o);
    SamVisionEncoder encoder{nullptr};
    PixelDecoder pixel_decoder{nullptr};
    MaskDecoder decoder{nullptr};
    torch::Tensor logit_scale;  // [1]
};
TORCH_MODULE(Segmentor);

// Everything the image contributes, computed once per image.
struct VisionFeatures {
    torch::Tensor visual_tokens;                      // [B, N_siglip, llm width] (visual_projector output)
    torch::Tensor seg_tokens;                         // [B, N_sam/4, llm width] (seg_projector output)
    std::vector<torch::Tensor> multi_scale_features;  // pixel decoder levels, lowest resolution first
    torch::Tensor mask_features;                      // [B, D, H0, W0]
    DecoderMemory decoder_memory;                     // the mask decoder's prompt-independent part
};

struct XsamModelImpl : torch::nn::Module {
    // with_llm = false builds everything but "llm" (vision-only tests and tools).
    XsamModelImpl(const XsamConfig& c, const torch::TensorOptions& o = default_build_options(), bool with_llm = true);

    // siglip_pixels [B, 3, 384, 384] and sam_pixels [B, 3, 1024, 1024], both already normalised.
    // `stage`, when given, is called after each step with its name ("siglip", "sam",
    // "projector_connector", "pixel_decoder"), e.g. to time the steps.
    VisionFeatures encode_images(const torch::Tensor& siglip_pixels, const torch::Tensor& sam_pixels,
                                 const std::function<void(const char*)>& stage = {});
    // The image's LLM embeddings: SigLIP tokens then SAM tokens, [B, N_siglip + N_sam/4, llm width].
    static torch::Tensor image_embeddings(const VisionFeatures& f);
    // The transformer decoder on the cached pixel-decoder output (and f.decoder_memory when defined). seg_embedding: [B, D] (llm_projector
    // of the <SEG> hidden state) or nullopt. Features are broadcast when B differs from their batch 1.
    MaskDecoderOutput decode(const VisionFeatures& f, const c10::optional<torch::Tensor>& seg_embedding,
                             bool keep_all = false);
    // Class logits of query states [B, Q, D] against phrase embeddings [B, K, D]; bg_embeds is appended
    // last -> [B, Q, K + 1].
    torch::Tensor class_logits(const torch::Tensor& query_states, const torch::Tensor& phrase_embeddings);
    // One region feature per mask [K, H, W] (any resolution) from image `index` of f.seg_tokens: [K, llm width].
    torch::Tensor region_features(const VisionFeatures& f, const torch::Tensor& masks, int64_t index = 0) const;

    XsamConfig config;
    Phi3ForCausalLM llm{nullptr};
    SiglipVisionModel visual_encoder{nullptr};
    Segmentor segmentor{nullptr};
    Projector visual_projector{nullptr}, seg_projector{nullptr}, llm_projector{nullptr};
    Connector seg_connector{nullptr};
    Embedding bg_embeds{nullptr};
};
TORCH_MODULE(XsamModel);

// Entries of the released checkpoint that no module reads (persistent buffers of modules X-SAM keeps
// but does not run): name and shape. A loader should accept and skip them.
std::vector<std::pair<std::string, std::vector<int64_t>>> checkpoint_unused_entries(const XsamConfig& c);

// Deterministic random initialisation for tests and random-weight models: matrices and embeddings
// N(0, std), biases N(0, std/10), norm weights 1 + N(0, 0.1), norm biases N(0, 0.1), logit_scale
// log(1/0.07). Works on any module of this folder (parameters on CPU or another real device).
void init_random_parameters(torch::nn::Module& m, uint64_t seed, double std = 0.02);

}  // namespace xs::xsam
