// PNG masks: per image an instance-id PNG (16-bit grey: 1, 2, ... in drawing order, 0 background)
// and a semantic PNG (8-bit palette: class index, 0 background, the palette the class colours), plus
// classes.json, the class table. The layout mmsegmentation and panoptic tools read.
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/formats/import_support.h"
#include "core/formats/label_images.h"
#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/io/json_read.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

constexpr int kMaxClasses = 255;        // 8-bit semantic PNG, 0 is background
constexpr int kMaxInstances = 65535;    // 16-bit instance PNG, 0 is background
constexpr uint32_t kNoVoid = 0xffffffffu;

std::string classes_json(const CategoryTable& cats) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    list.push_back({{"index", 0}, {"name", "background"}, {"color", {0, 0, 0}}});
    for (size_t i = 0; i < cats.size(); ++i) {
        const Category& c = *cats.list()[i];
        list.push_back({{"index", i + 1}, {"name", utf8_display(c.name)}, {"color", {c.color.r, c.color.g, c.color.b}}});
    }
    return list.dump(1) + "\n";
}

struct ClassEntry {
    std::string name;
    Rgb color;
};

// classes.json: index -> class; index 0 is background whatever its name.
std::map<int, ClassEntry> read_classes(const std::string& path) {
    using namespace jsonr;
    const json root = parse(read_whole_file(path, "class table"), path);
    const json& list = get_array(root, path, "");
    std::map<int, ClassEntry> out;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string at = index("", i);
        const json& c = get_object(list[i], path, at);
        const int idx = get_int32(field(c, "index", path, at), path, join(at, "index"));
        if (idx < 0 || idx > kMaxClasses) fail(path, join(at, "index"), "must be 0..255");
        ClassEntry e;
        e.name = get_string(field(c, "name", path, at), path, join(at, "name"));
        if (e.name.empty()) fail(path, join(at, "name"), "empty class name");
        if (idx > 0 && !names.insert(e.name).second) fail(path, join(at, "name"), "class \"" + e.name + "\" is listed twice");
        if (c.contains("color")) {
            const json& rgb = get_array(c.at("color"), path, join(at, "color"));
            if (rgb.size() != 3) fail(path, join(at, "color"), "expected [r, g, b]");
            int v[3];
            for (int k = 0; k < 3; ++k) {
                v[k] = get_int32(rgb[size_t(k)], path, join(at, "color") + "[" + std::to_string(k) + "]");
                if (v[k] < 0 || v[k] > 255) fail(path, join(at, "color"), "values are 0..255");
            }
            e.color = Rgb{uint8_t(v[0]), uint8_t(v[1]), uint8_t(v[2])};
        }
        if (!out.emplace(idx, e).second) fail(path, join(at, "index"), "index " + std::to_string(idx) + " is listed twice");
    }
    return out;
}

std::vector<std::string> pngs_under(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".png")
            out.push_back(it->path().lexically_relative(dir).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class PngMasksFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "png-masks";
            f.description = "PNG masks: instance-id PNG (16-bit) and semantic PNG (palette) per image, classes.json";
            f.exports_folder = f.imports_folder = true;
            f.cannot_carry = {"overlapping instances (one value per pixel: the later instance wins, earlier ones lose "
                              "what it covers)",
                              "more than 255 classes or 65535 instances per image",
                              "scores, prompts, referring sentences, captions and episodes"};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        checked_settings(info().export_options, options.settings, info().name);
        check_unique_stems(project, info().name);
        const CategoryTable cats(project);
        if (int(cats.size()) > kMaxClasses)
            throw Error("png-masks writes 8-bit semantic PNGs, which hold at most 255 classes; the project has " +
                        std::to_string(cats.size()) + " (nothing was written)");
        std::vector<Rgb> palette = {Rgb{0, 0, 0}};
        for (const Category* c : cats.list()) palette.push_back(c->color);
        ExportReport rep;
        OutputFolder folder(out, info().name);
        const int total = int(project.images.size());
        export_progress(options, 0, total);
        for (const ImageRecord& img : project.images) {
            const std::string stem = without_extension(output_relative_name(img));
            LossTally tally(info(), img);
            const PaintedImage painted = paint_instances(img, instances_to_export(img, cats, rep), cats, kMaxInstances, tally);
            std::vector<uint8_t> cls(painted.cls.begin(), painted.cls.end());
            folder.write("instances/" + stem + ".png", png_encode_grey16(img.width, img.height, painted.instance));
            folder.write("semantic/" + stem + ".png", png_encode_indexed(img.width, img.height, cls, palette));
            rep.instances += int64_t(painted.painted.size());
            tally.add_to(rep);
            ++rep.images;
            export_progress(options, rep.images, total);
        }
        folder.write("classes.json", classes_json(cats));
        folder.commit();
        report = std::move(rep);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const std::map<int, ClassEntry> classes = read_classes((fs::path(in) / "classes.json").string());
        const std::string ids_dir = (fs::path(in) / "instances").string();
        if (!fs::is_directory(ids_dir)) throw Error(in + ": no instances/ folder (the instance-id PNGs)");
        const std::vector<std::string> files = pngs_under(ids_dir);
        const ImageStems stems(options.images_dir);
        Project incoming;
        std::map<int, int> category_of;  // class index -> category id in `incoming`
        for (const auto& [idx, c] : classes) {
            if (idx > 0) category_of[idx] = incoming.add_category(c.name, c.color).id;
        }
        import_progress(options, 0, int(files.size()));
        for (const std::string& rel : files) {
            const std::string ids_path = ids_dir + "/" + rel;
            const std::string cls_path = (fs::path(in) / "semantic" / rel).string();
            const PngValues ids = read_label_png(ids_path);
            const PngValues cls = read_label_png(cls_path);
            const std::string name = stems.find(without_extension(rel), ids_path);
            check_image_file(options, name, ids.width, ids.height, ids_path);
            ImageRecord& img = incoming.add_image(name, ids.width, ids.height);
            for (ReadInstance& r : read_instances(ids, ids_path, cls, cls_path, kNoVoid)) {
                if (!category_of.count(r.class_index))
                    throw Error(cls_path + ": class " + std::to_string(r.class_index) + " is not in classes.json");
                Instance inst;
                inst.category_id = category_of.at(r.class_index);
                inst.mask = rle_encode(r.mask);
                inst.source = "import:png-masks";
                inst.created_ms = inst.modified_ms = now_ms();
                img.instances.push_back(std::move(inst));
            }
            import_progress(options, int(incoming.images.size()), int(files.size()));
        }
        merge_imported(project, incoming, in, report);
    }
};

}  // namespace

const Format& png_masks_format() {
    static const PngMasksFormat f;
    return f;
}

}  // namespace xs
