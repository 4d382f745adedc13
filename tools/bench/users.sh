#!/usr/bin/env bash
# Users cost by activity (issue 12): wall time per simulated request and peak
# memory against the user count at a fixed total rate, and the 24-hour run.
#
# User series: scenarios/long-horizon.ron (BLOOM-3B, W8A16, exact, λ = RATE
# req/s in total) cut to HORIZON s (default 3600: 9·10⁵ requests at λ = 250),
# with users.count = each of USER_COUNTS (default 10³ 10⁴ 10⁵ 5·10⁵). Per run:
# requests generated (`arrived_total`), the run's own wall time (`wall_s`,
# summary.json) per request, and peak RSS (GNU time). Each point is run
# REPEAT times (default 3), binaries interleaved; the fastest wall time and
# the largest RSS are kept. The ratio column is against the first user count
# of the same binary in the same run (per-request time relative to 10³ users).
#
# Day: the 24-hour run (scenarios/long-horizon.ron as it is: 50 users,
# λ = 250, exact), DAY_REPEAT times (default 3), with its peak RSS beside
# that of a 1-hour run of the same binary (memory flat ⇔ ratio ≈ 1).
#
# BASE_BIN (optional): a second binary (e.g. built from an older commit) run
# interleaved with BIN on every point; its columns and new/base ratios are
# printed beside. A user count a binary refuses (its MAX_USERS) is shown as
# "refused".
#
# Writes docs/figures/users.csv (OUT) and prints a table. Environment: BIN
# (default: build target/release/edgesim), BASE_BIN, USER_COUNTS, RATE,
# HORIZON, REPEAT, DAY_REPEAT (0 skips the day), SEED (default 1), OUT, WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
USER_COUNTS=${USER_COUNTS:-"1000 10000 100000 500000"}
RATE=${RATE:-250}
HORIZON=${HORIZON:-3600}
REPEAT=${REPEAT:-3}
DAY_REPEAT=${DAY_REPEAT:-3}
SEED=${SEED:-1}
OUT=${OUT:-$ROOT/docs/figures/users}
WORK=${WORK:-$(mktemp -d)}
if [ -z "${BIN:-}" ]; then
  cargo build --release -p tools --quiet
  BIN=$ROOT/target/release/edgesim
fi
BINS=("new:$BIN")
[ -n "${BASE_BIN:-}" ] && BINS+=("base:$BASE_BIN")
mkdir -p "$WORK" "$(dirname "$OUT")"
RAW=$WORK/users-raw.csv
echo "label,kind,users,horizon,requests,wall_s,rss_kb" >"$RAW"

# one LABEL BINARY KIND USERS HORIZON: one run, one row of $RAW.
one() {
  local label=$1 bin=$2 kind=$3 users=$4 horizon=$5 dir=$WORK/run
  rm -rf "$dir"
  local set_users=()
  [ "$users" != - ] && set_users=(--set users.count="$users")
  if /usr/bin/time -f %M -o "$WORK/rss" "$bin" run scenarios/long-horizon.ron \
    --set horizon="$horizon" --set arrivals.rate="$RATE" "${set_users[@]}" --seed "$SEED" \
    --quiet --out "$dir" >/dev/null 2>"$WORK/err"; then
    echo "$label,$kind,$users,$horizon,$(jq -r '"\(.arrived_total),\(.wall_s)"' "$dir/summary.json"),$(cat "$WORK/rss")" >>"$RAW"
  else
    echo "$label,$kind,$users,$horizon,,,refused" >>"$RAW"
  fi
}

for k in $(seq 1 "$REPEAT"); do
  for U in $USER_COUNTS; do
    for b in "${BINS[@]}"; do one "${b%%:*}" "${b#*:}" users "$U" "$HORIZON"; done
    echo "users=$U round $k done" >&2
  done
done
for k in $(seq 1 "$DAY_REPEAT"); do
  for b in "${BINS[@]}"; do
    one "${b%%:*}" "${b#*:}" day - 86400
    one "${b%%:*}" "${b#*:}" hour - 3600
  done
  echo "day round $k done" >&2
done

python3 - "$RAW" "$OUT" <<'PY'
import csv, sys
raw, out = sys.argv[1], sys.argv[2]
best = {}  # (label, kind, users) -> (requests, best wall, max rss) or None if refused
for r in csv.DictReader(open(raw)):
    key = (r["label"], r["kind"], r["users"])
    if r["rss_kb"] == "refused":
        best.setdefault(key, None)
        continue
    req, wall, rss = int(r["requests"]), float(r["wall_s"]), int(r["rss_kb"])
    old = best.get(key)
    best[key] = (req, min(wall, old[1]) if old else wall, max(rss, old[2]) if old else rss)
labels = sorted({k[0] for k in best}, key=lambda l: l != "new")
users = sorted({int(k[2]) for k in best if k[1] == "users"})
rows = []
def fmt(x, f):
    return "refused" if x is None else f % x
with open(out + ".csv", "w") as f:
    f.write("binary,series,users,requests,wall_s,us_per_request,max_rss_mb\n")
    for (label, kind, u), v in sorted(best.items()):
        if v:
            f.write("%s,%s,%s,%d,%.4f,%.4f,%.1f\n" % (label, kind, u, v[0], v[1], v[1] / v[0] * 1e6, v[2] / 1024))
        else:
            f.write("%s,%s,%s,,,,\n" % (label, kind, u))
print("user series: λ = total rate, per-request = fastest in-run wall time / requests; ratio vs the first user count")
hdr = "%9s" % "users"
for l in labels:
    hdr += " | %-6s %9s %9s %7s" % (l, "µs/req", "MB", "ratio")
if len(labels) > 1:
    hdr += " | new/base µs  MB"
print(hdr)
for u in users:
    line = "%9d" % u
    for l in labels:
        v = best.get((l, "users", str(u)))
        first = best.get((l, "users", str(users[0])))
        if v is None:
            line += " | %-6s %9s %9s %7s" % (l, "refused", "", "")
        else:
            us = v[1] / v[0] * 1e6
            ratio = us / (first[1] / first[0] * 1e6) if first else float("nan")
            line += " | %-6s %9.3f %9.1f %7.2f" % (l, us, v[2] / 1024, ratio)
    if len(labels) > 1:
        n, b = best.get(("new", "users", str(u))), best.get(("base", "users", str(u)))
        if n and b:
            line += " | %11.3f %5.2f" % ((n[1] / n[0]) / (b[1] / b[0]), n[2] / b[2])
    print(line)
if any(k[1] == "day" for k in best):
    print()
    print("24-hour run (50 users, λ = 250, exact): fastest wall, peak RSS; RSS ratio day/hour (flat ≈ 1)")
    for l in labels:
        d, h = best.get((l, "day", "-")), best.get((l, "hour", "-"))
        if d and h:
            print("  %-6s wall %.2f s (%d requests, %.3f µs/req)  RSS %.1f MB  day/hour RSS %.2f"
                  % (l, d[1], d[0], d[1] / d[0] * 1e6, d[2] / 1024, d[2] / h[2]))
    if len(labels) > 1:
        n, b = best.get(("new", "day", "-")), best.get(("base", "day", "-"))
        if n and b:
            print("  new/base wall %.2f, RSS %.2f" % (n[1] / b[1], n[2] / b[2]))
PY
