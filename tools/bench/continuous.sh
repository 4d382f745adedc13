#!/usr/bin/env bash
# Simulation speed and memory of continuous serving (MODEL.md §13): runs
# SCENARIO (default scenarios/continuous/paper.ron) for each horizon of
# HORIZONS (default "600 3600") at RATE req/s (default 250), and as a
# baseline the epoch pipeline on the same setting (scenarios/default.ron,
# scheduler exact), REPEATS times each, interleaved (default 3), keeping the
# fastest. Prints one JSON line per horizon: requests generated (warm-up
# included), iterations, engine events, wall time, requests, iterations and
# events per wall second, peak RSS (GNU time) — equal peaks across horizons
# mean memory stays flat — and the wall-time ratio continuous / epochs.
# Wall times are host-dependent; the ratio is the comparable figure.
# Environment: SCENARIO, HORIZONS, RATE, REPEATS, SEED (default 1), WORK (scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SCENARIO=${SCENARIO:-scenarios/continuous/paper.ron}
HORIZONS=${HORIZONS:-"600 3600"}
RATE=${RATE:-250}
REPEATS=${REPEATS:-3}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
BIN=$ROOT/target/release/edgesim
cargo build --release -p tools --quiet
run() { # $1 scenario, $2 horizon, $3 out dir, extra args…
  local sc=$1 h=$2 out=$3; shift 3
  /usr/bin/time -f %M -o "$out.rss" "$BIN" run "$sc" --set horizon="$h" --set arrivals.rate="$RATE" \
    --seed "$SEED" --quiet --out "$out" "$@" >/dev/null
}
for H in $HORIZONS; do
  best_c=""; best_e=""
  for r in $(seq "$REPEATS"); do
    run "$SCENARIO" "$H" "$WORK/c$H-$r"
    run scenarios/default.ron "$H" "$WORK/e$H-$r" --set scheduler.name=exact
    wc=$(jq .wall_s "$WORK/c$H-$r/summary.json"); we=$(jq .wall_s "$WORK/e$H-$r/summary.json")
    if [ -z "$best_c" ] || awk "BEGIN{exit !($wc < $(jq .wall_s "$WORK/$best_c/summary.json"))}"; then best_c=c$H-$r; fi
    if [ -z "$best_e" ] || awk "BEGIN{exit !($we < $(jq .wall_s "$WORK/$best_e/summary.json"))}"; then best_e=e$H-$r; fi
  done
  jq -c --argjson rss "$(cat "$WORK/$best_c.rss")" --slurpfile e "$WORK/$best_e/summary.json" '{
      scenario, scheduler, horizon_s, requests: .arrived_total, iterations, events, wall_s,
      requests_per_wall_s: (.arrived_total / .wall_s), iterations_per_wall_s: (.iterations / .wall_s),
      events_per_wall_s: (.events / .wall_s), on_time, late, expired, preemptions,
      max_rss_mb: ($rss / 1024), epochs_exact_wall_s: $e[0].wall_s,
      wall_ratio_continuous_over_epochs: (.wall_s / $e[0].wall_s)}' "$WORK/$best_c/summary.json"
done
