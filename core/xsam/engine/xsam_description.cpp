// What the X-SAM engine takes and how a model folder is checked: the description a settings page is
// generated from. Free of LibTorch (the folder check reads files only; the GPU count comes from the
// engine's translation unit).
#include "core/xsam/engine/model_folder.h"
#include "core/xsam/engine/xsam_engine_factory.h"
#include "core/util/limits.h"

#include <cstdio>

namespace xs {

namespace {

FolderReport check_folder(const std::string& dir) {
    const xsam::ModelFolderCheck c = xsam::check_model_folder(dir);
    FolderReport r;
    r.ok = c.ok();
    r.problems = c.problems;
    if (!r.ok) return r;
    char text[512];
    std::snprintf(text, sizeof text, "%s: %.1f M parameters, %lld tensors (%s, %.1f MB), tokenizer with %lld tokens",
                  c.config_name.empty() ? "X-SAM" : c.config_name.c_str(), double(c.parameters) / 1e6,
                  static_cast<long long>(c.tensors), c.weight_dtype.c_str(), double(c.weight_bytes) / (1024.0 * 1024.0),
                  static_cast<long long>(c.tokenizer_vocab));
    r.summary = text;
    return r;
}

EngineOption device_option() {
    EngineOption o;
    o.key = "device";
    o.label = "Device";
    o.help = "On the CPU the products run in the CPU compute precision below; a CUDA GPU computes in the weights' "
             "precision.";
    o.default_value = "cpu";
    const int gpus = xsam_cuda_device_count();
    EngineOption::Choice gpu{"cuda", "CUDA GPU (none found)", gpus > 0,
                             "LibTorch finds none here (no CUDA GPU, or a LibTorch built without CUDA)"};
    if (gpus > 0) gpu.label = "CUDA GPU (" + std::to_string(gpus) + " found)";
    o.choices = {{"cpu", "CPU", true, ""}, gpu};
    return o;
}

}  // namespace

EngineDescription describe_xsam_engine() {
    EngineDescription d;
    d.name = "xsam";
    d.title = "X-SAM";
    d.summary = "X-SAM segmentation MLLM (SAM-L + SigLIP2 + Phi-3) on LibTorch: interactive, visual grounded, "
                "referring, reasoning, generic, open-vocabulary, grounded caption; needs --model DIR";
    d.model_folder_option = "model";
    d.folder_help = "A model folder holds config.json, model.safetensors (or shards with model.safetensors.index.json) "
                    "and tokenizer.model, as written by xsam-cli convert-checkpoint.";
    d.check_folder = check_folder;
    EngineOption model;
    model.key = "model";
    model.type = EngineOption::Type::Folder;
    model.label = "Model folder";
    model.help = "The converted X-SAM model (see \"Using the real X-SAM weights\" in the README).";
    EngineOption dtype;
    dtype.key = "dtype";
    dtype.label = "Precision";
    dtype.choices = {{"", "Default (CPU: as stored, GPU: bf16)", true, ""},
                     {"fp32", "fp32", true, ""},
                     {"bf16", "bf16", true, ""},
                     {"fp16", "fp16 (GPU only)", true, ""}};
    EngineOption compute;
    compute.key = "compute";
    compute.label = "CPU compute precision";
    compute.help = "Auto computes in bf16 where the processor has bf16 matrix units (amx_bf16 / avx512_bf16) and a "
                   "short check at load finds bf16 products at least 1.5x faster than fp32; else fp32. The status bar "
                   "and the inspector say which ran and why.";
    compute.default_value = "auto";
    compute.choices = {{"auto", "Auto (bf16 where the CPU is faster at it)", true, ""},
                       {"fp32", "fp32", true, ""},
                       {"bf16", "bf16", true, ""}};
    EngineOption threads;
    threads.key = "threads";
    threads.type = EngineOption::Type::Integer;
    threads.label = "CPU threads";
    threads.default_value = "0";
    threads.min = 0;
    threads.max = max_thread_count();  // what the engine accepts (core/util/limits.h)
    threads.zero_means = "all cores";
    d.options = {model, device_option(), dtype, compute, threads};
    return d;
}

}  // namespace xs
