#!/usr/bin/env bash
# Regenerates the sweeps and charts of docs/REPRODUCTION.md (Fig. 5, Fig. 6 and
# the bandwidth-limited Fig. 5(a)): runs every sweep under scenarios/paper/,
# then draws each chart into docs/figures/ with `edgesim plot` and copies each
# results.csv beside it (charts in SVG; add `-o …png` lines for PNG). Takes a few
# minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p tools
E=target/release/edgesim
OUT=${OUT:-out/paper}
FIG=docs/figures
mkdir -p "$FIG"
Y="on-time requests per epoch"

sweep() { "$E" sweep "scenarios/paper/$1.ron" --out "$OUT/$1" --jobs "${JOBS:-2}" >/dev/null; cp "$OUT/$1/results.csv" "$FIG/$1.csv"; }
# plot NAME ARGS…: docs/figures/NAME.svg and NAME.png from NAME.csv.
plot() {
  local name=$1
  shift
  for ext in svg png; do "$E" plot "$FIG/$name.csv" "$@" -o "$FIG/$name.$ext"; done
}
# PLOT_ONLY=1: redraw the charts from the CSVs in docs/figures without sweeping.
if [ "${PLOT_ONLY:-0}" = 1 ]; then sweep() { :; }; fi

sweep fig5a
plot fig5a --x arrivals_rate --y throughput_per_epoch_mean --series model --series scheduler_name \
  --title "Fig. 5(a): throughput vs arrival rate (W8A16)" --x-label "arrival rate λ (req/s)" --y-label "$Y"

sweep fig5a-bandwidth
plot fig5a-bandwidth --x arrivals_rate --y throughput_per_epoch_mean --series model --series scheduler_name \
  --title "Fig. 5(a), bandwidth-limited (B = 3 kHz): throughput vs arrival rate" --x-label "arrival rate λ (req/s)" --y-label "$Y"

sweep fig5b
plot fig5b --x requests_latency --x-field hi --y throughput_per_epoch_mean --series model --series scheduler_name \
  --title "Fig. 5(b): throughput vs latency requirement (λ = 100 req/s)" --x-label "τ_max (s), τ ~ U[0.5, τ_max]" --y-label "$Y"

sweep fig6a
plot fig6a --x arrivals_rate --y throughput_per_epoch_mean --series model --series quant \
  --title "Fig. 6(a): throughput vs arrival rate, accuracy ignored (dftsp)" --x-label "arrival rate λ (req/s)" --y-label "$Y"

sweep fig6b
plot fig6b --x requests_accuracy --x-field hi --y throughput_per_epoch_mean --series model --series quant --dotted W8A16 \
  --title "Fig. 6(b): throughput vs accuracy requirement (λ = 100, dftsp)" --x-label "ε_max (ΔPPL), ε ~ U[0, ε_max]" --y-label "$Y"
echo "figures and tables written to $FIG"
