#pragma once
// Ground truth for `xsam-cli evaluate`: a COCO instances file (read and validated by the COCO
// reader, core/coco) plus the fields an evaluation needs that a project does not keep, and
// RefCOCO-style referring expressions.
//
//   xs::eval::GroundTruth gt = xs::eval::read_ground_truth("instances.json", "images/");
//   std::vector<xs::eval::ReferringSample> s = xs::eval::read_refs("refs.json", gt, "val");
//
// Per annotation, besides the mask: `iscrowd`; `area` (the file's value, which COCOeval's area
// ranges use; the pixel count when absent); the phrase of a grounded caption (`phrase`, as
// `xsam-cli batch --task gcg` writes it; the category name when absent); and visual prompts as X-SAM's
// VGD data carries them: `"visual_prompts": {"point_visual_prompt": RLE, "scribble_visual_prompt": RLE,
// "box_visual_prompt": RLE, "mask_visual_prompt": RLE}` (each optional; RLE as in "segmentation").
// Annotation ids must be unique and >= 1 (COCOeval needs them; 0 reads as "no match" there).
// Errors name the file and the field.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/eval/visual_prompts.h"
#include "core/mask/mask.h"

namespace xs::eval {

struct GtAnnotation {
    int64_t id = 0;
    int64_t category_id = 0;
    Rle mask;
    double area = 0;
    bool iscrowd = false;
    std::string phrase;
    std::map<PromptType, Rle> prompts;  // from the data; absent types are derived when needed
};

struct GtImage {
    int64_t id = 0;
    std::string file_name;  // relative to the image folder
    int width = 0, height = 0;
    std::vector<GtAnnotation> annotations;  // in the file's order
};

struct GtCategory {
    int64_t id = 0;
    std::string name;
};

struct GroundTruth {
    std::string source;  // the file, for messages
    std::vector<GtCategory> categories;  // sorted by id
    std::vector<GtImage> images;         // in the file's order
    const GtCategory* category(int64_t id) const;
    const GtImage* image(int64_t id) const;
};

GroundTruth read_ground_truth(const std::string& coco_path, const std::string& images_dir);
GroundTruth ground_truth_from_json(const std::string& text, const std::string& source, const std::string& images_dir);

// One referring expression: a sentence of a ref and the annotation it names.
struct ReferringSample {
    int64_t ref_id = 0;
    int64_t image_id = 0;
    int64_t ann_id = 0;
    std::string sentence;
};

// RefCOCO's layout (refs.json): a list of refs, each {"ref_id", "ann_id", "image_id", "split",
// "sentences": [{"sent": ..., "tokens": [...]}, ...]}. Every sentence is one sample; `split` keeps only
// the refs of that split (empty: all). The ann_id and image_id must exist in `gt` and agree.
std::vector<ReferringSample> read_refs(const std::string& refs_path, const GroundTruth& gt, const std::string& split);
std::vector<ReferringSample> refs_from_json(const std::string& text, const std::string& source, const GroundTruth& gt,
                                            const std::string& split);

}  // namespace xs::eval
