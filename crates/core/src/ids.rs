//! Dense integer ids and unit-carrying quantities.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! dense_id {
    ($(#[$m:meta])* $name:ident, $inner:ty) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as an index into dense per-entity arrays.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

dense_id!(
    /// A model, `0..models.len()`. Model `i` has popularity rank `i + 1`
    /// in generated workloads.
    ModelId,
    u32
);
dense_id!(
    /// An instance, `0..`: ids are never reused, a replacement or a
    /// scaled-out instance gets a new one.
    InstanceId,
    u32
);
dense_id!(
    /// An availability zone, `0..zones.len()`.
    ZoneId,
    u16
);

/// A number of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Bytes(pub u64);

impl Bytes {
    /// Zero bytes.
    pub const ZERO: Bytes = Bytes(0);

    /// From kibibytes (2^10), rounded to the nearest byte (halves away
    /// from zero; negative or NaN gives 0). The roundings are
    /// `mmesim_engine::round_to_u64`, exact and inline: a million-model
    /// population rounds three sizes per model.
    pub fn from_kib(kib: f64) -> Bytes {
        Bytes(mmesim_engine::round_to_u64(kib * 1024.0))
    }
    /// From mebibytes (2^20), rounded to the nearest byte.
    pub fn from_mib(mib: f64) -> Bytes {
        Bytes(mmesim_engine::round_to_u64(mib * 1048576.0))
    }
    /// From gibibytes (2^30), rounded to the nearest byte.
    pub fn from_gib(gib: f64) -> Bytes {
        Bytes(mmesim_engine::round_to_u64(gib * 1073741824.0))
    }
    /// As mebibytes.
    pub fn as_mib(self) -> f64 {
        self.0 as f64 / 1048576.0
    }
    /// As gibibytes.
    pub fn as_gib(self) -> f64 {
        self.0 as f64 / 1073741824.0
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1 << 30 {
            write!(f, "{:.2} GiB", self.as_gib())
        } else {
            write!(f, "{:.1} MiB", self.as_mib())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bytes;

    /// The inline rounding gives what `f64::round` did.
    #[test]
    fn byte_conversions_round_as_f64_round_did() {
        let old = |x: f64| x.round().max(0.0) as u64;
        let vals =
            [0.0, -0.0, -1.0, -0.4, 0.4, 0.5, 1.5, 2.5, 30.0, 29.999_999_9, 1e-9, 1e12, 1e300, f64::NAN, f64::INFINITY];
        for v in vals.into_iter().chain((0..2000).map(|i| i as f64 * 0.000_976_562_5 + 0.37)) {
            assert_eq!(Bytes::from_kib(v).0, old(v * 1024.0), "{v} KiB");
            assert_eq!(Bytes::from_mib(v).0, old(v * 1048576.0), "{v} MiB");
            assert_eq!(Bytes::from_gib(v).0, old(v * 1073741824.0), "{v} GiB");
        }
    }
}
