//! Incremental batch arithmetic shared by the schedulers that grow or flip a
//! batch one request at a time (exhaustive, greedy, static).
//!
//! A batch's FLOP total depends on its padded prompt length `s'`, but it
//! splits into terms that add request by request (MODEL.md §5):
//!
//! ```text
//! request_flops(s', n) = initial_flops(s') + L·(n−1)·(8·d_m² + 2·n·d_m + 4·d_m·d_f)
//!                                          + 4·L·d_m · s'·(n−1)
//! ```
//!
//! so `flops(S) = |S|·initial_flops(s') + Σ a_i + 4·L·d_m·s'·Σ (n_i−1)` with
//! `a_i` independent of `s'`. All terms are exact integers, so the total equals
//! the one `sim_models::feasibility::batch_cost` sums request by request.
//!
//! Under any other cost model ([`Batch`], the general path) the batch keeps
//! its count per output level and asks the model for `t_batch`
//! (`CostModel::batch_time_ns`), the figure the feasibility check uses.

use sim_models::cost::{FlopsCost, ModelDims};
use sim_models::instance::{Candidate, Instance};

use crate::timing::TimeMemo;

/// The FLOP-count cost of an instance on a scheduler's fast path (callers
/// check [`Instance::flops_cost`] first and take the general path otherwise).
#[inline]
pub(crate) fn flops_of(inst: &Instance) -> &FlopsCost {
    inst.flops_cost()
        .expect("the fast path is taken only when the cost model is the FLOP count")
}

/// The `s'`-independent decode FLOPs of one request: `L·(n−1)·(8·d_m² + 2·n·d_m + 4·d_m·d_f)`.
pub(crate) fn decode_base_flops(m: &ModelDims, n: u32) -> u128 {
    if n == 0 {
        return 0;
    }
    let (l, d, f, n) = (
        m.layers as u128,
        m.d_model as u128,
        m.d_ff as u128,
        n as u128,
    );
    l * (n - 1) * (8 * d * d + 2 * n * d + 4 * d * f)
}

/// `4·L·d_m`: the FLOPs per padded token per decode step, the factor of `s'·Σ(n_i−1)`.
pub(crate) fn pad_coefficient(m: &ModelDims) -> u128 {
    4 * m.layers as u128 * m.d_model as u128
}

/// Running sums of a batch (see the module docs); `Copy`, so a trial addition
/// is a copy plus a few adds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BatchSums {
    /// `|S|`.
    pub count: u64,
    /// `Σ a_i`, FLOPs.
    pub decode_base: u128,
    /// `Σ (n_i − 1)`.
    pub decode_steps: u128,
    /// `Σ n_i`, tokens.
    pub outputs: u64,
    /// `s' = max s_i`, tokens.
    pub s_pad: u32,
    /// `Σ ρU`, fixed point.
    pub up: u64,
    /// `Σ ρD`, fixed point.
    pub down: u64,
    /// `min budget_i`, ns (`i64::MAX` when empty).
    pub min_budget: i64,
}

impl BatchSums {
    /// The empty batch.
    pub fn empty() -> BatchSums {
        BatchSums {
            min_budget: i64::MAX,
            ..BatchSums::default()
        }
    }

    /// This batch with `c` added (`m`: the FLOP model's dimensions on the
    /// fast path; `None` leaves `decode_base` at 0, unused on the general path).
    pub fn with(&self, m: Option<&ModelDims>, c: &Candidate) -> BatchSums {
        BatchSums {
            count: self.count + 1,
            decode_base: self.decode_base + m.map_or(0, |m| decode_base_flops(m, c.output)),
            decode_steps: self.decode_steps + c.output.saturating_sub(1) as u128,
            outputs: self.outputs + c.output as u64,
            s_pad: self.s_pad.max(c.prompt),
            up: self.up.saturating_add(c.rho_up_fx),
            down: self.down.saturating_add(c.rho_down_fx),
            min_budget: self.min_budget.min(c.budget_ns),
        }
    }

    /// Exact FLOP total of the batch padded to `s_pad` (MODEL.md §5).
    pub fn flops(&self, m: &ModelDims) -> u128 {
        self.count as u128 * m.initial_flops(self.s_pad)
            + self.decode_base
            + pad_coefficient(m) * self.s_pad as u128 * self.decode_steps
    }

    /// `Σ (s' + n_i)`, the KV tokens (1c) charges.
    pub fn kv_tokens(&self) -> u64 {
        self.count * self.s_pad as u64 + self.outputs
    }

    /// Whether the batch satisfies (1a)–(1c), (1g), and (1d) if `deadline_aware`,
    /// on the pooled GPUs of `inst`, whose FLOP cost is `fc` (MODEL.md §5;
    /// passed in so that a loop looks it up once). The empty batch fits.
    pub fn fits(
        &self,
        inst: &Instance,
        fc: &FlopsCost,
        kv_capacity: Option<u64>,
        deadline_aware: bool,
    ) -> bool {
        self.fits_with(inst, kv_capacity, deadline_aware, || {
            fc.time_ns(self.flops(&fc.model))
        })
    }

    /// [`BatchSums::fits`] with `t_batch` from `time` (called only once the
    /// cheaper bandwidth and memory tests pass).
    pub fn fits_with(
        &self,
        inst: &Instance,
        kv_capacity: Option<u64>,
        deadline_aware: bool,
        time: impl FnOnce() -> u64,
    ) -> bool {
        if self.count == 0 {
            return true;
        }
        // (1a), (1b): Σρ ≤ 1, fixed point (MODEL.md §3).
        if self.up > sim_models::instance::RHO_ONE || self.down > sim_models::instance::RHO_ONE {
            return false;
        }
        // (1c)
        if kv_capacity.is_none_or(|cap| self.kv_tokens() > cap) {
            return false;
        }
        let t = time();
        // (1g)
        if t > inst.t_c_ns {
            return false;
        }
        // (1d): T_U + t_batch + T_D ≤ D_i − t_k for the smallest budget (MODEL.md §4).
        !deadline_aware || inst.delivery_offset_ns(t) <= self.min_budget as i128
    }
}

/// A batch grown one request at a time under the instance's cost model: the
/// FLOP sums of [`BatchSums`] on the fast path, or its count per output level
/// and `CostModel::batch_time_ns` on the general path (greedy and static).
#[derive(Clone, Debug)]
pub(crate) struct Batch<'a> {
    inst: &'a Instance,
    fast: Option<&'a FlopsCost>,
    kv: Option<u64>,
    sums: BatchSums,
    /// General path: distinct output lengths, and the batch's count of each.
    outputs: Vec<u32>,
    counts: Vec<u32>,
    memo: TimeMemo,
}

impl<'a> Batch<'a> {
    /// The empty batch on the pooled GPUs of `inst`.
    pub fn new(inst: &'a Instance) -> Batch<'a> {
        Batch {
            inst,
            fast: inst.flops_cost(),
            kv: inst.kv_token_capacity(),
            sums: BatchSums::empty(),
            outputs: vec![],
            counts: vec![],
            memo: TimeMemo::default(),
        }
    }

    /// How many requests the batch holds.
    pub fn len(&self) -> u64 {
        self.sums.count
    }

    /// Adds `c` if the batch stays feasible under (1a)–(1c), (1g), and (1d) if
    /// `deadline_aware`; returns whether it did.
    pub fn try_add(&mut self, c: &Candidate, deadline_aware: bool) -> bool {
        if let Some(fc) = self.fast {
            let trial = self.sums.with(Some(&fc.model), c);
            if trial.fits(self.inst, fc, self.kv, deadline_aware) {
                self.sums = trial;
                return true;
            }
            return false;
        }
        let trial = self.sums.with(None, c);
        let at = match self.outputs.binary_search(&c.output) {
            Ok(at) => at,
            Err(at) => {
                self.outputs.insert(at, c.output);
                self.counts.insert(at, 0);
                at
            }
        };
        self.counts[at] += 1;
        let (inst, memo, outputs, counts) =
            (self.inst, &mut self.memo, &self.outputs, &self.counts);
        let ok = trial.fits_with(inst, self.kv, deadline_aware, || {
            memo.time(&*inst.cost, trial.s_pad, outputs, counts)
        });
        if ok {
            self.sums = trial;
        } else {
            self.counts[at] -= 1;
        }
        ok
    }
}

/// The largest FLOP total `F` whose time `round(β·F/C)` is at most `limit_ns`.
///
/// `batch_time_ns` is non-decreasing in `F` (each step — `u128 → f64`, `·β`,
/// `/C`, `·1e9`, rounding — is monotone), so `t_batch ≤ X ⇔ flops ≤ flop_limit(X)`:
/// searches compare integers instead of rounding a time per batch.
pub(crate) fn flop_limit(inst: &Instance, limit_ns: u64) -> u128 {
    let fc = flops_of(inst);
    let ok = |f: u128| fc.time_ns(f) <= limit_ns;
    // A guess from the inverse formula; the exact answer is found around it.
    let guess_f = (limit_ns as f64 + 0.5) * 1e-9 * fc.flop_rate / fc.quant.beta;
    let guess = if guess_f.is_finite() && guess_f > 0.0 {
        guess_f as u128 // saturating cast
    } else {
        0
    };
    let (mut lo, mut hi); // ok(lo), !ok(hi)
    if ok(guess) {
        lo = guess;
        let mut step = 1u128;
        loop {
            let probe = lo.saturating_add(step);
            if !ok(probe) {
                hi = probe;
                break;
            }
            if probe == u128::MAX {
                return u128::MAX;
            }
            lo = probe;
            step = step.saturating_mul(2);
        }
    } else {
        hi = guess;
        let mut step = 1u128;
        loop {
            if hi <= step {
                lo = 0; // batch_time_ns(0) = 0 ≤ any limit
                break;
            }
            let probe = hi - step;
            if ok(probe) {
                lo = probe;
                break;
            }
            hi = probe;
            step = step.saturating_mul(2);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The compute time a batch may take to satisfy (1g) and, for a batch whose
/// smallest budget is `budget_ns`, (1d): `min(T_C, budget − T_U − T_D)` ns, or
/// `None` when the budget leaves no compute time at all.
pub(crate) fn time_limit_ns(inst: &Instance, budget_ns: i64) -> Option<u64> {
    let room = budget_ns as i128 - inst.t_u_ns as i128 - inst.t_d_ns as i128;
    if room < 0 {
        return None;
    }
    Some((room.min(inst.t_c_ns as i128)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_models::feasibility::batch_cost;

    fn inst(requests: Vec<Candidate>) -> Instance {
        Instance {
            requests,
            ..crate::bench_support::paper_template()
        }
    }

    #[test]
    fn sums_equal_the_independent_cost() {
        // The decomposition must reproduce batch_cost's request-by-request sum exactly.
        let reqs = vec![
            Candidate::new(1, 128, 512, 1_000_000_000, 1e-5, 2e-5),
            Candidate::new(2, 512, 1, 900_000_000, 3e-5, 1e-5),
            Candidate::new(3, 300, 256, 800_000_000, 2e-5, 4e-5),
        ];
        let i = inst(reqs);
        let mut s = BatchSums::empty();
        let mut sel = vec![];
        for (k, c) in i.requests.iter().enumerate() {
            s = s.with(Some(&flops_of(&i).model), c);
            sel.push(k);
            let cost = batch_cost(&i, &sel);
            assert_eq!(Some(s.flops(&flops_of(&i).model)), cost.flops);
            assert_eq!(s.kv_tokens(), cost.kv_tokens);
            assert_eq!((s.up, s.down), (cost.rho_up_fx, cost.rho_down_fx));
        }
        assert_eq!(s.min_budget, 800_000_000);
    }

    #[test]
    fn flop_limit_is_the_exact_boundary() {
        let i = inst(vec![]);
        for x in [0u64, 1, 7, 80_000_000, 1_500_000_000, 10_000_000_000_000] {
            let f = flop_limit(&i, x);
            assert!(flops_of(&i).time_ns(f) <= x, "x = {x}");
            assert!(flops_of(&i).time_ns(f + 1) > x, "x = {x}");
        }
    }
}
