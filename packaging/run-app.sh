#!/usr/bin/env bash
# Installs what is missing, builds, and opens X-SAM Studio on the bundled sample photographs with
# the classic engine. Extra arguments go to xsam-studio.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/setup-deps.sh"
"$root/packaging/build.sh"
exec "${XS_BUILD_DIR:-$root/build}/app/xsam-studio" --engine classic "$@" "$root/resources/samples"
