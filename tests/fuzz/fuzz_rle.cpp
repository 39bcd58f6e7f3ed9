// libFuzzer target: pycocotools' compressed RLE strings (core/mask: rle_from_string).
// Input: 2 bytes height, 2 bytes width (signed, little-endian), then the counts string.
// Invariants on accepted strings: counts sum to height*width, the string form round-trips, area
// agrees with the decoded mask (for masks up to 1 Mpixel), re-encoding the decoded mask gives the
// same mask and area, and the bbox of the canonical encoding is the mask's tight box.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/mask/mask.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    const int height = static_cast<int16_t>(data[0] | (data[1] << 8));
    const int width = static_cast<int16_t>(data[2] | (data[3] << 8));
    const std::string counts(reinterpret_cast<const char*>(data + 4), size - 4);
    xs::Rle r;
    if (!xs::fuzz::accepts([&] { r = xs::rle_from_string(counts, height, width); })) return 0;
    XS_FUZZ_REQUIRE(height >= 0 && width >= 0, "a negative size was accepted");
    uint64_t sum = 0;
    for (uint32_t c : r.counts) sum += c;
    XS_FUZZ_REQUIRE(sum == uint64_t(height) * uint64_t(width), "counts do not sum to h*w");
    const std::string again = xs::rle_to_string(r);
    xs::Rle back;
    XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { back = xs::rle_from_string(again, height, width); }),
                    "rle_to_string output rejected: " + again);
    XS_FUZZ_REQUIRE(back == r, "string round trip changed the counts");
    const int64_t area = xs::rle_area(r);
    const xs::BBox box = xs::rle_bbox(r);
    if (uint64_t(height) * uint64_t(width) <= (1u << 20)) {
        xs::Mask m;
        XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { m = xs::rle_decode(r); }), "rle_decode rejected an accepted RLE");
        XS_FUZZ_REQUIRE(m.width() == width && m.height() == height, "decoded size");
        XS_FUZZ_REQUIRE(m.area() == area, "rle_area != mask area");
        const xs::Rle canon = xs::rle_encode(m);
        // rle_bbox copies pycocotools' arithmetic, which is the tight box only for canonical
        // encodings (no empty runs after the first); compare on the canonical form.
        XS_FUZZ_REQUIRE(xs::rle_bbox(canon) == m.bbox(), "rle_bbox of the canonical RLE != mask bbox");
        if (canon == r) XS_FUZZ_REQUIRE(box == m.bbox(), "rle_bbox != mask bbox");
        XS_FUZZ_REQUIRE(xs::rle_area(canon) == area, "re-encoded area");
        XS_FUZZ_REQUIRE(xs::rle_decode(canon) == m, "re-encoded mask");
    }
    return 0;
}
