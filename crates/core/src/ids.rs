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

    /// From kibibytes (2^10), rounded to the nearest byte.
    pub fn from_kib(kib: f64) -> Bytes {
        Bytes((kib * 1024.0).round().max(0.0) as u64)
    }
    /// From mebibytes (2^20), rounded to the nearest byte.
    pub fn from_mib(mib: f64) -> Bytes {
        Bytes((mib * 1048576.0).round().max(0.0) as u64)
    }
    /// From gibibytes (2^30), rounded to the nearest byte.
    pub fn from_gib(gib: f64) -> Bytes {
        Bytes((gib * 1073741824.0).round().max(0.0) as u64)
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
