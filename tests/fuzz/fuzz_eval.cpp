// libFuzzer target: the readers of `xsam-cli evaluate` and `evaluate-merge` (core/eval): the COCO
// ground truth with the evaluation's own fields (iscrowd, area, phrase, visual_prompts), RefCOCO refs
// against a fixed ground truth, and a result file as evaluate-merge reads it (settings and the
// accumulated state: sums, confusion matrix, PQ counts, COCOeval records). Each input is tried as all
// three. Invariants: accepted ground truth has masks and prompts of its image's size; accepted refs
// name annotations of the image they say; an accepted result yields metrics that are numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/eval/evaluate.h"
#include "core/eval/ground_truth.h"
#include "core/io/json_read.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

const xs::eval::GroundTruth& base_truth() {
    static const xs::eval::GroundTruth gt = xs::eval::ground_truth_from_json(
        R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3},
                       {"id": 2, "file_name": "b.jpg", "width": 2, "height": 2}],
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [3, 4], "counts": [2, 3, 7]}},
                            {"id": 5, "image_id": 2, "category_id": 2, "segmentation": {"size": [2, 2], "counts": [1, 3]}}]})",
        "base.json", "");
    return gt;
}

bool numbers(const nlohmann::ordered_json& j) {
    if (j.is_object()) {
        for (const auto& v : j)
            if (!numbers(v)) return false;
        return true;
    }
    return j.is_number() && !std::isnan(j.get<double>());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    xs::eval::GroundTruth gt;
    if (xs::fuzz::accepts([&] { gt = xs::eval::ground_truth_from_json(text, "fuzz.json", ""); })) {
        for (const xs::eval::GtImage& img : gt.images)
            for (const xs::eval::GtAnnotation& a : img.annotations) {
                XS_FUZZ_REQUIRE(a.mask.width == img.width && a.mask.height == img.height, "a mask differs from its image size");
                for (const auto& [type, rle] : a.prompts)
                    XS_FUZZ_REQUIRE(rle.width == img.width && rle.height == img.height, "a prompt differs from its image size");
            }
    }
    std::vector<xs::eval::ReferringSample> refs;
    if (xs::fuzz::accepts([&] { refs = xs::eval::refs_from_json(text, "refs.json", base_truth(), ""); })) {
        for (const xs::eval::ReferringSample& s : refs) {
            const xs::eval::GtImage* img = base_truth().image(s.image_id);
            XS_FUZZ_REQUIRE(img != nullptr, "a sample names an unknown image");
            bool found = false;
            for (const xs::eval::GtAnnotation& a : img->annotations) found = found || a.id == s.ann_id;
            XS_FUZZ_REQUIRE(found, "a sample names an annotation of another image");
        }
    }
    nlohmann::ordered_json merged;
    if (xs::fuzz::accepts([&] { merged = xs::eval::merge_evaluations({xs::jsonr::parse(text, "part.json")}, {"part.json"}); }))
        XS_FUZZ_REQUIRE(numbers(merged.at("metrics")), "a merged result has metrics that are not numbers");
    return 0;
}
