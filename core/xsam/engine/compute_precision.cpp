// The CPU compute precision (see compute_precision.h).
#include "core/xsam/engine/compute_precision.h"

#include <torch/torch.h>

#include <dlfcn.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <sstream>

#include "core/util/error.h"

namespace xs::xsam {

ComputeRequest parse_compute_request(const std::string& text, const std::string& what) {
    if (text.empty() || text == "auto") return ComputeRequest::Auto;
    if (text == "fp32") return ComputeRequest::Fp32;
    if (text == "bf16") return ComputeRequest::Bf16;
    throw Error(what + ": expected auto, fp32 or bf16, got '" + text + "'");
}

std::vector<std::string> cpu_bf16_flags(const std::string& cpuinfo_text) {
    std::istringstream in(cpuinfo_text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0) continue;  // x86 names the line "flags"
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::istringstream words(line.substr(colon + 1));
        std::vector<std::string> found;
        std::string w;
        while (words >> w)
            if (w == "amx_bf16" || w == "avx512_bf16") found.push_back(w);
        std::sort(found.begin(), found.end());
        return found;  // every core reports the same flags: the first line is enough
    }
    return {};
}

std::vector<std::string> cpuid_bf16_flags() {
    std::vector<std::string> found;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return found;  // OSXSAVE: XGETBV usable
    unsigned xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    const unsigned long long xcr0 = (static_cast<unsigned long long>(xcr0_hi) << 32) | xcr0_lo;
    const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;                       // SSE, AVX, opmask, ZMM state
    const bool os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);         // TILECFG, TILEDATA state
    if (__get_cpuid_max(0, nullptr) < 7) return found;
    __cpuid_count(7, 0, a, b, c, d);
    const bool amx_bf16 = d & (1u << 22);
    const unsigned max_sub = a;
    bool avx512_bf16 = false;
    if (max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        avx512_bf16 = a & (1u << 5);
    }
    if (os_amx && amx_bf16) found.push_back("amx_bf16");
    if (os_avx512 && avx512_bf16) found.push_back("avx512_bf16");
#endif
    return found;  // sorted: "amx_bf16" < "avx512_bf16"
}

std::vector<std::string> cpu_bf16_flags() {
    std::ifstream f("/proc/cpuinfo");
    std::stringstream text;
    text << f.rdbuf();
    // Only what both the kernel and the processor itself report: an emulator (qemu-x86_64 -cpu Haswell)
    // or a container may show the host's /proc/cpuinfo while the instructions LibTorch, oneDNN and the
    // BLAS choose from are those CPUID reports.
    const std::vector<std::string> kernel = cpu_bf16_flags(text.str()), cpu = cpuid_bf16_flags();
    std::vector<std::string> both;
    std::set_intersection(kernel.begin(), kernel.end(), cpu.begin(), cpu.end(), std::back_inserter(both));
    return both;
}

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}

std::string fixed1(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return b;
}

}  // namespace

ComputeChoice choose_cpu_compute(ComputeRequest request, const std::vector<std::string>& bf16_flags,
                                 const std::function<ProductSpeed()>& measure) {
    ComputeChoice c;
    c.flags = bf16_flags;
    if (request != ComputeRequest::Auto) {
        c.bf16 = request == ComputeRequest::Bf16;
        c.tag = "as requested";
        c.why = std::string("compute ") + c.name() + " as requested";
        if (c.bf16 && bf16_flags.empty()) c.why += "; this CPU has no bf16 matrix units: expect it slower than fp32";
        return c;
    }
    if (bf16_flags.empty()) {
        c.tag = "auto: no bf16 units";
        c.why = "auto: this CPU has no bf16 matrix units (neither amx_bf16 nor avx512_bf16)";
        return c;
    }
    try {
        c.speed = measure();
    } catch (const std::exception& e) {
        // oneDNN limited below the bf16 units (ONEDNN_MAX_CPU_ISA=AVX2) refuses bf16 products outright.
        c.tag = "auto: bf16 products failed";
        c.why = "auto: " + join(bf16_flags) + ", but a bf16 product failed here (" + e.what() + "): fp32";
        return c;
    }
    c.measured = true;
    const double s = c.speed.speedup();
    c.bf16 = s >= kMinBf16Speedup;
    c.tag = "auto: " + std::string(c.bf16 ? "bf16 units, " : "bf16 only ") + fixed1(s) + "x fp32";
    c.why = "auto: " + join(bf16_flags) + "; bf16 products ran " + fixed1(s) + "x as fast as fp32 (" +
            fixed1(c.speed.bf16_gflops) + " vs " + fixed1(c.speed.fp32_gflops) + " GFLOP/s)" +
            (c.bf16 ? "" : ", less than the " + fixed1(kMinBf16Speedup) + "x bf16 must gain");
    return c;
}

void check_bf16_products() {
    c10::InferenceMode guard;
    try {
        const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
        const torch::Tensor a = torch::ones({32, 64}, bf16), w = torch::ones({64, 64}, bf16);
        const float v = torch::linear(a, w).index({0, 0}).item<float>();
        if (v != 64.0f) throw std::runtime_error("a product of ones gave " + std::to_string(v) + " instead of 64");
    } catch (const std::exception& e) {
        throw Error(std::string("compute bf16: this machine's LibTorch cannot multiply bf16 matrices (") + e.what() +
                    "); use compute auto or fp32");
    }
}

ProductSpeed measure_product_speed() {
    static std::once_flag once;
    static ProductSpeed result;
    std::call_once(once, [] {
        c10::InferenceMode guard;
        // Both products on one thread, the ratio per core: with two, a loaded machine descheduling
        // one thread stalls the other at the product's barrier, and a run once measured "bf16 only
        // 1.3x fp32" where the next process measured 8.7x (CI, load 5 on 2 cores), so two runs chose
        // differently. bf16 goes through oneDNN on LibTorch's OpenMP threads; fp32 through the BLAS
        // (OpenBLAS here), whose own thread count is set when it offers openblas_set_num_threads.
        using SetThreads = void (*)(int);
        using GetThreads = int (*)();
        auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
        auto get_blas = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        if (!get_blas) set_blas = nullptr;
        struct OneThread {
            SetThreads set_blas;
            int omp = at::get_num_threads(), blas = 0;
            OneThread(SetThreads s, GetThreads g) : set_blas(s) {
                at::set_num_threads(1);
                if (set_blas) blas = g(), set_blas(1);
            }
            ~OneThread() {
                at::set_num_threads(omp);
                if (set_blas) set_blas(blas);
            }
        } one_thread(set_blas, get_blas);
        const int64_t m = 256, k = 1024, n = 1024;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
        const torch::Tensor a32 = at::normal(0.0, 1.0, {m, k}, gen, f32), b32 = at::normal(0.0, 1.0, {n, k}, gen, f32);
        const torch::Tensor a16 = a32.to(torch::kBFloat16), b16 = b32.to(torch::kBFloat16);
        torch::linear(a32, b32);  // warm-up: oneDNN creates its kernels on the first call of a shape
        torch::linear(a16, b16);
        auto seconds = [](const torch::Tensor& a, const torch::Tensor& b) {
            const auto t0 = std::chrono::steady_clock::now();
            torch::linear(a, b);
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        };
        // Alternating rounds, best of each: on a shared machine both see the same moments of load.
        double best32 = std::numeric_limits<double>::infinity(), best16 = best32;
        for (int round = 0; round < 15; ++round) {
            best32 = std::min(best32, seconds(a32, b32));
            best16 = std::min(best16, seconds(a16, b16));
        }
        const double flop = 2.0 * double(m * n * k);
        result.fp32_gflops = flop / std::max(best32, 1e-9) / 1e9;
        result.bf16_gflops = flop / std::max(best16, 1e-9) / 1e9;
    });
    return result;
}

}  // namespace xs::xsam
