// xsam-cli segment: one request on one image with any engine, the mask written as PNG, one JSON line.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "app/cli/command.h"
#include "core/builtin/builtin_engines.h"
#include "core/engine/engine.h"
#include "core/engine/inspection.h"
#include "core/io/file_io.h"
#include "core/io/image.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#include "core/util/utf8.h"

namespace xs::cli {

namespace {

// Parses "A,B,..." into exactly `n` numbers; `what` names the option in the error message.
std::vector<float> parse_numbers(const std::string& text, size_t n, const std::string& what) {
    std::vector<float> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            size_t used = 0;
            const float v = std::stof(item, &used);
            if (used != item.size()) throw std::invalid_argument(item);
            out.push_back(v);
        } catch (const std::exception&) {
            throw Error(what + " '" + text + "': '" + item + "' is not a number");
        }
    }
    if (out.size() != n) {
        throw Error(what + " '" + text + "': expected " + std::to_string(n) + " comma-separated numbers, got " +
                    std::to_string(out.size()));
    }
    return out;
}

ScribblePrompt parse_scribble(const std::string& text, bool positive, const std::string& what) {
    ScribblePrompt s;
    s.positive = positive;
    std::stringstream ss(text);
    std::string pt;
    while (ss >> pt) {
        const std::vector<float> v = parse_numbers(pt, 2, what + " point");
        s.points.push_back({v[0], v[1]});
    }
    if (s.points.empty()) throw Error(what + " '" + text + "' has no points (expected \"X,Y X,Y ...\")");
    return s;
}

Mask load_mask_png(const std::string& path, int width, int height) {
    cv::Mat m = cv::imread(path, cv::IMREAD_GRAYSCALE);
    if (m.empty()) throw Error(path + ": cannot read the mask image");
    if (m.cols != width || m.rows != height) {
        throw Error(path + ": the mask is " + std::to_string(m.cols) + "x" + std::to_string(m.rows) +
                    ", the image " + std::to_string(width) + "x" + std::to_string(height));
    }
    Mask out(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) out.set(x, y, m.at<uchar>(y, x) >= 128);
    return out;
}

// Encoded in memory, then written atomically: a failed write leaves whatever was at path.
void save_mask_png(const Mask& mask, const std::string& path) {
    cv::Mat m(mask.height(), mask.width(), CV_8U, const_cast<uint8_t*>(mask.data()));
    cv::Mat out = m * 255;
    std::vector<uchar> png;
    bool ok = false;
    try {
        ok = cv::imencode(".png", out, png);
    } catch (const cv::Exception& e) {
        throw Error(path + ": cannot encode the mask: " + e.what());
    }
    if (!ok) throw Error(path + ": cannot encode the mask");
    atomic_write_file(path, std::string(png.begin(), png.end()));
}

nlohmann::json timings_json(const std::vector<StageTiming>& timings) {
    nlohmann::json j = nlohmann::json::object();
    for (const StageTiming& t : timings) j[t.stage] = std::round(t.ms * 1000.0) / 1000.0;
    return j;
}

}  // namespace

// Options shared by every command that creates an engine: --engine, --model, --device, --dtype, --compute,
// --threads.
EngineOptions take_engine_options(Args& args, std::string& engine_name) {
    engine_name = args.take("engine").value_or("classic");
    EngineOptions options;
    for (const char* key : {"model", "device", "dtype", "compute", "threads"}) {
        if (auto v = args.take(key)) options[key] = *v;
    }
    if (auto v = args.take("max-new-tokens")) options["max_new_tokens"] = *v;
    if (options.count("threads")) parse_thread_count(options["threads"], "--threads");
    return options;
}

static int run_segment(Args& args) {
    const std::string image_path = args.require("image");
    std::string engine_name;
    const EngineOptions options = take_engine_options(args, engine_name);

    SegmentRequest req;
    if (auto t = args.take("task")) {
        auto task = task_from_name(*t);
        if (!task) {
            std::string names;
            for (Task k : all_tasks()) names += std::string(names.empty() ? "" : ", ") + task_name(k);
            throw Error("unknown task '" + *t + "' (known: " + names + ")");
        }
        req.task = *task;
    }
    // Clicks keep their command-line order whatever their sign: a later click overrides an earlier one
    // under it, and the classic engine treats the last one as the newest correction.
    for (const auto& [name, p] : args.take_all_of({"point", "neg-point"})) {
        const auto v = parse_numbers(p, 2, "--" + name);
        req.points.push_back({v[0], v[1], name == "point"});
    }
    for (const std::string& b : args.take_all("box")) {
        const auto v = parse_numbers(b, 4, "--box");
        req.boxes.push_back({v[0], v[1], v[2], v[3]});
    }
    for (const auto& [name, s] : args.take_all_of({"scribble", "neg-scribble"}))
        req.scribbles.push_back(parse_scribble(s, name == "scribble", "--" + name));
    if (auto t = args.take("text")) req.text = *t;
    if (auto c = args.take("categories")) {
        std::stringstream ss(*c);
        std::string name;
        while (std::getline(ss, name, ',')) {
            const size_t a = name.find_first_not_of(' '), b = name.find_last_not_of(' ');
            if (a != std::string::npos) req.categories.push_back(name.substr(a, b - a + 1));
        }
    }
    const std::optional<std::string> input_mask = args.take("input-mask");
    const std::optional<std::string> out_mask = args.take("out-mask");
    const std::optional<std::string> inspect_path = args.take("inspect");
    if (!args.positionals().empty()) throw Error("segment takes no positional arguments");
    if (out_mask || inspect_path) {
        std::vector<NamedInput> inputs = {{"image", image_path}};
        if (input_mask) inputs.push_back({"input mask", *input_mask});
        if (options.count("model")) {
            const std::vector<NamedInput> model_files = files_in_folder(options.at("model"), "model file");
            inputs.insert(inputs.end(), model_files.begin(), model_files.end());
        }
        if (out_mask) refuse_output_over_inputs("--out-mask " + *out_mask, *out_mask, inputs);
        if (inspect_path) refuse_output_over_inputs("--inspect " + *inspect_path, *inspect_path, inputs);
        if (out_mask && inspect_path && same_file(*out_mask, *inspect_path))
            throw Error("--inspect and --out-mask name the same file " + utf8_display(*out_mask) + " (nothing was written)");
    }
    req.inspect = inspect_path.has_value();

    StopWatch total;
    std::unique_ptr<Engine> engine = builtin_engines().create(engine_name, options);
    const Image image = load_image(image_path);
    if (input_mask) req.input_mask = load_mask_png(*input_mask, image.width, image.height);
    // Check the request before the (possibly expensive) prepare step.
    const std::string problem = engine->check(req, image.width, image.height);
    if (!problem.empty()) throw Error(problem);

    CancelToken cancel;
    StopWatch sw;
    std::shared_ptr<const PreparedImage> prepared = engine->prepare(image, cancel);
    const double prepare_ms = sw.lap_ms();
    SegmentResult res = engine->segment(*prepared, req, cancel);
    const double segment_ms = sw.lap_ms();

    nlohmann::json j;
    j["engine"] = engine_name;
    j["device"] = engine->device();  // with the precision for X-SAM ("cpu, bf16 compute (...)")
    j["image"] = utf8_display(image_path);
    j["width"] = image.width;
    j["height"] = image.height;
    j["task"] = task_name(req.task);
    nlohmann::json instances = nlohmann::json::array();
    for (const InstanceResult& inst : res.instances) {
        const BBox b = inst.mask.bbox();
        instances.push_back({{"area", inst.mask.area()},
                             {"bbox", {b.x, b.y, b.w, b.h}},
                             {"score", inst.score},
                             {"label", inst.label}});
    }
    if (!res.instances.empty()) {
        j["area"] = instances[0]["area"];
        j["bbox"] = instances[0]["bbox"];
        j["score"] = instances[0]["score"];
    } else {
        j["area"] = 0;
        j["bbox"] = {0, 0, 0, 0};
        j["score"] = 0;
    }
    j["instances"] = instances;
    if (!res.text.empty()) j["text"] = res.text;
    j["prepare_ms"] = std::round(prepare_ms * 1000.0) / 1000.0;
    j["segment_ms"] = std::round(segment_ms * 1000.0) / 1000.0;
    std::vector<StageTiming> stages = prepared->timings;
    stages.insert(stages.end(), res.timings.begin(), res.timings.end());
    j["stages_ms"] = timings_json(stages);

    if (inspect_path) {
        if (!res.inspection)
            throw Error("engine '" + engine_name + "' does not report an inspection; --inspect needs the xsam engine "
                        "(nothing was written)");
        // As the GUI's inspector exports it: the prepare stages first, then the request's.
        Inspection in = *res.inspection;
        in.timings = prepared->timings;
        in.timings.insert(in.timings.end(), res.inspection->timings.begin(), res.inspection->timings.end());
        atomic_write_file(*inspect_path, inspection_to_json(in) + "\n");
        j["inspect"] = utf8_display(*inspect_path);
    }
    if (out_mask) {
        const Mask empty(image.width, image.height);
        save_mask_png(res.instances.empty() ? empty : res.instances[0].mask, *out_mask);
        j["out_mask"] = utf8_display(*out_mask);
    }
    j["total_ms"] = std::round(total.elapsed_ms() * 1000.0) / 1000.0;
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
}

XS_CLI_COMMAND("segment",
               "segment --image PATH [--engine classic] [--point X,Y]... [--neg-point X,Y]... "
               "[--box X0,Y0,X1,Y1]... [--scribble \"X,Y X,Y ...\"]... [--neg-scribble ...]... "
               "[--input-mask PNG] [--out-mask PNG] [--inspect OUT.json] [--task NAME --text T --categories \"a,b\"] "
               "[--model DIR --device D --dtype T --compute auto|fp32|bf16 --threads N --max-new-tokens N]   Segment one "
               "image (or answer --task chat --text \"question\"), print one JSON line",
               run_segment);

}  // namespace xs::cli
