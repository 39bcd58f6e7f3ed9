// Visual grounded segmentation data as X-SAM's VGD sets hold it: COCO instances whose annotations
// carry "visual_prompts" (point, scribble, box and mask prompt masks as COCO RLE, drawn as X-SAM's
// data draws them: points as discs of radius 10, scribbles as strokes of radius 5). Each annotation
// made from a prompt also keeps it exactly ("xsam_prompt": task, text, geometry), and the document
// lists the "find all like this" episodes ("xsam_episodes"), so both come back on import.
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "core/coco/coco.h"
#include "core/formats/export_support.h"
#include "core/formats/import_support.h"
#include "core/io/file_io.h"
#include "core/io/grounding_json.h"
#include "core/io/json_read.h"

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

constexpr double kPointRadius = 10;    // X-SAM's VGD data: point_radius
constexpr double kScribbleRadius = 5;  // scribble_radius

const char* const kPromptKeys[] = {"point_visual_prompt", "box_visual_prompt", "scribble_visual_prompt",
                                   "mask_visual_prompt"};  // in VisualPrompt::Kind order

// Pixels (centres at +0.5) within r of the segment a-b; a point when a == b.
void stroke(Mask& m, double ax, double ay, double bx, double by, double r) {
    const double vx = bx - ax, vy = by - ay, len2 = vx * vx + vy * vy;
    const int x0 = std::max(0, int(std::floor(std::min(ax, bx) - r))), x1 = std::min(m.width() - 1, int(std::ceil(std::max(ax, bx) + r)));
    const int y0 = std::max(0, int(std::floor(std::min(ay, by) - r))), y1 = std::min(m.height() - 1, int(std::ceil(std::max(ay, by) + r)));
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const double px = x + 0.5 - ax, py = y + 0.5 - ay;
            const double t = len2 > 0 ? std::clamp((px * vx + py * vy) / len2, 0.0, 1.0) : 0.0;
            const double dx = px - t * vx, dy = py - t * vy;
            if (dx * dx + dy * dy <= r * r) m.set(x, y, true);
        }
}

// The prompt as X-SAM's data stores it: a mask.
Mask rasterised(const VisualPrompt& p, int w, int h) {
    if (p.raster.width > 0) return rle_decode(p.raster);
    Mask m(w, h);
    if (p.kind == VisualPrompt::Kind::Point) {
        stroke(m, p.points[0][0], p.points[0][1], p.points[0][0], p.points[0][1], kPointRadius);
    } else if (p.kind == VisualPrompt::Kind::Scribble) {
        const double r = p.radius > 0 ? p.radius : kScribbleRadius;
        for (size_t i = 0; i < p.points.size(); ++i) {
            const auto& b = p.points[std::min(i + 1, p.points.size() - 1)];
            stroke(m, p.points[i][0], p.points[i][1], b[0], b[1], r);
        }
    } else if (p.kind == VisualPrompt::Kind::Box) {
        const double x0 = std::min(p.points[0][0], p.points[1][0]), x1 = std::max(p.points[0][0], p.points[1][0]);
        const double y0 = std::min(p.points[0][1], p.points[1][1]), y1 = std::max(p.points[0][1], p.points[1][1]);
        for (int y = std::max(0, int(std::ceil(y0 - 0.5))); y <= std::min(h - 1, int(std::floor(y1 - 0.5))); ++y)
            for (int x = std::max(0, int(std::ceil(x0 - 0.5))); x <= std::min(w - 1, int(std::floor(x1 - 0.5))); ++x) m.set(x, y, true);
    }
    return m;
}

// visual_prompts of an instance: its positive prompts, one mask per kind.
ojson visual_prompts(const Instance& inst, int w, int h) {
    std::vector<Mask> by_kind(4);
    for (const VisualPrompt& p : inst.prompt.visual) {
        if (!p.positive) continue;
        Mask& m = by_kind[size_t(p.kind)];
        m = m.empty_size() ? rasterised(p, w, h) : mask_union(m, rasterised(p, w, h));
    }
    ojson out = ojson::object();
    for (size_t k = 0; k < 4; ++k) {
        if (!by_kind[k].empty_size()) out[kPromptKeys[k]] = rle_to_json(rle_encode(by_kind[k]));
    }
    return out;
}

// The prompts X-SAM's VGD data derives from a mask, for instances made without one: its box, the
// mask itself, and a point at the pixel farthest inside (X-SAM picks a random inner point).
ojson derived_prompts(const Instance& inst, int w, int h) {
    const Mask m = rle_decode(inst.mask);
    const BBox b = m.bbox();
    VisualPrompt box = box_prompt(b.x, b.y, b.x + b.w, b.y + b.h);
    // City-block distance to the background, two passes.
    std::vector<int> d(size_t(w) * h, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            if (!m.at(x, y)) continue;
            const int up = y > 0 ? d[size_t(y - 1) * w + x] : 0, left = x > 0 ? d[size_t(y) * w + x - 1] : 0;
            d[size_t(y) * w + x] = std::min(up, left) + 1;
        }
    int best = 0, bx = 0, by = 0;
    for (int y = h - 1; y >= 0; --y)
        for (int x = w - 1; x >= 0; --x) {
            int& v = d[size_t(y) * w + x];
            if (v == 0) continue;
            const int down = y + 1 < h ? d[size_t(y + 1) * w + x] : 0, right = x + 1 < w ? d[size_t(y) * w + x + 1] : 0;
            v = std::min(v, std::min(down, right) + 1);
            if (v >= best) {
                best = v;
                bx = x;
                by = y;
            }
        }
    ojson out = ojson::object();
    out[kPromptKeys[0]] = rle_to_json(rle_encode(rasterised(point_prompt(bx + 0.5, by + 0.5), w, h)));
    out[kPromptKeys[1]] = rle_to_json(rle_encode(rasterised(box, w, h)));
    out[kPromptKeys[3]] = rle_to_json(inst.mask);
    return out;
}

// Prompts of an annotation read back: exact from xsam_prompt, else the masks of visual_prompts.
InstancePrompt prompt_of(const json& a, const std::string& src, const std::string& path, int w, int h) {
    if (a.contains("xsam_prompt")) return prompt_from_json(a.at("xsam_prompt"), src, join(path, "xsam_prompt"), w, h);
    InstancePrompt p;
    if (!a.contains("visual_prompts")) return p;
    const std::string vp = join(path, "visual_prompts");
    const json& v = get_object(a.at("visual_prompts"), src, vp);
    for (int k = 0; k < 4; ++k) {
        if (!v.contains(kPromptKeys[k]) || v.at(kPromptKeys[k]).is_null()) continue;
        VisualPrompt prompt;
        prompt.kind = VisualPrompt::Kind(k);
        prompt.raster = rle_from_json(v.at(kPromptKeys[k]), src, join(vp, kPromptKeys[k]), h, w);
        if (rle_area(prompt.raster) > 0) p.visual.push_back(std::move(prompt));
    }
    if (!p.visual.empty()) p.task = "vgd";
    return p;
}

void read_extras(const std::string& text, const std::string& src, const CocoImportReport& coco, Project& incoming) {
    const json root = parse(text, src);
    const json& anns = get_array(field(root, "annotations", src, ""), src, "annotations");
    for (size_t i = 0; i < anns.size(); ++i) {
        const std::string ap = index("annotations", i);
        const int64_t id = get_int(field(anns[i], "id", src, ap), src, join(ap, "id"));
        ImageRecord* img = nullptr;
        Instance* inst = incoming.find_instance(coco.instance_ids.at(id), &img);
        inst->prompt = prompt_of(anns[i], src, ap, img->width, img->height);
    }
    if (!root.contains("xsam_episodes")) return;
    const json& eps = get_array(root.at("xsam_episodes"), src, "xsam_episodes");
    for (size_t i = 0; i < eps.size(); ++i) {
        const std::string ep = index("xsam_episodes", i);
        const int64_t image = get_int(field(eps[i], "image_id", src, ep), src, join(ep, "image_id"));
        const auto im = coco.image_ids.find(image);
        if (im == coco.image_ids.end()) fail(src, join(ep, "image_id"), "image " + std::to_string(image) + " is not in images");
        ImageRecord* img = incoming.find_image(im->second);
        std::vector<int64_t> file_ids;  // the annotation ids of this image, as the file numbers them
        std::map<int64_t, int64_t> to_instance;
        for (const auto& [file_id, inst_id] : coco.instance_ids) {
            ImageRecord* on = nullptr;
            if (incoming.find_instance(inst_id, &on) && on == img) {
                file_ids.push_back(file_id);
                to_instance[file_id] = inst_id;
            }
        }
        ImageRecord links;
        links.episodes.push_back(episode_from_json(eps[i], src, ep, img->width, img->height, file_ids));
        remap_links(links, to_instance);
        img->episodes.push_back(std::move(links.episodes[0]));
    }
}

class VgdFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "vgd";
            f.description = "visual grounded segmentation (X-SAM's VGD data): COCO annotations with visual_prompts";
            f.carries = {"prompt", "episodes", "attributes"};  // attributes: through its COCO annotations
            f.cannot_carry = {"scores, referring sentences and captions",
                              "negative prompts in visual_prompts (they are kept in xsam_prompt)"};
            f.export_options = {{"derive-prompts", FormatOption::Type::Flag, "",
                                 "give instances made without a visual prompt the point, box and mask prompts X-SAM "
                                 "derives from a mask"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        const FormatSettings s = checked_settings(info().export_options, options.settings, info().name);
        const bool derive = s.at("derive-prompts") == "1";
        CocoExportOptions co;
        co.progress = options.progress;
        CocoExportReport cr;
        ojson doc = ojson::parse(coco_to_json(project, co, &cr));
        std::map<int64_t, std::pair<const Instance*, const ImageRecord*>> by_id;
        for (const ImageRecord& img : project.images) {
            for (const Instance& inst : img.instances) by_id[inst.id] = {&inst, &img};
        }
        for (ojson& a : doc["annotations"]) {
            const auto [inst, img] = by_id.at(a["id"].get<int64_t>());
            ojson vp = visual_prompts(*inst, img->width, img->height);
            if (vp.empty() && derive) vp = derived_prompts(*inst, img->width, img->height);
            a["visual_prompts"] = std::move(vp);
            if (!inst->prompt.empty()) a["xsam_prompt"] = prompt_to_json(inst->prompt);
        }
        ojson episodes = ojson::array();
        for (const ImageRecord& img : project.images) {
            for (const FindAllEpisode& e : img.episodes) {
                ojson j = {{"image_id", img.id}};
                const ojson body = episode_to_json(e);
                for (auto it = body.begin(); it != body.end(); ++it) j[it.key()] = it.value();
                episodes.push_back(std::move(j));
            }
        }
        doc["xsam_episodes"] = std::move(episodes);
        atomic_write_file(out, doc.dump() + "\n");
        report = coco_export_report(info(), project, cr);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const std::string text = read_whole_file(in, "VGD file");
        import_coco_with_extras(
            project, in, options,
            [&](Project& incoming, const CocoImportOptions& co, CocoImportReport& cr) {
                import_coco_json(incoming, text, in, co, &cr);
            },
            [&](const CocoImportReport& cr, Project& incoming) { read_extras(text, in, cr, incoming); }, report);
    }
};

}  // namespace

const Format& vgd_format() {
    static const VgdFormat f;
    return f;
}

}  // namespace xs
