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

torch::Tensor pil_resize_u8(const torch::Tensor& image, int out_h, int out_w, const std::string& mode) {
    check_mode(mode, "pil_resize_u8");
    if (image.size(-2) == out_h && image.size(-1) == out_w) return image.clone();  // PIL copies
    torch::Tensor x = image.to(torch::kFloat32);
    torch::Tensor y;
    if (mode == "nearest") {
        // PIL NEAREST: source index floor((dst + 0.5) * in / out).
        const int64_t in_h = x.size(-2), in_w = x.size(-1);
        auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(x.device());
        torch::Tensor ys = ((torch::arange(out_h, opts) + 0.5) * (double(in_h) / out_h)).floor().clamp_max(in_h - 1);
        torch::Tensor xs = ((torch::arange(out_w, opts) + 0.5) * (double(in_w) / out_w)).floor().clamp_max(in_w - 1);
        y = x.index_select(-2, ys.to(torch::kLong)).index_select(-1, xs.to(torch::kLong));
        return y;
    }
    auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{out_h, out_w}).align_corners(false).antialias(true);
    if (mode == "bicubic")
        opts.mode(torch::kBicubic);
    else
        opts.mode(torch::kBilinear);
    y = F::interpolate(x, opts);
    // PIL writes uint8: round half up, clamp.
    return (y + 0.5).floor().clamp(0.0, 255.0);
}

SamInput preprocess_sam(const Image& image, const PreprocessConfig& config, const torch::Device& device) {
    SamInput out;
    auto [h, w] = sam_scaled_size(image.height, image.width, config.sam_size);
    out.scaled_h = h;
    out.scaled_w = w;
    torch::Tensor img = image_to_tensor(image, device);
    torch::Tensor resized = pil_resize_u8(img, h, w, config.sam_resample);
    torch::Tensor norm = normalise(resized, config.sam_mean, config.sam_std);
    out.pixels = F::pad(norm, F::PadFuncOptions({0, config.sam_size - w, 0, config.sam_size - h}).value(0.0))
                     .contiguous();
    return out;
}

torch::Tensor preprocess_siglip(const Image& image, const PreprocessConfig& config, const torch::Device& device) {
    torch::Tensor img = image_to_tensor(image, device);
    const int side = std::max(image.width, image.height);
    torch::Tensor square = img;
    if (image.width != image.height) {
        square = torch::full({1, 3, side, side}, double(config.siglip_fill),
                             torch::TensorOptions().dtype(torch::kFloat32).device(device));
        const int x0 = image.width < side ? (side - image.width) / 2 : 0;
        const int y0 = image.height < side ? (side - image.height) / 2 : 0;
        square.narrow(2, y0, image.height).narrow(3, x0, image.width).copy_(img);
    }
    torch::Tensor resized = pil_resize_u8(square, config.siglip_size, config.siglip_size, config.siglip_resample);
    return normalise(resized, config.siglip_mean, config.siglip_std).contiguous();
}

}  // namespace xs::xsam
