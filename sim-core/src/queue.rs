//! The pending-event set: a monotone priority queue of `(time, seq)` keys
//! (a radix heap) with lazy cancellation.
//!
//! Every event gets a sequence number `seq` when it is scheduled (0, 1, 2, …
//! per queue), and events leave the queue in ascending `(time, seq)` order,
//! so two events at the same instant leave in the order they were
//! scheduled, always.
//!
//! Cancellation is lazy: a cancelled event stays in the heap and is
//! discarded when it reaches the top. What makes this cheap is that
//! removals happen in strictly ascending key order (nothing can be scheduled
//! before the clock, and a new event's `seq` is larger than every earlier
//! one), so "has this key already left the queue?" is answered by comparing
//! it with the key of the last event that ran; only the cancelled keys that
//! have not yet been passed are kept in a hash map. When nothing has been
//! cancelled the hot path pays one integer test per pop.
//!
//! The pending events are a radix heap (see `Heap`) on `(time, seq)` packed
//! in one `u128`: events leave in strictly ascending key order and are never
//! scheduled before the last one that left, which is all a radix heap needs;
//! a push is an append, and memory is touched in sequence rather than at
//! random, which is what matters once half a million user arrivals are
//! pending. Keys are unique and totally ordered, so every correct priority
//! queue pops the same sequence: the choice changes speed, never a result.
//! Measured on the HOLD benchmark ([`crate::hold`]) against `std`'s
//! `BinaryHeap` (used here before) and a 4-ary heap (docs/REPRODUCTION.md);
//! earlier, `BinaryHeap` had been measured about 2.3× faster than the
//! `priority-queue` crate.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::time::{SimDuration, SimTime};

/// Why an event could not be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The requested instant is before the current simulated time.
    #[error("cannot schedule an event at {at}: it is before the current time {now}")]
    InPast {
        /// The requested instant.
        at: SimTime,
        /// The current simulated time.
        now: SimTime,
    },
    /// `now + delay` exceeds the largest representable instant.
    #[error("cannot schedule an event {delay} after {now}: the instant exceeds u64::MAX ns")]
    Overflow {
        /// The current simulated time.
        now: SimTime,
        /// The requested delay.
        delay: SimDuration,
    },
}

/// The handle of a scheduled event, returned when it is scheduled and used
/// to cancel it. It names its instant and its scheduling sequence number.
///
/// A key is only meaningful to the queue (or engine) that issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    time: SimTime,
    seq: u64,
}

impl EventKey {
    /// The instant the event is (or was) scheduled for.
    pub const fn time(self) -> SimTime {
        self.time
    }

    /// The event's scheduling sequence number: 0 for the first event
    /// scheduled on its queue, then 1, 2, …; it breaks ties in time.
    pub const fn seq(self) -> u64 {
        self.seq
    }
}

/// One heap entry: its `(time, seq)` key packed as `time · 2⁶⁴ + seq`
/// (ordered as the pair), and the event.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }

    #[inline]
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

/// The heap of a queue: a 4-ary heap while it is small, a radix heap once it
/// has held [`RADIX_AT`] entries (a one-way switch, O(n) once).
enum Heap<E> {
    Small(Dary<E>),
    Large(Radix<E>),
}

/// Entries at which a [`Heap`] turns from 4-ary into radix: 2¹⁶ entries of
/// 32 bytes (2 MB) no longer sit in a core's L2 cache, and a 4-ary heap's
/// pop then waits on memory at each of its lower levels.
const RADIX_AT: usize = 1 << 16;

impl<E> Heap<E> {
    fn with_capacity(capacity: usize) -> Self {
        if capacity >= RADIX_AT {
            Heap::Large(Radix::with_capacity(capacity))
        } else {
            Heap::Small(Dary::with_capacity(capacity))
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match self {
            Heap::Small(h) => h.len(),
            Heap::Large(h) => h.len(),
        }
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        match self {
            Heap::Small(h) if h.len() + 1 >= RADIX_AT => {
                let mut large = Radix::with_capacity(0);
                for e in h.slots.drain(..) {
                    large.push(e);
                }
                large.push(entry);
                *self = Heap::Large(large);
            }
            Heap::Small(h) => h.push(entry),
            Heap::Large(h) => h.push(entry),
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<&Entry<E>> {
        match self {
            Heap::Small(h) => h.peek(),
            Heap::Large(h) => h.peek(),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        match self {
            Heap::Small(h) => h.pop(),
            Heap::Large(h) => h.pop(),
        }
    }

    /// The smallest entry, without moving anything (debug checks only).
    fn min_entry(&self) -> Option<&Entry<E>> {
        match self {
            Heap::Small(h) => h.peek(),
            Heap::Large(h) => h.min_entry(),
        }
    }
}

/// A 4-ary min-heap of entries by key (keys unique).
struct Dary<E> {
    slots: Vec<Entry<E>>,
}

impl<E> Dary<E> {
    fn with_capacity(capacity: usize) -> Self {
        Dary {
            slots: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    fn peek(&self) -> Option<&Entry<E>> {
        self.slots.first()
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        let key = entry.key;
        let mut i = self.slots.len();
        self.slots.push(entry);
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.slots[parent].key < key {
                break;
            }
            self.slots.swap(i, parent);
            i = parent;
        }
    }

    /// Removes the smallest entry.
    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.slots.pop()?;
        if self.slots.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.slots[0], last);
        self.sift_down();
        Some(top)
    }

    /// Moves the entry at the root down to its place.
    #[inline]
    fn sift_down(&mut self) {
        let n = self.slots.len();
        let key = self.slots[0].key;
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let (mut m, mut mk) = (first, self.slots[first].key);
            if first + 3 < n {
                // A full group: branch-free choice of the smallest child.
                for c in first + 1..first + 4 {
                    let k = self.slots[c].key;
                    let less = k < mk;
                    m = if less { c } else { m };
                    mk = if less { k } else { mk };
                }
            } else {
                for c in first + 1..n {
                    let k = self.slots[c].key;
                    if k < mk {
                        (m, mk) = (c, k);
                    }
                }
            }
            if key < mk {
                break;
            }
            self.slots.swap(i, m);
            i = m;
        }
    }
}

/// A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan, "Faster algorithms for
/// the shortest path problem", J. ACM 37(2), 1990) on the 128-bit keys: a
/// monotone priority queue, which is what an event queue is (nothing is
/// scheduled before the last event popped). Bucket 0 holds the entry whose
/// key equals `last` (the smallest key, once found); bucket `i ≥ 1` the
/// entries whose key first differs from `last` at bit `i − 1` counting from
/// the bottom. A push appends to one bucket; a pop, when bucket 0 is empty,
/// takes the lowest non-empty bucket, makes its smallest key `last` and
/// spreads the bucket over lower ones. An entry only ever moves to lower
/// buckets, so each costs at most 128 moves over its life (in practice a
/// few), and every move is an append: memory is touched in sequence,
/// not at random as in a binary heap of half a million events.
struct Radix<E> {
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `i − 1` set iff bucket `i ≥ 1` is non-empty.
    occupied: u128,
    last: u128,
    len: usize,
}

impl<E> Radix<E> {
    fn with_capacity(capacity: usize) -> Self {
        let mut buckets: Vec<Vec<Entry<E>>> = (0..=128).map(|_| Vec::new()).collect();
        buckets[128].reserve(capacity);
        Radix {
            buckets,
            occupied: 0,
            last: 0,
            len: 0,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    /// The bucket of `key` relative to `last` (`key ≥ last`).
    #[inline]
    fn bucket(last: u128, key: u128) -> usize {
        128 - (key ^ last).leading_zeros() as usize
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        if entry.key < self.last {
            // Only after a peek found a later minimum that was then not
            // popped (a run stopping at a horizon), and an event is
            // scheduled before it: the new key is the smallest; re-spread
            // everything around it. Rare (once per stop), O(n).
            self.rebase(entry.key);
        }
        let b = Self::bucket(self.last, entry.key);
        self.buckets[b].push(entry);
        if b > 0 {
            self.occupied |= 1 << (b - 1);
        }
        self.len += 1;
    }

    /// Makes `key` (at most every key held) the new `last` and re-spreads.
    #[cold]
    fn rebase(&mut self, key: u128) {
        let all: Vec<Entry<E>> = self.buckets.iter_mut().flat_map(|b| b.drain(..)).collect();
        self.last = key;
        self.occupied = 0;
        self.len = 0;
        for e in all {
            self.push(e);
        }
    }

    /// Brings the smallest entry into bucket 0; `false` if the heap is empty.
    #[inline]
    fn settle(&mut self) -> bool {
        if !self.buckets[0].is_empty() {
            return true;
        }
        if self.occupied == 0 {
            return false;
        }
        let i = self.occupied.trailing_zeros() as usize + 1;
        self.occupied &= !(1 << (i - 1));
        let mut spill = std::mem::take(&mut self.buckets[i]);
        let last = spill.iter().map(|e| e.key).min().unwrap_or(self.last);
        self.last = last;
        for e in spill.drain(..) {
            // Every key of bucket i agrees with the new `last` above bit
            // i − 1, so it lands in a bucket below i.
            let b = Self::bucket(last, e.key);
            self.buckets[b].push(e);
            if b > 0 {
                self.occupied |= 1 << (b - 1);
            }
        }
        self.buckets[i] = spill; // keeps its allocation
        true
    }

    /// The smallest entry (found, hence `&mut`).
    #[inline]
    fn peek(&mut self) -> Option<&Entry<E>> {
        if self.settle() {
            self.buckets[0].last()
        } else {
            None
        }
    }

    /// The smallest entry, without moving anything (slow: debug checks only).
    fn min_entry(&self) -> Option<&Entry<E>> {
        self.buckets.iter().flatten().min_by_key(|e| e.key)
    }

    /// Removes the smallest entry.
    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        if !self.settle() {
            return None;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}

/// A hasher for sequence numbers and other small integer ids (distinct
/// `u64`s or `u32`s): a multiplicative (Fibonacci) hash, folded so both
/// halves carry entropy. Not DoS-resistant, which is irrelevant here: the
/// keys are our own counters and ids. Use it as
/// `HashMap<K, V, BuildHasherDefault<SeqHasher>>`.
#[derive(Default, Clone, Copy)]
pub struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64((self.0 << 8) | u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

/// The pending events of one simulation, in `(time, seq)` order, with the
/// clock they are relative to.
///
/// The queue owns the clock floor: nothing can be scheduled before
/// [`EventQueue::now`], which is the time of the last event popped (or a
/// later instant the engine advanced to), and never moves backwards.
pub struct EventQueue<E> {
    heap: Heap<E>,
    /// Current time, ns.
    now: u64,
    /// Sequence number the next scheduled event gets; also the count of
    /// events ever scheduled.
    next_seq: u64,
    /// `(time, seq)` of the last event popped to run; every key at or below
    /// it has left the heap, every key still in the heap is above it.
    last_ran: Option<(u64, u64)>,
    /// Cancelled keys (`seq → time`) above `last_ran`: those still in the
    /// heap, and those discarded ahead of the last event that ran.
    cancelled: HashMap<u64, u64, BuildHasherDefault<SeqHasher>>,
    /// How many of the heap's entries are cancelled.
    cancelled_in_heap: usize,
    /// Count of successful cancellations.
    cancelled_total: u64,
    /// `cancelled.len()` at which stale entries are next pruned.
    prune_at: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("now", &self.now())
            .field("pending", &self.len())
            .field("scheduled", &self.next_seq)
            .field("cancelled", &self.cancelled_total)
            .finish()
    }
}

const MIN_PRUNE_AT: usize = 64;

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue at time zero with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: Heap::with_capacity(capacity),
            now: 0,
            next_seq: 0,
            last_ran: None,
            cancelled: HashMap::default(),
            cancelled_in_heap: 0,
            cancelled_total: 0,
            prune_at: MIN_PRUNE_AT,
        }
    }

    /// The current simulated time: the instant of the last event popped,
    /// or the instant the clock was advanced to, whichever is later.
    pub fn now(&self) -> SimTime {
        SimTime::from_nanos(self.now)
    }

    /// Number of pending events (scheduled, not yet popped, not cancelled).
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled_in_heap
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of events ever scheduled on this queue.
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }

    /// Number of events cancelled (each counted once, and only if it was
    /// still pending when cancelled).
    pub fn cancelled(&self) -> u64 {
        self.cancelled_total
    }

    /// Schedules `event` at the absolute instant `at`.
    ///
    /// # Errors
    /// [`ScheduleError::InPast`] if `at` is before [`EventQueue::now`].
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventKey, ScheduleError> {
        let time = at.as_nanos();
        if time < self.now {
            return Err(ScheduleError::InPast {
                at,
                now: self.now(),
            });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: (u128::from(time) << 64) | u128::from(seq),
            event,
        });
        Ok(EventKey { time: at, seq })
    }

    /// Schedules `event` at `now + delay` (`delay` may be zero: the event
    /// then runs at the current instant, after those already scheduled for
    /// it).
    ///
    /// # Errors
    /// [`ScheduleError::Overflow`] if `now + delay` exceeds `u64::MAX` ns.
    #[inline]
    pub fn schedule_after(
        &mut self,
        delay: SimDuration,
        event: E,
    ) -> Result<EventKey, ScheduleError> {
        let now = self.now();
        let at = now
            .checked_add(delay)
            .ok_or(ScheduleError::Overflow { now, delay })?;
        self.schedule_at(at, event)
    }

    /// Whether the event named by `key` is still pending (neither run nor
    /// cancelled).
    pub fn is_pending(&self, key: EventKey) -> bool {
        let k = (key.time.as_nanos(), key.seq);
        key.seq < self.next_seq
            && self.last_ran.is_none_or(|last| k > last)
            && !self.cancelled.contains_key(&key.seq)
    }

    /// Cancels the event named by `key`: it will never run. Returns `true`
    /// if it was pending, `false` if it had already run or been cancelled
    /// (cancelling twice is harmless).
    pub fn cancel(&mut self, key: EventKey) -> bool {
        if !self.is_pending(key) {
            return false;
        }
        if self.cancelled.len() >= self.prune_at {
            self.prune_cancelled();
        }
        self.cancelled.insert(key.seq, key.time.as_nanos());
        self.cancelled_in_heap += 1;
        self.cancelled_total += 1;
        true
    }

    /// Drops cancelled keys at or below the last event that ran: the
    /// `last_ran` comparison already answers for them.
    fn prune_cancelled(&mut self) {
        if let Some(last) = self.last_ran {
            self.cancelled.retain(|&seq, &mut time| (time, seq) > last);
        }
        self.prune_at = (2 * self.cancelled.len()).max(MIN_PRUNE_AT);
    }

    /// The instant of the next pending event, if any. Discards cancelled
    /// events at the top of the heap (hence `&mut self`); never moves the
    /// clock.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let top = self.heap.peek()?;
            if self.cancelled_in_heap != 0 && self.cancelled.contains_key(&top.seq()) {
                self.heap.pop();
                self.cancelled_in_heap -= 1;
                continue;
            }
            return Some(SimTime::from_nanos(top.time()));
        }
    }

    /// Removes and returns the next pending event with its key, moving the
    /// clock to its instant; `None` if no event is pending.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventKey, E)> {
        self.pop_at_or_before(SimTime::MAX)
    }

    /// Like [`EventQueue::pop`], but only if the next pending event is at
    /// or before `limit`; otherwise leaves it (and the clock) in place and
    /// returns `None`.
    #[inline]
    pub fn pop_at_or_before(&mut self, limit: SimTime) -> Option<(EventKey, E)> {
        let limit = limit.as_nanos();
        loop {
            if self.heap.peek()?.time() > limit {
                return None;
            }
            let entry = self.heap.pop()?;
            let (time, seq, event) = (entry.time(), entry.seq(), entry.event);
            if self.cancelled_in_heap != 0 && self.cancelled.contains_key(&seq) {
                // Discarded ahead; the map keeps it until it is pruned.
                self.cancelled_in_heap -= 1;
                continue;
            }
            self.now = time;
            self.last_ran = Some((time, seq));
            let key = EventKey {
                time: SimTime::from_nanos(time),
                seq,
            };
            return Some((key, event));
        }
    }

    /// Moves the clock forward to `t` (no-op if `t` is not later than now).
    ///
    /// The caller guarantees no pending event is before `t` (the engine
    /// calls this at a horizon once every event up to it has run).
    pub(crate) fn advance_to(&mut self, t: SimTime) {
        debug_assert!(self
            .heap
            .min_entry()
            .is_none_or(|e| e.time() > t.as_nanos() || self.cancelled.contains_key(&e.seq())));
        self.now = self.now.max(t.as_nanos());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    fn t(ns: u64) -> SimTime {
        SimTime::from_nanos(ns)
    }

    #[test]
    fn pops_in_time_then_scheduling_order() {
        let mut q = EventQueue::new();
        // Scheduled (seq): 30ns 'a'(0), 10ns 'b'(1), 30ns 'c'(2), 10ns 'd'(3), 20ns 'e'(4).
        for (ns, c) in [(30, 'a'), (10, 'b'), (30, 'c'), (10, 'd'), (20, 'e')] {
            q.schedule_at(t(ns), c).unwrap();
        }
        // By time: 10 {b(1), d(3)}, 20 {e}, 30 {a(0), c(2)}; ties by seq.
        let order: Vec<(u64, char)> =
            std::iter::from_fn(|| q.pop().map(|(k, c)| (k.time().as_nanos(), c))).collect();
        assert_eq!(
            order,
            vec![(10, 'b'), (10, 'd'), (20, 'e'), (30, 'a'), (30, 'c')]
        );
    }

    #[test]
    fn many_ties_keep_scheduling_order() {
        let mut q = EventQueue::new();
        // 1000 events at the same instant, payload = scheduling index.
        for i in 0..1000u32 {
            q.schedule_at(t(5), i).unwrap();
        }
        let got: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn cancel_semantics() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(t(10), 'a').unwrap();
        let b = q.schedule_at(t(20), 'b').unwrap();
        let c = q.schedule_at(t(30), 'c').unwrap();
        assert_eq!(q.len(), 3);
        assert!(q.cancel(b));
        // Cancelling twice is harmless and not counted twice.
        assert!(!q.cancel(b));
        assert_eq!(q.cancelled(), 1);
        // 3 scheduled − 1 cancelled = 2 pending.
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop().map(|(_, e)| e), Some('a'));
        // Cancelling after it ran is harmless.
        assert!(!q.cancel(a));
        assert!(!q.is_pending(a));
        // b is skipped.
        assert_eq!(q.pop().map(|(_, e)| e), Some('c'));
        assert!(!q.cancel(c));
        assert!(!q.cancel(b));
        assert_eq!(q.pop().map(|(_, e)| e), None);
        assert_eq!(q.cancelled(), 1);
        assert_eq!(q.scheduled(), 3);
    }

    #[test]
    fn cancelled_event_discarded_ahead_of_the_clock_stays_cancelled() {
        let mut q = EventQueue::new();
        q.schedule_at(t(5), 0).unwrap();
        let late = q.schedule_at(t(10), 1).unwrap();
        q.schedule_at(t(100), 2).unwrap();
        assert_eq!(q.pop().map(|(_, e)| e), Some(0)); // now = 5
        assert!(q.cancel(late));
        // Stops before 100 but discards the cancelled entry at 10 first.
        assert_eq!(q.pop_at_or_before(t(50)).map(|(_, e)| e), None);
        assert_eq!(q.now(), t(5));
        // A new event at 7 (< 10, the discarded key's time) is pending and cancellable.
        let early = q.schedule_at(t(7), 3).unwrap();
        assert!(q.is_pending(early));
        assert!(!q.cancel(late));
        assert!(!q.is_pending(late));
        assert!(q.cancel(early));
        // Only events 2 remains: 4 scheduled − 2 cancelled − 1 ran = 1.
        assert_eq!(q.len(), 1);
        assert_eq!(q.cancelled(), 2);
    }

    #[test]
    fn past_and_overflow_are_errors() {
        let mut q = EventQueue::new();
        q.schedule_at(t(10), ()).unwrap();
        q.pop();
        assert_eq!(
            q.schedule_at(t(9), ()),
            Err(ScheduleError::InPast {
                at: t(9),
                now: t(10)
            })
        );
        // At exactly now is allowed.
        assert!(q.schedule_at(t(10), ()).is_ok());
        assert_eq!(
            q.schedule_after(SimDuration::MAX, ()),
            Err(ScheduleError::Overflow {
                now: t(10),
                delay: SimDuration::MAX
            })
        );
    }

    #[test]
    fn peek_time_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(t(1), ()).unwrap();
        q.schedule_at(t(2), ()).unwrap();
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(t(2)));
        assert_eq!(q.now(), SimTime::ZERO);
        assert!(!q.cancel(a));
    }

    #[test]
    fn pruning_keeps_answers_right() {
        let mut q = EventQueue::new();
        // Schedule 1000 events at times 0..999 and cancel the even ones
        // while popping: forces several prunes of the cancelled map.
        let keys: Vec<EventKey> = (0..1000).map(|i| q.schedule_at(t(i), i).unwrap()).collect();
        let mut ran = Vec::new();
        for pair in keys.chunks(2) {
            assert!(q.cancel(pair[0]));
            ran.push(q.pop().unwrap().1);
        }
        // Every odd time ran, in order: 1, 3, …, 999.
        assert_eq!(ran, (0..500).map(|i| 2 * i + 1).collect::<Vec<_>>());
        for k in &keys {
            assert!(!q.cancel(*k));
        }
        assert_eq!(q.cancelled(), 500);
        assert!(q.is_empty());
    }

    #[test]
    fn the_switch_to_the_radix_heap_keeps_the_order() {
        // RADIX_AT + 1000 events at pseudo-random instants (a 64-bit LCG,
        // Knuth's MMIX constants) with many ties, popped half-way, then more
        // scheduled from the clock on: the pops are the sorted keys.
        let mut q = EventQueue::new();
        let mut x = 1u64;
        let mut next = move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % 100_000
        };
        let mut expected = Vec::new();
        for _ in 0..RADIX_AT + 1000 {
            let k = q.schedule_at(t(next()), ()).unwrap();
            expected.push((k.time().as_nanos(), k.seq()));
        }
        assert!(matches!(q.heap, Heap::Large(_)));
        expected.sort_unstable();
        let mut got = Vec::new();
        for _ in 0..expected.len() / 2 {
            let (k, ()) = q.pop().unwrap();
            got.push((k.time().as_nanos(), k.seq()));
        }
        let now = q.now().as_nanos();
        let mut rest: Vec<(u64, u64)> = expected.split_off(got.len());
        for _ in 0..1000 {
            let k = q.schedule_at(t(now + next() / 10), ()).unwrap();
            rest.push((k.time().as_nanos(), k.seq()));
        }
        rest.sort_unstable();
        expected.extend(rest);
        while let Some((k, ())) = q.pop() {
            got.push((k.time().as_nanos(), k.seq()));
        }
        assert_eq!(got, expected);
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Schedule at now + delay (ns).
        Schedule(u64),
        /// Cancel the i-th key issued so far (mod count).
        Cancel(usize),
        /// Pop one event.
        Pop,
        /// Pop one event if it is at or before now + delay (ns); a refusal
        /// leaves the smallest key found but not taken, and later schedules
        /// may go before it.
        PopBefore(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..20).prop_map(Op::Schedule),
            2 => any::<usize>().prop_map(Op::Cancel),
            3 => Just(Op::Pop),
            2 => (0u64..10).prop_map(Op::PopBefore),
        ]
    }

    proptest! {
        #![proptest_config(Config {
            cases: 512,
            rng_seed: RngSeed::Fixed(0x5EED_C0DE),
            ..Config::default()
        })]

        /// Events leave in strictly ascending (time, seq) order, cancelled
        /// events never run, and the pending count matches a model.
        #[test]
        fn random_schedule_cancel_pop(
            ops in proptest::collection::vec(op(), 0..300),
            large in any::<bool>(),
        ) {
            // Both heaps: the 4-ary one, and the radix one (a queue made with
            // room for RADIX_AT events starts with it).
            let mut q = EventQueue::with_capacity(if large { RADIX_AT } else { 0 });
            let mut keys: Vec<EventKey> = Vec::new();
            // Reference model: seq → (time, state).
            let mut pending: std::collections::BTreeSet<(u64, u64)> = Default::default();
            let mut cancelled: std::collections::HashSet<u64> = Default::default();
            let mut last: Option<(u64, u64)> = None;
            let mut drain = false;
            for op in ops.iter().map(Some).chain(std::iter::repeat_n(None, 400)) {
                let op = match op { Some(o) => o.clone(), None => { drain = true; Op::Pop } };
                match op {
                    Op::Schedule(d) => {
                        let k = q.schedule_after(SimDuration::from_nanos(d), keys.len() as u64).unwrap();
                        prop_assert_eq!(k.seq(), keys.len() as u64);
                        pending.insert((k.time().as_nanos(), k.seq()));
                        keys.push(k);
                    }
                    Op::Cancel(i) if !keys.is_empty() => {
                        let k = keys[i % keys.len()];
                        let was = pending.remove(&(k.time().as_nanos(), k.seq()));
                        prop_assert_eq!(q.cancel(k), was);
                        if was { cancelled.insert(k.seq()); }
                    }
                    Op::Cancel(_) => {}
                    Op::PopBefore(d) => {
                        let limit = q.now().as_nanos() + d;
                        let expected = pending.first().copied().filter(|&(t, _)| t <= limit);
                        let got = q
                            .pop_at_or_before(t(limit))
                            .map(|(k, _)| (k.time().as_nanos(), k.seq()));
                        prop_assert_eq!(got, expected);
                        if let Some(g) = got {
                            pending.remove(&g);
                            prop_assert!(last.is_none_or(|l| g > l));
                            last = Some(g);
                        }
                    }
                    Op::Pop => {
                        let expected = pending.pop_first();
                        let got = q.pop().map(|(k, payload)| {
                            assert_eq!(payload, k.seq());
                            (k.time().as_nanos(), k.seq())
                        });
                        prop_assert_eq!(got, expected);
                        if let Some(g) = got {
                            prop_assert!(!cancelled.contains(&g.1));
                            prop_assert!(last.is_none_or(|l| g > l));
                            prop_assert_eq!(q.now().as_nanos(), g.0);
                            last = Some(g);
                        } else if drain {
                            break;
                        }
                    }
                }
                prop_assert_eq!(q.len(), pending.len());
            }
            prop_assert!(q.is_empty());
            prop_assert_eq!(q.cancelled(), cancelled.len() as u64);
        }
    }
}
