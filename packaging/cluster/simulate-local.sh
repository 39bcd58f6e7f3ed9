#!/bin/bash
# Runs the cluster job files on this machine, as the schedulers would, to check them without a cluster:
#   - the Slurm array script's body once per index (SLURM_ARRAY_TASK_ID=0..N-1 and the other array
#     variables set), then its merge step (XS_STEP=merge);
#   - the Kubernetes Indexed Job's shard container script once per index (JOB_COMPLETION_INDEX=0..N-1,
#     the env of the YAML with the paths replaced by local ones), then the merge Job's script;
#   - with --check, one unsharded `xsam-cli batch` run, and both merged results compared byte for byte.
# The YAML is also parsed (python3 -c 'import yaml') and checked for the fields the two Jobs need.
#
#   XS_CLI=build/app/xsam-cli XS_IMAGES=resources/samples XS_MODEL=/tmp/tiny XS_CATEGORIES="cat,cup" \
#   XS_OUT_DIR=/tmp/sim XS_DEVICE=cpu packaging/cluster/simulate-local.sh --shards 3 --check
#
# Extra batch options (e.g. a low --score-threshold for random weights) go in XS_EXTRA_ARGS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=3
check=0
while (($#)); do
    case $1 in
        --shards) shards=$2; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "simulate-local.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
: "${XS_CLI:?set XS_CLI to the xsam-cli executable}" "${XS_IMAGES:?set XS_IMAGES}" "${XS_MODEL:?set XS_MODEL}"
: "${XS_OUT_DIR:?set XS_OUT_DIR (created; slurm/, k8s/ and full.json go there)}"
XS_CLI=$(cd "$(dirname "$XS_CLI")" && pwd)/$(basename "$XS_CLI")
export XS_CLI XS_IMAGES XS_MODEL XS_TASK=${XS_TASK:-generic} XS_CATEGORIES=${XS_CATEGORIES:-}
export XS_DEVICE=${XS_DEVICE:-cpu} XS_THREADS=${XS_THREADS:-1} XS_EXTRA_ARGS=${XS_EXTRA_ARGS:-}
out=$XS_OUT_DIR
rm -rf "$out/slurm" "$out/k8s"
mkdir -p "$out/slurm" "$out/k8s" "$out/bin"
ln -sf "$XS_CLI" "$out/bin/xsam-cli"  # the container scripts call xsam-cli from PATH
status=0

echo "== Slurm: $shards array tasks, then the merge step"
for ((i = 0; i < shards; i++)); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$shards SLURM_ARRAY_TASK_MIN=0 \
    SLURM_ARRAY_TASK_MAX=$((shards - 1)) SLURM_ARRAY_JOB_ID=local SLURM_JOB_ID=local-$i \
    XS_OUT_DIR=$out/slurm bash "$here/xsam-batch.sbatch" 2>>"$out/slurm/log.txt"
done
XS_STEP=merge XS_SHARDS="$shards" XS_OUT_DIR=$out/slurm bash "$here/xsam-batch.sbatch" 2>>"$out/slurm/log.txt"
echo "   -> $out/slurm/instances.json"

echo "== Kubernetes: the Indexed Job's $shards pods, then the merge Job"
python3 - "$here/xsam-batch-k8s.yaml" "$out/k8s" <<'PY'
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert len(docs) == 2, "expected two documents (the Indexed Job and the merge Job)"
shard, merge = docs
for d in docs:
    assert d["apiVersion"] == "batch/v1" and d["kind"] == "Job", "both documents must be batch/v1 Jobs"
    pod = d["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    assert set(d["spec"]) <= {"completionMode", "completions", "parallelism", "backoffLimit", "template",
                              "activeDeadlineSeconds", "backoffLimitPerIndex", "ttlSecondsAfterFinished"}, d["spec"].keys()
    mounts = {v["name"] for c in pod["containers"] for v in c.get("volumeMounts", [])}
    assert mounts <= {v["name"] for v in pod.get("volumes", [])}, "a volumeMount names no volume"
assert shard["spec"]["completionMode"] == "Indexed"
env = lambda d: {e["name"]: e["value"] for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
n = shard["spec"]["completions"]
assert env(shard)["XS_SHARDS"] == str(n) == env(merge)["XS_SHARDS"], "XS_SHARDS must equal completions in both Jobs"
import re
for name, d in (("shard", shard), ("merge", merge)):
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["/bin/bash", "-c"] and len(c["args"]) == 1
    script = c["args"][0]
    local = set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)=", script)) | set(re.findall(r"for \(\(\s*([a-z]+)", script))
    local |= set(re.findall(r"for ([a-z]+) in", script))
    used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", script))
    unknown = used - local - set(env(d)) - {"JOB_COMPLETION_INDEX"}
    assert not unknown, f"the {name} script uses variables its Job does not set: {sorted(unknown)}"
    open(f"{sys.argv[2]}/{name}.sh", "w").write(c["args"][0])
    json.dump(env(d), open(f"{sys.argv[2]}/{name}.env.json", "w"))
print(f"   YAML: 2 Jobs, Indexed, completions {n} = XS_SHARDS; container scripts extracted")
PY
if command -v shellcheck >/dev/null; then
    shellcheck -s bash "$out/k8s/shard.sh" "$out/k8s/merge.sh" "$here/xsam-batch.sbatch" "$0" && echo "   shellcheck: clean"
fi
for ((i = 0; i < shards; i++)); do
    env PATH="$out/bin:$PATH" JOB_COMPLETION_INDEX=$i XS_SHARDS="$shards" XS_OUT_DIR="$out/k8s" \
        bash "$out/k8s/shard.sh" 2>>"$out/k8s/log.txt"
done
env PATH="$out/bin:$PATH" XS_SHARDS="$shards" XS_OUT_DIR="$out/k8s" XS_RESULT="$out/k8s/instances.json" \
    timeout 120 bash "$out/k8s/merge.sh" 2>>"$out/k8s/log.txt"
echo "   -> $out/k8s/instances.json"

if ((check)); then
    echo "== one unsharded run, compared with both merges"
    args=(batch --images "$XS_IMAGES" --model "$XS_MODEL" --task "$XS_TASK" --out "$out/full.json"
          --device "$XS_DEVICE" --threads "$XS_THREADS" --progress none)
    [[ -n "$XS_CATEGORIES" ]] && args+=(--categories "$XS_CATEGORIES")
    # shellcheck disable=SC2206
    [[ -n "$XS_EXTRA_ARGS" ]] && args+=($XS_EXTRA_ARGS)
    rc=0
    "$XS_CLI" "${args[@]}" >/dev/null 2>>"$out/full-log.txt" || rc=$?
    if ((rc != 0 && rc != 3)); then echo "   the unsharded run failed ($rc)"; exit 1; fi
    for m in slurm k8s; do
        if cmp -s "$out/full.json" "$out/$m/instances.json"; then
            echo "   $m: identical to the unsharded run"
        else
            echo "   $m: DIFFERS from the unsharded run"; status=1
        fi
    done
fi
exit $status
