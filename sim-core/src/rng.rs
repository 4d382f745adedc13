//! Named random streams derived from one master seed.
//!
//! Every entity that draws random numbers owns its own generator, obtained
//! by name (`"users/arrivals"`, `"user/7"`). A stream's numbers depend only
//! on the master seed and its name, so adding a stream or an entity never
//! changes what another stream draws (as in ns-3 and OMNeT++).
//!
//! # Derivation (stable across Rust versions and platforms)
//!
//! The generator is [`ChaCha12Rng`] (the algorithm behind `rand`'s `StdRng`:
//! 12 rounds is ample statistically and faster than 20; we need no
//! cryptographic margin). For master seed `s` and name `n`:
//!
//! - **key** (32 bytes): four successive outputs of SplitMix64 started at
//!   state `s`, each written little-endian; the same for every stream of a
//!   run;
//! - **stream id** (ChaCha's 64-bit nonce): FNV-1a-64 of the UTF-8 bytes of
//!   `n` (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`);
//! - the generator starts at word 0 of that stream.
//!
//! ChaCha's streams under one key are independent keystreams, so distinct
//! names give unrelated numbers unless their 64-bit FNV hashes collide
//! (probability about `k²/2⁶⁵` for `k` names). Neither step uses
//! `std::hash::DefaultHasher`, whose output may change between Rust
//! releases.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// The generator type of every stream: ChaCha with 12 rounds.
pub type StreamRng = ChaCha12Rng;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a-64 of `bytes`: the stream id of a stream named by those bytes.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_extend(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a-64 hash `h` over more bytes.
const fn fnv1a64_extend(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// One SplitMix64 step (Steele, Lea & Flood 2014): advances `state` and
/// returns the next output.
const fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The factory of a run's random streams: holds the ChaCha key derived
/// from the master seed and hands out one generator per stream name.
#[derive(Debug, Clone)]
pub struct RngStreams {
    master_seed: u64,
    key: [u8; 32],
}

impl RngStreams {
    /// The streams of the run whose master seed is `master_seed`.
    pub fn new(master_seed: u64) -> RngStreams {
        let mut state = master_seed;
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        RngStreams { master_seed, key }
    }

    /// The run's master seed.
    pub fn master_seed(&self) -> u64 {
        self.master_seed
    }

    /// A fresh generator for the stream `name`, at its start. Calling this
    /// twice with the same name gives two generators that draw the same
    /// numbers.
    pub fn stream(&self, name: &str) -> StreamRng {
        self.stream_with_id(fnv1a64(name.as_bytes()))
    }

    /// The stream named `"{base}/{index}"` (decimal index), e.g.
    /// `stream_indexed("user", 7)` is `stream("user/7")`, without
    /// allocating the name.
    pub fn stream_indexed(&self, base: &str, index: u64) -> StreamRng {
        self.stream_with_id(indexed_stream_id(base, index))
    }

    /// A fresh generator for the stream whose id (ChaCha nonce) is `id`;
    /// [`RngStreams::stream`] uses `id = fnv1a64(name)`.
    pub fn stream_with_id(&self, id: u64) -> StreamRng {
        let mut rng = ChaCha12Rng::from_seed(self.key);
        rng.set_stream(id);
        rng
    }
}

/// The stream id of the name `"{base}/{index}"`.
pub fn indexed_stream_id(base: &str, index: u64) -> u64 {
    // u64::MAX has 20 decimal digits.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = index;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let h = fnv1a64_extend(fnv1a64(base.as_bytes()), b"/");
    fnv1a64_extend(h, &digits[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngExt};

    fn draws(mut rng: StreamRng, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn fnv1a64_reference_vectors() {
        // Published FNV-1a-64 test vectors (Fowler/Noll/Vo reference code):
        // "" → offset basis; "a" → 0xaf63dc4c8601ec8c; "foobar" → 0x85944171f73967e8.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn splitmix64_reference_value() {
        // SplitMix64 from state 0: first output 0xe220a8397b1dcdaf (the
        // reference implementation by Vigna, splitmix64.c).
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn indexed_names_match_formatted_names() {
        let streams = RngStreams::new(42);
        for i in [0u64, 7, 10, 1234567, u64::MAX] {
            assert_eq!(
                indexed_stream_id("user", i),
                fnv1a64(format!("user/{i}").as_bytes())
            );
            assert_eq!(
                draws(streams.stream_indexed("user", i), 8),
                draws(streams.stream(&format!("user/{i}")), 8)
            );
        }
    }

    #[test]
    fn same_seed_and_name_give_same_draws() {
        let a = RngStreams::new(7).stream("users/arrivals");
        let b = RngStreams::new(7).stream("users/arrivals");
        assert_eq!(draws(a, 100), draws(b, 100));
    }

    #[test]
    fn different_names_or_seeds_give_different_draws() {
        let s = RngStreams::new(7);
        let a = draws(s.stream("users/arrivals"), 16);
        assert_ne!(a, draws(s.stream("users/sizes"), 16));
        assert_ne!(a, draws(RngStreams::new(8).stream("users/arrivals"), 16));
        // Neighbouring indices differ too.
        assert_ne!(
            draws(s.stream_indexed("user", 1), 16),
            draws(s.stream_indexed("user", 2), 16)
        );
    }

    #[test]
    fn adding_a_stream_leaves_another_unchanged() {
        let streams = RngStreams::new(2024);
        // Run 1: one stream alone.
        let mut alone = streams.stream("channel");
        let solo: Vec<f64> = (0..50).map(|_| alone.random::<f64>()).collect();
        // Run 2: a new entity's stream is created first and drawn from in
        // between; "channel" must draw the same numbers.
        let streams = RngStreams::new(2024);
        let mut extra = streams.stream("user/51");
        let mut channel = streams.stream("channel");
        let mut mixed = Vec::new();
        for _ in 0..50 {
            let _ = extra.random::<u64>();
            mixed.push(channel.random::<f64>());
            let _ = extra.random_range(0..10u32);
        }
        assert_eq!(solo, mixed);
    }

    #[test]
    fn stream_id_is_the_chacha_nonce() {
        let s = RngStreams::new(1);
        // The nonce of "a" is FNV-1a-64("a") = 0xaf63dc4c8601ec8c.
        assert_eq!(s.stream("a").get_stream(), 0xaf63_dc4c_8601_ec8c);
    }
}
