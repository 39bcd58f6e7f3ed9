#pragma once
// The two image preprocessings of X-SAM, done with tensor ops on the engine's device.
//
// SAM path (HF SamImageProcessor as X-SAM configures it): resize so that the long side is 1024 with
//   new = int(old * 1024 / max(h, w) + 0.5), PIL bilinear (antialiased when shrinking, result rounded
//   back to 8 bits as PIL does), scale 1/255, ImageNet mean/std, then zero padding at the bottom/right
//   to 1024x1024 (after normalising, so the padding is 0 in normalised units).
// SigLIP path (xtuner expand2square + SiglipImageProcessor): paste the image centred on a square of
//   grey (127,127,127) (offset (side - w) / 2 or (side - h) / 2, rounded down), PIL resize to 384x384
//   (bilinear by default; see PreprocessConfig::siglip_resample), scale 1/255, mean = std = 0.5.
//
// PIL's resampling is reproduced by LibTorch's antialiased interpolation (the same separable triangle /
// cubic(a = -0.5) kernels with PIL's support scaling) followed by round-half-up to uint8; PIL's fixed-
// point weights can still differ by one grey level on rare pixels.
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

// PIL-like resize of a [N, C, H, W] float tensor holding 0..255 values: antialiased "bilinear" or
// "bicubic" (or "nearest"), then rounded half-up and clamped to 0..255 like PIL's uint8 output.
torch::Tensor pil_resize_u8(const torch::Tensor& image, int out_h, int out_w, const std::string& mode);

struct SamInput {
    torch::Tensor pixels;  // [1, 3, S, S] float32, normalised, zero padded
    int scaled_h = 0;      // size of the image inside the padded canvas
    int scaled_w = 0;
};

SamInput preprocess_sam(const Image& image, const PreprocessConfig& config, const torch::Device& device);
torch::Tensor preprocess_siglip(const Image& image, const PreprocessConfig& config, const torch::Device& device);

}  // namespace xs::xsam
