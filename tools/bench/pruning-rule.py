#!/usr/bin/env python3
"""Nodes of one full search tree (no feasible leaf) under three pruning rules,
with the node definition of MODEL.md §7: a node is a count vector
(v_1, ..., v_j), j >= 1, that the search enters (root not counted); a node's
children at level j are v = min(z - S, |F_j|) down to a lower bound; a node
with S = z is a leaf and is not expanded.

  none   (tree-search): down to 0;
  strict (dftsp, MODEL.md §7): down to z - S - sum_{k>j} |F_k|;
  weak   (the paper's line, which also counts the node's own level): a node's
         children are entered only if z - S <= sum_{k>=j} |F_k|, then all of
         them down to 0.

Hand check: levels (3, 3, 2), z = 8, strict: v1 in {3} (8 - 5), v2 in {3}
(5 - 2), v3 = 2 -> 3 nodes. Used in the Table III discussion of
docs/REPRODUCTION.md to show how much the rule changes the reduction.
"""
from functools import lru_cache


def count(levels, z, rule):
    k = len(levels)
    suf = [sum(levels[j:]) for j in range(k + 1)]

    @lru_cache(None)
    def below(j, s):
        if s == z or j == k:
            return 0
        if rule == "weak" and z - s > suf[j]:
            return 0
        hi = min(z - s, levels[j])
        lo = max(0, z - s - suf[j + 1]) if rule == "strict" else 0
        return sum(1 + below(j + 1, s + v) for v in range(hi, lo - 1, -1))

    return below(0, 0)


assert count((3, 3, 2), 8, "strict") == 3
for levels, z in [((3, 3, 2), 4), ((3, 3, 2), 8), ((13, 12, 12), 8), ((13, 12, 12), 37),
                  ((25, 24, 24), 11), ((25, 24, 24), 73), ((49, 49, 48), 14), ((49, 49, 48), 146)]:
    t, s, w = (count(levels, z, r) for r in ("none", "strict", "weak"))
    print(f"levels {levels} z={z}: tree-search {t}, strict {s} ({1 - s / t:.1%}), weak {w} ({1 - w / t:.1%})")
