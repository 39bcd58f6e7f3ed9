#!/usr/bin/env bash
# Our side of the end-to-end comparison with the official model (run_official_e2e.py), made on a
# developer machine (the GPU machine's xsam-cli has no image loading): a tiny random-weight model and
# our engine's answers for four tasks on one of the goldens' images, all in OUT (default .device/e2e,
# ignored by git; carry it to the GPU machine):
#   tests/reference/official/prepare-e2e.sh [OUT]
#   run(command="python3 tests/reference/official/run_official_e2e.py --official CHECKOUT/xsam --e2e .device/e2e --out $OUT", carry=[".device/e2e"])
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="${1:-$root/.device/e2e}"
cli="${XS_CLI:-$root/build/app/xsam-cli}"
image="$root/tests/data/official/image_300x200.png"
rm -rf "$out" && mkdir -p "$out"
"$cli" init-random-weights --config "$root/models/xsam-tiny.json" --out "$out/model" --seed 1
cp "$image" "$out/image.png"
run() {  # name, then the task's options
  local name="$1"; shift
  "$cli" segment --engine xsam --model "$out/model" --device cpu --dtype fp32 --image "$out/image.png" \
    --out-mask "$out/$name.png" "$@" > "$out/$name.json"
}
run referring --task referring --text "the bird"
run generic --task generic --categories "person,dog"
run interactive --task interactive --point 120.5,80.5
run vgd --task vgd --box 40,30,160,150
cat > "$out/tasks.json" <<'JSON'
[{"name": "referring", "task": "referring", "text": "the bird"},
 {"name": "generic", "task": "generic", "categories": ["person", "dog"]},
 {"name": "interactive", "task": "interactive", "point": [120.5, 80.5]},
 {"name": "vgd", "task": "vgd", "box": [40, 30, 160, 150]}]
JSON
echo "our answers and the model in $out"
