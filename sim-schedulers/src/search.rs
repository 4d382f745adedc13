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
//! Nodes are counted exactly as MODEL.md §7 defines them; `nodes`, `leaves`
//! and the selection are those of the plain loops above, but most trees are
//! counted, not walked:
//!
//! - time and memory grow strictly with the output level, so the cheapest
//!   completion of a node fills the shortest remaining levels first — which is
//!   also the first leaf the walk would reach below it. If that completion
//!   violates (1c), (1d) or (1g), no leaf below the node is feasible, and
//!   neither is any leaf below its smaller siblings (they push requests into
//!   longer levels): the node and all its smaller siblings are skipped, and
//!   their subtrees' node count added in closed form;
//! - `Σρ` only grows down a path: a node whose partial `ΣρU` or `ΣρD` already
//!   exceeds 1 is skipped with its subtree;
//! - a tree whose root fails that test (its cheapest `z`-subset already breaks
//!   (1c), (1d) or (1g)) is never built: it adds its whole node count, and one
//!   leaf if its shortest level alone holds `z` (the first child the walk
//!   would enter is then a leaf).
//!
//! A tree depends on `F_d` only through its *capped level sizes*
//! `min(|F_k|, z)` (the walk never takes more than `z` from a level, and the
//! pruning bound compares with `z`), and on `d` through `τ_min`, which only
//! shrinks as `d` grows. So for one `z` the ranks `d` split into *segments*
//! where the capped sizes are constant — at most `K·z` of them, the ranks where
//! a level gains one of its first `z` members — and within a segment the root
//! test passes on a prefix (its cheapest subset is fixed, the time limit
//! shrinks). Each segment is handled in O(K) plus one tree count, whatever its
//! length; only trees whose root passes are walked.
//!
//! A `z` for which even the cheapest `z` of *all* the cap's candidates break
//! (1c), or (1d)/(1g) at the `z`-th budget, fails at the root of every tree
//! (every `F_d` is a subset, and `τ_min` only shrinks); that holds for every
//! larger `z` too. Those `z` are counted in bulk: per `z` by segments, or —
//! when there are many, as with `z_start: all` — per `d` summed over `z` in
//! closed form (see [`count`]).
//!
//! Per walked node the work is O(1) in the queue length (O(K) for the
//! completion): per-level prefix sums of `ρU`, `ρD` (fixed point) over the `z`
//! lowest-`ρU` members (the only ones a walk can take), and FLOPs per level as
//! count × per-request FLOPs at the cap. Buffers are reused across calls.
//!
//! `Work::leaves` counts the leaves the walk evaluates (a skipped subtree's
//! leaves are counted as nodes, not as leaves).
//!
//! Counts saturate at `u64::MAX` instead of wrapping (with `z_start: all`,
//! 10⁵ pending requests make more than 10¹⁹ tree-search nodes).
//!
//! # Any cost model (the general path)
//!
//! Everything above needs of time only that it depends on the cap and the
//! count per output level and never decreases when a request is added or
//! moved to a longer level — true of every cost model (MODEL.md §11). The
//! FLOP sums are the fast path of the paper's model; under any other model
//! the level FLOPs are zero, the FLOP limit is unbounded, and each test of a
//! cheapest completion (a tree's root, a segment's root, a walked node) asks
//! the model for the `t_batch` of that count vector at the cap instead
//! ([`TimeMemo`]: one evaluation per distinct vector while the model is the
//! same object) and compares
//! it with the ns limit `min(T_C, τ_min − T_U − T_D)`. The walk, the skips and
//! the node counts are the same code. Only `z_max` differs: the sum of single-
//! request costs bounds a batch's time from below only when time is additive,
//! so the general path starts `z` at the largest `z` whose cheapest `z`-subset
//! of the cap (the shortest outputs, padded to the cap) meets
//! `min(T_C, max budget − T_U − T_D)`, found by bisection — also an upper
//! bound on every feasible leaf's `z`, so selections do not depend on it.

use std::cmp::Reverse;

use sim_models::instance::{Instance, RHO_ONE};
use sim_models::scheduler::Work;

use crate::batch::flops_of;
use crate::options::ZStart;
use crate::timing::{shortest, TimeMemo};

use crate::batch::{flop_limit, time_limit_ns};

/// Above this many (prompt, output) pairs `z_max` is computed from a sort of
/// every candidate's own cost instead of from per-pair counts.
const MAX_GROUPS: usize = 4096;

/// How hopeless `z` are counted, and how one tree's size is computed (tests
/// force each way; `Auto` picks the cheaper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Method {
    #[default]
    Auto,
    /// Hopeless `z` by segments, tree sizes from the prefix table.
    Table,
    /// Hopeless `z` per `d` in closed form, tree sizes by inclusion–exclusion.
    Closed,
}

/// The reusable search state (scratch buffers), for one scheduler instance.
#[derive(Clone, Debug)]
pub(crate) struct SearchCore {
    prune: bool,
    z_start: ZStart,
    method: Method,
    // Per call.
    /// The selectable requests, budget descending, ties by index.
    order: Vec<Rank>,
    spare: Vec<Rank>,
    /// Scratch of [`sort_by_budget`].
    sort_keys: Vec<u64>,
    /// Distinct prompt lengths (the caps) and output lengths.
    prompt_index: ValueIndex,
    out_index: ValueIndex,
    /// Candidates per (prompt, output) pair, `prompt · |outs| + output`.
    groups: Vec<u32>,
    group_cost: Vec<(f64, u32)>,
    costs: Vec<f64>,
    // Per cap: `order` restricted to the cap's candidates (rank `d` is `ranked[d − 1]`).
    ranked: Vec<Rank>,
    /// Global output index → level index at this cap (`u32::MAX`: absent).
    local: Vec<u32>,
    /// Per level: the ranks `d` (1-based) of its members, ascending.
    pos: Vec<Vec<u32>>,
    full: Vec<u32>,
    lvl_flops: Vec<u128>,
    lvl_tok: Vec<u64>,
    /// Output length of each level at this cap.
    lvl_out: Vec<u32>,
    // Per z: per level, its lowest-`(ρU, id)` members offered so far (at most `z`).
    keys: Vec<Vec<(u64, usize)>>,
    offered: Vec<usize>,
    pre_u: Vec<Vec<u64>>,
    pre_d: Vec<Vec<u64>>,
    dirty: Vec<bool>,
    heads: Vec<usize>,
    sizes: Vec<u32>,
    // Per segment (levels present, shortest first).
    present: Vec<usize>,
    a: Vec<u32>,
    f: Vec<u128>,
    tok: Vec<u64>,
    suf: Vec<u32>,
    table: Vec<u64>,
    table_ready: bool,
    path: Vec<u32>,
    /// The last `(time limit, FLOP limit)` computed.
    flim_memo: Option<(u64, u128)>,
    /// Whether this call takes the general path (the cost model has no FLOP fast path).
    general: bool,
    /// General path: the cap, the present levels' outputs, a count vector, and the memo.
    cap: u32,
    out_p: Vec<u32>,
    cnt: Vec<u32>,
    memo: TimeMemo,
}

impl SearchCore {
    /// A search with pruning on (dftsp) or off (tree-search).
    pub fn new(prune: bool, z_start: ZStart) -> SearchCore {
        SearchCore {
            prune,
            z_start,
            method: Method::Auto,
            order: vec![],
            spare: vec![],
            sort_keys: vec![],
            prompt_index: ValueIndex::default(),
            out_index: ValueIndex::default(),
            groups: vec![],
            group_cost: vec![],
            costs: vec![],
            ranked: vec![],
            local: vec![],
            pos: vec![],
            full: vec![],
            lvl_flops: vec![],
            lvl_tok: vec![],
            lvl_out: vec![],
            keys: vec![],
            offered: vec![],
            pre_u: vec![],
            pre_d: vec![],
            dirty: vec![],
            heads: vec![],
            sizes: vec![],
            present: vec![],
            a: vec![],
            f: vec![],
            tok: vec![],
            suf: vec![],
            table: vec![],
            table_ready: false,
            path: vec![],
            flim_memo: None,
            general: false,
            cap: 0,
            out_p: vec![],
            cnt: vec![],
            memo: TimeMemo::default(),
        }
    }

    /// Forces how trees are counted (tests).
    #[cfg(test)]
    pub fn with_method(mut self, method: Method) -> SearchCore {
        self.method = method;
        self
    }

    /// Solves one instance: the selection (indices into `inst.requests`,
    /// ascending) and the work done.
    pub fn solve(&mut self, inst: &Instance) -> (Vec<usize>, Work) {
        let mut work = Work::default();
        // A batch always holds ≥ 1 token per request, so "no memory" ⇔ limit 0.
        let kv_lim = inst.kv_token_capacity().unwrap_or(0);
        // The FLOP limits depend on the instance's FLOP rate and β; times on its model.
        self.flim_memo = None;
        self.general = inst.flops_cost().is_none();
        self.memo.start(&inst.cost);
        // One pass over the requests; prompt and output lengths become
        // indices into their distinct values (MODEL.md §7: caps and levels).
        self.order.clear();
        self.prompt_index.start();
        self.out_index.start();
        for (i, c) in inst.requests.iter().enumerate() {
            if inst.selectable(c) {
                self.prompt_index.mark(c.prompt);
                self.out_index.mark(c.output);
                self.order.push(Rank {
                    idx: i as u32,
                    prompt: c.prompt,
                    out: c.output,
                    budget: c.budget_ns,
                });
            }
        }
        self.prompt_index
            .finish(self.order.iter().map(|r| r.prompt));
        self.out_index.finish(self.order.iter().map(|r| r.out));
        let k_all = self.out_index.values.len();
        let n_prompts = self.prompt_index.values.len();
        let dense = n_prompts * k_all <= MAX_GROUPS;
        self.groups.clear();
        if dense {
            self.groups.resize(n_prompts * k_all, 0);
        }
        for r in self.order.iter_mut() {
            r.prompt = self.prompt_index.index(r.prompt);
            r.out = self.out_index.index(r.out);
            if dense {
                self.groups[r.prompt as usize * k_all + r.out as usize] += 1;
            }
        }
        if self.order.is_empty() {
            return (vec![], work);
        }
        // Budget descending, ties by ascending id (= index); a cap's ranking
        // is this order restricted to its candidates.
        sort_by_budget(
            &mut self.order,
            &mut self.spare,
            &mut self.sort_keys,
            |r| r.budget,
            |r| r.idx,
        );

        let mut best: (u32, Vec<usize>) = (0, vec![]);
        for ci in 0..self.prompt_index.values.len() {
            if let Some((z, sel)) = self.solve_cap(inst, ci, kv_lim, &mut work) {
                if z > best.0 {
                    best = (z, sel);
                }
            }
        }
        best.1.sort_unstable();
        (best.1, work)
    }

    /// The search for one padding cap (`prompts[ci]`): `Some((z, selection))`
    /// at the first feasible leaf.
    fn solve_cap(
        &mut self,
        inst: &Instance,
        ci: usize,
        kv_lim: u64,
        work: &mut Work,
    ) -> Option<(u32, Vec<usize>)> {
        let cap = self.prompt_index.values[ci];
        self.ranked.clear();
        if ci + 1 == self.prompt_index.values.len() {
            // The largest cap admits every candidate, and is the last use of `order`.
            std::mem::swap(&mut self.ranked, &mut self.order);
        } else {
            self.ranked.extend(
                self.order
                    .iter()
                    .filter(|r| r.prompt as usize <= ci)
                    .copied(),
            );
        }
        let n = self.ranked.len();
        let mut z_max = match self.z_start {
            ZStart::All => n,
            ZStart::Bound if self.general => n, // bounded below, once the levels are known
            ZStart::Bound => self.z_bound(inst, ci),
        };
        if z_max == 0 {
            return None;
        }
        self.cap = cap;
        // Output levels at this cap, shortest first, and each one's ranks.
        self.local.clear();
        self.local.resize(self.out_index.values.len(), u32::MAX);
        for r in &self.ranked {
            self.local[r.out as usize] = 0;
        }
        self.lvl_flops.clear();
        self.lvl_tok.clear();
        self.lvl_out.clear();
        let mut nl = 0;
        for (g, &o) in self.out_index.values.iter().enumerate() {
            if self.local[g] == 0 {
                self.local[g] = nl as u32;
                nl += 1;
                self.lvl_flops.push(if self.general {
                    0
                } else {
                    flops_of(inst).model.request_flops(cap, o)
                });
                self.lvl_tok.push(cap as u64 + o as u64);
                self.lvl_out.push(o);
            }
        }
        if self.pos.len() < nl {
            self.pos.resize(nl, vec![]);
            self.keys.resize(nl, vec![]);
            self.pre_u.resize(nl, vec![]);
            self.pre_d.resize(nl, vec![]);
        }
        for p in &mut self.pos[..nl] {
            p.clear();
        }
        for (d, r) in self.ranked.iter().enumerate() {
            let l = self.local[r.out as usize] as usize;
            self.pos[l].push(d as u32 + 1);
        }
        self.full.clear();
        self.full
            .extend(self.pos[..nl].iter().map(|p| p.len() as u32));

        if self.general && self.z_start == ZStart::Bound {
            z_max = self.z_bound_general(inst);
            if z_max == 0 {
                return None;
            }
        }
        // The smallest hopeless z (see the module docs): hopeless is closed
        // upwards, so bisect.
        let hopeless = |core: &mut SearchCore, z: usize| -> bool {
            let (cf, ct) =
                cheapest_root(&core.full, &core.lvl_flops, &core.lvl_tok, z as u32).expect("z ≤ n");
            if ct > kv_lim {
                return true;
            }
            if core.general {
                let t = core.root_time(inst, true, z as u32);
                !core.fits_ns(inst, t, z)
            } else {
                !core.fits_time(inst, cf, z)
            }
        };
        let (mut lo, mut hi) = (1, z_max + 1); // !hopeless below lo, hopeless from hi
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if hopeless(self, mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let z_h = lo;
        if z_h <= z_max {
            self.count_hopeless(z_h, z_max, work);
        }
        for z in (1..z_h.min(z_max + 1)).rev() {
            if let Some(sel) = self.scan_z(inst, z as u32, kv_lim, work) {
                return Some((z as u32, sel));
            }
        }
        None
    }

    /// General path: `t_batch` of the cheapest `z`-subset (shortest levels
    /// first) of all the cap's levels (`all`) or of the current segment's.
    fn root_time(&mut self, inst: &Instance, all: bool, z: u32) -> u64 {
        let (avail, outs) = if all {
            (&self.full, &self.lvl_out)
        } else {
            (&self.a, &self.out_p)
        };
        let complete = shortest(avail, z, &mut self.cnt);
        debug_assert!(complete, "z within the levels");
        self.memo.time(&*inst.cost, self.cap, outs, &self.cnt)
    }

    /// Whether a batch taking `t` ns meets (1g) and (1d) with `τ_min` the budget of rank `d`.
    fn fits_ns(&self, inst: &Instance, t: u64, d: usize) -> bool {
        let budget = self.ranked[d - 1].budget;
        time_limit_ns(inst, budget).is_some_and(|lim| t <= lim)
    }

    /// General path: `z_max` for the current cap (module docs) — the largest
    /// `z` whose cheapest `z`-subset meets `min(T_C, max budget − T_U − T_D)`.
    fn z_bound_general(&mut self, inst: &Instance) -> usize {
        let Some(room) = time_limit_ns(inst, self.ranked[0].budget) else {
            return 0;
        };
        // Time grows with z (a request added): bisect.
        let (mut lo, mut hi) = (0usize, self.ranked.len() + 1); // fits(lo), !fits(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.root_time(inst, true, mid as u32) <= room {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether a batch of `flops` FLOPs meets (1g) and (1d) with `τ_min` the
    /// budget of rank `d`: `batch_time_ns(flops) ≤ min(T_C, τ_min − T_U − T_D)`,
    /// which is `flops ≤ flop_limit(…)` ([`flop_limit`] is that exact boundary).
    fn fits_time(&self, inst: &Instance, flops: u128, d: usize) -> bool {
        let budget = self.ranked[d - 1].budget;
        time_limit_ns(inst, budget).is_some_and(|lim| flops_of(inst).time_ns(flops) <= lim)
    }

    /// The FLOP limit of (1d), (1g) when `τ_min` is the budget of rank `d`.
    fn flim(&mut self, inst: &Instance, d: usize) -> u128 {
        let budget = self.ranked[d - 1].budget;
        let Some(lim) = time_limit_ns(inst, budget) else {
            return 0;
        };
        match self.flim_memo {
            Some((l, f)) if l == lim => f,
            _ => {
                let f = flop_limit(inst, lim);
                self.flim_memo = Some((lim, f));
                f
            }
        }
    }

    /// Adds the nodes and leaves of every tree of every `z` in `z_lo..=z_hi`,
    /// all of whose roots fail.
    fn count_hopeless(&mut self, z_lo: usize, z_hi: usize, work: &mut Work) {
        let n = self.ranked.len();
        let nl = self.full.len();
        let per_d = match self.method {
            Method::Table => false,
            Method::Closed => count::closed_fits(nl, n as u64),
            Method::Auto => {
                // Rough operation counts of the two ways.
                let closed = count::closed_cost(nl);
                let by_d = if count::closed_fits(nl, n as u64) {
                    (n - z_lo + 1) as u128 * closed
                } else {
                    u128::MAX
                };
                let mut by_z = 0u128;
                for z in z_lo..=z_hi {
                    let per_tree = (nl * z) as u128;
                    by_z += (per_tree + 1) * per_tree.min(closed) + 1;
                    if by_z > by_d {
                        break;
                    }
                }
                by_d < by_z
            }
        };
        if !per_d {
            for z in z_lo..=z_hi {
                self.count_z(z as u32, work);
            }
            return;
        }
        // Per d: Σ_{z = z_lo}^{min(d, z_hi)} nodes(F_d, z) in closed form.
        self.sizes.clear();
        self.sizes.resize(nl, 0);
        for r in &self.ranked[..z_lo - 1] {
            self.sizes[self.local[r.out as usize] as usize] += 1;
        }
        let mut nodes = 0u128;
        let mut leaves = 0u128;
        for d in z_lo..=n {
            let r = self.ranked[d - 1];
            self.sizes[self.local[r.out as usize] as usize] += 1;
            self.a.clear();
            self.a.extend(self.sizes.iter().copied().filter(|&c| c > 0));
            let top = d.min(z_hi) as u64;
            let sum = count::closed(&self.a, z_lo as u64, top, self.prune);
            nodes = nodes.saturating_add(sum.expect("closed_fits checked"));
            let first = self.a[0] as u64;
            if first >= z_lo as u64 {
                leaves += (first.min(top) - z_lo as u64 + 1) as u128;
            }
        }
        work.nodes = work.nodes.saturating_add(sat(nodes));
        work.leaves = work.leaves.saturating_add(sat(leaves));
    }

    /// Counts every tree of a hopeless `z` by segments.
    fn count_z(&mut self, z: u32, work: &mut Work) {
        self.segments(z, |core, ds, de| {
            core.add_failed(z, (de - ds + 1) as u64, work);
            None::<()>
        });
    }

    /// Walks the ranks `d = z..=n` of one `z` segment by segment (capped level
    /// sizes constant within one; see the module docs), calling `seg(core, ds, de)`
    /// with the segment's levels set up, until it returns `Some`.
    fn segments<T>(
        &mut self,
        z: u32,
        mut seg: impl FnMut(&mut SearchCore, usize, usize) -> Option<T>,
    ) -> Option<T> {
        let n = self.ranked.len();
        let nl = self.full.len();
        self.heads.clear();
        self.heads.resize(nl, 0);
        self.sizes.clear();
        self.sizes.resize(nl, 0);
        let zu = z as usize;
        let mut ds = zu;
        loop {
            // Apply the events (a level's m-th member, m ≤ z) at ranks ≤ ds.
            let mut next = usize::MAX;
            for l in 0..nl {
                let p = &self.pos[l];
                let lim = p.len().min(zu);
                while self.heads[l] < lim && p[self.heads[l]] as usize <= ds {
                    self.heads[l] += 1;
                }
                self.sizes[l] = self.heads[l] as u32;
                if self.heads[l] < lim {
                    next = next.min(p[self.heads[l]] as usize);
                }
            }
            let de = if next == usize::MAX { n } else { next - 1 };
            self.present.clear();
            self.a.clear();
            self.f.clear();
            self.tok.clear();
            self.out_p.clear();
            for l in 0..nl {
                if self.sizes[l] > 0 {
                    self.present.push(l);
                    self.a.push(self.sizes[l]);
                    self.f.push(self.lvl_flops[l]);
                    self.tok.push(self.lvl_tok[l]);
                    self.out_p.push(self.lvl_out[l]);
                }
            }
            let k = self.present.len();
            self.suf.clear();
            self.suf.resize(k + 1, 0);
            for j in (0..k).rev() {
                self.suf[j] = self.suf[j + 1] + self.a[j];
            }
            self.table_ready = false;
            if let Some(t) = seg(self, ds, de) {
                return Some(t);
            }
            if next == usize::MAX {
                return None;
            }
            ds = next;
        }
    }

    /// Adds `count` trees of the current segment whose roots fail.
    fn add_failed(&mut self, z: u32, count: u64, work: &mut Work) {
        if count == 0 {
            return;
        }
        let nodes = self.tree_nodes(z);
        work.nodes = work
            .nodes
            .saturating_add(sat(nodes as u128 * count as u128));
        if self.a[0] >= z {
            // The walk's first child is a leaf (Σv = z), counted before the test.
            work.leaves = work.leaves.saturating_add(count);
        }
    }

    /// The node count of a whole tree of the current segment.
    fn tree_nodes(&mut self, z: u32) -> u64 {
        let k = self.a.len();
        let closed = match self.method {
            Method::Table => false,
            Method::Closed => count::closed_fits(k, z as u64),
            Method::Auto => {
                count::closed_fits(k, z as u64) && count::closed_cost(k) < (k as u128) * z as u128
            }
        };
        if closed {
            return sat(count::closed(&self.a, z as u64, z as u64, self.prune).expect("fits"));
        }
        if !self.table_ready {
            fill_table(&mut self.table, &self.a, &self.suf, z, self.prune);
            self.table_ready = true;
        }
        let hi = z.min(self.a[0]);
        let lo = if self.prune {
            z.saturating_sub(self.suf[1])
        } else {
            0
        };
        skip_count(&self.table, z, 0, z, lo, hi)
    }

    /// All trees of one `z`, in order: `Some(selection)` at the first feasible leaf.
    fn scan_z(
        &mut self,
        inst: &Instance,
        z: u32,
        kv_lim: u64,
        work: &mut Work,
    ) -> Option<Vec<usize>> {
        let nl = self.full.len();
        for l in 0..nl {
            self.keys[l].clear();
        }
        self.offered.clear();
        self.offered.resize(nl, 0);
        self.dirty.clear();
        self.dirty.resize(nl, true);
        self.segments(z, |core, ds, de| {
            let (cf, ct) = cheapest_root(&core.a, &core.f, &core.tok, z).expect("d ≥ z");
            let mut d = ds;
            if ct <= kv_lim {
                let t = if core.general {
                    core.root_time(inst, false, z)
                } else {
                    0
                };
                let fits = |core: &SearchCore, d: usize| {
                    if core.general {
                        core.fits_ns(inst, t, d)
                    } else {
                        core.fits_time(inst, cf, d)
                    }
                };
                while d <= de && fits(core, d) {
                    if let Some(sel) = core.walk(inst, z, d, kv_lim, work) {
                        return Some(sel);
                    }
                    d += 1;
                }
            }
            core.add_failed(z, (de + 1 - d) as u64, work);
            None
        })
    }

    /// Walks the tree `(z, d)` of the current segment, whose root passes.
    fn walk(
        &mut self,
        inst: &Instance,
        z: u32,
        d: usize,
        kv_lim: u64,
        work: &mut Work,
    ) -> Option<Vec<usize>> {
        // Bring each present level's lowest-ρU members up to F_d.
        for &l in &self.present {
            let p = &self.pos[l];
            let keys = &mut self.keys[l];
            while self.offered[l] < p.len() && p[self.offered[l]] as usize <= d {
                let i = self.ranked[p[self.offered[l]] as usize - 1].idx as usize;
                self.offered[l] += 1;
                let rho = inst.requests[i].rho_up;
                // Non-negative finite f64s order like their bit patterns (0.0 and −0.0 as 0).
                let key = (if rho == 0.0 { 0 } else { rho.to_bits() }, i);
                if keys.len() == z as usize && key >= *keys.last().expect("z ≥ 1") {
                    continue;
                }
                let at = keys.partition_point(|&x| x < key);
                keys.insert(at, key);
                keys.truncate(z as usize);
                self.dirty[l] = true;
            }
            if self.dirty[l] {
                rebuild_prefix(inst, keys, &mut self.pre_u[l], &mut self.pre_d[l]);
                self.dirty[l] = false;
            }
            debug_assert_eq!(keys.len() as u32, self.sizes[l]);
        }
        let (flim, general) = if self.general {
            let limit = time_limit_ns(inst, self.ranked[d - 1].budget);
            (u128::MAX, Some(limit))
        } else {
            (self.flim(inst, d), None)
        };
        let k = self.present.len();
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
            flim,
            kv_lim,
            general: general.map(|limit| General {
                cost: &*inst.cost,
                cap: self.cap,
                outs: &self.out_p,
                limit,
                cnt: &mut self.cnt,
                memo: &mut self.memo,
            }),
            table: &mut self.table,
            table_ready: &mut self.table_ready,
            path: &mut self.path,
            depth: 0,
            nodes: 0,
            leaves: 0,
        };
        let found = tree.dfs(0, z, 0, 0, 0, 0);
        let depth = tree.depth;
        work.nodes = work.nodes.saturating_add(tree.nodes);
        work.leaves = work.leaves.saturating_add(tree.leaves);
        if !found {
            return None;
        }
        let mut sel = Vec::with_capacity(z as usize);
        for j in 0..depth {
            let l = self.present[j];
            sel.extend(
                self.keys[l][..self.path[j] as usize]
                    .iter()
                    .map(|&(_, i)| i),
            );
        }
        Some(sel)
    }

    /// `z_max` for a cap (MODEL.md §7): the largest `z` whose `z` smallest
    /// single-request costs (each at its own prompt) sum to at most
    /// `min(T_C, max budget − T_U − T_D) + 1 ns`, in f64 seconds.
    fn z_bound(&mut self, inst: &Instance, ci: usize) -> usize {
        let max_budget = self.ranked[0].budget as f64 / 1e9;
        let room = (inst.t_c_ns as f64 / 1e9)
            .min(max_budget - inst.t_u_ns as f64 / 1e9 - inst.t_d_ns as f64 / 1e9);
        let bound = room + 1e-9;
        // Single-request cost at its own prompt, f64 seconds.
        let fc = flops_of(inst);
        let own = |prompt: u32, output: u32| {
            fc.quant.beta * fc.model.request_flops(prompt, output) as f64 / fc.flop_rate
        };
        let (mut sum, mut z) = (0.0, 0);
        let k_all = self.out_index.values.len();
        if !self.groups.is_empty() {
            // Equal costs come from equal (prompt, output) pairs: sum them in
            // ascending order one by one, as a sort of every cost would.
            self.group_cost.clear();
            for p in 0..=ci {
                for o in 0..k_all {
                    let c = self.groups[p * k_all + o];
                    if c > 0 {
                        self.group_cost.push((
                            own(self.prompt_index.values[p], self.out_index.values[o]),
                            c,
                        ));
                    }
                }
            }
            self.group_cost.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
            for &(c, count) in &self.group_cost {
                for _ in 0..count {
                    sum += c;
                    if sum > bound {
                        return z;
                    }
                    z += 1;
                }
            }
            return z;
        }
        self.costs.clear();
        self.costs.extend(self.ranked.iter().map(|r| {
            own(
                self.prompt_index.values[r.prompt as usize],
                self.out_index.values[r.out as usize],
            )
        }));
        self.costs.sort_unstable_by(f64::total_cmp);
        for &c in &self.costs {
            sum += c;
            if sum > bound {
                break;
            }
            z += 1;
        }
        z
    }
}

/// A selectable request as the ranking sees it.
#[derive(Clone, Copy, Debug)]
struct Rank {
    /// Index into `Instance::requests`.
    idx: u32,
    /// Index into `SearchCore::prompts`.
    prompt: u32,
    /// Index into `SearchCore::outs`.
    out: u32,
    /// `D_i − t_k`, ns.
    budget: i64,
}

/// Sorts `v`, given in ascending index order, by budget descending, ties by
/// ascending index (the ranking of MODEL.md §7, also exact's sweep order): a
/// stable least-significant-digit radix sort on the budget (11-bit digits;
/// budgets of one epoch span about 2^31 ns, three passes); for short queues
/// a sort of packed `u64` keys `(max − budget, position)` followed by one
/// gather (ties by position are ties by index, `v` being in index order);
/// a comparison sort when the keys do not fit 64 bits. `spare` is scratch.
pub(crate) fn sort_by_budget<T: Copy>(
    v: &mut Vec<T>,
    spare: &mut Vec<T>,
    keys: &mut Vec<u64>,
    budget: impl Fn(&T) -> i64,
    index: impl Fn(&T) -> u32,
) {
    const DIGIT: u32 = 11;
    debug_assert!(v.windows(2).all(|w| index(&w[0]) < index(&w[1])));
    let max = v.iter().map(&budget).max().unwrap_or(0);
    let min = v.iter().map(&budget).min().unwrap_or(0);
    // Key max − budget: ascending key = descending budget.
    let span = (max as i128 - min as i128) as u128 as u64;
    let span_bits = 64 - span.leading_zeros();
    let passes = span_bits.div_ceil(DIGIT);
    if v.len() < 512 || passes > 4 {
        let pos_bits = usize::BITS - v.len().leading_zeros();
        if span_bits + pos_bits > 64 {
            v.sort_unstable_by_key(|r| (Reverse(budget(r)), index(r)));
            return;
        }
        keys.clear();
        keys.extend(v.iter().enumerate().map(|(p, r)| {
            let k = (max as i128 - budget(r) as i128) as u64;
            (k << pos_bits) | p as u64
        }));
        keys.sort_unstable();
        let mask = (1u64 << pos_bits) - 1;
        spare.clear();
        spare.extend(keys.iter().map(|&k| v[(k & mask) as usize]));
        std::mem::swap(v, spare);
        return;
    }
    let key = |r: &T| (max as i128 - budget(r) as i128) as u64;
    let mut counts = vec![0usize; 1 << DIGIT];
    spare.clear();
    spare.resize(v.len(), v[0]);
    for pass in 0..passes {
        let shift = pass * DIGIT;
        let digit = |r: &T| ((key(r) >> shift) & ((1 << DIGIT) - 1)) as usize;
        counts.fill(0);
        for r in v.iter() {
            counts[digit(r)] += 1;
        }
        let mut at = 0;
        for c in counts.iter_mut() {
            let k = *c;
            *c = at;
            at += k;
        }
        for r in v.iter() {
            let b = &mut counts[digit(r)];
            spare[*b] = *r;
            *b += 1;
        }
        std::mem::swap(v, spare);
    }
}

/// The distinct values of a stream of token counts, ascending, and each
/// value's index among them: a direct-address table while every value is below
/// 2^16 (prompt and output lengths), else a sorted list and binary searches.
/// The table stays allocated, and all-absent, between calls.
#[derive(Clone, Debug, Default)]
pub(crate) struct ValueIndex {
    /// The distinct values, ascending (after [`ValueIndex::finish`]).
    pub(crate) values: Vec<u32>,
    table: Vec<u16>,
    small: bool,
}

impl ValueIndex {
    const ABSENT: u16 = u16::MAX;

    /// Starts a new stream.
    pub(crate) fn start(&mut self) {
        for &v in &self.values {
            if let Some(t) = self.table.get_mut(v as usize) {
                *t = Self::ABSENT;
            }
        }
        self.values.clear();
        self.small = true;
        if self.table.is_empty() {
            self.table.resize(1 << 16, Self::ABSENT);
        }
    }

    /// Notes value `v`.
    #[inline]
    pub(crate) fn mark(&mut self, v: u32) {
        match self.table.get_mut(v as usize) {
            Some(t) if *t == Self::ABSENT => {
                *t = 0;
                self.values.push(v);
            }
            Some(_) => {}
            None => self.small = false,
        }
    }

    /// Ends the stream `all` (every value marked, again).
    pub(crate) fn finish(&mut self, all: impl Iterator<Item = u32> + Clone) {
        // (65 536 distinct values would make an index equal to ABSENT.)
        self.small &= self.values.len() < Self::ABSENT as usize;
        if self.small {
            self.values.sort_unstable();
            for (k, &v) in self.values.iter().enumerate() {
                self.table[v as usize] = k as u16;
            }
        } else {
            // Also resets, at the next start, the entries marked so far.
            distinct(&mut self.values, all);
        }
    }

    /// The index of a marked value among the distinct ones.
    #[inline]
    pub(crate) fn index(&self, v: u32) -> u32 {
        if self.small {
            self.table[v as usize] as u32
        } else {
            self.values.binary_search(&v).expect("marked") as u32
        }
    }
}

/// Fills `out` with the distinct values of `it`, ascending.
pub(crate) fn distinct(out: &mut Vec<u32>, it: impl Iterator<Item = u32> + Clone) {
    out.clear();
    // Few distinct values in practice: a sorted insert per new one.
    for v in it.clone() {
        if let Err(at) = out.binary_search(&v) {
            if out.len() >= 64 {
                out.clear();
                out.extend(it);
                out.sort_unstable();
                out.dedup();
                return;
            }
            out.insert(at, v);
        }
    }
}

/// A `u128` count as a `u64`, saturating (node counts saturate, as before).
fn sat(x: u128) -> u64 {
    x.min(u64::MAX as u128) as u64
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

/// The cheapest `z`-subset of the levels (shortest levels first): its FLOPs
/// and tokens, or `None` if the levels hold fewer than `z`. If it breaks a
/// limit, so does every leaf of the tree.
fn cheapest_root(a: &[u32], f: &[u128], tok: &[u64], z: u32) -> Option<(u128, u64)> {
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
    (r == 0).then_some((fl, tk))
}

/// Fills `P[depth·(z+1) + r] = Σ_{r' ≤ r} sub(depth, r')` for levels `a`
/// (suffix sums `suf`), where `sub(depth, r)` is the number of nodes strictly
/// below a node at `depth` that still needs `r` (MODEL.md §7 Nodes, counted in
/// closed form): `sub(K, r) = 0`, `sub(depth, 0) = 0`, and for `r > 0`
/// `sub(depth, r) = Σ_{v = lo}^{hi} (1 + sub(depth + 1, r − v))` with
/// `hi = min(r, |F_{depth+1}|)` and `lo` the pruning bound (dftsp) or 0.
/// Sums saturate at `u64::MAX`.
fn fill_table(table: &mut Vec<u64>, a: &[u32], suf: &[u32], z: u32, prune: bool) {
    let k = a.len();
    let w = z as usize + 1;
    table.clear();
    table.resize((k + 1) * w, 0);
    // Row 0 (the root) is never read: skips read the row below the parent.
    for depth in (1..k).rev() {
        let (cur, next) = table[depth * w..(depth + 2) * w].split_at_mut(w);
        for r in 1..w as u32 {
            let hi = r.min(a[depth]);
            let lo = if prune {
                r.saturating_sub(suf[depth + 1])
            } else {
                0
            };
            let s = if lo > hi {
                0
            } else {
                children_count(next, r, lo, hi)
            };
            cur[r as usize] = cur[r as usize - 1].saturating_add(s);
        }
    }
}

/// The nodes of children `v = v_top, v_top − 1, …, lo` of a node at depth `j`
/// needing `r`, with their subtrees, from the table of [`fill_table`].
fn skip_count(table: &[u64], z: u32, j: usize, r: u32, lo: u32, v_top: u32) -> u64 {
    let w = z as usize + 1;
    children_count(&table[(j + 1) * w..(j + 2) * w], r, lo, v_top)
}

/// The nodes of children `v = lo … hi` (`lo ≤ hi ≤ r`) of a node needing `r`,
/// with their subtrees, from `row`, the prefix sums `P[r'] = Σ_{r'' ≤ r'} sub(r'')`
/// of the level below: `(hi − lo + 1) + Σ_{v=lo}^{hi} sub(r − v)
/// = (hi − lo + 1) + P[r − lo] − P[r − hi − 1]`, saturating at `u64::MAX`.
fn children_count(row: &[u64], r: u32, lo: u32, hi: u32) -> u64 {
    let upper = row[(r - lo) as usize];
    let below = if r > hi {
        row[(r - hi - 1) as usize]
    } else {
        0
    };
    let inner = if upper == u64::MAX {
        u64::MAX
    } else {
        upper - below
    };
    ((hi - lo + 1) as u64).saturating_add(inner)
}

/// Node counts of whole trees in closed form, by inclusion–exclusion.
///
/// For a tree with level sizes `c_1 … c_K` (all present) and target `z ≥ 1`,
/// a node `(v_1, …, v_j)` is entered iff `v_i ≤ c_i`, its parent is inner
/// (`S_{j−1} < z`, `S_j = v_1 + … + v_j`) and `S_j ≤ z`; with pruning also
/// `S_j ≥ z − Σ_{k>j} c_k` (that implies the same for every ancestor). So the
/// nodes at depth `j` are
///
/// ```text
/// N_j = B_j(z) − [prune]·B_j(z − Σ_{k>j} c_k − 1) − G_{j−1}(z)
/// ```
///
/// where `B_j(x)` counts the vectors of the box `Π_{i≤j} [0, c_i]` with sum
/// `≤ x` and `G_{j−1}(z)` those of length `j − 1` with sum exactly `z` (the
/// children `v_j = 0` of a leaf, which are not entered). By inclusion–exclusion
/// over the coordinates that exceed their size, with `X_J = Σ_{i∈J} (c_i + 1)`
/// and `H_q(m) = C(m + q, q)` for `m ≥ 0`, else 0 (vectors of length `q` with
/// sum `≤ m`):
///
/// ```text
/// B_j(x) = Σ_{J ⊆ {1..j}} (−1)^{|J|} H_j(x − X_J)
/// G_j(x) = Σ_{J ⊆ {1..j}} (−1)^{|J|} H_{j−1}(x − X_J)
/// ```
///
/// Every term is `H_q(z − const)`, so a sum over a range of `z` telescopes
/// (`Σ_{m ≤ M} H_q(m) = H_{q+1}(M)`).
pub(crate) mod count {
    /// `q!` for `q ≤ 33` (33! < 2^128).
    const FACT: [u128; 34] = {
        let mut f = [1u128; 34];
        let mut q = 1;
        while q < 34 {
            f[q] = f[q - 1] * q as u128;
            q += 1;
        }
        f
    };

    /// Whether [`closed`] is exact for `k` levels and targets up to `z`: every
    /// product it forms stays below 2^100 (so sums of up to 2^27 terms fit i128).
    pub fn closed_fits(k: usize, z: u64) -> bool {
        let q = k as u32 + 1;
        let bits = 64 - (z + q as u64 + 1).leading_zeros();
        k <= 20 && q * bits <= 100
    }

    /// A rough operation count of one [`closed`] call on `k` levels.
    pub fn closed_cost(k: usize) -> u128 {
        (1u128 << k) * k as u128 * 12
    }

    /// `H_q(m) = C(m + q, q)` for `m ≥ 0`, else 0.
    fn h(q: usize, m: i64) -> u128 {
        if m < 0 {
            return 0;
        }
        let m = m as u128;
        let mut p = 1u128;
        for i in 1..=q as u128 {
            p *= m + i;
        }
        p / FACT[q]
    }

    /// `Σ_{z=z1}^{z2} H_{q−1}(z − x) = H_q(z2 − x) − H_q(z1 − 1 − x)`.
    fn hs(q: usize, z1: u64, z2: u64, x: i64) -> i128 {
        h(q, z2 as i64 - x) as i128 - h(q, z1 as i64 - 1 - x) as i128
    }

    /// `Σ_{z = z1}^{z2}` of the node count of the tree with level sizes `c`
    /// (each ≥ 1), pruned (dftsp) or not; `None` unless [`closed_fits`]`(c.len(), z2)`.
    pub fn closed(c: &[u32], z1: u64, z2: u64, prune: bool) -> Option<u128> {
        let k = c.len();
        if !closed_fits(k, z2) || z1 == 0 || z1 > z2 {
            return if z1 > z2 { Some(0) } else { None };
        }
        // after[j] = Σ_{i > j} c_i (1-based j).
        let mut after = [0i64; 21];
        for j in (1..k).rev() {
            after[j] = after[j + 1] + c[j] as i64;
        }
        let mut acc = 0i128;
        for mask in 0u32..(1 << k) {
            let (mut x, mut top) = (0i64, 0usize);
            for (i, &ci) in c.iter().enumerate() {
                if mask >> i & 1 == 1 {
                    x += ci as i64 + 1;
                    top = i + 1;
                }
            }
            if x > z2 as i64 {
                continue; // every term's argument is negative
            }
            let sign = if mask.count_ones() % 2 == 0 { 1 } else { -1 };
            let mut t = 0i128;
            // B_j, j ≥ max(top, 1): J ⊆ {1..j}.
            for (j, &aft) in after.iter().enumerate().take(k + 1).skip(top.max(1)) {
                t += hs(j + 1, z1, z2, x);
                if prune {
                    t -= hs(j + 1, z1, z2, x + aft + 1);
                }
            }
            // G_{j−1}, j ≥ max(top + 1, 2): J ⊆ {1..j−1}.
            for j in (top + 1).max(2)..=k {
                t -= hs(j - 1, z1, z2, x);
            }
            acc += sign * t;
        }
        debug_assert!(acc >= 0);
        Some(acc as u128)
    }
}

/// The general path's view of one tree: the model, the cap, the present
/// levels' outputs, the compute-time limit `min(T_C, τ_min − T_U − T_D)` in ns
/// (`None`: no time at all), a count-vector buffer and the call's memo.
struct General<'a> {
    cost: &'a dyn sim_models::cost::CostModel,
    cap: u32,
    outs: &'a [u32],
    limit: Option<u64>,
    cnt: &'a mut Vec<u32>,
    memo: &'a mut TimeMemo,
}

/// One tree (cap, `z`, `d`).
struct Tree<'a> {
    prune: bool,
    z: u32,
    /// Capped level sizes `min(|F_k|, z)`, levels present in `F_d`, shortest first.
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
    /// The general path's time test (`None` on the fast path).
    general: Option<General<'a>>,
    /// The table of [`fill_table`] for these levels and `z`, once `table_ready`.
    table: &'a mut Vec<u64>,
    table_ready: &'a mut bool,
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
            if !complete || cf > self.flim || ct > self.kv_lim || self.too_slow(j, v, r2) {
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

    /// General path: whether the cheapest completion below child `v` of a node
    /// at depth `j` (ancestors' counts in `path`, then `v`, then `r` more from
    /// the shortest levels after `j`) breaks (1d)/(1g). Always `false` on the
    /// fast path, whose FLOP test has already decided.
    #[inline]
    fn too_slow(&mut self, j: usize, v: u32, r: u32) -> bool {
        let Some(g) = self.general.as_mut() else {
            return false;
        };
        let Some(limit) = g.limit else {
            return true;
        };
        g.cnt.clear();
        g.cnt.extend_from_slice(&self.path[..j]);
        g.cnt.push(v);
        let mut r = r;
        for &a in &self.a[j + 1..] {
            let t = r.min(a);
            g.cnt.push(t);
            r -= t;
        }
        debug_assert_eq!(r, 0, "checked complete");
        g.memo.time(g.cost, g.cap, g.outs, g.cnt) > limit
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
        let count = skip_count(self.table, self.z, j, r, lo, v_top);
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

    /// Fills the table for this tree's levels and `z`, unless already done for
    /// its segment (same capped sizes, same `z`).
    fn ensure_table(&mut self) {
        if !*self.table_ready {
            fill_table(self.table, self.a, self.suf, self.z, self.prune);
            *self.table_ready = true;
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
    use sim_models::cost::{level_counts, MODEL_PRESETS};
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
                    ZStart::Bound if inst.flops_cost().is_none() => {
                        // The general bound: the z shortest outputs at the cap, every z
                        // tried in turn (the search bisects).
                        let mut outs: Vec<u32> = ranked.iter().map(|&i| reqs[i].output).collect();
                        outs.sort_unstable();
                        let room = inst.t_c_ns.min(
                            (reqs[ranked[0]].budget_ns - (inst.t_u_ns + inst.t_d_ns) as i64) as u64,
                        );
                        (0..=outs.len())
                            .take_while(|&z| {
                                inst.cost
                                    .batch_time_ns(cap, &level_counts(outs[..z].iter().copied()))
                                    <= room
                            })
                            .last()
                            .unwrap_or(0)
                    }
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
            // The model's own time of the leaf at the cap (= the FLOP sum's on the paper's).
            let t = inst
                .cost
                .batch_time_ns(cap, &level_counts(s.iter().map(|&i| r[i].output)));
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

    /// `inst` under a non-additive [`ToyRoofline`](crate::bench_support::ToyRoofline)
    /// over its FLOP model, its weight and KV reads scaled by a factor drawn in
    /// [0.01, 1] so that both compute- and memory-bound batches occur.
    fn under_toy_roofline(inst: &Instance, g: &mut SplitMix) -> Instance {
        let mut t = crate::bench_support::toy_roofline(*flops_of(inst));
        let q = 0.01 + 0.99 * g.unit();
        t.b *= q;
        t.c *= q;
        Instance {
            cost: std::sync::Arc::new(t),
            ..inst.clone()
        }
    }

    #[test]
    fn general_path_matches_the_literal_walk() {
        // Under any cost model the search must still be the literal loops of
        // MODEL.md §7 (nodes and selection), with the general z_max; and with the
        // paper's model behind the general path (HiddenFlops), its selections.
        let mut g = SplitMix::new(77);
        let mut checked = 0u64;
        let mut nonempty = 0;
        for seed in 0..300u64 {
            let fast = random(seed, 1 + (seed % 13) as usize);
            let hidden = Instance {
                cost: std::sync::Arc::new(crate::bench_support::HiddenFlops(*flops_of(&fast))),
                ..fast.clone()
            };
            let toy = under_toy_roofline(&fast, &mut g);
            for prune in [true, false] {
                for z_start in [ZStart::Bound, ZStart::All] {
                    let (want_sel, _) = SearchCore::new(prune, z_start).solve(&fast);
                    for (label, inst) in [("hidden", &hidden), ("toy", &toy)] {
                        let mut lit = Literal {
                            inst,
                            prune,
                            nodes: 0,
                        };
                        let want = lit.solve(z_start);
                        let (got, work) = SearchCore::new(prune, z_start).solve(inst);
                        assert_eq!(got, want, "{label} seed {seed} prune {prune} {z_start:?}");
                        assert_eq!(
                            work.nodes, lit.nodes,
                            "{label} seed {seed} prune {prune} {z_start:?}"
                        );
                        if label == "hidden" {
                            assert_eq!(got, want_sel, "hidden vs fast, seed {seed}");
                        } else {
                            checked += lit.nodes;
                            nonempty += !got.is_empty() as u32;
                        }
                    }
                }
            }
        }
        assert!(
            checked > 5_000,
            "the toy instances must make real trees: {checked}"
        );
        assert!(
            nonempty > 200,
            "the toy instances must admit batches: {nonempty}"
        );
    }

    #[test]
    fn larger_instances_match_the_literal_walk_by_every_method() {
        // Up to 40 requests: long segments, hopeless z (all of them with
        // z_start: all), bulk counts per z and per d, both tree counts.
        for seed in 0..24u64 {
            let inst = random(1000 + seed, 14 + (seed as usize * 7) % 27);
            for prune in [true, false] {
                for z_start in [ZStart::Bound, ZStart::All] {
                    let mut lit = Literal {
                        inst: &inst,
                        prune,
                        nodes: 0,
                    };
                    let want = lit.solve(z_start);
                    let auto = SearchCore::new(prune, z_start).solve(&inst);
                    assert_eq!(auto.0, want, "seed {seed} prune {prune} {z_start:?}");
                    assert_eq!(
                        auto.1.nodes, lit.nodes,
                        "seed {seed} prune {prune} {z_start:?}"
                    );
                    for method in [Method::Table, Method::Closed] {
                        let got = SearchCore::new(prune, z_start)
                            .with_method(method)
                            .solve(&inst);
                        assert_eq!(
                            got, auto,
                            "seed {seed} prune {prune} {z_start:?} {method:?}"
                        );
                    }
                }
            }
        }
    }

    /// Nodes of one whole tree, by walking it as MODEL.md §7 defines them.
    fn brute_nodes(c: &[u32], z: u32, prune: bool) -> u64 {
        fn go(c: &[u32], j: usize, r: u32, prune: bool) -> u64 {
            let after: u32 = c[j + 1..].iter().sum();
            let mut n = 0;
            for v in 0..=r.min(c[j]) {
                if prune && v + after < r {
                    continue;
                }
                n += 1;
                if v < r && j + 1 < c.len() {
                    n += go(c, j + 1, r - v, prune);
                }
            }
            n
        }
        go(c, 0, z, prune)
    }

    #[test]
    fn tree_counts_in_closed_form_match_the_table_and_a_walk() {
        let mut g = SplitMix::new(5);
        for _ in 0..3000 {
            let k = 1 + (g.next_u64() % 5) as usize;
            let c: Vec<u32> = (0..k).map(|_| 1 + (g.next_u64() % 9) as u32).collect();
            let total: u32 = c.iter().sum();
            let z = 1 + (g.next_u64() % total as u64) as u32;
            let mut suf = vec![0u32; k + 1];
            for j in (0..k).rev() {
                suf[j] = suf[j + 1] + c[j];
            }
            for prune in [true, false] {
                let want = brute_nodes(&c, z, prune);
                let closed = count::closed(&c, z as u64, z as u64, prune).unwrap();
                assert_eq!(closed, want as u128, "{c:?} z {z} prune {prune}");
                let mut table = vec![];
                fill_table(&mut table, &c, &suf, z, prune);
                let lo = if prune { z.saturating_sub(suf[1]) } else { 0 };
                let by_table = skip_count(&table, z, 0, z, lo, z.min(c[0]));
                assert_eq!(by_table, want, "{c:?} z {z} prune {prune}");
                // A range of z telescopes to the sum of the single ones.
                let z1 = 1 + (g.next_u64() % z as u64) as u32;
                let sum: u64 = (z1..=z).map(|y| brute_nodes(&c, y, prune)).sum();
                let closed = count::closed(&c, z1 as u64, z as u64, prune).unwrap();
                assert_eq!(closed, sum as u128, "{c:?} z {z1}..={z} prune {prune}");
            }
        }
    }

    #[test]
    fn worked_example_tree_sizes() {
        // examples/dftsp-nodes.ron (MODEL.md §7): levels {2, 3 | 1} with z = 3 make
        // 9 tree-search nodes — (2) (2,1) (2,0) (1) (1,1) (1,0) (0) (0,1) (0,0) —
        // and 2 dftsp nodes, (2) (2,1); levels {2 | 1} with z = 2 make 6 and 2.
        // Levels 1, 1, 1 with z = 2, by hand: tree-search (1) (1,1) (1,0) (1,0,1)
        // (1,0,0) (0) (0,1) (0,1,1) (0,1,0) (0,0) (0,0,1) (0,0,0) = 12; dftsp
        // (1) (1,1) (1,0) (1,0,1) (0) (0,1) (0,1,1) = 7.
        for (c, z, tree_search, dftsp) in [
            (&[2u32, 1][..], 3u64, 9u128, 2u128),
            (&[1, 1][..], 2, 6, 2),
            (&[1, 1, 1][..], 2, 12, 7),
        ] {
            assert_eq!(count::closed(c, z, z, false), Some(tree_search));
            assert_eq!(count::closed(c, z, z, true), Some(dftsp));
            assert_eq!(brute_nodes(c, z as u32, false) as u128, tree_search);
            assert_eq!(brute_nodes(c, z as u32, true) as u128, dftsp);
        }
    }

    #[test]
    fn radix_ranking_is_the_comparison_ranking() {
        let mut g = SplitMix::new(11);
        for (n, spread) in [
            (600usize, 2_000_000_000i64),
            (5000, 1000),
            (3000, i64::MAX / 4),
        ] {
            let v: Vec<(i64, u32)> = (0..n as u32)
                .map(|i| ((g.next_u64() % spread as u64) as i64 - spread / 3, i))
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|&(b, i)| (Reverse(b), i));
            let (mut got, mut spare, mut keys) = (v, vec![], vec![]);
            sort_by_budget(&mut got, &mut spare, &mut keys, |r| r.0, |r| r.1);
            assert_eq!(got, want, "n {n} spread {spread}");
        }
    }

    proptest::proptest! {
        /// Every path of `sort_by_budget` (packed keys, radix, comparison)
        /// against the comparison sort on `(Reverse(budget), index)`, on
        /// queues in index order with gaps between indices, repeated budgets
        /// and spans from 0 to the whole `i64` range, with scratch reused.
        #[test]
        fn sort_by_budget_is_the_comparison_ranking(
            n in 0usize..1200,
            span_log in 0u32..64,
            ties in 1u64..4,
            low in proptest::num::i64::ANY,
            seed in proptest::num::u64::ANY,
        ) {
            let mut g = SplitMix::new(seed);
            let span = if span_log == 63 { u64::MAX } else { (1u64 << span_log) - 1 };
            let mut idx = 0u32;
            let v: Vec<(i64, u32)> = (0..n)
                .map(|_| {
                    idx += 1 + (g.next_u64() % 3) as u32;
                    // Coarse budgets (a multiple of `ties`) repeat often.
                    let off = (g.next_u64() & span) / ties * ties;
                    (low.wrapping_add(off as i64), idx)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|&(b, i)| (Reverse(b), i));
            let mut spare = vec![(7, 7); 5];
            let mut keys = vec![3; 9];
            let mut got = v;
            sort_by_budget(&mut got, &mut spare, &mut keys, |r| r.0, |r| r.1);
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn value_index_matches_sort_and_search() {
        let mut vi = ValueIndex::default();
        let mut g = SplitMix::new(2);
        for round in 0..40 {
            // Every fourth stream has a value beyond the direct table.
            let top = if round % 4 == 3 { 1 << 20 } else { 600 };
            let vals: Vec<u32> = (0..(round * 7 % 50))
                .map(|_| (g.next_u64() % top) as u32)
                .collect();
            vi.start();
            for &v in &vals {
                vi.mark(v);
            }
            vi.finish(vals.iter().copied());
            let mut want = vals.clone();
            want.sort_unstable();
            want.dedup();
            assert_eq!(vi.values, want, "round {round}");
            for &v in &vals {
                assert_eq!(vi.index(v) as usize, want.binary_search(&v).unwrap());
            }
        }
    }

    #[test]
    fn buffers_reused_across_instances_of_other_rates() {
        // Same queue, other FLOP rate: nothing cached for one may serve the
        // other. Equal budgets make every tree's time limit the same.
        for seed in 0..200u64 {
            let mut a = random(500 + seed, 12);
            for c in a.requests.iter_mut() {
                *c = Candidate::new(
                    c.id,
                    c.prompt,
                    c.output,
                    1_100_000_000,
                    c.rho_up,
                    c.rho_down,
                );
            }
            let mut b = a.clone();
            let fa = *flops_of(&a);
            b.cost = sim_models::cost::FlopsCost {
                flop_rate: fa.flop_rate * 0.6,
                ..fa
            }
            .shared();
            for prune in [true, false] {
                let mut core = SearchCore::new(prune, ZStart::Bound);
                core.solve(&a);
                let again = core.solve(&b);
                assert_eq!(
                    again,
                    SearchCore::new(prune, ZStart::Bound).solve(&b),
                    "seed {seed}"
                );
            }
        }
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
