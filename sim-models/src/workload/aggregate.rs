//! An aggregate arrival process as an arrival source: one stream of
//! instants for the whole cell; each request's user from `arrivals.assign`,
//! its attributes from the scenario's request profile.

use rand::RngExt;
use sim_core::{RngStreams, StreamRng};

use crate::arrivals::{Arrival, ArrivalSource};
use crate::request::Profile;
use crate::scenario::{System, UserAssign};
use crate::trace::TraceError;

/// One arrival of an aggregate process: its instant (ns) and, for a
/// replayed trace, its `(prompt, output)` lengths in tokens.
pub type Next = Option<(u64, Option<(u32, u32)>)>;

/// The instants of an aggregate process, in non-decreasing order.
pub trait Instants: Send {
    /// The next arrival, or `None` when the process has no more.
    ///
    /// # Errors
    /// [`TraceError`] if a replayed file cannot be read.
    fn next(&mut self) -> Result<Next, TraceError>;
}

/// An [`ArrivalSource`] of one stream made from [`Instants`]: request `j`
/// (in arrival order, from 0) goes to user `j mod U` (`RoundRobin`) or to a
/// user drawn uniformly from the stream `arrivals/users` (`Random`); its
/// class (MODEL.md §12, only with two classes or more) from the stream
/// `arrivals/class`, then its attributes from the stream `arrivals/requests`,
/// in the order of [`Profile::draw`].
pub struct Aggregate<I> {
    instants: I,
    next: Next,
    users: u32,
    assign: UserAssign,
    sent: u64,
    user_rng: StreamRng,
    attr_rng: StreamRng,
    class_rng: StreamRng,
    profile: Profile,
    failure: Option<TraceError>,
}

impl<I: Instants> Aggregate<I> {
    /// The source of `sys`'s users and request profile fed by `instants`.
    ///
    /// # Errors
    /// As [`Instants::next`], for the first arrival.
    pub fn new(sys: &System, streams: &RngStreams, mut instants: I) -> Result<Self, TraceError> {
        Ok(Aggregate {
            next: instants.next()?,
            instants,
            users: sys.users,
            assign: sys.assign,
            sent: 0,
            user_rng: streams.stream("arrivals/users"),
            attr_rng: streams.stream("arrivals/requests"),
            class_rng: streams.stream("arrivals/class"),
            profile: Profile::new(sys),
            failure: None,
        })
    }
}

impl<I: Instants> ArrivalSource for Aggregate<I> {
    fn streams(&self) -> u32 {
        1
    }

    fn first_ns(&mut self, _s: u32) -> Option<u64> {
        self.next.map(|(t, _)| t)
    }

    fn arrive(&mut self, _s: u32, now_ns: u64) -> (Arrival, Option<u64>) {
        let (_, lengths) = self.next.expect("an arrival event has its instant");
        let user = match self.assign {
            UserAssign::RoundRobin => (self.sent % self.users as u64) as u32,
            UserAssign::Random => self.user_rng.random_range(0..self.users),
        };
        self.sent += 1;
        let class = self.profile.draw_class(&mut self.class_rng);
        let attrs = self.profile.draw(class, &mut self.attr_rng, lengths);
        self.next = match self.instants.next() {
            Ok(n) => n,
            Err(e) => {
                self.failure = Some(e);
                None
            }
        };
        (
            Arrival { user, attrs },
            self.next.map(|(t, _)| t.max(now_ns)),
        )
    }

    fn failure(&mut self) -> Option<String> {
        self.failure.take().map(|e| e.to_string())
    }
}
