#!/usr/bin/env bash
# Trace replay against Poisson arrivals, same rate and horizon (issue 14,
# docs/workloads.md "Speed"). Runs scenarios/long-horizon.ron (BLOOM-3B,
# W8A16, exact, λ = 250 req/s) cut to HORIZON seconds (default 24 h) three
# ways, interleaved, ROUNDS times each (default 3):
#   poisson   — the file as it is: Poisson users, lengths {128, 256, 512};
#   poisson-L — Poisson users with the conversation trace's lengths
#               (Empirical columns): the same lengths as the replay, so the
#               ratio replay/poisson-L isolates the cost of the replay itself;
#   replay    — the Azure conversation trace (data/traces/) looped and
#               time-compressed to λ = 250 req/s: time_scale = (trace rate)/250,
#               with the trace rate (n − 1)/span read by `edgesim workload`.
# Prints one JSON line per run (wall s, peak RSS MB, requests) and a line
# with the fastest wall of each and the ratios replay/poisson and
# replay/poisson-L, and the peak RSS of each. The scheduler's work depends on
# the requests' lengths and instants, so the full runs compare workloads as
# much as arrival sources; the first part therefore times the arrival
# sources alone, `edgesim workload` generating the same 24 h of arrivals
# (poisson against replay, interleaved), and prints their ratio too.
# Wall times are host-dependent; the ratios come from runs interleaved in
# one invocation.
# Environment: HORIZON, ROUNDS, SEED (default 1), WORK (scratch directory),
# FULL (default 1; 0 skips the full runs, which take minutes with real lengths).
set -euo pipefail
cd "$(dirname "$0")/../.."
HORIZON=${HORIZON:-86400}
ROUNDS=${ROUNDS:-3}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
BIN=$PWD/target/release/edgesim
TRACE=data/traces/AzureLLMInferenceTrace_conv.csv
cargo build --release -p tools --quiet
RATE=$("$BIN" workload "$TRACE" --json --bin 3600 | jq '.mean_rate')
SCALE=$(jq -n --argjson r "$RATE" '$r / 250')
declare -A SETS
SETS[poisson]=""
SETS[poisson-L]="requests.prompt=Empirical(path: \"$TRACE\", column: \"ContextTokens\");requests.output_levels=Empirical(path: \"$TRACE\", column: \"GeneratedTokens\")"
SETS[replay]="arrivals.process=Trace((path: \"$TRACE\", time_scale: $SCALE, repeat: true))"
FULL=${FULL:-1}
# Part 1: the arrival sources alone.
for R in $(seq 1 "$ROUNDS"); do
  for K in poisson replay; do
    ARGS=()
    [ "$K" = replay ] && ARGS+=(--set "${SETS[replay]}")
    /usr/bin/time -f "%e %M" -o "$WORK/$K.gen" "$BIN" workload scenarios/long-horizon.ron \
      --set horizon="$HORIZON" --seed "$SEED" "${ARGS[@]}" --json --bin 3600 > "$WORK/$K.gen.json"
    read -r WALL RSS < "$WORK/$K.gen"
    jq -c --arg k "$K" --argjson round "$R" --argjson wall "$WALL" --argjson rss "$RSS" \
      '{arrivals_only: $k, round: $round, wall_s: $wall, max_rss_mb: ($rss / 1024), requests,
        mean_rate, gap_cv}' "$WORK/$K.gen.json" | tee -a "$WORK/gen.jsonl"
  done
done
jq -s -c '
  def best(k): [.[] | select(.arrivals_only == k) | .wall_s] | min;
  def rss(k): [.[] | select(.arrivals_only == k) | .max_rss_mb] | max;
  {arrivals_only: {wall_s: {poisson: best("poisson"), replay: best("replay")},
   ratio_replay_over_poisson: (best("replay") / best("poisson")),
   max_rss_mb: {poisson: rss("poisson"), replay: rss("replay")}}}' "$WORK/gen.jsonl"
[ "$FULL" = 1 ] || exit 0
# Part 2: whole runs.
for R in $(seq 1 "$ROUNDS"); do
  for K in poisson poisson-L replay; do
    ARGS=()
    IFS=';' read -ra PARTS <<< "${SETS[$K]}"
    for P in "${PARTS[@]}"; do [ -n "$P" ] && ARGS+=(--set "$P"); done
    /usr/bin/time -f %M -o "$WORK/$K.rss" "$BIN" run scenarios/long-horizon.ron \
      --set horizon="$HORIZON" --seed "$SEED" "${ARGS[@]}" --quiet --out "$WORK/$K" >/dev/null
    jq -c --arg k "$K" --argjson round "$R" --argjson rss "$(cat "$WORK/$K.rss")" \
      '{run: $k, round: $round, wall_s, max_rss_mb: ($rss / 1024), requests: .arrived_total,
        on_time, expired, mean_batch_size}' "$WORK/$K/summary.json" | tee -a "$WORK/runs.jsonl"
  done
done
jq -s -c --argjson scale "$SCALE" '
  def best(k): [.[] | select(.run == k) | .wall_s] | min;
  def rss(k): [.[] | select(.run == k) | .max_rss_mb] | max;
  {time_scale: $scale,
   wall_s: {poisson: best("poisson"), "poisson-L": best("poisson-L"), replay: best("replay")},
   ratio_replay_over_poisson: (best("replay") / best("poisson")),
   ratio_replay_over_poisson_same_lengths: (best("replay") / best("poisson-L")),
   max_rss_mb: {poisson: rss("poisson"), "poisson-L": rss("poisson-L"), replay: rss("replay")}}' "$WORK/runs.jsonl"
