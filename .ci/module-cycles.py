#!/usr/bin/env python3
"""Fails when two top-level modules of a crate import each other (issue 11).

A module's imports are the `crate::<module>` paths in its non-test code (a
file, or a directory module with its files). Comments and `#[cfg(test)]`
sections are left out. Prints each pair and exits 1 if there is any.
"""
import os
import re
import sys

CRATES = ["sim-core", "sim-models", "sim-schedulers", "tools"]


def imports(crate):
    src = os.path.join(crate, "src")
    graph = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            top = os.path.relpath(path, src).split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            text = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
            cut = text.find("#[cfg(test)]")
            if cut >= 0:
                text = text[:cut]
            refs = set(re.findall(r"crate::(\w+)", text))
            for group in re.findall(r"use crate::\{([^}]*)\}", text):
                refs |= {x.strip().split("::")[0] for x in group.split(",") if x.strip()}
            graph.setdefault(top, set()).update(r for r in refs if r != top)
    return graph


def main():
    bad = []
    for crate in CRATES:
        g = imports(crate)
        for a in sorted(g):
            for b in sorted(g[a]):
                if a < b and a in g.get(b, set()):
                    bad.append(f"{crate}: `{a}` and `{b}` import each other")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
