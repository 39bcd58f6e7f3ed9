#!/bin/bash
# Submits the shard array and the merge step that runs when every shard has succeeded.
#   XS_IMAGES=/shared/images XS_MODEL=/shared/models/xsam XS_OUT_DIR=/shared/out \
#   XS_CATEGORIES="person,car,dog" packaging/cluster/submit-slurm.sh 16 [extra sbatch options...]
# XS_GRES (default gpu:1) is what each shard asks for; set it empty for CPU-only shards (XS_DEVICE=cpu).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=${1:?usage: submit-slurm.sh N_SHARDS [sbatch options...]}
shift
: "${XS_IMAGES:?set XS_IMAGES}" "${XS_MODEL:?set XS_MODEL}" "${XS_OUT_DIR:?set XS_OUT_DIR}"
export XS_IMAGES XS_MODEL XS_OUT_DIR
gres=()
[[ -n "${XS_GRES-gpu:1}" ]] && gres=(--gres="${XS_GRES-gpu:1}")  # XS_GRES= (empty) for CPU-only shards
jid=$(sbatch --parsable --array=0-$((n - 1)) "${gres[@]}" --export=ALL "$@" "$here/xsam-batch.sbatch")
jid=${jid%%;*}  # "123;cluster" on federated setups
mid=$(sbatch --parsable --dependency=afterok:"$jid" --kill-on-invalid-dep=yes --cpus-per-task=1 \
      --mem=8G --time=01:00:00 --export=ALL,XS_STEP=merge,XS_SHARDS="$n" --job-name=xsam-merge "$here/xsam-batch.sbatch")
echo "shards: job $jid (array 0-$((n - 1))); merge: job $mid -> ${XS_RESULT:-$XS_OUT_DIR/instances.json}"
