#!/usr/bin/env bash
# Builds the X-SAM core (core/xsam + the engine contract + masks) and its Qt-free test suites against
# the LibTorch inside a PyTorch 2.x wheel, without CMake's Qt/OpenCV parts, and runs the suites. This is
# how the GPU machine (no Qt, no OpenCV C++ headers) checks that the model code builds and agrees with
# the goldens on LibTorch 2.x.
#   usage: packaging/gpu-build-check.sh DEPS_ROOT OUT_DIR
# DEPS_ROOT holds Debian's nlohmann-json3-dev unpacked with `dpkg -x` (DEPS_ROOT/usr/include/nlohmann).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="${1:?usage: gpu-build-check.sh DEPS_ROOT OUT_DIR}"
out="${2:?usage: gpu-build-check.sh DEPS_ROOT OUT_DIR}"
build="$(mktemp -d)"
py=python3
torch_dir="$($py -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
abi="$($py -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
$py -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
flags=(-std=c++17 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" -I"$root" -I"$deps/usr/include"
       -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" -w)
libs=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10)
[ -f "$torch_dir/lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
libs+=(-Wl,--as-needed -ldl -lpthread)

# core/mask/mask.cpp is left out: it uses OpenCV, which the GPU machine lacks (no suite here needs it).
sources=("$root"/core/xsam/{model,weights,tokenizer,pipeline,engine}/*.cpp "$root"/core/engine/*.cpp "$root"/core/util/*.cpp)
start=$(date +%s)
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'o="'"$build"'/$(echo {} | md5sum | cut -c1-12).o"; g++ '"${flags[*]}"' -c {} -o "$o" 2> "$o.log" || { echo "COMPILE FAILED: {}"; cat "$o.log"; }'
echo "compiled ${#sources[@]} files in $(( $(date +%s) - start )) s"
ar rcs "$build/libxs_core_torch.a" "$build"/*.o

status=0
for t in tests/xsam_llm/test_phi3.cpp tests/xsam_llm/test_llm_goldens.cpp tests/xsam_llm/test_safetensors.cpp \
         tests/xsam_vision/test_xsam_vision.cpp tests/xsam_vision/test_xsam_vision_goldens.cpp \
         tests/xsam_engine/test_units.cpp; do
  [ -f "$root/$t" ] || continue
  exe="$build/$(basename "$t" .cpp)"
  if ! g++ "${flags[@]}" "$root/$t" "$build/libxs_core_torch.a" "${libs[@]}" -o "$exe" 2> "$exe.log"; then
    echo "BUILD FAILED: $t"; tail -20 "$exe.log"; status=1; continue
  fi
  echo "== $t"
  (cd "$root" && XS_SOURCE_DIR="$root" XS_TEST_TMP="$(mktemp -d)" OMP_NUM_THREADS=8 timeout 300 "$exe") \
    | tee "$out/$(basename "$t" .cpp).log" | grep -E "FAIL|passed" || status=1
done
exit $status
