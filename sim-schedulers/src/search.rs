//! The search shared by `dftsp` and `tree-search`: the paper's Algorithm 1
//! with the padding-cap loop and the `z_max` start of MODEL.md §7, with the
//! pruning rule switched on (dftsp) or off (tree-search).
//!
//! # The loops (MODEL.md §7, "The loops in full")
//!
//! - caps `s'` ascending: each distinct prompt length of the selectable
//!   candidates; a cap's candidates are the selectable ones with `s_i ≤ s'`,
//!   ranked by budget `D_i − t_k` descending, ties by ascending id;
//! - per cap, `z` from `z_max` (or the candidate count, `z_start: all`) down
//!   to the first `z` with a feasible leaf;
//! - per `z`, `d` from `z` to the cap's candidate count, or to the first
//!   feasible leaf: `F_d` is the top `d`, grouped by output level (the levels
//!   present in `F_d`, shortest first), each level's members ordered by `ρU`
//!   ascending, ties by id;
//! - the tree over count vectors `(v_1, …, v_j)`: a node's children are
//!   `v = min(z − Σv, |F_j|)` down to 0 (dftsp: down to the strict pruning bound
//!   `z − Σv − Σ_{k>j}|F_k|`); a node with `Σv = z` is a leaf, checked against
//!   (1a)–(1c), (1g) exactly and (1d) against `τ_min` = the `d`-th budget, all
//!   at the cap `s'`; the first feasible leaf ends the cap.
//!
//! A larger cap replaces the incumbent only with a strictly larger `z`.
//!
//! # Nodes, and what is skipped
//!
//! Nodes are counted exactly as MODEL.md §7 defines them. The walk enters only
//! subtrees that can hold a feasible leaf; a skipped subtree adds its node
//! count in closed form (a table `P[depth][r]` of prefix sums of subtree
//! sizes, filled in `O(K·z)` per tree when first needed), so `nodes` is the
//! count the plain walk would report and the selection is the same:
//!
//! - time and memory grow strictly with the output level, so the cheapest
//!   completion of a node fills the shortest remaining levels first — which is
//!   also the first leaf the walk would reach below it. If that completion
//!   violates (1c), (1d) or (1g), no leaf below the node is feasible, and
//!   neither is any leaf below its smaller siblings (they push requests into
//!   longer levels): the node and all its smaller siblings are skipped;
//! - `Σρ` only grows down a path: a node whose partial `ΣρU` or `ΣρD` already
//!   exceeds 1 is skipped with its subtree.
//!
//! Per node the work is O(1) in the queue length (O(K) for the completion):
//! per-level prefix sums of `ρU`, `ρD` (fixed point) and FLOPs per level as
//! count × per-request FLOPs at the cap. Buffers are reused across calls.
//!
//! `Work::leaves` counts the leaves the walk actually evaluated (a skipped
//! subtree's leaves are counted as nodes, not as leaves).

use std::cmp::Reverse;

use crate::batch::flops_of;
use sim_models::instance::{Instance, RHO_ONE};
use sim_models::scheduler::Work;

use crate::options::ZStart;

use crate::batch::{flop_limit, time_limit_ns};

/// The reusable search state (scratch buffers), for one scheduler instance.
#[derive(Clone, Debug)]
pub(crate) struct SearchCore {
    prune: bool,
    z_start: ZStart,
    // Per call.
    selectable: Vec<usize>,
    own_cost: Vec<(f64, usize)>,
    /// Per request index: the FLOP limit when its budget is `τ_min` ((1d), (1g)).
    req_flim: Vec<u128>,
    // Per cap.
    ranked: Vec<usize>,
    levels: Vec<u32>,
    level_of: Vec<usize>,
    flim: Vec<u128>,
    costs: Vec<f64>,
    // Per level (global index within the cap): members sorted by (ρU, id).
    keys: Vec<Vec<(u64, usize)>>,
    pre_u: Vec<Vec<u64>>,
    pre_d: Vec<Vec<u64>>,
    dirty: Vec<bool>,
    // Per tree.
    present: Vec<usize>,
    a: Vec<u32>,
    f: Vec<u128>,
    tok: Vec<u64>,
    suf: Vec<u32>,
    table: Vec<u64>,
    path: Vec<u32>,
}

impl SearchCore {
    /// A search with pruning on (dftsp) or off (tree-search).
    pub fn new(prune: bool, z_start: ZStart) -> SearchCore {
        SearchCore {
            prune,
            z_start,
            selectable: vec![],
            own_cost: vec![],
            req_flim: vec![],
            ranked: vec![],
            levels: vec![],
            level_of: vec![],
            flim: vec![],
            costs: vec![],
            keys: vec![],
            pre_u: vec![],
            pre_d: vec![],
            dirty: vec![],
            present: vec![],
            a: vec![],
            f: vec![],
            tok: vec![],
            suf: vec![],
            table: vec![],
            path: vec![],
        }
    }

    /// Solves one instance: the selection (indices into `inst.requests`,
    /// ascending) and the work done.
    pub fn solve(&mut self, inst: &Instance) -> (Vec<usize>, Work) {
        let mut work = Work::default();
        // A batch always holds ≥ 1 token per request, so "no memory" ⇔ limit 0.
        let kv_lim = inst.kv_token_capacity().unwrap_or(0);
        self.selectable.clear();
        self.selectable
            .extend((0..inst.requests.len()).filter(|&i| inst.selectable(&inst.requests[i])));
        // Single-request cost at its own prompt, f64 seconds, for z_max (MODEL.md §7).
        self.own_cost.clear();
        self.req_flim.clear();
        self.req_flim.resize(inst.requests.len(), 0);
        for &i in &self.selectable {
            let c = &inst.requests[i];
            self.req_flim[i] = time_limit_ns(inst, c.budget_ns).map_or(0, |x| flop_limit(inst, x));
            let secs = flops_of(inst).quant.beta
                * flops_of(inst).model.request_flops(c.prompt, c.output) as f64
                / flops_of(inst).flop_rate;
            self.own_cost.push((secs, i));
        }
        let mut caps: Vec<u32> = self
            .selectable
            .iter()
            .map(|&i| inst.requests[i].prompt)
            .collect();
        caps.sort_unstable();
        caps.dedup();

        let mut best: (u32, Vec<usize>) = (0, vec![]);
        for &cap in &caps {
            if let Some((z, sel)) = self.solve_cap(inst, cap, kv_lim, &mut work) {
                if z > best.0 {
                    best = (z, sel);
                }
            }
        }
        best.1.sort_unstable();
        (best.1, work)
    }

    /// The search for one padding cap: `Some((z, selection))` at the first feasible leaf.
    fn solve_cap(
        &mut self,
        inst: &Instance,
        cap: u32,
        kv_lim: u64,
        work: &mut Work,
    ) -> Option<(u32, Vec<usize>)> {
        let reqs = &inst.requests;
        self.ranked.clear();
        self.ranked.extend(
            self.selectable
                .iter()
                .copied()
                .filter(|&i| reqs[i].prompt <= cap),
        );
        // Budget descending, ties by ascending id (= index).
        self.ranked
            .sort_unstable_by_key(|&i| (Reverse(reqs[i].budget_ns), i));
        let n = self.ranked.len();
        let z_max = match self.z_start {
            ZStart::All => n,
            ZStart::Bound => self.z_bound(inst, cap),
        };
        if z_max == 0 {
            return None;
        }
        // Output levels at this cap, shortest first.
        self.levels.clear();
        self.levels
            .extend(self.ranked.iter().map(|&i| reqs[i].output));
        self.levels.sort_unstable();
        self.levels.dedup();
        self.level_of.clear();
        for &i in &self.ranked {
            let l = self.levels.binary_search(&reqs[i].output).expect("present");
            self.level_of.push(l);
        }
        let nl = self.levels.len();
        let lvl_flops: Vec<u128> = self
            .levels
            .iter()
            .map(|&o| flops_of(inst).model.request_flops(cap, o))
            .collect();
        let lvl_tok: Vec<u64> = self.levels.iter().map(|&o| cap as u64 + o as u64).collect();
        // FLOP limit for τ_min = the d-th budget: (1d) and (1g) as one integer bound.
        self.flim.clear();
        self.flim
            .extend(self.ranked.iter().map(|&i| self.req_flim[i]));
        if self.keys.len() < nl {
            self.keys.resize(nl, vec![]);
            self.pre_u.resize(nl, vec![]);
            self.pre_d.resize(nl, vec![]);
            self.dirty.resize(nl, false);
        }

        for z in (1..=z_max as u32).rev() {
            for l in 0..nl {
                self.keys[l].clear();
                self.dirty[l] = true;
            }
            for p in 0..(z as usize - 1) {
                self.insert(inst, p);
            }
            for d in z as usize..=n {
                self.insert(inst, d - 1);
                // The tree's levels: those present in F_d, shortest first.
                self.present.clear();
                self.a.clear();
                self.f.clear();
                self.tok.clear();
                for l in 0..nl {
                    if !self.keys[l].is_empty() {
                        self.present.push(l);
                        self.a.push(self.keys[l].len() as u32);
                        self.f.push(lvl_flops[l]);
                        self.tok.push(lvl_tok[l]);
                    }
                }
                let k = self.present.len();
                self.suf.clear();
                self.suf.resize(k + 1, 0);
                for j in (0..k).rev() {
                    self.suf[j] = self.suf[j + 1] + self.a[j];
                }
                // The prefix sums of ρ are only read once a child passes the
                // time/memory test, which the root's cheapest leaf decides:
                // rebuild them only then (most trees fail right at the root).
                if root_may_pass(&self.a, &self.f, &self.tok, z, self.flim[d - 1], kv_lim) {
                    for &l in &self.present {
                        if self.dirty[l] {
                            rebuild_prefix(
                                inst,
                                &self.keys[l],
                                &mut self.pre_u[l],
                                &mut self.pre_d[l],
                            );
                            self.dirty[l] = false;
                        }
                    }
                }
                self.path.clear();
                self.path.resize(k, 0);
                let mut tree = Tree {
                    prune: self.prune,
                    z,
                    a: &self.a,
                    f: &self.f,
                    tok: &self.tok,
                    suf: &self.suf,
                    present: &self.present,
                    pre_u: &self.pre_u,
                    pre_d: &self.pre_d,
                    flim: self.flim[d - 1],
                    kv_lim,
                    table: &mut self.table,
                    table_ready: false,
                    path: &mut self.path,
                    depth: 0,
                    nodes: 0,
                    leaves: 0,
                };
                let found = tree.dfs(0, z, 0, 0, 0, 0);
                let depth = tree.depth;
                work.nodes = work.nodes.saturating_add(tree.nodes);
                work.leaves = work.leaves.saturating_add(tree.leaves);
                if found {
                    let mut sel = Vec::with_capacity(z as usize);
                    for j in 0..depth {
                        let l = self.present[j];
                        sel.extend(
                            self.keys[l][..self.path[j] as usize]
                                .iter()
                                .map(|&(_, i)| i),
                        );
                    }
                    return Some((z, sel));
                }
            }
        }
        None
    }

    /// `z_max` for a cap (MODEL.md §7): the largest `z` whose `z` smallest
    /// single-request costs (each at its own prompt) sum to at most
    /// `min(T_C, max budget − T_U − T_D) + 1 ns`, in f64 seconds.
    fn z_bound(&mut self, inst: &Instance, cap: u32) -> usize {
        let reqs = &inst.requests;
        self.costs.clear();
        self.costs.extend(
            self.own_cost
                .iter()
                .filter(|&&(_, i)| reqs[i].prompt <= cap)
                .map(|&(s, _)| s),
        );
        self.costs.sort_unstable_by(f64::total_cmp);
        let max_budget = reqs[self.ranked[0]].budget_ns as f64 / 1e9;
        let room = (inst.t_c_ns as f64 / 1e9)
            .min(max_budget - inst.t_u_ns as f64 / 1e9 - inst.t_d_ns as f64 / 1e9);
        let bound = room + 1e-9;
        let mut sum = 0.0;
        let mut z = 0;
        for &c in &self.costs {
            sum += c;
            if sum > bound {
                break;
            }
            z += 1;
        }
        z
    }

    /// Adds the candidate of rank `p` to its level, keeping the level ordered
    /// by `ρU` ascending, ties by id (= index).
    fn insert(&mut self, inst: &Instance, p: usize) {
        let i = self.ranked[p];
        let l = self.level_of[p];
        let rho = inst.requests[i].rho_up;
        // Non-negative finite f64s order like their bit patterns (0.0 and −0.0 as 0).
        let key = (if rho == 0.0 { 0 } else { rho.to_bits() }, i);
        let v = &mut self.keys[l];
        let pos = v.partition_point(|&x| x < key);
        v.insert(pos, key);
        self.dirty[l] = true;
    }
}

fn rebuild_prefix(inst: &Instance, keys: &[(u64, usize)], pu: &mut Vec<u64>, pd: &mut Vec<u64>) {
    pu.clear();
    pd.clear();
    let (mut u, mut d) = (0u64, 0u64);
    pu.push(0);
    pd.push(0);
    for &(_, i) in keys {
        let c = &inst.requests[i];
        u = u.saturating_add(c.rho_up_fx);
        d = d.saturating_add(c.rho_down_fx);
        pu.push(u);
        pd.push(d);
    }
}

/// Whether the cheapest `z`-subset of the levels (shortest levels first)
/// meets the FLOP and token limits; if not, no leaf of the tree does.
fn root_may_pass(a: &[u32], f: &[u128], tok: &[u64], z: u32, flim: u128, kv_lim: u64) -> bool {
    let (mut r, mut fl, mut tk) = (z, 0u128, 0u64);
    for l in 0..a.len() {
        if r == 0 {
            break;
        }
        let t = r.min(a[l]);
        fl += t as u128 * f[l];
        tk += t as u64 * tok[l];
        r -= t;
    }
    r == 0 && fl <= flim && tk <= kv_lim
}

/// One tree (cap, `z`, `d`).
struct Tree<'a> {
    prune: bool,
    z: u32,
    /// Level sizes `|F_k|`, levels present in `F_d`, shortest first.
    a: &'a [u32],
    /// FLOPs of one request of each level at the cap.
    f: &'a [u128],
    /// KV tokens `s' + N_k` of one request of each level.
    tok: &'a [u64],
    /// `suf[j] = Σ_{k ≥ j} a[k]`, `suf[K] = 0`.
    suf: &'a [u32],
    present: &'a [usize],
    pre_u: &'a [Vec<u64>],
    pre_d: &'a [Vec<u64>],
    /// Largest FLOP total meeting (1g) and (1d) at `τ_min`.
    flim: u128,
    /// Largest token count meeting (1c).
    kv_lim: u64,
    /// `P[depth·(z+1) + r] = Σ_{r' ≤ r} sub(depth, r')`, where `sub(depth, r)` is
    /// the number of nodes strictly below a node at `depth` that still needs `r`.
    table: &'a mut Vec<u64>,
    table_ready: bool,
    path: &'a mut Vec<u32>,
    depth: usize,
    nodes: u64,
    leaves: u64,
}

impl Tree<'_> {
    /// Explores the children of a node at depth `j` that still needs `r`
    /// requests, with partial FLOPs `fl`, tokens `tk`, `ΣρU = u`, `ΣρD = dn`.
    /// Returns `true` at the first feasible leaf (its counts are in `path`).
    fn dfs(&mut self, j: usize, r: u32, fl: u128, tk: u64, u: u64, dn: u64) -> bool {
        let k = self.a.len();
        let hi = r.min(self.a[j]);
        let lo = if self.prune {
            r.saturating_sub(self.suf[j + 1])
        } else {
            0
        };
        if lo > hi {
            return false; // only for a root whose F_d is smaller than z (never: d ≥ z)
        }
        let lvl = self.present[j];
        let mut v = hi;
        loop {
            let r2 = r - v;
            let fl2 = fl + v as u128 * self.f[j];
            let tk2 = tk + v as u64 * self.tok[j];
            // Cheapest completion below this child (itself, if a leaf).
            let (cf, ct, complete) = self.cheapest(j + 1, r2, fl2, tk2);
            if r2 == 0 {
                self.leaves += 1;
            }
            if !complete || cf > self.flim || ct > self.kv_lim {
                // No feasible leaf here nor below any smaller sibling.
                self.skip_siblings(j, r, lo, v);
                return false;
            }
            let u2 = u.saturating_add(self.pre_u[lvl][v as usize]);
            let d2 = dn.saturating_add(self.pre_d[lvl][v as usize]);
            let band_ok = u2 <= RHO_ONE && d2 <= RHO_ONE;
            if r2 == 0 {
                self.nodes += 1;
                if band_ok {
                    self.path[j] = v;
                    self.depth = j + 1;
                    return true;
                }
            } else if !band_ok {
                self.nodes = self
                    .nodes
                    .saturating_add(self.sub(j + 1, r2).saturating_add(1));
            } else {
                debug_assert!(j + 1 < k);
                self.nodes += 1;
                self.path[j] = v;
                if self.dfs(j + 1, r2, fl2, tk2, u2, d2) {
                    return true;
                }
            }
            if v == lo {
                return false;
            }
            v -= 1;
        }
    }

    /// The cheapest completion of `r` more requests from levels `j..K`,
    /// shortest first: (FLOPs, tokens, whether the levels can supply `r`).
    #[inline]
    fn cheapest(&self, j: usize, mut r: u32, mut fl: u128, mut tk: u64) -> (u128, u64, bool) {
        if r > self.suf[j] {
            return (fl, tk, false);
        }
        let mut l = j;
        while r > 0 {
            let t = r.min(self.a[l]);
            fl += t as u128 * self.f[l];
            tk += t as u64 * self.tok[l];
            r -= t;
            l += 1;
        }
        (fl, tk, true)
    }

    /// Counts children `v = v_top, v_top − 1, …, lo` of a node at depth `j`
    /// needing `r`, with their subtrees, as entered-and-counted without walking.
    fn skip_siblings(&mut self, j: usize, r: u32, lo: u32, v_top: u32) {
        self.ensure_table();
        let w = self.z as usize + 1;
        let row = &self.table[(j + 1) * w..(j + 2) * w];
        // Σ_{v=lo}^{v_top} sub(j+1, r − v) = P[r − lo] − P[r − v_top − 1].
        let upper = row[(r - lo) as usize];
        let below = if r > v_top {
            row[(r - v_top - 1) as usize]
        } else {
            0
        };
        let inner = if upper == u64::MAX {
            u64::MAX
        } else {
            upper - below
        };
        let count = ((v_top - lo + 1) as u64).saturating_add(inner);
        self.nodes = self.nodes.saturating_add(count);
    }

    /// `sub(depth, r)`: nodes strictly below a node at `depth` needing `r`.
    fn sub(&mut self, depth: usize, r: u32) -> u64 {
        self.ensure_table();
        let w = self.z as usize + 1;
        let row = &self.table[depth * w..(depth + 1) * w];
        let r = r as usize;
        if row[r] == u64::MAX {
            u64::MAX
        } else {
            row[r] - if r > 0 { row[r - 1] } else { 0 }
        }
    }

    /// Fills `P` for this tree (MODEL.md §7 Nodes, counted in closed form):
    /// `sub(K, r) = 0`, `sub(depth, 0) = 0`, and for `r > 0`
    /// `sub(depth, r) = Σ_{v = lo}^{hi} (1 + sub(depth + 1, r − v))` with
    /// `hi = min(r, |F_{depth+1}|)` and `lo` the pruning bound (dftsp) or 0.
    fn ensure_table(&mut self) {
        if self.table_ready {
            return;
        }
        self.table_ready = true;
        let k = self.a.len();
        let w = self.z as usize + 1;
        self.table.clear();
        self.table.resize((k + 1) * w, 0);
        // Row 0 (the root) is never read: skips read the row below the parent.
        for depth in (1..k).rev() {
            let (cur, next) = self.table[depth * w..(depth + 2) * w].split_at_mut(w);
            for r in 1..w as u32 {
                let hi = r.min(self.a[depth]);
                let lo = if self.prune {
                    r.saturating_sub(self.suf[depth + 1])
                } else {
                    0
                };
                let s = if lo > hi {
                    0
                } else {
                    let upper = next[(r - lo) as usize];
                    let below = if r > hi {
                        next[(r - hi - 1) as usize]
                    } else {
                        0
                    };
                    let inner = if upper == u64::MAX {
                        u64::MAX
                    } else {
                        upper - below
                    };
                    ((hi - lo + 1) as u64).saturating_add(inner)
                };
                cur[r as usize] = cur[r as usize - 1].saturating_add(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The search against a literal walk of MODEL.md §7's loops: no skipping,
    //! every node entered one by one, every leaf checked from scratch. Node
    //! counts and selections must agree exactly.
    use super::*;
    use crate::bench_support::SplitMix;
    use sim_models::cost::MODEL_PRESETS;
    use sim_models::instance::Candidate;
    use sim_models::quant::QuantParams;

    struct Literal<'a> {
        inst: &'a Instance,
        prune: bool,
        nodes: u64,
    }

    impl Literal<'_> {
        fn solve(&mut self, z_start: ZStart) -> Vec<usize> {
            let inst = self.inst;
            let reqs = &inst.requests;
            let sel: Vec<usize> = (0..reqs.len())
                .filter(|&i| inst.selectable(&reqs[i]))
                .collect();
            let mut caps: Vec<u32> = sel.iter().map(|&i| reqs[i].prompt).collect();
            caps.sort();
            caps.dedup();
            let mut best: (usize, Vec<usize>) = (0, vec![]);
            for cap in caps {
                let mut ranked: Vec<usize> = sel
                    .iter()
                    .copied()
                    .filter(|&i| reqs[i].prompt <= cap)
                    .collect();
                ranked.sort_by(|&x, &y| reqs[y].budget_ns.cmp(&reqs[x].budget_ns).then(x.cmp(&y)));
                let z_max = match z_start {
                    ZStart::All => ranked.len(),
                    ZStart::Bound => {
                        let mut c: Vec<f64> = ranked
                            .iter()
                            .map(|&i| {
                                flops_of(inst).quant.beta
                                    * flops_of(inst)
                                        .model
                                        .request_flops(reqs[i].prompt, reqs[i].output)
                                        as f64
                                    / flops_of(inst).flop_rate
                            })
                            .collect();
                        c.sort_by(f64::total_cmp);
                        let room = (inst.t_c_ns as f64 / 1e9).min(
                            reqs[ranked[0]].budget_ns as f64 / 1e9
                                - inst.t_u_ns as f64 / 1e9
                                - inst.t_d_ns as f64 / 1e9,
                        ) + 1e-9;
                        let (mut s, mut z) = (0.0, 0);
                        for x in c {
                            s += x;
                            if s > room {
                                break;
                            }
                            z += 1;
                        }
                        z
                    }
                };
                'z: for z in (1..=z_max).rev() {
                    for d in z..=ranked.len() {
                        let fd = &ranked[..d];
                        let tau_min = reqs[ranked[d - 1]].budget_ns;
                        let mut outs: Vec<u32> = fd.iter().map(|&i| reqs[i].output).collect();
                        outs.sort();
                        outs.dedup();
                        let levels: Vec<Vec<usize>> = outs
                            .iter()
                            .map(|&o| {
                                let mut l: Vec<usize> = fd
                                    .iter()
                                    .copied()
                                    .filter(|&i| reqs[i].output == o)
                                    .collect();
                                l.sort_by(|&x, &y| {
                                    reqs[x].rho_up.total_cmp(&reqs[y].rho_up).then(x.cmp(&y))
                                });
                                l
                            })
                            .collect();
                        let mut path = vec![];
                        if let Some(s) = self.walk(&levels, z, cap, tau_min, &mut path) {
                            if z > best.0 {
                                best = (z, s);
                            }
                            break 'z;
                        }
                    }
                }
            }
            best.1.sort();
            best.1
        }

        fn walk(
            &mut self,
            levels: &[Vec<usize>],
            z: usize,
            cap: u32,
            tau_min: i64,
            path: &mut Vec<usize>,
        ) -> Option<Vec<usize>> {
            let j = path.len();
            let sum: usize = path.iter().sum();
            let need = z - sum;
            let after: usize = levels[j + 1..].iter().map(|l| l.len()).sum();
            let hi = need.min(levels[j].len());
            for v in (0..=hi).rev() {
                if self.prune && after < need - v {
                    break; // the strict rule: this child and its smaller siblings
                }
                self.nodes += 1;
                path.push(v);
                if sum + v == z {
                    let s: Vec<usize> = path
                        .iter()
                        .enumerate()
                        .flat_map(|(k, &c)| levels[k][..c].iter().copied())
                        .collect();
                    if self.leaf_ok(&s, cap, tau_min) {
                        return Some(s);
                    }
                } else if j + 1 < levels.len() {
                    if let Some(s) = self.walk(levels, z, cap, tau_min, path) {
                        return Some(s);
                    }
                } // else: a dead leaf (tree-search only)
                path.pop();
            }
            None
        }

        fn leaf_ok(&self, s: &[usize], cap: u32, tau_min: i64) -> bool {
            let inst = self.inst;
            let r = &inst.requests;
            let flops: u128 = s
                .iter()
                .map(|&i| flops_of(inst).model.request_flops(cap, r[i].output))
                .sum();
            let t = flops_of(inst).time_ns(flops);
            let tokens: u64 = s.iter().map(|&i| cap as u64 + r[i].output as u64).sum();
            let up: u64 = s.iter().map(|&i| r[i].rho_up_fx).sum();
            let down: u64 = s.iter().map(|&i| r[i].rho_down_fx).sum();
            up <= RHO_ONE
                && down <= RHO_ONE
                && inst.memory_fits(tokens)
                && t <= inst.t_c_ns
                && inst.delivery_offset_ns(t) <= tau_min as i128
        }
    }

    fn random(seed: u64, n: usize) -> Instance {
        let mut g = SplitMix::new(seed);
        let model = MODEL_PRESETS[0].dims;
        let quant = QuantParams {
            alpha_w: 0.5,
            alpha_kv: 1.0,
            beta: 0.75,
        };
        let f_ref = model.request_flops(256, 128) as f64;
        let t_c_ns = 1_000_000_000u64;
        let flops = 0.75 * f_ref * (2.0 + 8.0 * g.unit());
        let memory = 0.5 * model.weight_bytes()
            + model.kv_bytes_per_token() * if g.unit() < 0.4 { 3000.0 } else { 1e7 };
        let prompts = [128u32, 256, 512];
        let outs = [32u32, 128, 256, 512];
        let band = g.unit() < 0.5;
        let per_user = g.unit() < 0.5;
        let requests = (0..n as u64)
            .map(|id| {
                let s = prompts[(g.next_u64() % 3) as usize];
                let o = outs[(g.next_u64() % 4) as usize];
                let budget = 400_000_000 + (g.unit() * 1.3e9) as i64;
                let x = if per_user { 0.3 + 2.0 * g.unit() } else { 1.0 };
                let k = if band { 1.0 / (256.0 * 4.0) } else { 1e-7 };
                Candidate::new(id, s, o, budget, s as f64 * k * x, o as f64 * k * 0.5)
            })
            .collect();
        Instance {
            cost: sim_models::cost::FlopsCost {
                model,
                quant,
                flop_rate: flops,
            }
            .shared(),
            memory,
            t_u_ns: 200_000_000,
            t_c_ns,
            t_d_ns: 200_000_000,
            requests,
        }
    }

    #[test]
    fn nodes_and_selection_match_the_literal_walk() {
        let mut checked = 0u64;
        for seed in 0..400u64 {
            let inst = random(seed, 1 + (seed % 13) as usize);
            for prune in [true, false] {
                for z_start in [ZStart::Bound, ZStart::All] {
                    let mut lit = Literal {
                        inst: &inst,
                        prune,
                        nodes: 0,
                    };
                    let want = lit.solve(z_start);
                    let (got, work) = SearchCore::new(prune, z_start).solve(&inst);
                    assert_eq!(got, want, "seed {seed} prune {prune} {z_start:?}");
                    assert_eq!(
                        work.nodes, lit.nodes,
                        "seed {seed} prune {prune} {z_start:?}"
                    );
                    checked += lit.nodes;
                }
            }
        }
        assert!(
            checked > 10_000,
            "the instances must make real trees: {checked}"
        );
    }

    #[test]
    fn buffers_reused_across_calls_give_the_same_answer() {
        let mut core = SearchCore::new(true, ZStart::Bound);
        let a = random(7, 12);
        let b = random(8, 5);
        let first = core.solve(&a);
        core.solve(&b);
        assert_eq!(core.solve(&a), first);
    }
}
