#include "core/eval/ground_truth.h"

#include <algorithm>
#include <set>

#include "core/coco/coco.h"
#include "core/io/file_io.h"
#include "core/io/json_read.h"

namespace xs::eval {

using namespace xs::jsonr;

namespace {

// A visual prompt's RLE object ({"size": [h, w], "counts": string or run lengths}) at the image size.
Rle parse_prompt_rle(const json& j, int height, int width, const std::string& src, const std::string& path) {
    const json& size = get_array(field(j, "size", src, path), src, join(path, "size"));
    if (size.size() != 2 || get_int(size[0], src, join(path, "size[0]")) != height ||
        get_int(size[1], src, join(path, "size[1]")) != width)
        fail(src, join(path, "size"), "expected [" + std::to_string(height) + ", " + std::to_string(width) +
                                          "] (the image's height and width), got " + size.dump());
    const json& counts = field(j, "counts", src, path);
    try {
        if (counts.is_string()) return rle_from_string(counts.get<std::string>(), height, width);
        if (!counts.is_array()) fail(src, join(path, "counts"), "expected a string or a list of run lengths, got " + type_text(counts));
        Rle r;
        r.height = height;
        r.width = width;
        uint64_t sum = 0;
        for (size_t k = 0; k < counts.size(); ++k) {
            const int64_t c = get_int(counts[k], src, index(join(path, "counts"), k));
            if (c < 0 || c > int64_t(UINT32_MAX)) fail(src, index(join(path, "counts"), k), "invalid run length " + std::to_string(c));
            r.counts.push_back(uint32_t(c));
            sum += uint64_t(c);
        }
        if (sum != uint64_t(height) * uint64_t(width))
            fail(src, join(path, "counts"), "run lengths sum to " + std::to_string(sum) + ", expected " +
                                                std::to_string(uint64_t(height) * uint64_t(width)));
        return r;
    } catch (const Error& e) {
        const std::string what = e.what();
        if (what.rfind(src, 0) == 0) throw;
        fail(src, join(path, "counts"), what);
    }
}

// The evaluation fields of one annotation, from the raw JSON (the COCO reader keeps the mask).
void read_extra_fields(const json& j, GtAnnotation& a, const GtImage& img, const std::string& category_name,
                       const std::string& src, const std::string& path) {
    a.iscrowd = j.contains("iscrowd") && get_int(j["iscrowd"], src, join(path, "iscrowd")) == 1;
    a.area = j.contains("area") ? get_number(j["area"], src, join(path, "area")) : double(rle_area(a.mask));
    a.phrase = j.contains("phrase") ? get_string(j["phrase"], src, join(path, "phrase")) : category_name;
    if (!j.contains("visual_prompts") || j["visual_prompts"].is_null()) return;
    const std::string vp = join(path, "visual_prompts");
    const json& prompts = get_object(j["visual_prompts"], src, vp);
    for (const auto& [key, value] : prompts.items()) {
        std::optional<PromptType> type;
        for (PromptType t : all_prompt_types())
            if (key == std::string(prompt_type_name(t)) + "_visual_prompt") type = t;
        if (!type)
            fail(src, join(vp, key), "unknown visual prompt (expected point_visual_prompt, scribble_visual_prompt, "
                                     "box_visual_prompt or mask_visual_prompt)");
        if (value.is_null()) continue;
        a.prompts[*type] = parse_prompt_rle(get_object(value, src, join(vp, key)), img.height, img.width, src, join(vp, key));
    }
}

}  // namespace

const GtCategory* GroundTruth::category(int64_t id) const {
    for (const GtCategory& c : categories)
        if (c.id == id) return &c;
    return nullptr;
}

const GtImage* GroundTruth::image(int64_t id) const {
    for (const GtImage& i : images)
        if (i.id == id) return &i;
    return nullptr;
}

GroundTruth read_ground_truth(const std::string& coco_path, const std::string& images_dir) {
    return ground_truth_from_json(read_whole_file(coco_path, "COCO file"), coco_path, images_dir);
}

GroundTruth ground_truth_from_json(const std::string& text, const std::string& coco_path, const std::string& images_dir) {
    CocoImportOptions opt;
    opt.images_dir = images_dir;
    opt.check_images = false;  // the evaluation opens every image it runs on anyway
    const Project project = coco_from_json(text, coco_path, opt);  // validates everything, rasterises masks
    const json root = parse(text, coco_path);

    // The file's own ids: the COCO reader keeps them only when they are all valid.
    std::map<int64_t, std::pair<const json*, std::string>> raw;  // annotation id -> (object, path)
    const json& anns = root.at("annotations");
    for (size_t i = 0; i < anns.size(); ++i) {
        const std::string path = index("annotations", i);
        const int64_t id = get_int(anns[i].at("id"), coco_path, join(path, "id"));
        if (id < 1) fail(coco_path, join(path, "id"), "annotation ids must be >= 1 for an evaluation (COCOeval reads 0 as \"no match\")");
        raw[id] = {&anns[i], path};
    }

    const json& images = root.at("images");
    for (size_t i = 0; i < images.size() && i < project.images.size(); ++i)
        if (get_int(images[i].at("id"), coco_path, join(index("images", i), "id")) != project.images[i].id)
            fail(coco_path, join(index("images", i), "id"), "image ids must be >= 1 for an evaluation");
    const json& cats = root.at("categories");
    for (size_t i = 0; i < cats.size(); ++i)
        if (!project.find_category(int(get_int(cats[i].at("id"), coco_path, join(index("categories", i), "id")))))
            fail(coco_path, join(index("categories", i), "id"), "category ids must be >= 1 for an evaluation");

    GroundTruth gt;
    gt.source = coco_path;
    for (const Category& c : project.categories) gt.categories.push_back({c.id, c.name});
    std::sort(gt.categories.begin(), gt.categories.end(), [](const GtCategory& a, const GtCategory& b) { return a.id < b.id; });
    for (const ImageRecord& rec : project.images) {
        GtImage img;
        img.id = rec.id;
        img.file_name = rec.file_name;
        img.width = rec.width;
        img.height = rec.height;
        for (const Instance& inst : rec.instances) {
            const auto it = raw.find(inst.id);
            if (it == raw.end())
                fail(coco_path, "annotations", "ids were renumbered on reading (invalid image or category ids?); "
                                               "an evaluation needs the file's own ids");
            GtAnnotation a;
            a.id = inst.id;
            a.category_id = inst.category_id;
            a.mask = inst.mask;
            read_extra_fields(*it->second.first, a, img, project.find_category(inst.category_id)->name, coco_path,
                              it->second.second);
            img.annotations.push_back(std::move(a));
        }
        gt.images.push_back(std::move(img));
    }
    return gt;
}

std::vector<ReferringSample> read_refs(const std::string& refs_path, const GroundTruth& gt, const std::string& split) {
    return refs_from_json(read_whole_file(refs_path, "refs file"), refs_path, gt, split);
}

std::vector<ReferringSample> refs_from_json(const std::string& text, const std::string& src, const GroundTruth& gt,
                                            const std::string& split) {
    const json root = parse(text, src);
    const json& refs = get_array(root, src, "");
    std::map<int64_t, int64_t> image_of_ann;
    for (const GtImage& img : gt.images)
        for (const GtAnnotation& a : img.annotations) image_of_ann[a.id] = img.id;
    std::vector<ReferringSample> out;
    std::set<std::string> splits;
    for (size_t i = 0; i < refs.size(); ++i) {
        const std::string path = index("", i);
        const json& r = get_object(refs[i], src, path);
        const std::string s = r.contains("split") ? get_string(r["split"], src, join(path, "split")) : "";
        splits.insert(s);
        if (!split.empty() && s != split) continue;
        ReferringSample base;
        base.ref_id = get_int(field(r, "ref_id", src, path), src, join(path, "ref_id"));
        base.ann_id = get_int(field(r, "ann_id", src, path), src, join(path, "ann_id"));
        base.image_id = get_int(field(r, "image_id", src, path), src, join(path, "image_id"));
        const auto it = image_of_ann.find(base.ann_id);
        if (it == image_of_ann.end())
            fail(src, join(path, "ann_id"), "annotation " + std::to_string(base.ann_id) + " is not in " + gt.source);
        if (it->second != base.image_id)
            fail(src, join(path, "image_id"), std::to_string(base.image_id) + ", but annotation " + std::to_string(base.ann_id) +
                                                  " belongs to image " + std::to_string(it->second) + " in " + gt.source);
        const json& sentences = get_array(field(r, "sentences", src, path), src, join(path, "sentences"));
        for (size_t k = 0; k < sentences.size(); ++k) {
            const std::string sp = index(join(path, "sentences"), k);
            ReferringSample s2 = base;
            s2.sentence = get_string(field(get_object(sentences[k], src, sp), "sent", src, sp), src, join(sp, "sent"));
            if (s2.sentence.find_first_not_of(" \t\n") == std::string::npos) fail(src, join(sp, "sent"), "empty sentence");
            out.push_back(std::move(s2));
        }
    }
    if (out.empty()) {
        std::string known;
        for (const std::string& s : splits) known += (known.empty() ? "" : ", ") + (s.empty() ? "(none)" : s);
        throw Error(src + ": no referring expressions" + (split.empty() ? "" : " in split \"" + split + "\"") +
                    (known.empty() ? "" : " (splits in the file: " + known + ")"));
    }
    return out;
}

}  // namespace xs::eval
