#include "core/formats/export_support.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/formats/data_parts.h"
#include "core/util/utf8.h"

namespace xs {

void export_progress(const ExportOptions& options, int done, int total) {
    if (options.progress && !options.progress(done, total)) throw Cancelled();
}

CategoryTable::CategoryTable(const Project& project) {
    for (const Category& c : project.categories) list_.push_back(&c);
    std::sort(list_.begin(), list_.end(), [](const Category* a, const Category* b) { return a->id < b->id; });
}

int CategoryTable::index(int category_id) const {
    for (size_t i = 0; i < list_.size(); ++i) {
        if (list_[i]->id == category_id) return int(i);
    }
    return -1;
}

std::vector<const Instance*> instances_to_export(const ImageRecord& image, const CategoryTable& categories,
                                                 ExportReport& report) {
    std::vector<const Instance*> out;
    for (const Instance& inst : image.instances) {
        const std::string name = "instance " + std::to_string(inst.id) + " on \"" + utf8_display(image.file_name) + "\"";
        if (categories.index(inst.category_id) < 0) {
            ++report.skipped;
            report.warnings.push_back(name + " has an unknown category (id " + std::to_string(inst.category_id) +
                                      "); not exported");
        } else if (rle_area(inst.mask) == 0) {
            ++report.skipped;
            report.warnings.push_back(name + " has an empty mask; not exported");
        } else {
            out.push_back(&inst);
        }
    }
    return out;
}

LossTally::LossTally(const FormatInfo& info, const ImageRecord& image) {
    loss_.file_name = image.file_name;
    for (const DataPart& part : data_parts()) {
        if (info.carries.count(part.key)) continue;
        const int64_t n = part.count(image);
        if (n > 0) loss_.counts[part.counted] += n;
    }
}

void LossTally::lost(const std::string& what, int64_t n) {
    if (n > 0) loss_.counts[what] += n;
}

void LossTally::given_back(const Mask& original, const Mask& back, const std::string& reason) {
    if (original == back) return;
    const Mask changed = mask_subtract(mask_union(original, back), mask_intersection(original, back));
    loss_.counts[reason] += 1;
    loss_.pixels_changed += changed.area();
    loss_.min_iou = std::min(loss_.min_iou, mask_iou(original, back));
}

void LossTally::add_to(ExportReport& report) {
    if (loss_.empty()) return;
    for (const auto& [what, n] : loss_.counts) report.lost_total[what] += n;
    report.min_iou = std::min(report.min_iou, loss_.min_iou);
    report.losses.push_back(std::move(loss_));
}

std::string output_relative_name(const ImageRecord& image) {
    std::string name = image.file_name;
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    const std::string shown = "image " + std::to_string(image.id) + " (\"" + utf8_display(image.file_name) + "\")";
    if (name.empty() || name[0] == '/') throw Error(shown + ": an exported file name must be relative to the image root");
    size_t start = 0;
    while (start <= name.size()) {
        const size_t slash = std::min(name.find('/', start), name.size());
        if (name.compare(start, slash - start, "..") == 0 && slash - start == 2)
            throw Error(shown + ": a file name with \"..\" would be written outside the output folder");
        start = slash + 1;
    }
    return name;
}

std::string without_extension(const std::string& name) {
    const size_t slash = name.find_last_of('/');
    const size_t dot = name.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == (slash == std::string::npos ? 0 : slash + 1))
        return name;
    return name.substr(0, dot);
}

void check_unique_stems(const Project& project, const std::string& format_name) {
    std::map<std::string, std::string> seen;
    for (const ImageRecord& img : project.images) {
        const std::string stem = without_extension(output_relative_name(img));
        const auto [it, fresh] = seen.emplace(stem, img.file_name);
        if (!fresh)
            throw Error(format_name + " names its files after the image without its extension, so \"" +
                        utf8_display(it->second) + "\" and \"" + utf8_display(img.file_name) +
                        "\" would share \"" + utf8_display(stem) + "\"; rename one of them (nothing was written)");
    }
}

double validation_fraction(const FormatSettings& settings) {
    const double fraction = std::stod(settings.at("val-fraction"));
    if (fraction < 0 || fraction >= 1) throw Error("option val-fraction: must be in [0, 1)");
    return fraction;
}

void check_linked_export(const Project& project, const ExportOptions& options, const std::string& format_name) {
    if (options.images_dir.empty()) throw Error(format_name + " links the images: the image folder is needed");
    check_unique_stems(project, format_name);
}

bool in_validation_split(const std::string& file_name, double val_fraction) {
    if (val_fraction <= 0) return false;
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : file_name) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return double(h >> 11) / double(uint64_t(1) << 53) < val_fraction;
}

namespace {

double distance2(const Polygon& a, size_t i, const Polygon& b, size_t k) {
    const double dx = a[2 * i] - b[2 * k], dy = a[2 * i + 1] - b[2 * k + 1];
    return dx * dx + dy * dy;
}

// The mask with every hole filled: background not connected (4-neighbours) to the image border.
Mask without_holes(const Mask& mask) {
    const int w = mask.width(), h = mask.height();
    Mask outside(w, h);
    std::vector<std::pair<int, int>> stack;
    auto reach = [&](int x, int y) {
        if (x < 0 || y < 0 || x >= w || y >= h || mask.at(x, y) || outside.at(x, y)) return;
        outside.set(x, y, true);
        stack.emplace_back(x, y);
    };
    for (int x = 0; x < w; ++x) {
        reach(x, 0);
        reach(x, h - 1);
    }
    for (int y = 0; y < h; ++y) {
        reach(0, y);
        reach(w - 1, y);
    }
    while (!stack.empty()) {
        const auto [x, y] = stack.back();
        stack.pop_back();
        reach(x + 1, y);
        reach(x - 1, y);
        reach(x, y + 1);
        reach(x, y - 1);
    }
    Mask filled(w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) filled.set(x, y, !outside.at(x, y));
    return filled;
}

// Vertex i of part p, appended to out.
void emit(Polygon& out, const Polygon& part, size_t i) {
    const size_t n = part.size() / 2;
    out.push_back(part[2 * (i % n)]);
    out.push_back(part[2 * (i % n) + 1]);
}

}  // namespace

std::vector<Polygon> outline_parts(const Mask& mask) { return mask_to_polygons(without_holes(mask)); }

Polygon bridged_outline(const Mask& mask) {
    const std::vector<Polygon> parts = outline_parts(mask);
    if (parts.size() <= 1) return parts.empty() ? Polygon() : parts[0];
    // Part p is entered at vertex entry[p] from the nearest vertex exit[p - 1] of the part before it.
    const size_t count = parts.size();
    std::vector<size_t> entry(count, 0), exit(count, 0);
    for (size_t p = 1; p < count; ++p) {
        double best = INFINITY;
        for (size_t i = 0; i < parts[p - 1].size() / 2; ++i)
            for (size_t k = 0; k < parts[p].size() / 2; ++k) {
                const double d = distance2(parts[p - 1], i, parts[p], k);
                if (d < best) {
                    best = d;
                    exit[p - 1] = i;
                    entry[p] = k;
                }
            }
    }
    // Down the chain: each part from its entry to its exit, the last part whole; then back up: each
    // part again from its exit (back over the bridge) round to its entry.
    Polygon out;
    std::vector<size_t> steps(count);  // vertices from entry to exit
    for (size_t p = 0; p + 1 < count; ++p) {
        const size_t n = parts[p].size() / 2;
        steps[p] = (exit[p] + n - entry[p]) % n;
        for (size_t s = 0; s <= steps[p]; ++s) emit(out, parts[p], entry[p] + s);
    }
    const size_t last_n = parts[count - 1].size() / 2;
    for (size_t s = 0; s <= last_n; ++s) emit(out, parts[count - 1], entry[count - 1] + s);
    for (size_t p = count - 1; p-- > 0;) {
        const size_t n = parts[p].size() / 2;
        for (size_t s = steps[p]; s <= n; ++s) emit(out, parts[p], entry[p] + s);
    }
    out.resize(out.size() - 2);  // the walk ends where it began; the polygon closes itself
    return out;
}

ExportReport coco_export_report(const FormatInfo& info, const Project& project, const CocoExportReport& written) {
    ExportReport rep;
    rep.images = written.images;
    rep.instances = written.annotations;
    rep.skipped = written.skipped;
    rep.warnings = written.warnings;
    for (const ImageRecord& img : project.images) LossTally(info, img).add_to(rep);
    return rep;
}

}  // namespace xs
