#pragma once
// Binary masks.
//
//   xs::Mask m(640, 480);            // dense, row-major, one byte per pixel (0 or 1)
//   m.set(10, 20, true);
//   xs::Rle r = xs::rle_encode(m);   // compact, column-major run lengths (COCO's layout)
//   std::string s = xs::rle_to_string(r);    // pycocotools' compressed "counts" string
//   xs::Mask back = xs::rle_decode(r);
//
// Dense Mask is the working type (engines, editing, OpenCV interop through data()); Rle is how
// instances are stored in memory and on disk, so thousands of instances on 4000x3000 images stay small.
#include <cstdint>
#include <string>
#include <vector>

namespace xs {

// [x, y, w, h] of whole pixels, as COCO writes bbox. Empty mask -> all zero.
struct BBox {
    int x = 0, y = 0, w = 0, h = 0;
    bool empty() const { return w <= 0 || h <= 0; }
    bool operator==(const BBox& o) const { return x == o.x && y == o.y && w == o.w && h == o.h; }
};

class Mask {
public:
    Mask() = default;
    Mask(int width, int height) : width_(width), height_(height), data_(size_t(width) * height, 0) {}

    int width() const { return width_; }
    int height() const { return height_; }
    bool empty_size() const { return width_ <= 0 || height_ <= 0; }

    bool at(int x, int y) const { return data_[size_t(y) * width_ + x] != 0; }
    void set(int x, int y, bool v) { data_[size_t(y) * width_ + x] = v ? 1 : 0; }

    // Row-major bytes, 0 or 1; wrap with cv::Mat(height, width, CV_8U, data()).
    uint8_t* data() { return data_.data(); }
    const uint8_t* data() const { return data_.data(); }

    int64_t area() const;   // number of set pixels
    BBox bbox() const;      // pycocotools' toBbox of this mask
    bool any() const;

    bool operator==(const Mask& o) const {
        return width_ == o.width_ && height_ == o.height_ && data_ == o.data_;
    }
    bool operator!=(const Mask& o) const { return !(*this == o); }

private:
    int width_ = 0;
    int height_ = 0;
    std::vector<uint8_t> data_;
};

// Pixel-wise set operations; both masks must have the same size (xs::Error otherwise).
Mask mask_union(const Mask& a, const Mask& b);
Mask mask_intersection(const Mask& a, const Mask& b);
Mask mask_subtract(const Mask& a, const Mask& b);  // a and not b
double mask_iou(const Mask& a, const Mask& b);     // 0 when both are empty

// COCO run-length encoding: counts over the mask in column-major order, starting with a run of zeros.
struct Rle {
    int height = 0;
    int width = 0;
    std::vector<uint32_t> counts;
    bool operator==(const Rle& o) const {
        return height == o.height && width == o.width && counts == o.counts;
    }
};

Rle rle_encode(const Mask& mask);
Mask rle_decode(const Rle& rle);  // throws xs::Error if counts do not sum to height*width
int64_t rle_area(const Rle& rle);
BBox rle_bbox(const Rle& rle);     // exactly pycocotools' rleToBbox

// pycocotools' compressed string form of counts (rleToString / rleFrString).
std::string rle_to_string(const Rle& rle);
// Throws xs::Error on a malformed string or counts that do not sum to height*width.
Rle rle_from_string(const std::string& counts, int height, int width);

}  // namespace xs
