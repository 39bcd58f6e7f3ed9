// Grounded captions in the GranDf layout that X-SAM and GLaMM train on: a JSON list with one record
// per caption (file_name, image_id, height, width, caption, and groundings: phrase -> token_positives
// [start, end) in characters and rle_masks, one COCO RLE per instance the phrase names). Each
// grounding also lists the masks' categories ("categories"), which GranDf readers ignore.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/formats/export_support.h"
#include "core/formats/import_support.h"
#include "core/io/file_io.h"
#include "core/io/grounding_json.h"
#include "core/io/json_names.h"
#include "core/io/json_read.h"
#include "core/mask/polygon.h"
#include "core/util/utf8.h"

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

const Instance* instance_on(const ImageRecord& img, int64_t id) {
    for (const Instance& inst : img.instances) {
        if (inst.id == id) return &inst;
    }
    return nullptr;
}

// One record per caption; what it cannot hold is counted in `tally`.
ojson caption_record(const Project& project, const ImageRecord& img, const GroundedCaption& cap, LossTally& tally,
                     std::set<int64_t>& named) {
    ojson groundings = ojson::object();
    for (const GroundedPhrase& ph : cap.phrases) {
        const std::string text = phrase_text(cap, ph);
        ojson masks = ojson::array(), categories = ojson::array();
        for (int64_t id : ph.instance_ids) {
            const Instance* inst = instance_on(img, id);
            const Category* cat = inst ? project.find_category(inst->category_id) : nullptr;
            if (!cat) continue;  // deleted since
            masks.push_back(rle_to_json(inst->mask));
            categories.push_back(cat->name);
            named.insert(id);
        }
        if (masks.empty()) {
            tally.lost("phrases without a mask (GranDf readers need one)");
        } else if (groundings.contains(text)) {
            tally.lost("phrases repeating an earlier phrase's text (GranDf keys phrases by text)");
        } else {
            groundings[text] = {{"token_positives", {ph.start, ph.end}}, {"rle_masks", std::move(masks)},
                                {"categories", std::move(categories)}};
        }
    }
    ojson r;
    put_name(r, "file_name", img.file_name);
    r["image_id"] = img.id;
    r["height"] = img.height;
    r["width"] = img.width;
    r["caption"] = cap.text;
    r["groundings"] = std::move(groundings);
    return r;
}

// A grounding mask: COCO RLE (compressed or not) or a list of polygons.
Rle grounding_mask(const json& m, const std::string& src, const std::string& path, int width, int height) {
    if (m.is_object()) return rle_from_json(m, src, path, height, width);
    const json& polys = get_array(m, src, path);
    std::vector<Polygon> list;
    for (size_t i = 0; i < polys.size(); ++i) {
        const std::string pp = index(path, i);
        const json& p = get_array(polys[i], src, pp);
        if (p.size() < 6 || p.size() % 2) fail(src, pp, "a polygon needs at least 3 x, y pairs");
        Polygon poly;
        for (size_t k = 0; k < p.size(); ++k) {
            const double v = get_number(p[k], src, index(pp, k));
            const double extent = k % 2 == 0 ? width : height;
            if (v < -extent || v > 2 * extent) fail(src, index(pp, k), "lies far outside the image");
            poly.push_back(v);
        }
        list.push_back(std::move(poly));
    }
    return polygons_to_rle(list, height, width);
}

// The phrase's span: token_positives when given, else where the phrase first occurs in the caption.
GroundedPhrase phrase_span(const json& g, const std::string& phrase, const std::string& caption, const std::string& src,
                           const std::string& path) {
    GroundedPhrase ph;
    const int64_t length = utf8_length(caption);
    if (g.contains("token_positives")) {
        const json& tp = get_array(g.at("token_positives"), src, join(path, "token_positives"));
        if (tp.size() != 2) fail(src, join(path, "token_positives"), "expected [start, end]");
        ph.start = get_int(tp[0], src, join(path, "token_positives[0]"));
        ph.end = get_int(tp[1], src, join(path, "token_positives[1]"));
        if (ph.start < 0 || ph.end <= ph.start || ph.end > length)
            fail(src, join(path, "token_positives"), "span [" + std::to_string(ph.start) + ", " + std::to_string(ph.end) +
                                                         ") is not within the caption's " + std::to_string(length) + " characters");
        return ph;
    }
    const size_t at = caption.find(phrase);
    if (phrase.empty() || at == std::string::npos) fail(src, path, "the phrase is not in the caption and has no token_positives");
    ph.start = utf8_length(caption.substr(0, at));
    ph.end = ph.start + utf8_length(phrase);
    return ph;
}

void read_record(const json& r, const std::string& src, const std::string& rp, const ImportOptions& options,
                 const std::string& fallback_category, Project& incoming) {
    get_object(r, src, rp);
    const std::string name = get_name(r, "file_name", src, rp);
    if (name.empty()) fail(src, join(rp, "file_name"), "empty file name");
    int w = 0, h = 0;
    if (r.contains("height") && r.contains("width")) {
        h = get_int32(r.at("height"), src, join(rp, "height"));
        w = get_int32(r.at("width"), src, join(rp, "width"));
        if (w <= 0 || h <= 0) fail(src, join(rp, "height"), "the image size must be positive");
        check_image_file(options, name, w, h, src + ": " + rp);
    } else {
        image_file_size(options, name, w, h, src + ": " + rp);
    }
    ImageRecord* img = incoming.find_image(name);
    if (!img) img = &incoming.add_image(name, w, h);
    if (img->width != w || img->height != h) fail(src, join(rp, "height"), "another record gives this image another size");
    GroundedCaption cap;
    cap.text = get_string(field(r, "caption", src, rp), src, join(rp, "caption"));
    cap.source = "import:gcg";
    cap.created_ms = now_ms();
    const std::string gp = join(rp, "groundings");
    const json& groundings = get_object(field(r, "groundings", src, rp), src, gp);
    std::vector<Instance> made;  // this record's instances (a mask named twice is one instance)
    for (auto it = groundings.begin(); it != groundings.end(); ++it) {
        const std::string ip = gp + "[\"" + it.key() + "\"]";
        const json& g = get_object(it.value(), src, ip);
        GroundedPhrase ph = phrase_span(g, it.key(), cap.text, src, ip);
        const json& masks = get_array(field(g, "rle_masks", src, ip), src, join(ip, "rle_masks"));
        const json* cats = g.contains("categories") ? &get_array(g.at("categories"), src, join(ip, "categories")) : nullptr;
        if (cats && cats->size() != masks.size()) fail(src, join(ip, "categories"), "one category per mask is needed");
        for (size_t k = 0; k < masks.size(); ++k) {
            Rle mask = grounding_mask(masks[k], src, index(join(ip, "rle_masks"), k), w, h);
            const std::string category = cats ? get_string((*cats)[k], src, index(join(ip, "categories"), k)) : fallback_category;
            if (category.empty()) fail(src, index(join(ip, "categories"), k), "empty category name");
            const int cat = category_named(incoming, category);
            // A mask named again (by another phrase or caption) is the same instance.
            const auto is_it = [&](const Instance& i) { return i.mask == mask && i.category_id == cat; };
            auto same = std::find_if(made.begin(), made.end(), is_it);
            const auto earlier = std::find_if(img->instances.begin(), img->instances.end(), is_it);
            int64_t id = 0;
            if (earlier != img->instances.end()) {
                id = earlier->id;
            } else if (same != made.end()) {
                id = same->id;
            } else {
                Instance inst;
                inst.id = incoming.next_instance_id++;  // ids within this import; merge_imported renumbers
                inst.category_id = cat;
                inst.mask = std::move(mask);
                inst.source = "import:gcg";
                inst.created_ms = inst.modified_ms = cap.created_ms;
                id = inst.id;
                made.push_back(std::move(inst));
            }
            if (std::find(ph.instance_ids.begin(), ph.instance_ids.end(), id) == ph.instance_ids.end()) ph.instance_ids.push_back(id);
        }
        cap.phrases.push_back(std::move(ph));
    }
    std::sort(cap.phrases.begin(), cap.phrases.end(), [](const GroundedPhrase& a, const GroundedPhrase& b) { return a.start < b.start; });
    img->instances.insert(img->instances.end(), made.begin(), made.end());
    img->captions.push_back(std::move(cap));
}

class GcgFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "gcg";
            f.description = "grounded captions (GranDf layout, as X-SAM trains on): caption, phrase spans, masks as COCO RLE";
            f.carries = {"captions"};
            f.cannot_carry = {"instances no caption names, and images without a caption",
                              "a phrase without a mask, or a second phrase with the same text in one caption",
                              "scores, prompts, referring sentences and episodes"};
            f.import_options = {{"category", FormatOption::Type::Text, "object",
                                 "the category of masks whose grounding lists none (GranDf data has no categories)"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        checked_settings(info().export_options, options.settings, info().name);
        ExportReport rep;
        ojson records = ojson::array();
        const int total = int(project.images.size());
        export_progress(options, 0, total);
        for (const ImageRecord& img : project.images) {
            LossTally tally(info(), img);
            std::set<int64_t> named;
            for (const GroundedCaption& cap : img.captions) records.push_back(caption_record(project, img, cap, tally, named));
            tally.lost("instances no caption names", int64_t(img.instances.size()) - int64_t(named.size()));
            rep.instances += int64_t(named.size());
            tally.add_to(rep);
            rep.images += img.captions.empty() ? 0 : 1;
            export_progress(options, &img - project.images.data() + 1, total);
        }
        atomic_write_file(out, records.dump() + "\n");
        report = std::move(rep);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        const FormatSettings s = checked_settings(info().import_options, options.settings, info().name);
        const json root = parse(read_whole_file(in, "grounded caption file"), in);
        const json& records = get_array(root, in, "");
        Project incoming;
        import_progress(options, 0, int(records.size()));
        for (size_t i = 0; i < records.size(); ++i) {
            read_record(records[i], in, index("", i), options, s.at("category"), incoming);
            import_progress(options, int(i + 1), int(records.size()));
        }
        merge_imported(project, incoming, in, report);
    }
};

}  // namespace

const Format& gcg_format() {
    static const GcgFormat f;
    return f;
}

}  // namespace xs
