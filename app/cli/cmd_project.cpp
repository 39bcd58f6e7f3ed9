// Project and COCO commands: import-coco, export-coco, info. Nothing is written unless the whole
// command succeeds (reads validate first; writes are atomic).
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/cli/command.h"
#include "app/cli/project_args.h"
#include "core/coco/coco.h"
#include "core/io/file_stamp.h"
#include "core/io/output_guard.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace {

using xs::cli::image_inputs;
using xs::cli::one_positional;
using xs::cli::print_warnings;
using xs::cli::resolved_image_root;

int run_import_coco(xs::cli::Args& args) {
    const std::string images = args.require("images");
    const std::string project_path = args.require("project");
    const std::string coco_path = one_positional(args, "COCO.json");

    xs::CocoImportReport rep;
    const bool existing = xs::cli::import_into_project_file(
        images, project_path, {"COCO file", coco_path}, "xsam-cli import-coco", [&](xs::Project& project) {
            xs::CocoImportOptions opt;
            opt.images_dir = images;
            xs::import_coco(project, coco_path, opt, &rep);
        });
    print_warnings(rep.warnings);
    std::printf("imported %s into %s%s: %d image(s) added, %d matched; %d categor%s added, %d matched; "
                "%d instance(s) (%d polygon, %d RLE segmentations)\n",
                coco_path.c_str(), project_path.c_str(), existing ? " (existing project)" : "", rep.images_added,
                rep.images_matched, rep.categories_added, rep.categories_added == 1 ? "y" : "ies",
                rep.categories_matched, rep.instances_added, rep.polygon_segmentations, rep.rle_segmentations);
    return 0;
}

int run_export_coco(xs::cli::Args& args) {
    const std::string out = args.require("out");
    const bool polygons = args.take_flag("polygons");
    const std::string project_path = one_positional(args, "PROJECT.json");
    const xs::Project project = xs::load_project(project_path);
    std::vector<xs::NamedInput> inputs = image_inputs(project, project_path);
    inputs.push_back({"project", project_path});
    xs::refuse_output_over_inputs("--out " + out, out, inputs);
    xs::CocoExportOptions opt;
    opt.polygons = polygons;
    xs::CocoExportReport rep;
    xs::write_coco(project, out, opt, &rep);
    print_warnings(rep.warnings);
    std::printf("exported %s to %s: %d image(s), %d annotation(s) (%d polygons, %d RLE), %d skipped\n",
                project_path.c_str(), out.c_str(), rep.images, rep.annotations, rep.as_polygons, rep.as_rle,
                rep.skipped);
    return 0;
}

int run_info(xs::cli::Args& args) {
    const std::string project_path = one_positional(args, "PROJECT.json");
    const xs::Project p = xs::load_project(project_path);
    std::map<int, int64_t> per_cat;
    int annotated = 0;
    for (const xs::ImageRecord& img : p.images) {
        if (!img.instances.empty()) ++annotated;
        for (const xs::Instance& inst : img.instances) ++per_cat[inst.category_id];
    }
    std::printf("project:    %s (format version %d)\n", project_path.c_str(), xs::project_format_version(p));
    std::printf("image root: %s (%s)\n", p.image_root.c_str(), resolved_image_root(p, project_path).c_str());
    std::printf("images:     %zu (%d with instances)\n", p.images.size(), annotated);
    std::printf("instances:  %lld\n", static_cast<long long>(p.instance_count()));
    std::printf("categories: %zu\n", p.categories.size());
    for (const xs::Category& c : p.categories) {
        std::printf("  %4d  %-24s #%02x%02x%02x  %lld instance(s)\n", c.id, c.name.c_str(), c.color.r, c.color.g,
                    c.color.b, static_cast<long long>(per_cat[c.id]));
    }
    int64_t prompts = 0, sentences = 0, captions = 0, episodes = 0;
    for (const xs::ImageRecord& img : p.images) {
        captions += int64_t(img.captions.size());
        episodes += int64_t(img.episodes.size());
        for (const xs::Instance& inst : img.instances) {
            prompts += inst.prompt.empty() ? 0 : 1;
            sentences += int64_t(inst.referring.size());
        }
    }
    std::printf("grounding:  %lld instance prompt(s), %lld referring sentence(s), %lld caption(s), %lld episode(s)\n",
                static_cast<long long>(prompts), static_cast<long long>(sentences), static_cast<long long>(captions),
                static_cast<long long>(episodes));
    // Image files that changed on disk since they were annotated (fingerprints: core/io/file_stamp.h).
    int stamped = 0;
    for (const xs::ImageRecord& img : p.images) stamped += img.file_size >= 0 && !img.file_hash.empty();
    const auto changed = xs::find_changed_image_files(p, resolved_image_root(p, project_path).string());
    std::printf("image files: %d fingerprinted, %zu changed or missing since annotated\n", stamped, changed.size());
    for (const xs::ImageFileProblem& c : changed) {
        std::printf("  %s  %s: %s\n", c.state == xs::FileState::Missing ? "missing" : "changed", c.file_name.c_str(),
                    c.detail.c_str());
    }
    return 0;
}

}  // namespace

XS_CLI_COMMAND("import-coco",
               "import-coco COCO.json --images DIR --project P.json   Import a COCO file (creates P or adds to it)",
               run_import_coco);
XS_CLI_COMMAND("export-coco", "export-coco P.json --out COCO.json [--polygons]   Export a project as COCO",
               run_export_coco);
XS_CLI_COMMAND("info", "info P.json   Summarise a project", run_info);
