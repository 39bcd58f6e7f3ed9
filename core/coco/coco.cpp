// COCO reader and writer. The reader validates the whole document (and, optionally, every image
// file) before it changes anything; the writer follows ../shared/design/coco.md.
#include "core/coco/coco.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>

#include "core/coco/coco_attributes.h"
#include "core/io/attributes_json.h"
#include "core/io/image.h"
#include "core/io/json_names.h"
#include "core/io/project_file.h"
#include "core/mask/polygon.h"
#include "core/util/error.h"

namespace xs {

namespace {

using namespace jsonr;
using ojson = nlohmann::ordered_json;

struct ParsedImage {
    int64_t id = 0;
    std::string file_name;
    int width = 0, height = 0;
    std::string path;  // for messages
};

struct ParsedCategory {
    int64_t id = 0;
    std::string name;
    std::vector<AttributeSpec> attributes;  // our export's declarations (coco_attributes.h)
};

struct ParsedAnnotation {
    int64_t id = 0;
    size_t image = 0;     // index into images
    size_t category = 0;  // index into categories
    Rle mask;
    bool iscrowd = false;
    json attributes = json::object();  // checked (check_coco_attributes)
    std::string path;                  // for messages
};

struct ParsedCoco {
    std::vector<ParsedImage> images;
    std::vector<ParsedCategory> categories;
    std::vector<ParsedAnnotation> annotations;
};

std::string join_path(const std::string& dir, const std::string& name) {
    if (dir.empty()) return name;
    if (dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

bool exists_in(const std::string& dir, const std::string& name) {
    struct stat st;
    return !dir.empty() && ::stat(join_path(dir, name).c_str(), &st) == 0;
}

std::string without_dot_slash(std::string name) {
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    return name;
}

// An imported name as the project keeps it: relative, '/'-separated. Names written on Windows
// ("images\\0001.jpg", "C:\\data\\x.jpg") are recognised as such, unless a file of exactly that name
// is in the image folder ('\\' and ':' are ordinary characters of Linux names).
std::string imported_name(const std::string& name, const std::string& images_dir, bool& absolute) {
    absolute = false;
    if (exists_in(images_dir, name)) return without_dot_slash(name);
    if (name[0] == '/' || name[0] == '\\') absolute = true;
    if (name.size() >= 2 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0]))) absolute = true;
    std::string out = name;
    std::replace(out.begin(), out.end(), '\\', '/');
    return without_dot_slash(out);
}

// Rle with no zero-length runs except possibly the first (what rle_encode produces).
bool is_canonical(const Rle& r) {
    for (size_t i = 1; i < r.counts.size(); ++i) {
        if (r.counts[i] == 0) return false;
    }
    return true;
}

Rle canonical(const Rle& r) { return is_canonical(r) ? r : rle_encode(rle_decode(r)); }

Rle parse_segmentation(const json& seg, const ParsedImage& img, const std::string& src, const std::string& path,
                       CocoImportReport& rep) {
    const int h = img.height, w = img.width;
    if (seg.is_array()) {
        if (seg.empty()) fail(src, path, "empty polygon list");
        std::vector<Polygon> polys;
        for (size_t k = 0; k < seg.size(); ++k) {
            const std::string pp = index(path, k);
            if (!seg[k].is_array()) {
                fail(src, pp, "expected a polygon [x1, y1, x2, y2, ...], got " + type_text(seg[k]) +
                                  " (polygons must be nested: [[x1, y1, ...], ...])");
            }
            const json& poly = seg[k];
            if (poly.size() % 2 != 0) fail(src, pp, "odd number of coordinates (" + std::to_string(poly.size()) + ")");
            if (poly.size() < 6) {
                fail(src, pp, "polygon has " + std::to_string(poly.size() / 2) + " point(s), at least 3 are needed");
            }
            Polygon p;
            p.reserve(poly.size());
            for (size_t c = 0; c < poly.size(); ++c) {
                const double v = get_number(poly[c], src, index(pp, c));
                // Vertices farther than one image size outside the image are corrupt data: the
                // rasteriser converts 5 v to int (undefined beyond int's range) and walks every
                // edge point by point (memory grows with the coordinates). Found by tests/fuzz/fuzz_coco.
                const double extent = (c % 2 == 0) ? double(w) : double(h);
                if (!(v >= -extent && v <= 2.0 * extent)) {
                    fail(src, index(pp, c),
                         std::string(c % 2 == 0 ? "x" : "y") + " = " + poly[c].dump() + " lies far outside the " +
                             std::to_string(w) + "x" + std::to_string(h) + " image");
                }
                p.push_back(v);
            }
            polys.push_back(std::move(p));
        }
        ++rep.polygon_segmentations;
        return polygons_to_rle(polys, h, w);
    }
    if (seg.is_object()) {
        const json& size = get_array(field(seg, "size", src, path), src, join(path, "size"));
        if (size.size() != 2) fail(src, join(path, "size"), "expected [height, width], got " + size.dump());
        const int rh = get_int32(size[0], src, join(path, "size[0]"));
        const int rw = get_int32(size[1], src, join(path, "size[1]"));
        if (rh != h || rw != w) {
            fail(src, join(path, "size"),
                 "[" + std::to_string(rh) + ", " + std::to_string(rw) + "] disagrees with image " +
                     std::to_string(img.id) + " (\"" + img.file_name + "\"), which is [" + std::to_string(h) +
                     ", " + std::to_string(w) + "] (height, width)");
        }
        const json& counts = field(seg, "counts", src, path);
        const std::string cp = join(path, "counts");
        Rle r;
        if (counts.is_string()) {
            try {
                r = rle_from_string(counts.get<std::string>(), h, w);
            } catch (const Error& e) {
                fail(src, cp, e.what());
            }
        } else if (counts.is_array()) {
            r.height = h;
            r.width = w;
            uint64_t sum = 0;
            for (size_t k = 0; k < counts.size(); ++k) {
                const int64_t c = get_int(counts[k], src, index(cp, k));
                if (c < 0 || c > int64_t(UINT32_MAX)) fail(src, index(cp, k), "invalid run length " + std::to_string(c));
                r.counts.push_back(uint32_t(c));
                sum += uint64_t(c);
            }
            const uint64_t expected = uint64_t(h) * uint64_t(w);
            if (sum != expected) {
                fail(src, cp,
                     "RLE counts sum to " + std::to_string(sum) + ", expected " + std::to_string(expected) + " (= " +
                         std::to_string(h) + " x " + std::to_string(w) + ")");
            }
        } else {
            fail(src, cp, "expected a string or a list of run lengths, got " + type_text(counts));
        }
        ++rep.rle_segmentations;
        return canonical(r);
    }
    fail(src, path, "expected a list of polygons or an RLE object, got " + type_text(seg));
}

ParsedCoco parse_coco(const std::string& text, const std::string& src, const CocoImportOptions& opt,
                      CocoImportReport& rep) {
    const json root = parse(text, src);
    get_object(root, src, "");
    ParsedCoco out;

    // images
    const json& images = get_array(field(root, "images", src, ""), src, "images");
    std::map<int64_t, size_t> image_index;
    std::set<std::string> names;
    for (size_t i = 0; i < images.size(); ++i) {
        const std::string path = index("images", i);
        const json& j = get_object(images[i], src, path);
        ParsedImage img;
        img.path = path;
        img.id = get_int(field(j, "id", src, path), src, join(path, "id"));
        if (!image_index.emplace(img.id, i).second) {
            fail(src, join(path, "id"), "duplicate image id " + std::to_string(img.id));
        }
        const std::string stored = get_name(j, "file_name", src, path);
        if (stored.empty()) fail(src, join(path, "file_name"), "empty file name");
        bool absolute = false;
        img.file_name = imported_name(stored, opt.images_dir, absolute);
        if (absolute) {
            fail(src, join(path, "file_name"),
                 "\"" + utf8_display(stored) + "\" is absolute; COCO file names are relative to the image folder");
        }
        if (!names.insert(img.file_name).second) {
            fail(src, join(path, "file_name"), "duplicate file name \"" + utf8_display(img.file_name) + "\"");
        }
        img.width = get_int32(field(j, "width", src, path), src, join(path, "width"));
        img.height = get_int32(field(j, "height", src, path), src, join(path, "height"));
        if (img.width <= 0) fail(src, join(path, "width"), "must be > 0, got " + std::to_string(img.width));
        if (img.height <= 0) fail(src, join(path, "height"), "must be > 0, got " + std::to_string(img.height));
        if (uint64_t(img.width) * uint64_t(img.height) > uint64_t(UINT32_MAX)) {
            // COCO run lengths are 32-bit (pycocotools' uint): larger masks cannot be represented.
            fail(src, path, std::to_string(img.width) + "x" + std::to_string(img.height) +
                                " pixels is more than COCO masks can hold (2^32 - 1)");
        }
        out.images.push_back(std::move(img));
    }

    // categories
    const json& cats = get_array(field(root, "categories", src, ""), src, "categories");
    std::map<int64_t, size_t> cat_index;
    std::set<std::string> cat_names;
    for (size_t i = 0; i < cats.size(); ++i) {
        const std::string path = index("categories", i);
        const json& j = get_object(cats[i], src, path);
        ParsedCategory c;
        c.id = get_int(field(j, "id", src, path), src, join(path, "id"));
        if (!cat_index.emplace(c.id, i).second) fail(src, join(path, "id"), "duplicate category id " + std::to_string(c.id));
        c.name = get_string(field(j, "name", src, path), src, join(path, "name"));
        if (c.name.empty()) fail(src, join(path, "name"), "empty category name");
        if (!cat_names.insert(c.name).second) fail(src, join(path, "name"), "duplicate category name \"" + c.name + "\"");
        if (j.contains("attributes")) c.attributes = attribute_specs_from_json(j["attributes"], src, join(path, "attributes"));
        out.categories.push_back(std::move(c));
    }

    // annotations
    const json& anns = get_array(field(root, "annotations", src, ""), src, "annotations");
    std::set<int64_t> ann_ids;
    int area_mismatches = 0, bbox_mismatches = 0;
    for (size_t i = 0; i < anns.size(); ++i) {
        const std::string path = index("annotations", i);
        const json& j = get_object(anns[i], src, path);
        ParsedAnnotation a;
        a.path = path;
        a.id = get_int(field(j, "id", src, path), src, join(path, "id"));
        if (!ann_ids.insert(a.id).second) fail(src, join(path, "id"), "duplicate annotation id " + std::to_string(a.id));
        const int64_t image_id = get_int(field(j, "image_id", src, path), src, join(path, "image_id"));
        auto ii = image_index.find(image_id);
        if (ii == image_index.end()) fail(src, join(path, "image_id"), "unknown image id " + std::to_string(image_id));
        a.image = ii->second;
        const int64_t category_id = get_int(field(j, "category_id", src, path), src, join(path, "category_id"));
        auto ci = cat_index.find(category_id);
        if (ci == cat_index.end()) {
            fail(src, join(path, "category_id"), "unknown category id " + std::to_string(category_id));
        }
        a.category = ci->second;
        if (j.contains("iscrowd")) {
            const int64_t c = get_int(j["iscrowd"], src, join(path, "iscrowd"));
            if (c != 0 && c != 1) fail(src, join(path, "iscrowd"), "must be 0 or 1, got " + std::to_string(c));
            a.iscrowd = c == 1;
        }
        if (j.contains("attributes")) {
            check_coco_attributes(j["attributes"], src, join(path, "attributes"));
            a.attributes = j["attributes"];
        }
        a.mask = parse_segmentation(field(j, "segmentation", src, path), out.images[a.image], src,
                                    join(path, "segmentation"), rep);
        if (j.contains("area") && j["area"].is_number()) {
            if (std::fabs(j["area"].get<double>() - double(rle_area(a.mask))) > 0.5) ++area_mismatches;
        }
        if (j.contains("bbox") && j["bbox"].is_array() && j["bbox"].size() == 4) {
            const BBox b = rle_bbox(a.mask);
            const json& jb = j["bbox"];
            const int v[4] = {b.x, b.y, b.w, b.h};
            for (int k = 0; k < 4; ++k) {
                if (!jb[k].is_number() || std::fabs(jb[k].get<double>() - v[k]) > 0.5) {
                    ++bbox_mismatches;
                    break;
                }
            }
        }
        out.annotations.push_back(std::move(a));
    }
    if (area_mismatches) {
        rep.warnings.push_back(std::to_string(area_mismatches) +
                               " annotation(s) state an area that differs from the mask's pixel count; the pixel count is used");
    }
    if (bbox_mismatches) {
        rep.warnings.push_back(std::to_string(bbox_mismatches) +
                               " annotation(s) state a bbox that differs from the mask's; the mask's is used");
    }

    // image files: present, complete, decodable, and of the stated (displayed) size
    if (opt.check_images) {
        for (const ParsedImage& img : out.images) {
            const std::string file = join_path(opt.images_dir, img.file_name);
            Image decoded;
            try {
                decoded = load_image(file);
            } catch (const Error& e) {
                fail(src, img.path + " (\"" + img.file_name + "\")", e.what());
            }
            if (decoded.width != img.width || decoded.height != img.height) {
                fail(src, img.path,
                     "width/height " + std::to_string(img.width) + "x" + std::to_string(img.height) + " but " + file +
                         " is " + std::to_string(decoded.width) + "x" + std::to_string(decoded.height) +
                         " as displayed (after EXIF orientation)");
            }
        }
    }
    return out;
}

// Assigns ids: a requested id is kept when all requests are valid (>= 1) and it is free; the rest get
// fresh ids above everything in use.
template <typename Id>
std::vector<Id> assign_ids(const std::vector<int64_t>& requested, const std::set<Id>& used, Id counter,
                           const std::vector<bool>& needs_id, bool& renumbered) {
    bool all_valid = true;
    for (size_t i = 0; i < requested.size(); ++i) {
        if (needs_id[i] && (requested[i] < 1 || requested[i] > int64_t(std::numeric_limits<Id>::max() / 2))) {
            all_valid = false;
        }
    }
    std::vector<Id> out(requested.size(), 0);
    std::set<Id> taken = used;
    renumbered = false;
    if (all_valid) {
        for (size_t i = 0; i < requested.size(); ++i) {
            if (!needs_id[i]) continue;
            const Id want = Id(requested[i]);
            if (!taken.count(want)) {
                out[i] = want;
                taken.insert(want);
            }
        }
    }
    Id next = counter;
    if (!taken.empty()) next = std::max(next, Id(*taken.rbegin() + 1));
    for (size_t i = 0; i < requested.size(); ++i) {
        if (!needs_id[i] || out[i] != 0) continue;
        out[i] = next++;
        renumbered = true;
    }
    return out;
}

// The file's category declarations, then declarations inferred from the annotations' values, on the
// project's categories (a declaration the project already has wins).
void declare_imported_attributes(Project& work, const ParsedCoco& coco, const std::vector<int>& cat_ids) {
    for (size_t i = 0; i < coco.categories.size(); ++i) {
        Category declared;
        declared.attributes = coco.categories[i].attributes;
        add_missing_declarations(*work.find_category(cat_ids[i]), declared);
    }
    for (const ParsedAnnotation& a : coco.annotations)
        declare_coco_attributes(*work.find_category(cat_ids[a.category]), a.attributes, join(a.path, "attributes"));
}

void merge_into(Project& work, const ParsedCoco& coco, const CocoImportOptions& opt, CocoImportReport& rep) {
    if (work.image_root.empty()) work.image_root = opt.images_dir;

    // categories, matched by name
    std::vector<int> cat_ids(coco.categories.size(), 0);
    {
        std::vector<int64_t> req;
        std::vector<bool> needs;
        std::set<int> used;
        for (const Category& c : work.categories) used.insert(c.id);
        for (size_t i = 0; i < coco.categories.size(); ++i) {
            req.push_back(coco.categories[i].id);
            const Category* existing = work.find_category(coco.categories[i].name);
            needs.push_back(existing == nullptr);
            if (existing) {
                cat_ids[i] = existing->id;
                ++rep.categories_matched;
            }
        }
        bool renum = false;
        const std::vector<int> ids = assign_ids<int>(req, used, std::max(1, work.next_category_id), needs, renum);
        if (renum) rep.warnings.push_back("some category ids could not be kept and were renumbered");
        for (size_t i = 0; i < coco.categories.size(); ++i) {
            if (!needs[i]) continue;
            Category c;
            c.id = ids[i];
            c.name = coco.categories[i].name;
            c.color = category_palette_color(c.id);
            work.categories.push_back(c);
            work.next_category_id = std::max(work.next_category_id, c.id + 1);
            cat_ids[i] = c.id;
            ++rep.categories_added;
        }
        declare_imported_attributes(work, coco, cat_ids);
    }

    // images, matched by file name
    std::vector<ImageRecord*> targets(coco.images.size(), nullptr);
    std::vector<int> img_ids(coco.images.size(), 0);
    {
        std::vector<int64_t> req;
        std::vector<bool> needs;
        std::set<int> used;
        for (const ImageRecord& r : work.images) used.insert(r.id);
        for (size_t i = 0; i < coco.images.size(); ++i) {
            const ParsedImage& pi = coco.images[i];
            req.push_back(pi.id);
            const ImageRecord* existing = nullptr;
            for (const ImageRecord& r : work.images) {
                if (r.file_name == pi.file_name) existing = &r;
            }
            if (existing && (existing->width != pi.width || existing->height != pi.height)) {
                throw Error(pi.path + " (\"" + pi.file_name + "\") is " + std::to_string(pi.width) + "x" +
                            std::to_string(pi.height) + " but the project has it as " +
                            std::to_string(existing->width) + "x" + std::to_string(existing->height));
            }
            needs.push_back(existing == nullptr);
            if (existing) {
                img_ids[i] = existing->id;
                ++rep.images_matched;
            }
        }
        bool renum = false;
        const std::vector<int> ids = assign_ids<int>(req, used, std::max(1, work.next_image_id), needs, renum);
        if (renum) rep.warnings.push_back("some image ids could not be kept and were renumbered");
        work.images.reserve(work.images.size() + coco.images.size());
        for (size_t i = 0; i < coco.images.size(); ++i) {
            if (!needs[i]) continue;
            ImageRecord r;
            r.id = ids[i];
            r.file_name = coco.images[i].file_name;
            r.width = coco.images[i].width;
            r.height = coco.images[i].height;
            work.images.push_back(std::move(r));
            work.next_image_id = std::max(work.next_image_id, ids[i] + 1);
            img_ids[i] = ids[i];
            ++rep.images_added;
        }
        // Pointers only after all push_backs (reallocation).
        for (size_t i = 0; i < coco.images.size(); ++i) {
            targets[i] = work.find_image(img_ids[i]);
            rep.image_ids[coco.images[i].id] = img_ids[i];
        }
    }

    // annotations -> instances
    {
        std::vector<int64_t> req;
        std::vector<bool> needs(coco.annotations.size(), true);
        std::set<int64_t> used;
        for (const ImageRecord& r : work.images) {
            for (const Instance& inst : r.instances) used.insert(inst.id);
        }
        for (const ParsedAnnotation& a : coco.annotations) req.push_back(a.id);
        bool renum = false;
        const std::vector<int64_t> ids =
            assign_ids<int64_t>(req, used, std::max<int64_t>(1, work.next_instance_id), needs, renum);
        if (renum) rep.warnings.push_back("some annotation ids could not be kept and were renumbered");
        const int64_t now = now_ms();
        for (size_t i = 0; i < coco.annotations.size(); ++i) {
            const ParsedAnnotation& a = coco.annotations[i];
            Instance inst;
            inst.id = ids[i];
            inst.category_id = cat_ids[a.category];
            inst.mask = a.mask;
            inst.score = 1.0f;
            inst.source = "import:coco";
            inst.created_ms = inst.modified_ms = now;
            inst.iscrowd = a.iscrowd;
            read_coco_attributes(inst, *work.find_category(inst.category_id), a.attributes);
            rep.instance_ids[a.id] = ids[i];
            targets[a.image]->instances.push_back(std::move(inst));
            work.next_instance_id = std::max(work.next_instance_id, ids[i] + 1);
            ++rep.instances_added;
        }
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Import

void import_coco_json(Project& project, const std::string& json_text, const std::string& source_name,
                      const CocoImportOptions& options, CocoImportReport* report) {
    CocoImportReport rep;
    const ParsedCoco coco = parse_coco(json_text, source_name, options, rep);  // validates everything
    Project work = project;
    try {
        merge_into(work, coco, options, rep);
    } catch (const Error& e) {
        throw Error(source_name + ": " + e.what());
    }
    project = std::move(work);  // only now does the caller's project change
    if (report) *report = std::move(rep);
}

void import_coco(Project& project, const std::string& coco_path, const CocoImportOptions& options,
                 CocoImportReport* report) {
    const std::string text = read_whole_file(coco_path, "COCO file");
    if (text.empty()) throw Error(coco_path + ": the COCO file is empty");
    import_coco_json(project, text, coco_path, options, report);
}

Project coco_from_json(const std::string& json_text, const std::string& source_name,
                       const CocoImportOptions& options, CocoImportReport* report) {
    Project p;
    import_coco_json(p, json_text, source_name, options, report);
    return p;
}

Project read_coco(const std::string& coco_path, const CocoImportOptions& options, CocoImportReport* report) {
    Project p;
    import_coco(p, coco_path, options, report);
    return p;
}

// ---------------------------------------------------------------------------------------------
// Export

std::string coco_to_json(const Project& project, const CocoExportOptions& options, CocoExportReport* report) {
    CocoExportReport rep;
    ojson root;
    // No dates or versions that change between runs: the same project gives the same bytes.
    root["info"] = {{"description", "Exported by X-SAM Studio"}, {"version", "1.0"}, {"url", ""}, {"contributor", ""}};
    root["licenses"] = ojson::array();

    // categories, sorted by id; never a background category
    std::vector<const Category*> cats;
    std::set<int> cat_ids, skipped_cats;
    for (const Category& c : project.categories) {
        if (c.id < 1) throw Error("category \"" + c.name + "\" has an invalid id " + std::to_string(c.id));
        std::string lower = c.name;
        for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (lower == "_background_" || lower == "__background__") {
            skipped_cats.insert(c.id);
            rep.warnings.push_back("category \"" + c.name + "\" is not exported (a background category is not an object class)");
            continue;
        }
        if (!cat_ids.insert(c.id).second) throw Error("duplicate category id " + std::to_string(c.id));
        cats.push_back(&c);
    }
    std::sort(cats.begin(), cats.end(), [](const Category* a, const Category* b) { return a->id < b->id; });

    ojson images = ojson::array();
    ojson annotations = ojson::array();
    std::set<int> img_ids;
    std::set<std::string> names;
    std::set<int64_t> ann_ids;
    const int total = int(project.images.size());
    int done = 0;
    auto report_progress = [&] {
        if (options.progress && !options.progress(done, total)) throw Cancelled();
    };
    report_progress();
    for (const ImageRecord& img : project.images) {
        const std::string file_name = without_dot_slash(img.file_name);
        const std::string name = utf8_display(file_name);  // for messages
        if (img.id < 1) throw Error("image \"" + name + "\" has an invalid id " + std::to_string(img.id));
        if (!img_ids.insert(img.id).second) throw Error("duplicate image id " + std::to_string(img.id));
        if (file_name.empty()) throw Error("image " + std::to_string(img.id) + " has no file name");
        if (file_name[0] == '/') {
            throw Error("image " + std::to_string(img.id) + ": file name \"" + name +
                        "\" is absolute; COCO needs names relative to the image root");
        }
        if (!names.insert(file_name).second) throw Error("duplicate image file name \"" + name + "\"");
        if (img.width <= 0 || img.height <= 0) throw Error("image \"" + name + "\" has an invalid size");
        ojson jimg;
        jimg["id"] = img.id;
        put_name(jimg, "file_name", file_name);
        jimg["width"] = img.width;
        jimg["height"] = img.height;
        images.push_back(std::move(jimg));
        ++rep.images;

        for (const Instance& inst : img.instances) {
            if (!cat_ids.count(inst.category_id)) {
                ++rep.skipped;
                rep.warnings.push_back("instance " + std::to_string(inst.id) + " on \"" + name + "\" has " +
                                       (skipped_cats.count(inst.category_id) ? "a background" : "an unknown") +
                                       " category (id " + std::to_string(inst.category_id) + "); not exported");
                continue;
            }
            if (inst.id < 1) throw Error("instance on \"" + name + "\" has an invalid id " + std::to_string(inst.id));
            if (!ann_ids.insert(inst.id).second) throw Error("duplicate instance id " + std::to_string(inst.id));
            if (inst.mask.width != img.width || inst.mask.height != img.height) {
                throw Error("instance " + std::to_string(inst.id) + " on \"" + name + "\": mask size " +
                            std::to_string(inst.mask.width) + "x" + std::to_string(inst.mask.height) +
                            " differs from the image size " + std::to_string(img.width) + "x" +
                            std::to_string(img.height));
            }
            const Rle rle = canonical(inst.mask);
            const int64_t area = rle_area(rle);
            const BBox bb = rle_bbox(rle);
            if (area == 0) {
                rep.warnings.push_back("instance " + std::to_string(inst.id) + " on \"" + name +
                                       "\" has an empty mask (written with area 0)");
            }
            ojson seg;
            bool wrote_polygons = false;
            // A crowd region is RLE by COCO's rules (pycocotools treats iscrowd polygons as RLE anyway).
            if (options.polygons && area > 0 && !inst.iscrowd) {
                if (auto polys = exact_polygons(rle_decode(rle))) {
                    seg = ojson::array();
                    for (const Polygon& p : *polys) seg.push_back(p);
                    wrote_polygons = true;
                }
            }
            if (!wrote_polygons) {
                seg = {{"size", {rle.height, rle.width}}, {"counts", rle_to_string(rle)}};
            }
            ++(wrote_polygons ? rep.as_polygons : rep.as_rle);
            ojson a;
            a["id"] = inst.id;
            a["image_id"] = img.id;
            a["category_id"] = inst.category_id;
            a["segmentation"] = std::move(seg);
            a["area"] = area;
            a["bbox"] = {bb.x, bb.y, bb.w, bb.h};
            a["iscrowd"] = inst.iscrowd ? 1 : 0;
            a["attributes"] = coco_attributes_to_json(inst, *project.find_category(inst.category_id));
            annotations.push_back(std::move(a));
            ++rep.annotations;
        }
        ++done;
        report_progress();
    }
    root["images"] = std::move(images);
    root["annotations"] = std::move(annotations);
    ojson jcats = ojson::array();
    for (const Category* c : cats) {
        ojson jc = {{"id", c->id}, {"name", c->name}};
        if (!c->attributes.empty()) jc["attributes"] = attribute_specs_to_json(c->attributes);
        jcats.push_back(std::move(jc));
    }
    root["categories"] = std::move(jcats);
    if (options.polygons && rep.as_rle > 0) {
        rep.warnings.push_back(std::to_string(rep.as_rle) +
                               " instance(s) written as RLE: polygons cannot express them exactly (holes)");
    }
    if (report) *report = std::move(rep);
    return root.dump() + "\n";
}

void write_coco(const Project& project, const std::string& path, const CocoExportOptions& options,
                CocoExportReport* report) {
    // Throws (xs::Error, or xs::Cancelled from options.progress) before anything is written.
    const std::string text = coco_to_json(project, options, report);
    atomic_write_file(path, text);
}

}  // namespace xs
