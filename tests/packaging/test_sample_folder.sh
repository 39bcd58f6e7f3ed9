#!/usr/bin/env bash
# packaging/sample-folder.sh (run-app.sh's copy step) against a scratch HOME: the samples are copied
# into $HOME/.local/share/xsam-studio/samples (or $XDG_DATA_HOME/...), a project the app wrote there
# is kept on the next run, a missing sample comes back, and the checkout's sample folder is byte for
# byte what it was (and `git status` of it unchanged, where the source is a git checkout).
# Usage: test_sample_folder.sh SOURCE_DIR SCRATCH_DIR
set -euo pipefail
src="$1"
scratch="$2"
samples="$src/resources/samples"
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$scratch"
mkdir -p "$scratch/home"
snapshot() {
  (cd "$samples" && find . -print0 | sort -z | xargs -0 -I{} sh -c 'if [ -f "{}" ]; then sha256sum "{}"; else echo "dir {}"; fi')
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then git -C "$src" status --porcelain --ignored -- resources/samples; fi
}
before="$(snapshot)"

out="$(env -u XDG_DATA_HOME HOME="$scratch/home" bash "$src/packaging/sample-folder.sh")"
want="$scratch/home/.local/share/xsam-studio/samples"
[ "$out" = "$want" ] || fail "printed '$out', expected '$want'"
count=0
for f in "$samples"/*.png "$samples"/*.jpg; do
  [ -e "$f" ] || continue
  cmp -s "$f" "$want/$(basename "$f")" || fail "$(basename "$f") was not copied to $want"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || fail "no sample photographs found in $samples"
[ ! -e "$want/xsam-project.json" ] || fail "a project file was copied from the checkout"

# What the app leaves in the copy is kept; a sample the user deleted comes back.
echo '{"mine": true}' > "$want/xsam-project.json"
first="$(ls "$samples" | grep -E '\.(png|jpg)$' | head -n 1)"
rm "$want/$first"
env -u XDG_DATA_HOME HOME="$scratch/home" bash "$src/packaging/sample-folder.sh" >/dev/null
[ "$(cat "$want/xsam-project.json")" = '{"mine": true}' ] || fail "the project in the copy was replaced"
cmp -s "$samples/$first" "$want/$first" || fail "the missing $first was not copied again"

# XDG_DATA_HOME is honoured.
out="$(XDG_DATA_HOME="$scratch/xdg" HOME="$scratch/home" bash "$src/packaging/sample-folder.sh")"
[ "$out" = "$scratch/xdg/xsam-studio/samples" ] || fail "XDG_DATA_HOME not used: '$out'"
[ -e "$out/$first" ] || fail "nothing copied under XDG_DATA_HOME"

after="$(snapshot)"
[ "$before" = "$after" ] || fail "the checkout's sample folder changed:
$(diff <(echo "$before") <(echo "$after") || true)"
echo "PASS: $count samples copied to the data folder; the checkout's resources/samples unchanged"
