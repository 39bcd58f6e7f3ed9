#!/usr/bin/env bash
# Regenerates tests/data/official/ (the goldens of test_xsam_official_parity) with the official X-SAM
# code, branch AAAI26_Archive, on Debian's python3-torch / numpy / pillow / skimage (no transformers):
#   tests/reference/official/make-goldens.sh [OFFICIAL_GIT_DIR] [OUT_DIR]
# OFFICIAL_GIT_DIR: a git repository (bare mirror or clone) of wanghao9610/X-SAM, default
# /work/.mirror/wanghao9610+X-SAM/repo. The branch is extracted into a temporary folder OUTSIDE the
# project tree (never commit its code) and removed afterwards. OUT_DIR defaults to tests/data/official.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
git_dir="${1:-/work/.mirror/wanghao9610+X-SAM/repo}"
out="${2:-$root/tests/data/official}"
python=/usr/bin/python3
for mod in torch numpy PIL skimage scipy; do
  "$python" -c "import $mod" 2>/dev/null || { echo "missing python3 module $mod (Debian: python3-torch python3-numpy python3-pil python3-skimage python3-scipy)"; exit 1; }
done
commit="$(git --git-dir="$git_dir" rev-parse AAAI26_Archive)"
checkout="$(mktemp -d /tmp/xsam-official.XXXXXX)"
trap 'rm -rf "$checkout"' EXIT
case "$checkout" in "$root"/*) echo "the official checkout must stay outside the project tree"; exit 1;; esac
git --git-dir="$git_dir" archive AAAI26_Archive | tar -x -C "$checkout"
rm -rf "$out" && mkdir -p "$out"
XSAM_OFFICIAL_ROOT="$checkout/xsam" PYTHONDONTWRITEBYTECODE=1 "$python" "$here/make_goldens.py" "$out" "$commit"
echo "goldens of official commit $commit in $out"
