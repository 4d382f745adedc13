#!/usr/bin/env bash
# The schedulers' own cost: wall time of one scheduling call per epoch,
# against the arrival rate, on the instances of paper-default runs.
#
# For each λ in RATES: one paper-default run (scenarios/default.ron: BLOOM-3B,
# W8A16, dftsp, seed 1) with every epoch's instance dumped, then
# `edgesim resolve` times each scheduler of SCHEDULERS on every instance, one
# call after the other on one thread (z_start: bound). Solve times are
# host-dependent wall times: run it on an otherwise idle machine.
#
# Writes (from the repository root):
#   docs/figures/solve-cost.csv       one row per rate × scheduler: median, p99, mean, max (ms)
#   docs/figures/solve-cost-rR.csv    per-epoch rows (resolve's CSV)
#   docs/figures/solve-cost.svg       median (solid) and p99 (dashed) against λ, log y
# A scheduler that refuses every instance (e.g. `exact` before it is
# registered) gets no row. Environment: HORIZON (s, default 300 = 200 epochs),
# SEED (default 1), RATES, SCHEDULERS, WORK (scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HORIZON=${HORIZON:-300}
SEED=${SEED:-1}
RATES=${RATES:-"10 25 50 100 150 200 250"}
SCHEDULERS=${SCHEDULERS:-"dftsp tree-search greedy exact"}
WORK=${WORK:-$(mktemp -d)}
FIG=$ROOT/docs/figures
BIN=$ROOT/target/release/edgesim
mkdir -p "$FIG" "$WORK"
cargo build --release -p tools --quiet

S_ARGS=()
for S in $SCHEDULERS; do S_ARGS+=(-s "$S"); done
TABLE=$WORK/solve-cost.csv
echo "rate,scheduler,instances,solved,solve_ms_median,solve_ms_p99,solve_ms_mean,solve_ms_max,nodes_total,count_total" >"$TABLE"
for R in $RATES; do
  "$BIN" run --set arrivals.rate="$R" --set horizon="$HORIZON" --seed "$SEED" \
    --dump-instances --quiet --out "$WORK/r$R" >/dev/null
  (cd "$WORK/r$R" && "$BIN" resolve instances "${S_ARGS[@]}" -o "$FIG/solve-cost-r$R.csv") \
    >"$WORK/r$R.json"
  jq -r --arg r "$R" 'select(.scheduler != null and .solved > 0) |
      [$r, .scheduler, .instances, .solved, .solve_ns_median / 1e6, .solve_ns_p99 / 1e6,
       .solve_ns_mean / 1e6, .solve_ns_max / 1e6, .nodes_total, .count_total] | @csv' \
    "$WORK/r$R.json" | tr -d '"' >>"$TABLE"
  jq -r 'select(.scheduler != null and .refused > 0) |
      "warning: \(.scheduler) refused \(.refused) instances, first: \(.first_refusal)"' \
    "$WORK/r$R.json" >&2
  echo "λ=$R done" >&2
done
cp "$TABLE" "$FIG/solve-cost.csv"
"$BIN" plot "$FIG/solve-cost.csv" --x rate --y solve_ms_median --y solve_ms_p99 \
  --series scheduler --dotted p99 --log-y \
  --title "Scheduler wall time per epoch (BLOOM-3B, W8A16, paper defaults)" \
  --x-label "arrival rate λ (req/s)" --y-label "solve time per epoch (ms)" \
  -o "$FIG/solve-cost.svg"
column -s, -t "$FIG/solve-cost.csv"
