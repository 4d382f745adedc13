#!/usr/bin/env bash
# Simulation speed of continuous serving on a real trace (issue 15, "Speed";
# docs/continuous.md "Speed and memory"): the Azure conversation trace
# (19 366 requests, 3 501.7 s) replayed once on one A100-80GB with
# Llama-3.1-8B fp16 under the roofline (scenarios/continuous/azure-conv-a100.ron),
# two ways, REPEATS times each, interleaved (default 3), keeping the fastest:
#   ideal — the file as it is: wired client, 1 h deadlines, no expiry (every
#           request served);
#   radio — over the paper's radio (50 users, 20 MHz, tokens streamed) with
#           the paper's deadlines τ ~ U[0.5, 2] s and drop_expired.
# Prints one JSON line per variant: requests generated, iterations, engine
# events, wall time (summary.json's wall_s, the simulation loop), the process's
# elapsed time and peak RSS (GNU time), requests and iterations per wall
# second. Wall times are host-dependent.
# Environment: REPEATS, SEED (default 1), WORK (scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SCENARIO=scenarios/continuous/azure-conv-a100.ron
REPEATS=${REPEATS:-3}
SEED=${SEED:-1}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
BIN=$ROOT/target/release/edgesim
cargo build --release -p tools --quiet
run() { # $1 out dir, extra args…
  local out=$1; shift
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" run "$SCENARIO" --seed "$SEED" --quiet --out "$out" "$@" >/dev/null
}
declare -A best
for r in $(seq "$REPEATS"); do
  run "$WORK/ideal-$r"
  run "$WORK/radio-$r" --set serving.channel=Radio --set serving.drop_expired=true \
    --set 'requests.latency=Uniform(lo: 0.5, hi: 2.0)'
  for v in ideal radio; do
    w=$(jq .wall_s "$WORK/$v-$r/summary.json")
    if [ -z "${best[$v]:-}" ] || awk "BEGIN{exit !($w < $(jq .wall_s "$WORK/${best[$v]}/summary.json"))}"; then best[$v]=$v-$r; fi
  done
done
for v in ideal radio; do
  read -r elapsed rss < "$WORK/${best[$v]}.time"
  jq -c --arg v "$v" --argjson el "$elapsed" --argjson rss "$rss" '{
      variant: $v, scenario, requests: .arrived_total, iterations, events, wall_s, process_elapsed_s: $el,
      requests_per_wall_s: (.arrived_total / .wall_s), iterations_per_wall_s: (.iterations / .wall_s),
      on_time, late, expired, preemptions, ttft_p50_s: .ttft_s.p50_hdr, tpot_p50_s: .tpot_s.p50_hdr,
      max_rss_mb: ($rss / 1024)}' "$WORK/${best[$v]}/summary.json"
done
