#pragma once
// What the importers share: progress and cancel, finding and checking image files, and adding an
// imported project to the open one (categories by name, images by file name, links kept).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/coco/coco.h"
#include "core/formats/format.h"

namespace xs {

// Calls options.progress; throws xs::Cancelled when it returns false.
void import_progress(const ImportOptions& options, int done, int total);

// Checks the image file images_dir/file_name: it must exist and be width x height as displayed.
// Skipped when !options.check_images. Throws xs::Error starting with `where`.
void check_image_file(const ImportOptions& options, const std::string& file_name, int width, int height,
                      const std::string& where);
// The size of images_dir/file_name, for formats that do not store it. Throws xs::Error naming `where`.
void image_file_size(const ImportOptions& options, const std::string& file_name, int& width, int& height,
                     const std::string& where);
// `path` (absolute, or relative to the working folder) as a file name relative to images_dir.
// Throws xs::Error naming `where` when it lies outside images_dir.
std::string name_in_image_folder(const ImportOptions& options, const std::string& path, const std::string& where);

// The image files under images_dir (recursive, hidden entries skipped) by their name without the
// extension, for formats that name their files after the image ("labels/a/b.txt" for "a/b.jpg").
class ImageStems {
public:
    explicit ImageStems(const std::string& images_dir);
    // The file name whose stem is `stem`; throws xs::Error naming `where` when there is none, or
    // several ("a/b.jpg" and "a/b.png").
    std::string find(const std::string& stem, const std::string& where) const;

private:
    std::string dir_;
    std::map<std::string, std::vector<std::string>> by_stem_;
};

// Adds `incoming` to `project`: categories matched by name (new ones keep their colour), images by
// file name (the size must agree), instances appended with their prompts and sentences, captions
// and episodes appended with their links following the instances. An id of `incoming` is kept when
// it is free in the project, otherwise a fresh one is given. Strong guarantee: throws xs::Error
// (message starting with `source`) and leaves `project` as it was.
void merge_imported(Project& project, const Project& incoming, const std::string& source, ImportReport& report);

// The imports of COCO files with extras (refcoco's refs.json, VGD's episodes): `read_coco` fills a
// fresh project from the COCO part, `read_extras` adds the format's own data to it (the COCO report
// maps the file's ids to the project's), and the result is merged into `project` as one step, with
// progress in two steps and the COCO warnings in the report.
void import_coco_with_extras(Project& project, const std::string& source, const ImportOptions& options,
                             const std::function<void(Project&, const CocoImportOptions&, CocoImportReport&)>& read_coco,
                             const std::function<void(const CocoImportReport&, Project&)>& read_extras,
                             ImportReport& report);

// A category of that name in `p`, added when missing.
int category_named(Project& p, const std::string& name);

}  // namespace xs
