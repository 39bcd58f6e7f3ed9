#pragma once
// Label images for the raster formats (png-masks, voc): every instance painted into one image of
// instance numbers, later instances on top, and read back from such images. One value per pixel
// cannot hold overlaps: what a later instance covers is lost to the earlier one.
#include <string>
#include <vector>

#include "core/formats/export_support.h"
#include "core/formats/png_codec.h"

namespace xs {

struct PaintedImage {
    int width = 0, height = 0;
    std::vector<uint16_t> instance;  // 1-based number into `painted` per pixel, 0: background
    std::vector<uint16_t> cls;       // 1-based class index per pixel (CategoryTable index + 1), 0: background
    std::vector<const Instance*> painted;  // the instances given a number, in drawing order
};

// Paints up to `max_instances` instances (the rest are counted as lost over the limit) and counts
// in `tally` what each instance loses to the ones drawn over it.
PaintedImage paint_instances(const ImageRecord& image, const std::vector<const Instance*>& instances,
                             const CategoryTable& categories, int max_instances, LossTally& tally);

// The standard VOC colour map: colour i from the bits of i.
Rgb voc_color(int index);

// Reading back: for each instance number in `ids` (pixels equal to `void_value` ignored in both), the
// mask and the class that `classes` holds under it. Every pixel of one instance must have the same
// class (void pixels aside) and not background; otherwise xs::Error names the files and values.
struct ReadInstance {
    int number = 0;
    int class_index = 0;
    Mask mask;
};
std::vector<ReadInstance> read_instances(const PngValues& ids, const std::string& ids_path, const PngValues& classes,
                                         const std::string& classes_path, uint32_t void_value);

// Reads and decodes a label PNG; xs::Error names the path.
PngValues read_label_png(const std::string& path);

}  // namespace xs
