//! Batch times for the schedulers under any cost model (MODEL.md §5, §11):
//! the general path beside the FLOP fast path.
//!
//! Every scheduler asks one question of time: does a batch padded to `s'`,
//! with so many requests per output level, finish within a limit (the compute
//! slot (1g), or the smallest budget minus `T_U + T_D` (1d))? Under the
//! paper's model ([`sim_models::cost::CostModel::flops`]) the searches answer it
//! by summing integer FLOPs against a FLOP limit (their fast path). Under any
//! other model they ask the model itself, `CostModel::batch_time_ns(s', levels)`,
//! the very figure `sim_models::feasibility` judges with, so the answer is exact
//! to the ns. Two properties of that time carry the searches' structure over
//! (docs/model.md §7): it depends only on `s'` and the count per output level,
//! and it does not decrease when a request is added or moved to a longer level
//! (nor, for a fixed set, when `s'` grows).
//!
//! Searches ask for the same count vector many times (sibling trees share
//! their cheapest completions; the sweep of `exact` tests the same shortest-`k`
//! vector at many thresholds), so [`TimeMemo`] keeps every answer keyed by
//! `(s', (n, count)…)`: a repeated question costs a hash lookup instead of a
//! model evaluation, whatever the model's own cost. A scheduler keeps its memo
//! from epoch to epoch while the instance's cost model is the same object (the
//! base station hands every epoch the same one), so a run evaluates each
//! count vector once, not once per epoch.

use std::sync::Arc;

use sim_models::cost::CostModel;

/// Most entries a [`TimeMemo`] keeps before it starts afresh (bounds its memory
/// on huge queues; answers are recomputed, never wrong).
const MEMO_CAPACITY: usize = 1 << 16;

/// Most key words a [`TimeMemo`] keeps before it starts afresh (64 MiB).
const WORDS_CAPACITY: usize = 1 << 24;

/// One answer of a [`TimeMemo`]: its key `(s', (n, count)…)` is
/// `words[start .. start + len]`, `hash` that key's hash.
#[derive(Clone, Copy, Debug)]
struct MemoEntry {
    hash: u64,
    start: u32,
    len: u32,
    t: u64,
}

/// The batch times a scheduler has asked one cost model for, by `(s', (n, count)…)`:
/// an open-addressing hash table over an arena of keys. A question is hashed
/// and compared straight from its `(outputs, counts)`, without building its
/// key (which a search under a non-FLOP model asks for every new vector, and
/// which cost as much as a model evaluation when built, copied and compared
/// through a `HashMap`); the key is written only when the answer is new.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimeMemo {
    /// The model the answers are of, held so that its address stays its own.
    model: Option<Arc<dyn CostModel>>,
    /// Linear-probing slots, a power of two long (or empty): 0 = free, else
    /// the low 32 bits of the entry's hash above 1 + its index in `entries`
    /// (most probes that are not the key are told apart without reading the
    /// entry); at most half are used.
    slots: Vec<u64>,
    entries: Vec<MemoEntry>,
    /// The keys of `entries`, one after another.
    words: Vec<u32>,
    /// The entry of the last question: searches often ask it again at once
    /// (the sweep of `exact` at a new threshold).
    last: Option<usize>,
    levels: Vec<(u32, u64)>,
    /// Model evaluations (memo misses) since the last [`TimeMemo::start`].
    pub evaluations: u64,
}

impl TimeMemo {
    /// Starts a call on an instance whose cost model is `cost`: keeps the
    /// answers if they are of this very model object, else forgets them.
    /// (Holding the `Arc` keeps the object alive, so an equal address is the
    /// same object, never a new one allocated where an old one was.)
    pub fn start(&mut self, cost: &Arc<dyn CostModel>) {
        let same = self
            .model
            .as_ref()
            .is_some_and(|m| std::ptr::addr_eq(Arc::as_ptr(m), Arc::as_ptr(cost)));
        if !same {
            self.clear();
            self.model = Some(cost.clone());
        }
        self.evaluations = 0;
    }

    /// Forgets every answer (keeps the allocations).
    fn clear(&mut self) {
        self.slots.fill(0);
        self.entries.clear();
        self.words.clear();
        self.last = None;
    }

    /// `t_batch` in ns of a batch padded to `s_pad` holding `counts[l]` requests
    /// of output length `outputs[l]` (`outputs` distinct; zero counts ignored),
    /// from `cost` — `cost.batch_time_ns(s_pad, levels)`, asked once per vector.
    pub fn time(
        &mut self,
        cost: &dyn CostModel,
        s_pad: u32,
        outputs: &[u32],
        counts: &[u32],
    ) -> u64 {
        debug_assert_eq!(outputs.len(), counts.len());
        let mut h = WordHasher::default();
        h.add(s_pad as u64);
        for (&n, &c) in outputs.iter().zip(counts) {
            if c > 0 {
                h.add((n as u64) << 32 | c as u64);
            }
        }
        let hash = h.0;
        if let Some(e) = self.last.map(|i| self.entries[i]) {
            if e.hash == hash && self.is_key(&e, s_pad, outputs, counts) {
                return e.t;
            }
        }
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = slot_of(hash, mask);
            loop {
                let slot = self.slots[i];
                if slot == 0 {
                    break;
                }
                if slot >> 32 == hash & 0xffff_ffff {
                    let index = (slot & 0xffff_ffff) as usize - 1;
                    let e = self.entries[index];
                    if e.hash == hash && self.is_key(&e, s_pad, outputs, counts) {
                        self.last = Some(index);
                        return e.t;
                    }
                }
                i = (i + 1) & mask;
            }
        }
        // A new vector: evaluate, then remember it.
        self.levels.clear();
        self.levels.extend(
            outputs
                .iter()
                .zip(counts)
                .filter(|p| *p.1 > 0)
                .map(|(&n, &c)| (n, c as u64)),
        );
        let t = cost.batch_time_ns(s_pad, &self.levels);
        self.evaluations += 1;
        if self.entries.len() >= MEMO_CAPACITY || self.words.len() >= WORDS_CAPACITY {
            self.clear();
        }
        let start = self.words.len() as u32;
        self.words.push(s_pad);
        for &(n, c) in &self.levels {
            self.words.push(n);
            self.words.push(c as u32);
        }
        self.entries.push(MemoEntry {
            hash,
            start,
            len: self.words.len() as u32 - start,
            t,
        });
        let index = self.entries.len() - 1;
        if 2 * self.entries.len() > self.slots.len() {
            self.grow();
        } else {
            self.place(hash, index);
        }
        self.last = Some(index);
        t
    }

    /// Whether entry `e`'s key is `(s_pad, (n, c)…)` for the nonzero `counts`.
    #[inline]
    fn is_key(&self, e: &MemoEntry, s_pad: u32, outputs: &[u32], counts: &[u32]) -> bool {
        let key = &self.words[e.start as usize..(e.start + e.len) as usize];
        if key[0] != s_pad {
            return false;
        }
        let mut rest = key[1..].chunks_exact(2);
        for (&n, &c) in outputs.iter().zip(counts) {
            if c > 0 {
                match rest.next() {
                    Some(p) if p[0] == n && p[1] == c => {}
                    _ => return false,
                }
            }
        }
        rest.next().is_none()
    }

    /// Puts entry `index` (hash `hash`) in the first free slot of its probe sequence.
    fn place(&mut self, hash: u64, index: usize) {
        let mask = self.slots.len() - 1;
        let mut i = slot_of(hash, mask);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (hash & 0xffff_ffff) << 32 | (index as u64 + 1);
    }

    /// Doubles the slots (at least 64) and places every entry again.
    fn grow(&mut self) {
        let len = (2 * self.slots.len()).max(64);
        self.slots.clear();
        self.slots.resize(len, 0);
        for index in 0..self.entries.len() {
            self.place(self.entries[index].hash, index);
        }
    }
}

/// The home slot of `hash` in a table of `mask + 1` slots: its high bits
/// (a multiplicative hash's best mixed).
#[inline]
fn slot_of(hash: u64, mask: usize) -> usize {
    (hash >> (64 - (mask + 1).trailing_zeros().max(1))) as usize & mask
}

/// A multiply–rotate hash of whole words (the `FxHash` scheme of rustc): the
/// memo's keys are short lists of small integers, for which SipHash's
/// resistance to chosen keys buys nothing.
#[derive(Clone, Copy, Debug, Default)]
struct WordHasher(u64);

impl WordHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

/// The counts of the `k` shortest-output requests of a pool holding
/// `avail[l]` requests of level `l` (levels shortest first), written to `out`;
/// `false` (and `out` partly written) if the pool holds fewer than `k`. By the
/// monotonicity of time (module docs) this is the cheapest `k`-subset of the pool.
pub(crate) fn shortest(avail: &[u32], k: u32, out: &mut Vec<u32>) -> bool {
    out.clear();
    let mut rem = k;
    for &a in avail {
        let t = a.min(rem);
        out.push(t);
        rem -= t;
    }
    rem == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_models::cost::level_counts;

    #[test]
    fn memo_answers_are_the_models() {
        let cost = crate::bench_support::toy_roofline(crate::bench_support::paper_flops(20));
        let mut memo = TimeMemo::default();
        let outs = [128u32, 256, 512];
        for (s, counts) in [
            (128u32, [1u32, 0, 2]),
            (512, [3, 3, 0]),
            (128, [1, 0, 2]),
            (256, [0, 0, 0]),
        ] {
            let direct = cost.batch_time_ns(
                s,
                &level_counts(
                    outs.iter()
                        .zip(counts)
                        .flat_map(|(&n, c)| std::iter::repeat_n(n, c as usize)),
                ),
            );
            assert_eq!(memo.time(&cost, s, &outs, &counts), direct);
        }
        // The repeated vector was not evaluated again.
        assert_eq!(memo.evaluations, 3);
    }

    /// Many distinct vectors (the table grows several times, keys of up to
    /// 12 levels), asked twice in another order: every answer is the model's,
    /// and the second round evaluates nothing.
    #[test]
    fn memo_grows_and_remembers_every_vector() {
        let cost = crate::bench_support::toy_roofline(crate::bench_support::paper_flops(20));
        let outs: Vec<u32> = (1..=12).map(|i| 40 * i).collect();
        let vector = |i: u32| -> (u32, Vec<u32>) {
            let counts = (0..12)
                .map(|l| (i * 7 + l * 3) % 5 * ((i >> l) & 1))
                .collect();
            (128 + 64 * (i % 3), counts)
        };
        let direct = |s: u32, counts: &[u32]| {
            let levels: Vec<(u32, u64)> = outs
                .iter()
                .zip(counts)
                .filter(|p| *p.1 > 0)
                .map(|(&n, &c)| (n, c as u64))
                .collect();
            cost.batch_time_ns(s, &levels)
        };
        let mut memo = TimeMemo::default();
        let mut distinct = std::collections::HashSet::new();
        for i in 0..1500 {
            let (s, counts) = vector(i);
            distinct.insert((s, counts.clone()));
            assert_eq!(memo.time(&cost, s, &outs, &counts), direct(s, &counts));
        }
        assert_eq!(memo.evaluations, distinct.len() as u64);
        for i in (0..1500).rev() {
            let (s, counts) = vector(i);
            assert_eq!(memo.time(&cost, s, &outs, &counts), direct(s, &counts));
        }
        assert_eq!(memo.evaluations, distinct.len() as u64);
    }

    #[test]
    fn shortest_fills_short_levels_first() {
        let mut out = vec![];
        assert!(shortest(&[2, 0, 5], 4, &mut out));
        assert_eq!(out, vec![2, 0, 2]);
        assert!(!shortest(&[1, 1], 3, &mut out));
    }
}
