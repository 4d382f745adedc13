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

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use sim_models::cost::CostModel;

/// Most entries a [`TimeMemo`] keeps before it starts afresh (bounds its memory
/// on huge queues; answers are recomputed, never wrong).
const MEMO_CAPACITY: usize = 1 << 16;

/// Words a [`MemoKey`] holds in place: `s'` and up to 7 `(n, count)` pairs
/// (and one spare word: 64 bytes).
const INLINE_WORDS: usize = 16;

/// A memo key `(s', (n, count)…)`: in place when it has at most
/// [`INLINE_WORDS`] words (zero beyond `len`, so that two keys compare as
/// whole arrays, without a call to `memcmp`), on the heap otherwise. Hashes
/// and compares as the `[u32]` it holds.
#[derive(Clone, Debug)]
enum MemoKey {
    Inline { len: u8, words: [u32; INLINE_WORDS] },
    Heap(Box<[u32]>),
}

impl MemoKey {
    /// Not a key of any question (every key holds `s'`).
    const NONE: MemoKey = MemoKey::Inline {
        len: 0,
        words: [0; INLINE_WORDS],
    };

    fn as_slice(&self) -> &[u32] {
        match self {
            MemoKey::Inline { len, words } => &words[..*len as usize],
            MemoKey::Heap(b) => b,
        }
    }
}

impl PartialEq for MemoKey {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (MemoKey::Inline { len: a, words: x }, MemoKey::Inline { len: b, words: y }) => {
                // Branch-free over the whole array (`==` on it calls `memcmp`).
                a == b && x.iter().zip(y).fold(0, |d, (u, v)| d | (u ^ v)) == 0
            }
            _ => self.as_slice() == o.as_slice(),
        }
    }
}

impl Eq for MemoKey {}

impl Hash for MemoKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Exactly `[u32]`'s hash, as `Borrow<[u32]>` requires.
        self.as_slice().hash(state);
    }
}

impl Borrow<[u32]> for MemoKey {
    fn borrow(&self) -> &[u32] {
        self.as_slice()
    }
}

/// The batch times a scheduler has asked one cost model for, by `(s', (n, count)…)`.
#[derive(Clone, Debug)]
pub(crate) struct TimeMemo {
    /// The model the answers are of, held so that its address stays its own.
    model: Option<Arc<dyn CostModel>>,
    map: HashMap<MemoKey, u64, BuildHasherDefault<WordHasher>>,
    /// A key too long to hold in place, being built.
    long: Vec<u32>,
    /// The last question and its answer: searches often ask it again at once
    /// (the sweep of `exact` at a new threshold), and a comparison is cheaper
    /// than a hash lookup.
    last: MemoKey,
    last_t: u64,
    levels: Vec<(u32, u64)>,
    /// Model evaluations (memo misses) since the last [`TimeMemo::start`].
    pub evaluations: u64,
}

impl Default for TimeMemo {
    fn default() -> Self {
        TimeMemo {
            model: None,
            map: HashMap::default(),
            long: Vec::new(),
            last: MemoKey::NONE,
            last_t: 0,
            levels: Vec::new(),
            evaluations: 0,
        }
    }
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
            self.map.clear();
            self.last = MemoKey::NONE;
            self.model = Some(cost.clone());
        }
        self.evaluations = 0;
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
        let key = self.key(s_pad, outputs, counts);
        if key == self.last {
            return self.last_t;
        }
        if self.map.len() >= MEMO_CAPACITY {
            self.map.clear();
        }
        // One hash and one probe, hit or miss.
        let t = match self.map.entry(key.clone()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.levels.clear();
                self.levels.extend(
                    key.as_slice()[1..]
                        .chunks_exact(2)
                        .map(|p| (p[0], p[1] as u64)),
                );
                let t = cost.batch_time_ns(s_pad, &self.levels);
                self.evaluations += 1;
                *e.insert(t)
            }
        };
        self.last = key;
        self.last_t = t;
        t
    }

    /// The key `(s', (n, count)…)` of a question, zero counts left out.
    fn key(&mut self, s_pad: u32, outputs: &[u32], counts: &[u32]) -> MemoKey {
        let mut words = [0u32; INLINE_WORDS];
        words[0] = s_pad;
        let mut len = 1;
        for (&n, &c) in outputs.iter().zip(counts) {
            if c > 0 {
                if len + 2 > INLINE_WORDS - 1 {
                    return self.long_key(s_pad, outputs, counts);
                }
                words[len] = n;
                words[len + 1] = c;
                len += 2;
            }
        }
        MemoKey::Inline {
            len: len as u8,
            words,
        }
    }

    #[cold]
    fn long_key(&mut self, s_pad: u32, outputs: &[u32], counts: &[u32]) -> MemoKey {
        self.long.clear();
        self.long.push(s_pad);
        for (&n, &c) in outputs.iter().zip(counts) {
            if c > 0 {
                self.long.push(n);
                self.long.push(c);
            }
        }
        MemoKey::Heap(self.long.as_slice().into())
    }
}

/// A multiply–rotate hash of whole words (the `FxHash` scheme of rustc): the
/// memo's keys are short lists of small integers, for which SipHash's
/// resistance to chosen keys buys nothing and costs most of a lookup.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WordHasher(u64);

impl WordHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
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

    #[test]
    fn shortest_fills_short_levels_first() {
        let mut out = vec![];
        assert!(shortest(&[2, 0, 5], 4, &mut out));
        assert_eq!(out, vec![2, 0, 2]);
        assert!(!shortest(&[1, 1], 3, &mut out));
    }
}
