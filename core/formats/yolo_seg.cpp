// YOLO segmentation (the Ultralytics layout): data.yaml with the class names and the splits,
// train.txt / val.txt listing the images, images/ linking to the project's images, and one
// labels/<name>.txt per image with a line per instance: "class x1 y1 x2 y2 ..." normalised to [0, 1].
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/formats/export_support.h"
#include "core/formats/import_support.h"
#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

// Ultralytics finds an image's label file by replacing the last "/images/" of its path with
// "/labels/" and the extension with ".txt" (img2label_paths); exports and imports use the same rule.
std::string label_path_for(const std::string& image_path) {
    const size_t at = image_path.rfind("/images/");
    if (at == std::string::npos) return "";
    return without_extension(image_path.substr(0, at) + "/labels/" + image_path.substr(at + 8)) + ".txt";
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

std::string yaml_quoted(const std::string& s) { return nlohmann::json(utf8_display(s)).dump(); }

// ---- export ----

std::string data_yaml(const CategoryTable& cats, bool has_val) {
    std::string y = "# YOLO segmentation dataset written by X-SAM Studio (Ultralytics layout). Paths are relative\n"
                    "# to this file; images/ links to the project's image files.\n";
    y += "train: train.txt\n";
    y += has_val ? "val: val.txt\n" : "val: train.txt  # no validation split was asked for (--val-fraction)\n";
    y += "nc: " + std::to_string(cats.size()) + "\n";
    // No category (all deleted): an empty map, which YAML readers (and our import) take as no classes;
    // "names:" with nothing under it would read as null.
    y += cats.size() == 0 ? "names: {}\n" : "names:\n";
    for (size_t i = 0; i < cats.size(); ++i) y += "  " + std::to_string(i) + ": " + yaml_quoted(cats.list()[i]->name) + "\n";
    return y;
}

std::string label_line(int cls, const Polygon& poly, int width, int height) {
    std::string line = std::to_string(cls);
    for (size_t k = 0; k < poly.size(); k += 2) {
        line += " " + number_text(poly[k] / width);
        line += " " + number_text(poly[k + 1] / height);
    }
    return line + "\n";
}

// ---- import: the subset of YAML that data.yaml files use ----

struct YamlEntry {
    std::string scalar;                                       // key: value
    std::vector<std::pair<std::string, std::string>> items;  // a block or flow list (keys "0", "1", ...) or map
    bool has_items = false;
};

std::string yaml_scalar(std::string s, const std::string& where) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    size_t a = 0;
    while (a < s.size() && (s[a] == ' ' || s[a] == '\t')) ++a;
    s = s.substr(a);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        try {
            return nlohmann::json::parse(s).get<std::string>();
        } catch (const std::exception&) {
            throw Error(where + ": malformed quoted string " + s);
        }
    }
    if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
        std::string out;
        for (size_t i = 1; i + 1 < s.size(); ++i) {
            out += s[i];
            if (s[i] == '\'' && s[i + 1] == '\'') ++i;
        }
        return out;
    }
    return s;
}

// Drops a comment: '#' at the start or after a blank, outside quotes.
std::string without_comment(const std::string& line) {
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            return line.substr(0, i);
        }
    }
    return line;
}

// Splits a flow collection "[a, 'b, c']" / "{0: a, 1: b}" at top-level commas.
std::vector<std::string> flow_items(const std::string& inner) {
    std::vector<std::string> out;
    std::string cur;
    char quote = 0;
    for (char c : inner) {
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == ',') {
            out.push_back(cur);
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (cur.find_first_not_of(" \t") != std::string::npos) out.push_back(cur);
    return out;
}

// "key: value" -> {key, value}; the colon must be followed by a blank or end the line.
bool split_key(const std::string& s, std::string& key, std::string& value) {
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (quote) {
            if (s[i] == quote) quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t')) {
            key = s.substr(0, i);
            value = i + 1 < s.size() ? s.substr(i + 1) : "";
            return true;
        }
    }
    return false;
}

std::map<std::string, YamlEntry> parse_yaml(const std::string& text, const std::string& path) {
    std::map<std::string, YamlEntry> out;
    std::istringstream in(text);
    std::string raw, current;
    int line_no = 0;
    while (std::getline(in, raw)) {
        ++line_no;
        const std::string where = path + ":" + std::to_string(line_no);
        const std::string line = without_comment(raw);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const bool indented = line[0] == ' ' || line[0] == '\t';
        const std::string body = line.substr(line.find_first_not_of(" \t"));
        if (indented) {
            if (current.empty()) throw Error(where + ": indented line outside a key");
            YamlEntry& e = out[current];
            std::string k, v;
            e.has_items = true;
            if (body[0] == '-') {
                e.items.emplace_back(std::to_string(e.items.size()), yaml_scalar(body.substr(1), where));
            } else if (split_key(body, k, v)) {
                e.items.emplace_back(yaml_scalar(k, where), yaml_scalar(v, where));
            } else {
                throw Error(where + ": expected \"- item\" or \"key: value\"");
            }
            continue;
        }
        std::string key, value;
        if (!split_key(body, key, value)) throw Error(where + ": expected \"key: value\"");
        current = yaml_scalar(key, where);
        YamlEntry& e = out[current];
        const size_t first = value.find_first_not_of(" \t");
        const bool flow = first != std::string::npos && (value[first] == '[' || value[first] == '{');
        std::string v = flow ? value.substr(first) : yaml_scalar(value, where);
        if (flow) {
            while (v.back() == ' ' || v.back() == '\t' || v.back() == '\r') v.pop_back();
            if (v.back() != (v.front() == '[' ? ']' : '}')) throw Error(where + ": unterminated " + v.substr(0, 1));
            e.has_items = true;
            for (const std::string& item : flow_items(v.substr(1, v.size() - 2))) {
                std::string k, iv;
                if (v.front() == '{') {
                    if (!split_key(item, k, iv)) throw Error(where + ": expected \"key: value\" in " + v);
                    e.items.emplace_back(yaml_scalar(k, where), yaml_scalar(iv, where));
                } else {
                    e.items.emplace_back(std::to_string(e.items.size()), yaml_scalar(item, where));
                }
            }
        } else {
            e.scalar = v;
        }
    }
    return out;
}

struct YoloDataset {
    fs::path root;                   // where relative paths start
    std::vector<std::string> names;  // class index -> name
    std::vector<std::string> images; // image paths, each once, in split order
};

std::vector<std::string> class_names(const std::map<std::string, YamlEntry>& y, const std::string& path) {
    const auto it = y.find("names");
    if (it == y.end() || !it->second.has_items) throw Error(path + ": names: missing (the class names, a list or a map)");
    std::vector<std::string> names(it->second.items.size());
    std::vector<bool> seen(names.size(), false);
    for (const auto& [k, v] : it->second.items) {
        char* end = nullptr;
        const long i = std::strtol(k.c_str(), &end, 10);
        if (k.empty() || *end != '\0' || i < 0 || i >= long(names.size()) || seen[size_t(i)])
            throw Error(path + ": names: class index \"" + k + "\" is not one of 0.." + std::to_string(names.size() - 1) + " (each once)");
        if (v.empty()) throw Error(path + ": names: class " + k + " has an empty name");
        // Names become categories, which the project file keeps as JSON text (found by fuzz_formats).
        if (!is_valid_utf8(v)) throw Error(path + ": names: the name of class " + k + " is not valid UTF-8 text");
        names[size_t(i)] = v;
        seen[size_t(i)] = true;
    }
    return names;
}

bool has_image_extension(const fs::path& p) {
    std::string e = p.extension().string();
    for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
    return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp" || e == ".tif" || e == ".tiff" || e == ".webp";
}

// The images of one split entry: a .txt list ("./x" relative to the list), a folder, or one image.
void add_split_images(const fs::path& root, const std::string& entry, const std::string& where, YoloDataset& ds,
                      std::set<std::string>& seen) {
    const fs::path p = fs::path(entry).is_absolute() ? fs::path(entry) : root / entry;
    auto add = [&](const fs::path& img) {
        const std::string s = img.lexically_normal().string();
        if (seen.insert(s).second) ds.images.push_back(s);
    };
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        std::vector<std::string> found;
        for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->is_regular_file(ec) && has_image_extension(it->path())) found.push_back(it->path().string());
        }
        std::sort(found.begin(), found.end());
        for (const std::string& f : found) add(f);
        return;
    }
    if (p.extension() == ".txt") {
        std::istringstream list(read_whole_file(p.string(), "image list"));
        std::string line;
        while (std::getline(list, line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (line.empty()) continue;
            if (line.rfind("./", 0) == 0) add(p.parent_path() / line.substr(2));
            else add(fs::path(line).is_absolute() ? fs::path(line) : root / line);
        }
        return;
    }
    if (fs::is_regular_file(p, ec) && has_image_extension(p)) {
        add(p);
        return;
    }
    throw Error(where + ": \"" + entry + "\" is neither a folder, an image list (.txt) nor an image");
}

YoloDataset read_dataset(const std::string& in) {
    std::error_code ec;
    fs::path yaml = in;
    if (fs::is_directory(yaml, ec)) yaml /= "data.yaml";
    const std::string ypath = yaml.string();
    const std::map<std::string, YamlEntry> y = parse_yaml(read_whole_file(ypath, "YOLO data.yaml"), ypath);
    YoloDataset ds;
    ds.root = yaml.parent_path().empty() ? fs::path(".") : yaml.parent_path();
    if (y.count("path") && !y.at("path").scalar.empty()) {
        const fs::path p = y.at("path").scalar;
        ds.root = p.is_absolute() ? p : ds.root / p;
    }
    ds.names = class_names(y, ypath);
    if (y.count("nc") && y.at("nc").scalar != std::to_string(ds.names.size()))
        throw Error(ypath + ": nc: " + y.at("nc").scalar + " classes, but names lists " + std::to_string(ds.names.size()));
    std::set<std::string> seen;
    bool any_split = false;
    for (const char* split : {"train", "val", "test"}) {
        if (!y.count(split)) continue;
        const YamlEntry& e = y.at(split);
        const std::string where = ypath + ": " + split;
        if (e.has_items) {
            for (const auto& item : e.items) add_split_images(ds.root, item.second, where, ds, seen);
        } else if (!e.scalar.empty()) {
            add_split_images(ds.root, e.scalar, where, ds, seen);
        }
        any_split = true;
    }
    if (!any_split) throw Error(ypath + ": train: missing (no split lists any image)");
    return ds;
}

// The project's name for an image of the dataset: its path below <root>/images/, or else below the
// last "/images/" of its path.
std::string project_name(const YoloDataset& ds, const std::string& image, const std::string& where) {
    const std::string prefix = (ds.root / "images").lexically_normal().string() + "/";
    if (image.rfind(prefix, 0) == 0) return image.substr(prefix.size());
    const size_t at = image.rfind("/images/");
    if (at == std::string::npos)
        throw Error(where + ": " + image + " is not in an images/ folder, so its labels/ file cannot be found");
    return image.substr(at + 8);
}

double snapped(double normalised, int size) { return std::round(normalised * size * 1e4) / 1e4; }

// One label file into instances of `img`.
void read_labels(const std::string& path, const std::vector<std::string>& names, const std::vector<int>& category_ids,
                 ImageRecord& img, ImportReport& rep) {
    std::istringstream in(read_whole_file(path, "YOLO label file"));
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        const std::string where = path + ":" + std::to_string(line_no);
        std::istringstream tokens(line);
        std::vector<std::string> t;
        for (std::string tok; tokens >> tok;) t.push_back(tok);
        if (t.empty()) continue;
        char* end = nullptr;
        const long cls = std::strtol(t[0].c_str(), &end, 10);
        if (*end != '\0' || cls < 0 || cls >= long(names.size()))
            throw Error(where + ": class \"" + t[0] + "\" is not one of 0.." + std::to_string(names.size() - 1) + " (data.yaml names)");
        std::vector<double> v;
        for (size_t k = 1; k < t.size(); ++k) {
            const double x = std::strtod(t[k].c_str(), &end);
            if (*end != '\0' || !std::isfinite(x)) throw Error(where + ": value " + std::to_string(k) + " \"" + t[k] + "\" is not a number");
            if (x < -1e-6 || x > 1 + 1e-6) throw Error(where + ": value " + std::to_string(k) + " = " + t[k] + " is not normalised to [0, 1]");
            v.push_back(x);
        }
        Polygon poly;
        if (v.size() == 4) {  // a detection box: cx cy w h
            const double x0 = snapped(v[0] - v[2] / 2, img.width), x1 = snapped(v[0] + v[2] / 2, img.width);
            const double y0 = snapped(v[1] - v[3] / 2, img.height), y1 = snapped(v[1] + v[3] / 2, img.height);
            poly = {x0, y0, x1, y0, x1, y1, x0, y1};
        } else if (v.size() >= 6 && v.size() % 2 == 0) {
            for (size_t k = 0; k < v.size(); k += 2) {
                poly.push_back(snapped(v[k], img.width));
                poly.push_back(snapped(v[k + 1], img.height));
            }
        } else {
            throw Error(where + ": " + std::to_string(v.size()) + " coordinates: a polygon needs at least 3 x, y pairs (a box 4 values)");
        }
        Rle mask = polygons_to_rle({poly}, img.height, img.width);
        if (rle_area(mask) == 0) {
            rep.warnings.push_back(where + ": the polygon covers no pixel; left out");
            continue;
        }
        Instance inst;
        inst.id = 0;  // merge_imported gives ids
        inst.category_id = category_ids[size_t(cls)];
        inst.mask = std::move(mask);
        inst.source = "import:yolo-seg";
        inst.created_ms = inst.modified_ms = now_ms();
        img.instances.push_back(std::move(inst));
    }
}

class YoloSegFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "yolo-seg";
            f.description = "YOLO segmentation (Ultralytics): data.yaml, train/val lists, one label file per image";
            f.exports_folder = f.imports_folder = true;
            f.cannot_carry = {"holes (an object is one outline; holes are filled)",
                              "scores, prompts, referring sentences, captions and episodes",
                              "images are linked (images/), not copied"};
            f.export_options = {{"val-fraction", FormatOption::Type::Number, "0",
                                 "share of images in the val split, chosen by a hash of the file name (0: val = train)"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        const FormatSettings s = checked_settings(info().export_options, options.settings, info().name);
        const double val_fraction = validation_fraction(s);
        check_linked_export(project, options, info().name);
        ExportReport rep;
        const CategoryTable cats(project);
        OutputFolder folder(out, info().name);
        std::string train, val;
        const int total = int(project.images.size());
        export_progress(options, 0, total);
        for (const ImageRecord& img : project.images) {
            const std::string rel = output_relative_name(img);
            LossTally tally(info(), img);
            std::string labels;
            for (const Instance* inst : instances_to_export(img, cats, rep)) {
                const Mask mask = rle_decode(inst->mask);
                const Polygon poly = bridged_outline(mask);
                labels += label_line(cats.index(inst->category_id), poly, img.width, img.height);
                tally.given_back(mask, polygons_to_mask({poly}, img.width, img.height),
                                 mask_has_holes(mask) ? "instances with holes filled" : "instances drawn differently");
                ++rep.instances;
            }
            folder.link("images/" + rel, (fs::absolute(options.images_dir) / rel).lexically_normal().string());
            folder.write(label_path_for("/images/" + rel).substr(1), labels);
            (in_validation_split(img.file_name, val_fraction) ? val : train) += "./images/" + rel + "\n";
            tally.add_to(rep);
            ++rep.images;
            export_progress(options, rep.images, total);
        }
        folder.write("data.yaml", data_yaml(cats, val_fraction > 0));
        folder.write("train.txt", train);
        if (val_fraction > 0) folder.write("val.txt", val);
        folder.commit();
        report = std::move(rep);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const YoloDataset ds = read_dataset(in);
        Project incoming;
        std::vector<int> category_ids;
        for (const std::string& n : ds.names) category_ids.push_back(category_named(incoming, n));
        const int total = int(ds.images.size());
        import_progress(options, 0, total);
        int done = 0, unlabelled = 0;
        for (const std::string& image : ds.images) {
            const std::string where = image;
            const std::string name = project_name(ds, image, where);
            int w = 0, h = 0;
            image_file_size(options, name, w, h, where);
            ImageRecord& img = incoming.add_image(name, w, h);
            const std::string labels = label_path_for(image);
            std::error_code ec;
            if (fs::exists(labels, ec)) read_labels(labels, ds.names, category_ids, img, report);
            else ++unlabelled;
            import_progress(options, ++done, total);
        }
        if (unlabelled > 0)
            report.warnings.push_back(std::to_string(unlabelled) + " image(s) have no label file (taken as images without objects)");
        merge_imported(project, incoming, in, report);
    }
};

}  // namespace

const Format& yolo_seg_format() {
    static const YoloSegFormat f;
    return f;
}

}  // namespace xs
