#include "core/formats/report_text.h"

#include <cstdio>

#include "core/util/utf8.h"

namespace xs {

namespace {

std::string counts_text(const std::map<std::string, int64_t>& counts) {
    std::string out;
    for (const auto& [what, n] : counts) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    return out;
}

std::string iou_text(double iou) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", iou);
    return buf;
}

}  // namespace

std::string loss_report_text(const ExportReport& rep) {
    if (rep.losses.empty()) return "nothing lost\n";
    std::string out = "lost, per image:\n";
    for (const ImageLoss& l : rep.losses) {
        out += "  " + utf8_display(l.file_name) + ": " + counts_text(l.counts);
        if (l.pixels_changed > 0)
            out += " (" + std::to_string(l.pixels_changed) + " mask pixels differ, worst IoU " + iou_text(l.min_iou) + ")";
        out += "\n";
    }
    out += "lost in total: " + counts_text(rep.lost_total);
    if (rep.min_iou < 1.0) out += "; worst IoU of a mask read back: " + iou_text(rep.min_iou);
    return out + "\n";
}

std::string import_counts_text(const ImportReport& r) {
    return std::to_string(r.images_added) + " image(s) added, " + std::to_string(r.images_matched) + " matched; " +
           std::to_string(r.categories_added) + (r.categories_added == 1 ? " category" : " categories") + " added, " +
           std::to_string(r.categories_matched) + " matched; " + std::to_string(r.instances_added) + " instance(s); " +
           std::to_string(r.prompts) + " prompt(s), " + std::to_string(r.referring_sentences) +
           " referring sentence(s), " + std::to_string(r.captions) + " caption(s), " + std::to_string(r.episodes) +
           " episode(s)";
}

}  // namespace xs
