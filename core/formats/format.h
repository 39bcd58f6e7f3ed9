#pragma once
// Every dataset format behind one interface: an exporter and an importer per format, all listed in
// one place (registry.cpp), used by xsam-cli and the GUI alike. Nothing outside a format's own file
// names it: callers look formats up by name and build their options from what the format describes.
//
//   const xs::Format& f = xs::find_format("yolo-seg");            // throws, listing the known names
//   xs::ExportOptions eo;
//   eo.settings["val-fraction"] = "0.2";                          // see f.info().export_options
//   eo.progress = [&](int done, int total) { return !stop; };     // false: xs::Cancelled, nothing written
//   xs::ExportReport rep;
//   f.export_project(project, "out/yolo", eo, rep);               // rep.losses: what the format lost, per image
//
//   xs::ImportOptions io;
//   io.images_dir = "/data/birds";                                // where the images are
//   xs::ImportReport irep;
//   f.import_into(project, "out/yolo", io, irep);                 // all or nothing
//
// Exports are all or nothing: a file is replaced atomically; a folder is written beside the target
// and swapped in whole (core/formats/output_folder.h). Imports check everything before the project
// changes, and a bad file is refused naming the file and the field.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/annotation/project.h"
#include "core/util/error.h"

namespace xs {

// An option of a format, described so that a command line or a dialog can be generated from it.
struct FormatOption {
    enum class Type { Flag, Number, Text };
    std::string key;            // "polygons" (the CLI's --polygons)
    Type type = Type::Flag;
    std::string default_value;  // as text; "" for a flag that is off
    std::string help;
};
using FormatSettings = std::map<std::string, std::string>;  // key -> value ("1" for a flag that is set)

struct FormatInfo {
    std::string name;         // "yolo-seg"
    std::string description;  // one line
    bool exports_folder = false;  // export --out names a folder (else one file)
    bool imports_folder = false;  // import reads a folder (else one file)
    // The data parts (core/formats/data_parts.h) this format writes, e.g. "referring"; every other
    // part present in a project is counted as lost, per image, when exporting.
    std::set<std::string> carries;
    std::vector<std::string> cannot_carry;  // in words: "holes (polygons fill them)", ...
    std::vector<FormatOption> export_options;
    std::vector<FormatOption> import_options;
};

// What an export could not keep on one image.
struct ImageLoss {
    std::string file_name;
    std::map<std::string, int64_t> counts;  // what -> how many: "referring sentences": 2, "holes filled": 1
    int64_t pixels_changed = 0;  // mask pixels an import of the output would not give back as they are
    double min_iou = 1.0;        // the worst IoU of an instance read back against the project's mask
    bool empty() const { return counts.empty() && pixels_changed == 0; }
};

struct ExportReport {
    int images = 0;
    int64_t instances = 0;  // written
    int64_t skipped = 0;    // not written at all (unknown category, empty mask, over a limit; see warnings)
    std::vector<ImageLoss> losses;              // images where something was lost, in project order
    std::map<std::string, int64_t> lost_total;  // the counts summed over images
    double min_iou = 1.0;
    std::vector<std::string> warnings;
};

using ProgressFn = std::function<bool(int done, int total)>;  // false cancels

struct ExportOptions {
    FormatSettings settings;
    // The project's image folder (its image_root resolved); formats that link to or name the image
    // files need it.
    std::string images_dir;
    // Called with (0, images) first and (i, images) after image i; returning false stops the export
    // with xs::Cancelled and nothing is written.
    ProgressFn progress;
};

struct ImportOptions {
    std::string images_dir;    // where the images are; file names in the project are relative to it
    bool check_images = true;  // every image must exist and have the size the data says
    FormatSettings settings;
    // As for export, over the input's images or files; it can cancel until the project changes.
    ProgressFn progress;
};

struct ImportReport {
    int images_added = 0;
    int images_matched = 0;  // already in the project (same file name); instances were appended
    int categories_added = 0;
    int categories_matched = 0;
    int64_t instances_added = 0;
    int64_t prompts = 0;              // instances that came with the prompt that made them
    int64_t referring_sentences = 0;
    int64_t captions = 0;
    int64_t episodes = 0;
    std::vector<std::string> warnings;
};

class Format {
public:
    virtual ~Format() = default;
    virtual const FormatInfo& info() const = 0;
    // Throws xs::Error (nothing written) or xs::Cancelled (from options.progress; nothing written).
    virtual void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                                ExportReport& report) const = 0;
    // Adds the data at `in` to the project. Throws xs::Error naming the file and field, or
    // xs::Cancelled; either way the project is left exactly as it was.
    virtual void import_into(Project& project, const std::string& in, const ImportOptions& options,
                             ImportReport& report) const = 0;
};

// Every format, in a fixed order (registry.cpp).
const std::vector<const Format*>& all_formats();
// Throws xs::Error naming the known formats.
const Format& find_format(const std::string& name);
// Checks settings against the options the format describes (unknown key, a number that is not one);
// returns them with the defaults filled in. Throws xs::Error naming the option.
FormatSettings checked_settings(const std::vector<FormatOption>& options, const FormatSettings& given,
                                const std::string& format_name);

}  // namespace xs
