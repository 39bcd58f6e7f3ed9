// The X-SAM engine end to end on the tiny config with seeded random weights, through the real loader
// (safetensors + config + SentencePiece tokenizer) and the engine registry: every task, prefix reuse,
// repeatability, errors, cancellation, and the xsam-cli path.
//
// The tiny model's tokenizer, models/xsam-tiny.tokenizer.model (SentencePiece vocabulary 402 + the 14
// added tokens = the tiny LLM's 416 rows), was trained from tests/xsam_engine/tiny_tokenizer_corpus.txt:
//   spm_train --input=tiny_tokenizer_corpus.txt --model_prefix=xsam-tiny-spm --vocab_size=402
//     --model_type=bpe --byte_fallback=true --split_digits=true --normalization_rule_name=identity
//     --add_dummy_prefix=true --remove_extra_whitespaces=false --allow_whitespace_only_pieces=true
//     --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --character_coverage=1.0
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/io/image.h"
#include "core/xsam/xsam_engine.h"
#include "core/xsam/xsam_engine_factory.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::xsam;
namespace fs = std::filesystem;

namespace {

std::string tmp_dir() { return plain_test::env_or("XS_TEST_TMP", "/tmp/test_xsam_engine"); }
std::string source_dir() { return plain_test::env_or("XS_SOURCE_DIR", "."); }

const std::string& model_dir() {
    static const std::string dir = [] {
        const std::string d = tmp_dir() + "/tiny-model";
        fs::remove_all(d);
        write_random_xsam_model(source_dir() + "/models/xsam-tiny.json", d, 7);
        return d;
    }();
    return dir;
}

const EngineRegistry& registry() {
    static const EngineRegistry r = [] {
        EngineRegistry reg;
        register_xsam_engine(reg);
        return reg;
    }();
    return r;
}

std::unique_ptr<Engine> make_engine(std::map<std::string, std::string> extra = {}) {
    EngineOptions o{{"model", model_dir()}, {"device", "cpu"}, {"threads", "2"}};
    for (auto& [k, v] : extra) o[k] = v;
    return registry().create("xsam", o);
}

// 150 x 100: a blue background with a red square and a green disc.
Image test_image(int w = 150, int h = 100) {
    Image im;
    im.width = w;
    im.height = h;
    im.rgb.resize(size_t(w) * h * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            uint8_t* p = im.rgb.data() + (size_t(y) * w + x) * 3;
            p[0] = 20;
            p[1] = uint8_t(40 + y);
            p[2] = uint8_t(120 + x / 2);
            if (x >= 20 && x < 60 && y >= 30 && y < 70) p[0] = 230, p[1] = 20, p[2] = 20;
            if ((x - 110) * (x - 110) + (y - 50) * (y - 50) < 400) p[0] = 30, p[1] = 220, p[2] = 40;
        }
    return im;
}

void check_result(const SegmentResult& r, const Image& im, const std::string& what) {
    for (const InstanceResult& inst : r.instances) {
        XS_CHECK_MSG(inst.mask.width() == im.width && inst.mask.height() == im.height,
                     what + ": mask " + std::to_string(inst.mask.width()) + "x" + std::to_string(inst.mask.height()));
        XS_CHECK_MSG(inst.score >= 0.f && inst.score <= 1.f && std::isfinite(inst.score), what + ": score");
        for (size_t i = 0; i < size_t(im.width) * im.height; ++i) XS_CHECK(inst.mask.data()[i] <= 1);
    }
    XS_CHECK_MSG(!r.timings.empty(), what + ": no timings");
}

bool same_instances(const SegmentResult& a, const SegmentResult& b) {
    if (a.instances.size() != b.instances.size() || a.text != b.text) return false;
    for (size_t i = 0; i < a.instances.size(); ++i) {
        if (a.instances[i].mask != b.instances[i].mask) return false;
        if (a.instances[i].label != b.instances[i].label) return false;
        if (std::fabs(a.instances[i].score - b.instances[i].score) > 0.f) return false;
    }
    return true;
}

double nmse(const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
    return ((x - y).pow(2).sum() / (y.pow(2).sum() + 1e-30)).item<double>();
}

void print_timings(const std::string& what, const std::vector<StageTiming>& t) {
    std::printf("  %-28s", what.c_str());
    for (const StageTiming& s : t) std::printf(" %s=%.1fms", s.stage.c_str(), s.ms);
    std::printf("\n");
}

}  // namespace

XS_TEST(every_task_runs_end_to_end_on_the_tiny_model) {
    auto engine = make_engine();
    XS_CHECK(engine->name() == "xsam" && engine->device() == "cpu");
    const Image im = test_image();
    CancelToken cancel;
    auto prepared = engine->prepare(im, cancel);
    XS_CHECK(prepared->width == 150 && prepared->height == 100 && prepared->memory_bytes() > 0);
    print_timings("prepare", prepared->timings);

    SegmentRequest ref;
    ref.task = Task::Referring;
    ref.text = "the red square";
    SegmentResult r = engine->segment(*prepared, ref, cancel);
    XS_CHECK(r.instances.size() == 1 && r.instances[0].label == "the red square");
    check_result(r, im, "referring");
    print_timings("referring", r.timings);

    SegmentRequest rea;
    rea.task = Task::Reasoning;
    rea.text = "What could be used to sit on?";
    r = engine->segment(*prepared, rea, cancel);
    XS_CHECK(r.instances.size() == 1);
    check_result(r, im, "reasoning");

    for (const char* mode : {"instance", "panoptic", "semantic"}) {
        auto e = make_engine({{"generic_mode", mode}});
        auto p = e->prepare(im, cancel);
        SegmentRequest gen;
        gen.task = Task::Generic;
        gen.categories = {"square", "disc", "sky"};
        gen.score_threshold = 0.0f;  // random weights: keep everything so the masks are exercised
        r = e->segment(*p, gen, cancel);
        check_result(r, im, std::string("generic ") + mode);
        for (const auto& inst : r.instances)
            XS_CHECK(inst.prompt_index >= 0 && inst.prompt_index < 3 &&
                     inst.label == gen.categories[size_t(inst.prompt_index)]);
        if (std::string(mode) == "semantic") {
            int64_t total = 0;
            for (const auto& inst : r.instances) total += inst.mask.area();
            XS_CHECK_MSG(total == 150 * 100, "semantic masks tile the image");
        }
        if (std::string(mode) == "instance") XS_CHECK(!r.instances.empty());
        print_timings(std::string("generic ") + mode, r.timings);
    }
    SegmentRequest ov;
    ov.task = Task::OpenVocabulary;
    ov.categories = {"red thing"};
    ov.score_threshold = 0.f;
    r = engine->segment(*prepared, ov, cancel);
    check_result(r, im, "ovseg");

    SegmentRequest it;
    it.task = Task::Interactive;
    it.points = {{40.f, 50.f, true}};
    r = engine->segment(*prepared, it, cancel);
    XS_CHECK_MSG(r.instances.size() == 1, "interactive returns exactly one mask");
    check_result(r, im, "interactive point");
    print_timings("interactive", r.timings);
    it.points.clear();
    it.boxes = {BoxPrompt{20, 30, 60, 70}};
    check_result(engine->segment(*prepared, it, cancel), im, "interactive box");
    it.boxes.clear();
    ScribblePrompt s;
    s.points = {{25.f, 35.f}, {55.f, 65.f}};
    it.scribbles = {s};
    check_result(engine->segment(*prepared, it, cancel), im, "interactive scribble");
    it.scribbles.clear();
    Mask m(150, 100);
    for (int y = 30; y < 70; ++y)
        for (int x = 20; x < 60; ++x) m.set(x, y, true);
    it.mask_prompts = {m};
    it.points = {{30.f, 40.f, false}};  // a negative point inside the mask prompt
    r = engine->segment(*prepared, it, cancel);
    XS_CHECK(r.instances.size() == 1);
    check_result(r, im, "interactive mask + negative point");
    // The negative point's surroundings never stay in the answer (subtracted when every candidate covers it).
    XS_CHECK(!r.instances[0].mask.at(30, 40));

    SegmentRequest vgd;
    vgd.task = Task::VisualGrounded;
    vgd.points = {{40.f, 50.f, true}};
    vgd.boxes = {BoxPrompt{95, 35, 125, 65}};
    vgd.score_threshold = 0.f;
    r = engine->segment(*prepared, vgd, cancel);
    check_result(r, im, "vgd");
    XS_CHECK(!r.instances.empty());
    for (const auto& inst : r.instances) XS_CHECK(inst.prompt_index == 0 || inst.prompt_index == 1);
    print_timings("vgd", r.timings);

    auto cap_engine = make_engine({{"max_new_tokens", "24"}});
    auto cp = cap_engine->prepare(im, cancel);
    SegmentRequest cap;
    cap.task = Task::GroundedCaption;
    r = cap_engine->segment(*cp, cap, cancel);
    check_result(r, im, "caption");
    print_timings("caption", r.timings);
    std::printf("  caption text: '%s' (%zu grounded phrases)\n", r.text.c_str(), r.instances.size());
}

XS_TEST(grounded_caption_links_phrases_to_masks) {
    // Random weights rarely generate <p>...</p> and <SEG>; the teacher-forced caption runs the same
    // grounding (phrase spans and <SEG> among the answer's positions, one mask per phrase).
    auto engine = make_engine();
    auto* xe = dynamic_cast<XsamEngine*>(engine.get());
    const Image im = test_image();
    CancelToken cancel;
    auto p = engine->prepare(im, cancel);
    SegmentResult r = xe->caption_teacher_forced(*p, "<p>A red square</p> next to <p>a green disc</p> <SEG>.", cancel);
    XS_CHECK_MSG(r.instances.size() == 2, std::to_string(r.instances.size()));
    XS_CHECK_MSG(r.instances[0].label == "A red square" && r.instances[1].label == "a green disc",
                 r.instances[0].label + " | " + r.instances[1].label);
    XS_CHECK(r.instances[0].prompt_index == 0 && r.instances[1].prompt_index == 1);
    check_result(r, im, "forced caption");
    XS_CHECK_MSG(r.text.find("<p>A red square</p>") != std::string::npos, r.text);
    // Without a <SEG> there is nothing to segment: the text alone.
    SegmentResult t = xe->caption_teacher_forced(*p, "<p>A red square</p> only.", cancel);
    XS_CHECK(t.instances.empty() && !t.text.empty());
    // The cached and the from-scratch prefix agree here as well.
    auto scratch = make_engine({{"reuse_prefix", "0"}});
    auto ps = scratch->prepare(im, cancel);
    SegmentResult r2 = dynamic_cast<XsamEngine*>(scratch.get())
                           ->caption_teacher_forced(*ps, "<p>A red square</p> next to <p>a green disc</p> <SEG>.", cancel);
    XS_CHECK(r2.instances.size() == 2);
    for (size_t i = 0; i < 2 && i < r2.instances.size(); ++i) {
        XS_CHECK(std::fabs(r.instances[i].score - r2.instances[i].score) <= 1e-4f);
        XS_CHECK_MSG(mask_iou(r.instances[i].mask, r2.instances[i].mask) >= 0.99 ||
                         (!r.instances[i].mask.any() && !r2.instances[i].mask.any()),
                     "IoU " + std::to_string(mask_iou(r.instances[i].mask, r2.instances[i].mask)));
    }
}

XS_TEST(prefix_reuse_equals_recomputation_from_scratch) {
    // Tolerance: fp32 on the CPU; the cached and the one-pass computations differ only by the shapes of
    // the attention matmuls, so mask logits agree to NMSE <= 1e-10 and class logits to 1e-4 absolute.
    auto cached = make_engine();
    auto scratch = make_engine({{"reuse_prefix", "0"}});
    auto* ec = dynamic_cast<XsamEngine*>(cached.get());
    auto* es = dynamic_cast<XsamEngine*>(scratch.get());
    XS_CHECK(ec && es);
    const Image im = test_image();
    CancelToken cancel;
    auto pc = cached->prepare(im, cancel);
    auto ps = scratch->prepare(im, cancel);
    std::vector<SegmentRequest> reqs(3);
    reqs[0].task = Task::Referring;
    reqs[0].text = "the green disc";
    reqs[1].task = Task::Generic;
    reqs[1].categories = {"square", "disc"};
    reqs[2].task = Task::VisualGrounded;
    reqs[2].points = {{40.f, 50.f, true}};
    for (const auto& rq : reqs) {
        ScoringOutput a = ec->score(dynamic_cast<const XsamPrepared&>(*pc), rq, cancel);
        ScoringOutput b = es->score(dynamic_cast<const XsamPrepared&>(*ps), rq, cancel);
        XS_CHECK(a.ids == b.ids);
        const double e_mask = nmse(a.mask_logits, b.mask_logits);
        const double e_cls = (a.class_logits - b.class_logits).abs().max().item<double>();
        std::printf("  %s: mask-logit NMSE %.3g, class-logit max |diff| %.3g\n", task_name(rq.task), e_mask, e_cls);
        XS_CHECK_MSG(e_mask <= 1e-10, std::to_string(e_mask));
        XS_CHECK_MSG(e_cls <= 1e-4, std::to_string(e_cls));
    }
}

XS_TEST(prompts_on_one_prepared_image_equal_fresh_preparations) {
    auto engine = make_engine();
    const Image im = test_image();
    CancelToken cancel;
    SegmentRequest a;
    a.task = Task::Referring;
    a.text = "the red square";
    SegmentRequest b;
    b.task = Task::Interactive;
    b.points = {{110.f, 50.f, true}};
    auto shared = engine->prepare(im, cancel);
    SegmentResult a1 = engine->segment(*shared, a, cancel);
    SegmentResult b1 = engine->segment(*shared, b, cancel);
    SegmentResult a1again = engine->segment(*shared, a, cancel);  // same request twice: identical
    SegmentResult a2 = engine->segment(*engine->prepare(im, cancel), a, cancel);
    SegmentResult b2 = engine->segment(*engine->prepare(im, cancel), b, cancel);
    XS_CHECK(same_instances(a1, a2));
    XS_CHECK(same_instances(b1, b2));
    XS_CHECK(same_instances(a1, a1again));
    // Region features are deterministic: the interactive request twice gives identical masks.
    SegmentResult b1again = engine->segment(*shared, b, cancel);
    XS_CHECK(same_instances(b1, b1again));
    // And the prepared image is not changed by the prompts: its prefix cache length stays put.
    const auto& xp = dynamic_cast<const XsamPrepared&>(*shared);
    XS_CHECK(xp.prefix_cache.length() == xp.prefix_embeds.size(1));
}

XS_TEST(unsupported_requests_give_clear_errors) {
    auto engine = make_engine();
    const Image im = test_image();
    CancelToken cancel;
    auto p = engine->prepare(im, cancel);
    SegmentRequest r;
    r.task = Task::VisualGrounded;
    r.points = {{10.f, 10.f, false}};
    XS_CHECK_THROWS(engine->segment(*p, r, cancel), Error, "does not accept negative point");
    r.task = Task::Referring;
    r.points = {{10.f, 10.f, true}};
    XS_CHECK_THROWS(engine->segment(*p, r, cancel), Error, "does not accept point");
    SegmentRequest empty;
    empty.task = Task::Referring;
    XS_CHECK_THROWS(engine->segment(*p, empty, cancel), Error, "carries no prompt");
    SegmentRequest cap;
    cap.task = Task::GroundedCaption;
    cap.text = "a caption prompt";
    XS_CHECK_THROWS(engine->segment(*p, cap, cancel), Error, "does not accept text");
    SegmentRequest outside;
    outside.task = Task::Interactive;
    outside.points = {{500.f, 10.f, true}};
    XS_CHECK_THROWS(engine->segment(*p, outside, cancel), Error, "outside");
    SegmentRequest onlyneg;
    onlyneg.task = Task::Interactive;
    onlyneg.points = {{10.f, 10.f, false}};
    XS_CHECK_THROWS(engine->segment(*p, onlyneg, cancel), Error, "at least one positive");
    // A prepared image from another engine instance is refused.
    auto other = make_engine();
    SegmentRequest ok;
    ok.task = Task::Referring;
    ok.text = "x";
    XS_CHECK_THROWS(other->segment(*p, ok, cancel), Error, "another engine");
    // A fired cancel token stops prepare and segment.
    CancelToken fired;
    fired.cancel();
    XS_CHECK_THROWS(engine->prepare(im, fired), Cancelled, "cancelled");
    XS_CHECK_THROWS(engine->segment(*p, ok, fired), Cancelled, "cancelled");
    // Missing or broken model folders.
    XS_CHECK_THROWS(registry().create("xsam", {}), Error, "needs a model folder");
    XS_CHECK_THROWS(registry().create("xsam", {{"model", tmp_dir() + "/no-such-model"}}), Error,
                    "does not exist");
    XS_CHECK_THROWS(make_engine({{"device", "tpu"}}), Error, "device");
    XS_CHECK_THROWS(make_engine({{"generic_mode", "fancy"}}), Error, "generic_mode");
}

XS_TEST(cli_init_random_weights_and_segment) {
    const char* cli = std::getenv("XS_CLI");
    XS_CHECK_MSG(cli != nullptr, "XS_CLI not set");
    const std::string dir = tmp_dir() + "/cli-model";
    fs::remove_all(dir);
    const std::string init = std::string(cli) + " init-random-weights --config " + source_dir() +
                             "/models/xsam-tiny.json --out " + dir + " --seed 3";
    XS_CHECK_MSG(std::system(init.c_str()) == 0, init);
    XS_CHECK(fs::exists(dir + "/config.json") && fs::exists(dir + "/tokenizer.model") &&
             fs::exists(dir + "/model.safetensors"));
    const std::string img = source_dir() + "/resources/samples/coffee.png";
    const std::string out = tmp_dir() + "/cli-mask.png";
    fs::remove(out);
    const std::string seg = std::string(cli) + " segment --engine xsam --model " + dir + " --image " + img +
                            " --task referring --text \"the cup\" --out-mask " + out + " > " + tmp_dir() + "/cli.json";
    XS_CHECK_MSG(std::system(seg.c_str()) == 0, seg);
    int w = 0, h = 0, mw = 0, mh = 0;
    read_image_size(img, w, h);
    read_image_size(out, mw, mh);
    XS_CHECK(w == mw && h == mh);
    // The other task forms of the command line; the caption runs with the default token limit,
    // which the engine caps to the tiny LLM's 512-position context.
    for (const std::string task : {"--task interactive --point 100,80", "--task vgd --point 100,80 --box 10,10,90,70",
                                   "--task generic --categories \"cup,table\"", "--task caption"}) {
        const std::string cmd = std::string(cli) + " segment --engine xsam --model " + dir + " --image " + img + " " +
                                task + " --out-mask " + out + " > " + tmp_dir() + "/cli.json";
        XS_CHECK_MSG(std::system(cmd.c_str()) == 0, cmd);
    }
    const std::string bad = std::string(cli) + " init-random-weights --config /no/such.json --out " + dir + "2 2>/dev/null";
    XS_CHECK(std::system(bad.c_str()) != 0);
}

XS_TEST_MAIN()
