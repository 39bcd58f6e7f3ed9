// Top-level X-SAM model assembly (see xsam_model.h).
#include "core/xsam/model/xsam_model.h"

#include <cmath>

#include "core/util/error.h"
#include "core/xsam/model/region.h"

namespace xs::xsam {

SegmentorImpl::SegmentorImpl(const XsamConfig& c, const torch::TensorOptions& o) {
    encoder = register_module("encoder", SamVisionEncoder(c.seg_encoder, o));
    pixel_decoder = register_module("pixel_decoder", PixelDecoder(c.pixel_decoder, o));
    decoder = register_module("decoder", MaskDecoder(c.mask_decoder, o));
    logit_scale = register_parameter("logit_scale", torch::empty({1}, o), false);
}

XsamModelImpl::XsamModelImpl(const XsamConfig& c, const torch::TensorOptions& o, bool with_llm) : config(c) {
    if (with_llm) llm = register_module("llm", Phi3ForCausalLM(c.llm, o));
    visual_encoder = register_module("visual_encoder", SiglipVisionModel(c.visual_encoder, o));
    segmentor = register_module("segmentor", Segmentor(c, o));
    visual_projector = register_module("visual_projector", Projector(c.visual_projector, o));
    seg_projector = register_module("seg_projector", Projector(c.seg_projector, o));
    llm_projector = register_module("llm_projector", Projector(c.llm_projector, o));
    seg_connector = register_module("seg_connector", Connector(c.connector, o));
    bg_embeds = register_module("bg_embeds", Embedding(1, c.mask_decoder.hidden_dim, o));
}

VisionFeatures XsamModelImpl::encode_images(const torch::Tensor& siglip_pixels, const torch::Tensor& sam_pixels,
                                            const std::function<void(const char*)>& stage) {
    auto done = [&](const char* name) {
        if (stage) stage(name);
    };
    VisionFeatures f;
    f.visual_tokens = visual_projector(visual_encoder->selected_features(siglip_pixels));
    done("siglip");

    const auto& sc = config.seg_encoder;
    const int64_t n = sc.num_hidden_layers + 1;
    const int64_t llm_idx = sc.llm_select_layer < 0 ? n + sc.llm_select_layer : sc.llm_select_layer;
    int64_t last = llm_idx;
    for (int64_t l : config.connector.select_layers) last = std::max(last, l);
    auto hs = segmentor->encoder->forward(sam_pixels, last);
    done("sam");
    f.seg_tokens = seg_projector(hs[size_t(llm_idx)]);
    auto levels = seg_connector(hs);
    hs.clear();
    done("projector_connector");
    auto pd = segmentor->pixel_decoder(levels);
    f.multi_scale_features = std::move(pd.multi_scale_features);
    f.mask_features = pd.mask_features;
    f.decoder_memory = segmentor->decoder->prepare_memory(f.multi_scale_features, f.mask_features);
    done("pixel_decoder");
    return f;
}

torch::Tensor XsamModelImpl::image_embeddings(const VisionFeatures& f) {
    return torch::cat({f.visual_tokens, f.seg_tokens.to(f.visual_tokens.scalar_type())}, 1);
}

MaskDecoderOutput XsamModelImpl::decode(const VisionFeatures& f, const c10::optional<torch::Tensor>& seg_embedding,
                                        bool keep_all) {
    if (f.decoder_memory.defined())
        return segmentor->decoder->forward_memory(f.decoder_memory, f.mask_features, seg_embedding, keep_all);
    return segmentor->decoder(f.multi_scale_features, f.mask_features, seg_embedding, keep_all);
}

torch::Tensor XsamModelImpl::class_logits(const torch::Tensor& q, const torch::Tensor& phrases) {
    const int64_t b = q.size(0);
    auto bg = like(bg_embeds->weight, q).unsqueeze(0).expand({b, -1, -1});
    auto cond = torch::cat({phrases.to(q.scalar_type()), bg}, 1);
    return cosine_class_logits(q, cond, segmentor->logit_scale, config.mask_decoder.logit_scale_clamp);
}

torch::Tensor XsamModelImpl::region_features(const VisionFeatures& f, const torch::Tensor& masks, int64_t index) const {
    return xs::xsam::region_features(f.seg_tokens[index], masks, config.region.num_points);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> checkpoint_unused_entries(const XsamConfig& c) {
    // XSegmentor keeps SAM's shared_image_embedding (a random-Fourier positional table buffer
    // [2, prompt-encoder width / 2]; the prompt-encoder width equals the neck width).
    return {{"segmentor.shared_image_embedding.positional_embedding", {2, c.seg_encoder.output_channels / 2}}};
}

void init_random_parameters(torch::nn::Module& m, uint64_t seed, double std) {
    torch::NoGradGuard guard;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& p : m.named_parameters(true)) {
        const std::string& name = p.key();
        torch::Tensor& t = p.value();
        const auto dot = name.rfind('.');
        const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
        auto r = at::normal(0.0, 1.0, t.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat));
        const bool norm = name.find("norm") != std::string::npos || name.find("model.1.") != std::string::npos ||
                          name.find("model.3.") != std::string::npos || name.find("model.5.") != std::string::npos ||
                          (name.find("input_projections.") != std::string::npos && name.find(".1.") != std::string::npos) ||
                          ((name.find("adapter_") != std::string::npos || name.find("layer_") != std::string::npos) &&
                           name.find(".1.") != std::string::npos);
        torch::Tensor v;
        if (leaf == "logit_scale") {
            v = torch::full(t.sizes(), std::log(1.0 / 0.07));
        } else if (norm && t.dim() == 1 && leaf == "weight") {
            v = 1.0 + 0.1 * r;
        } else if (norm && t.dim() == 1) {
            v = 0.1 * r;
        } else if (t.dim() == 1) {
            v = (std / 10.0) * r;
        } else {
            v = std * r;
        }
        t.copy_(v.to(t.device(), t.scalar_type()));
    }
}

}  // namespace xs::xsam
