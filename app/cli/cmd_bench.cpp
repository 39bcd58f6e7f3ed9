// xsam-cli bench-interactive: the standard clicker protocol (../shared/data/stamps-bench/README.md)
// over every instance of a COCO dataset; one JSON object on stdout, progress on stderr.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "app/cli/command.h"
#include "core/builtin/builtin_engines.h"
#include "core/classic/grabcut_baseline.h"
#include "core/coco/coco.h"
#include "core/engine/clicker.h"
#include "core/engine/engine.h"
#include "core/io/image.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

namespace xs::cli {

EngineOptions take_engine_options(Args& args, std::string& engine_name);  // cmd_segment.cpp

namespace {

// mIoU is reported after 1..kCurveReport clicks; the clicker makes at least that many.
const int kCurveReport = 5;

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

// --half odd|even: the images at odd (1st, 3rd, ...) or even positions of the COCO file, so that a
// set can be split in two for cross-validated tuning. Empty: every image.
bool image_selected(const std::string& half, size_t position) {
    if (half.empty()) return true;
    return (position % 2 == 0) == (half == "odd");
}

// One benchmarked instance: where it is and its IoU / milliseconds after each click.
struct InstanceRun {
    std::string image;
    int64_t annotation = 0;
    ClickerRun run;
    int noc85 = 0, noc90 = 0;
    bool reached85 = false;
};

std::string instance_key(const std::string& image, int64_t annotation) {
    return image + "#" + std::to_string(annotation);
}

// Instances that reached IoU 0.85 in a run written by --json-out: key -> true.
std::map<std::string, bool> read_baseline(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot open the baseline file (--baseline)");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const std::exception& e) {
        throw Error(path + ": not JSON (--baseline): " + e.what());
    }
    if (!j.is_object() || !j.contains("per_instance") || !j["per_instance"].is_array())
        throw Error(path + ": no 'per_instance' array; --baseline takes a file written by --json-out");
    std::map<std::string, bool> reached;
    for (const nlohmann::json& r : j["per_instance"]) {
        if (!r.is_object() || !r.contains("image") || !r["image"].is_string() || !r.contains("annotation") ||
            !r["annotation"].is_number_integer() || !r.contains("reached85") || !r["reached85"].is_boolean())
            throw Error(path + ": a 'per_instance' entry lacks 'image', 'annotation' or 'reached85'");
        reached[instance_key(r["image"].get<std::string>(), r["annotation"].get<int64_t>())] = r["reached85"].get<bool>();
    }
    return reached;
}

nlohmann::json summary(const std::vector<InstanceRun>& runs, const std::vector<double>& prepare_ms) {
    const double n = double(runs.size());
    double noc85 = 0, noc90 = 0, miou[kCurveReport] = {};
    std::vector<double> click_ms;
    for (const InstanceRun& r : runs) {
        noc85 += r.noc85;
        noc90 += r.noc90;
        for (int k = 0; k < kCurveReport; ++k) miou[k] += r.run.ious[std::min<size_t>(size_t(k), r.run.ious.size() - 1)];
        click_ms.insert(click_ms.end(), r.run.ms.begin(), r.run.ms.end());
    }
    nlohmann::json j;
    j["instances"] = runs.size();
    j["NoC@85"] = round3(noc85 / n);
    j["NoC@90"] = round3(noc90 / n);
    for (int k = 0; k < kCurveReport; ++k) j["mIoU@" + std::to_string(k + 1)] = round3(miou[k] / n);
    j["ms_per_click_p50"] = round3(percentile(click_ms, 50));
    j["ms_per_click_p95"] = round3(percentile(click_ms, 95));
    j["prepare_ms_p50"] = round3(percentile(prepare_ms, 50));
    j["clicks"] = click_ms.size();
    return j;
}

nlohmann::json instance_json(const InstanceRun& r, bool with_curves) {
    nlohmann::json j;
    j["image"] = r.image;
    j["annotation"] = r.annotation;
    j["NoC@85"] = r.noc85;
    j["NoC@90"] = r.noc90;
    j["reached85"] = r.reached85;
    if (with_curves) {
        nlohmann::json ious = nlohmann::json::array(), ms = nlohmann::json::array();
        for (double v : r.run.ious) ious.push_back(std::round(v * 1e5) / 1e5);
        for (double v : r.run.ms) ms.push_back(round3(v));
        nlohmann::json clicks = nlohmann::json::array();
        for (const Click& c : r.run.clicks) clicks.push_back({c.x, c.y, c.positive});
        j["ious"] = ious;
        j["ms"] = ms;
        j["clicks"] = clicks;
    }
    return j;
}

// One panel of an overlay: the image greyed, true positives green, false positives red, false
// negatives blue, the clicks (first `nclicks`) as green (positive) or red (negative) dots.
cv::Mat overlay_panel(const Image& image, const Mask& gt, const Mask& pred, const std::vector<Click>& clicks,
                      size_t nclicks) {
    cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
    cv::Mat grey, out;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
    cv::cvtColor(grey, out, cv::COLOR_GRAY2BGR);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const bool g = gt.at(x, y), p = !pred.empty_size() && pred.at(x, y);
            if (!g && !p) continue;
            const cv::Vec3b tint = g && p ? cv::Vec3b(0, 200, 0) : p ? cv::Vec3b(0, 0, 255) : cv::Vec3b(255, 64, 0);
            cv::Vec3b& px = out.at<cv::Vec3b>(y, x);
            for (int c = 0; c < 3; ++c) px[c] = uchar((px[c] + tint[c]) / 2);
        }
    const int r = std::max(3, std::max(image.width, image.height) / 150);
    for (size_t i = 0; i < std::min(nclicks, clicks.size()); ++i) {
        const cv::Point c(clicks[i].x, clicks[i].y);
        cv::circle(out, c, r + 1, cv::Scalar(255, 255, 255), cv::FILLED);
        cv::circle(out, c, r, clicks[i].positive ? cv::Scalar(0, 160, 0) : cv::Scalar(0, 0, 220), cv::FILLED);
    }
    return out;
}

// --overlays DIR: <image>-<annotation>.png, the mask after the first click beside the last one.
void write_overlay(const std::string& dir, const Image& image, const Mask& gt, const InstanceRun& r) {
    const cv::Mat first = overlay_panel(image, gt, r.run.first_mask, r.run.clicks, 1);
    const cv::Mat last = overlay_panel(image, gt, r.run.last_mask, r.run.clicks, r.run.clicks.size());
    // Cropped to the object (and a margin of half its size), scaled to a 480-pixel long side.
    const BBox b = gt.bbox();
    const int mx = b.w / 2 + 8, my = b.h / 2 + 8;
    const cv::Rect crop = cv::Rect(b.x - mx, b.y - my, b.w + 2 * mx, b.h + 2 * my) & cv::Rect(0, 0, image.width, image.height);
    const double f = 480.0 / std::max(crop.width, crop.height);
    cv::Mat a, c, both;
    cv::resize(first(crop), a, cv::Size(), f, f, f > 1 ? cv::INTER_NEAREST : cv::INTER_AREA);
    cv::resize(last(crop), c, cv::Size(), f, f, f > 1 ? cv::INTER_NEAREST : cv::INTER_AREA);
    cv::hconcat(a, c, both);
    char text[96];
    std::snprintf(text, sizeof text, "1 click: IoU %.3f", r.run.ious.front());
    cv::putText(both, text, cv::Point(8, 24), cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(255, 255, 255), 2);
    std::snprintf(text, sizeof text, "%zu clicks: IoU %.3f", r.run.clicks.size(), r.run.ious.back());
    cv::putText(both, text, cv::Point(a.cols + 8, 24), cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(255, 255, 255), 2);
    std::vector<uchar> png;
    if (!cv::imencode(".png", both, png)) throw Error(dir + ": cannot encode an overlay");
    std::string stem = r.image;
    std::replace(stem.begin(), stem.end(), '/', '_');
    atomic_write_file(join_path(dir, stem + "-" + std::to_string(r.annotation) + ".png"),
                      std::string(png.begin(), png.end()));
}

}  // namespace

static int run_bench_interactive(Args& args) {
    std::string engine_name;
    const EngineOptions options = take_engine_options(args, engine_name);
    const std::string coco_path = args.require("coco");
    const std::string images_dir = args.require("images");
    const int max_clicks = parse_count(args.take("max-clicks"), 20, "--max-clicks");
    const int limit = parse_count(args.take("limit"), 0, "--limit");
    const std::string half = args.take("half").value_or("");
    const std::optional<std::string> json_out = args.take("json-out");
    const std::optional<std::string> baseline_path = args.take("baseline");
    const std::optional<std::string> only_missed_path = args.take("only-missed");
    const std::optional<std::string> overlays_dir = args.take("overlays");
    if (max_clicks < kCurveReport) throw Error("--max-clicks must be at least 5 (mIoU@5 needs five clicks)");
    if (!half.empty() && half != "odd" && half != "even") throw Error("--half must be 'odd' or 'even', not '" + half + "'");
    if (!args.positionals().empty()) throw Error("bench-interactive takes no positional arguments");
    if (overlays_dir && !std::filesystem::is_directory(*overlays_dir))
        throw Error("--overlays " + *overlays_dir + ": not an existing folder");
    const std::map<std::string, bool> baseline =
        baseline_path ? read_baseline(*baseline_path) : std::map<std::string, bool>();
    // --only-missed FILE: just the instances that run never brought to 0.85 (a slow baseline then
    // runs only where the comparison can matter).
    const std::map<std::string, bool> earlier =
        only_missed_path ? read_baseline(*only_missed_path) : std::map<std::string, bool>();
    auto selected = [&](const ImageRecord& rec, const Instance& inst) {
        if (!only_missed_path) return true;
        const auto it = earlier.find(instance_key(rec.file_name, inst.id));
        return it != earlier.end() && !it->second;
    };

    EngineRegistry engines = builtin_engines();
    register_grabcut_baseline(engines);
    std::unique_ptr<Engine> engine = engines.create(engine_name, options);
    CocoImportOptions copt;
    copt.images_dir = images_dir;
    copt.check_images = false;  // every image is decoded below anyway
    const Project project = read_coco(coco_path, copt);
    int total_instances = 0;
    for (size_t i = 0; i < project.images.size(); ++i)
        if (image_selected(half, i))
            for (const Instance& inst : project.images[i].instances) total_instances += selected(project.images[i], inst);
    if (limit > 0) total_instances = std::min(total_instances, limit);
    if (total_instances == 0) {
        if (only_missed_path) {  // nothing was missed: an empty, valid result
            nlohmann::json j;
            j["instances"] = 0;
            j["engine"] = engine_name;
            j["only_missed"] = *only_missed_path;
            j["per_instance"] = nlohmann::json::array();
            std::printf("%s\n", j.dump().c_str());
            if (json_out) atomic_write_file(*json_out, j.dump(1) + "\n");
            return 0;
        }
        throw Error(coco_path + ": no instances to benchmark");
    }

    // The clicker keeps clicking until IoU 0.90 is reached (and at least 5 clicks for mIoU@5).
    const double stop_iou = 0.90;
    std::vector<InstanceRun> runs;
    std::vector<double> prepare_ms;
    CancelToken cancel;
    StopWatch total;
    for (size_t i = 0; i < project.images.size() && int(runs.size()) < total_instances; ++i) {
        const ImageRecord& rec = project.images[i];
        if (!image_selected(half, i) || std::none_of(rec.instances.begin(), rec.instances.end(),
                                                    [&](const Instance& inst) { return selected(rec, inst); }))
            continue;
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
            if (int(runs.size()) >= total_instances) break;
            if (!selected(rec, inst)) continue;
            InstanceRun r;
            r.image = rec.file_name;
            r.annotation = inst.id;
            r.run = run_clicker(*engine, *prepared, rle_decode(inst.mask), max_clicks, stop_iou, kCurveReport, cancel);
            r.noc85 = clicks_to_reach(r.run.ious, 0.85, max_clicks);
            r.noc90 = clicks_to_reach(r.run.ious, 0.90, max_clicks);
            r.reached85 = *std::max_element(r.run.ious.begin(), r.run.ious.end()) >= 0.85;
            if (overlays_dir) write_overlay(*overlays_dir, image, rle_decode(inst.mask), r);
            runs.push_back(r);
            std::fprintf(stderr, "[%zu/%d] %s annotation %lld: NoC@85 %d, NoC@90 %d, IoU@1 %.3f, final IoU %.3f\n",
                         runs.size(), total_instances, rec.file_name.c_str(), static_cast<long long>(inst.id), r.noc85,
                         r.noc90, r.run.ious[0], r.run.ious.back());
        }
    }

    nlohmann::json j = summary(runs, prepare_ms);
    j["engine"] = engine_name;
    j["coco"] = coco_path;
    if (!half.empty()) j["half"] = half;
    if (only_missed_path) j["only_missed"] = *only_missed_path;
    j["max_clicks"] = max_clicks;
    j["total_s"] = round3(total.elapsed_ms() / 1000.0);
    nlohmann::json counts = nlohmann::json::array();
    for (const InstanceRun& r : runs) counts.push_back(instance_json(r, false));
    j["per_instance"] = counts;
    if (baseline_path) {
        // Instances the baseline brought to 0.85 and this run never did (the goal is none).
        nlohmann::json missed = nlohmann::json::array();
        for (const InstanceRun& r : runs) {
            const auto it = baseline.find(instance_key(r.image, r.annotation));
            if (it != baseline.end() && it->second && !r.reached85)
                missed.push_back(instance_key(r.image, r.annotation));
        }
        j["baseline"] = *baseline_path;
        j["missed_85_reached_by_baseline"] = missed;
    }
    std::printf("%s\n", j.dump().c_str());
    if (json_out) {
        nlohmann::json full = j;
        nlohmann::json curves = nlohmann::json::array();
        for (const InstanceRun& r : runs) curves.push_back(instance_json(r, true));
        full["per_instance"] = curves;
        atomic_write_file(*json_out, full.dump(1) + "\n");
    }
    return 0;
}

XS_CLI_COMMAND("bench-interactive",
               "bench-interactive --coco FILE --images DIR [--engine classic|grabcut|xsam] [--max-clicks 20] "
               "[--limit N] [--half odd|even] [--json-out FILE] [--baseline FILE] [--only-missed FILE] [--overlays DIR] [--model DIR --device D]   "
               "Standard clicker protocol: NoC@85/90, mIoU@1..5, ms per click, per-instance click counts",
               run_bench_interactive);

}  // namespace xs::cli
