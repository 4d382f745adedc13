//! The epoch pipeline's intake: the arrival source's requests, taken in by
//! the base station in batches, in event order (docs/model.md §2, §4).
//!
//! Between two scheduling instants an arrival only joins the pending queue
//! (after the admission test (1e)); nothing else in the epoch pipeline reads
//! that queue before the next epoch. So the station does not put one engine
//! event per arrival on the event queue: it asks the intake, at each epoch
//! instant (and before each delivery, and at the end of the run), for every
//! arrival due by then, and gets them in the order the event queue would have
//! run them — by instant, and at equal instants by the order in which the
//! queue would have scheduled them: a stream's next arrival is scheduled when
//! its previous one runs, the first arrivals in stream order. The per-request
//! results are those of one event per arrival; the event queue only carries
//! epochs, compute ends and deliveries.
//!
//! The streams wait on a calendar of epoch windows: window `w` holds the
//! instants in `((w − 1)·T_C, w·T_C]`, which epoch `w` (at `t_w = w·T_C`)
//! takes in. A stream sits in the bucket of the window of its next arrival;
//! the calendar is a ring, so a stream whose next arrival is many windows
//! ahead is passed over (its window does not match) until its window comes.
//! A take-in draws each due stream's arrivals up to its instant in one call
//! ([`ArrivalSource::arrive_until`]) and sorts them by instant; equal
//! instants (rare: two arrivals in the same ns) are ordered by the rule
//! above, exactly.
//!
//! This relies on the [`ArrivalSource`] contract that streams are
//! independent: what stream `s` returns does not depend on the calls made for
//! other streams, so drawing a stream's arrivals ahead of another's earlier
//! one changes no number.

use crate::arrivals::{Arrival, ArrivalSource};

/// A stream waiting on the calendar for its next arrival.
#[derive(Clone, Copy, Debug)]
struct Due {
    /// The arrival's instant, ns.
    at_ns: u64,
    /// Its window, `⌈at_ns / T_C⌉`.
    window: u64,
    /// Its place among equal instants: the event queue's scheduling order.
    stamp: u64,
    /// The stream.
    stream: u32,
}

/// One stream's arrivals in a take-in: `drawn[first..end]`, in its order.
#[derive(Clone, Copy, Debug)]
struct Run {
    stream: u32,
    first: u32,
    end: u32,
    /// The stamp of its first arrival (from the calendar).
    stamp: u64,
    /// The instant of the stream's next arrival, if after this take-in and
    /// within the horizon (it goes back on the calendar).
    next_ns: Option<u64>,
}

/// The arrival source behind a calendar of epoch windows (module docs).
pub struct Intake<'a> {
    source: Box<dyn ArrivalSource + 'a>,
    t_c_ns: u64,
    horizon_ns: u64,
    /// Bucket `w mod len` holds the streams whose next arrival is in window `w`.
    ring: Vec<Vec<Due>>,
    mask: u64,
    /// Every window below it has been taken in whole.
    cursor: u64,
    /// Streams put on the calendar before the first take-in (stamps
    /// `0 … primed − 1`); the arrival taken in `j`-th (from 0) stamps its
    /// stream's next arrival `primed + j`.
    primed: u64,
    /// Count of the arrivals taken in.
    taken: u64,
    /// This take-in's arrivals, stream by stream.
    drawn: Vec<(u64, Arrival)>,
    runs: Vec<Run>,
    /// `(instant, index into drawn)`, sorted into event order.
    keys: Vec<(u64, u32)>,
    /// Per index into `drawn`, its place in event order (from 0 in this take-in).
    place: Vec<u32>,
    /// Scratch of the sorts.
    spare: Vec<(u64, u32)>,
    counts: Vec<u32>,
}

/// Fewest buckets of the calendar.
const MIN_BUCKETS: usize = 64;
/// Most buckets of the calendar (1.5 MB of empty buckets).
const MAX_BUCKETS: usize = 1 << 16;

impl<'a> Intake<'a> {
    /// The intake of `source`'s streams, for epochs every `t_c_ns` ns (≥ 1)
    /// and arrivals up to `horizon_ns` (later ones are never taken in). Asks
    /// the source for every stream's first instant, in stream order.
    pub fn new(source: Box<dyn ArrivalSource + 'a>, t_c_ns: u64, horizon_ns: u64) -> Self {
        let streams = source.streams();
        let buckets = (streams as usize / 4)
            .next_power_of_two()
            .clamp(MIN_BUCKETS, MAX_BUCKETS);
        let mut intake = Intake {
            source,
            t_c_ns: t_c_ns.max(1),
            horizon_ns,
            ring: vec![Vec::new(); buckets],
            mask: buckets as u64 - 1,
            cursor: 0,
            primed: 0,
            taken: 0,
            drawn: Vec::new(),
            runs: Vec::new(),
            keys: Vec::new(),
            place: Vec::new(),
            spare: Vec::new(),
            counts: Vec::new(),
        };
        for s in 0..streams {
            let first = intake.source.first_ns(s);
            if let Some(at) = first.filter(|&t| t <= horizon_ns) {
                intake.wait(at, intake.primed, s);
                intake.primed += 1;
            }
        }
        intake
    }

    /// How many arrivals have been taken in (each one event of the model).
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Why the source stopped before its end, once (see
    /// [`ArrivalSource::failure`]).
    pub fn failure(&mut self) -> Option<String> {
        self.source.failure()
    }

    /// Every arrival at or before `until_ns` not yet taken in, in event order,
    /// appended to `out` as `(instant ns, arrival)`. Calls come with
    /// non-decreasing `until_ns`.
    pub fn take_in(&mut self, until_ns: u64, out: &mut Vec<(u64, Arrival)>) {
        let until = until_ns.min(self.horizon_ns);
        let last = self.window(until);
        self.drawn.clear();
        self.runs.clear();
        let mut w = self.cursor;
        while w <= last {
            let b = (w & self.mask) as usize;
            let mut i = 0;
            while i < self.ring[b].len() {
                let d = self.ring[b][i];
                if d.window == w && d.at_ns <= until {
                    self.ring[b].swap_remove(i);
                    self.draw(d, until);
                } else {
                    i += 1;
                }
            }
            w += 1;
        }
        // Window `last` is whole once its closing instant is reached.
        self.cursor = if until == last.saturating_mul(self.t_c_ns) {
            last + 1
        } else {
            last
        };
        if self.drawn.is_empty() {
            return;
        }
        self.put_in_order();
        out.extend(self.keys.iter().map(|&(_, i)| self.drawn[i as usize]));
        // Each stream's next arrival was scheduled when its last one here ran.
        let base = self.primed + self.taken;
        for r in 0..self.runs.len() {
            let run = self.runs[r];
            if let Some(next) = run.next_ns {
                let stamp = base + u64::from(self.place[run.end as usize - 1]);
                self.wait(next, stamp, run.stream);
            }
        }
        self.taken += self.drawn.len() as u64;
    }

    /// Draws stream `d.stream`'s arrivals from `d` on, up to `until`.
    fn draw(&mut self, d: Due, until: u64) {
        let first = self.drawn.len() as u32;
        let next = self
            .source
            .arrive_until(d.stream, d.at_ns, until, &mut self.drawn)
            .filter(|&t| t <= self.horizon_ns);
        self.runs.push(Run {
            stream: d.stream,
            first,
            end: self.drawn.len() as u32,
            stamp: d.stamp,
            next_ns: next,
        });
    }

    /// Sorts `drawn` into event order (`keys`) and notes each arrival's
    /// place: by instant; at equal instants (rare), by the order in which the
    /// event queue scheduled them — a stream's first arrival here by its
    /// stamp, any other when its predecessor (the arrival before it in
    /// `drawn`) ran, that is, by the predecessor's place.
    fn put_in_order(&mut self) {
        let n = self.drawn.len();
        self.keys.clear();
        self.keys
            .extend(self.drawn.iter().enumerate().map(|(i, d)| (d.0, i as u32)));
        sort_by_instant(&mut self.keys, &mut self.spare, &mut self.counts);
        self.place.clear();
        self.place.resize(n, 0);
        let mut tied = false;
        for p in 0..n {
            self.place[self.keys[p].1 as usize] = p as u32;
            tied |= p > 0 && self.keys[p - 1].0 == self.keys[p].0;
        }
        if tied {
            self.order_ties();
        }
    }

    /// Reorders each group of equal instants in `keys` by the event queue's
    /// rule ([`Intake::put_in_order`]). A predecessor outside a group is
    /// earlier, so its place is final when the group is reached. One inside
    /// (a zero gap) ran within the group, and its successor was scheduled
    /// then: after every arrival of the group scheduled before, so it joins
    /// the end of the group's queue.
    fn order_ties(&mut self) {
        let mut first_stamp = vec![None; self.drawn.len()];
        for r in &self.runs {
            first_stamp[r.first as usize] = Some(r.stamp);
        }
        let base = self.primed + self.taken;
        let n = self.keys.len();
        let mut i = 0;
        while i < n {
            let at = self.keys[i].0;
            let mut j = i + 1;
            while j < n && self.keys[j].0 == at {
                j += 1;
            }
            if j > i + 1 {
                // The group's queue, (stamp, index): those scheduled before it.
                self.spare.clear();
                let mut waiting = vec![];
                for &(_, idx) in &self.keys[i..j] {
                    let stamp = match first_stamp[idx as usize] {
                        Some(s) => Some(s),
                        None => {
                            let pred = idx as usize - 1;
                            let inside = self.drawn[pred].0 == at;
                            (!inside).then(|| base + u64::from(self.place[pred]))
                        }
                    };
                    match stamp {
                        Some(s) => self.spare.push((s, idx)),
                        None => waiting.push(idx),
                    }
                }
                self.spare.sort_unstable();
                let mut q = 0;
                while q < self.spare.len() {
                    let idx = self.spare[q].1;
                    let p = i + q;
                    self.keys[p] = (at, idx);
                    self.place[idx as usize] = p as u32;
                    if let Some(w) = waiting.iter().position(|&x| x == idx + 1) {
                        let succ = waiting.swap_remove(w);
                        self.spare.push((base + p as u64, succ));
                    }
                    q += 1;
                }
                debug_assert!(waiting.is_empty(), "a zero gap without its predecessor");
            }
            i = j;
        }
    }

    /// Puts stream `stream` on the calendar for its arrival at `at_ns`.
    fn wait(&mut self, at_ns: u64, stamp: u64, stream: u32) {
        let window = self.window(at_ns);
        self.ring[(window & self.mask) as usize].push(Due {
            at_ns,
            window,
            stamp,
            stream,
        });
    }

    /// The window of instant `t`: `⌈t / T_C⌉`, the epoch that takes it in.
    fn window(&self, t: u64) -> u64 {
        t.div_ceil(self.t_c_ns)
    }
}

/// Sorts `keys` (instant, index) ascending, in expected linear time: a
/// bucket pass on the instant (the instants of a take-in are spread over an
/// epoch window, about uniformly), then an insertion pass that puts each
/// bucket's few keys in order. Short inputs go to the standard sort.
fn sort_by_instant(keys: &mut Vec<(u64, u32)>, spare: &mut Vec<(u64, u32)>, counts: &mut Vec<u32>) {
    let n = keys.len();
    if n <= 32 {
        keys.sort_unstable();
        return;
    }
    let min = keys.iter().map(|k| k.0).min().expect("n > 0");
    let max = keys.iter().map(|k| k.0).max().expect("n > 0");
    let buckets = n.next_power_of_two();
    // Monotone in the instant: `x ↦ ⌊x·scale⌋` never decreases as x grows
    // (rounded products of a positive constant keep their order).
    let scale = buckets as f64 / ((max - min) as f64 + 1.0);
    let bucket = |at: u64| (((at - min) as f64 * scale) as usize).min(buckets - 1);
    counts.clear();
    counts.resize(buckets + 1, 0);
    for k in keys.iter() {
        counts[bucket(k.0) + 1] += 1;
    }
    for b in 1..=buckets {
        counts[b] += counts[b - 1];
    }
    spare.clear();
    spare.resize(n, (0, 0));
    for &k in keys.iter() {
        let b = &mut counts[bucket(k.0)];
        spare[*b as usize] = k;
        *b += 1;
    }
    std::mem::swap(keys, spare);
    // Buckets are in order; each holds about one key.
    for i in 1..n {
        let k = keys[i];
        let mut j = i;
        while j > 0 && keys[j - 1] > k {
            keys[j] = keys[j - 1];
            j -= 1;
        }
        keys[j] = k;
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use proptest::prelude::*;
    use sim_core::RngStreams;

    use super::*;
    use crate::arrivals::{PoissonUsers, Scripted, ScriptedArrival};
    use crate::request::Attributes;
    use crate::scenario::Scenario;

    /// Independent method: the arrivals as one event each on a `(time, seq)`
    /// priority queue, as the engine ran them — first arrivals scheduled in
    /// stream order, each stream's next one when its previous one runs.
    fn by_event_queue(src: &mut dyn ArrivalSource, horizon: u64) -> Vec<(u64, Arrival)> {
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        for s in 0..src.streams() {
            if let Some(t) = src.first_ns(s).filter(|&t| t <= horizon) {
                heap.push(Reverse((t, seq, s)));
                seq += 1;
            }
        }
        let mut out = vec![];
        while let Some(Reverse((t, _, s))) = heap.pop() {
            let (a, next) = src.arrive(s, t);
            out.push((t, a));
            if let Some(n) = next.filter(|&n| n <= horizon) {
                heap.push(Reverse((n, seq, s)));
                seq += 1;
            }
        }
        out
    }

    /// The intake's arrivals, taken in at each of `cuts` (non-decreasing), then at the horizon.
    fn by_intake(
        src: Box<dyn ArrivalSource + '_>,
        t_c: u64,
        horizon: u64,
        cuts: &[u64],
    ) -> Vec<(u64, Arrival)> {
        let mut intake = Intake::new(src, t_c, horizon);
        let mut out = vec![];
        for &c in cuts.iter().chain([&horizon]) {
            let before = out.len();
            intake.take_in(c, &mut out);
            assert!(
                out[before..].iter().all(|a| a.0 <= c),
                "taken in after its cut"
            );
        }
        assert_eq!(intake.taken(), out.len() as u64);
        out
    }

    /// Scripted arrival `i` of `user` at `at`, told apart by its prompt.
    fn scripted(i: usize, user: u32, at: u64) -> ScriptedArrival {
        ScriptedArrival {
            at_ns: at,
            user,
            attrs: Attributes {
                prompt: i as u32,
                output: 1,
                latency_ns: 1,
                tolerance: 1.0,
                class: 0,
            },
        }
    }

    #[test]
    fn zero_gaps_and_ties_by_hand() {
        // T_C = 10. User 1 at 5, 5 (zero gap), user 0 at 5, 7; user 2 at 5.
        // Queue: first arrivals u0@5 (seq 0), u1@5 (1), u2@5 (2); u0 runs,
        // schedules u0@7 (3); u1 runs, schedules u1@5 (4); u2 runs; u1@5
        // (seq 4) runs before u0@7.
        let script = [
            scripted(0, 0, 5),
            scripted(1, 0, 7),
            scripted(2, 1, 5),
            scripted(3, 1, 5),
            scripted(4, 2, 5),
        ];
        let order = |v: Vec<(u64, Arrival)>| v.iter().map(|a| a.1.attrs.prompt).collect::<Vec<_>>();
        let want = vec![0, 2, 4, 3, 1];
        assert_eq!(
            order(by_event_queue(&mut Scripted::new(3, &script), 100)),
            want
        );
        for cuts in [vec![], vec![5], vec![6], vec![10], vec![4, 5, 7]] {
            let got = by_intake(Box::new(Scripted::new(3, &script)), 10, 100, &cuts);
            assert_eq!(order(got), want, "cuts {cuts:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Many ties (instants from a few values), zero gaps, instants on
        /// window edges, cuts anywhere: the event queue's order, exactly.
        #[test]
        fn scripted_order_is_the_event_queues(
            users in 1u32..6,
            times in prop::collection::vec((0u32..6, 0u64..40), 0..60),
            t_c in 1u64..12,
            mut cuts in prop::collection::vec(0u64..45, 0..6),
            horizon in 20u64..45,
        ) {
            let script: Vec<ScriptedArrival> = times
                .iter()
                .enumerate()
                .map(|(i, &(u, at))| scripted(i, u % users, at))
                .collect();
            cuts.sort_unstable();
            let want = by_event_queue(&mut Scripted::new(users, &script), horizon);
            let got = by_intake(Box::new(Scripted::new(users, &script)), t_c, horizon, &cuts);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn poisson_users_order_is_the_event_queues() {
        let mut sc = Scenario::default();
        sc.users.count = 300; // more streams than MIN_BUCKETS·4: the ring wraps
        sc.arrivals.rate = 40.0;
        let sys = sc.resolve().unwrap();
        let streams = RngStreams::new(11);
        let horizon = 200_000_000_000; // 200 s
        let want = by_event_queue(&mut PoissonUsers::new(&sys, &streams), horizon);
        assert!(want.len() > 7_000);
        let cuts: Vec<u64> = (0..300u64)
            .map(|k| k * 600_000_000 + (k % 3) * 77)
            .collect();
        let got = by_intake(
            Box::new(PoissonUsers::new(&sys, &streams)),
            1_500_000_000,
            horizon,
            &cuts,
        );
        assert_eq!(got, want);
    }

    proptest! {
        #[test]
        fn sort_by_instant_sorts(mut keys in prop::collection::vec((0u64..1_000, any::<u32>()), 0..300)) {
            let mut want = keys.clone();
            want.sort_unstable();
            sort_by_instant(&mut keys, &mut vec![], &mut vec![]);
            prop_assert_eq!(keys, want);
        }
    }
}
