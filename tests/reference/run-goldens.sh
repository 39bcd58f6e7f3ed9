#!/usr/bin/env bash
# Runs every tests/reference/make_goldens_*.py with the GPU machine's PyTorch + transformers and packs
# their outputs into one archive, to be unpacked into tests/data/ and committed:
#   device: bash tests/reference/run-goldens.sh "$OUT"      here: tar xzf goldens.tgz -C tests/data
set -uo pipefail
out="${1:?usage: run-goldens.sh OUT_DIR}"
work="$(mktemp -d)"
python3 - <<'PY'
import torch, transformers, sys
print("python", sys.version.split()[0], "torch", torch.__version__, "transformers", transformers.__version__,
      "cuda", torch.cuda.is_available())
PY
status=0
for script in "$(dirname "$0")"/make_goldens_*.py; do
  echo "== $script"
  start=$(date +%s)
  if PYTHONUNBUFFERED=1 timeout 240 python3 "$script" "$work"; then
    echo "== ok in $(( $(date +%s) - start )) s"
  else
    echo "== FAILED: $script"; status=1
  fi
done
ls -la "$work"
tar czf "$out/goldens.tgz" -C "$work" .
exit $status
