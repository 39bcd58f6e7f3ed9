#include "core/xsam/engine/xsam_engine.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/engine/load_progress.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#include "core/xsam/engine/inspection.h"
#include "core/xsam/engine/model_build.h"
#include "core/xsam/engine/xsam_engine_factory.h"
#include "core/xsam/tokenizer/tokenizer.h"
#include "core/xsam/weights/safetensors.h"

namespace fs = std::filesystem;

namespace xs::xsam {

// ---- tokenizer ---------------------------------------------------------------------------------------

// The engine's view of the tokenizer: plain text chunks to ids (no special tokens added, X-SAM's and
// Phi-3's added tokens recognised), ids back to text, ids of named tokens.
class XsamTokenizerAdapter {
public:
    explicit XsamTokenizerAdapter(const std::string& model_dir) : tok_(Tokenizer::load(model_dir)) {}
    std::vector<int64_t> encode(const std::string& text) const { return tok_.encode(text); }
    std::string decode(const std::vector<int64_t>& ids) const { return tok_.decode(ids); }
    int64_t id(const std::string& token) const { return tok_.token_id(token); }
    int64_t bos() const { return tok_.bos_id(); }
    int64_t eos() const { return tok_.eos_id(); }
    int64_t vocab_size() const { return tok_.vocab_size(); }
    const Tokenizer& tokenizer() const { return tok_; }

private:
    Tokenizer tok_;
};

// ---- options -------------------------------------------------------------------------------------------

XsamEngineOptions XsamEngineOptions::from(const EngineOptions& options) {
    XsamEngineOptions o;
    auto get = [&](const char* k) -> const std::string* {
        auto it = options.find(k);
        return it == options.end() ? nullptr : &it->second;
    };
    if (auto v = get("model")) o.model_dir = *v;
    if (o.model_dir.empty())
        throw Error("the X-SAM engine needs a model folder (option \"model\", xsam-cli --model DIR): config.json, "
                    "model.safetensors (or shards with model.safetensors.index.json) and tokenizer.model");
    if (auto v = get("device")) o.device = *v;
    else o.device = torch::cuda::is_available() ? "cuda" : "cpu";
    if (o.device.empty() || o.device == "auto") o.device = torch::cuda::is_available() ? "cuda" : "cpu";
    if (auto v = get("dtype")) o.dtype = *v;
    if (auto v = get("compute")) {
        o.compute = *v;
        parse_compute_request(o.compute, "X-SAM engine option compute");  // a clear error now, not at load
    }
    if (auto v = get("threads")) o.threads = parse_thread_count(*v, "X-SAM engine option threads");
    if (auto v = get("generic_mode")) o.generic_mode = *v;
    if (o.generic_mode != "instance" && o.generic_mode != "panoptic" && o.generic_mode != "semantic")
        throw Error("X-SAM engine option generic_mode: expected instance, panoptic or semantic, got '" +
                    o.generic_mode + "'");
    if (auto v = get("max_new_tokens")) {
        try {
            size_t used = 0;
            o.max_new_tokens = std::stoll(*v, &used);
            if (used != v->size() || o.max_new_tokens < 1) throw std::invalid_argument(*v);
        } catch (...) {
            throw Error("X-SAM engine option max_new_tokens (--max-new-tokens): expected an integer >= 1, got '" + *v + "'");
        }
    }
    if (auto v = get("reuse_prefix")) o.reuse_prefix = !(*v == "0" || *v == "false" || *v == "off");
    return o;
}

// ---- helpers -------------------------------------------------------------------------------------------

namespace {

torch::ScalarType parse_dtype(const std::string& s, const torch::Device& dev) {
    if (s.empty()) return dev.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
    if (s == "fp32" || s == "float32") return torch::kFloat32;
    if (s == "bf16" || s == "bfloat16") return torch::kBFloat16;
    if (s == "fp16" || s == "float16") {
        if (!dev.is_cuda()) throw Error("X-SAM engine: fp16 needs a CUDA device (the CPU has no fp16 matmul)");
        return torch::kFloat16;
    }
    throw Error("X-SAM engine option dtype: expected fp32, bf16 or fp16, got '" + s + "'");
}

const char* dtype_name(torch::ScalarType t) {
    return t == torch::kBFloat16 ? "bf16" : t == torch::kFloat16 ? "fp16" : t == torch::kFloat32 ? "fp32" : "?";
}

// On the CPU the precision comes first and the weights follow it: bf16 compute reads bf16 weights as they
// are (no conversion, no fp32 copy), fp32 compute converts them one matrix at a time.
ComputeChoice cpu_compute_choice(const XsamEngineOptions& o) {
    const ComputeRequest request = parse_compute_request(o.compute, "X-SAM engine option compute");
    const bool fp32_weights = !o.dtype.empty() && parse_dtype(o.dtype, torch::kCPU) == torch::kFloat32;
    if (fp32_weights && request == ComputeRequest::Bf16)
        throw Error("X-SAM engine: compute bf16 works on bf16 weights, but dtype asks for fp32 weights; leave out dtype "
                    "or give dtype bf16");
    if (fp32_weights && request == ComputeRequest::Auto) {
        ComputeChoice c;
        c.tag = "auto: fp32 weights";
        c.why = "auto: the weights are kept in fp32 (dtype fp32)";
        return c;
    }
    ComputeChoice c = choose_cpu_compute(request, cpu_bf16_flags(), measure_product_speed);
    if (c.bf16 && !c.measured) check_bf16_products();  // a measured choice has multiplied bf16 already
    return c;
}

// On CUDA the computation runs in the weights' dtype: "compute" may choose it when "dtype" does not.
torch::ScalarType cuda_weight_dtype(const XsamEngineOptions& o, const torch::Device& dev) {
    const ComputeRequest request = parse_compute_request(o.compute, "X-SAM engine option compute");
    const torch::ScalarType wanted = request == ComputeRequest::Fp32 ? torch::kFloat32 : torch::kBFloat16;
    if (o.dtype.empty()) return wanted;
    const torch::ScalarType t = parse_dtype(o.dtype, dev);
    if (request != ComputeRequest::Auto && t != wanted)
        throw Error("X-SAM engine: on CUDA the computation runs in the weights' dtype; compute " + o.compute +
                    " contradicts dtype " + o.dtype);
    return t;
}

torch::Device parse_device(const std::string& s) {
    try {
        torch::Device d(s);
        if (d.is_cuda() && !torch::cuda::is_available())
            throw Error("X-SAM engine: device '" + s + "' requested but CUDA is not available in this build/machine");
        if (!d.is_cuda() && !d.is_cpu()) throw Error("X-SAM engine: unsupported device '" + s + "' (use cpu or cuda)");
        return d;
    } catch (const Error&) {
        throw;
    } catch (const std::exception&) {
        throw Error("X-SAM engine option device: cannot parse '" + s + "' (use cpu, cuda or cuda:N)");
    }
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
}

std::string trim_whitespace(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\n\r\v\f");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\n\r\v\f") - b + 1);
}

}  // namespace

size_t XsamPrepared::memory_bytes() const {
    size_t b = size_t(prefix_cache.bytes());
    auto add = [&](const torch::Tensor& t) {
        if (t.defined()) b += size_t(t.numel()) * t.element_size();
    };
    add(features.visual_tokens);
    add(features.seg_tokens);
    add(features.mask_features);
    for (const auto& t : features.multi_scale_features) add(t);
    b += features.decoder_memory.bytes();
    add(prefix_embeds);
    return b;
}

// ---- the engine ------------------------------------------------------------------------------------------

namespace {

// Fewer LLM layers than the config (benchmarks on random weights); more would only take more memory.
void set_llm_layers(XsamConfig& cfg, int64_t layers) {
    if (layers > cfg.llm.num_hidden_layers) {
        throw Error("--llm-layers " + std::to_string(layers) + ": the model has " +
                    std::to_string(cfg.llm.num_hidden_layers) + " LLM layers; give at most that many");
    }
    cfg.llm.num_hidden_layers = layers;
}

}  // namespace

XsamEngine::XsamEngine(const XsamEngineOptions& options)
    : options_(options), device_(parse_device(options.device)), compute_dtype_(torch::kFloat32) {
    report_load_progress(0.0, "reading config.json");
    const std::string cfg_path = find_model_config(options.model_dir);
    config_ = load_config(cfg_path);
    if (options.random_weights && options.llm_layers > 0) set_llm_layers(config_, options.llm_layers);
    const std::string dir = fs::is_directory(options.model_dir) ? options.model_dir
                                                                 : fs::path(options.model_dir).parent_path().string();
    preprocess_ = PreprocessConfig::from_json(config_.raw.value("preprocess", nlohmann::json()), cfg_path + ": preprocess");
    preprocess_.sam_size = int(config_.seg_encoder.image_size);
    preprocess_.siglip_size = int(config_.visual_encoder.image_size);

    SafeTensorsSet weights = options.random_weights ? SafeTensorsSet() : SafeTensorsSet::open(dir);
    // Threads first: the CPU's precision check measures at this thread count.
    if (options.threads > 0) at::set_num_threads(options.threads);
    else if (!device_.is_cuda()) at::set_num_threads(std::max(1u, std::thread::hardware_concurrency()));
    torch::ScalarType weight_dtype;
    if (device_.is_cuda()) {
        weight_dtype = cuda_weight_dtype(options, device_);
        compute_dtype_ = weight_dtype;
        compute_.bf16 = weight_dtype == torch::kBFloat16;
        compute_.why = "on CUDA the computation runs in the weights' dtype";
    } else {
        compute_ = cpu_compute_choice(options);
        compute_dtype_ = compute_.bf16 ? torch::kBFloat16 : torch::kFloat32;
        // fp32 compute: the weights stay in the file's dtype (bf16 keeps the full model within 24 GB)
        // unless dtype says otherwise; modules convert them one matrix at a time.
        if (compute_.bf16) weight_dtype = torch::kBFloat16;
        else if (options.dtype.empty() && !options.random_weights) weight_dtype = file_weight_dtype(weights);
        else weight_dtype = parse_dtype(options.dtype, device_);
    }

    report_load_progress(0.05, "reading tokenizer.model");
    std::string tokenizer_path = dir;
    if (options.random_weights) {
        tokenizer_path = options.tokenizer.empty() ? config_tokenizer_path(cfg_path, config_) : options.tokenizer;
        if (tokenizer_path.empty())
            throw Error(cfg_path + ": no SentencePiece model found for it (the config's \"tokenizer\" field, or " +
                        "<config name>.tokenizer.model next to it); give one");
    }
    tokenizer_ = std::make_unique<XsamTokenizerAdapter>(tokenizer_path);
    if (options.random_weights ? tokenizer_->vocab_size() > config_.llm.vocab_size
                               : tokenizer_->vocab_size() != config_.llm.vocab_size)
        throw Error("X-SAM model folder '" + dir + "': the tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
                    " tokens (SentencePiece + added), the LLM " + std::to_string(config_.llm.vocab_size) + " rows");

    ModelBuild build;
    build.weight_dtype = weight_dtype;
    build.compute_dtype = compute_dtype_;
    build.device = device_;
    build.weights = options.random_weights ? nullptr : &weights;
    build.seed = options.seed;
    model_ = build_model(config_, build);

    seg_id_ = tokenizer_->id(kSegToken);
    pstart_id_ = tokenizer_->id(kPhraseStart);
    pend_id_ = tokenizer_->id(kPhraseEnd);
    end_id_ = tokenizer_->id(kEndToken);
    eos_id_ = tokenizer_->eos();
    endoftext_id_ = tokenizer_->id("<|endoftext|>");
    bos_id_ = tokenizer_->bos();
    prefix_ids_ = encode_pieces(prefix_pieces());
}

XsamEngine::~XsamEngine() = default;

std::string XsamEngine::device() const {
    std::string d = device_.str() + ", " + dtype_name(compute_dtype_) + " compute";
    if (!compute_.tag.empty()) d += " (" + compute_.tag + ")";
    return d;
}

Capabilities XsamEngine::capabilities() const {
    using K = PromptKind;
    Capabilities c;
    c.tasks[Task::Interactive] = {K::Point, K::NegativePoint, K::Box, K::Scribble, K::NegativeScribble, K::Mask};
    c.tasks[Task::VisualGrounded] = {K::Point, K::Box, K::Scribble, K::Mask};
    c.tasks[Task::Referring] = {K::Text};
    c.tasks[Task::Reasoning] = {K::Text};
    c.tasks[Task::Generic] = {K::Text};
    c.tasks[Task::OpenVocabulary] = {K::Text};
    c.tasks[Task::GroundedCaption] = {};
    c.tasks[Task::Chat] = {K::Text};
    return c;
}

void XsamEngine::sync() const {
    if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : -1);
}

std::vector<int64_t> XsamEngine::encode_pieces(const std::vector<Piece>& pieces) const {
    return xs::xsam::encode_pieces(tokenizer_->tokenizer(), pieces);
}

std::string XsamEngine::decode(const std::vector<int64_t>& ids) const { return tokenizer_->decode(ids); }

torch::Tensor XsamEngine::embed_ids(const std::vector<int64_t>& ids, const std::vector<torch::Tensor>& region_feats) {
    // Text tokens through the embedding table, each <region> replaced by its feature (in order).
    std::vector<torch::Tensor> parts;
    std::vector<int64_t> run;
    size_t region = 0;
    auto flush = [&] {
        if (run.empty()) return;
        torch::Tensor t = torch::tensor(run, torch::kLong).to(device_).unsqueeze(0);
        parts.push_back(model_->llm->embed(t, compute_dtype_));
        run.clear();
    };
    for (int64_t id : ids) {
        if (id == kRegionIndex) {
            flush();
            if (region >= region_feats.size()) throw Error("X-SAM: more <region> tokens than visual prompts");
            parts.push_back(region_feats[region++].to(compute_dtype_).view({1, 1, -1}));
        } else if (id == kImageIndex) {
            throw Error("X-SAM: an <image> token outside the prompt prefix");
        } else {
            run.push_back(id);
        }
    }
    flush();
    if (region != region_feats.size()) throw Error("X-SAM: fewer <region> tokens than visual prompts");
    return torch::cat(parts, 1);
}

const XsamPrepared& XsamEngine::check_prepared(const PreparedImage& prepared) const {
    const auto* p = dynamic_cast<const XsamPrepared*>(&prepared);
    if (!p || p->owner != this)
        throw Error("engine 'xsam' was given a prepared image made by another engine; call prepare() on this engine");
    return *p;
}

namespace {

void sync_device(const torch::Device& d) {
    if (d.is_cuda()) torch::cuda::synchronize(d.has_index() ? d.index() : -1);
}

// prepare(): fills `p` (timings included) for `image`. prefix_ids: BOS, text ids and kImageIndex for the
// image embeddings; run_prefix = false skips the LLM (the embeddings are kept).
void prepare_image(XsamModel& model, const PreprocessConfig& pp, const torch::Device& device,
                   torch::ScalarType compute_dtype, const std::vector<int64_t>& prefix_ids, bool run_prefix,
                   const Image& image, const CancelToken& cancel, XsamPrepared& p) {
    c10::InferenceMode guard;
    p.width = image.width;
    p.height = image.height;
    StageClock stages;
    auto stage = [&](const char* name) {
        sync_device(device);
        p.timings.push_back(stages.lap(name));
        cancel.throw_if_cancelled();
    };
    cancel.throw_if_cancelled();

    SamInput sam = preprocess_sam(image, pp, device);
    torch::Tensor sig = preprocess_siglip(image, pp, device);
    p.geometry = CanvasGeometry{pp.sam_size, sam.scaled_h, sam.scaled_w, image.height, image.width};
    stage("prepare.preprocess");

    // Both encoders, the projectors, the connector and the pixel decoder, one timed stage each.
    auto& m = *model;
    VisionFeatures& f = p.features;
    f = m.encode_images(sig.to(compute_dtype), sam.pixels.to(compute_dtype), [&](const char* name) {
        stage((std::string("prepare.") + name).c_str());
    });

    // LLM prefix: [BOS] "<|user|>\n" <image>.
    std::vector<torch::Tensor> parts;
    std::vector<int64_t> text;
    auto flush = [&] {
        if (text.empty()) return;
        parts.push_back(m.llm->embed(torch::tensor(text, torch::kLong).to(device).unsqueeze(0), compute_dtype));
        text.clear();
    };
    for (int64_t id : prefix_ids) {
        if (id == kImageIndex) {
            flush();
            parts.push_back(XsamModelImpl::image_embeddings(f).to(compute_dtype));
        } else {
            text.push_back(id);
        }
    }
    flush();
    p.prefix_embeds = torch::cat(parts, 1);
    if (run_prefix) {
        m.llm->forward(p.prefix_embeds, &p.prefix_cache, false);
        stage("prepare.llm_prefix");
    }
}

}  // namespace

std::shared_ptr<const PreparedImage> XsamEngine::prepare(const Image& image, const CancelToken& cancel) {
    if (image.empty()) throw Error("engine 'xsam': the image is empty");
    auto p = std::make_shared<XsamPrepared>();
    p->owner = this;
    prepare_image(model_, preprocess_, device_, compute_dtype_, prefix_ids_, options_.reuse_prefix, image, cancel, *p);
    return p;
}

ScoringOutput XsamEngine::score(const XsamPrepared& p, const SegmentRequest& request, const CancelToken& cancel,
                                std::vector<StageTiming>* timings) {
    c10::InferenceMode guard;
    ScoringOutput out;
    StageClock stages;
    auto stage = [&](const char* name) {
        sync();
        if (timings) timings->push_back(stages.lap(name));
        cancel.throw_if_cancelled();
    };
    auto& m = *model_;

    // 1. the question and the visual prompts' region features
    std::vector<torch::Tensor> region_feats;
    switch (request.task) {
        case Task::Referring:
            out.question = referring_question(request.text);
            out.labels = {request.text};
            break;
        case Task::Reasoning:
            out.question = reasoning_question(request.text);
            out.labels = {request.text};
            break;
        case Task::Generic:
        case Task::OpenVocabulary: {
            std::vector<std::string> cats = request.categories;
            if (cats.empty() && !request.text.empty()) {
                // "a, b, c" given as text
                std::string cur;
                for (char ch : request.text + ",") {
                    if (ch == ',') {
                        if (!clean_category(cur).empty()) cats.push_back(cur);
                        cur.clear();
                    } else {
                        cur += ch;
                    }
                }
            }
            out.question = categories_question(cats);
            for (const auto& c : cats) out.labels.push_back(clean_category(c));
            break;
        }
        case Task::Interactive:
        case Task::VisualGrounded: {
            RegionSet rs = build_regions(p.geometry, request);
            out.question = regions_question(int(rs.masks.size()));
            out.labels = rs.labels;
            torch::Tensor masks = torch::stack(rs.masks).to(device_);
            torch::Tensor feats = m.region_features(p.features, masks, 0);  // [K, width]
            for (int64_t k = 0; k < feats.size(0); ++k) region_feats.push_back(feats[k]);
            out.regions = std::move(rs.masks);
            break;
        }
        case Task::GroundedCaption:
        case Task::Chat:
            throw Error("engine 'xsam': the task '" + std::string(task_name(request.task)) + "' is generated, not scored");
    }
    stage("segment.prompt");

    // 2. the LLM over the question on top of the image prefix
    out.ids = encode_pieces(question_pieces(out.question, true));
    Marks marks = find_marks(out.ids, pstart_id_, pend_id_, seg_id_, out.ids.size());
    if (marks.segs.empty()) throw Error("X-SAM: the answer has no <SEG> token (tokenizer problem?)");
    if (int(marks.phrases.size()) != out.question.num_phrases)
        throw Error("X-SAM: found " + std::to_string(marks.phrases.size()) + " <p>...</p> spans, expected " +
                    std::to_string(out.question.num_phrases));
    torch::Tensor embeds = embed_ids(out.ids, region_feats);
    // Causal attention: the tokens after the last one read (the first <SEG>, the last </p>) change
    // nothing before them, so the LLM stops there.
    int64_t needed = marks.segs.front() + 1;
    for (auto [a, b] : marks.phrases) needed = std::max(needed, b + 1);
    embeds = embeds.narrow(1, 0, needed);
    torch::Tensor hidden;
    if (options_.reuse_prefix) {
        KVCache cache = KVCache::on_top_of(p.prefix_cache);  // reads the prefix in place, no copy
        hidden = m.llm->forward(embeds, &cache, false).hidden;
    } else {
        // From scratch: prefix and question in one pass, no cache (the reference's computation).
        torch::Tensor all = torch::cat({p.prefix_embeds, embeds}, 1);
        hidden = m.llm->forward(all, nullptr, false).hidden;
        hidden = hidden.narrow(1, p.prefix_embeds.size(1), embeds.size(1));
    }
    stage("segment.llm");

    // 3. phrase and <SEG> embeddings (llm_projector of the last hidden states)
    torch::Tensor proj = m.llm_projector(hidden[0]);  // [L, D]
    torch::Tensor phrases = phrase_embeddings(proj, marks).unsqueeze(0);  // [1, K, D]
    out.seg_embedding = proj[marks.segs.front()].unsqueeze(0);
    stage("segment.embeddings");

    // 4. the mask decoder on the cached pixel-decoder features; last level only
    MaskDecoderOutput dec = m.decode(p.features, out.seg_embedding, false);
    torch::Tensor qs = dec.query_states.back();
    out.class_logits = m.class_logits(qs, phrases)[0].to(torch::kFloat32).to(torch::kCPU);
    out.mask_logits = dec.mask_logits.back()[0].to(torch::kFloat32);
    stage("segment.mask_decoder");
    return out;
}

SegmentResult XsamEngine::segment(const PreparedImage& prepared, const SegmentRequest& request,
                                  const CancelToken& cancel) {
    const XsamPrepared& p = check_prepared(prepared);
    const bool caption_without_prompt = request.task == Task::GroundedCaption && request.prompt_kinds().empty();
    if (!caption_without_prompt) {
        std::string why = check(request, p.width, p.height);
        if (!why.empty()) throw Error(why);
    }
    if (request.task == Task::GroundedCaption || request.task == Task::Chat) return generate(p, request, cancel);
    if ((request.task == Task::Referring || request.task == Task::Reasoning) && request.text.empty())
        throw Error("engine 'xsam': the task '" + std::string(task_name(request.task)) + "' needs --text");
    if ((request.task == Task::Generic || request.task == Task::OpenVocabulary) && request.categories.empty() &&
        request.text.empty())
        throw Error("engine 'xsam': the task '" + std::string(task_name(request.task)) + "' needs categories");

    const std::string& generic_mode = request.generic_mode.empty() ? options_.generic_mode : request.generic_mode;
    if (generic_mode != "instance" && generic_mode != "panoptic" && generic_mode != "semantic")
        throw Error("engine 'xsam': generic mode '" + generic_mode + "': expected instance, panoptic or semantic");

    SegmentResult res;
    ScoringOutput s = score(p, request, cancel, &res.timings);
    StageClock stages;
    c10::InferenceMode guard;
    PostprocessInput in{request.task, generic_mode, DecoderOutput{s.class_logits, s.mask_logits}, p.geometry, {}, {}};
    if (request.task == Task::Interactive) {
        in.prompt_box = mask_box(region_to_image(s.regions.front(), p.geometry));
        for (const Mask& n : negative_prompts(request, p.width, p.height)) in.negatives.push_back(from_mask(n));
    }
    res.instances = run_postprocess(in, request.score_threshold, request.mask_threshold, s.labels);
    res.timings.push_back(stages.lap("segment.postprocess"));
    // The inspector's view of this pass (core/xsam/engine/inspection.cpp).
    if (request.inspect) res.inspection = make_inspection(*this, p, s, request, res.timings, generic_mode);
    return res;
}

// The post-processing of segment(), also re-run over an inspection (postprocess()): one implementation.
std::vector<InstanceResult> XsamEngine::run_postprocess(const PostprocessInput& in, float score_threshold,
                                                        float mask_threshold, const std::vector<std::string>& labels) const {
    std::vector<Candidate> cands;
    switch (in.task) {
        case Task::Referring:
        case Task::Reasoning:
        case Task::GroundedCaption:
            cands = best_query_per_class(in.decoder, in.geometry, mask_threshold);
            break;
        case Task::Generic:
        case Task::OpenVocabulary:
            if (in.generic_mode == "panoptic")
                cands = panoptic_segments(in.decoder, in.geometry, score_threshold, mask_threshold);
            else if (in.generic_mode == "semantic")
                cands = semantic_segments(in.decoder, in.geometry);
            else
                cands = instance_candidates(in.decoder, in.geometry, score_threshold, false, mask_threshold);
            break;
        case Task::VisualGrounded:
            cands = instance_candidates(in.decoder, in.geometry, score_threshold, false, mask_threshold);
            break;
        case Task::Interactive: {
            cands = instance_candidates(in.decoder, in.geometry, score_threshold, true, mask_threshold);
            const int chosen = choose_interactive(cands, in.prompt_box, in.negatives);
            if (chosen < 0) cands.clear();
            else cands = {cands[size_t(chosen)]};
            break;
        }
        case Task::Chat:  // text only: no mask
            break;
    }
    std::vector<InstanceResult> out;
    for (Candidate& c : cands) {
        InstanceResult r;
        r.mask = to_mask(c.mask);
        r.score = std::clamp(c.score, 0.f, 1.f);
        r.prompt_index = c.label;
        if (c.label >= 0 && size_t(c.label) < labels.size()) r.label = labels[size_t(c.label)];
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<InstanceResult> XsamEngine::postprocess(const Inspection& inspection, float score_threshold,
                                                    float mask_threshold) const {
    const Inspection& i = inspection;
    if (i.rule == Inspection::Rule::TextOnly)
        throw Error("engine 'xsam': a " + std::string(task_name(i.task)) + " answer is text only: no masks to post-process");
    const int64_t Q = i.num_queries, classes = i.queries.empty() ? 0 : int64_t(i.queries.front().class_probs.size());
    if (Q <= 0 || i.mask_logits.size() != size_t(Q * i.mask_h * i.mask_w) || i.class_logits.size() != size_t(Q * (classes + 1)))
        throw Error("engine 'xsam': the inspection's decoder outputs do not match its queries");
    c10::InferenceMode guard;
    auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    PostprocessInput in;
    in.task = i.task;
    in.generic_mode = i.rule == Inspection::Rule::Panoptic   ? "panoptic"
                      : i.rule == Inspection::Rule::Semantic ? "semantic"
                                                             : "instance";
    in.decoder.class_logits = torch::from_blob(const_cast<float*>(i.class_logits.data()), {Q, classes + 1}, f32).clone();
    in.decoder.mask_logits = torch::from_blob(const_cast<float*>(i.mask_logits.data()), {Q, i.mask_h, i.mask_w}, f32).clone();
    in.geometry.canvas = i.canvas;
    in.geometry.scaled_w = i.scaled_w;
    in.geometry.scaled_h = i.scaled_h;
    in.geometry.width = i.width;
    in.geometry.height = i.height;
    in.prompt_box = {i.prompt_box[0], i.prompt_box[1], i.prompt_box[2], i.prompt_box[3]};
    for (const Mask& m : i.negatives) in.negatives.push_back(from_mask(m));
    return run_postprocess(in, score_threshold, mask_threshold, i.labels);
}

SegmentResult XsamEngine::caption_teacher_forced(const PreparedImage& prepared, const std::string& answer,
                                                 const CancelToken& cancel) {
    const XsamPrepared& p = check_prepared(prepared);
    SegmentRequest request;
    request.task = Task::GroundedCaption;
    return generate(p, request, cancel, &answer);
}

SegmentResult XsamEngine::generate(const XsamPrepared& p, const SegmentRequest& request, const CancelToken& cancel,
                                   const std::string* forced) {
    c10::InferenceMode guard;
    SegmentResult res;
    StageClock stages;
    auto stage = [&](const char* name) {
        sync();
        res.timings.push_back(stages.lap(name));
        cancel.throw_if_cancelled();
    };
    auto& m = *model_;
    const bool chat = request.task == Task::Chat;
    ScoringOutput s;  // what the inspector shows: the question, every token, the phrases' decoder pass
    s.question = chat ? chat_question(request.text) : caption_question();
    s.ids = encode_pieces(question_pieces(s.question, false));
    torch::Tensor embeds = embed_ids(s.ids, {});
    KVCache cache = KVCache::on_top_of(p.prefix_cache);  // reads the prefix in place, no copy
    torch::Tensor prompt = embeds;
    if (!options_.reuse_prefix) prompt = torch::cat({p.prefix_embeds, embeds}, 1);
    // xtuner's phi3_chat stop word <|end|>, plus the generation config's eos (<|endoftext|>) and </s>.
    std::vector<int64_t> stops = {end_id_, endoftext_id_};
    if (eos_id_ >= 0) stops.push_back(eos_id_);
    // Stay inside the LLM's context: prefix + question + generated tokens <= max_position_embeddings.
    const int64_t used = cache.length() + prompt.size(1);
    const int64_t room = config_.llm.max_position_embeddings - used;
    if (room <= 0)
        throw Error("X-SAM: the " + std::string(chat ? "chat" : "caption") + " prompt (" + std::to_string(used) +
                    " positions) fills the LLM's context of " + std::to_string(config_.llm.max_position_embeddings));
    const int64_t max_new = std::min<int64_t>(options_.max_new_tokens, room);
    GreedyResult g;
    if (forced) {
        // Teacher forcing: the given answer (plus the template suffix) stands for the generated tokens.
        g.tokens = tokenizer_->encode(*forced + kEndToken);
        torch::Tensor all = torch::cat({prompt, embed_ids(g.tokens, {})}, 1);
        g.hidden = m.llm->forward(all, &cache, false).hidden;
        g.stopped = true;
    } else {
        g = m.llm->generate_greedy(prompt, cache, max_new, stops, [&] { cancel.throw_if_cancelled(); });
    }
    stage("segment.generate");
    const int64_t L = prompt.size(1);
    const std::vector<int64_t>& gen = g.tokens;
    s.ids.insert(s.ids.end(), gen.begin(), gen.end());
    std::vector<int64_t> text_ids = gen;
    if (!text_ids.empty() && std::find(stops.begin(), stops.end(), text_ids.back()) != stops.end()) text_ids.pop_back();
    // As the reference demo prints it: no space after the phrase tags, and without them (the whole
    // text stripped) for every task but the caption.
    std::string text = tokenizer_->decode(text_ids);
    for (const char* from : {"<p> ", "</p> "}) replace_all(text, from, std::string(from, std::strlen(from) - 1));
    if (chat) {
        for (const char* tag : {kPhraseStart, kPhraseEnd}) replace_all(text, tag, "");
        text = trim_whitespace(text);
    }
    res.text = text;
    s.question.answer = text;

    // Caption: hidden states exist for every generated token but the last; phrases and <SEG> among those.
    const size_t fed = gen.empty() ? 0 : gen.size() - 1;
    const Marks marks = find_marks(gen, pstart_id_, pend_id_, seg_id_, fed);
    if (chat || marks.segs.empty() || marks.phrases.empty()) {
        res.timings.push_back(stages.lap("segment.postprocess"));
        if (request.inspect) res.inspection = make_inspection(*this, p, s, request, res.timings, options_.generic_mode);
        return res;  // text only
    }
    torch::Tensor hidden = g.hidden[0];  // [L + n - 1, width]
    torch::Tensor proj = m.llm_projector(hidden);
    for (auto [a, b] : marks.phrases) {
        std::vector<int64_t> inner(gen.begin() + a + 1, gen.begin() + b);
        s.labels.push_back(trim_whitespace(tokenizer_->decode(inner)));
    }
    torch::Tensor seg = proj[L + marks.segs.front()].unsqueeze(0);
    MaskDecoderOutput dec = m.decode(p.features, seg, false);
    s.class_logits = m.class_logits(dec.query_states.back(), phrase_embeddings(proj, marks, L).unsqueeze(0))[0]
                         .to(torch::kFloat32)
                         .to(torch::kCPU);
    s.mask_logits = dec.mask_logits.back()[0].to(torch::kFloat32);
    stage("segment.mask_decoder");
    DecoderOutput d{s.class_logits, s.mask_logits};
    for (Candidate& c : best_query_per_class(d, p.geometry, request.mask_threshold)) {
        InstanceResult r;
        r.mask = to_mask(c.mask);
        r.score = std::clamp(c.score, 0.f, 1.f);
        r.prompt_index = c.label;
        r.label = s.labels[size_t(c.label)];
        res.instances.push_back(std::move(r));
    }
    res.timings.push_back(stages.lap("segment.postprocess"));
    if (request.inspect) res.inspection = make_inspection(*this, p, s, request, res.timings, options_.generic_mode);
    return res;
}

// ---- random model folders ----------------------------------------------------------------------------------

void write_random_model(const std::string& config_path, const std::string& out_dir, uint64_t seed,
                        const std::string& tokenizer_model) {
    XsamConfig cfg = load_config(config_path);
    const std::string tok = tokenizer_model.empty() ? config_tokenizer_path(config_path, cfg) : tokenizer_model;
    if (tok.empty())
        throw Error(config_path + ": no SentencePiece model found for it (the config's \"tokenizer\" field, or " +
                    "<config name>.tokenizer.model next to it); pass --tokenizer FILE");
    if (!fs::is_regular_file(tok)) throw Error("tokenizer model '" + tok + "' does not exist");
    fs::create_directories(out_dir);
    ModelBuild build;  // fp32 on the CPU, in the checkpoint's layout
    build.seed = seed;
    build.for_inference = false;
    XsamModel model = build_model(cfg, build);
    ShardedSafeTensorsWriter writer(out_dir, int64_t(2) << 30, {{"format", "pt"}, {"seed", std::to_string(seed)}});
    for (const auto& p : model->named_parameters()) writer.add(p.key(), p.value());
    for (const auto& b : model->named_buffers()) writer.add(b.key(), b.value());
    writer.finish();
    nlohmann::json raw = cfg.raw;
    raw["tokenizer"] = "tokenizer.model";
    std::ofstream(fs::path(out_dir) / "config.json") << raw.dump(2) << "\n";
    fs::copy_file(tok, fs::path(out_dir) / "tokenizer.model", fs::copy_options::overwrite_existing);
}

}  // namespace xs::xsam

namespace xs {

int xsam_cuda_device_count() {
    try {
        return torch::cuda::is_available() ? int(torch::cuda::device_count()) : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

void register_xsam_engine(EngineRegistry& registry) {
    registry.add(describe_xsam_engine(),
                 [](const EngineOptions& options) -> std::unique_ptr<Engine> {
                     return std::make_unique<xsam::XsamEngine>(xsam::XsamEngineOptions::from(options));
                 });
}

void write_random_xsam_model(const std::string& config_path, const std::string& out_dir, uint64_t seed,
                             const std::string& tokenizer_model) {
    xsam::write_random_model(config_path, out_dir, seed, tokenizer_model);
}

}  // namespace xs
