#!/usr/bin/env bash
# The 24-hour run (issue 12's target: ≤ 2 s, memory flat), interleaved:
# BASE_BIN (optional, e.g. a binary built from an older commit), BIN as it
# runs by default (arrivals drawn ahead on a second thread), and BIN with
# `--one-thread`; ROUNDS rounds (default 5). Prints, per variant, the fastest
# in-run wall time (`wall_s` of summary.json), the fastest user CPU time and
# the largest peak RSS (GNU time), and checks that every variant's outputs
# equal the first's but for wall-clock fields (summary.json `wall_s`,
# epochs.csv `solve_ns`, solve_time.hgrm/.hlog).
# Environment: BIN (default: build target/release/edgesim), BASE_BIN,
# ROUNDS, SCENARIO (default scenarios/long-horizon.ron), WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
SCENARIO=${SCENARIO:-scenarios/long-horizon.ron}
WORK=${WORK:-$(mktemp -d)}
if [ -z "${BIN:-}" ]; then
  cargo build --release -p tools --quiet
  BIN=$PWD/target/release/edgesim
fi
variants="default one-thread"
[ -n "${BASE_BIN:-}" ] && variants="base $variants"
for r in $(seq "$ROUNDS"); do
  for v in $variants; do
    case $v in
      base) cmd=("$BASE_BIN" run) ;;
      default) cmd=("$BIN" run) ;;
      one-thread) cmd=("$BIN" run --one-thread) ;;
    esac
    t=$( { /usr/bin/time -f "%U %M" "${cmd[@]}" "$SCENARIO" --quiet --out "$WORK/$v" >/dev/null; } 2>&1 | tail -1)
    w=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['wall_s'])" "$WORK/$v/summary.json")
    echo "$v $w $t"
  done
done | awk '{k=$1; if(!(k in w)||$2<w[k])w[k]=$2; if(!(k in u)||$3<u[k])u[k]=$3; if($4>m[k])m[k]=$4; o[k]=NR}
  END{for(k in w) printf "%-11s wall %.3f s  user %.2f s  peak RSS %.1f MB\n", k, w[k], u[k], m[k]/1024}'
python3 - "$WORK" $variants <<'PY'
import csv, filecmp, json, os, sys
work, first, *rest = sys.argv[1], sys.argv[2], *sys.argv[3:]
def load(v):
    s = json.load(open(os.path.join(work, v, "summary.json"))); s.pop("wall_s")
    rows = list(csv.DictReader(open(os.path.join(work, v, "epochs.csv"))))
    for r in rows: r.pop("solve_ns")
    return s, rows
a = load(first)
for v in rest:
    same = load(v) == a
    for f in os.listdir(os.path.join(work, first)):
        if f.endswith((".hgrm", ".hlog")) and not f.startswith("solve_time"):
            same &= filecmp.cmp(os.path.join(work, first, f), os.path.join(work, v, f), shallow=False)
    print(f"outputs of {v} equal {first}'s: {same}")
    if not same: sys.exit(1)
PY
uptime
