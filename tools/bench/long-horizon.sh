#!/usr/bin/env bash
# Simulation speed on the long-horizon scenario (scenarios/long-horizon.ron:
# BLOOM-3B, W8A16, λ = 250 req/s) cut to HORIZON seconds (default 1 h), once
# per scheduler of SCHEDULERS (default: exact, dftsp). Prints one JSON line
# per scheduler: requests generated (`arrived_total`, warm-up included),
# epochs, engine events, wall time, requests and events per wall second, the
# scheduler's share of the wall time (Σ solve_ns), and peak RSS (GNU time).
# Wall times are host-dependent: run it on an otherwise idle machine.
# Environment: HORIZON, SCHEDULERS, SEED (default 1), WORK (scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HORIZON=${HORIZON:-3600}
SCHEDULERS=${SCHEDULERS:-"exact dftsp"}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d)}
BIN=$ROOT/target/release/edgesim
cargo build --release -p tools --quiet
for S in $SCHEDULERS; do
  /usr/bin/time -f %M -o "$WORK/$S.rss" "$BIN" run scenarios/long-horizon.ron \
    --set horizon="$HORIZON" --set scheduler.name="$S" --seed "$SEED" --quiet \
    --out "$WORK/$S" >/dev/null
  SOLVE_NS=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "solve_ns") c = i; next }
                      { s += $c } END { printf "%.0f", s }' "$WORK/$S/epochs.csv")
  jq -c --arg s "$S" --argjson rss "$(cat "$WORK/$S.rss")" --argjson solve "$SOLVE_NS" '{
      scheduler: $s, horizon_s, requests: .arrived_total, epochs, events, wall_s,
      requests_per_wall_s: (.arrived_total / .wall_s), events_per_wall_s: (.events / .wall_s),
      scheduler_wall_s: ($solve / 1e9), scheduler_share: ($solve / 1e9 / .wall_s),
      max_rss_mb: ($rss / 1024)}' "$WORK/$S/summary.json"
done
