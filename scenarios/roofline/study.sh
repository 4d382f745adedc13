#!/usr/bin/env bash
# "The paper under a real cost" (docs/REPRODUCTION.md; issue 13 item 8):
# every sweep, table and chart of that section, from the scenarios beside
# this script. About 30 s on 2 cores (the runs are short: 200 epochs,
# 1–2 replications, and the paper-setting runs 40 epochs).
#   scenarios/roofline/study.sh [OUT_DIR]     (default out/roofline-study)
set -euo pipefail
cd "$(dirname "$0")/../.."
E=${EDGESIM:-target/release/edgesim}
OUT=${1:-out/roofline-study}
FIG=docs/figures/roofline
mkdir -p "$OUT" "$FIG"

# 1. The paper's own setting under the roofline: nothing is served.
#    40 epochs (60 s), 1 replication, λ = 10, 50, 100, 200.
for k in tx2 l4-llama3b orin-llama3b; do
  "$E" sweep scenarios/roofline/fig5a-$k.ron --out "$OUT/fig5a-$k" --quiet --set horizon=60 \
    --set 'sweep=Some((replications: 1, grid: [(path: "scheduler.name", values: ["dftsp", "exact", "nobatch", "greedy"]), (path: "arrivals.rate", values: [10.0, 50.0, 100.0, 200.0])]))'
  cp "$OUT/fig5a-$k/results.csv" "$FIG/fig5a-$k-paper-setting.csv"
done

# 2. Made feasible by rescaling the compute side of time by κ (see the
#    scenario files): Fig. 5(a) on three boxes, Table III on the TX2s.
for s in fig5a-tx2-scaled fig5a-l4-scaled fig5a-orin-scaled table3-tx2-scaled; do
  "$E" sweep scenarios/roofline/$s.ron --out "$OUT/$s" --quiet
done

# 3. Charts. The CSVs get one derived column, paper_rate = λ·κ = λ·T_C/1.5
#    (the paper's arrival rate with as many arrivals per epoch), computed from
#    the scenario's own T_C.
derive() { # derive IN.csv T_C OUT.csv
  python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
src, tc, dst = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(src)))
with open(dst, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["paper_rate"] + list(rows[0].keys()))
    w.writeheader()
    for r in rows:
        w.writerow({"paper_rate": round(float(r["arrivals_rate"]) * tc / 1.5), **r})
PY
}
declare -A TC=([tx2]=687.8 [l4]=147.1 [orin]=216.0)
declare -A TITLE=([tx2]="20 × Jetson TX2, BLOOM-3B W8A16" [l4]="1 × L4, Llama-3.2-3B FP16" [orin]="1 × Jetson AGX Orin 64GB, Llama-3.2-3B FP16")
for k in tx2 l4 orin; do
  derive "$OUT/fig5a-$k-scaled/results.csv" "${TC[$k]}" "$FIG/fig5a-$k-scaled.csv"
  "$E" plot "$FIG/fig5a-$k-scaled.csv" --x paper_rate --y throughput_per_epoch_mean \
    --series scheduler_name --title "Fig. 5(a) under the roofline, time × κ: ${TITLE[$k]}" \
    --x-label "paper-equivalent arrival rate λ·κ (req/s)" -o "$FIG/fig5a-$k-scaled.svg"
done
derive "$OUT/table3-tx2-scaled/results.csv" "${TC[tx2]}" "$FIG/table3-tx2-scaled.csv"
"$E" plot "$FIG/table3-tx2-scaled.csv" --x paper_rate --y nodes_per_epoch_mean \
  --series scheduler_name --series scheduler_z_start --log-y \
  --title "Table III under the roofline, time × κ: 20 × Jetson TX2" \
  --x-label "paper-equivalent arrival rate λ·κ (req/s)" -o "$FIG/table3-tx2-scaled.svg"
