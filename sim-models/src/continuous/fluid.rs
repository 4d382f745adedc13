//! A radio link as a processor-sharing fluid (MODEL.md §13): the `k` flows
//! with bits to send share the band `B` equally, flow `i` progressing at
//! `(B/k)·SE_i` bit/s.
//!
//! Processor sharing in *virtual time*: every active flow's normalised work
//! `bits/SE` (Hz·s) drains at the same rate `B/k`, so one number `V` — the
//! normalised work served per active flow since the start — says how far
//! every flow has got, and a flow reaches a target when `V` reaches its tag
//! `V_ref + (target − served_ref)/SE`. Flows wait in an ordered set by tag:
//! the next completion is its first element, a completion costs `O(log k)`,
//! and no event is needed for a flow that is not the next to complete.
//! Rates change only when a flow starts or drains (`k` changes; tags stay)
//! and at coherence-block boundaries ([`FluidLink::rebase`]: new `SE`s, tags
//! recomputed from the bits left).
//!
//! A flow whose `SE` is 0 in a block (a link-budget user below CQI 1,
//! MODEL.md §14) is *stalled*: it keeps its bits, sends nothing and takes no
//! share of the band (`k` counts the flows with a rate), until a rebase gives
//! it a rate.
//!
//! Time: the link's state refers to an integer-ns instant; each completion
//! instant is that instant plus the fluid's `f64` interval rounded once to
//! the nearest ns, and `V` is snapped to the completing tag, so a flow ends
//! exactly at its target.
//!
//! A flow may carry a *mark*, a bit position before its end (the first
//! token's last bit, for streamed delivery): reaching it is reported as
//! [`Reached::Mark`] and the flow goes on.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A tag in virtual time, ordered by `f64::total_cmp` (never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Tag(f64);

impl Eq for Tag {}

impl PartialOrd for Tag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What a flow reached, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reached {
    /// Its mark (a bit position before its end) was sent at `at_ns`.
    Mark {
        /// The flow.
        flow: u32,
        /// Instant, ns.
        at_ns: u64,
    },
    /// Every bit queued so far was sent at `at_ns`; the flow is idle.
    Drained {
        /// The flow.
        flow: u32,
        /// Instant, ns.
        at_ns: u64,
    },
}

#[derive(Clone, Debug)]
struct Flow<P> {
    payload: P,
    user: u32,
    /// Spectral efficiency now, b/s/Hz.
    se: f64,
    /// Bits queued since the flow opened.
    queued: u64,
    /// Bits sent by `v_ref`.
    served_ref: f64,
    /// Virtual time at which `served_ref` holds.
    v_ref: f64,
    /// A bit position to report when reached, if not yet.
    mark: Option<u64>,
    /// Its tag in the active set, if it has bits to send.
    tag: Option<Tag>,
}

/// One link (uplink or downlink) of bandwidth `B` (MODEL.md §13), holding a
/// payload `P` per flow.
#[derive(Clone, Debug)]
pub struct FluidLink<P> {
    bandwidth_hz: f64,
    now_ns: u64,
    v: f64,
    active: BTreeSet<(Tag, u32)>,
    // Flows of `active` with an infinite tag (SE 0): they take no share.
    stalled: usize,
    // Busy time (some flow sending) since `busy_from_ns`, ns, up to `now_ns`.
    busy_ns: u64,
    busy_from_ns: u64,
    flows: Vec<Option<Flow<P>>>,
    free: Vec<u32>,
}

impl<P> FluidLink<P> {
    /// An idle link of `bandwidth_hz` (> 0) Hz at instant 0.
    pub fn new(bandwidth_hz: f64) -> FluidLink<P> {
        FluidLink {
            bandwidth_hz,
            now_ns: 0,
            v: 0.0,
            active: BTreeSet::new(),
            stalled: 0,
            busy_ns: 0,
            busy_from_ns: 0,
            flows: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Counts busy time only from `from_ns` on (the warm-up's end).
    pub fn count_busy_from(&mut self, from_ns: u64) {
        self.busy_from_ns = from_ns;
    }

    /// Time within `[from, to_ns]` (`from` of [`FluidLink::count_busy_from`])
    /// during which some flow was sending, ns, at today's rates after the
    /// link's current instant: the link's utilisation numerator (all of `B`
    /// goes to the sending flows, MODEL.md §13).
    pub fn busy_ns(&self, to_ns: u64) -> u64 {
        let from = self.now_ns.max(self.busy_from_ns);
        let tail = if self.sharing() > 0 {
            to_ns.saturating_sub(from)
        } else {
            0
        };
        self.busy_ns + tail
    }

    /// Adds `[now, to_ns]` to the busy time if a flow is sending.
    fn count_busy(&mut self, to_ns: u64) {
        if self.sharing() > 0 {
            let from = self.now_ns.max(self.busy_from_ns);
            self.busy_ns += to_ns.saturating_sub(from);
        }
    }

    /// Flows with bits to send (stalled ones included).
    pub fn active(&self) -> usize {
        self.active.len()
    }

    /// Flows with bits to send and a rate (`k`, the band's sharers).
    pub fn sharing(&self) -> usize {
        self.active.len() - self.stalled
    }

    /// Removes `(tag, flow)` from the active set, keeping the stalled count.
    fn deactivate(&mut self, tag: Tag, flow: u32) {
        if self.active.remove(&(tag, flow)) && tag.0.is_infinite() {
            self.stalled -= 1;
        }
    }

    /// Whether an open flow has sent every bit queued on it.
    pub fn is_idle(&self, flow: u32) -> bool {
        self.flows[flow as usize]
            .as_ref()
            .expect("an open flow")
            .tag
            .is_none()
    }

    /// Every open flow's payload.
    pub fn payloads(&self) -> impl Iterator<Item = &P> {
        self.flows.iter().flatten().map(|f| &f.payload)
    }

    /// Flows open (active or idle).
    pub fn open_flows(&self) -> usize {
        self.flows.len() - self.free.len()
    }

    /// The instant the link's state refers to, ns.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The payload of an open flow.
    ///
    /// # Panics
    /// If `flow` is not open (a bug in the caller).
    pub fn payload(&self, flow: u32) -> &P {
        &self.flows[flow as usize]
            .as_ref()
            .expect("an open flow")
            .payload
    }

    /// The payload of an open flow, mutably.
    ///
    /// # Panics
    /// If `flow` is not open (a bug in the caller).
    pub fn payload_mut(&mut self, flow: u32) -> &mut P {
        &mut self.flow_mut(flow).payload
    }

    /// The user of an open flow.
    pub fn user(&self, flow: u32) -> u32 {
        self.flows[flow as usize]
            .as_ref()
            .expect("an open flow")
            .user
    }

    fn flow_mut(&mut self, flow: u32) -> &mut Flow<P> {
        self.flows[flow as usize].as_mut().expect("an open flow")
    }

    /// Opens an idle flow of `user` at spectral efficiency `se`, with an
    /// optional mark at bit position `mark`; returns its id.
    pub fn open(&mut self, user: u32, se: f64, mark: Option<u64>, payload: P) -> u32 {
        let flow = Flow {
            payload,
            user,
            se,
            queued: 0,
            served_ref: 0.0,
            v_ref: self.v,
            mark,
            tag: None,
        };
        match self.free.pop() {
            Some(i) => {
                self.flows[i as usize] = Some(flow);
                i
            }
            None => {
                self.flows.push(Some(flow));
                (self.flows.len() - 1) as u32
            }
        }
    }

    /// Closes a flow (idle or not) and returns its payload; its bits left are dropped.
    pub fn close(&mut self, flow: u32) -> P {
        let f = self.flows[flow as usize].take().expect("an open flow");
        if let Some(t) = f.tag {
            self.deactivate(t, flow);
        }
        self.free.push(flow);
        f.payload
    }

    /// Bits the flow has sent by the link's current instant.
    fn served(&self, f: &Flow<P>) -> f64 {
        if f.tag.is_some() {
            f.served_ref + (self.v - f.v_ref) * f.se
        } else {
            f.queued as f64
        }
    }

    /// Sets the flow's tag from its next target (the mark, else the end of
    /// its queue) and its current `V_ref`, `served_ref`.
    fn retag(&mut self, flow: u32) {
        let v = self.v;
        if let Some(t) = self.flow_mut(flow).tag.take() {
            self.deactivate(t, flow);
        }
        let f = self.flows[flow as usize].as_mut().expect("an open flow");
        let target = f.mark.unwrap_or(f.queued).min(f.queued) as f64;
        if target <= f.served_ref && f.queued as f64 <= f.served_ref {
            return; // drained
        }
        let tag = if f.se > 0.0 {
            (f.v_ref + (target - f.served_ref).max(0.0) / f.se).max(v)
        } else {
            f64::INFINITY // no rate this block (SE = 0): stalled, no share, sends nothing
        };
        f.tag = Some(Tag(tag));
        if tag.is_infinite() {
            self.stalled += 1;
        }
        self.active.insert((Tag(tag), flow));
    }

    /// Queues `bits` more on `flow` at the link's current instant (call
    /// [`FluidLink::advance`] to the present first); `se` is the user's
    /// spectral efficiency in the current block, taken if the flow was idle
    /// (an active flow has it already, from [`FluidLink::rebase`]).
    pub fn push(&mut self, flow: u32, bits: u64, se: f64) {
        let v = self.v;
        let (served, idle) = {
            let f = &self.flows[flow as usize].as_ref().expect("an open flow");
            (self.served(f), f.tag.is_none())
        };
        let f = self.flow_mut(flow);
        f.served_ref = served;
        f.v_ref = v;
        f.queued += bits;
        if idle {
            f.se = se;
        }
        self.retag(flow);
    }

    /// Interval in ns, rounded to the nearest, for `V` to grow by `dv` with `k` sharing flows.
    fn interval_ns(&self, dv: f64) -> Option<u64> {
        let secs = dv * self.sharing() as f64 / self.bandwidth_hz;
        if !secs.is_finite() {
            return None;
        }
        Some(crate::cost::secs_to_ns_saturating(secs))
    }

    /// The instant of the next mark or drain at today's rates, if any.
    pub fn next_ns(&self) -> Option<u64> {
        let &(Tag(tag), _) = self.active.first()?;
        let dt = self.interval_ns((tag - self.v).max(0.0))?;
        Some(self.now_ns.saturating_add(dt))
    }

    /// Runs the fluid to `to_ns` (≥ its current instant) at today's rates,
    /// appending every mark and drain on the way, in time order, to `out`.
    pub fn advance(&mut self, to_ns: u64, out: &mut Vec<Reached>) {
        debug_assert!(to_ns >= self.now_ns);
        loop {
            match self.next_ns() {
                Some(at) if at <= to_ns => {
                    self.count_busy(at);
                    let (Tag(tag), flow) = self.active.pop_first().expect("a next flow");
                    self.v = self.v.max(tag);
                    self.now_ns = at;
                    let v = self.v;
                    let f = self.flow_mut(flow);
                    f.tag = None;
                    let target = f.mark.unwrap_or(f.queued).min(f.queued);
                    f.served_ref = target as f64;
                    f.v_ref = v;
                    if f.mark.is_some_and(|m| m <= target) {
                        f.mark = None;
                        out.push(Reached::Mark { flow, at_ns: at });
                    }
                    if target < f.queued {
                        self.retag(flow);
                    } else {
                        out.push(Reached::Drained { flow, at_ns: at });
                    }
                }
                _ => break,
            }
        }
        self.count_busy(to_ns);
        if self.sharing() > 0 {
            let secs = (to_ns - self.now_ns) as f64 / 1e9;
            self.v += secs * self.bandwidth_hz / self.sharing() as f64;
        }
        self.now_ns = to_ns;
    }

    /// New spectral efficiencies at the link's current instant (a coherence
    /// boundary): every active flow keeps the bits it has left and gets
    /// `se(user)`; idle flows take theirs when they next push.
    pub fn rebase(&mut self, mut se: impl FnMut(u32) -> f64) {
        let v = self.v;
        let ids: Vec<u32> = (0..self.flows.len() as u32)
            .filter(|&i| self.flows[i as usize].is_some())
            .collect();
        for flow in ids {
            let served = {
                let f = self.flows[flow as usize].as_ref().expect("an open flow");
                self.served(f)
            };
            let user = self.user(flow);
            let f = self.flow_mut(flow);
            f.served_ref = served;
            f.v_ref = v;
            f.se = se(user);
            if f.tag.is_some() {
                self.retag(flow);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn run_to(link: &mut FluidLink<()>, t: u64) -> Vec<Reached> {
        let mut out = Vec::new();
        link.advance(t, &mut out);
        out
    }

    #[test]
    fn two_uploads_share_the_band() {
        // B = 1000 Hz. Flow A: SE 2, 3000 bits from t = 0; flow B: SE 1, 1000 bits from t = 0.5 s.
        // [0, 0.5]: A alone at 1000·2 = 2000 b/s sends 1000 bits (2000 left).
        // From 0.5 s both at B/2 = 500 Hz: A at 1000 b/s, B at 500 b/s. B needs 2 s, A needs 2 s:
        // both finish at 2.5 s. Virtual: A's normalised work left 2000/2 = 1000, B's 1000/1 = 1000.
        let mut link = FluidLink::new(1000.0);
        let a = link.open(0, 2.0, None, ());
        link.push(a, 3000, 2.0);
        assert_eq!(link.next_ns(), Some(3 * S / 2)); // alone: 3000/2000 = 1.5 s
        assert!(run_to(&mut link, S / 2).is_empty());
        let b = link.open(1, 1.0, None, ());
        link.push(b, 1000, 1.0);
        let out = run_to(&mut link, 10 * S);
        assert_eq!(out.len(), 2);
        assert!(out.contains(&Reached::Drained {
            flow: a,
            at_ns: 5 * S / 2
        }));
        assert!(out.contains(&Reached::Drained {
            flow: b,
            at_ns: 5 * S / 2
        }));
    }

    #[test]
    fn a_finish_speeds_the_others_up() {
        // B = 1000 Hz, both SE 1 from t = 0: A 500 bits, B 2000 bits. Shared: 500 b/s each,
        // A ends at 1 s (B has sent 500, 1500 left); then B alone at 1000 b/s ends at 2.5 s.
        let mut link = FluidLink::new(1000.0);
        let a = link.open(0, 1.0, None, ());
        let b = link.open(1, 1.0, None, ());
        link.push(a, 500, 1.0);
        link.push(b, 2000, 1.0);
        let out = run_to(&mut link, 10 * S);
        assert_eq!(
            out,
            [
                Reached::Drained { flow: a, at_ns: S },
                Reached::Drained {
                    flow: b,
                    at_ns: 5 * S / 2
                }
            ]
        );
        assert_eq!(link.active(), 0);
    }

    #[test]
    fn a_rate_change_at_a_block_boundary() {
        // B = 1000 Hz, one flow of 3000 bits at SE 1 from t = 0; at t = 1 s (1000 bits sent)
        // its SE becomes 4: the 2000 bits left take 2000/4000 = 0.5 s, so it ends at 1.5 s.
        let mut link = FluidLink::new(1000.0);
        let a = link.open(0, 1.0, None, ());
        link.push(a, 3000, 1.0);
        assert!(run_to(&mut link, S).is_empty());
        link.rebase(|_| 4.0);
        assert_eq!(link.next_ns(), Some(3 * S / 2));
        // SE 0 in a block: no progress; at the next boundary (2 s) SE 2: 2000 bits in 1 s.
        link.rebase(|_| 0.0);
        assert_eq!(link.next_ns(), None);
        assert!(run_to(&mut link, 2 * S).is_empty());
        link.rebase(|_| 2.0);
        assert_eq!(
            run_to(&mut link, 9 * S),
            [Reached::Drained {
                flow: a,
                at_ns: 3 * S
            }]
        );
    }

    #[test]
    fn a_flow_without_a_rate_takes_no_share() {
        // B = 1000 Hz. A: 1000 bits at SE 1; B: 500 bits at SE 0 (below CQI 1), both from 0.
        // B is stalled: A alone gets the band, 1000 b/s, and ends at 1 s. At the boundary at
        // 2 s B gets SE 0.5: 500 b/s alone, its 500 bits take 1 s: it ends at 3 s.
        let mut link = FluidLink::new(1000.0);
        let a = link.open(0, 1.0, None, ());
        let b = link.open(1, 0.0, None, ());
        link.push(a, 1000, 1.0);
        link.push(b, 500, 0.0);
        assert_eq!((link.active(), link.sharing()), (2, 1));
        assert_eq!(
            run_to(&mut link, 2 * S),
            [Reached::Drained { flow: a, at_ns: S }]
        );
        assert_eq!((link.active(), link.sharing()), (1, 0));
        assert_eq!(
            link.next_ns(),
            None,
            "no rate, no completion: nothing to wait for"
        );
        link.rebase(|u| if u == 1 { 0.5 } else { 1.0 });
        assert_eq!(link.sharing(), 1);
        assert_eq!(
            run_to(&mut link, 9 * S),
            [Reached::Drained {
                flow: b,
                at_ns: 3 * S
            }]
        );
        // Closing a stalled flow keeps the count: a new stalled flow, closed, leaves none.
        let c = link.open(2, 0.0, None, ());
        link.push(c, 10, 0.0);
        assert_eq!(link.sharing(), 0);
        link.close(c);
        assert_eq!((link.active(), link.sharing()), (0, 0));
        // Busy: A sent over [0, 1 s], B over [2 s, 3 s]; idle (B stalled) over [1 s, 2 s].
        assert_eq!(link.busy_ns(9 * S), 2 * S);
    }

    #[test]
    fn marks_and_pushes_while_sending() {
        // B = 100 Hz, SE 1: 100 b/s. A flow with a mark at bit 16 gets 16 bits at 0: mark and
        // drain at 0.16 s. Then 16 bits at 1 s and 16 more at 1.1 s (6 of the first still
        // queued): drains at 1.32 s.
        let mut link = FluidLink::new(100.0);
        let a = link.open(0, 1.0, Some(16), ());
        link.push(a, 16, 1.0);
        assert_eq!(
            run_to(&mut link, S),
            [
                Reached::Mark {
                    flow: a,
                    at_ns: 160_000_000
                },
                Reached::Drained {
                    flow: a,
                    at_ns: 160_000_000
                }
            ]
        );
        link.push(a, 16, 1.0);
        assert!(run_to(&mut link, 1_100_000_000).is_empty());
        link.push(a, 16, 1.0);
        assert_eq!(
            run_to(&mut link, 2 * S),
            [Reached::Drained {
                flow: a,
                at_ns: 1_320_000_000
            }]
        );
        link.close(a);
        assert_eq!(link.open_flows(), 0);
    }
}
