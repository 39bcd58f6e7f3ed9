// xsam-cli evaluate / evaluate-merge: the X-SAM paper's metrics of an engine on an annotated image set
// (core/eval/evaluate.h); one JSON object on stdout, progress on stderr.
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "app/cli/numbers.h"
#include "app/cli/progress.h"
#include "core/builtin/builtin_engines.h"
#include "core/eval/evaluate.h"
#include "core/io/file_io.h"
#include "core/io/json_read.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"

namespace xs::cli {

EngineOptions take_engine_options(Args& args, std::string& engine_name);  // cmd_segment.cpp

namespace {

using ojson = nlohmann::ordered_json;

Task parse_task(const std::string& text) {
    const std::optional<Task> t = task_from_name(text);
    if (t && *t != Task::OpenVocabulary) return *t;
    throw Error("--task '" + text + "': expected referring, reasoning, generic, vgd, interactive or gcg");
}

std::vector<eval::PromptType> parse_prompt_types(const std::string& text) {
    std::vector<eval::PromptType> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const std::optional<eval::PromptType> t = eval::prompt_type_from_name(item);
        if (!t) throw Error("--prompts: '" + item + "' is not a prompt type (point, scribble, box, mask)");
        if (std::find(out.begin(), out.end(), *t) != out.end()) throw Error("--prompts: '" + item + "' is given twice");
        out.push_back(*t);
    }
    if (out.empty()) throw Error("--prompts is empty");
    return out;
}

// Prints the result without its merge state, and writes the whole of it to --out when given.
void report(ojson result, const std::optional<std::string>& out) {
    if (out) atomic_write_file(*out, result.dump(1) + "\n");
    result.erase("state");
    ojson& settings = result["settings"];  // the category list is in the file; its length is enough here
    if (settings.contains("category_names")) {
        settings["categories"] = settings["category_names"].size();
        settings.erase("category_names");
    }
    std::printf("%s\n", result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void refuse_out_over_inputs(const std::optional<std::string>& out, std::vector<NamedInput> inputs) {
    if (out) refuse_output_over_inputs("--out " + *out, *out, inputs);
}

}  // namespace

static int run_evaluate(Args& args) {
    std::string engine_name;
    const EngineOptions engine_options = take_engine_options(args, engine_name);
    eval::EvaluateOptions opt;
    opt.task = parse_task(args.require("task"));
    const std::string coco_path = args.require("coco");
    opt.images_dir = args.require("images");
    if (auto r = args.take("refs")) opt.refs_path = *r;
    if (auto s = args.take("split")) opt.refs_split = *s;
    if (auto p = args.take("prompts")) opt.prompt_types = parse_prompt_types(*p);
    if (auto m = args.take("max-clicks")) {
        opt.max_clicks = int(parse_count(*m, "--max-clicks", 0, 1000));
        if (opt.max_clicks > 0 && opt.max_clicks < 5) throw Error("--max-clicks must be 0 (no clicker) or at least 5 (mIoU@5 needs five clicks)");
        opt.clicker = opt.max_clicks > 0;
    }
    if (auto s = args.take("score-threshold")) opt.score_threshold = parse_unit(*s, "--score-threshold");
    if (auto l = args.take("limit")) opt.limit = parse_count(*l, "--limit", 1);
    if (auto s = args.take("shard")) opt.shard = batch::parse_shard(*s);
    const Progress::Mode mode = Progress::parse_mode(args.take("progress").value_or("auto"));
    const std::optional<std::string> out = args.take("out");
    if (!args.positionals().empty()) throw Error("evaluate takes no positional arguments");
    const bool referring = opt.task == Task::Referring || opt.task == Task::Reasoning;
    if (!referring && (!opt.refs_path.empty() || !opt.refs_split.empty()))
        throw Error("--refs and --split belong to the referring and reasoning tasks");
    if (!opt.refs_split.empty() && opt.refs_path.empty()) throw Error("--split needs --refs");
    if (!opt.prompt_types.empty() && opt.task != Task::VisualGrounded && opt.task != Task::Interactive)
        throw Error("--prompts belongs to the vgd and interactive tasks");

    std::vector<NamedInput> inputs = {{"ground truth", coco_path}};
    if (!opt.refs_path.empty()) inputs.push_back({"refs file", opt.refs_path});
    if (engine_options.count("model")) {
        const std::vector<NamedInput> model = files_in_folder(engine_options.at("model"), "model file");
        inputs.insert(inputs.end(), model.begin(), model.end());
    }
    refuse_out_over_inputs(out, inputs);

    // The data are checked completely before a model is loaded (a full X-SAM load takes minutes).
    const eval::GroundTruth gt = eval::read_ground_truth(coco_path, opt.images_dir);
    Progress progress("evaluate", mode, 0, 0);
    opt.progress = [&](int64_t done, int64_t total) {
        if (done == 0) progress = Progress("evaluate", mode, total, 0);
        progress.update(done, 0, done == total);
    };
    eval::Evaluator evaluator(gt, opt);
    std::unique_ptr<Engine> engine = builtin_engines().create(engine_name, engine_options);
    report(evaluator.run(*engine), out);
    return 0;
}

static int run_evaluate_merge(Args& args) {
    const std::optional<std::string> out = args.take("out");
    const std::vector<std::string> parts = args.positionals();
    if (parts.empty()) throw Error("evaluate-merge needs the result files of `evaluate --out` to merge");
    std::vector<NamedInput> inputs;
    std::vector<nlohmann::json> docs;
    for (const std::string& p : parts) {
        inputs.push_back({"part", p});
        docs.push_back(jsonr::parse(read_whole_file(p, "evaluation result"), p));
    }
    refuse_out_over_inputs(out, inputs);
    report(eval::merge_evaluations(docs, parts), out);
    return 0;
}

XS_CLI_COMMAND("evaluate",
               "evaluate --task referring|reasoning|generic|vgd|interactive|gcg --coco GT.json --images DIR "
               "[--engine classic|xsam] [--model DIR] [--device D] [--dtype T] [--threads N] [--refs REFS.json "
               "[--split S]] [--prompts point,scribble,box,mask] [--max-clicks 20|0] [--score-threshold S] "
               "[--limit N] [--shard I/N] [--progress auto|bar|lines|none] [--out RESULT.json]   The X-SAM "
               "paper's metrics of an engine on an annotated set (cIoU/gIoU, PQ/mIoU/mask AP, VGD AP, "
               "interactive mIoU and NoC, caption mIoU/recall)",
               run_evaluate);

XS_CLI_COMMAND("evaluate-merge",
               "evaluate-merge RESULT.json... [--out MERGED.json]   Combine `evaluate --shard --out` results of "
               "disjoint image sets into the metrics of all of them",
               run_evaluate_merge);

}  // namespace xs::cli
