#!/usr/bin/env bash
# The radio study of docs/radio.md §9 (issue 16, item 4): on-time throughput
# and TTFT against the cell radius and against the uplink bandwidth, for the
# epoch pipeline (dftsp, exact) and continuous serving (vLLM-like FCFS, 4
# sequences, tokens streamed over the radio: the best continuous setting of
# docs/continuous.md at this load), with the paper's prompts and with the
# Azure conversation trace's. Every sweep, CSV and chart of that section,
# from the scenarios beside this script; a few minutes on 2 cores.
#   scenarios/radio/study.sh [OUT_DIR]     (default out/radio-study)
set -euo pipefail
cd "$(dirname "$0")/../.."
E=${EDGESIM:-target/release/edgesim}
OUT=${1:-out/radio-study}
FIG=docs/figures/radio
mkdir -p "$OUT" "$FIG"

CONT='Continuous((policy: Fcfs, tensor_parallel: 20, max_num_seqs: 4, delivery: Streamed, channel: Radio))'
declare -A AXIS=(
  [cell-radius]='(path: "channel.model.placement", values: [Annulus(r_min: 35.0, r_max: 100.0), Annulus(r_min: 35.0, r_max: 250.0), Annulus(r_min: 35.0, r_max: 500.0), Annulus(r_min: 35.0, r_max: 1000.0), Annulus(r_min: 35.0, r_max: 2000.0), Annulus(r_min: 35.0, r_max: 5000.0)])'
  [bandwidth]='(path: "channel.bandwidth_up", values: [10e3, 20e3, 50e3, 100e3, 200e3, 500e3, 1e6, 5e6, 20e6])'
)

# 1. The sweeps: each scenario as written (epochs, dftsp and exact), then
#    the same grid under continuous serving (the scheduler axis dropped).
for s in cell-radius bandwidth; do
  for w in "" -azure; do
    "$E" sweep "scenarios/radio/$s$w.ron" --out "$OUT/$s$w" --quiet --jobs 2
    "$E" sweep "scenarios/radio/$s$w.ron" --out "$OUT/$s$w-continuous" --quiet --jobs 2 \
      --set "serving=$CONT" --set "sweep=Some((replications: 3, grid: [${AXIS[$s]}]))"
  done
done

# 2. One CSV per study: the epoch rows (mode = the scheduler) and the
#    continuous rows (mode = continuous), with the x value as a number
#    (r_max in m, or B^U in MHz) and the trace as a column.
python3 - "$OUT" "$FIG" <<'PY'
import csv, re, sys
out, fig = sys.argv[1], sys.argv[2]
for study, col, x in [("cell-radius", "channel_model_placement", "r_max_m"),
                      ("bandwidth", "channel_bandwidth_up", "bandwidth_up_mhz")]:
    rows = []
    for w, prompts in [("", "paper"), ("-azure", "azure")]:
        for mode_dir in ["", "-continuous"]:
            for r in csv.DictReader(open(f"{out}/{study}{w}{mode_dir}/results.csv")):
                v = r[col]
                xv = float(re.search(r"r_max:\s*([0-9.e+]+)", v).group(1)) if x == "r_max_m" else float(v) / 1e6
                mode = r.get("scheduler_name", "dftsp") if not mode_dir else "continuous"
                rows.append({x: xv, "prompts": prompts, "mode": mode, "series": f"{mode}, {prompts}", **r})
    keys = [x, "prompts", "mode", "series"] + [k for k in rows[0] if k not in (x, "prompts", "mode", "series")]
    for r in rows:
        r.setdefault("scheduler_name", "")
    keys += [k for k in rows[-1] if k not in keys]
    with open(f"{fig}/{study}.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=keys, restval="")
        wr.writeheader()
        wr.writerows(rows)
PY

# 3. Charts (SVG and PNG).
for ext in svg png; do
  "$E" plot "$FIG/cell-radius.csv" --x r_max_m --y throughput_rps_mean --series series --dotted azure --log-x \
    --title "On-time throughput vs cell radius (UMa 3.5 GHz, CQI, 20 MHz, λ = 25/s)" \
    --x-label "cell radius r_max (m)" -o "$FIG/cell-radius-throughput.$ext"
  "$E" plot "$FIG/cell-radius.csv" --x r_max_m --y ttft_p50_hdr_s_mean --series series --dotted azure --log-x \
    --title "TTFT p50 at the user vs cell radius" \
    --x-label "cell radius r_max (m)" -o "$FIG/cell-radius-ttft.$ext"
  "$E" plot "$FIG/cell-radius.csv" --x r_max_m --y se_up_mean --series series --dotted azure --log-x \
    --title "Mean uplink SE of the served requests vs cell radius" \
    --x-label "cell radius r_max (m)" -o "$FIG/cell-radius-se-up.$ext"
  "$E" plot "$FIG/bandwidth.csv" --x bandwidth_up_mhz --y throughput_rps_mean --series series --dotted azure --log-x \
    --title "On-time throughput vs uplink bandwidth (UMa 3.5 GHz, 35–500 m, CQI, λ = 25/s)" \
    --x-label "uplink bandwidth B^U (MHz)" -o "$FIG/bandwidth-throughput.$ext"
  "$E" plot "$FIG/bandwidth.csv" --x bandwidth_up_mhz --y ttft_p50_hdr_s_mean --series series --dotted azure --log-x \
    --title "TTFT p50 at the user vs uplink bandwidth" \
    --x-label "uplink bandwidth B^U (MHz)" -o "$FIG/bandwidth-ttft.$ext"
  "$E" plot "$FIG/bandwidth.csv" --x bandwidth_up_mhz --y uplink_utilisation_mean --series series --dotted azure --log-x \
    --title "Uplink utilisation vs uplink bandwidth" \
    --x-label "uplink bandwidth B^U (MHz)" -o "$FIG/bandwidth-uplink-utilisation.$ext"
done
echo "CSVs and charts in $FIG"
