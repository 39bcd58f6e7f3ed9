#!/usr/bin/env bash
# A long GUI monkey run: seeded random user actions on the real main window (offscreen) with the
# document's invariants checked as it goes (tests/monkey/monkey.h). Builds test_monkey into build/
# first. Prints the action count and the seed; exit status 0 when every invariant held.
#   packaging/run-monkey.sh MINUTES [SEED]      # SEED defaults to the current time
# Environment: XS_BUILD_DIR (default build), XS_MONKEY_ACTIONS (actions per episode, default 300),
# XS_MONKEY_VERBOSE=1 (print every action).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${XS_BUILD_DIR:-$root/build}"
minutes="${1:?usage: packaging/run-monkey.sh MINUTES [SEED]}"
seed="${2:-$(date +%s)}"
"$root/packaging/setup-deps.sh"
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --parallel "${XS_JOBS:-$(nproc)}" --target test_monkey
scratch="$build/test-tmp/run-monkey"
mkdir -p "$scratch"
echo "run-monkey: $minutes minutes, seed $seed (scratch $scratch)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
set +e
# QtTest stops a test function after 5 minutes unless told otherwise: the run plus 10 minutes.
QTEST_FUNCTION_TIMEOUT=$(( (minutes * 60 + 600) * 1000 )) XS_MONKEY_SECONDS=$((minutes * 60)) XS_MONKEY_SEED="$seed" XS_MONKEY_ACTIONS="${XS_MONKEY_ACTIONS:-300}" \
  XS_SOURCE_DIR="$root" XS_TEST_TMP="$scratch" OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" \
  "$build/tests/monkey/test_monkey" -maxwarnings 0
status=$?
set -e
echo "run-monkey: exit status $status (seed $seed)"
exit "$status"
