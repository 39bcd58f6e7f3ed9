#pragma once
// Decoded images as the core sees them: 8-bit RGB, interleaved, row-major, EXIF orientation applied.
#include <cstdint>
#include <string>
#include <vector>

namespace xs {

struct Image {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgb;  // width * height * 3 bytes

    bool empty() const { return width <= 0 || height <= 0; }
    const uint8_t* pixel(int x, int y) const { return rgb.data() + (size_t(y) * width + x) * 3; }
};

// Loads an image file (JPEG, PNG, BMP, TIFF, WebP, ... whatever OpenCV decodes), converting grey,
// 16-bit and alpha images to 8-bit RGB and applying EXIF orientation. Throws xs::Error naming the
// path and the problem (missing, unreadable, truncated, not an image).
Image load_image(const std::string& path);

// Width and height as displayed (after EXIF orientation), without decoding all pixels where the
// format allows it. Throws xs::Error like load_image.
void read_image_size(const std::string& path, int& width, int& height);

}  // namespace xs
