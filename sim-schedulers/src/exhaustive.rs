//! `exhaustive` — every subset of the selectable candidates (MODEL.md §7):
//! the ground truth for small instances, exact with per-user gains and
//! binding bandwidth alike.
//!
//! Subsets are enumerated in Gray-code order, so each step adds or removes one
//! request and every running sum is updated in O(1): the `s'`-independent FLOP
//! terms of [`crate::batch`], `Σ(n_i)`, `Σρ`, a count per distinct prompt
//! length (the padded length `s'` is the highest one present) and a second
//! bitmask in budget order (the smallest budget is its highest set bit).
//! Under a cost model other than the paper's FLOP count (the general path,
//! docs/model.md §7) the FLOP terms give way to a count per output level, and
//! a subset that passes the other tests asks the model for its `t_batch`
//! (through a [`TimeMemo`]: subsets share count vectors).
//!
//! Tie-break **[ours]**: among the feasible subsets of maximum size, the one
//! whose ascending list of request indices is lexicographically smallest
//! (it prefers the earliest-arrived requests).

use crate::entry::{BuildError, Entry};
use sim_models::instance::{Instance, RHO_ONE};
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::batch::{decode_base_flops, flop_limit, pad_coefficient, time_limit_ns};
use crate::timing::TimeMemo;

/// The most candidates exhaustive enumerates (`2^24` subsets).
pub const MAX_CANDIDATES: usize = 24;

/// The exhaustive scheduler (MODEL.md §7). Stateless.
#[derive(Clone, Debug, Default)]
pub struct Exhaustive;

impl Exhaustive {
    /// A new exhaustive scheduler.
    pub fn new() -> Exhaustive {
        Exhaustive
    }
}

impl Scheduler for Exhaustive {
    fn name(&self) -> &str {
        "exhaustive"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let (sel, work) = solve(view.instance)?;
        Ok(Plan::pooled(sel, work))
    }
}

/// The best subset of `inst` (indices into `inst.requests`, ascending) and the work done.
///
/// # Errors
/// A [`SchedulerError`] when more than [`MAX_CANDIDATES`] requests are selectable.
pub fn solve(inst: &Instance) -> Result<(Vec<usize>, Work), SchedulerError> {
    // Candidates in index (= id) order; only selectable ones can be in a feasible batch.
    let cand: Vec<usize> = (0..inst.requests.len())
        .filter(|&i| inst.selectable(&inst.requests[i]))
        .collect();
    let n = cand.len();
    if n > MAX_CANDIDATES {
        return Err(SchedulerError {
            scheduler: "exhaustive".into(),
            message: format!(
                "{n} selectable candidates, more than the {MAX_CANDIDATES} it enumerates (2^{MAX_CANDIDATES} subsets); use dftsp or exact"
            ),
        });
    }
    let Some(kv_cap) = inst.kv_token_capacity() else {
        return Ok((vec![], Work::default()));
    };
    if n == 0 {
        return Ok((vec![], Work::default()));
    }
    let fast = inst.flops_cost().map(|f| &f.model);
    let reqs: Vec<_> = cand.iter().map(|&i| inst.requests[i]).collect();

    // Budget order: rank 0 = largest budget (ties by index), so the highest
    // set bit of the budget-order mask is the request with the smallest budget.
    let mut by_budget: Vec<usize> = (0..n).collect();
    by_budget.sort_by_key(|&k| (std::cmp::Reverse(reqs[k].budget_ns), k));
    let mut rank = vec![0usize; n];
    for (r, &k) in by_budget.iter().enumerate() {
        rank[k] = r;
    }
    // Compute-time limit when the smallest budget is that of budget rank r:
    // (1d) and (1g), in ns, and as a FLOP bound on the fast path.
    let limit_ns: Vec<u64> = by_budget
        .iter()
        .map(|&k| {
            time_limit_ns(inst, reqs[k].budget_ns).expect("selectable requests leave compute time")
        })
        .collect();
    let limit: Vec<u128> = match fast {
        Some(_) => limit_ns.iter().map(|&x| flop_limit(inst, x)).collect(),
        None => vec![],
    };

    // Distinct prompt lengths, ascending; per candidate, its prompt's slot.
    let mut prompts: Vec<u32> = reqs.iter().map(|c| c.prompt).collect();
    prompts.sort_unstable();
    prompts.dedup();
    let pslot: Vec<usize> = reqs
        .iter()
        .map(|c| prompts.binary_search(&c.prompt).expect("present"))
        .collect();
    let (init, base, pad): (Vec<u128>, Vec<u128>, u128) = match fast {
        Some(m) => (
            prompts.iter().map(|&s| m.initial_flops(s)).collect(),
            reqs.iter()
                .map(|c| decode_base_flops(m, c.output))
                .collect(),
            pad_coefficient(m),
        ),
        None => (vec![0; prompts.len()], vec![0; n], 0),
    };
    // General path: distinct outputs, each candidate's slot, the count per slot.
    let mut outputs: Vec<u32> = reqs.iter().map(|c| c.output).collect();
    outputs.sort_unstable();
    outputs.dedup();
    let oslot: Vec<usize> = reqs
        .iter()
        .map(|c| outputs.binary_search(&c.output).expect("present"))
        .collect();
    let mut ocount = vec![0u32; outputs.len()];
    let mut memo = TimeMemo::default();

    let mut pcount = vec![0u32; prompts.len()];
    let mut pmask = 0u32; // bit p: some member has prompt prompts[p]
    let mut mask = 0u32; // bit k: candidate k (index order) is in
    let mut bmask = 0u32; // bit rank[k]: same set in budget order
    let (mut count, mut dbase, mut dsteps, mut outs) = (0u64, 0u128, 0u128, 0u64);
    let (mut up, mut down) = (0u64, 0u64);
    let mut best: Option<(u32, u64)> = None; // (mask, count)
    let total: u64 = 1 << n;
    for step in 1..total {
        let k = step.trailing_zeros() as usize;
        let c = &reqs[k];
        let adding = mask & (1 << k) == 0;
        mask ^= 1 << k;
        bmask ^= 1 << rank[k];
        let steps = c.output.saturating_sub(1) as u128;
        if adding {
            count += 1;
            dbase += base[k];
            dsteps += steps;
            outs += c.output as u64;
            up += c.rho_up_fx;
            down += c.rho_down_fx;
            pcount[pslot[k]] += 1;
            pmask |= 1 << pslot[k];
            ocount[oslot[k]] += 1;
        } else {
            count -= 1;
            dbase -= base[k];
            dsteps -= steps;
            outs -= c.output as u64;
            up -= c.rho_up_fx;
            down -= c.rho_down_fx;
            pcount[pslot[k]] -= 1;
            ocount[oslot[k]] -= 1;
            if pcount[pslot[k]] == 0 {
                pmask &= !(1 << pslot[k]);
            }
        }
        if let Some((bm, bc)) = best {
            if count < bc || (count == bc && !lex_smaller(mask, bm)) {
                continue;
            }
        }
        // (1a), (1b)
        if up > RHO_ONE || down > RHO_ONE {
            continue;
        }
        let p = 31 - pmask.leading_zeros() as usize;
        let s_pad = prompts[p];
        // (1c)
        if count * s_pad as u64 + outs > kv_cap {
            continue;
        }
        // (1g) and (1d) against the smallest budget: a FLOP bound on the fast
        // path, the model's own t_batch otherwise.
        let r = 31 - bmask.leading_zeros() as usize;
        if fast.is_some() {
            let flops = count as u128 * init[p] + dbase + pad * s_pad as u128 * dsteps;
            if flops > limit[r] {
                continue;
            }
        } else if memo.time(&*inst.cost, s_pad, &outputs, &ocount) > limit_ns[r] {
            continue;
        }
        best = Some((mask, count));
    }
    let work = Work {
        nodes: 0,
        leaves: total - 1,
    };
    let sel = match best {
        None => vec![],
        Some((bm, _)) => (0..n)
            .filter(|&k| bm & (1 << k) != 0)
            .map(|k| cand[k])
            .collect(),
    };
    Ok((sel, work))
}

/// For two sets of equal size (bit k = candidate k in index order): whether
/// `a`'s ascending index list is lexicographically smaller than `b`'s, i.e.
/// the smallest index in exactly one of them belongs to `a`.
fn lex_smaller(a: u32, b: u32) -> bool {
    let x = a ^ b;
    x != 0 && a & (x & x.wrapping_neg()) != 0
}

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "exhaustive",
    description:
        "every subset of the candidates; exact ground truth, at most 24 selectable candidates",
    batches: true,
    options: &[],
    build: |spec, _| {
        let _: crate::options::NoOptions = spec.options().map_err(BuildError::Options)?;
        Ok(Box::new(Exhaustive::new()))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicographic_tie_break() {
        // {0, 3} < {1, 2}: first elements 0 < 1.
        assert!(lex_smaller(0b1001, 0b0110));
        assert!(!lex_smaller(0b0110, 0b1001));
        // {0, 2} < {0, 3}
        assert!(lex_smaller(0b0101, 0b1001));
        assert!(!lex_smaller(0b0101, 0b0101));
    }
}
