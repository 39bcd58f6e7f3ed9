#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan + coverage on the project's own
# code; -DXS_FUZZ=ON) in a separate build folder and runs each target for SECONDS (default 60), one
# after the other, starting from the committed seed corpus. Prints per target: executions, final
# coverage (cov: edges, ft: features), corpus size, exit status. Fails when any target finds
# something (crash, leak, undefined behaviour, failed invariant, timeout, out-of-memory); the input
# is kept as <build>/fuzz-findings/<target>-crash-... (or leak-, timeout-, oom-).
#   packaging/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      targets: rle coco project formats safetensors pickle eval checkpoint
# Environment: XS_FUZZ_BUILD_DIR (default build-fuzz), XS_FUZZ_WORK (the growing corpora, default
#   <build>/fuzz-corpus; kept between runs), XS_FUZZ_NICE (nice level, default 0), XS_JOBS (build
#   parallelism, default nproc), XS_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
build="${XS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
work="${XS_FUZZ_WORK:-$build/fuzz-corpus}"
findings="$build/fuzz-findings"
nicelevel="${XS_FUZZ_NICE:-0}"

command -v clang++ >/dev/null || { echo "run-fuzz: clang++ missing (packaging/setup-deps.sh installs clang)" >&2; exit 2; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DXS_FUZZ=ON -DXS_WITH_QT=OFF -DXS_BUILD_TESTS=OFF >/dev/null
fi
nice -n "$nicelevel" cmake --build "$build" --target xs_fuzz_all --parallel "${XS_JOBS:-$(nproc)}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for t in rle coco project formats safetensors pickle eval checkpoint; do
    [ -x "$build/fuzz/fuzz_$t" ] && targets+=("$t")
  done
fi
mkdir -p "$findings"
asan_base="detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# Third-party leaks only, each documented in the file.
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OMP_NUM_THREADS=1
status=0
printf '%-12s %10s %8s %8s %8s %12s %s\n' target execs cov ft corpus bytes "exit"
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "run-fuzz: no target $t" >&2; status=1; continue; }
  mkdir -p "$work/$t"
  dict=()
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  log="$findings/$t.log"
  export ASAN_OPTIONS="$asan_base"
  # LibTorch has no frame pointers: the slow unwinder lets the suppression see its frames.
  [ "$t" = checkpoint ] && export ASAN_OPTIONS="$asan_base:fast_unwind_on_malloc=0"
  set +e
  # Findings are written to the findings folder; -rss_limit_mb bounds memory like a real machine would.
  nice -n "$nicelevel" "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=3072 -malloc_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$findings/$t-" "${dict[@]}" ${XS_FUZZ_ARGS:-} \
      "$work/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(find "$work/$t" -type f | wc -l)
  bytes=$(du -sb "$work/$t" | cut -f1)
  printf '%-12s %10s %8s %8s %8s %12s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$bytes" "$rc"
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "--- $t: finding (exit $rc), log $log; input(s):" >&2
    ls "$findings/$t-"* 2>/dev/null | grep -v '\.log$' >&2 || true
    grep -E 'ERROR|FINDING|runtime error|SUMMARY' "$log" | head -5 >&2 || true
  fi
done
exit $status
