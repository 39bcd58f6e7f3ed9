#pragma once
// Deterministic test projects for the crash-safety suite: generation k is always the same project, so
// the checker can rebuild exactly what the driver may have written. Shared by crash_driver.cpp and
// test_crashsafe.cpp.
#include <cstdint>
#include <string>
#include <utility>

#include "core/annotation/project.h"
#include "core/coco/coco.h"

namespace xs::crashsafe {

inline const char* kProjectName = "project.xsproj.json";
inline const char* kCocoName = "coco.json";
inline const char* kEventsName = "events.log";  // the driver's progress log (see crash_driver.cpp)

// Small xorshift generator: same sequence on every platform.
struct Lcg {
    uint64_t s;
    explicit Lcg(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return uint32_t(s >> 11);
    }
    uint32_t below(uint32_t n) { return next() % n; }
};

// A mask of height*width pixels with many foreground runs (a non-trivial RLE).
inline Rle make_rle(Lcg& rng, int height, int width, int runs) {
    Rle r;
    r.height = height;
    r.width = width;
    const uint32_t total = uint32_t(height) * uint32_t(width);
    uint32_t used = 0;
    // counts alternate background, foreground, ... starting with background.
    for (int i = 0; i < runs && used < total; ++i) {
        const uint32_t bg = 1 + rng.below(total / uint32_t(4 * runs) + 1);
        const uint32_t fg = 1 + rng.below(total / uint32_t(4 * runs) + 1);
        if (used + bg + fg >= total) break;
        r.counts.push_back(bg);
        r.counts.push_back(fg);
        used += bg + fg;
    }
    r.counts.push_back(total - used);
    return r;
}

// Generation k (k >= 1): 2 + 2k images of 320x240, 6 instances each, 60..90 runs per mask.
inline Project make_generation(int k) {
    Lcg rng{uint64_t(k)};
    Project p;
    p.image_root = "gen-" + std::to_string(k);
    const int cats[3] = {p.add_category("stamp").id, p.add_category("postmark").id,
                         p.add_category("label").id};
    const int64_t base_ms = 1700000000000LL + int64_t(k) * 100000;
    const int images = 2 + 2 * k;
    for (int i = 0; i < images; ++i) {
        const int w = 320, h = 240;
        ImageRecord& img = p.add_image("img/" + std::to_string(i) + ".jpg", w, h);
        for (int j = 0; j < 6; ++j) {
            const int runs = 60 + int(rng.below(31));  // sequenced: the draw order is fixed
            Rle mask = make_rle(rng, h, w, runs);
            Instance& inst = p.add_instance(img, cats[(i + j) % 3], std::move(mask),
                                            0.5f + 0.0625f * float(j), "crashsafe:gen" + std::to_string(k));
            inst.created_ms = base_ms + i * 10 + j;
            inst.modified_ms = inst.created_ms + 1;
            inst.visible = (j % 4) != 3;
        }
    }
    return p;
}

inline CocoExportOptions export_options() {
    return CocoExportOptions{};  // RLE segmentations
}

}  // namespace xs::crashsafe
