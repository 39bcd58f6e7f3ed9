// xsam-cli bench-interactive: the standard clicker protocol (../shared/data/stamps-bench/README.md)
// over every instance of a COCO dataset; one JSON object on stdout, progress on stderr.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/builtin/builtin_engines.h"
#include "core/coco/coco.h"
#include "core/engine/clicker.h"
#include "core/engine/engine.h"
#include "core/io/image.h"
#include "core/util/error.h"

namespace xs::cli {

EngineOptions take_engine_options(Args& args, std::string& engine_name);  // cmd_segment.cpp

namespace {

// Linear-interpolated percentile (p in [0, 100]) of unsorted values; 0 for none.
double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = p / 100.0 * double(v.size() - 1);
    const size_t i = size_t(std::floor(pos));
    const size_t j = std::min(i + 1, v.size() - 1);
    return v[i] + (v[j] - v[i]) * (pos - double(i));
}

int parse_count(const std::optional<std::string>& text, int fallback, const std::string& what) {
    if (!text) return fallback;
    try {
        size_t used = 0;
        const int v = std::stoi(*text, &used);
        if (used == text->size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    throw Error(what + " '" + *text + "' is not a non-negative whole number");
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

std::string join_path(const std::string& dir, const std::string& file) {
    if (dir.empty()) return file;
    return dir.back() == '/' ? dir + file : dir + "/" + file;
}

}  // namespace

static int run_bench_interactive(Args& args) {
    std::string engine_name;
    const EngineOptions options = take_engine_options(args, engine_name);
    const std::string coco_path = args.require("coco");
    const std::string images_dir = args.require("images");
    const int max_clicks = parse_count(args.take("max-clicks"), 20, "--max-clicks");
    const int limit = parse_count(args.take("limit"), 0, "--limit");
    if (max_clicks < 5) throw Error("--max-clicks must be at least 5 (mIoU@5 needs five clicks)");
    if (!args.positionals().empty()) throw Error("bench-interactive takes no positional arguments");

    std::unique_ptr<Engine> engine = builtin_engines().create(engine_name, options);
    CocoImportOptions copt;
    copt.images_dir = images_dir;
    copt.check_images = false;  // every image is decoded below anyway
    const Project project = read_coco(coco_path, copt);
    int total_instances = 0;
    for (const ImageRecord& img : project.images) total_instances += int(img.instances.size());
    if (limit > 0) total_instances = std::min(total_instances, limit);
    if (total_instances == 0) throw Error(coco_path + ": no instances to benchmark");

    // The clicker keeps clicking until IoU 0.90 is reached (and at least 5 clicks for mIoU@5).
    const double stop_iou = 0.90;
    double noc85 = 0, noc90 = 0, miou1 = 0, miou5 = 0;
    std::vector<double> click_ms, prepare_ms;
    int done = 0;
    CancelToken cancel;
    StopWatch total;
    for (const ImageRecord& rec : project.images) {
        if (done >= total_instances) break;
        if (rec.instances.empty()) continue;
        const std::string path = join_path(images_dir, rec.file_name);
        const Image image = load_image(path);
        if (image.width != rec.width || image.height != rec.height) {
            throw Error(path + ": the image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                        ", " + coco_path + " says " + std::to_string(rec.width) + "x" + std::to_string(rec.height));
        }
        StopWatch sw;
        std::shared_ptr<const PreparedImage> prepared = engine->prepare(image, cancel);
        prepare_ms.push_back(sw.elapsed_ms());
        for (const Instance& inst : rec.instances) {
            if (done >= total_instances) break;
            const Mask gt = rle_decode(inst.mask);
            const ClickerRun run = run_clicker(*engine, *prepared, gt, max_clicks, stop_iou, 5, cancel);
            const int n85 = clicks_to_reach(run.ious, 0.85, max_clicks);
            const int n90 = clicks_to_reach(run.ious, 0.90, max_clicks);
            noc85 += n85;
            noc90 += n90;
            miou1 += run.ious[0];
            miou5 += run.ious[std::min<size_t>(4, run.ious.size() - 1)];
            click_ms.insert(click_ms.end(), run.ms.begin(), run.ms.end());
            ++done;
            std::fprintf(stderr, "[%d/%d] %s annotation %lld: NoC@85 %d, NoC@90 %d, IoU@1 %.3f, final IoU %.3f\n", done,
                         total_instances, rec.file_name.c_str(), static_cast<long long>(inst.id), n85, n90,
                         run.ious[0], run.ious.back());
        }
    }

    nlohmann::json j;
    j["engine"] = engine_name;
    j["coco"] = coco_path;
    j["max_clicks"] = max_clicks;
    j["instances"] = done;
    j["NoC@85"] = round3(noc85 / done);
    j["NoC@90"] = round3(noc90 / done);
    j["mIoU@1"] = round3(miou1 / done);
    j["mIoU@5"] = round3(miou5 / done);
    j["ms_per_click_p50"] = round3(percentile(click_ms, 50));
    j["ms_per_click_p95"] = round3(percentile(click_ms, 95));
    j["prepare_ms_p50"] = round3(percentile(prepare_ms, 50));
    j["clicks"] = click_ms.size();
    j["total_s"] = round3(total.elapsed_ms() / 1000.0);
    std::printf("%s\n", j.dump().c_str());
    return 0;
}

XS_CLI_COMMAND("bench-interactive",
               "bench-interactive --coco FILE --images DIR [--engine classic] [--max-clicks 20] [--limit N] "
               "[--model DIR --device D]   Standard clicker protocol: NoC@85/90, mIoU@1/5, ms per click",
               run_bench_interactive);

}  // namespace xs::cli
