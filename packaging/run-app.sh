#!/usr/bin/env bash
# Installs what is missing, builds, and opens X-SAM Studio on a copy of the bundled sample
# photographs in the user's data folder (packaging/sample-folder.sh; the checkout stays clean) with
# the classic engine. Extra arguments go to xsam-studio.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup-deps.sh"
"$root/packaging/build.sh"
samples="$("$root/packaging/sample-folder.sh")"
exec "${XS_BUILD_DIR:-$root/build}/app/xsam-studio" --engine classic "$@" "$samples"
