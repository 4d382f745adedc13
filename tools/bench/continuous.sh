#!/usr/bin/env bash
# Simulation speed and memory of continuous serving (MODEL.md §13): runs
# SCENARIO (default scenarios/continuous/paper.ron) for each horizon of
# HORIZONS (default "600 3600") at RATE req/s (default 250) and prints one
# JSON line per run: requests generated (warm-up included), iterations,
# engine events, wall time, requests, iterations and events per wall second,
# and peak RSS (GNU time) — equal peaks across horizons mean memory stays
# flat. Wall times are host-dependent: compare runs made together.
# Environment: SCENARIO, HORIZONS, RATE, SEED (default 1), WORK (scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SCENARIO=${SCENARIO:-scenarios/continuous/paper.ron}
HORIZONS=${HORIZONS:-"600 3600"}
RATE=${RATE:-250}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
BIN=$ROOT/target/release/edgesim
cargo build --release -p tools --quiet
for H in $HORIZONS; do
  /usr/bin/time -f %M -o "$WORK/$H.rss" "$BIN" run "$SCENARIO" \
    --set horizon="$H" --set arrivals.rate="$RATE" --seed "$SEED" --quiet \
    --out "$WORK/$H" >/dev/null
  jq -c --argjson rss "$(cat "$WORK/$H.rss")" '{
      scenario, scheduler, horizon_s, requests: .arrived_total, iterations, events, wall_s,
      requests_per_wall_s: (.arrived_total / .wall_s), iterations_per_wall_s: (.iterations / .wall_s),
      events_per_wall_s: (.events / .wall_s), on_time, late, expired, preemptions,
      max_rss_mb: ($rss / 1024)}' "$WORK/$H/summary.json"
done
