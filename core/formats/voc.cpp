// Pascal VOC segmentation: SegmentationClass/ (class index per pixel) and SegmentationObject/ (object
// number per pixel), both 8-bit palette PNGs with 255 for void; ImageSets/Segmentation/ lists;
// labelmap.txt (CVAT's "name:r,g,b::" lines) names the classes; JPEGImages/ links to the images.
#include <filesystem>
#include <set>
#include <sstream>

#include "core/formats/import_support.h"
#include "core/formats/label_images.h"
#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

constexpr int kVoid = 255;
constexpr int kMaxClasses = 254;   // 1..254; 0 background, 255 void
constexpr int kMaxObjects = 254;

// The classes of VOC 2012, for data without labelmap.txt.
const char* const kVocClasses[] = {"background", "aeroplane", "bicycle", "bird",  "boat",        "bottle", "bus",
                                   "car",        "cat",       "chair",   "cow",   "diningtable", "dog",    "horse",
                                   "motorbike",  "person",    "pottedplant", "sheep", "sofa",    "train",  "tvmonitor"};

std::string labelmap(const CategoryTable& cats) {
    std::string out = "# label:color_rgb:parts:actions\nbackground:0,0,0::\n";
    for (const Category* c : cats.list()) {
        out += utf8_display(c->name) + ":" + std::to_string(c->color.r) + "," + std::to_string(c->color.g) + "," +
               std::to_string(c->color.b) + "::\n";
    }
    return out;
}

struct VocClass {
    std::string name;
    Rgb color;
};

// "name:r,g,b:parts:actions"; the name may hold ':' itself, so the fields are taken from the right.
std::vector<VocClass> read_labelmap(const std::string& path) {
    std::istringstream in(read_whole_file(path, "labelmap"));
    std::vector<VocClass> out;
    std::set<std::string> names;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const std::string where = path + ":" + std::to_string(line_no);
        size_t cut = line.size();
        for (int k = 0; k < 3; ++k) {
            cut = cut == 0 ? std::string::npos : line.rfind(':', cut - 1);
            if (cut == std::string::npos) throw Error(where + ": expected \"name:r,g,b:parts:actions\"");
        }
        VocClass c;
        c.name = line.substr(0, cut);
        if (c.name.empty()) throw Error(where + ": empty class name");
        if (!is_valid_utf8(c.name)) throw Error(where + ": the class name is not valid UTF-8 text");
        if (!names.insert(c.name).second) throw Error(where + ": class \"" + c.name + "\" is listed twice");
        const std::string rgb = line.substr(cut + 1, line.find(':', cut + 1) - cut - 1);
        int r = 0, g = 0, b = 0;
        char tail = 0;
        if (!rgb.empty() && (std::sscanf(rgb.c_str(), "%d,%d,%d%c", &r, &g, &b, &tail) != 3 || r < 0 || g < 0 || b < 0 ||
                             r > 255 || g > 255 || b > 255))
            throw Error(where + ": colour \"" + rgb + "\" is not r,g,b");
        c.color = Rgb{uint8_t(r), uint8_t(g), uint8_t(b)};
        out.push_back(std::move(c));
    }
    if (out.size() > size_t(kMaxClasses + 1)) throw Error(path + ": more than 255 classes");
    return out;
}

std::vector<VocClass> default_classes() {
    std::vector<VocClass> out;
    for (int i = 0; i < int(sizeof(kVocClasses) / sizeof(kVocClasses[0])); ++i) out.push_back({kVocClasses[i], voc_color(i)});
    return out;
}

// The image stems to read: every list of ImageSets/Segmentation/, or else every object PNG.
std::vector<std::string> image_stems(const std::string& in) {
    std::set<std::string> stems;
    const fs::path sets = fs::path(in) / "ImageSets" / "Segmentation";
    std::error_code ec;
    if (fs::is_directory(sets, ec)) {
        for (const fs::directory_entry& e : fs::directory_iterator(sets, ec)) {
            if (e.path().extension() != ".txt") continue;
            std::istringstream list(read_whole_file(e.path().string(), "image list"));
            for (std::string line; std::getline(list, line);) {
                while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
                if (!line.empty()) stems.insert(line);
            }
        }
    } else {
        const fs::path objects = fs::path(in) / "SegmentationObject";
        for (fs::recursive_directory_iterator it(objects, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->is_regular_file(ec) && it->path().extension() == ".png")
                stems.insert(without_extension(it->path().lexically_relative(objects).generic_string()));
        }
    }
    return std::vector<std::string>(stems.begin(), stems.end());
}

class VocFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "voc";
            f.description = "Pascal VOC segmentation: SegmentationClass/ and SegmentationObject/ PNGs, labelmap.txt";
            f.exports_folder = f.imports_folder = true;
            f.cannot_carry = {"overlapping instances (one object per pixel: the later instance wins)",
                              "more than 254 classes or 254 instances per image",
                              "scores, prompts, referring sentences, captions and episodes",
                              "images are linked (JPEGImages/), not copied"};
            f.export_options = {{"val-fraction", FormatOption::Type::Number, "0",
                                 "share of images in val.txt, chosen by a hash of the file name"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        const FormatSettings s = checked_settings(info().export_options, options.settings, info().name);
        const double val_fraction = validation_fraction(s);
        check_linked_export(project, options, info().name);
        const CategoryTable cats(project);
        if (int(cats.size()) > kMaxClasses)
            throw Error("voc holds at most 254 classes (8-bit PNGs with 0 background and 255 void); the project has " +
                        std::to_string(cats.size()) + " (nothing was written)");
        for (const Category* c : cats.list()) {
            if (c->name.find('\n') != std::string::npos)
                throw Error("category \"" + utf8_display(c->name) + "\" has a line break, which labelmap.txt cannot hold");
        }
        std::vector<Rgb> class_palette(256, Rgb{0, 0, 0}), object_palette(256);
        for (size_t i = 0; i < cats.size(); ++i) class_palette[i + 1] = cats.list()[i]->color;
        for (int i = 0; i < 256; ++i) object_palette[size_t(i)] = voc_color(i);
        class_palette[kVoid] = object_palette[kVoid];
        ExportReport rep;
        OutputFolder folder(out, info().name);
        std::string train, val, all;
        const int total = int(project.images.size());
        export_progress(options, 0, total);
        for (const ImageRecord& img : project.images) {
            const std::string rel = output_relative_name(img);
            const std::string stem = without_extension(rel);
            LossTally tally(info(), img);
            const PaintedImage painted = paint_instances(img, instances_to_export(img, cats, rep), cats, kMaxObjects, tally);
            folder.write("SegmentationClass/" + stem + ".png",
                         png_encode_indexed(img.width, img.height, std::vector<uint8_t>(painted.cls.begin(), painted.cls.end()), class_palette));
            folder.write("SegmentationObject/" + stem + ".png",
                         png_encode_indexed(img.width, img.height, std::vector<uint8_t>(painted.instance.begin(), painted.instance.end()), object_palette));
            folder.link("JPEGImages/" + rel, (fs::absolute(options.images_dir) / rel).lexically_normal().string());
            (in_validation_split(img.file_name, val_fraction) ? val : train) += stem + "\n";
            all += stem + "\n";
            rep.instances += int64_t(painted.painted.size());
            tally.add_to(rep);
            ++rep.images;
            export_progress(options, rep.images, total);
        }
        folder.write("ImageSets/Segmentation/train.txt", train);
        if (val_fraction > 0) folder.write("ImageSets/Segmentation/val.txt", val);
        folder.write("ImageSets/Segmentation/trainval.txt", all);
        folder.write("labelmap.txt", labelmap(cats));
        folder.commit();
        report = std::move(rep);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const std::string objects = (fs::path(in) / "SegmentationObject").string();
        if (!fs::is_directory(objects)) throw Error(in + ": no SegmentationObject/ folder");
        const std::string labelmap_path = (fs::path(in) / "labelmap.txt").string();
        const bool has_labelmap = fs::exists(labelmap_path);
        const std::vector<VocClass> classes = has_labelmap ? read_labelmap(labelmap_path) : default_classes();
        if (!has_labelmap) report.warnings.push_back(in + ": no labelmap.txt; the 20 classes of VOC 2012 are assumed");
        Project incoming;
        std::vector<int> category_of(classes.size(), 0);
        for (size_t i = 1; i < classes.size(); ++i) category_of[i] = incoming.add_category(classes[i].name, classes[i].color).id;
        const std::vector<std::string> stems = image_stems(in);
        const ImageStems images(options.images_dir);
        import_progress(options, 0, int(stems.size()));
        for (const std::string& stem : stems) {
            const std::string obj_path = objects + "/" + stem + ".png";
            const std::string cls_path = (fs::path(in) / "SegmentationClass" / (stem + ".png")).string();
            const PngValues ids = read_label_png(obj_path);
            const PngValues cls = read_label_png(cls_path);
            const std::string name = images.find(stem, obj_path);
            check_image_file(options, name, ids.width, ids.height, obj_path);
            ImageRecord& img = incoming.add_image(name, ids.width, ids.height);
            for (ReadInstance& r : read_instances(ids, obj_path, cls, cls_path, kVoid)) {
                if (r.class_index >= int(classes.size()))
                    throw Error(cls_path + ": class " + std::to_string(r.class_index) + " is not in " +
                                (has_labelmap ? "labelmap.txt" : "the VOC 2012 classes"));
                Instance inst;
                inst.category_id = category_of[size_t(r.class_index)];
                inst.mask = rle_encode(r.mask);
                inst.source = "import:voc";
                inst.created_ms = inst.modified_ms = now_ms();
                img.instances.push_back(std::move(inst));
            }
            import_progress(options, int(incoming.images.size()), int(stems.size()));
        }
        merge_imported(project, incoming, in, report);
    }
};

}  // namespace

const Format& voc_format() {
    static const VocFormat f;
    return f;
}

}  // namespace xs
