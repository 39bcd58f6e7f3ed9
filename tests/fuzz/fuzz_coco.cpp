// libFuzzer target: COCO import (core/coco: coco_from_json and import_coco_json), images not opened.
// Invariants: an accepted file gives a project that exports (coco_to_json) without error and whose
// instances all have masks of their image's size; import_coco_json into an existing project either
// succeeds or leaves the project exactly as it was (the strong guarantee), checked through
// coco_to_json of the project before and after.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/coco/coco.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

const xs::Project& base_project() {
    static const xs::Project p = [] {
        xs::Project b;
        b.add_category("bird");
        b.add_category("cat");
        xs::ImageRecord& img = b.add_image("0001.jpg", 8, 6);
        xs::Mask m(8, 6);
        for (int y = 1; y < 4; ++y)
            for (int x = 2; x < 6; ++x) m.set(x, y, true);
        b.add_instance(img, 1, xs::rle_encode(m));
        return b;
    }();
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    xs::CocoImportOptions opt;
    opt.check_images = false;
    xs::Project p;
    if (xs::fuzz::accepts([&] { p = xs::coco_from_json(text, "fuzz.json", opt); })) {
        for (const auto& img : p.images)
            for (const auto& inst : img.instances)
                XS_FUZZ_REQUIRE(inst.mask.width == img.width && inst.mask.height == img.height,
                                "an instance mask differs from its image size");
        XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { (void)xs::coco_to_json(p, {}); }),
                        "an imported project cannot be exported");
    }
    xs::Project work = base_project();
    const std::string before = xs::coco_to_json(work, {});
    if (!xs::fuzz::accepts([&] { xs::import_coco_json(work, text, "fuzz.json", opt); }))
        XS_FUZZ_REQUIRE(xs::coco_to_json(work, {}) == before, "a failed import changed the project");
    return 0;
}
