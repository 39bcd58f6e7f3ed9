#!/usr/bin/env bash
# test_packaging.sh CPACK CPACK_CONFIG SCRATCH VERSION WITH_GUI WITH_SPM
# Builds the .deb, unpacks it with dpkg -x into SCRATCH/root and checks the installed files.
set -euo pipefail
cpack=$1 config=$2 scratch=$3 version=$4 with_gui=$5 with_spm=$6

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

rm -rf "$scratch"
mkdir -p "$scratch/out"

# 1. The package.
t0=$(date +%s)
"$cpack" -G DEB --config "$config" -B "$scratch/out" > "$scratch/cpack.log" 2>&1 || {
  cat "$scratch/cpack.log" >&2; echo "FAIL: cpack -G DEB" >&2; exit 1; }
debs=("$scratch"/out/xsam-studio_"$version"_*.deb)
[ -f "${debs[0]}" ] || { cat "$scratch/cpack.log" >&2; echo "FAIL: no xsam-studio_${version}_*.deb written" >&2; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes) in $(( $(date +%s) - t0 )) s"

# 2. Control fields.
pkg=$(dpkg-deb -f "$deb" Package)
[ "$pkg" = xsam-studio ] && ok "Package: $pkg" || fail "Package field is '$pkg'"
ver=$(dpkg-deb -f "$deb" Version)
[ "$ver" = "$version" ] && ok "Version: $ver" || fail "Version field is '$ver', expected $version"
depends=$(dpkg-deb -f "$deb" Depends || true)
echo "Depends: $depends"
if command -v dpkg-shlibdeps > /dev/null; then
  case "$depends" in
    *libc6*) ok "Depends lists libc6 (from dpkg-shlibdeps)" ;;
    *) fail "Depends has no libc6: dpkg-shlibdeps did not run" ;;
  esac
fi

# 3. Unpack into a scratch root.
root=$scratch/root
dpkg -x "$deb" "$root"
expect=(usr/bin/xsam-cli usr/share/man/man1/xsam-cli.1.gz
        usr/share/xsam-studio/models/xsam-tiny.json usr/share/xsam-studio/models/xsam-phi3-siglip2-samL.json)
[ "$with_spm" = 1 ] && expect+=(usr/lib/libxs_spm.so)
[ "$with_gui" = 1 ] && expect+=(usr/bin/xsam-studio
  usr/share/applications/org.xsamstudio.Studio.desktop
  usr/share/metainfo/org.xsamstudio.Studio.metainfo.xml
  usr/share/icons/hicolor/scalable/apps/org.xsamstudio.Studio.svg)
for f in "${expect[@]}"; do
  [ -f "$root/$f" ] && ok "installed $f" || fail "missing in the package: $f"
done
# The cluster job files (packaging/cluster), the scripts executable and still valid shell.
for f in README.md xsam-batch-k8s.yaml xsam-batch.sbatch submit-slurm.sh simulate-local.sh; do
  [ -f "$root/usr/share/xsam-studio/cluster/$f" ] && ok "installed cluster/$f" || fail "missing in the package: cluster/$f"
done
for f in xsam-batch.sbatch submit-slurm.sh simulate-local.sh; do
  p=$root/usr/share/xsam-studio/cluster/$f
  [ -x "$p" ] && bash -n "$p" && ok "cluster/$f is executable and parses" || fail "cluster/$f not executable or not valid bash"
done

# 4. The installed xsam-cli runs from the scratch root.
cli=$root/usr/bin/xsam-cli
out=$("$cli" --version)
[ "$out" = "xsam-cli $version" ] && ok "xsam-cli --version: $out" || fail "xsam-cli --version printed '$out'"
runpath=$(readelf -d "$cli" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ "$runpath" = '$ORIGIN/../lib' ] && ok "RUNPATH $runpath" || fail "xsam-cli RUNPATH is '$runpath', expected \$ORIGIN/../lib"
if [ "$with_gui" = 1 ]; then
  rp=$(readelf -d "$root/usr/bin/xsam-studio" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
  [ "$rp" = '$ORIGIN/../lib' ] && ok "xsam-studio RUNPATH $rp" || fail "xsam-studio RUNPATH is '$rp'"
fi
missing_libs=$(ldd "$cli" | grep 'not found' || true)
[ -z "$missing_libs" ] && ok "ldd: every library of xsam-cli resolves" || fail "ldd: $missing_libs"

# A tiny COCO set (one 8x6 grey PGM image, one polygon) imported with the installed CLI.
work=$scratch/work
mkdir -p "$work/images"
{ printf 'P2\n8 6\n255\n'; for _ in $(seq 48); do printf '128 '; done; echo; } > "$work/images/a.pgm"
cat > "$work/coco.json" <<'JSON'
{"images": [{"id": 1, "file_name": "a.pgm", "width": 8, "height": 6}],
 "categories": [{"id": 1, "name": "stamp"}, {"id": 2, "name": "envelope"}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 3], "area": 12, "iscrowd": 0,
                  "segmentation": [[1, 1, 5, 1, 5, 4, 1, 4]]}]}
JSON
if "$cli" import-coco "$work/coco.json" --images "$work/images" --project "$work/p.json" > "$work/import.log" 2>&1; then
  ok "import-coco: $(cat "$work/import.log")"
  info=$("$cli" info "$work/p.json" 2>&1) || fail "xsam-cli info failed: $info"
  echo "$info"
  grep -Eq '^images: +1 ' <<< "$info" && ok "info: 1 image" || fail "info does not report 1 image"
  grep -Eq '^instances: +1$' <<< "$info" && ok "info: 1 instance" || fail "info does not report 1 instance"
  grep -Eq '^categories: +2$' <<< "$info" && ok "info: 2 categories" || fail "info does not report 2 categories"
  grep -Eq 'stamp +#[0-9a-f]{6} +1 instance' <<< "$info" && ok "info: stamp has 1 instance" || fail "info: no line for stamp with 1 instance"
else
  fail "import-coco failed: $(cat "$work/import.log")"
fi

# 5. The man page: valid gzip, a troff page, and it documents every command --help lists.
man=$root/usr/share/man/man1/xsam-cli.1.gz
if gzip -t "$man"; then
  page=$(gzip -dc "$man")
  grep -q "^\.TH XSAM-CLI 1 .*$version" <<< "$page" && ok "man page header with version $version" \
    || fail "man page has no .TH XSAM-CLI 1 line with version $version"
  commands=$("$cli" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && $1 != "commands:" {print $1}')
  [ -n "$commands" ] || fail "could not read the command list from xsam-cli --help"
  plain=$(sed 's/\\-/-/g' <<< "$page")  # troff's \- is a plain hyphen
  for c in $commands; do  # each command heads a .B/.BI line: .B segment ..., .BI "info " P.json
    grep -Eq "^\.BI? \"?$c[ \"]" <<< "$plain" && ok "man page documents '$c'" || fail "man page lacks the command '$c'"
  done
else
  fail "$man is not valid gzip"
fi

# 6. Desktop entry and AppStream metadata.
if [ "$with_gui" = 1 ]; then
  desktop=$root/usr/share/applications/org.xsamstudio.Studio.desktop
  if command -v desktop-file-validate > /dev/null; then
    desktop-file-validate "$desktop" && ok "desktop-file-validate" || fail "desktop-file-validate $desktop"
  else
    fail "desktop-file-validate not installed (package desktop-file-utils; packaging/setup-deps.sh)"
  fi
  grep -q '^Exec=xsam-studio' "$desktop" && ok "desktop Exec=xsam-studio" || fail "desktop entry does not run xsam-studio"
  metainfo=$root/usr/share/metainfo/org.xsamstudio.Studio.metainfo.xml
  if command -v appstreamcli > /dev/null; then
    appstreamcli validate --no-net "$metainfo" && ok "appstreamcli validate" || fail "appstreamcli validate $metainfo"
  else
    fail "appstreamcli not installed (package appstream; packaging/setup-deps.sh)"
  fi
  grep -q "<release version=\"$version\"" "$metainfo" && ok "metainfo release $version" || fail "metainfo has no release $version"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all packaging checks passed"
