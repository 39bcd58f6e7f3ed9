#pragma once
// GPU-check build only (packaging/gpu-check.sh): the GPU machine has no OpenCV headers, and the X-SAM
// core needs core/mask/mask.cpp, whose RLE encoder uses three OpenCV core pieces: cv::Mat over external
// 8-bit data, a rectangular view of it, and cv::transpose. This header provides exactly those (plain
// loops; the real OpenCV is used everywhere else). Never on the include path of the normal build.
#include <cstddef>
#include <cstdint>

#define CV_8U 0

namespace cv {

struct Rect {
    int x, y, width, height;
    Rect(int x_, int y_, int w, int h) : x(x_), y(y_), width(w), height(h) {}
};

class Mat {
public:
    Mat(int rows_, int cols_, int /*type: CV_8U only*/, void* data_, size_t step_ = 0)
        : rows(rows_), cols(cols_), data(static_cast<uint8_t*>(data_)), step(step_ ? step_ : size_t(cols_)) {}
    Mat operator()(const Rect& r) const {
        return Mat(r.height, r.width, CV_8U, data + size_t(r.y) * step + size_t(r.x), step);
    }
    int rows, cols;
    uint8_t* data;
    size_t step;  // bytes per row
};

inline void transpose(const Mat& src, Mat& dst) {
    for (int y = 0; y < src.rows; ++y)
        for (int x = 0; x < src.cols; ++x) dst.data[size_t(x) * dst.step + size_t(y)] = src.data[size_t(y) * src.step + size_t(x)];
}

}  // namespace cv
