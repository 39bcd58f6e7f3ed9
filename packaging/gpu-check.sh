#!/usr/bin/env bash
# The GPU machine's one-shot check (issue 7): builds the X-SAM core and a Qt-free, OpenCV-free xsam-cli
# against the LibTorch inside the PyTorch 2.x wheel, runs the CUDA suite (engine on CUDA vs the CPU),
# runs `xsam-cli bench-xsam` on the full-size config with random bf16 weights, times the same stages in
# eager PyTorch with the Hugging Face reference modules (tests/reference/eager_bench.py) and prints the
# speed ratio per stage and per prompt, checks the goals, then runs the Qt-free CPU suites with what
# time is left. Everything lands in OUT_DIR; the whole run is bounded to under 8 minutes.
#
#   usage (repository root): packaging/gpu-check.sh [OUT_DIR]       (default: $OUT)
#   run tool: command "bash packaging/gpu-check.sh", carry [".deps"]
#
# Needs: python3 with torch 2.x (CUDA), g++, nvcc/CUDA headers (for the allocator statistics), and in
# .deps/ the Debian packages nlohmann-json3-dev, libsentencepiece0 and libsentencepiece-dev (unpacked
# here with dpkg -x, or ar + tar when dpkg is missing). Environment overrides for a dry run elsewhere:
# XS_TORCH_INCLUDES (space-separated include dirs), XS_TORCH_LIB (library dir), XS_GPU_CHECK_BUDGET_S.
set -uo pipefail
t_start=$(date +%s)
budget=${XS_GPU_CHECK_BUDGET_S:-470}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${OUT:-}}"
[ -n "$out" ] || { echo "usage: gpu-check.sh OUT_DIR (or set OUT)"; exit 2; }
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
left() { echo $(( budget - ($(date +%s) - t_start) )); }
step() { echo; echo "=== [$(( $(date +%s) - t_start )) s] $*"; }
# run_for NAME MAX_S CMD...: runs with a timeout of min(MAX_S, time left - 10 s); skips when < 20 s left.
run_for() {
  local name="$1" max="$2"; shift 2
  local l; l=$(left)
  local t=$(( max < l - 10 ? max : l - 10 ))
  if [ "$t" -lt 20 ]; then echo "SKIPPED $name: only ${l} s left" >&2; echo "$name SKIPPED (time)" >> "$out/summary.txt"; return 99; fi
  timeout "$t" "$@"; local rc=$?
  [ $rc -eq 124 ] && echo "TIMEOUT $name after ${t} s" >&2
  echo "$name rc=$rc" >> "$out/summary.txt"
  return $rc
}
: > "$out/summary.txt"
status=0

step "environment"
py=python3
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null | tee "$out/gpu.txt"
$py - <<'PY' | tee "$out/torch.txt"
import torch, sys
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), "cxx11abi", int(torch._C._GLIBCXX_USE_CXX11_ABI))
try:
    import transformers; print("transformers", transformers.__version__)
except Exception as e:
    print("transformers missing:", e)
PY
torch_dir="$($py -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null)"
abi="$($py -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || echo 1)"
torch_inc=(${XS_TORCH_INCLUDES:-"$torch_dir/include" "$torch_dir/include/torch/csrc/api/include"})
torch_lib="${XS_TORCH_LIB:-$torch_dir/lib}"
nproc_=$(nproc)
echo "root $root  torch_lib $torch_lib  abi $abi  cores $nproc_"

step "dependencies: unpack .deps/*.deb"
deps="$root/.deps/root"
mkdir -p "$deps"
for deb in "$root"/.deps/*.deb; do
  [ -f "$deb" ] || continue
  if command -v dpkg >/dev/null; then dpkg -x "$deb" "$deps"
  else (d="$(mktemp -d)"; cd "$d" && ar x "$deb" && tar xf data.tar.* -C "$deps"; rm -rf "$d"); fi
done
ls "$deps/usr/include" 2>/dev/null | head
[ -f "$deps/usr/include/nlohmann/json.hpp" ] || { echo "MISSING nlohmann/json (.deps/nlohmann-json3-dev*.deb)"; status=1; }
[ -f "$deps/usr/include/sentencepiece_processor.h" ] || echo "MISSING sentencepiece headers (.deps/libsentencepiece-dev*.deb)"

step "build the core, xsam-cli (bench-xsam) and the suites against the wheel's LibTorch"
build="${XS_GPU_BUILD:-$root/build-gpu-check}"  # not under OUT: only logs and JSON go back
rm -rf "$build/obj"; mkdir -p "$build/obj" "$build/pch"
cxx="${CXX:-g++}"
command -v ccache >/dev/null && cxx="ccache $cxx"
flags=(-std=c++17 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" -DXS_HAVE_XSAM=1 -DXS_NO_IMAGE_IO -DXS_VERSION='"gpu-check"'
       -I"$root" -I"$deps/usr/include" -w)
for d in "${torch_inc[@]}"; do flags+=(-isystem "$d"); done
# CUDA headers for the caching allocator's statistics (bench_xsam.cpp with -DXS_CUDA_STATS).
cuda_inc=()
for d in "${CUDA_HOME:-/usr/local/cuda}/include" /usr/local/cuda/include \
         $(find "$($py -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null)/nvidia" -maxdepth 3 -type d -name include 2>/dev/null); do
  [ -f "$d/cuda_runtime_api.h" ] && cuda_inc+=(-isystem "$d")
done
libs=(-L"$torch_lib" -Wl,-rpath,"$torch_lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10)
[ -f "$torch_lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
libs+=(-Wl,--as-needed -ldl -lpthread)
sources=("$root"/core/xsam/{model,weights,tokenizer,pipeline,engine}/*.cpp "$root"/core/engine/*.cpp "$root"/core/util/*.cpp)
t0=$(date +%s)
compile() {  # compile SRC OBJ [extra flags...]
  local src="$1" obj="$2"; shift 2
  $cxx "${flags[@]}" "$@" -c "$src" -o "$obj" 2> "$obj.log" || { echo "COMPILE FAILED: $src"; tail -30 "$obj.log"; return 1; }
}
# One precompiled <torch/torch.h> for every translation unit (a torch TU costs ~40 s of g++ without it).
echo '#include <torch/torch.h>' > "$build/pch/xs_torch.h"
pids=()
( compile "$root/core/mask/mask.cpp" "$build/obj/mask_mask.o" -I"$root/packaging/gpu-shim" ) & pids+=($!)
if $cxx "${flags[@]}" -x c++-header "$build/pch/xs_torch.h" -o "$build/pch/xs_torch.h.gch" 2> "$build/pch.log"; then
  flags+=(-include "$build/pch/xs_torch.h")
  echo "precompiled header in $(( $(date +%s) - t0 )) s"
else
  echo "no precompiled header:"; tail -5 "$build/pch.log"
fi
for s in "${sources[@]}"; do
  rel="${s#"$root"/}"; o="$build/obj/${rel//\//_}"; o="${o%.cpp}.o"  # core_xsam_engine_inspection.o
  extra=()
  [ "$(basename "$s")" = bench_xsam.cpp ] && [ ${#cuda_inc[@]} -gt 0 ] && [ -f "$torch_lib/libc10_cuda.so" ] && extra=(-DXS_CUDA_STATS "${cuda_inc[@]}")
  ( compile "$s" "$o" "${extra[@]}" || { [ ${#extra[@]} -gt 0 ] && echo "retrying $s without XS_CUDA_STATS" && compile "$s" "$o"; } ) &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$nproc_" ]; do sleep 0.2; done
done
# the SentencePiece bridge (its own shared library, loaded with dlopen; not linked with LibTorch)
( g++ -std=c++17 -O2 -fPIC -shared -I"$deps/usr/include" "$root/core/xsam/tokenizer/spm/spm_bridge.cpp" -o "$build/libxs_spm.so" \
      -L"$deps/usr/lib/x86_64-linux-gnu" -Wl,-rpath,"$deps/usr/lib/x86_64-linux-gnu" -l:libsentencepiece.so.0 \
      2> "$build/spm.log" || { echo "BUILD FAILED: libxs_spm.so"; tail -20 "$build/spm.log"; } ) & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
echo "compiled in $(( $(date +%s) - t0 )) s"
ar rcs "$build/libxs_core_torch.a" "$build"/obj/*.o
export XS_SPM_LIBRARY="$build/libxs_spm.so"
link() {  # link EXE SRC...
  local exe="$1"; shift
  $cxx "${flags[@]}" "$@" "$build/libxs_core_torch.a" "${libs[@]}" -o "$exe" 2> "$exe.log" \
    || { echo "LINK FAILED: $exe"; grep -E "error|undefined" "$exe.log" | head -20; return 1; }
}
link "$build/xsam-cli" "$root/app/cli/main.cpp" "$root/app/cli/cmd_bench_xsam.cpp" & p1=$!
link "$build/test_cuda" "$root/tests/xsam_engine/test_cuda.cpp" & p2=$!
suites=(tests/xsam_llm/test_phi3.cpp tests/xsam_llm/test_llm_goldens.cpp tests/xsam_llm/test_safetensors.cpp
        tests/xsam_vision/test_xsam_vision.cpp tests/xsam_vision/test_xsam_vision_goldens.cpp
        tests/xsam_engine/test_units.cpp)
spids=()
for t in "${suites[@]}"; do
  [ -f "$root/$t" ] || continue
  link "$build/$(basename "$t" .cpp)" "$root/$t" & spids+=($!)
done
wait $p1 || status=1
wait $p2 || status=1
echo "built in $(( $(date +%s) - t_start )) s since start"

export XS_SOURCE_DIR="$root" XS_TEST_TMP="$build/tmp" OMP_NUM_THREADS=8
mkdir -p "$XS_TEST_TMP"

step "CUDA suite: the engine on CUDA (fp32, bf16) vs the CPU (fp32), tiny model"
if [ -x "$build/test_cuda" ]; then
  (cd "$root" && run_for test_cuda 150 "$build/test_cuda") 2>&1 | tee "$out/test_cuda.log"
  grep -q " 0 failed" "$out/test_cuda.log" || status=1
else
  echo "test_cuda was not built"; status=1
fi

step "bench-xsam: full-size config, random bf16 weights, CUDA"
bench="$out/bench-xsam.json"
if [ -x "$build/xsam-cli" ]; then
  (cd "$root" && run_for bench_xsam 200 "$build/xsam-cli" bench-xsam --config models/xsam-phi3-siglip2-samL.json \
     --random-weights --device cuda --dtype bf16 --repeats 5 --prepare-repeats 3) > "$bench" 2> "$out/bench-xsam.err"
  rc=$?; cat "$out/bench-xsam.err" | tail -20; cat "$bench"
  [ $rc -eq 0 ] || status=1
fi

step "eager PyTorch (transformers reference modules), same shapes, bf16, CUDA"
(cd "$root" && run_for eager_bench 200 $py tests/reference/eager_bench.py --config models/xsam-phi3-siglip2-samL.json \
   --device cuda --dtype bf16 --repeats 5 --compare "$bench" --out "$out/eager.json") > "$out/eager.stdout" 2> "$out/eager.log"
rc=$?; tail -40 "$out/eager.log"
[ $rc -eq 0 ] || status=1

step "goals"
$py - "$bench" "$out/eager.json" <<'PY' | tee "$out/goals.txt"
import json, sys
def load(p):
    try:
        return json.loads(open(p).read().strip().splitlines()[-1])
    except Exception as e:
        print("cannot read", p, e); return None
ours, eager = load(sys.argv[1]), load(sys.argv[2])
if ours:
    t = ours["totals_ms"]
    print("device %s dtype %s torch %s" % (ours.get("device"), ours.get("dtype"), ours.get("torch")))
    print("prepare %.1f ms (goal <= 120): %s" % (t["prepare"], "MET" if t["prepare"] <= 120 else "NOT MET"))
    for k in ("referring", "interactive", "vgd"):
        print("%-11s %.1f ms (goal <= 40): %s" % (k, t[k], "MET" if t[k] <= 40 else "NOT MET"))
    pk = ours.get("cuda_peak_allocated_mb", -1)
    print("peak GPU allocated %.0f MB (goal <= 12288): %s" % (pk, "unknown" if pk < 0 else ("MET" if pk <= 12288 else "NOT MET")))
if ours and eager:
    for k in ("referring", "interactive", "vgd"):
        e, o = eager.get("totals_ms", {}).get(k), ours["totals_ms"].get(k)
        if e and o:
            print("%-11s eager %.1f ms / ours %.1f ms = %.2fx (goal >= 2x): %s" % (k, e, o, e / o, "MET" if e / o >= 2 else "NOT MET"))
    if eager.get("missing_stages"):
        print("eager stages NOT timed:", eager["missing_stages"], eager.get("errors"))
PY

step "Qt-free CPU/LibTorch-2 suites (with the time left)"
for p in "${spids[@]}"; do wait "$p"; done
for t in "${suites[@]}"; do
  exe="$build/$(basename "$t" .cpp)"
  [ -x "$exe" ] || { [ -f "$root/$t" ] && echo "NOT BUILT: $t"; continue; }
  echo "== $t"
  (cd "$root" && run_for "$(basename "$t" .cpp)" 90 "$exe") > "$out/$(basename "$t" .cpp).log" 2>&1
  grep -E "FAIL|passed" "$out/$(basename "$t" .cpp).log" | tail -5
done

step "summary ($(( $(date +%s) - t_start )) s)"
cat "$out/summary.txt"
exit $status
