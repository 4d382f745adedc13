#!/usr/bin/env bash
# Submits an edgesim sweep to Slurm as a job array of N shards and a merge
# job that runs once they all succeed (docs/cli.md, "Cluster").
#
#   tools/cluster/submit.sh SCENARIO.ron N OUT [SBATCH_OPTION]...
#
# OUT must be on a file system every node sees; EDGESIM (default: the
# `edgesim` on PATH) must run on every node. SETS may hold `--set PATH=VALUE`
# arguments for the sweep. The SBATCH_OPTIONs (e.g. --partition=…,
# --time=…, --cpus-per-task=4) go to both jobs. Prints the two job ids:
# ARRAY_JOB MERGE_JOB.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 SCENARIO.ron N OUT [SBATCH_OPTION]..." >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
scenario="$(realpath "$1")"
n="$2"
out="$3"
shift 3
case "$n" in '' | *[!0-9]* | 0) echo "$0: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
mkdir -p "$out"
out="$(realpath "$out")"
edgesim="$(command -v "${EDGESIM:-edgesim}")" || { echo "$0: no edgesim binary (set EDGESIM)" >&2; exit 2; }
# Checks the scenario and its grid before anything is queued.
# shellcheck disable=SC2086 # SETS is a list of arguments
"$edgesim" validate "$scenario" ${SETS:-} >/dev/null
export EDGESIM="$edgesim" SCENARIO="$scenario" SHARDS="$n" OUT="$out" SETS="${SETS:-}"
array=$(sbatch --parsable --export=ALL --array="0-$((n - 1))" \
  --output="$out/slurm-%A_%a.out" "$@" "$here/sweep.sbatch")
array="${array%%;*}"
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$out/slurm-merge-%j.out" "$@" "$here/merge.sbatch")
merge="${merge%%;*}"
echo "$array $merge"
