//! `exact` — the optimum of problem P1 in every case (MODEL.md §7, ours):
//! shared or per-user channel gains, bandwidth binding or not, memory binding
//! or not, any number of output levels and prompt lengths.
//!
//! # How
//!
//! A batch is fixed by its padding cap `s'` and by its smallest budget `τ`.
//! For one such *pair* `(s', τ)` the candidates allowed are those with
//! `s_i ≤ s'` and `budget_i ≥ τ`; a selection of them padded to `s'` satisfies
//! (1g) and (1d) iff its FLOPs are at most `F(τ) = flop_limit(min(T_C, τ − T_U − T_D))`,
//! and (1c) iff its tokens `Σ(s' + n_i)` are at most the token capacity
//! (MODEL.md §5). Running the selection padded to its own longest prompt
//! `≤ s'` is only cheaper, so the optimum over all pairs is the optimum of P1.
//!
//! Within a pair, FLOPs and tokens depend only on how many requests come from
//! each output level, and both grow with the level, so *ignoring bandwidth*
//! the `k` requests with the shortest outputs are the cheapest `k` for both at
//! once (swap any longer one for an unused shorter one): the count of a pair is
//! the largest `k` whose `k` shortest fit. Caps are swept in ascending order
//! and, per cap, `τ` over the budgets in descending order; the allowed set only
//! grows, so per-level counts are updated incrementally, and only `best + 1`
//! is ever tested (the incumbent only climbs). That is the whole algorithm
//! when the allowed requests' `Σρ` cannot exceed 1 — the paper's setting —
//! `O(caps · (n + best) · levels)` after one sort. Once a test of `k` fails
//! at a cap, the `k` shortest of *all* the cap's requests bound every later
//! test of `k` there from below, in FLOPs and in tokens ([`Floor`]): while the
//! limit is below their time, or their tokens overflow, those tests fail
//! without being summed — most of the sweep's tail after its last success
//! (≈ 300 of ≈ 340 tests per epoch in `scenarios/long-horizon.ron`). When
//! bandwidth is slack and the floor rules out `best + 1`, it does so at every
//! later step of the cap, so the rest of the cap's sweep is only counted (one
//! node and one leaf per remaining step), not run.
//!
//! When bandwidth can bind, the pair's count above is only an upper bound.
//! Those pairs are searched in descending order of it, each by a depth-first
//! branch and bound over its requests (include before exclude), until the
//! next bound does not beat the incumbent. A pair is not even set up for the
//! search when a bandwidth bound already rules it out: the largest `k` whose
//! `k` smallest `ρU` (resp. `ρD`, resp. `ρU + ρD` against 2) among its allowed
//! requests fit. The sweep keeps these three counts as requests are admitted
//! ([`GreedyCount`], capped at the most any pair of the cap can hold ignoring
//! bandwidth — beyond that they rule nothing out — so O(1) for most requests),
//! so a pair costs O(1) to rule out
//! and the epoch stays near-linear however many pairs bandwidth makes; the
//! incumbent only climbs, so a pair ruled out when the sweep meets it stays
//! ruled out. Bounds at a node of the search, all valid upper bounds on what
//! the rest can add:
//! - the level-count bound above on the remaining requests and resources;
//! - a surrogate knapsack: each resource normalised to a capacity of
//!   [`UNIT`] (weights rounded *down*, so any feasible set still fits) and a
//!   subset of them summed, chosen at the root as the subset giving the
//!   smallest greedy count; requests are branched on in ascending surrogate
//!   weight, so the greedy bound of a suffix is a binary search on prefix sums;
//! - `Σρ` left divided by the suffix's smallest `ρU` (resp. `ρD`).
//!
//! Two rules cut symmetric work without losing the optimum:
//! - *pair ownership*: a pair only looks for sets containing a request with
//!   budget exactly `τ` and one with prompt exactly `s'` (every set is owned
//!   by its own `(max prompt, min budget)` pair, searched or bounded away);
//! - *dominance*: within one output level, once request `a` is excluded on
//!   the current path, no later `b` with `ρU_b ≥ ρU_a`, `ρD_b ≥ ρD_a` (and no
//!   ownership role `a` lacks) is included. Among the optimal sets, the
//!   lexicographically greatest in branching order never breaks this rule
//!   (swapping `b` for `a` keeps it feasible, owned and as large, and is
//!   lexicographically greater), and the search reaches it.
//!
//! Arithmetic is the integer arithmetic of `sim_models` (exact FLOPs, fixed
//! point `ρ`), so the result is deterministic and agrees with
//! `sim_models::feasibility::check_batch` to the ns. Buffers live in the
//! scheduler and are reused, so after the first epochs the search allocates
//! nothing; only the returned plan is allocated.
//!
//! Work ([`Work`]): `nodes` = threshold steps of the sweep (one per cap and
//! distinct budget that admits a request) plus branch-and-bound nodes entered;
//! `leaves` = count vectors tested against the constraints in the sweep plus
//! pairs handed to the branch and bound (those the bandwidth bound rules out
//! are not).
//!
//! # Any cost model (the general path)
//!
//! Nothing above needs time to be additive: only that it depends on the cap
//! and the count per output level, and never decreases when a request is
//! added or moved to a longer level (MODEL.md §11) — so the `k` shortest are
//! still the cheapest `k`, and ownership and dominance still hold. Under a
//! cost model without the FLOP fast path, each test of a count vector asks the
//! model for its `t_batch` at the cap (through a [`TimeMemo`], kept while the
//! model is the same: the sweep asks for the same shortest-`k` vector at many
//! thresholds, and a run for the same vectors epoch after epoch) and compares it with
//! the ns limit; in the branch and bound the path keeps its count per level,
//! an inclusion is tested on that vector, the level bound finds by bisection
//! the most shortest-first requests the time still admits, and time leaves
//! the surrogate (it has no additive weight; the other resources remain a
//! valid surrogate). Same sweep, same pairs, same bounds otherwise. The
//! sweep's [`Floor`] holds here on time (the model's time of the `k` shortest
//! of all the cap's requests): while the limit is below it the tests fail
//! without the model. Under the roofline at λ = 200 this decides most of
//! the sweep's tail after its last success (129 → 81 evaluations per epoch).
//! A test the floor decides still counts as a leaf, so [`Work`] is what it was.
//!
//! Tie-break **[ours]**: among equally large sets, the first found — caps
//! ascending, then budgets descending; within a level the requests with the
//! largest budgets (ties by index) in the sweep, the branching order in the search.

use std::cmp::Reverse;

use crate::entry::{BuildError, Entry};
use crate::timing::{shortest, TimeMemo};
use sim_models::cost::{CostModel, FlopsCost};
use sim_models::instance::{Instance, RHO_ONE};
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::batch::{flop_limit, time_limit_ns};
use crate::search::{sort_by_budget, ValueIndex};

/// Fixed-point capacity of each normalised resource in the surrogate bound.
const UNIT: u64 = 1 << 32;

/// The `exact` scheduler (MODEL.md §7). Holds reusable buffers only; every
/// call is independent of the previous ones.
#[derive(Clone, Debug, Default)]
pub struct Exact {
    s: Scratch,
    clock: ModelClock,
}

impl Exact {
    /// A new exact scheduler.
    pub fn new() -> Exact {
        Exact::default()
    }

    /// A maximum-cardinality feasible batch of `inst` (indices into
    /// `inst.requests`, ascending) and the work done to find it.
    pub fn solve(&mut self, inst: &Instance) -> (Vec<usize>, Work) {
        let mut work = Work::default();
        self.clock.memo.start(&inst.cost);
        let mut sel = solve_into(inst, &mut self.s, &mut self.clock, &mut work);
        sel.sort_unstable();
        (sel, work)
    }
}

impl Scheduler for Exact {
    fn name(&self) -> &str {
        "exact"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let (sel, work) = self.solve(view.instance);
        Ok(Plan::pooled(sel, work))
    }
}

/// A selectable candidate, as the sweep sees it.
#[derive(Clone, Copy, Debug, Default)]
struct Item {
    /// Index into `Instance::requests`.
    idx: u32,
    /// Index into `Scratch::levels`.
    level: u32,
    /// Index into `Scratch::caps` of its prompt: allowed at cap `c` iff `cap ≤ c`.
    cap: u32,
    /// `s_i`, tokens.
    prompt: u32,
    /// `n_i`, tokens.
    output: u32,
    /// `D_i − t_k`, ns.
    budget: i64,
    /// `ρU_i`, fixed point.
    up: u64,
    /// `ρD_i`, fixed point.
    down: u64,
}

/// A (cap, threshold) pair whose bandwidth can bind, left to the branch and bound.
#[derive(Clone, Copy, Debug)]
struct Pair {
    /// Its count ignoring bandwidth: an upper bound on its optimum.
    ub: u32,
    /// Index into `Scratch::caps`.
    cap: u32,
    /// The allowed requests are `items[..pos]` with `prompt ≤ cap`; `τ = items[pos − 1].budget`.
    pos: u32,
    /// The bandwidth bound: the smallest of the three [`GreedyCount`]s.
    bw: u32,
}

/// A request of one pair's branch and bound.
#[derive(Clone, Copy, Debug, Default)]
struct BbItem {
    idx: u32,
    level: u32,
    /// Bit 0: budget exactly `τ`; bit 1: prompt exactly the cap (pair ownership).
    flags: u8,
    up: u64,
    down: u64,
    /// Normalised FLOPs, tokens, `ρU`, `ρD` (each resource's capacity is [`UNIT`]).
    norm: [u64; 4],
    /// Surrogate weight: the sum of `norm` over the chosen resources.
    sigma: u64,
}

/// `min(k, limit)` for the largest `k` such that the `k` smallest of a
/// growing multiset of weights sum to at most a capacity (the greedy bound of
/// a one-resource knapsack by count). Only the `limit` smallest weights are
/// kept, sorted: a weight that is not among them costs O(1), one that is
/// O(limit) to place and O(k) to recount.
#[derive(Clone, Debug, Default)]
struct GreedyCount {
    capacity: u64,
    limit: usize,
    smallest: Vec<u64>,
    count: u32,
    /// Sum of the `count` smallest weights (≤ `capacity`).
    sum: u64,
}

impl GreedyCount {
    /// Empties the multiset; weights will be measured against `capacity`,
    /// counts capped at `limit`.
    fn reset(&mut self, capacity: u64, limit: usize) {
        self.capacity = capacity;
        self.limit = limit;
        self.smallest.clear();
        self.count = 0;
        self.sum = 0;
    }

    /// Adds weight `x` (at most 2^62, so sums never overflow). The count
    /// never falls when a weight is added, so it is advanced, not recounted:
    /// amortised O(1) besides placing `x`.
    fn insert(&mut self, x: u64) {
        if self.smallest.len() == self.limit && self.smallest.last().is_none_or(|&m| x >= m) {
            return;
        }
        let at = self.smallest.partition_point(|&m| m <= x);
        let k = self.count as usize;
        if at < k {
            // x enters the counted prefix and pushes its largest member out of it.
            self.sum = self.sum - self.smallest[k - 1] + x;
        }
        self.smallest.insert(at, x);
        self.smallest.truncate(self.limit);
        let mut k = k;
        while k < self.smallest.len() && self.sum + self.smallest[k] <= self.capacity {
            self.sum += self.smallest[k];
            k += 1;
        }
        self.count = k as u32;
    }

    /// The current `min(k, limit)`.
    fn count(&self) -> u32 {
        self.count
    }
}

/// Shortest queue (selectable requests) on which exact uses the greedy-count
/// bandwidth bound: below it, searching every pair is cheaper (measured with
/// `cargo bench -p sim-schedulers -- exact`, binding bands, λ = 10…250).
const FILTER_MIN_QUEUE: usize = 256;

/// The bandwidth bound of the allowed requests: the smallest greedy count.
fn bw(g: &[GreedyCount; 3]) -> u32 {
    g.iter().map(GreedyCount::count).min().expect("three")
}

/// Buffers reused from call to call.
#[derive(Clone, Debug, Default)]
struct Scratch {
    items: Vec<Item>,
    spare: Vec<Item>,
    /// Scratch of [`sort_by_budget`].
    keys: Vec<u64>,
    /// The distinct output lengths (levels) and prompt lengths (caps).
    out_index: ValueIndex,
    prompt_index: ValueIndex,
    levels: Vec<u32>,
    caps: Vec<u32>,
    cap_allowed: Vec<u32>,
    cnt: Vec<u32>,
    wf: Vec<u128>,
    wm: Vec<u64>,
    pairs: Vec<Pair>,
    bb: Vec<BbItem>,
    tmp: Vec<u64>,
    prefix: Vec<u64>,
    sufcnt: Vec<u32>,
    sufmin: Vec<[u64; 2]>,
    sufown: Vec<[u32; 2]>,
    excluded: Vec<Vec<(u64, u64, u8)>>,
    path: Vec<u32>,
    best_path: Vec<u32>,
    /// Request indices of the best set the branch and bound found.
    found: Vec<u32>,
    /// Greedy counts of the allowed requests' `ρU`, `ρD` and `ρU + ρD`.
    greedy: [GreedyCount; 3],
    /// Per level: all requests of the cap.
    cnt_all: Vec<u32>,
    /// The levels of the requests, grouped by cap index: those of prompt
    /// exactly `caps[c]` are `by_cap[cap_allowed[c − 1]..cap_allowed[c]]`.
    by_cap: Vec<u32>,
    /// Indices into `items` of the current cap's requests (a prefix is used).
    admitted: Vec<u32>,
}

/// The general path's clock: the memo of batch times and a count buffer.
#[derive(Clone, Debug, Default)]
struct ModelClock {
    memo: TimeMemo,
    cnt: Vec<u32>,
}

/// How a call measures time: the FLOP fast path, or the cost model at a cap.
#[derive(Clone, Copy)]
enum Clock<'a> {
    Flops(&'a FlopsCost),
    Model {
        cost: &'a dyn CostModel,
        /// The output length of each level.
        levels: &'a [u32],
    },
}

/// The floor of one cap's sweep: a lower bound on the time of every count
/// vector of `k` requests the sweep tests at the cap.
///
/// The sweep tests the `k` shortest of the requests admitted so far, `cnt`
/// per level; the cap's requests all together count `cnt_all ≥ cnt` per
/// level. The `k` shortest of `cnt_all` are the `k` shortest of `cnt` with
/// some requests moved to shorter levels, so by the monotonicity of time
/// (MODEL.md §11, docs/model.md §7) they take no longer: `t`, their time,
/// bounds every `k`-vector of the cap from below. Once the limit (which only
/// falls as the sweep goes on) is below `t`, every remaining test of `k` at
/// this cap fails without asking the model — the tail of the sweep after its
/// last success, where the searches spend most of their evaluations. The
/// answers are those of the tests themselves, so the result is unchanged.
///
/// On the FLOP fast path the same holds of FLOPs and of tokens (both grow
/// with the level, per request), so the bound there also covers (1c): when
/// the `k` shortest of all the cap's requests overflow the token capacity,
/// every `k`-vector of the cap does, and the floor is `u64::MAX` ns.
#[derive(Clone, Copy, Debug, Default)]
struct Floor {
    /// The count the bound is of (0: none).
    k: u32,
    /// ns.
    t: u64,
}

impl Floor {
    /// Whether the bound alone says that `k` requests miss `limit_ns`.
    #[inline]
    fn rules_out(&self, k: u32, limit_ns: u64) -> bool {
        self.k == k && self.t > limit_ns
    }

    /// Finds the bound of `k` at `cap` from the cap's counts `cnt_all`
    /// (`k ≤ Σ cnt_all`).
    fn learn(
        &mut self,
        cost: &dyn CostModel,
        levels: &[u32],
        mc: &mut ModelClock,
        cap: u32,
        k: u32,
        cnt_all: &[u32],
    ) {
        shortest(cnt_all, k, &mut mc.cnt);
        self.t = mc.memo.time(cost, cap, levels, &mc.cnt);
        self.k = k;
    }

    /// As [`Floor::learn`] on the FLOP fast path, from the cap's per-level
    /// FLOPs `wf` and tokens `wm` and the token capacity `tok`: the time of
    /// the `k` shortest of `cnt_all`, or `u64::MAX` if they overflow `tok`.
    #[allow(clippy::too_many_arguments)]
    fn learn_flops(
        &mut self,
        fc: &FlopsCost,
        k: u32,
        cnt_all: &[u32],
        wf: &[u128],
        wm: &[u64],
        tok: u64,
    ) {
        let (f, m) = shortest_sums(k, cnt_all, wf, wm);
        self.t = if m > tok { u64::MAX } else { fc.time_ns(f) };
        self.k = k;
    }
}

/// Per-level FLOPs (0 on the general path) and tokens of one request padded
/// to `cap` (MODEL.md §5).
fn level_weights(clock: Clock, cap: u32, levels: &[u32], wf: &mut Vec<u128>, wm: &mut Vec<u64>) {
    wf.clear();
    wm.clear();
    for &n in levels {
        wf.push(match clock {
            Clock::Flops(fc) => fc.model.request_flops(cap, n),
            Clock::Model { .. } => 0,
        });
        wm.push(cap as u64 + n as u64);
    }
}

/// Whether the `k` shortest-output allowed requests (per-level counts `cnt`)
/// fit (1c) and a compute limit of `limit_ns` ((1d), (1g)) at `cap`. `k ≤ Σ cnt`.
#[allow(clippy::too_many_arguments)]
fn shortest_fit(
    clock: Clock,
    mc: &mut ModelClock,
    cap: u32,
    k: u32,
    cnt: &[u32],
    wf: &[u128],
    wm: &[u64],
    tok: u64,
    limit_ns: u64,
) -> bool {
    let fc = match clock {
        Clock::Flops(fc) => fc,
        Clock::Model { cost, levels } => {
            shortest(cnt, k, &mut mc.cnt);
            let m: u64 = mc.cnt.iter().zip(wm).map(|(&v, &w)| v as u64 * w).sum();
            return m <= tok && mc.memo.time(cost, cap, levels, &mc.cnt) <= limit_ns;
        }
    };
    let (f, m) = shortest_sums(k, cnt, wf, wm);
    m <= tok && fc.time_ns(f) <= limit_ns
}

/// FLOPs and tokens of the `k` shortest-output requests of per-level counts
/// `cnt` (`k ≤ Σ cnt`), each level's request weighing `wf`, `wm`.
#[inline]
fn shortest_sums(k: u32, cnt: &[u32], wf: &[u128], wm: &[u64]) -> (u128, u64) {
    let (mut rem, mut f, mut m) = (k, 0u128, 0u64);
    for l in 0..cnt.len() {
        let v = cnt[l].min(rem);
        f += v as u128 * wf[l];
        m += v as u64 * wm[l];
        rem -= v;
        if rem == 0 {
            break;
        }
    }
    (f, m)
}

/// The core: fills nothing but scratch, returns the selection (unsorted).
fn solve_into(
    inst: &Instance,
    s: &mut Scratch,
    mc: &mut ModelClock,
    work: &mut Work,
) -> Vec<usize> {
    let Some(tok) = inst.kv_token_capacity() else {
        return vec![];
    };
    s.items.clear();
    let (mut tot_up, mut tot_down) = (0u64, 0u64);
    s.out_index.start();
    s.prompt_index.start();
    for (idx, c) in inst.requests.iter().enumerate() {
        if inst.selectable(c) {
            s.out_index.mark(c.output);
            s.prompt_index.mark(c.prompt);
            s.items.push(Item {
                idx: idx as u32,
                level: 0,
                cap: 0,
                prompt: c.prompt,
                output: c.output,
                budget: c.budget_ns,
                up: c.rho_up_fx,
                down: c.rho_down_fx,
            });
            tot_up = tot_up.saturating_add(c.rho_up_fx);
            tot_down = tot_down.saturating_add(c.rho_down_fx);
        }
    }
    if s.items.is_empty() {
        return vec![];
    }
    // Sweep order: budget descending, ties by index (unique keys: deterministic).
    sort_by_budget(
        &mut s.items,
        &mut s.spare,
        &mut s.keys,
        |it| it.budget,
        |it| it.idx,
    );
    s.out_index.finish(s.items.iter().map(|it| it.output));
    s.prompt_index.finish(s.items.iter().map(|it| it.prompt));
    s.levels.clear();
    s.levels.extend_from_slice(&s.out_index.values);
    s.caps.clear();
    s.caps.extend_from_slice(&s.prompt_index.values);
    let k_levels = s.levels.len();
    s.cap_allowed.clear();
    s.cap_allowed.resize(s.caps.len(), 0);
    for it in s.items.iter_mut() {
        it.level = s.out_index.index(it.output);
        let c = s.prompt_index.index(it.prompt) as usize;
        it.cap = c as u32;
        s.cap_allowed[c] += 1;
    }
    for c in 1..s.caps.len() {
        s.cap_allowed[c] += s.cap_allowed[c - 1];
    }
    // Levels grouped by cap (a counting sort; `admitted` is the cursor of each
    // group here): O(n + caps) however many caps and levels there are.
    s.admitted.clear();
    s.admitted.push(0);
    s.admitted
        .extend_from_slice(&s.cap_allowed[..s.caps.len() - 1]);
    s.by_cap.clear();
    s.by_cap.resize(s.items.len(), 0);
    for it in &s.items {
        let at = &mut s.admitted[it.cap as usize];
        s.by_cap[*at as usize] = it.level;
        *at += 1;
    }
    // With Σρ ≤ 1 over every selectable request no subset can break (1a)/(1b).
    let bandwidth_slack = tot_up <= RHO_ONE && tot_down <= RHO_ONE;
    let n = s.items.len();
    // The greedy-count bandwidth bound (a per-cap bisection and three counts)
    // pays only on long queues; on short ones every pair is searched, which
    // finds the same sets (the bound only skips pairs that cannot beat `best`).
    let filter = !bandwidth_slack && n >= FILTER_MIN_QUEUE;

    let mut best = 0u32;
    let mut best_at: Option<(usize, usize)> = None; // (cap index, pos) of the sweep's best
    s.pairs.clear();
    let levels = std::mem::take(&mut s.levels);
    let clock = match inst.flops_cost() {
        Some(fc) => Clock::Flops(fc),
        None => Clock::Model {
            cost: &*inst.cost,
            levels: &levels,
        },
    };
    s.cnt_all.clear();
    s.cnt_all.resize(k_levels, 0);
    for ci in 0..s.caps.len() {
        let cap = s.caps[ci];
        // `cnt_all`: per level, all the requests of this cap.
        let from = if ci == 0 {
            0
        } else {
            s.cap_allowed[ci - 1] as usize
        };
        for &l in &s.by_cap[from..s.cap_allowed[ci] as usize] {
            s.cnt_all[l as usize] += 1;
        }
        if s.cap_allowed[ci] <= best {
            continue;
        }
        level_weights(clock, cap, &levels, &mut s.wf, &mut s.wm);
        s.cnt.clear();
        s.cnt.resize(k_levels, 0);
        // No pair of this cap counts more than `most` ignoring bandwidth (all
        // its requests, the loosest limit T_C), so greedy counts beyond it never
        // rule a pair out: stop feeding them once all three reach it.
        let mut most = 0;
        if filter {
            let mut fits_all = |k| {
                shortest_fit(
                    clock,
                    mc,
                    cap,
                    k,
                    &s.cnt_all,
                    &s.wf,
                    &s.wm,
                    tok,
                    inst.t_c_ns,
                )
            };
            let (mut lo, mut hi) = (0, s.cap_allowed[ci] + 1); // fits_all(lo), !fits_all(hi)
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if fits_all(mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            most = lo;
        }
        for (g, c) in s.greedy.iter_mut().zip([1, 1, 2]) {
            g.reset(c * RHO_ONE, most as usize);
        }
        let (mut allowed, mut up, mut down) = (0u32, 0u64, 0u64);
        let mut prev_ub = 0;
        // `(k, t)`, `t` the time of the `k` shortest of all
        // the cap's requests (0 = none yet). Every `k`-vector the sweep tests
        // at this cap takes at least `t` (see [`Floor`]).
        let mut floor = Floor::default();
        // The cap's requests (prompt ≤ cap), in sweep order, listed without a
        // branch per request (prompts come in random order: a branch on each
        // mispredicts). A step that admits nothing has a smaller limit and the
        // same set as the step before, so the sweep visits only these.
        s.admitted.clear();
        s.admitted.resize(n, 0);
        let mut m = 0;
        for (i, it) in s.items.iter().enumerate() {
            s.admitted[m] = i as u32; // m ≤ i < n
            m += (it.cap as usize <= ci) as usize;
        }
        let mut j = 0;
        while j < m {
            let tau = s.items[s.admitted[j] as usize].budget;
            while j < m && s.items[s.admitted[j] as usize].budget == tau {
                let it = &s.items[s.admitted[j] as usize];
                s.cnt[it.level as usize] += 1;
                allowed += 1;
                up = up.saturating_add(it.up);
                down = down.saturating_add(it.down);
                if filter && bw(&s.greedy) < most {
                    // Selectable: ρU, ρD ≤ 1 each, so no sum overflows.
                    s.greedy[0].insert(it.up);
                    s.greedy[1].insert(it.down);
                    s.greedy[2].insert(it.up + it.down);
                }
                j += 1;
            }
            // `items[..i]`: every request with budget ≥ τ.
            let mut i = s.admitted[j - 1] as usize + 1;
            while i < n && s.items[i].budget == tau {
                i += 1;
            }
            if allowed <= best {
                continue;
            }
            work.nodes += 1;
            let limit = time_limit_ns(inst, tau).expect("selectable requests leave compute time");
            // `learn`: on a failure, find the floor of `k` if not known.
            let mut fits = |k: u32, work: &mut Work, learn: bool| {
                work.leaves += 1;
                if floor.rules_out(k, limit) {
                    return false;
                }
                let ok = shortest_fit(clock, mc, cap, k, &s.cnt, &s.wf, &s.wm, tok, limit);
                if !ok && learn && floor.k != k {
                    match clock {
                        Clock::Model { cost, levels } => {
                            floor.learn(cost, levels, mc, cap, k, &s.cnt_all);
                        }
                        Clock::Flops(fc) => {
                            floor.learn_flops(fc, k, &s.cnt_all, &s.wf, &s.wm, tok);
                        }
                    }
                }
                ok
            };
            if bandwidth_slack || (up <= RHO_ONE && down <= RHO_ONE) {
                // No subset of this pair can break (1a)/(1b): its count is its optimum.
                while best < allowed && fits(best + 1, work, true) {
                    best += 1;
                    best_at = Some((ci, i));
                }
                if bandwidth_slack && best < allowed && floor.rules_out(best + 1, limit) {
                    // The floor rules `best + 1` out at every later step of
                    // this cap too (the limit only falls, `best` stays): each
                    // is one node and one failed test, nothing else changes.
                    let mut rest = 0;
                    let mut prev = tau;
                    for &a in &s.admitted[j..m] {
                        let b = s.items[a as usize].budget;
                        rest += u64::from(b != prev);
                        prev = b;
                    }
                    work.nodes += rest;
                    work.leaves += rest;
                    break;
                }
            } else if (!filter || bw(&s.greedy) > best) && fits(best + 1, work, true) {
                // (Otherwise (1a)/(1b) alone keep every set of this pair at
                // ≤ best requests, now and after any later improvement.)
                // The pair's count ignoring bandwidth, by bisection (fit is monotone in k),
                // bracketed first around the previous pair's count, which it rarely leaves.
                let (mut lo, mut hi) = (best + 1, allowed + 1); // fits(lo), !fits(hi) or hi past the end
                let mut step = 1;
                let g = prev_ub.clamp(lo, allowed);
                if g > lo && !fits(g, work, false) {
                    hi = g;
                    while hi - lo > step {
                        if fits(hi - step, work, false) {
                            lo = hi - step;
                            break;
                        }
                        hi -= step;
                        step *= 2;
                    }
                } else {
                    lo = g;
                    while hi - lo > step {
                        if !fits(lo + step, work, false) {
                            hi = lo + step;
                            break;
                        }
                        lo += step;
                        step *= 2;
                    }
                }
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if fits(mid, work, false) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                prev_ub = lo;
                s.pairs.push(Pair {
                    ub: lo,
                    cap: ci as u32,
                    pos: i as u32,
                    bw: if filter { bw(&s.greedy) } else { u32::MAX },
                });
            }
        }
    }

    s.levels = levels;

    // Pairs whose bandwidth can bind: most promising first.
    s.pairs
        .sort_unstable_by_key(|p| (Reverse(p.ub), p.cap, p.pos));
    let mut from_search = false;
    for pi in 0..s.pairs.len() {
        let p = s.pairs[pi];
        if p.ub <= best {
            break;
        }
        if p.bw <= best {
            continue; // no set of this pair beats the incumbent
        }
        work.leaves += 1;
        if let Some(k) = search_pair(inst, s, mc, p, best, tok, work) {
            best = k;
            from_search = true;
        }
    }

    if from_search {
        return s.found.iter().map(|&i| i as usize).collect();
    }
    let Some((ci, pos)) = best_at else {
        return vec![];
    };
    // Rebuild the sweep's best: the `best` shortest-output allowed requests.
    let cap = s.caps[ci];
    s.cnt.clear();
    s.cnt.resize(k_levels, 0);
    for it in &s.items[..pos] {
        if it.prompt <= cap {
            s.cnt[it.level as usize] += 1;
        }
    }
    let mut rem = best;
    for v in s.cnt.iter_mut() {
        let take = (*v).min(rem);
        *v = take;
        rem -= take;
    }
    let mut sel = Vec::with_capacity(best as usize);
    for it in &s.items[..pos] {
        if it.prompt <= cap && s.cnt[it.level as usize] > 0 {
            s.cnt[it.level as usize] -= 1;
            sel.push(it.idx as usize);
        }
    }
    sel
}

/// Branch and bound for one pair: a feasible set larger than `best`, if any.
/// On success returns its size, and `s.found` holds its request indices.
fn search_pair(
    inst: &Instance,
    s: &mut Scratch,
    mc: &mut ModelClock,
    p: Pair,
    best: u32,
    tok: u64,
    work: &mut Work,
) -> Option<u32> {
    let cap = s.caps[p.cap as usize];
    let pos = p.pos as usize;
    let tau = s.items[pos - 1].budget;
    let limit = time_limit_ns(inst, tau).expect("selectable requests leave compute time");
    // The general path has no FLOPs: the FLOP resource is unbounded (and so
    // never active) and time is tested on count vectors.
    let general = inst.flops_cost().is_none();
    let (clock, f_lim) = match inst.flops_cost() {
        Some(fc) => (Clock::Flops(fc), flop_limit(inst, limit)),
        None => (
            Clock::Model {
                cost: &*inst.cost,
                levels: &s.levels,
            },
            u128::MAX,
        ),
    };
    level_weights(clock, cap, &s.levels, &mut s.wf, &mut s.wm);
    let k_levels = s.levels.len();
    // General path: whether one request of each level alone meets the limit.
    let mut alone: Vec<bool> = vec![];
    if general {
        alone.resize(k_levels, false);
        for (l, ok) in alone.iter_mut().enumerate() {
            mc.cnt.clear();
            mc.cnt.resize(k_levels, 0);
            mc.cnt[l] = 1;
            *ok = mc.memo.time(&*inst.cost, cap, &s.levels, &mc.cnt) <= limit;
        }
    }

    // The pair's requests that fit on their own.
    s.bb.clear();
    let (mut own_tau, mut own_cap) = (false, false);
    let mut totals = [0u128; 4];
    for it in &s.items[..pos] {
        let l = it.level as usize;
        if it.prompt > cap || s.wf[l] > f_lim || s.wm[l] > tok || (general && !alone[l]) {
            continue;
        }
        let flags = (it.budget == tau) as u8 | (((it.prompt == cap) as u8) << 1);
        own_tau |= flags & 1 != 0;
        own_cap |= flags & 2 != 0;
        // Rounded down: a feasible set's normalised sums stay ≤ UNIT each.
        let norm = [
            (s.wf[l] * UNIT as u128 / f_lim) as u64,
            (s.wm[l] as u128 * UNIT as u128 / tok as u128) as u64,
            (it.up as u128 * UNIT as u128 / RHO_ONE as u128) as u64,
            (it.down as u128 * UNIT as u128 / RHO_ONE as u128) as u64,
        ];
        totals[0] += s.wf[l];
        totals[1] += s.wm[l] as u128;
        totals[2] += it.up as u128;
        totals[3] += it.down as u128;
        s.bb.push(BbItem {
            idx: it.idx,
            level: it.level,
            flags,
            up: it.up,
            down: it.down,
            norm,
            sigma: 0,
        });
    }
    let n = s.bb.len();
    if n as u32 <= best || !own_tau || !own_cap {
        return None;
    }
    // Resources the whole set would overflow: only those can bind.
    let caps_r = [f_lim, tok as u128, RHO_ONE as u128, RHO_ONE as u128];
    let mut active = 0u8;
    for r in 0..4 {
        if totals[r] > caps_r[r] {
            active |= 1 << r;
        }
    }
    // Choose the surrogate: the subset of active resources with the smallest greedy count.
    let mut root_ub = (n as u32).min(p.ub);
    let mut best_mask = 0u8;
    for mask in 1..16u8 {
        if mask & !active != 0 {
            continue;
        }
        s.tmp.clear();
        s.tmp.extend(s.bb.iter().map(|b| surrogate(&b.norm, mask)));
        s.tmp.sort_unstable();
        let cap_sigma = mask.count_ones() as u64 * UNIT;
        let (mut sum, mut g) = (0u64, 0u32);
        for &w in &s.tmp {
            sum += w;
            if sum > cap_sigma {
                break;
            }
            g += 1;
        }
        if g < root_ub {
            root_ub = g;
            best_mask = mask;
        }
    }
    if root_ub <= best {
        return None;
    }
    for b in s.bb.iter_mut() {
        b.sigma = surrogate(&b.norm, best_mask);
    }
    s.bb.sort_unstable_by_key(|b| (b.sigma, b.level, b.idx));
    let cap_sigma = best_mask.count_ones() as u64 * UNIT;

    // Suffix tables: prefix sums of σ, per-level counts, smallest ρ, owners.
    s.prefix.clear();
    s.prefix.push(0);
    for b in &s.bb {
        let last = *s.prefix.last().expect("nonempty");
        s.prefix.push(last + b.sigma);
    }
    s.sufcnt.clear();
    s.sufcnt.resize((n + 1) * k_levels, 0);
    s.sufmin.clear();
    s.sufmin.resize(n + 1, [u64::MAX; 2]);
    s.sufown.clear();
    s.sufown.resize(n + 1, [0; 2]);
    for j in (0..n).rev() {
        let b = s.bb[j];
        let (head, tail) = s.sufcnt.split_at_mut((j + 1) * k_levels);
        head[j * k_levels..].copy_from_slice(&tail[..k_levels]);
        head[j * k_levels + b.level as usize] += 1;
        let m = s.sufmin[j + 1];
        s.sufmin[j] = [m[0].min(b.up), m[1].min(b.down)];
        let o = s.sufown[j + 1];
        s.sufown[j] = [o[0] + (b.flags & 1) as u32, o[1] + (b.flags >> 1) as u32];
    }
    if s.excluded.len() < k_levels {
        s.excluded.resize_with(k_levels, Vec::new);
    }
    for e in s.excluded.iter_mut() {
        e.clear();
    }
    s.path.clear();

    let mut dfs = Dfs {
        items: &s.bb,
        prefix: &s.prefix,
        sufcnt: &s.sufcnt,
        sufmin: &s.sufmin,
        sufown: &s.sufown,
        k_levels,
        wf: &s.wf,
        wm: &s.wm,
        f_lim,
        tok,
        cap_sigma,
        general: general.then(|| {
            mc.cnt.clear();
            mc.cnt.resize(k_levels, 0);
            DfsModel {
                cost: &*inst.cost,
                cap,
                levels: &s.levels,
                limit,
                cnt: &mut mc.cnt,
                memo: &mut mc.memo,
                fill: vec![],
            }
        }),
        excluded: &mut s.excluded,
        path: &mut s.path,
        best_path: &mut s.best_path,
        best,
        target: root_ub,
        nodes: 0,
    };
    dfs.go(0, Used::default());
    let (found, nodes) = (dfs.best, dfs.nodes);
    work.nodes += nodes;
    if found <= best {
        return None;
    }
    s.found.clear();
    s.found
        .extend(s.best_path.iter().map(|&j| s.bb[j as usize].idx));
    Some(found)
}

/// Sum of the normalised weights selected by `mask` (bit r: resource r).
fn surrogate(norm: &[u64; 4], mask: u8) -> u64 {
    let mut w = 0;
    for (r, &x) in norm.iter().enumerate() {
        if mask & (1 << r) != 0 {
            w += x;
        }
    }
    w
}

/// Resources taken by the requests included on the current path.
#[derive(Clone, Copy, Debug, Default)]
struct Used {
    f: u128,
    m: u64,
    up: u64,
    down: u64,
    sigma: u64,
    count: u32,
    own_tau: bool,
    own_cap: bool,
}

/// The general path's view of one pair's search: the model at the cap, the
/// limit in ns, the path's count per level, the call's memo, and a buffer.
struct DfsModel<'a> {
    cost: &'a dyn CostModel,
    cap: u32,
    levels: &'a [u32],
    limit: u64,
    cnt: &'a mut Vec<u32>,
    memo: &'a mut TimeMemo,
    fill: Vec<u32>,
}

impl DfsModel<'_> {
    /// Whether the path's counts plus the `t` shortest of `avail` (per level)
    /// meet the time limit.
    fn fits_plus(&mut self, avail: &[u32], t: u32) -> bool {
        shortest(avail, t, &mut self.fill);
        for (f, &c) in self.fill.iter_mut().zip(self.cnt.iter()) {
            *f += c;
        }
        self.memo.time(self.cost, self.cap, self.levels, &self.fill) <= self.limit
    }
}

/// One pair's depth-first search (see the module docs).
struct Dfs<'a> {
    items: &'a [BbItem],
    prefix: &'a [u64],
    sufcnt: &'a [u32],
    sufmin: &'a [[u64; 2]],
    sufown: &'a [[u32; 2]],
    k_levels: usize,
    wf: &'a [u128],
    wm: &'a [u64],
    f_lim: u128,
    tok: u64,
    cap_sigma: u64,
    /// The general path's time test (`None` on the fast path).
    general: Option<DfsModel<'a>>,
    excluded: &'a mut [Vec<(u64, u64, u8)>],
    path: &'a mut Vec<u32>,
    best_path: &'a mut Vec<u32>,
    /// Largest size found (starts at the incumbent's).
    best: u32,
    /// The root bound: reaching it ends the search.
    target: u32,
    nodes: u64,
}

impl Dfs<'_> {
    /// Explores the decisions on `items[j..]`; returns `true` once `target` is reached.
    fn go(&mut self, j: usize, u: Used) -> bool {
        self.nodes += 1;
        if u.count > self.best {
            self.best = u.count;
            self.best_path.clear();
            self.best_path.extend_from_slice(self.path);
            if self.best >= self.target {
                return true;
            }
        }
        let n = self.items.len();
        if j == n {
            return false;
        }
        // Ownership: the set must still be able to hold a τ request and a cap request.
        let own = self.sufown[j];
        if (!u.own_tau && own[0] == 0) || (!u.own_cap && own[1] == 0) {
            return false;
        }
        if u.count + self.bound(j, &u) <= self.best {
            return false;
        }
        let b = self.items[j];
        let l = b.level as usize;
        let v = Used {
            f: u.f + self.wf[l],
            m: u.m + self.wm[l],
            up: u.up + b.up,
            down: u.down + b.down,
            sigma: u.sigma + b.sigma,
            count: u.count + 1,
            own_tau: u.own_tau || b.flags & 1 != 0,
            own_cap: u.own_cap || b.flags & 2 != 0,
        };
        let fits = v.f <= self.f_lim && v.m <= self.tok && v.up <= RHO_ONE && v.down <= RHO_ONE;
        let dominated = self.excluded[l]
            .iter()
            .any(|&(au, ad, af)| au <= b.up && ad <= b.down && af & b.flags == b.flags);
        if fits && !dominated {
            // General path: the time of the path's counts with this request.
            let timely = match self.general.as_mut() {
                None => true,
                Some(g) => {
                    g.cnt[l] += 1;
                    let ok = g.memo.time(g.cost, g.cap, g.levels, g.cnt) <= g.limit;
                    if !ok {
                        g.cnt[l] -= 1;
                    }
                    ok
                }
            };
            if timely {
                self.path.push(j as u32);
                let done = self.go(j + 1, v);
                self.path.pop();
                if let Some(g) = self.general.as_mut() {
                    g.cnt[l] -= 1;
                }
                if done {
                    return true;
                }
            }
        }
        self.excluded[l].push((b.up, b.down, b.flags));
        let done = self.go(j + 1, u);
        self.excluded[l].pop();
        done
    }

    /// An upper bound on how many of `items[j..]` can still be added.
    fn bound(&mut self, j: usize, u: &Used) -> u32 {
        let n = self.items.len();
        let mut b = (n - j) as u32;
        // Surrogate knapsack: the suffix is sorted by σ, so its cheapest t are its first t.
        let rem = self.cap_sigma.saturating_sub(u.sigma);
        let base = self.prefix[j];
        let t = self.prefix[j..].partition_point(|&x| x - base <= rem) - 1;
        b = b.min(t as u32);
        // Bandwidth alone: what is left over the smallest ρ still available.
        let m = self.sufmin[j];
        if let Some(q) = (RHO_ONE - u.up).checked_div(m[0]) {
            b = b.min(q.min(u32::MAX as u64) as u32);
        }
        if let Some(q) = (RHO_ONE - u.down).checked_div(m[1]) {
            b = b.min(q.min(u32::MAX as u64) as u32);
        }
        // Levels: shortest outputs first under FLOPs and tokens.
        let cnt = &self.sufcnt[j * self.k_levels..(j + 1) * self.k_levels];
        if let Some(g) = self.general.as_mut() {
            // Tokens alone, then the most of those t the time admits (it grows with t).
            let (mut rm, mut t) = (self.tok - u.m, 0u32);
            for (l, &c) in cnt.iter().enumerate() {
                if c == 0 {
                    continue;
                }
                let fit = rm / self.wm[l];
                if fit < c as u64 {
                    t += fit as u32;
                    break;
                }
                t += c;
                rm -= c as u64 * self.wm[l];
            }
            let t = t.min(b);
            if t == 0 || g.fits_plus(cnt, t) {
                return t;
            }
            let (mut lo, mut hi) = (0u32, t); // fits(lo), !fits(hi)
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if g.fits_plus(cnt, mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
        let (mut rf, mut rm, mut t) = (self.f_lim - u.f, self.tok - u.m, 0u32);
        for (l, &c) in cnt.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let fit = (rf / self.wf[l]).min((rm / self.wm[l]) as u128);
            if fit < c as u128 {
                t += fit as u32;
                break;
            }
            t += c;
            rf -= c as u128 * self.wf[l];
            rm -= c as u64 * self.wm[l];
        }
        b.min(t)
    }
}

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "exact",
    description: "the optimum of P1 in every case (per-user gains, binding bandwidth), fast enough for every epoch",
    batches: true,
    options: &[],
    build: |spec, _| {
        let _: crate::options::NoOptions = spec.options().map_err(BuildError::Options)?;
        Ok(Box::new(Exact::new()))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim_models::feasibility::check_batch;
    use sim_models::instance::Candidate;

    const EXAMPLE: &str = include_str!("../../scenarios/examples/dftsp-nodes.ron");

    #[test]
    fn worked_example() {
        // examples/dftsp-nodes.ron: ids 2, 3 (indices 1, 2) take 0.0686 s ≤ 0.08 s
        // of compute; any set with id 1 (output 256) or all three exceeds it.
        let inst = Instance::from_ron_str(EXAMPLE).unwrap();
        let (sel, work) = Exact::new().solve(&inst);
        assert_eq!(sel, vec![1, 2]);
        assert!(check_batch(&inst, &sel).is_ok());
        assert!(work.nodes >= 1);
    }

    #[test]
    fn nothing_selectable_and_no_memory() {
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        // Budget 0.5 s = T_U + T_D: never selectable (MODEL.md §10).
        for c in inst.requests.iter_mut() {
            *c = Candidate::new(c.id, c.prompt, c.output, 500_000_000, 1e-5, 1e-5);
        }
        assert_eq!(Exact::new().solve(&inst).0, Vec::<usize>::new());
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        inst.memory = 1.0; // not even the weights fit (1c)
        assert_eq!(Exact::new().solve(&inst).0, Vec::<usize>::new());
    }

    #[test]
    fn memory_binds() {
        // Three requests s = 128, n = 128, 2 s budgets: 256 tokens each (1c).
        // Capacity set to 600 tokens: (M − 0.5·4 718 592 000)/307 200 = 600
        // → M = 2 359 296 000 + 184 320 000 = 2 543 616 000 bytes. Two fit (512), three do not (768).
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        inst.memory = 2_543_616_000.0;
        assert_eq!(inst.kv_token_capacity(), Some(600));
        for c in inst.requests.iter_mut() {
            *c = Candidate::new(c.id, 128, 128, 2_000_000_000, 1e-5, 1e-5);
        }
        let (sel, _) = Exact::new().solve(&inst);
        assert_eq!(sel.len(), 2);
        assert!(check_batch(&inst, &sel).is_ok());
    }

    #[test]
    fn greedy_count_is_the_sorted_prefix_count() {
        // Against sorting the multiset after every insertion and counting the
        // longest prefix within the capacity, capped at the limit.
        let mut rng = crate::bench_support::SplitMix::new(3);
        for round in 0..400 {
            let capacity = 1 + rng.next_u64() % 1000;
            let limit = (rng.next_u64() % 12) as usize;
            let mut g = GreedyCount::default();
            g.reset(capacity, limit);
            let mut all = vec![];
            for _ in 0..(round % 40) {
                let x = rng.next_u64() % (capacity / 2 + 2);
                g.insert(x);
                all.push(x);
                all.sort_unstable();
                let (mut sum, mut k) = (0, 0);
                for &w in &all {
                    sum += w;
                    if sum > capacity {
                        break;
                    }
                    k += 1;
                }
                let want = k.min(limit as u32);
                assert_eq!(
                    g.count(),
                    want,
                    "capacity {capacity}, limit {limit}, weights {all:?}"
                );
            }
        }
    }

    #[test]
    fn uplink_binds_and_search_picks_the_pair() {
        // One level; ρU = 0.6, 0.5, 0.45, 0.3: the largest set with ΣρU ≤ 1 has 2
        // members ({0.45, 0.3}, {0.5, 0.3}, {0.6, 0.3}, {0.5, 0.45}); three never fit
        // (smallest three sum to 1.25). Exact must search and find 2.
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        inst.requests = [0.6, 0.5, 0.45, 0.3]
            .iter()
            .enumerate()
            .map(|(i, &up)| Candidate::new(i as u64, 128, 128, 2_000_000_000, up, 1e-5))
            .collect();
        let (sel, work) = Exact::new().solve(&inst);
        assert_eq!(sel.len(), 2);
        assert!(check_batch(&inst, &sel).is_ok());
        assert!(work.leaves >= 1);
    }
}
