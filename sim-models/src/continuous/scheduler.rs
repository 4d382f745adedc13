//! The iteration scheduler of one instance, with vLLM v1's semantics
//! (MODEL.md §13; vllm/v1/core/sched/scheduler.py `Scheduler.schedule`):
//!
//! 0. with `drop_expired`, waiting requests whose deadline is `≤ now` are
//!    dropped (`expired`);
//! 1. running requests, in admission order, each get their next prefill
//!    chunk (at most the token budget left) or one decode token, and blocks
//!    for their context plus those tokens; when blocks are short the most
//!    recently admitted running request is preempted (blocks freed,
//!    computed tokens lost, back to the head of the waiting queue) until the
//!    request fits or is itself preempted;
//! 2. if nothing was preempted in this step (vLLM v1 skips the waiting queue
//!    then), waiting requests in queue order are admitted while fewer than
//!    `max_num_seqs` run, budget is left and their first chunk's blocks are
//!    free; a prompt longer than the budget left is split into chunks.
//!
//! At the iteration's end ([`complete`]) every request whose context
//! reaches its token count (`computed = prompt + emitted`) emits one token.

use super::instance::{Instance, Seq};

/// The limits of one instance's iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most requests running at once.
    pub max_num_seqs: u32,
    /// Token budget of one iteration.
    pub max_num_batched_tokens: u32,
    /// Drop waiting requests past their deadline.
    pub drop_expired: bool,
}

/// What a scheduling step did besides filling the batch.
#[derive(Clone, Debug, Default)]
pub struct StepReport {
    /// Requests dropped as expired (removed from the instance).
    pub expired: Vec<Seq>,
    /// Slots preempted, in order.
    pub preempted: Vec<u32>,
    /// Slots admitted for the first time.
    pub admitted_first: Vec<u32>,
}

impl StepReport {
    /// Empties the report for the next step.
    pub fn clear(&mut self) {
        self.expired.clear();
        self.preempted.clear();
        self.admitted_first.clear();
    }
}

/// Picks the next iteration's batch into `inst.batch` (`(slot, q)` pairs) at `now_ns`.
pub fn schedule(inst: &mut Instance, now_ns: u64, lim: &Limits, rep: &mut StepReport) {
    inst.batch.clear();
    if lim.drop_expired {
        while let Some(slot) = inst.expired_head(now_ns) {
            inst.unqueue(slot);
            rep.expired.push(inst.remove(slot));
        }
    }
    let mut budget = lim.max_num_batched_tokens;
    let mut preempted = false;
    let mut i = 0;
    while i < inst.running.len() && budget > 0 {
        let slot = inst.running[i];
        let s = inst.seq(slot);
        let q = (s.num_tokens() - s.computed).min(budget);
        let tokens = s.computed as u64 + q as u64;
        let mut fits = true;
        while !inst.grow(slot, tokens) {
            let victim = inst.preempt_last();
            rep.preempted.push(victim);
            preempted = true;
            if victim == slot {
                fits = false;
                break;
            }
        }
        if !fits {
            break; // it was the last running request
        }
        inst.batch.push((slot, q));
        budget -= q;
        i += 1;
    }
    if preempted {
        return;
    }
    while budget > 0 && inst.running.len() < lim.max_num_seqs as usize {
        let Some(slot) = inst.waiting_head() else {
            break;
        };
        let s = inst.seq(slot);
        let q = (s.num_tokens() - s.computed).min(budget);
        if !inst.grow(slot, s.computed as u64 + q as u64) {
            break;
        }
        inst.unqueue(slot);
        inst.running.push(slot);
        let s = inst.seq_mut(slot);
        if !s.admitted_once {
            s.admitted_once = true;
            rep.admitted_first.push(slot);
        }
        inst.batch.push((slot, q));
        budget -= q;
    }
}

/// The batch's shape for the cost model (MODEL.md §11 iteration): `(q_j, c_j)`
/// per request into `shape`, and the number that emit a token.
pub fn shape(inst: &Instance, shape: &mut Vec<(u32, u32)>) -> u32 {
    shape.clear();
    let mut emitting = 0;
    for &(slot, q) in &inst.batch {
        let s = inst.seq(slot);
        let c = s.computed + q;
        shape.push((q, c));
        emitting += (c == s.num_tokens()) as u32;
    }
    emitting
}

/// A token emitted at an iteration's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Emitted {
    /// The request's slot.
    pub slot: u32,
    /// Its first output token.
    pub first: bool,
    /// Its last (`n_i`-th) token: the request has finished.
    pub finished: bool,
}

/// Ends the iteration in progress: advances every request of the batch and
/// appends each token emitted to `out`. Finished requests stay in their slots
/// (not running) for the caller to read and [`Instance::remove`].
pub fn complete(inst: &mut Instance, out: &mut Vec<Emitted>) {
    let batch = std::mem::take(&mut inst.batch);
    for &(slot, q) in &batch {
        let s = inst.seq_mut(slot);
        s.computed += q;
        if s.computed == s.num_tokens() {
            s.emitted += 1;
            let finished = s.emitted >= s.req.output;
            out.push(Emitted {
                slot,
                first: s.emitted == 1,
                finished,
            });
            if finished {
                if let Some(i) = inst.running.iter().position(|&r| r == slot) {
                    inst.running.remove(i);
                }
            }
        }
    }
    inst.batch = batch;
    inst.batch.clear();
}
