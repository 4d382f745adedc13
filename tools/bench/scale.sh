#!/usr/bin/env bash
# The schedulers' solve time per epoch against the queue length, 10² … 10⁵
# pending requests, and the fitted growth exponent (issue 12).
#
# Queues: paper-default runs (scenarios/default.ron: BLOOM-3B, W8A16, per-user
# Rayleigh gains, 20 MHz bands, seed 1) at high arrival rates, every epoch's
# instance dumped (`edgesim run --dump-instances`); with τ ≤ 2 s every request
# left over expires, so an epoch's queue is the last T_C = 1.5 s of arrivals
# (≈ 0.735·λ pending, whatever the scheduler) and the runs use `greedy`, the
# cheapest. A second set of runs uses 1 kHz bands (`channel.bandwidth_up` =
# `bandwidth_down` = 1e3), where bandwidth binds and exact has to search.
# Epoch 0 (empty queue) is dropped.
#
# Each series re-solves every instance with `edgesim resolve` (one call after
# the other, one thread), REPEAT times; per instance the fastest call is kept
# (the machine is shared), then per rate the median over instances. Series:
#   SCHEDULERS (default dftsp tree-search exact greedy), z_start bound, 20 MHz;
#   ALL_SCHEDULERS (default dftsp tree-search) with --z-start all, 20 MHz,
#     rates up to ALL_RATE_MAX;
#   BAND_SCHEDULERS (default exact) on the 1 kHz runs, rates up to BAND_RATE_MAX.
# An empty ALL_SCHEDULERS or BAND_SCHEDULERS leaves that series out.
# The growth exponent is the least-squares slope of log(median solve time)
# against log(median queue) over the rates whose median queue lies in
# [FIT_MIN, FIT_MAX] (default 900 … 110 000: 10³ … 10⁵, with room for the
# queues drawn around them).
#
# Writes (from the repository root) docs/figures/scale.csv (one row per
# series × rate) and docs/figures/scale-fit.csv (one row per series), and
# prints both. Environment: BIN (the edgesim binary; default: build
# target/release/edgesim), WORK (scratch directory; instances already there
# are reused, so two binaries can be compared on the same queues), RATES,
# REPEAT (default 3), OUT (default docs/figures/scale), SEED (default 1),
# ANALYZE_ONLY (set: only redo the tables from the resolve CSVs already in
# WORK/raw-<basename of OUT>), USERS (default 1: then run tools/bench/users.sh
# with the same BIN, for the user-count series and the 24-hour run; 0 skips).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# λ ≈ queue / 0.735: queues ≈ 100, 300, 1 000, 1 470, 3 000, 7 350, 10 000, 30 000, 70 000, 100 000.
RATES=${RATES:-"136 408 1361 2000 4082 10000 13605 40816 95238 136054"}
ALL_RATE_MAX=${ALL_RATE_MAX:-136054}
BAND_RATE_MAX=${BAND_RATE_MAX:-136054}
SCHEDULERS=${SCHEDULERS:-"dftsp tree-search exact greedy"}
ALL_SCHEDULERS=${ALL_SCHEDULERS-"dftsp tree-search"}
BAND_SCHEDULERS=${BAND_SCHEDULERS-"exact"}
REPEAT=${REPEAT:-3}
SEED=${SEED:-1}
FIT_MIN=${FIT_MIN:-900}
FIT_MAX=${FIT_MAX:-110000}
OUT=${OUT:-$ROOT/docs/figures/scale}
WORK=${WORK:-$(mktemp -d)}
if [ -z "${BIN:-}" ] && [ -z "${ANALYZE_ONLY:-}" ]; then
  cargo build --release -p tools --quiet
  BIN=$ROOT/target/release/edgesim
fi
mkdir -p "$WORK" "$(dirname "$OUT")"

# Epochs per run: enough instances for a median, few for the largest queues.
epochs_for() {
  if [ "$1" -le 1400 ]; then echo 20; elif [ "$1" -le 14000 ]; then echo 6; else echo 3; fi
}

# dump KIND RATE: instances of one run into $WORK/KIND-rRATE/instances (reused if present).
dump() {
  local kind=$1 rate=$2 dir=$WORK/$1-r$2
  [ -d "$dir/instances" ] && return 0
  local e
  e=$(epochs_for "$rate")
  local extra=()
  [ "$kind" = band1k ] && extra=(--set channel.bandwidth_up=1e3 --set channel.bandwidth_down=1e3)
  "$BIN" run --set arrivals.rate="$rate" --set horizon="$(awk -v e="$e" 'BEGIN { print 1.5 * e + 0.1 }')" \
    --set scheduler.name=greedy "${extra[@]}" --seed "$SEED" \
    --dump-instances --quiet --out "$dir" >/dev/null
  rm -f "$dir/instances/epoch-000000.ron"
}

RAW=$WORK/raw-$(basename "$OUT")
[ -n "${ANALYZE_ONLY:-}" ] || rm -rf "$RAW"
mkdir -p "$RAW"
# series LABEL KIND Z_START RATE SCHEDULER...: REPEAT resolve CSVs per rate.
series() {
  local label=$1 kind=$2 zs=$3 rate=$4
  shift 4
  local args=()
  for s in "$@"; do args+=(-s "$s"); done
  for k in $(seq 1 "$REPEAT"); do
    "$BIN" resolve "$WORK/$kind-r$rate/instances" "${args[@]}" --z-start "$zs" \
      -o "$RAW/$label-r$rate-k$k.csv" >/dev/null
  done
  echo "$label λ=$rate done" >&2
}

for R in $RATES; do
  [ -n "${ANALYZE_ONLY:-}" ] && break
  dump paper "$R"
  # shellcheck disable=SC2086
  series bound paper bound "$R" $SCHEDULERS
  if [ -n "$ALL_SCHEDULERS" ] && [ "$R" -le "$ALL_RATE_MAX" ]; then
    # shellcheck disable=SC2086
    series all paper all "$R" $ALL_SCHEDULERS
  fi
  if [ -n "$BAND_SCHEDULERS" ] && [ "$R" -le "$BAND_RATE_MAX" ]; then
    dump band1k "$R"
    # shellcheck disable=SC2086
    series band1k band1k bound "$R" $BAND_SCHEDULERS
  fi
done

python3 - "$RAW" "$OUT" "$FIT_MIN" "$FIT_MAX" <<'EOF'
import csv, glob, math, os, re, statistics, sys
raw, out, fit_min, fit_max = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
# (label, rate) -> {scheduler: {file: best ns}}, and queue per file
best, queue = {}, {}
for path in sorted(glob.glob(os.path.join(raw, "*.csv"))):
    label, rate, _ = re.match(r"(.+)-r(\d+)-k(\d+)\.csv$", os.path.basename(path)).groups()
    with open(path) as f:
        for row in csv.DictReader(f):
            queue[(label, rate, row["file"])] = int(row["candidates"])
            for key, v in row.items():
                if key.endswith("_solve_ns") and v:
                    s = key[: -len("_solve_ns")]
                    d = best.setdefault((label, int(rate)), {}).setdefault(s, {})
                    d[row["file"]] = min(d.get(row["file"], 1 << 62), int(v))
rows = []
for (label, rate), per in sorted(best.items()):
    for s, files in per.items():
        q = statistics.median(queue[(label, str(rate), f)] for f in files)
        t = statistics.median(files.values()) / 1e6
        name = {"bound": s, "all": s + " (z_start all)", "band1k": s + " (1 kHz bands)"}[label]
        rows.append((name, rate, q, len(files), t, max(files.values()) / 1e6))
rows.sort(key=lambda r: (r[0], r[1]))
with open(out + ".csv", "w") as f:
    f.write("series,rate,queue_median,instances,solve_ms_median,solve_ms_max\n")
    for r in rows:
        f.write("%s,%d,%g,%d,%.4f,%.4f\n" % r)
fits = []
for name in sorted({r[0] for r in rows}):
    pts = [(math.log(r[2]), math.log(r[4])) for r in rows if r[0] == name and fit_min <= r[2] <= fit_max and r[4] > 0]
    if len(pts) >= 2:
        mx = sum(x for x, _ in pts) / len(pts)
        my = sum(y for _, y in pts) / len(pts)
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        slope = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else float("nan")
        fits.append((name, slope, len(pts)))
with open(out + "-fit.csv", "w") as f:
    f.write("series,exponent,points\n")
    for r in fits:
        f.write("%s,%.3f,%d\n" % r)
print("%-28s %7s %9s %5s %12s %12s" % ("series", "rate", "queue", "inst", "median ms", "max ms"))
for r in rows:
    print("%-28s %7d %9g %5d %12.4f %12.4f" % r)
print()
print("growth exponent, least squares on log-log, queue in [%g, %g]:" % (fit_min, fit_max))
for r in fits:
    print("  %-28s %.3f (%d points)" % r)
EOF

if [ "${USERS:-1}" != 0 ] && [ -z "${ANALYZE_ONLY:-}" ]; then
  echo
  BIN=$BIN WORK=$WORK/users "$ROOT/tools/bench/users.sh"
fi
