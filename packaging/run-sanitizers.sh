#!/usr/bin/env bash
# Builds X-SAM Studio with AddressSanitizer + UndefinedBehaviorSanitizer on the project's own code
# (-DXS_SANITIZE=address,undefined, every finding fatal) in a separate build folder, without LibTorch
# (Debian's LibTorch is not instrumented, and the sentencepiece library's RTLD_DEEPBIND load is
# refused by the ASan runtime), and runs the whole CTest suite there: core, CLI and, headless, the Qt
# suites (see below for which). Exit status is CTest's; any sanitizer report fails its test.
#   packaging/run-sanitizers.sh [extra ctest arguments]
# Environment: XS_ASAN_BUILD_DIR (default build-asan), XS_JOBS (default nproc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${XS_ASAN_BUILD_DIR:-$root/build-asan}"
"$root/packaging/setup-deps.sh"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DXS_SANITIZE=address,undefined -DXS_WITH_TORCH=OFF >/dev/null
fi
# By default the suites of the libraries that do not need LibTorch or a GUI (core: mask, io, coco,
# annotation, engine, classic, images, batch bookkeeping, data safety, grounding data, the formats; the
# COCO and formats CLI; fuzz corpus replays), plus the GUI monkey's short run (tests/monkey: random user
# actions on the real window; without LibTorch it switches among the engines this build has). The other
# Qt widget suites, the 200-kill crash test, the packaging test and the peak-memory measurement of huge
# images are left to XS_SANITIZE_ALL=1 (they run unsanitized in the normal suite).
suites=(test_mask test_io test_coco test_coco_cli test_engine test_classic test_images test_images_project
        test_batch_units test_safety test_grounding test_formats test_grounding_formats test_formats_cli
        test_fuzz_regressions fuzz_replay_rle fuzz_replay_coco fuzz_replay_project fuzz_replay_formats
        fuzz_replay_safetensors fuzz_replay_pickle test_monkey)
if [ "${XS_SANITIZE_ALL:-0}" = 1 ]; then
  cmake --build "$build" --parallel "${XS_JOBS:-$(nproc)}"
  select=()
else
  cmake --build "$build" --parallel "${XS_JOBS:-$(nproc)}" --target xsam-cli "${suites[@]}"
  select=(-R "^($(IFS='|'; echo "${suites[*]}"))\$")
fi

supp="$root/tests/fuzz"
# Leaks and reports inside third-party libraries only (Qt, fontconfig, OpenCV...): see the files.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
cd "$build"
ctest --output-on-failure --timeout 900 "${select[@]}" "$@"
