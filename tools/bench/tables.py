#!/usr/bin/env python3
"""Markdown tables of docs/REPRODUCTION.md from a sweep's results.csv.

    tools/bench/tables.py docs/figures/fig5a.csv arrivals_rate λ model scheduler_name
    tools/bench/tables.py docs/figures/fig5b.csv requests_latency τ_max model scheduler_name

Each cell: mean ± 95 % CI half-width of `throughput_per_epoch` (the sweep's
Student-t interval, (ci_hi − ci_lo)/2), to two decimals. Rows in first-seen
order of the series columns; columns in first-seen order of the x column.
An x column holding a RON range (`Uniform(lo: …, hi: …)`) is labelled by
its `hi` field.
"""
import csv
import re
import sys


def label(v):
    m = re.search(r"hi:\s*([0-9.eE+-]+)", v)
    if m:
        v = m.group(1)
    return f"{float(v):g}"


def main():
    path, xcol, xname, *series = sys.argv[1:]
    rows = list(csv.DictReader(open(path)))
    xs, keys, cells = [], [], {}
    for r in rows:
        x = label(r[xcol])
        k = tuple(r[s] for s in series)
        if x not in xs:
            xs.append(x)
        if k not in keys:
            keys.append(k)
        m = float(r["throughput_per_epoch_mean"])
        h = (float(r["throughput_per_epoch_ci_hi"]) - float(r["throughput_per_epoch_ci_lo"])) / 2
        cells[(k, x)] = f"{m:.2f} ± {h:.2f}"
    print("| " + " | ".join(series) + " | " + " | ".join(f"{xname}={x}" for x in xs) + " |")
    print("|" + "---|" * (len(series) + len(xs)))
    for k in keys:
        print("| " + " | ".join(k) + " | " + " | ".join(cells.get((k, x), "") for x in xs) + " |")


if __name__ == "__main__":
    main()
