#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite. Exit status is CTest's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup-deps.sh"
"$root/packaging/build.sh"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
cd "${XS_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900 "$@"
