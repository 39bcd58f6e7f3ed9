#pragma once
// The two image preprocessings of X-SAM: PIL's resize on the CPU (exact), then normalising on the
// engine's device.
//
// SAM path (HF SamImageProcessor as X-SAM configures it): resize so that the long side is 1024 with
//   new = int(old * 1024 / max(h, w) + 0.5), PIL bilinear (antialiased when shrinking, result rounded
//   back to 8 bits as PIL does), scale 1/255, ImageNet mean/std, then zero padding at the bottom/right
//   to 1024x1024 (after normalising, so the padding is 0 in normalised units).
// SigLIP path (xtuner expand2square + SiglipImageProcessor): paste the image centred on a square of
//   grey (127,127,127) (offset (side - w) / 2 or (side - h) / 2, rounded down), PIL resize to 384x384
//   (bilinear by default; see PreprocessConfig::siglip_resample), scale 1/255, mean = std = 0.5.
//
// The resize is PIL's own algorithm for 8-bit images (Pillow's Resample.c, which transformers' resize
// runs): separable triangle / cubic (a = -0.5) kernels widened by the shrink factor, coefficients in
// fixed point (22 bits), the horizontal pass rounded to uint8 before the vertical one. It matches PIL
// value for value (tests/data/official); LibTorch's antialiased interpolate, used before, differed by
// one grey level on 16-21% of the values of the sample photographs (bicubic: up to 5 levels).
#include <torch/torch.h>

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "core/io/image.h"

namespace xs::xsam {

struct PreprocessConfig {
    int sam_size = 1024;
    std::array<float, 3> sam_mean{0.485f, 0.456f, 0.406f};
    std::array<float, 3> sam_std{0.229f, 0.224f, 0.225f};
    std::string sam_resample = "bilinear";
    int siglip_size = 384;
    std::array<float, 3> siglip_mean{0.5f, 0.5f, 0.5f};
    std::array<float, 3> siglip_std{0.5f, 0.5f, 0.5f};
    int siglip_fill = 127;  // int(0.5 * 255): xtuner pads with the processor's mean
    // SigLIP2 so400m/14-384's preprocessor_config.json (resample 2 = bilinear, recalled, not verified
    // offline); "bicubic" is accepted for SigLIP v1 style checkpoints.
    std::string siglip_resample = "bilinear";

    // Reads the optional "preprocess" section of a model config (keys as the fields above).
    static PreprocessConfig from_json(const nlohmann::json& section, const std::string& where);
};

// Size after the SAM long-side resize: (int(h * s + 0.5), int(w * s + 0.5)), s = long_side / max(h, w).
std::pair<int, int> sam_scaled_size(int height, int width, int long_side);

// RGB8 image -> float tensor [1, 3, H, W] with values 0..255 on `device`.
torch::Tensor image_to_tensor(const Image& image, const torch::Device& device);

// Image.resize((out_w, out_h), mode) of an RGB image in PIL, value for value: "bilinear", "bicubic" or
// "nearest". The same size returns a copy, as PIL does.
Image pil_resize(const Image& image, int out_w, int out_h, const std::string& mode);

// xtuner's expand2square: the image pasted on a square of `fill` grey, offset (side - w) / 2 or
// (side - h) / 2 (rounded down).
Image expand_to_square(const Image& image, int fill);

struct SamInput {
    torch::Tensor pixels;  // [1, 3, S, S] float32, normalised, zero padded
    int scaled_h = 0;      // size of the image inside the padded canvas
    int scaled_w = 0;
};

SamInput preprocess_sam(const Image& image, const PreprocessConfig& config, const torch::Device& device);
torch::Tensor preprocess_siglip(const Image& image, const PreprocessConfig& config, const torch::Device& device);

}  // namespace xs::xsam
