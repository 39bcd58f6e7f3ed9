// xs_decode_probe FILE [--opencv]: decodes FILE in a fresh process and prints its peak resident
// memory, so tests (and people) can compare the bounded decoder with a whole-image decode.
//   default:   xs::load_working_image(FILE) with the default limits
//   --opencv:  cv::imread(FILE, IMREAD_UNCHANGED), the whole image at full resolution
// Output, one line: peak_rss_mib=<float> ms=<float> width=<w> height=<h> full=<W>x<H> method=<text>
// followed by "pixel x y r g b" lines for the centre of each quarter of the working image.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/io/image_decode.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: xs_decode_probe FILE [--opencv]\n");
        return 2;
    }
    const bool opencv = argc > 2 && std::strcmp(argv[2], "--opencv") == 0;
    const auto t0 = std::chrono::steady_clock::now();
    int w = 0, h = 0, fw = 0, fh = 0;
    std::string method;
    xs::Image img;
    try {
        if (opencv) {
            cv::Mat m = cv::imread(argv[1], cv::IMREAD_UNCHANGED);
            if (m.empty()) throw xs::Error(std::string(argv[1]) + ": OpenCV could not decode it");
            w = fw = m.cols;
            h = fh = m.rows;
            method = "opencv imread";
        } else {
            xs::WorkingImage wi = xs::load_working_image(argv[1]);
            w = wi.image.width;
            h = wi.image.height;
            fw = wi.full_width;
            fh = wi.full_height;
            method = wi.method;
            img = std::move(wi.image);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak_rss_mib=%.1f ms=%.0f width=%d height=%d full=%dx%d method=%s\n", double(ru.ru_maxrss) / 1024.0, ms, w, h,
                fw, fh, method.c_str());
    if (!img.empty()) {
        for (int qy = 0; qy < 2; ++qy)
            for (int qx = 0; qx < 2; ++qx) {
                const int x = w / 4 + qx * w / 2, y = h / 4 + qy * h / 2;
                const uint8_t* p = img.pixel(x, y);
                std::printf("pixel %d %d %d %d %d\n", x, y, p[0], p[1], p[2]);
            }
    }
    return 0;
}
