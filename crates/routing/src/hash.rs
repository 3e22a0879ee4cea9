//! Stable hashing shared by the routers.

use mmesim_core::{InstanceStatus, ModelId};

/// SplitMix64's finaliser: a fixed, well-mixing bijection of `u64`.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rendezvous (highest-random-weight) score of `model` on instance `inst`:
/// the instance with the highest score among the candidates is the
/// model's home. Removing an instance only moves the models whose home it
/// was (Thaler & Ravishankar, 1998).
#[inline]
pub fn rendezvous(model: ModelId, inst: u32) -> u64 {
    mix64(mix64(model.0 as u64) ^ (inst as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// The accepting instance with the highest rendezvous score for `model`.
pub fn home(model: ModelId, instances: &[InstanceStatus]) -> Option<u32> {
    instances.iter().filter(|s| s.accepts()).max_by_key(|s| rendezvous(model, s.id.0)).map(|s| s.id.0)
}
