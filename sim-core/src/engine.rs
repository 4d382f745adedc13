//! The event loop: pops events in `(time, seq)` order and hands each to the
//! model, which may schedule and cancel events through a [`Context`].
//!
//! Models are generic over their own event type ([`Model::Event`]), so the
//! hot path is a monomorphised call on a typed value: no trait objects, no
//! downcasting.
//!
//! A run stops at the first of: the queue running empty, the horizon (every
//! event at `t ≤ horizon` runs, every event after it is left pending and
//! counted), an event-count limit, the model asking to stop, the progress
//! observer asking to stop, or the stop flag ([`Engine::set_stop_flag`], set
//! on Ctrl-C) being raised. It always stops between two events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::progress::{
    NoProgress, ProgressObserver, ProgressReport, Throttle, CHECK_EVERY_EVENTS, DEFAULT_INTERVAL,
};
use crate::queue::{EventKey, EventQueue, ScheduleError};
use crate::time::{SimDuration, SimTime};

/// A simulation model: handles its own typed events.
pub trait Model {
    /// The events this model schedules and handles.
    type Event;

    /// Handles `event`, which is due at `now` (equal to `ctx.now()`).
    /// Through `ctx` the model schedules and cancels events and may ask the
    /// run to stop.
    fn handle(&mut self, now: SimTime, event: Self::Event, ctx: &mut Context<'_, Self::Event>);
}

/// What a model can do to the simulation while it handles an event.
pub struct Context<'a, E> {
    queue: &'a mut EventQueue<E>,
    stop: bool,
}

impl<E> Context<'_, E> {
    /// The current simulated time: the instant of the event being handled.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Schedules `event` at the absolute instant `at` (`at ≥ now`; at
    /// `now` itself it runs after every event already scheduled for `now`).
    ///
    /// # Errors
    /// [`ScheduleError::InPast`] if `at < now`.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventKey, ScheduleError> {
        self.queue.schedule_at(at, event)
    }

    /// Schedules `event` at `now + delay`.
    ///
    /// # Errors
    /// [`ScheduleError::Overflow`] if that exceeds `u64::MAX` ns.
    #[inline]
    pub fn schedule_after(
        &mut self,
        delay: SimDuration,
        event: E,
    ) -> Result<EventKey, ScheduleError> {
        self.queue.schedule_after(delay, event)
    }

    /// Cancels a pending event; see [`EventQueue::cancel`]. Returns `true`
    /// if it was pending.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        self.queue.cancel(key)
    }

    /// Whether the event named by `key` is still pending.
    pub fn is_pending(&self, key: EventKey) -> bool {
        self.queue.is_pending(key)
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Asks the run to stop once this event has been handled
    /// ([`StopReason::ModelRequested`]). Has no effect on [`Engine::step`].
    pub fn request_stop(&mut self) {
        self.stop = true;
    }
}

/// Why a run returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// No event was pending (runs without a horizon only).
    QueueEmpty,
    /// Every event at or before the horizon has run; the clock is at the
    /// horizon.
    Horizon,
    /// The run processed its maximum number of events.
    EventLimit,
    /// The model called [`Context::request_stop`].
    ModelRequested,
    /// The progress observer returned [`ControlFlow::Break`](std::ops::ControlFlow::Break),
    /// or the stop flag was raised.
    Interrupted,
}

/// The engine's event counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Events ever scheduled, count.
    pub scheduled: u64,
    /// Events handled by the model, count.
    pub processed: u64,
    /// Events cancelled while pending, count.
    pub cancelled: u64,
    /// Events pending now (left unprocessed if the run is over), count;
    /// always `scheduled − processed − cancelled`.
    pub pending: u64,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Why the run returned.
    pub reason: StopReason,
    /// Simulated time when it returned.
    pub now: SimTime,
    /// Events handled during this run, count.
    pub processed_in_run: u64,
    /// The engine's counters when it returned (cumulative over runs).
    pub counters: Counters,
}

/// Where a run stops at the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Stop once every event at `t ≤ horizon` has run; `None`: no horizon.
    pub horizon: Option<SimTime>,
    /// Stop after this many events; `None`: no limit.
    pub max_events: Option<u64>,
}

/// The discrete-event engine for events of type `E`: the pending-event
/// queue, the clock and the counters. The model is passed to each run, so
/// the caller keeps ownership of it.
pub struct Engine<E> {
    queue: EventQueue<E>,
    processed: u64,
    progress_interval: Duration,
    stop_flag: Option<Arc<AtomicBool>>,
}

impl<E> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> std::fmt::Debug for Engine<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("now", &self.now())
            .field("counters", &self.counters())
            .finish()
    }
}

impl<E> Engine<E> {
    /// An engine at time zero with no events.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An engine at time zero with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        Engine {
            queue: EventQueue::with_capacity(capacity),
            processed: 0,
            progress_interval: DEFAULT_INTERVAL,
            stop_flag: None,
        }
    }

    /// Sets (or clears) the flag that stops a run: [`Engine::run_with`]
    /// reads it when it starts and then every [`CHECK_EVERY_EVENTS`] events
    /// (one relaxed atomic load), and once it is `true` returns with
    /// [`StopReason::Interrupted`] between two events — wherever the run
    /// is, not only where the model looks at the flag.
    pub fn set_stop_flag(&mut self, flag: Option<Arc<AtomicBool>>) {
        self.stop_flag = flag;
    }

    /// Sets the least wall time between two progress reports (default
    /// 100 ms). The wall clock is still read only every
    /// [`CHECK_EVERY_EVENTS`] events.
    pub fn set_progress_interval(&mut self, interval: Duration) {
        self.progress_interval = interval;
    }

    /// The current simulated time; never moves backwards.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Schedules `event` at the absolute instant `at`.
    ///
    /// # Errors
    /// [`ScheduleError::InPast`] if `at` is before [`Engine::now`].
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventKey, ScheduleError> {
        self.queue.schedule_at(at, event)
    }

    /// Schedules `event` at `now + delay`.
    ///
    /// # Errors
    /// [`ScheduleError::Overflow`] if that exceeds `u64::MAX` ns.
    pub fn schedule_after(
        &mut self,
        delay: SimDuration,
        event: E,
    ) -> Result<EventKey, ScheduleError> {
        self.queue.schedule_after(delay, event)
    }

    /// Cancels a pending event: it will never run. Returns `true` if it was
    /// pending; cancelling twice, or after it ran, returns `false` and does
    /// nothing else.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        self.queue.cancel(key)
    }

    /// Whether the event named by `key` is still pending.
    pub fn is_pending(&self, key: EventKey) -> bool {
        self.queue.is_pending(key)
    }

    /// Number of pending events (after a run: the events left unprocessed).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The instant of the next pending event, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The event counters.
    pub fn counters(&self) -> Counters {
        Counters {
            scheduled: self.queue.scheduled(),
            processed: self.processed,
            cancelled: self.queue.cancelled(),
            pending: self.queue.len() as u64,
        }
    }

    /// Runs the next pending event, if any, and returns its instant.
    pub fn step<M: Model<Event = E>>(&mut self, model: &mut M) -> Option<SimTime> {
        let (key, event) = self.queue.pop()?;
        self.processed += 1;
        let mut ctx = Context {
            queue: &mut self.queue,
            stop: false,
        };
        model.handle(key.time(), event, &mut ctx);
        Some(key.time())
    }

    /// Runs until no event is pending (or the model asks to stop).
    pub fn run<M: Model<Event = E>>(&mut self, model: &mut M) -> RunSummary {
        self.run_with(model, Limits::default(), &mut NoProgress)
    }

    /// Runs every event at `t ≤ horizon` — events exactly at the horizon
    /// run — then moves the clock to the horizon (if it is not already
    /// later). Events after the horizon stay pending and are counted in
    /// [`Counters::pending`]; a later run continues with them.
    pub fn run_until<M: Model<Event = E>>(
        &mut self,
        model: &mut M,
        horizon: SimTime,
    ) -> RunSummary {
        let limits = Limits {
            horizon: Some(horizon),
            max_events: None,
        };
        self.run_with(model, limits, &mut NoProgress)
    }

    /// As [`Engine::run_until`], reporting progress to `observer` if there
    /// is one (see [`Engine::run_with`]; it may stop the run).
    pub fn run_until_observed<M: Model<Event = E>>(
        &mut self,
        model: &mut M,
        horizon: SimTime,
        observer: Option<&mut dyn ProgressObserver>,
    ) -> RunSummary {
        let limits = Limits {
            horizon: Some(horizon),
            max_events: None,
        };
        match observer {
            Some(o) => self.run_with(model, limits, o),
            None => self.run_with(model, limits, &mut NoProgress),
        }
    }

    /// Runs at most `max_events` events.
    pub fn run_events<M: Model<Event = E>>(
        &mut self,
        model: &mut M,
        max_events: u64,
    ) -> RunSummary {
        let limits = Limits {
            horizon: None,
            max_events: Some(max_events),
        };
        self.run_with(model, limits, &mut NoProgress)
    }

    /// Runs within `limits`, reporting progress to `observer` at a bounded
    /// rate (see [`crate::progress`]) and once at the end with
    /// `finished = true`. If the observer returns [`ControlFlow::Break`](std::ops::ControlFlow::Break),
    /// the run stops after the current event with
    /// [`StopReason::Interrupted`], and the clock stays at that event.
    ///
    /// With a horizon, the run ends at the horizon (reason
    /// [`StopReason::Horizon`]) even if the queue runs empty before it.
    pub fn run_with<M, O>(&mut self, model: &mut M, limits: Limits, observer: &mut O) -> RunSummary
    where
        M: Model<Event = E>,
        O: ProgressObserver + ?Sized,
    {
        let horizon = limits.horizon.unwrap_or(SimTime::MAX);
        let mut remaining = limits.max_events.unwrap_or(u64::MAX);
        let reports = observer.wants_reports();
        let stop_flag = self.stop_flag.clone();
        let raised =
            |f: &Option<Arc<AtomicBool>>| f.as_ref().is_some_and(|f| f.load(Ordering::Relaxed));
        let checks = reports || stop_flag.is_some();
        let mut throttle = Throttle::new(self.progress_interval);
        let mut until_check = CHECK_EVERY_EVENTS;
        let first = self.processed;

        let reason = loop {
            if self.processed == first && raised(&stop_flag) {
                break StopReason::Interrupted;
            }
            if remaining == 0 {
                break StopReason::EventLimit;
            }
            let Some((key, event)) = self.queue.pop_at_or_before(horizon) else {
                if let Some(h) = limits.horizon {
                    self.queue.advance_to(h);
                    break StopReason::Horizon;
                }
                break StopReason::QueueEmpty;
            };
            remaining -= 1;
            self.processed += 1;
            let mut ctx = Context {
                queue: &mut self.queue,
                stop: false,
            };
            model.handle(key.time(), event, &mut ctx);
            if ctx.stop {
                break StopReason::ModelRequested;
            }
            if checks {
                until_check -= 1;
                if until_check == 0 {
                    until_check = CHECK_EVERY_EVENTS;
                    if raised(&stop_flag) {
                        break StopReason::Interrupted;
                    }
                    if reports {
                        if let Some(wall) = throttle.due() {
                            let report = self.report(limits.horizon, wall, false);
                            if observer.report(&report).is_break() {
                                break StopReason::Interrupted;
                            }
                        }
                    }
                }
            }
        };

        if reports {
            let report = self.report(limits.horizon, throttle.elapsed(), true);
            let _ = observer.report(&report);
        }
        RunSummary {
            reason,
            now: self.now(),
            processed_in_run: self.processed - first,
            counters: self.counters(),
        }
    }

    fn report(&self, horizon: Option<SimTime>, wall: Duration, finished: bool) -> ProgressReport {
        ProgressReport {
            now: self.now(),
            horizon,
            processed: self.processed,
            pending: self.queue.len(),
            wall,
            finished,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{RngStreams, StreamRng};
    use rand::RngExt;
    use std::ops::ControlFlow;

    fn t(ns: u64) -> SimTime {
        SimTime::from_nanos(ns)
    }

    /// Records every event it handles as (time ns, label).
    #[derive(Default)]
    struct Recorder {
        seen: Vec<(u64, u32)>,
    }

    impl Model for Recorder {
        type Event = u32;
        fn handle(&mut self, now: SimTime, ev: u32, ctx: &mut Context<'_, u32>) {
            assert_eq!(now, ctx.now());
            self.seen.push((now.as_nanos(), ev));
        }
    }

    #[test]
    fn ties_run_in_scheduling_order() {
        let mut engine = Engine::new();
        // label = scheduling order; times 5,3,5,3,5 ns.
        for (label, ns) in [5, 3, 5, 3, 5].into_iter().enumerate() {
            engine.schedule_at(t(ns), label as u32).unwrap();
        }
        let mut m = Recorder::default();
        let s = engine.run(&mut m);
        // t=3: labels 1,3; t=5: labels 0,2,4.
        assert_eq!(m.seen, vec![(3, 1), (3, 3), (5, 0), (5, 2), (5, 4)]);
        assert_eq!(s.reason, StopReason::QueueEmpty);
        assert_eq!(s.now, t(5));
    }

    /// Schedules, from inside `handle`, children at the current instant and
    /// checks they run after the events already due then.
    struct SameInstant {
        seen: Vec<u32>,
    }

    impl Model for SameInstant {
        type Event = u32;
        fn handle(&mut self, _now: SimTime, ev: u32, ctx: &mut Context<'_, u32>) {
            self.seen.push(ev);
            if ev < 2 {
                ctx.schedule_after(SimDuration::ZERO, ev + 10).unwrap();
            }
        }
    }

    #[test]
    fn events_scheduled_for_now_run_after_those_already_due() {
        let mut engine = Engine::new();
        for ev in 0..3 {
            engine.schedule_at(t(7), ev).unwrap();
        }
        let mut m = SameInstant { seen: vec![] };
        engine.run(&mut m);
        // 0,1,2 were due first; 10 (from 0) then 11 (from 1) follow.
        assert_eq!(m.seen, vec![0, 1, 2, 10, 11]);
    }

    /// Event 0 cancels the key stored for event 1, twice.
    struct Canceller {
        victim: Option<EventKey>,
        seen: Vec<u32>,
        results: Vec<bool>,
    }

    impl Model for Canceller {
        type Event = u32;
        fn handle(&mut self, _now: SimTime, ev: u32, ctx: &mut Context<'_, u32>) {
            self.seen.push(ev);
            if ev == 0 {
                let k = self.victim.unwrap();
                self.results.push(ctx.is_pending(k));
                self.results.push(ctx.cancel(k));
                self.results.push(ctx.cancel(k));
                self.results.push(ctx.is_pending(k));
            }
        }
    }

    #[test]
    fn cancelled_events_never_run() {
        let mut engine = Engine::new();
        let first = engine.schedule_at(t(1), 0).unwrap();
        let victim = engine.schedule_at(t(2), 1).unwrap();
        engine.schedule_at(t(3), 2).unwrap();
        let mut m = Canceller {
            victim: Some(victim),
            seen: vec![],
            results: vec![],
        };
        let s = engine.run(&mut m);
        assert_eq!(m.seen, vec![0, 2]);
        // pending before, cancelled, second cancel harmless, no longer pending.
        assert_eq!(m.results, vec![true, true, false, false]);
        // Cancel after it ran: harmless.
        assert!(!engine.cancel(first));
        // 3 scheduled, 2 processed, 1 cancelled, 0 pending.
        assert_eq!(
            s.counters,
            Counters {
                scheduled: 3,
                processed: 2,
                cancelled: 1,
                pending: 0
            }
        );
    }

    #[test]
    fn horizon_runs_events_at_it_and_leaves_later_ones() {
        let mut engine = Engine::new();
        for (i, ns) in [10, 20, 30, 30, 40, 50].into_iter().enumerate() {
            engine.schedule_at(t(ns), i as u32).unwrap();
        }
        let mut m = Recorder::default();
        let s = engine.run_until(&mut m, t(30));
        // t ≤ 30 runs: 10, 20, 30, 30 → 4 events; 40 and 50 stay: 2 pending.
        assert_eq!(m.seen, vec![(10, 0), (20, 1), (30, 2), (30, 3)]);
        assert_eq!(s.reason, StopReason::Horizon);
        assert_eq!(s.now, t(30));
        assert_eq!(s.processed_in_run, 4);
        assert_eq!(
            s.counters,
            Counters {
                scheduled: 6,
                processed: 4,
                cancelled: 0,
                pending: 2
            }
        );
        // An empty stretch: the clock moves to the horizon, nothing runs.
        let s = engine.run_until(&mut m, t(35));
        assert_eq!(
            (s.now, s.processed_in_run, s.counters.pending),
            (t(35), 0, 2)
        );
        // A horizon in the past moves nothing.
        let s = engine.run_until(&mut m, t(1));
        assert_eq!((s.now, s.processed_in_run), (t(35), 0));
        // Scheduling before the clock is refused.
        assert_eq!(
            engine.schedule_at(t(34), 9),
            Err(ScheduleError::InPast {
                at: t(34),
                now: t(35)
            })
        );
        // Continue to the end: 40, 50.
        let s = engine.run(&mut m);
        assert_eq!(&m.seen[4..], &[(40, 4), (50, 5)]);
        assert_eq!(
            (s.reason, s.now, s.counters.pending),
            (StopReason::QueueEmpty, t(50), 0)
        );
    }

    #[test]
    fn horizon_reached_with_empty_queue_moves_clock() {
        let mut engine: Engine<u32> = Engine::new();
        let s = engine.run_until(&mut Recorder::default(), t(1_000));
        assert_eq!((s.reason, s.now), (StopReason::Horizon, t(1_000)));
    }

    #[test]
    fn step_and_event_limit() {
        let mut engine = Engine::new();
        for ns in [1, 2, 3, 4] {
            engine.schedule_at(t(ns), ns as u32).unwrap();
        }
        let mut m = Recorder::default();
        assert_eq!(engine.step(&mut m), Some(t(1)));
        assert_eq!(engine.now(), t(1));
        let s = engine.run_events(&mut m, 2);
        // 2 more: t = 2, 3; one (t = 4) left.
        assert_eq!(
            (s.reason, s.now, s.counters.pending),
            (StopReason::EventLimit, t(3), 1)
        );
        assert_eq!(engine.step(&mut m), Some(t(4)));
        assert_eq!(engine.step(&mut m), None);
        assert_eq!(engine.counters().processed, 4);
    }

    /// Random delays (including zero), checks that time never goes back.
    struct Wanderer {
        rng: StreamRng,
        last: SimTime,
        left: u32,
    }

    impl Model for Wanderer {
        type Event = ();
        fn handle(&mut self, now: SimTime, _ev: (), ctx: &mut Context<'_, ()>) {
            assert!(now >= self.last, "clock went back: {now} < {}", self.last);
            self.last = now;
            if now > SimTime::ZERO {
                // Scheduling 1 ns in the past is refused.
                let past = SimTime::from_nanos(now.as_nanos() - 1);
                assert!(ctx.schedule_at(past, ()).is_err());
            }
            if self.left > 0 {
                self.left -= 1;
                for _ in 0..2 {
                    let d = self.rng.random_range(0..4u64);
                    ctx.schedule_after(SimDuration::from_nanos(d), ()).unwrap();
                }
                if self.rng.random_range(0..3u32) == 0 {
                    ctx.request_stop();
                }
            }
        }
    }

    #[test]
    fn clock_is_monotone() {
        let mut engine = Engine::new();
        engine.schedule_at(SimTime::ZERO, ()).unwrap();
        let mut m = Wanderer {
            rng: RngStreams::new(3).stream("wander"),
            last: SimTime::ZERO,
            left: 5_000,
        };
        let mut before = engine.now();
        // Alternate horizons, model stops, steps and plain runs.
        for round in 0u64.. {
            let s = match round % 3 {
                0 => engine.run_until(&mut m, SimTime::from_nanos(round * 5)),
                1 => engine.run(&mut m),
                _ => {
                    engine.step(&mut m);
                    engine.run_events(&mut m, 7)
                }
            };
            assert!(s.now >= before);
            before = s.now;
            if engine.pending() == 0 {
                break;
            }
        }
        assert_eq!(m.left, 0);
    }

    /// A random branching process whose trace is recorded.
    struct Tracer {
        rng: StreamRng,
        trace: Vec<(u64, u64)>,
        keys: Vec<EventKey>,
    }

    impl Model for Tracer {
        type Event = u64;
        fn handle(&mut self, now: SimTime, id: u64, ctx: &mut Context<'_, u64>) {
            self.trace.push((now.as_nanos(), id));
            let children = self.rng.random_range(0..3u32);
            for c in 0..children {
                let d = SimDuration::from_nanos(self.rng.random_range(0..1_000u64));
                let k = ctx.schedule_after(d, id * 3 + u64::from(c)).unwrap();
                self.keys.push(k);
            }
            if self.rng.random_bool(0.2) && !self.keys.is_empty() {
                let i = self.rng.random_range(0..self.keys.len());
                ctx.cancel(self.keys[i]);
            }
        }
    }

    fn trace(seed: u64) -> (Vec<(u64, u64)>, Counters) {
        let mut engine = Engine::new();
        for id in 0..20 {
            engine.schedule_at(t(id * 50), id).unwrap();
        }
        let mut m = Tracer {
            rng: RngStreams::new(seed).stream("tracer"),
            trace: vec![],
            keys: vec![],
        };
        let s = engine.run_until(&mut m, t(200_000));
        (m.trace, s.counters)
    }

    #[test]
    fn same_seed_gives_identical_trace() {
        let (a, ca) = trace(11);
        let (b, cb) = trace(11);
        assert!(
            a.len() > 100,
            "trace too short to mean anything: {}",
            a.len()
        );
        assert_eq!(a, b);
        assert_eq!(ca, cb);
        // Invariant: scheduled = processed + cancelled + pending.
        assert_eq!(ca.scheduled, ca.processed + ca.cancelled + ca.pending);
        let (c, _) = trace(12);
        assert_ne!(a, c);
    }

    /// Schedules one successor per event, forever.
    struct Forever;

    impl Model for Forever {
        type Event = ();
        fn handle(&mut self, _now: SimTime, _ev: (), ctx: &mut Context<'_, ()>) {
            ctx.schedule_after(SimDuration::from_nanos(1), ()).unwrap();
        }
    }

    #[test]
    fn observer_can_interrupt_between_events() {
        let mut engine = Engine::new();
        engine.set_progress_interval(Duration::ZERO);
        engine.schedule_at(SimTime::ZERO, ()).unwrap();
        let mut reports = Vec::new();
        let mut observer = |r: &ProgressReport| {
            reports.push(*r);
            ControlFlow::Break(())
        };
        let s = engine.run_with(&mut Forever, Limits::default(), &mut observer);
        // The first check comes after CHECK_EVERY_EVENTS = 256 events; with
        // a zero interval it reports and is told to stop.
        assert_eq!(s.reason, StopReason::Interrupted);
        assert_eq!(s.processed_in_run, 256);
        // Events at 0, 1, …, 255 ns ran; the successor at 256 ns is pending.
        assert_eq!(s.now, t(255));
        assert_eq!(s.counters.pending, 1);
        // One report during the run, one final.
        assert_eq!(reports.len(), 2);
        assert!(!reports[0].finished && reports[1].finished);
        assert_eq!(reports[1].processed, 256);
    }

    #[test]
    fn observer_reports_are_rate_limited() {
        let mut engine = Engine::new();
        // An hour between reports: only the final report comes.
        engine.set_progress_interval(Duration::from_secs(3600));
        engine.schedule_at(SimTime::ZERO, ()).unwrap();
        let mut count = 0;
        let mut observer = |_: &ProgressReport| {
            count += 1;
            ControlFlow::Continue(())
        };
        let limits = Limits {
            horizon: None,
            max_events: Some(100_000),
        };
        let s = engine.run_with(&mut Forever, limits, &mut observer);
        assert_eq!(
            (s.reason, s.processed_in_run),
            (StopReason::EventLimit, 100_000)
        );
        assert_eq!(count, 1);
    }

    /// Schedules its successor 1 ns later, forever, and raises `flag` at
    /// event `raise_at`, as a Ctrl-C handler would from another thread.
    struct RaisesFlag {
        seen: u64,
        raise_at: u64,
        flag: Arc<AtomicBool>,
    }

    impl Model for RaisesFlag {
        type Event = ();
        fn handle(&mut self, _now: SimTime, _ev: (), ctx: &mut Context<'_, ()>) {
            self.seen += 1;
            if self.seen == self.raise_at {
                self.flag.store(true, Ordering::Relaxed);
            }
            ctx.schedule_after(SimDuration::from_nanos(1), ()).unwrap();
        }
    }

    #[test]
    fn the_stop_flag_stops_a_run_wherever_it_is() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut engine = Engine::new();
        engine.set_stop_flag(Some(flag.clone()));
        engine.schedule_at(t(0), ()).unwrap();
        let mut m = RaisesFlag {
            seen: 0,
            raise_at: 10_000,
            flag: flag.clone(),
        };
        // No horizon, no observer, a model that never stops: only the flag ends it,
        // at the first check after event 10 000, i.e. event 40·256 = 10 240.
        let s = engine.run_with(&mut m, Limits::default(), &mut NoProgress);
        assert_eq!(s.reason, StopReason::Interrupted);
        assert_eq!(s.processed_in_run, 40 * CHECK_EVERY_EVENTS);
        // Raised before a run starts: the run handles nothing.
        let s = engine.run_with(&mut m, Limits::default(), &mut NoProgress);
        assert_eq!((s.reason, s.processed_in_run), (StopReason::Interrupted, 0));
        // Lowered and cleared: the run goes on to its limit.
        flag.store(false, Ordering::Relaxed);
        engine.set_stop_flag(None);
        let s = engine.run_events(&mut m, 5);
        assert_eq!((s.reason, s.processed_in_run), (StopReason::EventLimit, 5));
    }
}
