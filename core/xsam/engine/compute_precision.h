#pragma once
// The precision X-SAM computes in on a CPU, chosen per machine (engine option "compute":
// auto | fp32 | bf16; xsam-cli --compute).
//
// On a CPU with bf16 matrix units (AMX-BF16, AVX512-BF16) oneDNN multiplies bf16 matrices 10-20x
// faster than fp32; on one without them (AVX2 only) bf16 products run ~20x slower than fp32. So
// "auto" reads the CPU's flags and, where they promise bf16 units, measures one product of the same
// shape in both precisions (ProductSpeed): bf16 only where it really is at least kMinBf16Speedup
// times faster. A forced choice is taken as given. No LibTorch type in this header.
//
//   ComputeChoice c = choose_cpu_compute(parse_compute_request("auto"), cpu_bf16_flags(), measure_product_speed);
//   c.bf16 -> compute (and keep the weights) in bf16
//   c.why  -> "auto: amx_bf16 avx512_bf16; bf16 products 17.9x faster than fp32"
#include <functional>
#include <string>
#include <vector>

namespace xs::xsam {

enum class ComputeRequest { Auto, Fp32, Bf16 };

// "auto", "fp32" or "bf16"; anything else throws xs::Error naming `what` and the accepted values.
ComputeRequest parse_compute_request(const std::string& text, const std::string& what = "compute");

// bf16 must beat fp32 by this factor: bf16 rounds every product's inputs, which is worth it only for
// real speed (10-20x with AMX; an emulated bf16 path is slower than fp32).
constexpr double kMinBf16Speedup = 1.5;

// One matrix product timed in both precisions at the current thread count (GFLOP/s, best of a few).
struct ProductSpeed {
    double fp32_gflops = 0;
    double bf16_gflops = 0;
    double speedup() const { return fp32_gflops > 0 ? bf16_gflops / fp32_gflops : 0; }
};

struct ComputeChoice {
    bool bf16 = false;        // else fp32
    std::string why;          // "auto: amx_bf16 avx512_bf16; bf16 products 17.9x faster than fp32"
    std::string tag;          // the same in a few words, for a status bar: "auto: bf16 units, 17.9x fp32"
    std::vector<std::string> flags;  // the CPU's bf16 flags (empty when not looked at)
    bool measured = false;
    ProductSpeed speed;       // when measured
    const char* name() const { return bf16 ? "bf16" : "fp32"; }
};

// The bf16 matrix flags ("amx_bf16", "avx512_bf16") on the "flags" line of /proc/cpuinfo-style text.
std::vector<std::string> cpu_bf16_flags(const std::string& cpuinfo_text);
// The same two flags as this processor's CPUID reports them, each only where the OS saves the state
// its instructions need (XCR0: the ZMM state for AVX512-BF16, the tile state for AMX). Empty off x86.
std::vector<std::string> cpuid_bf16_flags();
// This machine's: the flags of /proc/cpuinfo that CPUID confirms (empty when either has none). Under
// `qemu-x86_64 -cpu Haswell` /proc/cpuinfo is the host's, CPUID the emulated AVX2-only processor's.
std::vector<std::string> cpu_bf16_flags();

// The decision. `measure` runs only for Auto on a CPU with bf16 flags; if it throws (oneDNN refusing
// bf16 products), fp32.
ComputeChoice choose_cpu_compute(ComputeRequest request, const std::vector<std::string>& bf16_flags,
                                 const std::function<ProductSpeed()>& measure);

// A small bf16 product, checked: throws xs::Error ("compute bf16: this machine's LibTorch cannot multiply
// bf16 matrices (...)") where oneDNN refuses them, e.g. under ONEDNN_MAX_CPU_ISA=AVX2 on a processor
// whose bf16 units LibTorch has seen. For a forced bf16, before any weight is read.
void check_bf16_products();

// A [256 x 1024] x [1024 x 1024] product (the shape of a few hundred tokens through a projection) in
// fp32 and in bf16 after a warm-up, five alternating rounds, best of each: about 60 ms with bf16 units.
// Measured once per process (at the thread count of that moment); later calls return that result.
ProductSpeed measure_product_speed();

}  // namespace xs::xsam
