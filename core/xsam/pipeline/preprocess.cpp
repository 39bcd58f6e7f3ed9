#include "core/xsam/pipeline/preprocess.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

namespace {

std::array<float, 3> read_triplet(const nlohmann::json& j, const std::string& where) {
    if (!j.is_array() || j.size() != 3) throw Error(where + ": expected an array of 3 numbers");
    std::array<float, 3> out{};
    for (size_t i = 0; i < 3; ++i) {
        if (!j[i].is_number()) throw Error(where + ": expected an array of 3 numbers");
        out[i] = j[i].get<float>();
    }
    return out;
}

void check_mode(const std::string& mode, const std::string& where) {
    if (mode != "bilinear" && mode != "bicubic" && mode != "nearest")
        throw Error(where + ": unknown resample '" + mode + "' (expected bilinear, bicubic or nearest)");
}

torch::Tensor normalise(const torch::Tensor& img255, const std::array<float, 3>& mean, const std::array<float, 3>& std_) {
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(img255.device());
    torch::Tensor m = torch::tensor({mean[0], mean[1], mean[2]}, opts).view({1, 3, 1, 1});
    torch::Tensor s = torch::tensor({std_[0], std_[1], std_[2]}, opts).view({1, 3, 1, 1});
    // Same order of operations as the reference: rescale first, then (x - mean) / std.
    return (img255 * (1.0 / 255.0) - m) / s;
}

}  // namespace

PreprocessConfig PreprocessConfig::from_json(const nlohmann::json& section, const std::string& where) {
    PreprocessConfig c;
    if (section.is_null()) return c;
    if (!section.is_object()) throw Error(where + ": expected an object");
    auto get_int = [&](const char* key, int& dst) {
        if (!section.contains(key)) return;
        if (!section[key].is_number_integer()) throw Error(where + "." + key + ": expected an integer");
        dst = section[key].get<int>();
        if (dst <= 0 && std::string(key) != "siglip_fill") throw Error(where + "." + key + ": must be positive");
    };
    auto get_str = [&](const char* key, std::string& dst) {
        if (!section.contains(key)) return;
        if (!section[key].is_string()) throw Error(where + "." + key + ": expected a string");
        dst = section[key].get<std::string>();
        check_mode(dst, where + "." + key);
    };
    get_int("sam_size", c.sam_size);
    get_int("siglip_size", c.siglip_size);
    get_int("siglip_fill", c.siglip_fill);
    get_str("sam_resample", c.sam_resample);
    get_str("siglip_resample", c.siglip_resample);
    if (section.contains("sam_mean")) c.sam_mean = read_triplet(section["sam_mean"], where + ".sam_mean");
    if (section.contains("sam_std")) c.sam_std = read_triplet(section["sam_std"], where + ".sam_std");
    if (section.contains("siglip_mean")) c.siglip_mean = read_triplet(section["siglip_mean"], where + ".siglip_mean");
    if (section.contains("siglip_std")) c.siglip_std = read_triplet(section["siglip_std"], where + ".siglip_std");
    if (c.siglip_fill < 0 || c.siglip_fill > 255) throw Error(where + ".siglip_fill: must lie in 0..255");
    return c;
}

std::pair<int, int> sam_scaled_size(int height, int width, int long_side) {
    if (height <= 0 || width <= 0) throw Error("sam_scaled_size: empty image");
    const double scale = double(long_side) * 1.0 / double(std::max(height, width));
    const int h = int(double(height) * scale + 0.5);
    const int w = int(double(width) * scale + 0.5);
    return {std::max(h, 1), std::max(w, 1)};
}

torch::Tensor image_to_tensor(const Image& image, const torch::Device& device) {
    if (image.empty() || image.rgb.size() != size_t(image.width) * image.height * 3)
        throw Error("X-SAM preprocessing: the image is empty or its pixel buffer has the wrong size");
    torch::Tensor hwc = torch::from_blob(const_cast<uint8_t*>(image.rgb.data()), {image.height, image.width, 3},
                                         torch::kUInt8);
    // Copy to the device first (3 bytes a pixel), then convert there.
    return hwc.to(device).permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32).contiguous();
}

namespace {

// Pillow's Resample.c, 8 bits per channel.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
    const double a = -0.5;
    x = std::fabs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

// For each output index: the first input index, the tap count and the fixed-point weights
// (precompute_coeffs + normalize_coeffs_8bpc).
struct Taps {
    std::vector<int> first, count;
    std::vector<int32_t> weights;  // out x ksize
    int ksize = 0;
};

Taps pil_taps(int in_size, int out_size, const std::string& mode) {
    const bool cubic = mode == "bicubic";
    const double scale = double(in_size) / out_size;
    const double filterscale = std::max(scale, 1.0);
    const double support = (cubic ? 2.0 : 1.0) * filterscale;
    Taps t;
    t.ksize = int(std::ceil(support)) * 2 + 1;
    t.first.resize(size_t(out_size));
    t.count.resize(size_t(out_size));
    t.weights.assign(size_t(out_size) * t.ksize, 0);
    std::vector<double> k(static_cast<size_t>(t.ksize));
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = (xx + 0.5) * scale;
        const int xmin = std::max(int(center - support + 0.5), 0);
        const int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            const double arg = (x + xmin - center + 0.5) / filterscale;
            k[size_t(x)] = cubic ? bicubic_filter(arg) : bilinear_filter(arg);
            ww += k[size_t(x)];
        }
        for (int x = 0; x < xmax; ++x) {
            const double w = ww != 0.0 ? k[size_t(x)] / ww : k[size_t(x)];
            t.weights[size_t(xx) * t.ksize + x] = int32_t(w < 0 ? -0.5 + w * (1 << kPrecisionBits)
                                                                : 0.5 + w * (1 << kPrecisionBits));
        }
        t.first[size_t(xx)] = xmin;
        t.count[size_t(xx)] = xmax;
    }
    return t;
}

uint8_t clip8(int32_t v) {
    const int32_t shifted = v >> kPrecisionBits;  // arithmetic shift: floor
    return uint8_t(std::clamp(shifted, 0, 255));
}

// One separable pass over RGB rows: along x when `horizontal`, else along y.
Image resample_pass(const Image& in, int out_w, int out_h, const Taps& t, bool horizontal) {
    Image out;
    out.width = out_w;
    out.height = out_h;
    out.rgb.resize(size_t(out_w) * out_h * 3);
    at::parallel_for(0, out_h, 16, [&](int64_t y0, int64_t y1) {
        for (int64_t y = y0; y < y1; ++y)
            for (int x = 0; x < out_w; ++x) {
                const int o = horizontal ? x : int(y);
                const int32_t* k = &t.weights[size_t(o) * t.ksize];
                int32_t ss[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
                for (int i = 0; i < t.count[size_t(o)]; ++i) {
                    const int src = t.first[size_t(o)] + i;
                    const uint8_t* px = horizontal ? in.pixel(src, int(y)) : in.pixel(x, src);
                    for (int c = 0; c < 3; ++c) ss[c] += int32_t(px[c]) * k[i];
                }
                uint8_t* dst = &out.rgb[(size_t(y) * out_w + x) * 3];
                for (int c = 0; c < 3; ++c) dst[c] = clip8(ss[c]);
            }
    });
    return out;
}

// PIL NEAREST (ImagingScaleAffine): source index = position in * 0.5 / out advanced by in / out per
// step in double precision, truncated.
std::vector<int> nearest_sources(int in, int out) {
    std::vector<int> src(static_cast<size_t>(out));
    const double step = double(in) / out;
    double pos = step * 0.5;
    for (int i = 0; i < out; ++i, pos += step) src[size_t(i)] = std::min(int(pos), in - 1);
    return src;
}

}  // namespace

Image pil_resize(const Image& image, int out_w, int out_h, const std::string& mode) {
    check_mode(mode, "pil_resize");
    if (image.empty() || image.rgb.size() != size_t(image.width) * image.height * 3)
        throw Error("X-SAM preprocessing: the image is empty or its pixel buffer has the wrong size");
    if (out_w <= 0 || out_h <= 0) throw Error("X-SAM preprocessing: empty resize target");
    if (mode == "nearest") {
        const std::vector<int> sx = nearest_sources(image.width, out_w), sy = nearest_sources(image.height, out_h);
        Image out;
        out.width = out_w;
        out.height = out_h;
        out.rgb.resize(size_t(out_w) * out_h * 3);
        for (int y = 0; y < out_h; ++y)
            for (int x = 0; x < out_w; ++x)
                std::copy_n(image.pixel(sx[size_t(x)], sy[size_t(y)]), 3, &out.rgb[(size_t(y) * out_w + x) * 3]);
        return out;
    }
    Image cur = image;
    if (out_w != image.width) cur = resample_pass(cur, out_w, cur.height, pil_taps(image.width, out_w, mode), true);
    if (out_h != image.height) cur = resample_pass(cur, out_w, out_h, pil_taps(image.height, out_h, mode), false);
    return cur;
}

Image expand_to_square(const Image& image, int fill) {
    const int side = std::max(image.width, image.height);
    if (image.width == image.height) return image;
    Image sq;
    sq.width = sq.height = side;
    sq.rgb.assign(size_t(side) * side * 3, uint8_t(fill));
    const int x0 = (side - image.width) / 2, y0 = (side - image.height) / 2;
    for (int y = 0; y < image.height; ++y)
        std::copy_n(image.pixel(0, y), size_t(image.width) * 3, &sq.rgb[(size_t(y + y0) * side + x0) * 3]);
    return sq;
}

SamInput preprocess_sam(const Image& image, const PreprocessConfig& config, const torch::Device& device) {
    SamInput out;
    auto [h, w] = sam_scaled_size(image.height, image.width, config.sam_size);
    out.scaled_h = h;
    out.scaled_w = w;
    torch::Tensor resized = image_to_tensor(pil_resize(image, w, h, config.sam_resample), device);
    torch::Tensor norm = normalise(resized, config.sam_mean, config.sam_std);
    out.pixels = F::pad(norm, F::PadFuncOptions({0, config.sam_size - w, 0, config.sam_size - h}).value(0.0))
                     .contiguous();
    return out;
}

torch::Tensor preprocess_siglip(const Image& image, const PreprocessConfig& config, const torch::Device& device) {
    const Image square = expand_to_square(image, config.siglip_fill);
    const Image resized = pil_resize(square, config.siglip_size, config.siglip_size, config.siglip_resample);
    return normalise(image_to_tensor(resized, device), config.siglip_mean, config.siglip_std).contiguous();
}

}  // namespace xs::xsam
