#pragma once
// What the exporters share: progress and cancel, the category table, per-image loss counting, output
// names, the train/val split, and polygons for formats that have no holes.
#include <string>
#include <vector>

#include "core/coco/coco.h"
#include "core/formats/format.h"
#include "core/mask/polygon.h"

namespace xs {

// Calls options.progress; throws xs::Cancelled when it returns false.
void export_progress(const ExportOptions& options, int done, int total);

// The categories an export writes, in id order: index 0, 1, ... (formats add 1 where 0 is background).
class CategoryTable {
public:
    explicit CategoryTable(const Project& project);
    int index(int category_id) const;  // -1 for an unknown category
    const std::vector<const Category*>& list() const { return list_; }
    size_t size() const { return list_.size(); }

private:
    std::vector<const Category*> list_;
};

// The image's instances an export writes: those of a known category with a non-empty mask. The rest
// are counted in report.skipped with a warning naming them.
std::vector<const Instance*> instances_to_export(const ImageRecord& image, const CategoryTable& categories,
                                                 ExportReport& report);

// Counts what one image loses in an export, then adds it to the report.
class LossTally {
public:
    // Counts every data part the image holds that `info` does not carry.
    LossTally(const FormatInfo& info, const ImageRecord& image);
    void lost(const std::string& what, int64_t n = 1);
    // Compares an instance's mask with what an import of the output gives back; a difference is
    // counted under `reason` with its pixels and IoU.
    void given_back(const Mask& original, const Mask& back, const std::string& reason);
    void add_to(ExportReport& report);

private:
    ImageLoss loss_;
};

// The image's file name as a path inside an output folder: refused (xs::Error) when absolute or
// holding ".." (it would leave the folder).
std::string output_relative_name(const ImageRecord& image);
// "a/b.jpg" -> "a/b"
std::string without_extension(const std::string& name);
// Formats that name their files after the image without its extension (labels/a/b.txt) need those
// names unique: "a/b.jpg" and "a/b.png" cannot both be exported. Throws xs::Error naming both.
void check_unique_stems(const Project& project, const std::string& format_name);

// A deterministic split: the image is in the validation split when the FNV-1a hash of its file name
// falls in the first val_fraction of the range, so adding images never moves others.
bool in_validation_split(const std::string& file_name, double val_fraction);
// The "val-fraction" option of the formats with a train/val split, checked to lie in [0, 1).
double validation_fraction(const FormatSettings& settings);
// Formats that link the images instead of copying them and name their files after the images' stems
// (voc, yolo-seg): the image folder is needed and the stems must be unique. Throws xs::Error.
void check_linked_export(const Project& project, const ExportOptions& options, const std::string& format_name);

// The polygons of formats without holes: the outer boundaries of the mask's parts after its holes are
// filled (a part inside a hole is inside the filled outline). Union semantics, as COCO and labelme.
std::vector<Polygon> outline_parts(const Mask& mask);
// Outer boundaries of the mask's parts as ONE polygon for formats that write one polygon per object
// (YOLO): parts joined by zero-width bridges there and back, which rasterise to nothing, so the
// polygon gives back the union of the parts. Holes are filled. Empty for an empty mask.
Polygon bridged_outline(const Mask& mask);

// The report of an export written as COCO (coco, refcoco, vgd): the writer's counts plus, per image,
// what `info` does not carry.
ExportReport coco_export_report(const FormatInfo& info, const Project& project, const CocoExportReport& written);

}  // namespace xs
