//! The arrival seam: where requests come from (docs/model.md §2, §12).
//!
//! An [`ArrivalSource`] is a set of *streams* (for Poisson users, one per
//! user), each with at most one pending arrival at a time: the base station
//! keeps one event per stream in the queue, asks the source for the request
//! when it fires, and schedules the stream's next instant. Implementations,
//! one file section each:
//! - [`PoissonUsers`]: every user a Poisson source of rate `λ/U` (§2, the default);
//! - [`Scripted`]: arrivals given in advance (tests, replay of a fixed list);
//! - the gamma renewal, rate-profile and trace-replay sources of MODEL.md §12
//!   are in `crate::workload`, whose `source` builds a scenario's source.

use std::collections::VecDeque;

use rand_distr::{Distribution, Exp};
use sim_core::{CounterRng, CounterStreams, RngStreams};

use crate::cost::secs_to_ns_saturating;
use crate::request::{Attributes, Profile, Request};
use crate::scenario::System;

/// One arrival: the user that sends the request and its attributes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    /// The sending user, `0 … U−1`.
    pub user: u32,
    /// The request's attributes.
    pub attrs: Attributes,
}

impl Arrival {
    /// The request this arrival makes at `at_ns`, with id `id`, counted in
    /// the cohort iff it arrives at or after the warm-up `warmup_ns`
    /// (MODEL.md §2, §8); its deadline is `at_ns + τ_i` (saturating).
    pub fn request(&self, id: u64, at_ns: u64, warmup_ns: u64) -> Request {
        Request {
            id,
            user: self.user,
            arrival_ns: at_ns,
            prompt: self.attrs.prompt,
            output: self.attrs.output,
            deadline_ns: at_ns.saturating_add(self.attrs.latency_ns),
            counted: at_ns >= warmup_ns,
            class: self.attrs.class,
        }
    }
}

/// A source of requests made of independent streams (docs/model.md §2).
pub trait ArrivalSource: Send {
    /// Number of streams; stream ids are `0 … streams() − 1`.
    fn streams(&self) -> u32;

    /// The instant (ns) of stream `s`'s first arrival, if it has one.
    fn first_ns(&mut self, s: u32) -> Option<u64>;

    /// The arrival of stream `s` due at `now_ns` (the instant last returned for
    /// `s`), and the instant of that stream's next arrival, if any (`≥ now_ns`).
    fn arrive(&mut self, s: u32, now_ns: u64) -> (Arrival, Option<u64>);

    /// Stream `s`'s arrivals from the one due at `now_ns` on, as long as they
    /// are at or before `until_ns` (`≥ now_ns`), appended to `out` as
    /// `(instant ns, arrival)`; returns the instant of the stream's next
    /// arrival after them, if any. The same as calling
    /// [`arrive`](ArrivalSource::arrive) in a loop (the default does), with
    /// one call per stream instead of one per arrival.
    fn arrive_until(
        &mut self,
        s: u32,
        now_ns: u64,
        until_ns: u64,
        out: &mut Vec<(u64, Arrival)>,
    ) -> Option<u64> {
        // A default method is compiled for each source: `arrive` is a direct call.
        let mut at = now_ns;
        loop {
            let (a, next) = self.arrive(s, at);
            out.push((at, a));
            match next {
                Some(t) if t <= until_ns => at = t,
                other => return other,
            }
        }
    }

    /// Why the source stopped before its end (a replayed file that became
    /// unreadable), once; the run then fails with it.
    fn failure(&mut self) -> Option<String> {
        None
    }
}

/// Every user a Poisson source at rate `λ/U` (docs/model.md §2).
///
/// Stream `u` is user `u`, with its two random streams, stream `u` of the
/// counter-based families `user/arrivals` (gaps) and `user/requests`
/// (attributes), as [`User`](crate::request::User) draws them. Each arrival
/// instant is the exact sum of the user's `f64` gaps since 0, rounded once to
/// the nearest ns (never a sum of rounded gaps).
///
/// Memory: a user is 32 bytes — its last instant and the word position of
/// each of its three streams (gaps, attributes, class); a generator is placed
/// at that position for each draw ([`CounterStreams::at`], one Philox block
/// per four words), so it draws what a live per-user generator would (a test
/// checks it). Up to [`LIVE_STREAMS_MAX_USERS`] users also keep their three
/// generators live ([`CounterStreams::at_buffered`], 96 bytes each: four
/// blocks computed at a time), which saves recomputing a partly used block at
/// each draw; the numbers are the same either way.
pub struct PoissonUsers {
    profile: Profile,
    gaps: Option<Exp<f64>>,
    families: [CounterStreams; 3],
    users: Vec<UserState>,
    /// Per user, its three generators, if kept live.
    live: Option<Vec<[CounterRng; 3]>>,
}

/// Most users whose generators [`PoissonUsers`] keeps live (3 × 96 B each: ≈ 1.2 MB).
pub const LIVE_STREAMS_MAX_USERS: u32 = 4096;

/// One user of [`PoissonUsers`] (32 bytes, read in one cache line).
#[derive(Clone, Copy, Debug, Default)]
struct UserState {
    /// The exact `f64` sum of its gaps so far, s.
    last_s: f64,
    /// The next word of its gap, attribute and class streams.
    positions: [u64; 3],
}

// The streams of a user, by index: gaps, attributes, class (MODEL.md §12;
// drawn only with two classes or more).
const GAPS: usize = 0;
const ATTRIBUTES: usize = 1;
const CLASS: usize = 2;

impl PoissonUsers {
    /// The users of `sys`, with their random streams from `streams`.
    pub fn new(sys: &System, streams: &RngStreams) -> PoissonUsers {
        PoissonUsers::with_live_limit(sys, streams, LIVE_STREAMS_MAX_USERS)
    }

    /// As [`PoissonUsers::new`], keeping generators live up to `live_max` users.
    fn with_live_limit(sys: &System, streams: &RngStreams, live_max: u32) -> PoissonUsers {
        let n = sys.users;
        let rate = sys.rate_per_user;
        let families = [
            CounterStreams::new(streams, "user/arrivals"),
            CounterStreams::new(streams, "user/requests"),
            CounterStreams::new(streams, "user/class"),
        ];
        let live = (n <= live_max).then(|| {
            (0..n)
                .map(|u| [GAPS, ATTRIBUTES, CLASS].map(|j| families[j].at_buffered(u, 0)))
                .collect()
        });
        PoissonUsers {
            profile: Profile::new(sys),
            gaps: Exp::new(rate).ok().filter(|_| rate > 0.0),
            families,
            users: vec![UserState::default(); n as usize],
            live,
        }
    }

    /// Runs `f` on stream `j` of user `u` (state `user`), leaving that stream where `f` left it.
    fn with<R>(
        families: &[CounterStreams; 3],
        live: &mut Option<Vec<[CounterRng; 3]>>,
        user: &mut UserState,
        u: u32,
        j: usize,
        f: impl FnOnce(&mut CounterRng) -> R,
    ) -> R {
        if let Some(live) = live {
            return f(&mut live[u as usize][j]);
        }
        let pos = &mut user.positions[j];
        let mut rng = families[j].at(u, *pos);
        let r = f(&mut rng);
        *pos = rng.word_pos();
        r
    }

    /// User `u`'s next arrival instant, ns (see
    /// [`User::next_arrival_ns`](crate::request::User::next_arrival_ns)).
    fn next_arrival_ns(&mut self, u: u32) -> Option<u64> {
        let gaps = self.gaps?;
        let user = &mut self.users[u as usize];
        let gap = Self::with(&self.families, &mut self.live, user, u, GAPS, |r| {
            gaps.sample(r)
        });
        user.last_s += gap;
        Some(secs_to_ns_saturating(user.last_s))
    }
}

impl ArrivalSource for PoissonUsers {
    fn streams(&self) -> u32 {
        self.users.len() as u32
    }

    fn first_ns(&mut self, s: u32) -> Option<u64> {
        self.next_arrival_ns(s)
    }

    fn arrive(&mut self, s: u32, _now_ns: u64) -> (Arrival, Option<u64>) {
        let profile = &self.profile;
        let user = &mut self.users[s as usize];
        let class = if profile.draws_class() {
            Self::with(&self.families, &mut self.live, user, s, CLASS, |r| {
                profile.draw_class(r)
            })
        } else {
            0
        };
        let attrs = Self::with(&self.families, &mut self.live, user, s, ATTRIBUTES, |r| {
            profile.draw(class, r, None)
        });
        (Arrival { user: s, attrs }, self.next_arrival_ns(s))
    }
}

/// An arrival given in advance instead of drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScriptedArrival {
    /// Arrival instant, ns.
    pub at_ns: u64,
    /// The sending user.
    pub user: u32,
    /// The request's attributes.
    pub attrs: Attributes,
}

/// Arrivals given in advance: stream `u` is user `u`'s arrivals in time order
/// (equal instants keep the order of the list).
pub struct Scripted {
    per_user: Vec<VecDeque<ScriptedArrival>>,
}

impl Scripted {
    /// A source for `users` users replaying `arrivals`.
    ///
    /// # Panics
    /// If an arrival names a user `≥ users` (a bug in the caller).
    pub fn new(users: u32, arrivals: &[ScriptedArrival]) -> Scripted {
        let mut per_user = vec![VecDeque::new(); users as usize];
        let mut all = arrivals.to_vec();
        all.sort_by_key(|a| a.at_ns); // stable: equal instants keep their order
        for a in all {
            per_user[a.user as usize].push_back(a);
        }
        Scripted { per_user }
    }
}

impl ArrivalSource for Scripted {
    fn streams(&self) -> u32 {
        self.per_user.len() as u32
    }

    fn first_ns(&mut self, s: u32) -> Option<u64> {
        self.per_user[s as usize].front().map(|a| a.at_ns)
    }

    fn arrive(&mut self, s: u32, now_ns: u64) -> (Arrival, Option<u64>) {
        let q = &mut self.per_user[s as usize];
        let a = q
            .pop_front()
            .expect("an arrival event has its script entry");
        let next = q.front().map(|n| n.at_ns.max(now_ns));
        (
            Arrival {
                user: a.user,
                attrs: a.attrs,
            },
            next,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::User;
    use crate::scenario::Scenario;

    /// The arrivals of every user, each as (instant, attributes), `per_user` deep.
    fn trace(src: &mut dyn ArrivalSource, per_user: usize) -> Vec<Vec<(u64, Arrival)>> {
        (0..src.streams())
            .map(|s| {
                let mut at = src.first_ns(s).unwrap();
                (0..per_user)
                    .map(|_| {
                        let (a, next) = src.arrive(s, at);
                        let this = at;
                        at = next.unwrap();
                        (this, a)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn an_arrival_makes_its_request() {
        let a = Arrival {
            user: 7,
            attrs: Attributes {
                prompt: 128,
                output: 256,
                latency_ns: 1_500,
                tolerance: 0.5,
                class: 1,
            },
        };
        let r = a.request(42, 10_000, 10_000);
        // Hand-written: deadline 10 000 + 1 500; counted at the warm-up instant itself.
        assert_eq!(
            r,
            Request {
                id: 42,
                user: 7,
                arrival_ns: 10_000,
                prompt: 128,
                output: 256,
                deadline_ns: 11_500,
                counted: true,
                class: 1,
            }
        );
        assert!(!a.request(0, 9_999, 10_000).counted);
        assert_eq!(a.request(0, u64::MAX - 1, 0).deadline_ns, u64::MAX);
    }

    #[test]
    fn positions_draw_what_live_generators_draw() {
        let mut sc = Scenario::default();
        sc.users.count = 12;
        let sys = sc.resolve().unwrap();
        let streams = RngStreams::new(6);
        // 100 arrivals per user, each user's in a row (trace()).
        let positions = trace(&mut PoissonUsers::with_live_limit(&sys, &streams, 11), 100);
        let live = trace(&mut PoissonUsers::with_live_limit(&sys, &streams, 12), 100);
        assert_eq!(positions, live);
        // Independent method: one `User` per user, with live generators, drawn in its own order.
        let profile = Profile::new(&sys);
        for (u, arrivals) in positions.iter().enumerate() {
            let mut user = User::new(&streams, u as u32, sys.rate_per_user);
            for &(at, a) in arrivals {
                assert_eq!(user.next_arrival_ns(), Some(at));
                assert_eq!(user.draw(&profile), a.attrs);
            }
        }
    }
}
