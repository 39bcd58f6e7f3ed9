// labelme JSON: one file per image (mirroring the image's path, ".json" for its extension) with a
// polygon shape per part of each instance; the parts of one instance share a group_id. Import also
// takes rectangle and mask shapes (labelme 5.3+: a PNG of the box, base64).
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/formats/export_support.h"
#include "core/formats/import_support.h"
#include "core/formats/output_folder.h"
#include "core/formats/png_codec.h"
#include "core/io/file_io.h"
#include "core/io/json_names.h"
#include "core/io/json_read.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

constexpr const char* kLabelmeVersion = "5.4.1";  // the layout written (fields of labelme 5.4)

ojson polygon_shape(const std::string& label, const Polygon& poly, int group) {
    ojson pts = ojson::array();
    for (size_t k = 0; k < poly.size(); k += 2) pts.push_back({poly[k], poly[k + 1]});
    ojson s;
    s["label"] = utf8_display(label);
    s["points"] = std::move(pts);
    s["group_id"] = group > 0 ? ojson(group) : ojson(nullptr);
    s["description"] = "";
    s["shape_type"] = "polygon";
    s["flags"] = ojson::object();
    s["mask"] = nullptr;
    return s;
}

// ---- import ----

std::string base64_decode(const std::string& text, const std::string& src, const std::string& path) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    uint32_t bits = 0;
    int nbits = 0;
    for (char c : text) {
        if (c == '=' || c == '\n' || c == '\r') continue;
        const int v = value(c);
        if (v < 0) fail(src, path, "not base64");
        bits = (bits << 6) | uint32_t(v);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out += char((bits >> nbits) & 0xff);
        }
    }
    return out;
}

std::vector<std::array<double, 2>> shape_points(const json& s, const std::string& src, const std::string& path, int w, int h) {
    const json& pts = get_array(field(s, "points", src, path), src, join(path, "points"));
    std::vector<std::array<double, 2>> out;
    for (size_t i = 0; i < pts.size(); ++i) {
        const std::string pp = index(join(path, "points"), i);
        const json& xy = get_array(pts[i], src, pp);
        if (xy.size() != 2) fail(src, pp, "expected [x, y]");
        const double x = get_number(xy[0], src, pp + "[0]"), y = get_number(xy[1], src, pp + "[1]");
        if (x < -w || x > 2.0 * w || y < -h || y > 2.0 * h)
            fail(src, pp, "lies far outside the " + std::to_string(w) + "x" + std::to_string(h) + " image");
        out.push_back({x, y});
    }
    return out;
}

// A mask shape: the PNG of its box, placed at the box's top-left corner.
Mask mask_shape(const json& s, const std::vector<std::array<double, 2>>& pts, const std::string& src,
                const std::string& path, int w, int h) {
    if (pts.size() != 2) fail(src, join(path, "points"), "a mask shape has the two corners of its box");
    const std::string png = base64_decode(get_string(field(s, "mask", src, path), src, join(path, "mask")), src, join(path, "mask"));
    const PngValues v = png_decode_values(png, src + ": " + join(path, "mask"));
    const int x0 = int(std::floor(std::min(pts[0][0], pts[1][0]))), y0 = int(std::floor(std::min(pts[0][1], pts[1][1])));
    Mask m(w, h);
    for (int y = 0; y < v.height; ++y)
        for (int x = 0; x < v.width; ++x) {
            if (v.values[size_t(y) * v.width + x] == 0) continue;
            const int ix = x0 + x, iy = y0 + y;
            if (ix >= 0 && iy >= 0 && ix < w && iy < h) m.set(ix, iy, true);
        }
    return m;
}

struct LabelmeInstance {
    std::string label;
    std::vector<Polygon> polygons;
    Mask raster;  // mask shapes
};

// One labelme file into an image of `incoming`.
void read_labelme(const std::string& path, const ImportOptions& options, Project& incoming, ImportReport& rep) {
    const std::string& src = path;
    const json root = parse(read_whole_file(path, "labelme file"), src);
    get_object(root, src, "");
    if (!root.contains("shapes")) fail(src, "", "not a labelme file (no \"shapes\")");
    const std::string image_path = get_name(root, "imagePath", src, "");
    const int w = get_int32(field(root, "imageWidth", src, ""), src, "imageWidth");
    const int h = get_int32(field(root, "imageHeight", src, ""), src, "imageHeight");
    if (w <= 0 || h <= 0) fail(src, "imageWidth", "the image size must be positive");
    const fs::path resolved = fs::path(image_path).is_absolute() ? fs::path(image_path) : fs::path(path).parent_path() / image_path;
    const std::string name = name_in_image_folder(options, resolved.string(), src + ": imagePath");
    check_image_file(options, name, w, h, src);
    if (incoming.find_image(name)) fail(src, "imagePath", "\"" + utf8_display(name) + "\" is named by another labelme file too");
    ImageRecord& img = incoming.add_image(name, w, h);

    std::vector<LabelmeInstance> found;
    std::map<std::pair<std::string, int64_t>, size_t> groups;
    const json& shapes = get_array(root.at("shapes"), src, "shapes");
    for (size_t i = 0; i < shapes.size(); ++i) {
        const std::string sp = index("shapes", i);
        const json& s = get_object(shapes[i], src, sp);
        const std::string label = get_string(field(s, "label", src, sp), src, join(sp, "label"));
        if (label.empty()) fail(src, join(sp, "label"), "empty label");
        const std::string type = s.contains("shape_type") && !s.at("shape_type").is_null()
                                     ? get_string(s.at("shape_type"), src, join(sp, "shape_type"))
                                     : "polygon";
        if (type != "polygon" && type != "rectangle" && type != "mask") {
            rep.warnings.push_back(src + ": " + sp + ": a " + type + " shape is not a region; left out");
            continue;
        }
        const auto pts = shape_points(s, src, sp, w, h);
        size_t at = found.size();
        const bool grouped = s.contains("group_id") && !s.at("group_id").is_null();
        if (grouped) {
            const auto key = std::make_pair(label, get_int(s.at("group_id"), src, join(sp, "group_id")));
            const auto it = groups.find(key);
            if (it != groups.end()) at = it->second;
            else groups[key] = at;
        }
        if (at == found.size()) found.push_back({label, {}, Mask(w, h)});
        LabelmeInstance& inst = found[at];
        if (type == "mask") {
            inst.raster = mask_union(inst.raster, mask_shape(s, pts, src, sp, w, h));
        } else if (type == "rectangle") {
            if (pts.size() != 2) fail(src, join(sp, "points"), "a rectangle has 2 points");
            const double x0 = pts[0][0], y0 = pts[0][1], x1 = pts[1][0], y1 = pts[1][1];
            inst.polygons.push_back({x0, y0, x1, y0, x1, y1, x0, y1});
        } else {
            if (pts.size() < 3) fail(src, join(sp, "points"), std::to_string(pts.size()) + " point(s); a polygon needs at least 3");
            Polygon poly;
            for (const auto& xy : pts) {
                poly.push_back(xy[0]);
                poly.push_back(xy[1]);
            }
            inst.polygons.push_back(std::move(poly));
        }
    }
    for (LabelmeInstance& f : found) {
        Mask m = f.polygons.empty() ? f.raster : mask_union(f.raster, polygons_to_mask(f.polygons, w, h));
        if (!m.any()) {
            rep.warnings.push_back(src + ": a \"" + f.label + "\" shape covers no pixel; left out");
            continue;
        }
        Instance inst;
        inst.category_id = category_named(incoming, f.label);
        inst.mask = rle_encode(m);
        inst.source = "import:labelme";
        inst.created_ms = inst.modified_ms = now_ms();
        img.instances.push_back(std::move(inst));
    }
}

std::vector<std::string> labelme_files(const std::string& in) {
    std::error_code ec;
    if (!fs::is_directory(in, ec)) return {in};
    std::vector<std::string> out;
    for (fs::recursive_directory_iterator it(in, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".json" &&
            it->path().filename() != OutputFolder::kExportMarker)
            out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) throw Error(in + ": no labelme .json files in the folder");
    return out;
}

class LabelmeFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "labelme";
            f.description = "labelme JSON, one file per image, a polygon per part (parts of one instance share group_id)";
            f.exports_folder = f.imports_folder = true;
            f.cannot_carry = {"holes (polygons are filled; a part inside a hole merges into the filled outline)",
                              "scores, prompts, referring sentences, captions and episodes"};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        checked_settings(info().export_options, options.settings, info().name);
        if (options.images_dir.empty()) throw Error("labelme names the image files: the image folder is needed");
        check_unique_stems(project, info().name);
        const CategoryTable cats(project);
        const fs::path out_abs = fs::absolute(out).lexically_normal();
        ExportReport rep;
        OutputFolder folder(out, info().name);
        const int total = int(project.images.size());
        export_progress(options, 0, total);
        for (const ImageRecord& img : project.images) {
            const std::string rel = output_relative_name(img);
            LossTally tally(info(), img);
            ojson shapes = ojson::array();
            int group = 0;
            for (const Instance* inst : instances_to_export(img, cats, rep)) {
                const Mask mask = rle_decode(inst->mask);
                const std::vector<Polygon> parts = outline_parts(mask);
                ++group;
                const std::string& label = project.find_category(inst->category_id)->name;
                for (const Polygon& poly : parts) shapes.push_back(polygon_shape(label, poly, parts.size() > 1 ? group : 0));
                tally.given_back(mask, polygons_to_mask(parts, img.width, img.height),
                                 mask_has_holes(mask) ? "instances with holes filled" : "instances drawn differently");
                ++rep.instances;
            }
            const fs::path json_dir = (out_abs / rel).parent_path();
            const fs::path image_abs = (fs::absolute(options.images_dir) / rel).lexically_normal();
            ojson doc;
            doc["version"] = kLabelmeVersion;
            doc["flags"] = ojson::object();
            doc["shapes"] = std::move(shapes);
            put_name(doc, "imagePath", image_abs.lexically_relative(json_dir).generic_string());
            doc["imageData"] = nullptr;
            doc["imageHeight"] = img.height;
            doc["imageWidth"] = img.width;
            folder.write(without_extension(rel) + ".json", doc.dump(2) + "\n");
            tally.add_to(rep);
            ++rep.images;
            export_progress(options, rep.images, total);
        }
        folder.commit();
        report = std::move(rep);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const std::vector<std::string> files = labelme_files(in);
        Project incoming;
        import_progress(options, 0, int(files.size()));
        int done = 0;
        for (const std::string& f : files) {
            read_labelme(f, options, incoming, report);
            import_progress(options, ++done, int(files.size()));
        }
        merge_imported(project, incoming, in, report);
    }
};

}  // namespace

const Format& labelme_format() {
    static const LabelmeFormat f;
    return f;
}

}  // namespace xs
