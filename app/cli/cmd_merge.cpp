// xsam-cli merge-coco: the shard outputs of `xsam-cli batch` -> one COCO file (core/coco/merge.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/coco/merge.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"
#include "core/util/utf8.h"

namespace xs::cli {

namespace {

int run_merge_coco(Args& args) {
    const std::string out = args.require("out");
    const std::vector<std::string> parts = args.positionals();
    if (parts.empty()) throw Error("merge-coco needs the part files to merge (xsam-cli merge-coco PART... --out FILE)");
    std::vector<NamedInput> inputs;
    for (const std::string& p : parts) inputs.push_back({"part file", p});
    refuse_output_over_inputs("--out " + out, out, inputs);
    MergeReport rep;
    merge_coco_files(parts, out, &rep);
    nlohmann::ordered_json j{{"out", utf8_display(out)},         {"parts", rep.parts},
                             {"shards", rep.shards}, {"images", rep.images},
                             {"failed_images", rep.failed_images}, {"annotations", rep.annotations}};
    std::printf("%s\n", j.dump().c_str());
    std::fprintf(stderr, "merge-coco: wrote %s (%d shards, %d images, %d annotations%s)\n", out.c_str(), rep.shards,
                 rep.images, rep.annotations,
                 rep.failed_images ? (", " + std::to_string(rep.failed_images) + " images listed as failed").c_str() : "");
    return 0;
}

}  // namespace

XS_CLI_COMMAND("merge-coco",
               "merge-coco PART.json... --out COCO.json   Merge the shard outputs of `batch` into one COCO file (the "
               "same bytes as one unsharded run)",
               run_merge_coco);

}  // namespace xs::cli
