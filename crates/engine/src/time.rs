//! Simulated time: integer nanoseconds.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
///
/// `SimTime` is a point; [`SimDuration`] is a span. `SimTime - SimTime`
/// gives a `SimDuration`, `SimTime + SimDuration` a `SimTime`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// Converts non-negative, finite seconds into nanoseconds, rounding to the
/// nearest nanosecond and saturating at `u64::MAX`. Negative or NaN input
/// gives 0: callers validate user input before it gets here.
fn secs_to_ns(secs: f64) -> u64 {
    round_to_u64(secs * NS_PER_S as f64)
}

/// `x.round() as u64`, exactly (halves away from zero; negative or NaN
/// gives 0, at least 2⁶⁴ saturates), without the call to the C library's
/// `round` that `f64::round` compiles to on baseline x86-64: the
/// simulation rounds a duration or two per request.
#[inline]
pub fn round_to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= u64::MAX as f64 {
        return u64::MAX;
    }
    // Truncation is exact; the fraction `x - t` is exact too (it is made
    // of `x`'s own low bits).
    let t = x as u64;
    t + (x - t as f64 >= 0.5) as u64
}

/// `x.ceil() as u64`, exactly (negative or NaN gives 0, at least 2⁶⁴
/// saturates), without a call to the C library's `ceil`.
#[inline]
pub fn ceil_to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= u64::MAX as f64 {
        return u64::MAX;
    }
    let t = x as u64;
    t + ((t as f64) < x) as u64
}

macro_rules! time_common {
    ($t:ident) => {
        impl $t {
            /// Zero.
            pub const ZERO: $t = $t(0);
            /// The largest representable value (about 584 years).
            pub const MAX: $t = $t(u64::MAX);

            /// From integer nanoseconds.
            #[inline]
            pub const fn from_nanos(ns: u64) -> Self {
                $t(ns)
            }
            /// From integer microseconds.
            #[inline]
            pub const fn from_micros(us: u64) -> Self {
                $t(us * NS_PER_US)
            }
            /// From integer milliseconds.
            #[inline]
            pub const fn from_millis(ms: u64) -> Self {
                $t(ms * NS_PER_MS)
            }
            /// From integer seconds.
            #[inline]
            pub const fn from_secs(s: u64) -> Self {
                $t(s * NS_PER_S)
            }
            /// From fractional seconds, rounded to the nearest nanosecond
            /// (negative or NaN gives zero, huge values saturate).
            #[inline]
            pub fn from_secs_f64(s: f64) -> Self {
                $t(secs_to_ns(s))
            }
            /// From fractional milliseconds, rounded to the nearest nanosecond.
            #[inline]
            pub fn from_millis_f64(ms: f64) -> Self {
                $t(secs_to_ns(ms / 1e3))
            }
            /// Whole nanoseconds.
            #[inline]
            pub const fn as_nanos(self) -> u64 {
                self.0
            }
            /// As fractional seconds.
            #[inline]
            pub fn as_secs_f64(self) -> f64 {
                self.0 as f64 / NS_PER_S as f64
            }
            /// As fractional milliseconds.
            #[inline]
            pub fn as_millis_f64(self) -> f64 {
                self.0 as f64 / NS_PER_MS as f64
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:.6}s", self.as_secs_f64())
            }
        }
    };
}

time_common!(SimTime);
time_common!(SimDuration);

impl SimTime {
    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    #[inline]
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// Which whole simulated minute this instant falls in (0-based).
    #[inline]
    pub const fn minute(self) -> u64 {
        self.0 / (60 * NS_PER_S)
    }
}

impl SimDuration {
    /// `self − other`, or zero if `other` is longer.
    #[inline]
    pub fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
    /// Saturating addition.
    #[inline]
    pub fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`] rather than overflowing.
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// The span between two instants.
    ///
    /// # Panics
    /// Panics with `BUG:` if `rhs` is later than `self`: time never goes
    /// backwards inside a simulation, so this is a broken invariant.
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        match self.0.checked_sub(rhs.0) {
            Some(d) => SimDuration(d),
            None => panic!("BUG: SimTime subtraction went negative ({self} - {rhs})"),
        }
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl AddAssign for SimDuration {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The inline roundings are exactly the library's, over every
        /// magnitude a duration in nanoseconds can have.
        #[test]
        fn inline_rounding_is_exact(mantissa in 0.0f64..1.0, exp in -3i32..70, neg in any::<bool>()) {
            let x = if neg { -1.0 } else { 1.0 } * mantissa * 2f64.powi(exp);
            prop_assert_eq!(round_to_u64(x), x.round() as u64);
            prop_assert_eq!(ceil_to_u64(x), x.ceil() as u64);
        }
    }

    #[test]
    fn inline_rounding_edges() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            4503599627370495.5,
            4503599627370497.0,
            9007199254740993.0,
            1e19,
            18446744073709549568.0,
            18446744073709551616.0,
            1e30,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -0.5,
            -1e-300,
            1e-300,
            f64::MIN_POSITIVE,
        ];
        for x in edges {
            assert_eq!(round_to_u64(x), x.round() as u64, "round {x}");
            assert_eq!(ceil_to_u64(x), x.ceil() as u64, "ceil {x}");
        }
    }

    #[test]
    fn conversions_round_trip() {
        assert_eq!(SimTime::from_secs(2).as_nanos(), 2_000_000_000);
        assert_eq!(SimTime::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(SimTime::from_micros(7).as_nanos(), 7_000);
        assert_eq!(SimDuration::from_secs_f64(1.5).as_nanos(), 1_500_000_000);
        assert_eq!(SimDuration::from_millis_f64(0.25).as_nanos(), 250_000);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
        assert_eq!(SimTime::from_secs(125).minute(), 2);
        assert!((SimTime::from_millis(1500).as_secs_f64() - 1.5).abs() < 1e-12);
    }

    #[test]
    fn arithmetic() {
        let t = SimTime::from_secs(1) + SimDuration::from_millis(500);
        assert_eq!(t, SimTime::from_millis(1500));
        assert_eq!(t - SimTime::from_secs(1), SimDuration::from_millis(500));
        assert_eq!(SimTime::from_secs(1).saturating_since(t), SimDuration::ZERO);
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
    }

    #[test]
    #[should_panic(expected = "BUG")]
    fn negative_span_is_a_bug() {
        let _ = SimTime::from_secs(1) - SimTime::from_secs(2);
    }
}
