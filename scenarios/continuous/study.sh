#!/usr/bin/env bash
# Studies (a), (b) and (c) of docs/continuous.md (issue 15 item 4): epochs
# against continuous serving on the paper's setting (cost: Flops) and under
# the roofline cost. Runs the sweeps, writes one CSV
# per study with a `server` column and the load on the x axis, and the charts
# (SVG and PNG) into docs/figures/. About 5 minutes on 2 busy cores.
#   cargo build --release -p tools && scenarios/continuous/study.sh [OUT_DIR]   (default out/continuous-study)
# Environment: EDGESIM (the binary), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
E=${EDGESIM:-target/release/edgesim}
OUT=${1:-out/continuous-study}
JOBS=${JOBS:-2}
FIG=docs/figures
mkdir -p "$OUT" "$FIG"

# (a) The paper's setting (cost: Flops): epochs (dftsp) against continuous
#     FCFS/EDF on the 20 GPUs as one T = 20 instance, then continuous serving
#     with max_num_seqs 4 and 16. Each results.csv is kept as it is.
for A in study-paper study-paper-seqs; do
  "$E" sweep "scenarios/continuous/$A.ron" --out "$OUT/$A" --quiet --jobs "$JOBS"
  cp "$OUT/$A/results.csv" "$FIG/continuous-$A.csv"
done
for ext in svg png; do
  "$E" plot "$FIG/continuous-study-paper.csv" --x arrivals_rate --y throughput_rps_mean --series serving \
    --title "Epochs (dftsp) vs continuous serving, paper's setting (cost: Flops)" \
    --x-label "arrival rate λ (req/s)" --y-label "on-time requests/s (goodput)" -o "$FIG/continuous-study-paper.$ext"
  "$E" plot "$FIG/continuous-study-paper-seqs.csv" --x arrivals_rate --y throughput_rps_mean --series serving \
    --title "Continuous serving with max_num_seqs 4 and 16, paper's setting" \
    --x-label "arrival rate λ (req/s)" --y-label "on-time requests/s (goodput)" -o "$FIG/continuous-study-paper-seqs.$ext"
done

# (b) The paper's setting, time-scaled by κ = 458.53, 20 TX2 (roofline).
#     The scenario's sweep: epochs (dftsp) and continuous FCFS/EDF at T = 20
#     and T = 1; then the epoch pipeline with exact on the same loads.
B=scenarios/continuous/study-roofline-tx2.ron
"$E" sweep $B --out "$OUT/b" --quiet --jobs "$JOBS"
"$E" sweep $B --out "$OUT/b-exact" --quiet --jobs "$JOBS" --set scheduler.name=exact \
  --set 'sweep.grid=[(path: "serving", values: [Epochs]), (path: "arrivals.rate", values: [0.010904, 0.054522, 0.109043, 0.218087, 0.545217])]'

# (c) The Azure conversation trace on one L4 (Llama-3.2-3B fp16, roofline).
#     The scenario's sweep: epochs (exact) and continuous FCFS/EDF; then
#     epochs with dftsp at the two lightest loads (its search is slow here).
C=scenarios/continuous/study-azure-l4.ron
"$E" sweep $C --out "$OUT/c" --quiet --jobs "$JOBS"
"$E" sweep $C --out "$OUT/c-dftsp" --quiet --jobs "$JOBS" --set scheduler.name=dftsp \
  --set 'sweep.grid=[(path: "serving", values: [Epochs]), (path: "arrivals.process.time_scale", values: [4.0, 2.0])]'

# One table per study: `server` names the serving mode (and the epoch
# scheduler), `load` is the x axis — (b): the paper-equivalent rate λ·κ;
# (c): the trace's rate over its time scale, 5.530/time_scale req/s
# (docs/workloads.md: 19 366 requests over 3 501.7 s, looped with period
# 3 501.903 s).
python3 - "$OUT" "$FIG" <<'PY'
import csv, re, sys
out, fig = sys.argv[1], sys.argv[2]
KAPPA = 687.8 / 1.5          # T_C / 1.5 s of study-roofline-tx2.ron
CONV_RATE = 5.530            # req/s of the conversation trace (docs/workloads.md)
def server(serving, epoch_scheduler):
    if serving == "Epochs":
        return f"epochs, {epoch_scheduler}"
    policy = re.search(r"policy: (\w+)", serving).group(1).upper()
    t = re.search(r"tensor_parallel: (\d+)", serving)
    return f"continuous {policy}" + (f", T = {t.group(1)}" if t else "")
def table(parts, load, dst):
    rows = []
    for path, sched in parts:
        for r in csv.DictReader(open(path)):
            rows.append({"server": server(r["serving"], sched), "load": load(r), **r})
    keys = ["server", "load"] + [k for k in rows[0] if k not in ("server", "load")]
    with open(dst, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
table([(f"{out}/b/results.csv", "dftsp"), (f"{out}/b-exact/results.csv", "exact")],
      lambda r: round(float(r["arrivals_rate"]) * KAPPA),
      f"{fig}/continuous-study-roofline-tx2.csv")
table([(f"{out}/c/results.csv", "exact"), (f"{out}/c-dftsp/results.csv", "dftsp")],
      lambda r: round(CONV_RATE / float(r["arrivals_process_time_scale"]), 2),
      f"{fig}/continuous-study-azure-l4.csv")
PY

# Charts: goodput (on-time requests per second, 95 % CI), TTFT p50 and p99,
# TPOT p50 and p99 (means over replications) against the load.
chart() { # chart STUDY X_LABEL TITLE
  local csv=$FIG/continuous-study-$1.csv x=$2 t=$3 ext
  for ext in svg png; do
    "$E" plot "$csv" --x load --y throughput_rps_mean --series server --x-label "$x" \
      --y-label "goodput (on-time req/s)" --title "$t: goodput" -o "$FIG/continuous-study-$1-goodput.$ext"
    "$E" plot "$csv" --x load --y ttft_p50_hdr_s_mean --y ttft_p99_hdr_s_mean --series server --log-y \
      --x-label "$x" --y-label "TTFT at the user (s)" --title "$t: TTFT p50, p99" -o "$FIG/continuous-study-$1-ttft.$ext"
    "$E" plot "$csv" --x load --y tpot_p50_hdr_s_mean --y tpot_p99_hdr_s_mean --series server \
      --x-label "$x" --y-label "TPOT at the user (s)" --title "$t: TPOT p50, p99" -o "$FIG/continuous-study-$1-tpot.$ext"
  done
}
chart roofline-tx2 "paper-equivalent arrival rate λ·κ (req/s)" "(b) 20 × TX2, BLOOM-3B W8A16, roofline, time × κ"
chart azure-l4 "arrival rate (req/s), Azure conversation trace rescaled" "(c) 1 × L4, Llama-3.2-3B fp16, Azure conv"
