#!/usr/bin/env bash
# Prints the folder run-app.sh opens: a copy of the bundled sample photographs in the user's data
# folder (${XDG_DATA_HOME:-~/.local/share}/xsam-studio/samples, where QStandardPaths puts the app's
# data), so the app's project file and locks never land in the source checkout. Samples missing from
# the copy are copied again; files already there (the user's project, edited samples) are kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="$root/resources/samples"
data_home="${XDG_DATA_HOME:-${HOME:?HOME is not set}/.local/share}"
copy="$data_home/xsam-studio/samples"
mkdir -p "$copy"
for f in "$source_dir"/*; do
  name="$(basename "$f")"
  case "$name" in
    xsam-project.json*) continue ;;  # written by older versions that opened the checkout itself
  esac
  [ -e "$copy/$name" ] || cp -p "$f" "$copy/$name"
done
echo "$copy"
