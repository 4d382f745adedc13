#!/usr/bin/env python3
"""Generates data/traces/replay-example.jsonl, the trace of the worked example
"Replaying a measured serving run" (docs/continuous.md; MODEL.md §13, issue 15
item 5). Standard library only; the same bytes on every run:

    python3 data/gen_replay_example.py > data/traces/replay-example.jsonl

It stands in for the request log of a serving benchmark (such as vLLM's
benchmarks/benchmark_serving.py with --request-rate 4): one JSON object per
line, in send order, with

    arrival_s      s since the benchmark's first request (6 decimals, 1 µs)
    prompt_tokens  tokens in the prompt
    output_tokens  tokens generated (the benchmark fixes it, e.g. ignore_eos)

The numbers are synthetic, not measured: 400 requests, Poisson arrivals at
4 req/s (exponential gaps, mean 0.25 s); prompt and output lengths lognormal
with medians 512 and 128 tokens and log-standard deviations 0.8 and 0.7,
rounded to whole tokens and clamped to [16, 4096] and [8, 1024] (shapes of
the order of chat benchmarks; the Azure conversation trace has medians
1 020 and 129, docs/workloads.md). Python's `random.Random(seed)` gives the
same stream on every platform and version since 3.2.
"""
import json
import math
import random
import sys

SEED = 15          # issue 15
REQUESTS = 400
RATE = 4.0         # req/s
PROMPT = (512, 0.8, 16, 4096)   # median, log-sd, min, max (tokens)
OUTPUT = (128, 0.7, 8, 1024)


def length(rng, median, sigma, lo, hi):
    return min(hi, max(lo, round(rng.lognormvariate(math.log(median), sigma))))


def main():
    rng = random.Random(SEED)
    t = 0.0
    for i in range(REQUESTS):
        if i > 0:
            t += rng.expovariate(RATE)
        row = {
            "arrival_s": round(t, 6),
            "prompt_tokens": length(rng, *PROMPT),
            "output_tokens": length(rng, *OUTPUT),
        }
        sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
