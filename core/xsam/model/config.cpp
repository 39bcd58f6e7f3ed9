// Parsing and validation of the X-SAM model configuration (see config.h).
#include "core/xsam/model/config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace xs::xsam {

bool SamVitConfig::is_global(int64_t layer) const {
    for (int64_t g : global_attn_indexes)
        if (g == layer) return true;
    return false;
}

int64_t ConnectorConfig::out_channels(size_t level) const {
    const double s = scale_factors.at(level);
    return static_cast<int64_t>(std::llround(static_cast<double>(in_channels) / s));
}

int64_t PixelDecoderConfig::num_fpn_levels() const {
    int64_t min_stride = feature_strides.empty() ? common_stride : feature_strides[0];
    for (int64_t s : feature_strides) min_stride = std::min(min_stride, s);
    return static_cast<int64_t>(std::llround(std::log2(double(min_stride)) - std::log2(double(common_stride))));
}

int64_t XsamConfig::seg_hidden_tokens() const {
    const int64_t g = seg_encoder.grid();
    const double r = seg_projector.downsample_ratio;
    const int64_t h = static_cast<int64_t>(std::llround(double(g) * r));
    return h * h;
}

int64_t XsamConfig::image_tokens() const { return visual_encoder.num_patches() + seg_hidden_tokens(); }

namespace {

// Field access with messages that name the file and the dotted path of the field.
class Reader {
public:
    Reader(const nlohmann::json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
        if (!obj_.is_object()) fail("", "expected an object");
    }

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw Error(where_ + (key.empty() ? "" : "." + key) + ": " + what);
    }

    const nlohmann::json& at(const std::string& key) const {
        auto it = obj_.find(key);
        if (it == obj_.end()) fail(key, "missing field");
        return *it;
    }
    bool has(const std::string& key) const { return obj_.contains(key); }

    int64_t integer(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_number_integer()) fail(key, "expected an integer");
        return v.get<int64_t>();
    }
    int64_t integer(const std::string& key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }
    int64_t positive(const std::string& key) const {
        int64_t v = integer(key);
        if (v <= 0) fail(key, "must be > 0 (got " + std::to_string(v) + ")");
        return v;
    }
    int64_t positive(const std::string& key, int64_t fallback) const { return has(key) ? positive(key) : fallback; }
    double number(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_number()) fail(key, "expected a number");
        return v.get<double>();
    }
    double number(const std::string& key, double fallback) const { return has(key) ? number(key) : fallback; }
    bool boolean(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_boolean()) fail(key, "expected true or false");
        return v.get<bool>();
    }
    bool boolean(const std::string& key, bool fallback) const { return has(key) ? boolean(key) : fallback; }
    std::string string(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_string()) fail(key, "expected a string");
        return v.get<std::string>();
    }
    std::string string(const std::string& key, const std::string& fallback) const {
        return has(key) ? string(key) : fallback;
    }
    std::vector<int64_t> integers(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_array()) fail(key, "expected an array of integers");
        std::vector<int64_t> out;
        for (const auto& e : v) {
            if (!e.is_number_integer()) fail(key, "expected an array of integers");
            out.push_back(e.get<int64_t>());
        }
        return out;
    }
    std::vector<double> numbers(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_array()) fail(key, "expected an array of numbers");
        std::vector<double> out;
        for (const auto& e : v) {
            if (!e.is_number()) fail(key, "expected an array of numbers");
            out.push_back(e.get<double>());
        }
        return out;
    }
    Reader section(const std::string& key) const {
        const auto& v = at(key);
        if (!v.is_object()) fail(key, "expected an object");
        return Reader(v, where_ + "." + key);
    }
    const std::string& where() const { return where_; }

private:
    const nlohmann::json& obj_;
    std::string where_;
};

void require(bool ok, const Reader& r, const std::string& key, const std::string& what) {
    if (!ok) r.fail(key, what);
}

void check_heads(const Reader& r, int64_t width, int64_t heads, const std::string& width_key) {
    require(width % heads == 0, r, width_key,
            std::to_string(width) + " is not divisible by num_attention_heads " + std::to_string(heads));
}

void check_type(const Reader& r, const std::string& expected) {
    if (r.has("type") && r.string("type") != expected)
        r.fail("type", "expected \"" + expected + "\", got \"" + r.string("type") + "\"");
}

SamVitConfig parse_sam(const Reader& r) {
    check_type(r, "sam_vit");
    SamVitConfig c;
    c.image_size = r.positive("image_size");
    c.patch_size = r.positive("patch_size");
    c.num_channels = r.positive("num_channels", 3);
    c.hidden_size = r.positive("hidden_size");
    c.mlp_dim = r.positive("mlp_dim");
    c.num_hidden_layers = r.positive("num_hidden_layers");
    c.num_attention_heads = r.positive("num_attention_heads");
    c.window_size = r.integer("window_size");
    c.global_attn_indexes = r.integers("global_attn_indexes");
    c.output_channels = r.positive("output_channels");
    c.layer_norm_eps = r.number("layer_norm_eps");
    c.qkv_bias = r.boolean("qkv_bias", true);
    c.use_abs_pos = r.boolean("use_abs_pos", true);
    c.use_rel_pos = r.boolean("use_rel_pos", true);
    c.llm_select_layer = r.integer("llm_select_layer", -2);
    if (r.has("hidden_act") && r.string("hidden_act") != "gelu") r.fail("hidden_act", "only \"gelu\" is supported");
    require(c.image_size % c.patch_size == 0, r, "image_size", "must be a multiple of patch_size");
    require(c.window_size >= 0, r, "window_size", "must be >= 0");
    check_heads(r, c.hidden_size, c.num_attention_heads, "hidden_size");
    for (int64_t g : c.global_attn_indexes)
        require(g >= 0 && g < c.num_hidden_layers, r, "global_attn_indexes",
                "index " + std::to_string(g) + " is outside 0.." + std::to_string(c.num_hidden_layers - 1));
    const int64_t n = c.num_hidden_layers + 1;
    require(c.llm_select_layer >= -n && c.llm_select_layer < n, r, "llm_select_layer", "out of range");
    return c;
}

SiglipConfig parse_siglip(const Reader& r) {
    check_type(r, "siglip");
    SiglipConfig c;
    c.image_size = r.positive("image_size");
    c.patch_size = r.positive("patch_size");
    c.num_channels = r.positive("num_channels", 3);
    c.hidden_size = r.positive("hidden_size");
    c.intermediate_size = r.positive("intermediate_size");
    c.num_hidden_layers = r.positive("num_hidden_layers");
    c.num_attention_heads = r.positive("num_attention_heads");
    c.layer_norm_eps = r.number("layer_norm_eps");
    c.hidden_act = r.string("hidden_act", "gelu_pytorch_tanh");
    c.vision_use_head = r.boolean("vision_use_head", true);
    c.select_layer = r.integer("select_layer", -2);
    require(c.hidden_act == "gelu_pytorch_tanh" || c.hidden_act == "gelu", r, "hidden_act",
            "expected \"gelu_pytorch_tanh\" or \"gelu\"");
    require(c.image_size >= c.patch_size, r, "image_size", "must be >= patch_size");  // 384 / 14 -> 27 (floor)
    check_heads(r, c.hidden_size, c.num_attention_heads, "hidden_size");
    const int64_t n = c.num_hidden_layers + 1;
    require(c.select_layer >= -n && c.select_layer < n, r, "select_layer", "out of range");
    return c;
}

}  // namespace

Phi3Config parse_llm_config(const nlohmann::json& section, const std::string& where) {
    Reader r(section, where);
    check_type(r, "phi3");
    Phi3Config c;
    c.vocab_size = r.positive("vocab_size");
    c.hidden_size = r.positive("hidden_size");
    c.intermediate_size = r.positive("intermediate_size");
    c.num_hidden_layers = r.positive("num_hidden_layers");
    c.num_attention_heads = r.positive("num_attention_heads");
    c.num_key_value_heads = r.positive("num_key_value_heads", c.num_attention_heads);
    c.max_position_embeddings = r.positive("max_position_embeddings");
    c.rope_theta = r.number("rope_theta");
    c.rms_norm_eps = r.number("rms_norm_eps");
    c.sliding_window = r.integer("sliding_window", 0);
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
    c.pad_token_id = r.integer("pad_token_id", c.pad_token_id);
    c.eos_token_id = r.integer("eos_token_id", c.eos_token_id);
    c.bos_token_id = r.integer("bos_token_id", c.bos_token_id);
    check_heads(r, c.hidden_size, c.num_attention_heads, "hidden_size");
    require(c.num_attention_heads % c.num_key_value_heads == 0, r, "num_key_value_heads",
            "must divide num_attention_heads");
    return c;
}

namespace {

ProjectorConfig projector(const Reader& r, int64_t in, int64_t out, double ratio) {
    ProjectorConfig p;
    p.depth = r.positive("depth", 2);
    p.bias = r.boolean("bias", true);
    p.hidden_act = r.string("hidden_act", "gelu");
    require(p.hidden_act == "gelu", r, "hidden_act", "only \"gelu\" (erf) is supported");
    p.downsample_ratio = ratio;
    const int64_t k = static_cast<int64_t>(std::llround(1.0 / ratio));
    p.in_features = in * k * k;
    p.out_features = out;
    return p;
}

}  // namespace

XsamConfig parse_config(const nlohmann::json& doc, const std::string& source) {
    Reader root(doc, source);
    XsamConfig c;
    c.source = source;
    c.raw = doc;
    if (root.has("model_type") && root.string("model_type") != "xsam")
        root.fail("model_type", "expected \"xsam\", got \"" + root.string("model_type") + "\"");
    c.name = root.string("name", "xsam");
    c.llm = parse_llm_config(root.at("llm"), source + ".llm");
    c.visual_encoder = parse_siglip(root.section("visual_encoder"));
    c.seg_encoder = parse_sam(root.section("seg_encoder"));

    // Projectors: widths follow from the components (as DynamicProjectorConfig derives them).
    {
        Reader r = root.section("projector");
        const double ratio = r.number("seg_downsample_ratio", 0.5);
        require(ratio > 0 && ratio <= 1 && std::abs(1.0 / ratio - std::llround(1.0 / ratio)) < 1e-9, r,
                "seg_downsample_ratio", "must be 1/k for an integer k");
        require(c.seg_encoder.grid() % std::llround(1.0 / ratio) == 0, r, "seg_downsample_ratio",
                "SAM grid " + std::to_string(c.seg_encoder.grid()) + " is not divisible by 1/ratio");
        c.visual_projector = projector(r, c.visual_encoder.hidden_size, c.llm.hidden_size, 1.0);
        c.seg_projector = projector(r, c.seg_encoder.hidden_size, c.llm.hidden_size, ratio);
    }

    {
        Reader r = root.section("connector");
        if (r.has("type") && r.string("type") != "conv") r.fail("type", "only \"conv\" is supported");
        ConnectorConfig& k = c.connector;
        k.select_layers = r.integers("select_layers");
        k.scale_factors = r.numbers("scale_factors");
        k.hidden_channels = r.positive("hidden_channels");
        k.bias = r.boolean("bias", false);
        k.layer_norm_eps = r.number("layer_norm_eps", 1e-6);
        k.in_channels = c.seg_encoder.hidden_size;
        require(!k.select_layers.empty() && k.select_layers.size() == k.scale_factors.size(), r, "scale_factors",
                "must have one entry per select_layers entry");
        for (int64_t l : k.select_layers)
            require(l >= 0 && l <= c.seg_encoder.num_hidden_layers, r, "select_layers",
                    "index " + std::to_string(l) + " is outside the SAM hidden states 0.." +
                        std::to_string(c.seg_encoder.num_hidden_layers));
        for (double s : k.scale_factors) {
            require(s > 0, r, "scale_factors", "must be > 0");
            const double cs = double(k.in_channels) * s;
            require(std::abs(cs - std::llround(cs)) < 1e-9 && std::llround(cs) % std::llround(std::max(1.0, s * s)) == 0,
                    r, "scale_factors", "channel count does not shuffle evenly");
            if (s < 1) {
                const double inv = 1.0 / s;
                require(std::abs(inv - std::llround(inv)) < 1e-9 && c.seg_encoder.grid() % std::llround(inv) == 0, r,
                        "scale_factors", "grid not divisible by 1/scale");
            }
        }
    }

    {
        Reader r = root.section("pixel_decoder");
        PixelDecoderConfig& p = c.pixel_decoder;
        p.feature_size = r.positive("feature_size");
        p.mask_feature_size = r.positive("mask_feature_size");
        p.num_feature_levels = r.positive("num_feature_levels");
        p.encoder_layers = r.positive("encoder_layers");
        p.num_attention_heads = r.positive("num_attention_heads");
        p.num_points = r.positive("num_points", 4);
        p.encoder_feedforward_dim = r.positive("encoder_feedforward_dim");
        p.common_stride = r.positive("common_stride");
        p.feature_strides = r.integers("feature_strides");
        p.group_norm_groups = r.positive("group_norm_groups", 32);
        p.layer_norm_eps = r.number("layer_norm_eps", 1e-5);
        p.group_norm_eps = r.number("group_norm_eps", 1e-5);
        p.feature_channels.clear();
        for (size_t i = 0; i < c.connector.scale_factors.size(); ++i)
            p.feature_channels.push_back(c.connector.out_channels(i));
        require(int64_t(p.feature_channels.size()) == p.num_feature_levels, r, "num_feature_levels",
                "must equal the number of connector levels (" + std::to_string(p.feature_channels.size()) + ")");
        require(int64_t(p.feature_strides.size()) == p.num_feature_levels, r, "feature_strides",
                "must have num_feature_levels entries");
        check_heads(r, p.feature_size, p.num_attention_heads, "feature_size");
        require(p.feature_size % p.group_norm_groups == 0, r, "group_norm_groups", "must divide feature_size");
        require(p.num_fpn_levels() >= 0 && p.num_fpn_levels() < p.num_feature_levels, r, "common_stride",
                "gives an invalid number of FPN levels");
    }

    {
        Reader r = root.section("mask_decoder");
        MaskDecoderConfig& m = c.mask_decoder;
        m.hidden_dim = r.positive("hidden_dim");
        m.num_queries = r.positive("num_queries");
        m.decoder_layers = r.positive("decoder_layers");
        m.num_attention_heads = r.positive("num_attention_heads");
        m.dim_feedforward = r.positive("dim_feedforward");
        m.pre_norm = r.boolean("pre_norm", false);
        m.layer_norm_eps = r.number("layer_norm_eps", 1e-5);
        m.num_labels = r.positive("num_labels", 133);
        m.logit_scale_clamp = r.number("logit_scale_clamp", 500.0);
        m.mask_feature_size = c.pixel_decoder.mask_feature_size;
        m.num_feature_levels = c.pixel_decoder.num_feature_levels;
        require(m.decoder_layers >= 2, r, "decoder_layers", "must be >= 2");
        require(!m.pre_norm, r, "pre_norm", "only post-norm (false) is supported, as in X-SAM");
        check_heads(r, m.hidden_dim, m.num_attention_heads, "hidden_dim");
        require(m.hidden_dim == c.pixel_decoder.feature_size, r, "hidden_dim",
                "must equal pixel_decoder.feature_size (no input projections in X-SAM)");
    }
    c.llm_projector = projector(root.section("projector"), c.llm.hidden_size, c.mask_decoder.hidden_dim, 1.0);

    if (root.has("region_sampler")) {
        Reader r = root.section("region_sampler");
        c.region.num_points = r.positive("num_points", 256);
        c.region.seed = static_cast<uint64_t>(r.integer("seed", 0));
    }
    return c;
}

XsamConfig load_config(const std::string& path) {
    // A folder opens as a stream too, and reading it throws a message without the path.
    if (std::filesystem::is_directory(path)) throw Error(path + ": is a folder, not a model configuration");
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot open the model configuration");
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
    return parse_config(doc, path);
}

}  // namespace xs::xsam
