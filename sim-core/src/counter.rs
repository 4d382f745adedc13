//! Counter-based random streams: numbers drawn by position, not in sequence.
//!
//! A [`CounterStreams`] family is a key; stream `i` of the family is the
//! sequence of 32-bit words `philox(key, [b₀, b₁, i, 0])[w]` for block
//! `b = 0, 1, 2, …` (`b₀`, `b₁` its low and high 32 bits) and word `w = 0 … 3`
//! of each block; word `4b + w` of the stream. Any word of any stream is
//! computed directly in one Philox call (a few ns), so a stream can be kept as
//! its index and word position (a `u64`) instead of a live generator, and a
//! number that belongs to `(stream, position)` — e.g. user `u`'s gain in epoch
//! `k` — is the same whichever other numbers were or were not drawn.
//!
//! The generator is Philox4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror,
//! D. E. Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11,
//! <https://doi.org/10.1145/2063384.2063405>; the Random123 library's
//! `philox4x32` with its default 10 rounds), which passes TestU01's BigCrush
//! on any counter pattern and is the counter-based generator of cuRAND,
//! JAX and NumPy (`numpy.random.Philox`). The constants and the
//! known-answer vectors of the tests are Random123's (`philox.h`,
//! `kat_vectors`).
//!
//! A family's key is the first 64-bit number of the [`RngStreams`] stream
//! of its name, so families of one run are independent of each other and
//! change with the master seed like every named stream.

use rand::TryRng;
use std::convert::Infallible;

use crate::rng::RngStreams;

const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;
const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds: the 128-bit block of counter `ctr` under `key`.
#[inline]
pub fn philox4x32_10(key: [u32; 2], ctr: [u32; 4]) -> [u32; 4] {
    let (mut k, mut c) = (key, ctr);
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c[0]);
        let p1 = u64::from(PHILOX_M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// A family of counter-based streams under one key (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterStreams {
    key: [u32; 2],
}

impl CounterStreams {
    /// The family named `name` in the run of `streams`: its key is the first
    /// 64-bit number of the named stream `name` (low word first).
    pub fn new(streams: &RngStreams, name: &str) -> CounterStreams {
        use rand::Rng;
        let k = streams.stream(name).next_u64();
        CounterStreams {
            key: [k as u32, (k >> 32) as u32],
        }
    }

    /// The block `block` (4 words) of stream `index`.
    #[inline]
    pub fn block(&self, index: u32, block: u64) -> [u32; 4] {
        philox4x32_10(self.key, [block as u32, (block >> 32) as u32, index, 0])
    }

    /// A generator on stream `index`, at word `word_pos` (words from its
    /// start), computing one block at a time: for a few draws from a position.
    #[inline]
    pub fn at(&self, index: u32, word_pos: u64) -> CounterRng {
        self.generator(index, word_pos, 1)
    }

    /// As [`CounterStreams::at`], computing [`BUFFERED_BLOCKS`] blocks at a
    /// time: for a generator kept to read a stream on and on. Same words.
    #[inline]
    pub fn at_buffered(&self, index: u32, word_pos: u64) -> CounterRng {
        self.generator(index, word_pos, BUFFERED_BLOCKS as u8)
    }

    #[inline]
    fn generator(&self, index: u32, word_pos: u64, blocks: u8) -> CounterRng {
        CounterRng {
            family: *self,
            index,
            blocks,
            buf_len: 0,
            pos: word_pos,
            buf_start: 0,
            buf: [0; BUFFERED_WORDS as usize],
        }
    }
}

/// Blocks a [`CounterRng`] computes at once ([`philox4x32_10_lanes`]).
pub const BUFFERED_BLOCKS: usize = 4;

/// Words a [`CounterRng`] holds: [`BUFFERED_BLOCKS`] blocks of 4.
const BUFFERED_WORDS: u64 = 4 * BUFFERED_BLOCKS as u64;

/// Philox4x32-10 on [`BUFFERED_BLOCKS`] counters at once, lane `l` the block
/// of `ctrs[l]`: the same numbers as [`philox4x32_10`] on each (a test checks
/// it), written lane by lane so that the compiler runs the lanes side by side
/// in vector registers (32×32→64-bit multiplies, `pmuludq`): four blocks cost
/// about what one costs in sequence.
#[inline]
pub fn philox4x32_10_lanes(
    key: [u32; 2],
    ctrs: [[u32; 4]; BUFFERED_BLOCKS],
) -> [[u32; 4]; BUFFERED_BLOCKS] {
    const L: usize = BUFFERED_BLOCKS;
    // Structure of arrays: word j of every lane.
    let mut c: [[u32; L]; 4] = [[0; L]; 4];
    for l in 0..L {
        for j in 0..4 {
            c[j][l] = ctrs[l][j];
        }
    }
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let mut n: [[u32; L]; 4] = [[0; L]; 4];
        for l in 0..L {
            let p0 = u64::from(PHILOX_M0) * u64::from(c[0][l]);
            let p1 = u64::from(PHILOX_M1) * u64::from(c[2][l]);
            n[0][l] = (p1 >> 32) as u32 ^ c[1][l] ^ k[0];
            n[1][l] = p1 as u32;
            n[2][l] = (p0 >> 32) as u32 ^ c[3][l] ^ k[1];
            n[3][l] = p0 as u32;
        }
        c = n;
    }
    let mut out = [[0u32; 4]; L];
    for l in 0..L {
        for j in 0..4 {
            out[l][j] = c[j][l];
        }
    }
    out
}

/// A generator reading one stream of a [`CounterStreams`] family from a word
/// position onwards: `next_u32` is the next word, `next_u64` the next two
/// (the first in the low half).
///
/// It computes one block ([`CounterStreams::at`]) or [`BUFFERED_BLOCKS`]
/// blocks ([`CounterStreams::at_buffered`]) at a time, from the block of the
/// first word it needs, and holds their words; which words it returns
/// depends only on the stream and the position (word `p` is word `p mod 4`
/// of block `⌊p/4⌋`, however the blocks were grouped).
#[derive(Clone, Debug)]
pub struct CounterRng {
    family: CounterStreams,
    index: u32,
    /// Blocks computed at a time: 1 or [`BUFFERED_BLOCKS`].
    blocks: u8,
    /// Words held in `buf` (0 before the first).
    buf_len: u8,
    pos: u64,
    // The first word position held in `buf` (a multiple of 4).
    buf_start: u64,
    buf: [u32; BUFFERED_WORDS as usize],
}

impl CounterRng {
    /// The position of the next word, in words from the stream's start.
    pub fn word_pos(&self) -> u64 {
        self.pos
    }

    #[inline]
    fn word(&mut self) -> u32 {
        let offset = self.pos.wrapping_sub(self.buf_start);
        let w = if offset < u64::from(self.buf_len) {
            self.buf[offset as usize]
        } else {
            self.refill();
            self.buf[(self.pos % 4) as usize]
        };
        self.pos = self.pos.wrapping_add(1);
        w
    }

    /// Computes the blocks from that of the next word onwards.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        let first = self.pos / 4;
        self.buf_start = first * 4;
        if self.blocks == 1 {
            let block = self.family.block(self.index, first);
            self.buf[..4].copy_from_slice(&block);
            self.buf_len = 4;
            return;
        }
        let ctrs: [[u32; 4]; BUFFERED_BLOCKS] = std::array::from_fn(|l| {
            // first < 2⁶², so no block number wraps.
            let b = first + l as u64;
            [b as u32, (b >> 32) as u32, self.index, 0]
        });
        let blocks = philox4x32_10_lanes(self.family.key, ctrs);
        for (l, block) in blocks.iter().enumerate() {
            self.buf[4 * l..4 * l + 4].copy_from_slice(block);
        }
        self.buf_len = BUFFERED_WORDS as u8;
    }
}

impl TryRng for CounterRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.word())
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = self.word();
        let hi = self.word();
        Ok(u64::from(lo) | (u64::from(hi) << 32))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn philox_known_answers() {
        // Random123 kat_vectors, "philox4x32 10": (counter, key) → output.
        assert_eq!(
            philox4x32_10([0, 0], [0, 0, 0, 0]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 2], [u32::MAX; 4]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32_10(
                [0xa409_3822, 0x299f_31d0],
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn a_positioned_generator_continues_the_sequential_one() {
        let f = CounterStreams::new(&RngStreams::new(3), "user/arrivals");
        let mut seq = f.at(7, 0);
        let words: Vec<u32> = (0..40).map(|_| seq.next_u32()).collect();
        for j in 0..40u64 {
            let mut g = f.at(7, j);
            let rest: Vec<u32> = (j..40).map(|_| g.next_u32()).collect();
            assert_eq!(rest, words[j as usize..], "from word {j}");
        }
        // next_u64 is two words, low first, at any alignment.
        let mut g = f.at(7, 3);
        assert_eq!(
            g.next_u64(),
            u64::from(words[3]) | (u64::from(words[4]) << 32)
        );
        assert_eq!(g.word_pos(), 5);
        let mut bytes = [0u8; 6];
        f.at(7, 1).fill_bytes(&mut bytes);
        assert_eq!(bytes[..4], words[1].to_le_bytes());
        assert_eq!(bytes[4..], words[2].to_le_bytes()[..2]);
    }

    #[test]
    fn lanes_compute_what_single_blocks_compute() {
        let f = CounterStreams::new(&RngStreams::new(5), "t");
        for first in [0u64, 1, 7, (1 << 32) - 2, u64::MAX / 4 - 3] {
            let ctrs: [[u32; 4]; BUFFERED_BLOCKS] = std::array::from_fn(|l| {
                let b = first + l as u64;
                [b as u32, (b >> 32) as u32, 9, 0]
            });
            let lanes = philox4x32_10_lanes(f.key, ctrs);
            for (l, lane) in lanes.iter().enumerate() {
                assert_eq!(*lane, f.block(9, first + l as u64), "block {first} + {l}");
            }
        }
        // Random123's known answers, each in a different lane.
        let out = philox4x32_10_lanes(
            [0xa409_3822, 0x299f_31d0],
            [[0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344]; BUFFERED_BLOCKS],
        );
        assert_eq!(out[3], [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]);
        // Words read one by one across many buffer refills, from any start,
        // are the words of the blocks (word p = word p mod 4 of block ⌊p/4⌋).
        for (start, buffered) in [0u64, 1, 3, 4, 15, 16, 17, 63]
            .into_iter()
            .flat_map(|s| [(s, false), (s, true)])
        {
            let mut g = if buffered {
                f.at_buffered(2, start)
            } else {
                f.at(2, start)
            };
            for p in start..start + 100 {
                assert_eq!(
                    g.next_u32(),
                    f.block(2, p / 4)[(p % 4) as usize],
                    "word {p}"
                );
            }
        }
    }

    #[test]
    fn streams_and_families_differ() {
        let s = RngStreams::new(3);
        let a = CounterStreams::new(&s, "user/arrivals");
        let b = CounterStreams::new(&s, "user/requests");
        assert_ne!(a, b);
        assert_ne!(a.block(0, 0), a.block(1, 0));
        assert_ne!(a.block(0, 0), b.block(0, 0));
        assert_ne!(a, CounterStreams::new(&RngStreams::new(4), "user/arrivals"));
    }

    #[test]
    fn words_are_uniform() {
        // 2¹⁸ words of stream 0 into 16 bins by their top 4 bits: expected
        // 16 384 each; χ² with 15 degrees of freedom stays below 37.7 (p = 0.001).
        let f = CounterStreams::new(&RngStreams::new(9), "t");
        let mut g = f.at(0, 0);
        let mut bins = [0u64; 16];
        for _ in 0..1 << 18 {
            bins[(g.next_u32() >> 28) as usize] += 1;
        }
        let e = (1u64 << 18) as f64 / 16.0;
        let chi2: f64 = bins.iter().map(|&o| (o as f64 - e).powi(2) / e).sum();
        assert!(chi2 < 37.7, "{chi2} {bins:?}");
    }
}
