#!/usr/bin/env bash
# Installs the Debian 12 packages X-SAM Studio needs to build, run and test. Idempotent: when
# everything is there it prints nothing and touches nothing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev
  libtorch-dev libopenblas0-pthread
  libopencv-dev libjpeg-dev libpng-dev
  libsentencepiece-dev sentencepiece
  nlohmann-json3-dev
  python3-torch python3-numpy
  python3-pil python3-skimage opencv-doc tuxpaint-stamps-default
  xvfb xauth fonts-dejavu-core
  dpkg-dev desktop-file-utils appstream
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node and npm run the tokenizer reference (tests/reference/tokenizer). Checked by command, not by
# package: a machine may have them from another source (nodesource's nodejs bundles npm).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
