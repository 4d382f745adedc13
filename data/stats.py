#!/usr/bin/env python3
"""Prints the statistics quoted in data/README.md, from the files beside it.

    python3 data/stats.py

Standard library only. Percentiles are nearest-rank (the smallest value with
at least p % of the values at or below it); the median is statistics.median.
"""

import collections
import csv
import datetime
import hashlib
import math
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))


def nearest_rank(values, p):
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def parse_ts(text):
    # "2023-11-16 18:15:46.6805900": seven fractional digits; keep six (µs).
    return datetime.datetime.strptime(text[:26], "%Y-%m-%d %H:%M:%S.%f")


def trace(name):
    path = os.path.join(HERE, "traces", name)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    ts = [parse_ts(r["TIMESTAMP"]) for r in rows]
    span = (ts[-1] - ts[0]).total_seconds()
    gaps = [(b - a).total_seconds() for a, b in zip(ts, ts[1:])]
    print(f"{name}: {len(rows)} requests, sha256 {sha256(path)}")
    print(f"  first {ts[0]}  last {ts[-1]}  span {span:.1f} s"
          f"  sorted {all(a <= b for a, b in zip(ts, ts[1:]))}")
    mean_gap = statistics.mean(gaps)
    print(f"  mean rate {len(rows) / span:.2f} req/s; inter-arrival gap"
          f" mean {mean_gap:.3f} s, median {statistics.median(gaps):.3f} s,"
          f" max {max(gaps):.1f} s, CV {statistics.pstdev(gaps) / mean_gap:.2f}")
    for col in ("ContextTokens", "GeneratedTokens"):
        v = [int(r[col]) for r in rows]
        print(f"  {col}: min {min(v)}, median {statistics.median(v):g},"
              f" mean {statistics.mean(v):.1f}, p90 {nearest_rank(v, 90)},"
              f" p99 {nearest_rank(v, 99)}, max {max(v)}")


def perf_model():
    path = os.path.join(HERE, "measured", "splitwise_perf_model.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    print(f"splitwise_perf_model.csv: {len(rows)} rows, sha256 {sha256(path)}")
    groups = collections.Counter(
        (r["model"], r["hardware"], r["tensor_parallel"]) for r in rows)
    for (model, hw, tp), n in sorted(groups.items()):
        sub = [r for r in rows
               if (r["model"], r["hardware"], r["tensor_parallel"]) == (model, hw, tp)]
        base = [r for r in sub
                if (r["prompt_size"], r["batch_size"], r["token_size"]) == ("512", "1", "128")]
        pt = statistics.median(float(r["prompt_time"]) for r in base)
        tt = statistics.median(float(r["token_time"]) for r in base)
        print(f"  {model} {hw} TP={tp}: {n} rows; at prompt 512, batch 1, 128 tokens:"
              f" median prompt_time {pt:.1f} ms, token_time {tt:.2f} ms")
    for col in ("prompt_size", "batch_size", "token_size"):
        print(f"  {col}: {sorted({int(r[col]) for r in rows})}")
    points = {(r["prompt_size"], r["batch_size"], r["token_size"]) for r in rows}
    print(f"  {len(points)} distinct (prompt_size, batch_size, token_size) points;"
          f" rows with peak_power = 0: {sum(float(r['peak_power']) == 0 for r in rows)}")


if __name__ == "__main__":
    trace("AzureLLMInferenceTrace_conv.csv")
    trace("AzureLLMInferenceTrace_code.csv")
    perf_model()
