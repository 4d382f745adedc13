//! Simulated time: integer nanoseconds, never an accumulated `f64`.
//!
//! [`SimTime`] is an instant (nanoseconds since the start of the run) and
//! [`SimDuration`] a span (nanoseconds). Seconds given as `f64` (scenario
//! files, drawn delays) are converted once by rounding the exact value of
//! the `f64` to the nearest nanosecond, ties away from zero (MODEL.md,
//! "Units"). Negative, NaN and infinite seconds, and values beyond
//! `u64::MAX` ns (about 584.5 years), are errors, not wraps.
//!
//! The operators (`+`, `-`, `*`) panic on overflow or underflow, as
//! `std::time::Duration` does: that is a bug in the caller. Code that can
//! meet large values uses the `checked_*` methods instead.

use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub, SubAssign};

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Why a conversion to simulated time failed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum TimeError {
    /// The seconds value was NaN or infinite.
    #[error("time in seconds must be finite, got {secs}")]
    NotFinite {
        /// The offending value, in seconds.
        secs: f64,
    },
    /// The seconds value was below zero.
    #[error("time in seconds must not be negative, got {secs}")]
    Negative {
        /// The offending value, in seconds.
        secs: f64,
    },
    /// The seconds value rounds to more than `u64::MAX` nanoseconds.
    #[error(
        "time of {secs} s exceeds the largest representable time (u64::MAX ns, about 584.5 years)"
    )]
    Overflow {
        /// The offending value, in seconds.
        secs: f64,
    },
}

/// Converts seconds to nanoseconds, rounding the exact value of `secs` to
/// the nearest ns with ties away from zero.
///
/// Works on the binary representation (`secs = m · 2^e`, so
/// `secs · 10⁹ = m · 10⁹ · 2^e` with `m · 10⁹ < 2⁸³`), so no rounding
/// happens before the final one.
fn secs_to_nanos(secs: f64) -> Result<u64, TimeError> {
    if !secs.is_finite() {
        return Err(TimeError::NotFinite { secs });
    }
    if secs < 0.0 {
        return Err(TimeError::Negative { secs });
    }
    if secs == 0.0 {
        // Also covers -0.0, which compares equal to 0.0.
        return Ok(0);
    }
    let bits = secs.to_bits();
    let biased_exp = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if biased_exp == 0 {
        (fraction, -1074) // subnormal
    } else {
        (fraction | (1u64 << 52), biased_exp - 1075)
    };
    let scaled = u128::from(mantissa) * u128::from(NANOS_PER_SEC); // < 2^83
    if exp >= 0 {
        // Only normal numbers reach here: secs ≥ 2⁵² s, far beyond u64::MAX ns.
        return Err(TimeError::Overflow { secs });
    }
    let shift = exp.unsigned_abs();
    let nanos: u128 = if shift > 84 {
        // scaled < 2⁸³, so the value is below 1/2 ns.
        0
    } else {
        let quotient = scaled >> shift;
        let remainder = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if remainder >= half {
            quotient + 1
        } else {
            quotient
        }
    };
    u64::try_from(nanos).map_err(|_| TimeError::Overflow { secs })
}

/// Converts nanoseconds to seconds as `f64` (whole seconds and the
/// sub-second part converted separately, as `std::time::Duration` does).
fn nanos_to_secs(nanos: u64) -> f64 {
    (nanos / NANOS_PER_SEC) as f64 + (nanos % NANOS_PER_SEC) as f64 / NANOS_PER_SEC as f64
}

/// Writes `nanos` as seconds with nine decimals, e.g. `1.500000000 s`.
fn fmt_nanos(nanos: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
        f,
        "{}.{:09} s",
        nanos / NANOS_PER_SEC,
        nanos % NANOS_PER_SEC
    )
}

/// An instant of simulated time: nanoseconds since the start of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of the run, 0 ns.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable instant, `u64::MAX` ns.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `nanos` nanoseconds after the start of the run.
    pub const fn from_nanos(nanos: u64) -> SimTime {
        SimTime(nanos)
    }

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The instant `secs` seconds after the start, rounded to the nearest
    /// ns (ties away from zero).
    ///
    /// # Errors
    /// [`TimeError`] if `secs` is NaN, infinite, negative, or rounds to
    /// more than `u64::MAX` ns.
    pub fn from_secs_f64(secs: f64) -> Result<SimTime, TimeError> {
        secs_to_nanos(secs).map(SimTime)
    }

    /// Seconds since the start of the run (exact up to 2⁵³ ns ≈ 104 days,
    /// then to `f64` precision).
    pub fn as_secs_f64(self) -> f64 {
        nanos_to_secs(self.0)
    }

    /// `self + d`, or `None` if that exceeds [`SimTime::MAX`].
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(n) => Some(SimTime(n)),
            None => None,
        }
    }

    /// `self − d`, or `None` if that is before [`SimTime::ZERO`].
    pub const fn checked_sub(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_sub(d.0) {
            Some(n) => Some(SimTime(n)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn checked_duration_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// The empty span, 0 ns.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span, `u64::MAX` ns.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> SimDuration {
        SimDuration(nanos)
    }

    /// A span of `micros` microseconds.
    ///
    /// # Panics
    /// If the span exceeds `u64::MAX` ns.
    pub const fn from_micros(micros: u64) -> SimDuration {
        match micros.checked_mul(1_000) {
            Some(n) => SimDuration(n),
            None => panic!("SimDuration::from_micros overflows u64 nanoseconds"),
        }
    }

    /// A span of `millis` milliseconds.
    ///
    /// # Panics
    /// If the span exceeds `u64::MAX` ns.
    pub const fn from_millis(millis: u64) -> SimDuration {
        match millis.checked_mul(1_000_000) {
            Some(n) => SimDuration(n),
            None => panic!("SimDuration::from_millis overflows u64 nanoseconds"),
        }
    }

    /// A span of `secs` whole seconds.
    ///
    /// # Panics
    /// If the span exceeds `u64::MAX` ns.
    pub const fn from_secs(secs: u64) -> SimDuration {
        match secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => SimDuration(n),
            None => panic!("SimDuration::from_secs overflows u64 nanoseconds"),
        }
    }

    /// A span of `secs` seconds, rounded to the nearest ns (ties away from
    /// zero).
    ///
    /// # Errors
    /// [`TimeError`] if `secs` is NaN, infinite, negative, or rounds to
    /// more than `u64::MAX` ns.
    pub fn from_secs_f64(secs: f64) -> Result<SimDuration, TimeError> {
        secs_to_nanos(secs).map(SimDuration)
    }

    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The span in seconds (exact up to 2⁵³ ns, then to `f64` precision).
    pub fn as_secs_f64(self) -> f64 {
        nanos_to_secs(self.0)
    }

    /// Whether the span is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }

    /// `self − other`, or `None` if `other` is longer.
    pub const fn checked_sub(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_sub(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }

    /// `self · k`, or `None` on overflow.
    pub const fn checked_mul(self, k: u64) -> Option<SimDuration> {
        match self.0.checked_mul(k) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }

    /// `self − other`, or zero if `other` is longer.
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for SimTime {
    /// Seconds since the start with nine decimals, e.g. `1.500000000 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_nanos(self.0, f)
    }
}

impl fmt::Display for SimDuration {
    /// Seconds with nine decimals, e.g. `0.000000250 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_nanos(self.0, f)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// # Panics
    /// On overflow past [`SimTime::MAX`].
    fn add(self, d: SimDuration) -> SimTime {
        self.checked_add(d)
            .expect("overflow when adding a SimDuration to a SimTime")
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = SimTime;
    /// # Panics
    /// If the result would be before [`SimTime::ZERO`].
    fn sub(self, d: SimDuration) -> SimTime {
        self.checked_sub(d)
            .expect("underflow when subtracting a SimDuration from a SimTime")
    }
}

impl SubAssign<SimDuration> for SimTime {
    fn sub_assign(&mut self, d: SimDuration) {
        *self = *self - d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// # Panics
    /// If `earlier` is after `self`.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.checked_duration_since(earlier)
            .expect("subtracting a later SimTime from an earlier one")
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    /// # Panics
    /// On overflow past [`SimDuration::MAX`].
    fn add(self, other: SimDuration) -> SimDuration {
        self.checked_add(other)
            .expect("overflow when adding SimDurations")
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, other: SimDuration) {
        *self = *self + other;
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    /// # Panics
    /// If `other` is longer than `self`.
    fn sub(self, other: SimDuration) -> SimDuration {
        self.checked_sub(other)
            .expect("underflow when subtracting SimDurations")
    }
}

impl SubAssign for SimDuration {
    fn sub_assign(&mut self, other: SimDuration) {
        *self = *self - other;
    }
}

impl Mul<u64> for SimDuration {
    type Output = SimDuration;
    /// # Panics
    /// On overflow past [`SimDuration::MAX`].
    fn mul(self, k: u64) -> SimDuration {
        self.checked_mul(k)
            .expect("overflow when multiplying a SimDuration")
    }
}

impl From<SimDuration> for std::time::Duration {
    /// The same span as a wall-clock `Duration` (exact).
    fn from(d: SimDuration) -> std::time::Duration {
        std::time::Duration::from_nanos(d.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_decimal_seconds() {
        // 1.5 s = 1 500 000 000 ns; 1.5 is exact in binary.
        assert_eq!(
            SimTime::from_secs_f64(1.5).unwrap().as_nanos(),
            1_500_000_000
        );
        // 0.25 s = 250 000 000 ns (exact in binary).
        assert_eq!(
            SimDuration::from_secs_f64(0.25).unwrap().as_nanos(),
            250_000_000
        );
        // 0.1 is 0.1000000000000000055511151231257827… in binary;
        // × 10⁹ = 100 000 000.0000000055… → 100 000 000 ns.
        assert_eq!(SimTime::from_secs_f64(0.1).unwrap().as_nanos(), 100_000_000);
        // 2 s = 2 000 000 000 ns.
        assert_eq!(
            SimDuration::from_secs_f64(2.0).unwrap(),
            SimDuration::from_secs(2)
        );
    }

    #[test]
    fn rounding_to_nearest_ns_with_exact_halves() {
        // 1/1024 s = 0.0009765625 s exactly (a power of two);
        // × 10⁹ = 976 562.5 ns, a true tie → away from zero → 976 563.
        assert_eq!(
            SimTime::from_secs_f64(1.0 / 1024.0).unwrap().as_nanos(),
            976_563
        );
        // 3/1024 s = 0.0029296875 s exactly; × 10⁹ = 2 929 687.5 → 2 929 688.
        assert_eq!(
            SimTime::from_secs_f64(3.0 / 1024.0).unwrap().as_nanos(),
            2_929_688
        );
        // 5/1024 s × 10⁹ = 4 882 812.5 → 4 882 813 (half-to-even would give …812).
        assert_eq!(
            SimTime::from_secs_f64(5.0 / 1024.0).unwrap().as_nanos(),
            4_882_813
        );
        // 2⁻³⁰ s × 10⁹ = 10⁹ / 1 073 741 824 = 0.9313… ns → 1 ns.
        assert_eq!(
            SimTime::from_secs_f64(2f64.powi(-30)).unwrap().as_nanos(),
            1
        );
        // 2⁻³¹ s × 10⁹ = 0.4656… ns → 0 ns.
        assert_eq!(
            SimTime::from_secs_f64(2f64.powi(-31)).unwrap().as_nanos(),
            0
        );
        // The smallest subnormal, 2⁻¹⁰⁷⁴ s, is far below 1/2 ns → 0.
        assert_eq!(
            SimTime::from_secs_f64(f64::from_bits(1))
                .unwrap()
                .as_nanos(),
            0
        );
        // 1e-9 is 1.00000000000000006228159145778e-9 in binary → 1 ns.
        assert_eq!(SimTime::from_secs_f64(1e-9).unwrap().as_nanos(), 1);
        // 1.4e-9 → 1.4 ns → 1; 1.6e-9 → 1.6 ns → 2.
        assert_eq!(SimTime::from_secs_f64(1.4e-9).unwrap().as_nanos(), 1);
        assert_eq!(SimTime::from_secs_f64(1.6e-9).unwrap().as_nanos(), 2);
    }

    #[test]
    fn negative_nan_and_infinite_seconds_are_errors() {
        assert_eq!(
            SimTime::from_secs_f64(-1e-12),
            Err(TimeError::Negative { secs: -1e-12 })
        );
        assert!(matches!(
            SimDuration::from_secs_f64(f64::NAN),
            Err(TimeError::NotFinite { .. })
        ));
        assert_eq!(
            SimTime::from_secs_f64(f64::INFINITY),
            Err(TimeError::NotFinite {
                secs: f64::INFINITY
            })
        );
        assert!(matches!(
            SimTime::from_secs_f64(f64::NEG_INFINITY),
            Err(TimeError::NotFinite { .. })
        ));
        // -0.0 == 0.0: it is zero, not negative.
        assert_eq!(SimTime::from_secs_f64(-0.0), Ok(SimTime::ZERO));
    }

    #[test]
    fn overflow_is_an_error() {
        // u64::MAX ns = 18 446 744 073.709 551 615 s.
        // 18 446 744 073 s = 18 446 744 073 000 000 000 ns ≤ u64::MAX: fits.
        assert_eq!(
            SimTime::from_secs_f64(18_446_744_073.0).unwrap().as_nanos(),
            18_446_744_073_000_000_000
        );
        // 18 446 744 074 s = 18 446 744 074 000 000 000 ns > u64::MAX.
        assert_eq!(
            SimTime::from_secs_f64(18_446_744_074.0),
            Err(TimeError::Overflow {
                secs: 18_446_744_074.0
            })
        );
        assert!(matches!(
            SimDuration::from_secs_f64(1e300),
            Err(TimeError::Overflow { .. })
        ));
        assert_eq!(SimTime::MAX.checked_add(SimDuration::from_nanos(1)), None);
        assert_eq!(SimTime::ZERO.checked_sub(SimDuration::from_nanos(1)), None);
        assert_eq!(SimDuration::MAX.checked_mul(2), None);
    }

    #[test]
    #[should_panic(expected = "overflow")]
    fn operator_overflow_panics_instead_of_wrapping() {
        let _ = SimTime::MAX + SimDuration::from_nanos(1);
    }

    #[test]
    fn arithmetic() {
        let t = SimTime::from_nanos(1_000);
        let d = SimDuration::from_nanos(250);
        // 1000 + 250 = 1250; 1000 − 250 = 750.
        assert_eq!((t + d).as_nanos(), 1_250);
        assert_eq!((t - d).as_nanos(), 750);
        // 1250 − 1000 = 250.
        assert_eq!((t + d) - t, d);
        // 250 · 4 = 1000.
        assert_eq!((d * 4).as_nanos(), 1_000);
        assert_eq!(t.checked_duration_since(t + d), None);
        assert_eq!(t.saturating_duration_since(t + d), SimDuration::ZERO);
        // 3 ms = 3 000 000 ns; 7 µs = 7 000 ns.
        assert_eq!(SimDuration::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(SimDuration::from_micros(7).as_nanos(), 7_000);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 4096,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7153),
            ..Default::default()
        })]

        /// Seconds read back to the same ns up to 2⁵⁰ ns (about 13 days): there
        /// an f64 second has an ulp of 2⁻³² s ≈ 0.23 ns, below the ½ ns that
        /// rounding tolerates.
        #[test]
        fn seconds_round_trip(ns in 0u64..(1u64 << 50)) {
            let t = SimTime::from_nanos(ns);
            proptest::prop_assert_eq!(SimTime::from_secs_f64(t.as_secs_f64()), Ok(t));
        }
    }

    #[test]
    fn seconds_and_display() {
        // 1 500 000 000 ns = 1.5 s.
        assert_eq!(SimTime::from_nanos(1_500_000_000).as_secs_f64(), 1.5);
        // 250 ns = 2.5e-7 s.
        assert_eq!(SimDuration::from_nanos(250).as_secs_f64(), 2.5e-7);
        assert_eq!(
            SimTime::from_nanos(1_500_000_000).to_string(),
            "1.500000000 s"
        );
        assert_eq!(SimDuration::from_nanos(250).to_string(), "0.000000250 s");
        // u64::MAX = 18 446 744 073 709 551 615.
        assert_eq!(SimTime::MAX.to_string(), "18446744073.709551615 s");
    }
}
