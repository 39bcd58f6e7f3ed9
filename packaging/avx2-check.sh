#!/usr/bin/env bash
# Issue 18's check on a processor without bf16 matrix units, emulated: runs the built xsam-cli under
# `qemu-x86_64 -cpu Haswell` (AVX2, FMA, no AVX-512, no AMX), where LibTorch's kernels, oneDNN and
# OpenBLAS all choose their AVX2 code from CPUID, and checks that
#   1. `--compute auto` computes in fp32, for the reason "no bf16 matrix units" (the engine's flags are
#      the ones CPUID confirms; the emulator shows the host's /proc/cpuinfo);
#   2. a forced `--compute bf16` still answers every prompt (LibTorch's own bf16 products, no oneDNN);
#   3. both give the same number of instances per prompt as the native fp32 run.
# Times under the emulator are not the processor's: the figures of an AVX2 machine must come from one.
# Each run of the tiny model takes 1-2 minutes under qemu (one thread).
#
#   usage (repository root, after packaging/build.sh): packaging/avx2-check.sh [BUILD_DIR] [OUT_DIR]
#   needs: qemu-user (apt-get install qemu-user)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/avx2-check}"
cli="$build/app/xsam-cli"
command -v qemu-x86_64 >/dev/null || { echo "avx2-check: qemu-x86_64 not found (apt-get install qemu-user)"; exit 2; }
[ -x "$cli" ] || { echo "avx2-check: $cli not built (packaging/build.sh)"; exit 2; }
mkdir -p "$out"
status=0
bench() {  # NAME PREFIX... -- ARGS...: one bench-xsam run of the tiny model
  local name="$1"; shift
  local pre=()
  while [ "$1" != "--" ]; do pre+=("$1"); shift; done; shift
  local t0; t0=$(date +%s)
  # XS_MALLOC_HUGEPAGES=0: the restart re-executes /proc/self/exe, which under qemu-user is qemu itself.
  XS_MALLOC_HUGEPAGES=0 "${pre[@]}" "$cli" bench-xsam --config "$root/models/xsam-tiny.json" --random-weights \
    --device cpu --threads 1 --repeats 1 "$@" > "$out/$name.json" 2> >(grep -v "TCG doesn't support" > "$out/$name.err")
  local rc=$?
  echo "$name: rc $rc, $(( $(date +%s) - t0 )) s"
  [ $rc -eq 0 ] || { cat "$out/$name.err"; status=1; }
}
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(j$2)" "$out/$1.json" 2>/dev/null; }
instances() { python3 -c "
import json,sys; j=json.load(open(sys.argv[1]))
p=j.get('prompts',{})
print(' '.join(f'{t}={p[t][\"instances\"]}' for t in ('referring','interactive','vgd') if t in p))" "$out/$1.json" 2>/dev/null; }

bench native-fp32 env -- --compute fp32
bench emulated-auto qemu-x86_64 -cpu Haswell -- --compute auto
bench emulated-bf16 qemu-x86_64 -cpu Haswell -- --compute bf16
for n in native-fp32 emulated-auto emulated-bf16; do
  echo "$n: compute $(field $n "['compute_dtype']") ($(field $n "['compute_reason']")); cpu bf16 flags $(field $n "['cpu']['bf16_flags']"); instances $(instances $n)"
done
if [ "$(field emulated-auto "['compute_dtype']")" != "Float" ]; then echo "FAIL: auto did not pick fp32 under the emulated AVX2 processor"; status=1; fi
case "$(field emulated-auto "['compute_reason']")" in *"no bf16 matrix units"*) ;; *) echo "FAIL: auto's reason is not 'no bf16 matrix units'"; status=1 ;; esac
if [ "$(field emulated-bf16 "['compute_dtype']")" != "BFloat16" ]; then echo "FAIL: the forced bf16 run did not compute in bf16"; status=1; fi
for n in emulated-auto emulated-bf16; do
  if [ "$(instances $n)" != "$(instances native-fp32)" ]; then echo "FAIL: $n's instances differ from the native fp32 run's"; status=1; fi
done
echo "avx2-check: $([ $status -eq 0 ] && echo passed || echo FAILED) (results in $out)"
exit $status
