#pragma once
// COCO instance-segmentation files: reading (validate everything, then build) and writing (every rule
// in ../shared/design/coco.md).
//
//   xs::CocoImportOptions opt;
//   opt.images_dir = "/data/birds/images";            // where images[].file_name are found
//   xs::CocoImportReport rep;
//   xs::Project p = xs::read_coco("instances.json", opt, &rep);          // throws xs::Error
//   xs::import_coco(existing, "more.json", opt, &rep);  // all or nothing: on error, existing is untouched
//
//   xs::CocoExportOptions eo;  eo.polygons = true;      // RLE by default
//   xs::write_coco(p, "out.json", eo, &erep);           // atomic; nothing written on error
//
//   eo.progress = [&](int done, int total) { return !stop; };  // false aborts: xs::Cancelled, no file
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

struct CocoImportOptions {
    std::string images_dir;    // resolves images[].file_name; becomes Project::image_root of a new project
    bool check_images = true;  // open every image: it must exist, decode fully, and match width/height
};

struct CocoImportReport {
    int images_added = 0;
    int images_matched = 0;       // already in the project (same file_name); instances were appended
    int categories_added = 0;
    int categories_matched = 0;   // same name as an existing category
    int instances_added = 0;
    int polygon_segmentations = 0;
    int rle_segmentations = 0;    // compressed or uncompressed
    std::vector<std::string> warnings;
    // The file's ids -> the project's ids (formats that link to annotations: refcoco, vgd).
    std::map<int64_t, int> image_ids;
    std::map<int64_t, int64_t> instance_ids;
};

// Reads and validates a COCO file completely, then builds a new project. Image, annotation and
// category ids are kept when they are valid (unique integers >= 1), otherwise renumbered (with a
// warning). Masks are rasterised exactly as pycocotools does. Throws xs::Error naming the field.
Project read_coco(const std::string& coco_path, const CocoImportOptions& options,
                  CocoImportReport* report = nullptr);
Project coco_from_json(const std::string& json_text, const std::string& source_name,
                       const CocoImportOptions& options, CocoImportReport* report = nullptr);

// Imports into an existing project: categories are matched by name, images by file_name (new
// instances are appended). Strong guarantee: on any error the project is left exactly as it was.
void import_coco(Project& project, const std::string& coco_path, const CocoImportOptions& options,
                 CocoImportReport* report = nullptr);
void import_coco_json(Project& project, const std::string& json_text, const std::string& source_name,
                      const CocoImportOptions& options, CocoImportReport* report = nullptr);

struct CocoExportOptions {
    // Write polygons where they reproduce the mask pixel for pixel; instances with holes (or any
    // other shape polygons cannot express exactly) are written as RLE all the same.
    bool polygons = false;
    // Optional: called on the calling thread with (0, images) before the first image and
    // (i, images) after image i, so it reaches (images, images) on a complete export. Returning false
    // aborts: coco_to_json / write_coco throw xs::Cancelled and write_coco leaves the output file
    // untouched (nothing is written, no temporary file is left).
    std::function<bool(int done, int total)> progress;
};

struct CocoExportReport {
    int images = 0;
    int annotations = 0;
    int as_polygons = 0;
    int as_rle = 0;
    int skipped = 0;  // instances with an unknown category or an empty mask (see warnings)
    std::vector<std::string> warnings;
};

// The COCO document as text (deterministic: the same project gives the same bytes). Throws xs::Error
// for a project that cannot be exported (e.g. absolute or duplicate file names).
std::string coco_to_json(const Project& project, const CocoExportOptions& options,
                         CocoExportReport* report = nullptr);
// Atomic write of coco_to_json; nothing is written on error or when options.progress returns false
// (then xs::Cancelled, a subclass of xs::Error, is thrown).
void write_coco(const Project& project, const std::string& path, const CocoExportOptions& options,
                CocoExportReport* report = nullptr);

}  // namespace xs
