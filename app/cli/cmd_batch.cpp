// xsam-cli batch: label a whole image folder headlessly with one engine and one prompt that is the same for
// every image (category list, caption, fixed expression); deterministic shards, a crash-safe journal
// for --resume, a progress bar on stderr, COCO out. The list, shard, journal and document rules live in
// core/coco/batch.h.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "app/cli/command.h"
#include "app/cli/numbers.h"
#include "app/cli/progress.h"
#include "core/builtin/builtin_engines.h"
#include "core/coco/batch.h"
#include "core/engine/engine.h"
#include "core/io/file_io.h"
#include "core/io/image.h"
#include "core/io/output_guard.h"
#include "core/mask/mask.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#include "core/util/timer.h"
#include "core/util/utf8.h"

namespace xs::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kExitFailedImages = 3;  // finished, output written, some images could not be labelled
constexpr int kExitStopped = 4;       // stopped early (--max-images); the journal is kept for --resume
constexpr int64_t kMaxImagePixels = 250'000'000;  // the GUI's limit (ui/image_source.h)

// SIGINT / SIGTERM (Ctrl-C, Slurm preemption, Kubernetes pod deletion): stop after cancelling the
// image in flight; the journal already holds every finished image. A second signal exits at once.
std::atomic<int> g_signal{0};
CancelToken* g_cancel = nullptr;

extern "C" void on_stop_signal(int sig) {
    if (g_signal.exchange(sig) != 0) _exit(128 + sig);
    if (g_cancel) g_cancel->cancel();
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    if (from.empty()) return s;
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

struct Plan {
    Task task = Task::Generic;
    std::vector<std::string> categories;  // output categories, in the given order
    SegmentRequest request;               // the prompt every image gets
};

// Which tasks batch can run: those whose prompt is the same for every image.
constexpr Task kBatchTasks[] = {Task::Generic, Task::OpenVocabulary, Task::GroundedCaption, Task::Referring,
                                Task::Reasoning};

// The prompt, from the command line alone (checked before a model is loaded).
Plan make_plan(const std::string& task_text, const std::optional<std::string>& categories_text,
               const std::optional<std::string>& text) {
    Plan plan;
    // They go into JSON (the journal, the COCO file), which holds UTF-8 text only.
    if (categories_text && !is_valid_utf8(*categories_text)) throw Error("--categories is not valid UTF-8 text");
    if (text && !is_valid_utf8(*text)) throw Error("--text is not valid UTF-8 text");
    auto task = task_from_name(task_text);
    if (!task) {
        std::string names;
        for (Task k : all_tasks()) names += std::string(names.empty() ? "" : ", ") + task_name(k);
        throw Error("unknown task '" + task_text + "' (known: " + names + ")");
    }
    plan.task = *task;
    if (std::find(std::begin(kBatchTasks), std::end(kBatchTasks), plan.task) == std::end(kBatchTasks)) {
        std::string names;
        for (Task k : kBatchTasks) names += std::string(names.empty() ? "" : ", ") + task_name(k);
        throw Error(std::string("the task '") + task_name(plan.task) +
                    "' needs prompts drawn on each image (points, boxes, scribbles, masks); batch runs tasks whose "
                    "prompt is the same for every image: " + names);
    }
    std::vector<std::string> cats;
    if (categories_text) {
        std::stringstream ss(*categories_text);
        std::string item;
        int k = 0;
        while (std::getline(ss, item, ',')) {
            ++k;
            const std::string name = trim(item);
            if (name.empty()) throw Error("--categories: category " + std::to_string(k) + " is empty");
            if (std::find(cats.begin(), cats.end(), name) != cats.end())
                throw Error("--categories: \"" + name + "\" is given twice");
            cats.push_back(name);
        }
        if (!categories_text->empty() && categories_text->back() == ',')
            throw Error("--categories: category " + std::to_string(k + 1) + " is empty");
        if (cats.empty()) throw Error("--categories is empty");
    }
    SegmentRequest& req = plan.request;
    req.task = plan.task;
    switch (plan.task) {
        case Task::Generic:
        case Task::OpenVocabulary:
            if (cats.empty())
                throw Error(std::string("the task '") + task_name(plan.task) + "' needs --categories \"a,b,...\"");
            if (text) throw Error(std::string("the task '") + task_name(plan.task) + "' takes --categories, not --text");
            req.categories = cats;
            plan.categories = cats;
            break;
        case Task::GroundedCaption:
            if (text) throw Error("the task 'gcg' generates its own text; --text is not used");
            if (cats.size() > 1)
                throw Error("the task 'gcg' labels every phrase's mask with one category: give at most one name in "
                            "--categories (default \"object\"); the phrase is kept in each annotation");
            plan.categories = cats.empty() ? std::vector<std::string>{"object"} : cats;
            break;
        case Task::Referring:
        case Task::Reasoning:
            if (!text || trim(*text).empty())
                throw Error(std::string("the task '") + task_name(plan.task) + "' needs --text (the same for every image)");
            if (cats.size() > 1)
                throw Error(std::string("the task '") + task_name(plan.task) +
                            "' gives one mask per image: give at most one name in --categories (default: the text)");
            req.text = *text;
            plan.categories = cats.empty() ? std::vector<std::string>{trim(*text)} : cats;
            break;
        default:
            break;
    }
    return plan;
}

// Whether this engine can run the plan.
void check_plan(const Engine& engine, const Plan& plan) {
    const Capabilities caps = engine.capabilities();
    if (!caps.supports(plan.task)) {
        std::string batchable;
        for (Task k : kBatchTasks)
            if (caps.supports(k)) batchable += std::string(batchable.empty() ? "" : ", ") + task_name(k);
        throw Error("engine '" + engine.name() + "' does not support the task '" + task_name(plan.task) +
                    "' (tasks it can run in batch: " + (batchable.empty() ? "none" : batchable) + ")");
    }
    if (plan.task != Task::GroundedCaption || !plan.request.prompt_kinds().empty()) {
        const std::string why = engine.check(plan.request, 1, 1);
        if (!why.empty()) throw Error(why);
    }
}

batch::ImageRecord label_image(Engine& engine, const Plan& plan, const std::string& root, const std::string& rel,
                               int64_t index, const CancelToken& cancel, double& prepare_ms, double& segment_ms,
                               int64_t& dropped) {
    batch::ImageRecord rec;
    rec.index = index;
    rec.file_name = rel;
    const std::string path = (fs::path(root) / rel).string();
    auto fail = [&](const std::string& why) {
        rec.ok = false;
        rec.error = replace_all(why, path, rel);
        return rec;
    };
    Image image;
    try {
        int w = 0, h = 0;
        read_image_size(path, w, h);
        if (int64_t(w) * h > kMaxImagePixels)
            return fail(rel + ": " + std::to_string(w) + " x " + std::to_string(h) +
                        " pixels, above the 250 megapixel limit");
        image = load_image(path);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::bad_alloc&) {
        return fail(rel + ": not enough memory to decode the image");
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    SegmentResult res;
    try {
        StopWatch sw;
        auto prepared = engine.prepare(image, cancel);
        prepare_ms += sw.lap_ms();
        res = engine.segment(*prepared, plan.request, cancel);
        segment_ms += sw.lap_ms();
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        return fail(rel + ": engine '" + engine.name() + "' failed: " + e.what());
    }
    rec.ok = true;
    rec.width = image.width;
    rec.height = image.height;
    if (plan.task == Task::GroundedCaption) rec.caption = res.text;
    for (const InstanceResult& inst : res.instances) {
        int cat = 0;
        if (plan.task == Task::Generic || plan.task == Task::OpenVocabulary) {
            cat = inst.prompt_index;
            if (cat < 0 || size_t(cat) >= plan.categories.size()) {
                ++dropped;  // an instance the engine did not tie to one of the categories
                continue;
            }
        }
        if (inst.mask.width() != image.width || inst.mask.height() != image.height)
            return fail(rel + ": engine '" + engine.name() + "' returned a " + std::to_string(inst.mask.width()) + "x" +
                        std::to_string(inst.mask.height()) + " mask for a " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) + " image");
        const Rle rle = rle_encode(inst.mask);
        const int64_t area = rle_area(rle);
        if (area == 0) {
            ++dropped;
            continue;
        }
        batch::AnnotationRecord a;
        a.category = cat;
        a.width = image.width;
        a.height = image.height;
        a.counts = rle_to_string(rle);
        a.area = area;
        const BBox bb = rle_bbox(rle);
        a.bbox[0] = bb.x;
        a.bbox[1] = bb.y;
        a.bbox[2] = bb.w;
        a.bbox[3] = bb.h;
        a.score = std::round(double(inst.score) * 1e4) / 1e4;
        if (plan.task == Task::GroundedCaption) a.phrase = inst.label;
        rec.annotations.push_back(std::move(a));
    }
    return rec;
}

int run_batch(Args& args) {
    const std::string images_dir = args.require("images");
    const std::string out = args.require("out");
    const std::string engine_name = args.take("engine").value_or("xsam");
    const std::string task_text = args.take("task").value_or("generic");
    const std::optional<std::string> categories_text = args.take("categories");
    const std::optional<std::string> text = args.take("text");
    const std::optional<std::string> shard_text = args.take("shard");
    const bool resume = args.take_flag("resume");
    EngineOptions options;
    for (const char* key : {"model", "device", "dtype", "compute", "threads", "generic-mode"}) {
        if (auto v = args.take(key)) options[key == std::string("generic-mode") ? "generic_mode" : key] = *v;
    }
    if (options.count("threads")) parse_thread_count(options["threads"], "--threads");
    const std::optional<std::string> score_text = args.take("score-threshold");
    const std::optional<std::string> mask_text = args.take("mask-threshold");
    batch::SyncPolicy sync;
    if (auto k = args.take("checkpoint-every")) {  // records; alone, it replaces the time rule
        sync.every_records = int(parse_count(*k, "--checkpoint-every", 1, std::numeric_limits<int>::max()));
        sync.every_seconds = -1;
    }
    if (auto t = args.take("checkpoint-seconds")) {
        try {
            size_t used = 0;
            sync.every_seconds = std::stod(*t, &used);
            if (used != t->size() || !(sync.every_seconds >= 0) || !std::isfinite(sync.every_seconds))
                throw std::invalid_argument(*t);
        } catch (const std::exception&) {
            throw Error("--checkpoint-seconds '" + *t + "': expected a number of seconds >= 0");
        }
    }
    int64_t max_images = -1;  // no limit
    if (auto m = args.take("max-images")) max_images = parse_count(*m, "--max-images", 0);
    const std::string progress_text = args.take("progress").value_or("auto");
    if (!args.positionals().empty()) throw Error("batch takes no positional arguments");

    const Progress::Mode mode = Progress::parse_mode(progress_text);

    // Everything that can be wrong with the command line is checked before any file is written.
    const batch::ShardSpec shard = shard_text ? batch::parse_shard(*shard_text) : batch::ShardSpec{};
    Plan plan = make_plan(task_text, categories_text, text);
    if (score_text) plan.request.score_threshold = parse_unit(*score_text, "--score-threshold");
    if (mask_text) plan.request.mask_threshold = parse_unit(*mask_text, "--mask-threshold");
    const std::vector<std::string> files = batch::list_images(images_dir);
    if (files.empty())
        throw Error(images_dir + ": no images found (looked in every sub-folder for .jpg .jpeg .png .bmp .tif .tiff "
                                 ".webp .jp2 .pgm .ppm .pbm)");
    {
        const fs::path parent = fs::absolute(fs::path(out)).parent_path();
        std::error_code ec;
        if (!fs::is_directory(parent, ec)) throw Error(out + ": the folder " + parent.string() + " does not exist");
        if (fs::is_directory(fs::path(out), ec)) throw Error(out + ": is a folder");
    }
    const std::string journal_path = out + ".partial";
    {
        std::vector<NamedInput> inputs;
        for (const std::string& f : files) inputs.push_back({"image", (fs::path(images_dir) / f).string()});
        if (options.count("model")) {
            const std::vector<NamedInput> model_files = files_in_folder(options["model"], "model file");
            inputs.insert(inputs.end(), model_files.begin(), model_files.end());
        }
        refuse_output_over_inputs("--out " + out, out, inputs);
        refuse_output_over_inputs("the progress journal " + journal_path, journal_path, inputs);
    }
    std::error_code ec;
    const bool have_journal = fs::exists(journal_path, ec);
    if (have_journal && !resume)
        throw Error(journal_path + " exists: an interrupted run left it. Pass --resume to continue that run, or "
                                   "delete the file to start over");

    std::unique_ptr<Engine> engine = builtin_engines().create(engine_name, options);
    check_plan(*engine, plan);

    batch::RunInfo run;
    run.params["engine"] = engine->name();
    run.params["task"] = task_name(plan.task);
    if (!plan.request.text.empty()) run.params["text"] = plan.request.text;
    if (options.count("model")) {
        // The folder's name, not its path: shards on machines that mount the model elsewhere still agree.
        fs::path m = fs::path(options["model"]).lexically_normal();
        if (m.filename().empty()) m = m.parent_path();
        run.params["model"] = utf8_display(m.filename().string());
    }
    if (options.count("dtype")) run.params["dtype"] = options["dtype"];
    if (options.count("compute")) run.params["compute"] = options["compute"];
    if (options.count("generic_mode")) run.params["generic_mode"] = options["generic_mode"];
    run.params["score_threshold"] = std::round(double(plan.request.score_threshold) * 1e6) / 1e6;
    run.params["mask_threshold"] = std::round(double(plan.request.mask_threshold) * 1e6) / 1e6;
    run.categories = plan.categories;
    run.images_listed = int64_t(files.size());
    run.list_fingerprint = batch::list_fingerprint(files);
    run.shard = shard;

    std::vector<int64_t> mine;
    for (size_t i = 0; i < files.size(); ++i)
        if (batch::in_shard(files[i], shard)) mine.push_back(int64_t(i));

    std::map<int64_t, batch::ImageRecord> records;
    int torn = 0;
    batch::Journal journal = have_journal ? batch::Journal::resume(journal_path, run, sync, records, &torn)
                                          : batch::Journal::create(journal_path, run, sync);
    for (auto it = records.begin(); it != records.end();) {  // failed images are tried again
        if (!it->second.ok) it = records.erase(it);
        else ++it;
    }
    const int64_t resumed = int64_t(records.size());
    std::fprintf(stderr, "batch: %lld images in %s; shard %s has %lld%s\n", (long long)files.size(), images_dir.c_str(),
                 shard.text().c_str(), (long long)mine.size(),
                 have_journal ? (", " + std::to_string(resumed) + " already done" +
                                 (torn ? " (dropped a torn last record)" : ""))
                                    .c_str()
                              : "");

    CancelToken cancel;
    g_cancel = &cancel;
    g_signal = 0;
    struct sigaction sa{}, old_int{}, old_term{};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct Restore {
        struct sigaction a, b;
        ~Restore() {
            sigaction(SIGINT, &a, nullptr);
            sigaction(SIGTERM, &b, nullptr);
            g_cancel = nullptr;
        }
    } restore{old_int, old_term};

    Progress progress("batch", mode, int64_t(mine.size()), resumed);
    StopWatch clock;
    double prepare_ms = 0, segment_ms = 0;
    int64_t processed = 0, failed = 0, dropped = 0;
    bool stopped = false;
    progress.update(resumed, 0);
    for (int64_t idx : mine) {
        if (records.count(idx)) continue;
        if (g_signal.load() || (max_images >= 0 && processed >= max_images)) {
            stopped = true;
            break;
        }
        batch::ImageRecord rec;
        try {
            rec = label_image(*engine, plan, images_dir, files[size_t(idx)], idx, cancel, prepare_ms, segment_ms, dropped);
        } catch (const Cancelled&) {
            stopped = true;
            break;
        }
        journal.append(rec);
        ++processed;
        if (!rec.ok) {
            ++failed;
            if (mode == Progress::Bar) std::fprintf(stderr, "\r\033[K");
            std::fprintf(stderr, "batch: cannot label %s\n", rec.error.c_str());
        }
        records[idx] = std::move(rec);
        progress.update(int64_t(records.size()), failed);
    }
    journal.sync();
    const double seconds = clock.elapsed_ms() / 1000.0;
    progress.update(int64_t(records.size()), failed, true);

    nlohmann::ordered_json summary;
    summary["out"] = utf8_display(out);
    summary["shard"] = shard.text();
    summary["images_listed"] = files.size();
    summary["images_in_shard"] = mine.size();
    summary["resumed"] = resumed;
    summary["processed"] = processed;
    summary["failed"] = failed;
    summary["seconds"] = std::round(seconds * 1000.0) / 1000.0;
    summary["images_per_s"] = seconds > 0 ? std::round(processed / seconds * 1000.0) / 1000.0 : 0.0;
    summary["prepare_ms_per_image"] = processed ? std::round(prepare_ms / processed * 10.0) / 10.0 : 0.0;
    summary["segment_ms_per_image"] = processed ? std::round(segment_ms / processed * 10.0) / 10.0 : 0.0;
    summary["journal_ms"] = std::round(journal.io_ms() * 1000.0) / 1000.0;
    summary["journal_ms_per_image"] = processed ? std::round(journal.io_ms() / processed * 1000.0) / 1000.0 : 0.0;
    summary["journal_syncs"] = journal.syncs();
    summary["dropped_instances"] = dropped;

    if (stopped) {
        const int sig = g_signal.load();
        std::fprintf(stderr, "batch: stopped after %lld images (%s); run again with --resume to continue from %s\n",
                     (long long)processed, sig ? (sig == SIGINT ? "interrupted" : "terminated") : "--max-images",
                     journal_path.c_str());
        summary["stopped"] = true;
        std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return sig ? 128 + sig : kExitStopped;
    }

    std::vector<batch::ImageRecord> shard_records;
    int64_t annotations = 0;
    std::vector<std::string> failed_list;
    for (int64_t idx : mine) {
        const batch::ImageRecord& r = records.at(idx);
        if (r.ok) annotations += int64_t(r.annotations.size());
        else failed_list.push_back(r.error);
        shard_records.push_back(r);
    }
    // Written from the journal's records alone, so a resumed run writes the same bytes as an
    // uninterrupted one.
    atomic_write_file(out, batch::batch_coco_json(run, shard_records));
    {
        batch::Journal closing = std::move(journal);  // closed before the file goes
    }
    ::unlink(journal_path.c_str());

    summary["annotations"] = annotations;
    summary["failed_images"] = failed_list;
    std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    if (!failed_list.empty()) {
        std::fprintf(stderr, "batch: wrote %s; %zu image(s) could not be labelled (listed in info.xsam_batch.failed_images):\n",
                     out.c_str(), failed_list.size());
        for (const std::string& f : failed_list) std::fprintf(stderr, "  %s\n", f.c_str());
        return kExitFailedImages;
    }
    std::fprintf(stderr, "batch: wrote %s (%zu images, %lld annotations)\n", out.c_str(), shard_records.size(),
                 (long long)annotations);
    return 0;
}

}  // namespace

XS_CLI_COMMAND("batch",
               "batch --images DIR --out COCO.json [--engine xsam] [--model DIR] [--task generic|ovseg|gcg|referring|"
               "reasoning] [--categories \"a,b,...\"] [--text T] [--shard I/N] [--resume] [--device cpu|cuda] "
               "[--dtype T] [--compute auto|fp32|bf16] [--threads N] [--score-threshold S] [--mask-threshold M] [--generic-mode instance|panoptic|"
               "semantic] [--checkpoint-every K] [--checkpoint-seconds S] [--max-images N] [--progress auto|bar|lines|none]   Label a whole folder "
               "headlessly into COCO (exit 3: some images unreadable, 4: stopped early, resumable)",
               run_batch);

}  // namespace xs::cli
