// Image loading: one decoder for everything (core/io/image_decode.cpp), without a size bound here.
// JPEG goes through libjpeg (EXIF orientation applied, CMYK/YCCK converted, truncation reported),
// PNG through libpng row by row (16-bit, grey, grey+alpha, palette and tRNS expanded, alpha
// composited over white), other formats through OpenCV; see image_decode.h for the pixel rules.
#include "core/io/image.h"

#include "core/io/image_decode.h"

namespace xs {

Image load_image(const std::string& path) {
    WorkingImage wi = load_working_image(path, DecodeLimits::unbounded());
    return std::move(wi.image);
}

void read_image_size(const std::string& path, int& width, int& height) {
    const ImageHeader h = read_image_header(path);
    if (h.width > 0 && h.height > 0) {
        width = h.width;
        height = h.height;
        return;
    }
    const Image img = load_image(path);
    width = img.width;
    height = img.height;
}

}  // namespace xs
