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

use sim_core::RngStreams;

use crate::request::{Attributes, Profile, User};
use crate::scenario::System;

/// One arrival: the user that sends the request and its attributes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    /// The sending user, `0 … U−1`.
    pub user: u32,
    /// The request's attributes.
    pub attrs: Attributes,
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

    /// Why the source stopped before its end (a replayed file that became
    /// unreadable), once; the run then fails with it.
    fn failure(&mut self) -> Option<String> {
        None
    }
}

/// Every user a Poisson source at rate `λ/U` (docs/model.md §2).
///
/// Stream `u` is user `u`, with its two named random streams (see
/// [`User`]). Each arrival instant is the exact sum of the user's `f64`
/// gaps since 0, rounded once to the nearest ns (never a sum of rounded gaps).
pub struct PoissonUsers {
    profile: Profile,
    users: Vec<User>,
}

impl PoissonUsers {
    /// The users of `sys`, with their random streams from `streams`.
    pub fn new(sys: &System, streams: &RngStreams) -> PoissonUsers {
        PoissonUsers {
            profile: Profile::new(sys),
            users: (0..sys.users)
                .map(|u| User::new(streams, u, sys.rate_per_user))
                .collect(),
        }
    }
}

impl ArrivalSource for PoissonUsers {
    fn streams(&self) -> u32 {
        self.users.len() as u32
    }

    fn first_ns(&mut self, s: u32) -> Option<u64> {
        self.users[s as usize].next_arrival_ns()
    }

    fn arrive(&mut self, s: u32, _now_ns: u64) -> (Arrival, Option<u64>) {
        let user = &mut self.users[s as usize];
        let attrs = user.draw(&self.profile);
        (Arrival { user: s, attrs }, user.next_arrival_ns())
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
