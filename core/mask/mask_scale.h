#pragma once
// Exact mask mapping between a working resolution (w x h) and the full resolution (W x H) of an
// image, w <= W and h <= H (see core/io/image_decode.h for how working images are made).
//
//   Full-resolution pixel (x, y) belongs to working pixel (floor(x * w / W), floor(y * h / H)).
//   up:   full(x, y) = working(floor(x * w / W), floor(y * h / H))   -- nearest, every pixel of the box
//   down: working(j, i) = full(ceil(j * W / w), ceil(i * H / h))     -- the box's first pixel
//
// The sample pixel of down() lies in the box of (j, i), so down(up(m)) == m for every working mask
// m. Both work on COCO RLE directly, column run by column run: up() never builds a dense
// full-resolution mask (a 20000 x 20000 result costs its run list only), down() reads only the
// sampled full-resolution columns' runs.
#include <cstdint>

#include "core/mask/mask.h"

namespace xs {

// The working index of a full-resolution coordinate, and the full-resolution pixel down() samples.
inline int full_to_working(int x, int full, int work) { return int(int64_t(x) * work / full); }
inline int working_sample(int j, int full, int work) { return int((int64_t(j) * full + work - 1) / work); }

// Working mask (m.width x m.height) -> COCO RLE at full_width x full_height. Throws xs::Error when
// the full size is smaller than the working size in either direction.
Rle rle_upsample(const Rle& working, int full_width, int full_height);
Rle mask_upsample_rle(const Mask& working, int full_width, int full_height);

// Full-resolution RLE -> working RLE (work_width x work_height), sampling as described above.
Rle rle_downsample(const Rle& full, int work_width, int work_height);

}  // namespace xs
