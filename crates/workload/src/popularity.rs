//! Popularity: which model each request is for.

use mmesim_core::ModelId;
use mmesim_engine::SimRng;
use rand::Rng;
use rand_distr::{Distribution, Zipf};
use serde::{Deserialize, Serialize};

use crate::alias::{AliasTable, Draw};
use crate::Error;

/// How requests spread over the models, as written in a scenario
/// (`popularity = { dist = "zipf", alpha = 0.8 }`).
///
/// Model `i` (0-based, in the order the models are generated or listed)
/// has popularity rank `i + 1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a popularity such as { dist = \"zipf\", alpha = 0.8 }"
)]
#[non_exhaustive]
pub enum Popularity {
    /// Zipf: P(rank k) ∝ k^−α.
    Zipf {
        /// Skew α ≥ 0 (0 = uniform).
        alpha: f64,
    },
    /// Every model equally likely.
    Uniform,
}

impl Default for Popularity {
    fn default() -> Self {
        Popularity::Zipf { alpha: 0.8 }
    }
}

impl Popularity {
    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), Error> {
        if let Popularity::Zipf { alpha } = *self {
            if !(alpha.is_finite() && alpha >= 0.0) {
                return Err(Error::invalid("alpha", format!("`alpha` must be a non-negative number, got {alpha}")));
            }
        }
        Ok(())
    }

    /// The probability of each of `n` models (sums to 1), for analytic
    /// comparisons such as Che's approximation.
    pub fn probabilities(&self, n: usize) -> Vec<f64> {
        let w: Vec<f64> = match *self {
            Popularity::Zipf { alpha } => (1..=n).map(|k| (k as f64).powf(-alpha)).collect(),
            Popularity::Uniform => vec![1.0; n],
        };
        let s: f64 = w.iter().sum();
        w.into_iter().map(|x| x / s).collect()
    }
}

/// Draws model ids from a [`Popularity`] over `n` models, from its own
/// stream.
#[derive(Clone, Debug)]
pub struct ModelPicker {
    kind: PickerKind,
    rng: SimRng,
}

#[derive(Clone, Debug)]
enum PickerKind {
    /// Walker's alias method over the exact probabilities: O(1) per draw
    /// with no transcendental function (populations up to `ALIAS_MAX`).
    Alias(AliasTable),
    /// The same over a table too large for the CPU's caches
    /// (`PREFETCH_FROM` models or more): the next `AHEAD` draws are taken
    /// in advance (same stream, same order) and their table entries
    /// prefetched; `next` is the oldest.
    AliasAhead {
        table: AliasTable,
        ahead: [Draw; AHEAD],
        next: usize,
    },
    /// Rejection-inversion sampling (`rand_distr::Zipf`): O(1) expected,
    /// no table, for very large populations.
    Zipf(Zipf<f64>),
    Uniform(u32),
}

/// Largest population drawn through an alias table (16 MB of table).
const ALIAS_MAX: u32 = 1 << 20;

/// Alias draws taken ahead of their use, so their table entries (with a
/// large population, misses to main memory) arrive before they are read:
/// a few arrivals, each some events apart, hide a miss many times over.
const AHEAD: usize = 4;

/// Populations from which the alias draws are taken ahead: a table of
/// 16 B per model, 256 KB and more, competes for a core's own caches
/// (about 1 MB) with the simulation's data (the 8,192-instance,
/// 30,000-model row of the scaling table in docs/PERFORMANCE.md is such a
/// case); below, drawing ahead would only cost instructions.
const PREFETCH_FROM: u32 = 1 << 14;

impl ModelPicker {
    /// A picker over `n ≥ 1` models.
    ///
    /// # Panics
    /// With `BUG:` if `n == 0` or the popularity is invalid.
    pub fn new(popularity: &Popularity, n: u32, rng: SimRng) -> Self {
        assert!(n > 0, "BUG: popularity over zero models");
        let mut rng = rng;
        let kind = match *popularity {
            Popularity::Zipf { alpha } if n <= ALIAS_MAX => {
                let table = AliasTable::zipf(alpha, n as usize)
                    .unwrap_or_else(|| panic!("BUG: zipf weights over {n} models refused by the alias table"));
                if n < PREFETCH_FROM {
                    PickerKind::Alias(table)
                } else {
                    let ahead = std::array::from_fn(|_| table.draw(&mut rng));
                    ahead.iter().for_each(|&d| table.prefetch(d));
                    PickerKind::AliasAhead { table, ahead, next: 0 }
                }
            }
            Popularity::Zipf { alpha } => PickerKind::Zipf(
                Zipf::new(n as f64, alpha).unwrap_or_else(|e| panic!("BUG: unvalidated zipf alpha {alpha}: {e}")),
            ),
            Popularity::Uniform => PickerKind::Uniform(n),
        };
        ModelPicker { kind, rng }
    }

    /// The next model. Always inlined: it is the open workload's hot path
    /// (`Generated::next_arrival`), which also `ClosedClients` calls.
    #[inline(always)]
    pub fn pick(&mut self) -> ModelId {
        match &mut self.kind {
            PickerKind::Alias(table) => ModelId(table.resolve(table.draw(&mut self.rng))),
            PickerKind::AliasAhead { table, ahead, next } => {
                let d = ahead[*next];
                let later = table.draw(&mut self.rng);
                table.prefetch(later);
                ahead[*next] = later;
                *next = (*next + 1) % AHEAD;
                ModelId(table.resolve(d))
            }
            // Zipf samples ranks 1..=n as floats.
            PickerKind::Zipf(z) => ModelId(z.sample(&mut self.rng) as u32 - 1),
            PickerKind::Uniform(n) => ModelId(self.rng.random_range(0..*n)),
        }
    }
}

/// The most popularity ranks a `reshuffle` drift may redraw per simulated
/// second (`models / every_s`): a reshuffle draws a whole new permutation
/// of the models, so a short period over many models would cost work
/// without bound (10 million models every nanosecond). At this bound the
/// shuffles cost about as much as a million arrivals per simulated second;
/// 10 million models may reshuffle every 10 s, 20 models every 20 µs.
pub const MAX_RESHUFFLED_RANKS_PER_S: f64 = 1e6;

/// Popularity that drifts: which model holds which popularity rank changes
/// every `every_s` seconds (`[workload] drift = { kind = "rotate", every_s
/// = 3600, by = 10 }`).
///
/// ```text
/// rotate:     in period k = floor(t / every_s), rank r is model (r + k·by) mod N
/// reshuffle:  in period k, rank r is model perm_k[r], perm_k a uniformly
///             random permutation drawn from (seed, k) alone
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a drift such as { kind = \"rotate\", every_s = 3600.0, by = 10 }"
)]
#[non_exhaustive]
pub enum Drift {
    /// Shift the ranking by `by` models every period: the hot set moves on
    /// to models that were cold.
    Rotate {
        /// Period, seconds.
        every_s: f64,
        /// Models to shift by per period.
        by: u32,
    },
    /// Draw a new random ranking every period.
    Reshuffle {
        /// Period, seconds.
        every_s: f64,
    },
}

impl Drift {
    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), Error> {
        let every = match self {
            Drift::Rotate { every_s, .. } | Drift::Reshuffle { every_s } => *every_s,
        };
        if !(every.is_finite() && every > 0.0 && every <= 1e9) {
            return Err(Error::invalid(
                "every_s",
                format!("`every_s` must be a positive number of seconds, got {every}"),
            ));
        }
        Ok(())
    }

    /// [`validate`](Drift::validate), and that a `reshuffle` over
    /// `n_models` models stays within [`MAX_RESHUFFLED_RANKS_PER_S`]: each
    /// period redraws all `n_models` ranks, so `every_s` must be at least
    /// `n_models / MAX_RESHUFFLED_RANKS_PER_S` seconds.
    pub fn validate_for(&self, n_models: u64) -> Result<(), Error> {
        self.validate()?;
        if let Drift::Reshuffle { every_s } = *self {
            let min = n_models as f64 / MAX_RESHUFFLED_RANKS_PER_S;
            if every_s < min {
                return Err(Error::invalid(
                    "every_s",
                    format!(
                        "`every_s` must be at least {min} s for {n_models} models: each reshuffle redraws every \
                         model's rank, and at most {MAX_RESHUFFLED_RANKS_PER_S:e} ranks are redrawn per simulated \
                         second; got {every_s}"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn every_ns(&self) -> u64 {
        let every = match self {
            Drift::Rotate { every_s, .. } | Drift::Reshuffle { every_s } => *every_s,
        };
        ((every * 1e9).round() as u64).max(1)
    }
}

/// Maps popularity ranks to models as a [`Drift`] says, period by period.
#[derive(Clone, Debug)]
pub struct DriftMap {
    drift: Drift,
    every_ns: u64,
    n: u32,
    period: u64,
    perm: Vec<u32>,
    seed: u64,
}

impl DriftMap {
    /// A map over `n` models; reshuffles draw from `(seed, period)`.
    pub fn new(drift: &Drift, n: u32, seed: u64) -> Self {
        let mut m =
            DriftMap { drift: drift.clone(), every_ns: drift.every_ns(), n, period: u64::MAX, perm: Vec::new(), seed };
        m.enter(0);
        m
    }

    fn enter(&mut self, period: u64) {
        self.period = period;
        if let Drift::Reshuffle { .. } = self.drift {
            use rand::seq::SliceRandom;
            let mut rng =
                mmesim_engine::RngStreams::new(self.seed).substream(mmesim_engine::Stream::Custom(0xD71F), period);
            self.perm = (0..self.n).collect();
            self.perm.shuffle(&mut rng);
        }
    }

    /// The model holding popularity rank `rank` (0-based) at `time_ns`.
    #[inline]
    pub fn model(&mut self, rank: ModelId, time_ns: u64) -> ModelId {
        let period = time_ns / self.every_ns;
        if period != self.period {
            self.enter(period);
        }
        match self.drift {
            Drift::Rotate { by, .. } => {
                let shift = (period % self.n as u64) * (by as u64 % self.n as u64) % self.n as u64;
                ModelId(((rank.0 as u64 + shift) % self.n as u64) as u32)
            }
            Drift::Reshuffle { .. } => ModelId(self.perm[rank.index()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_engine::{RngStreams, Stream};
    use rand_distr::weighted::WeightedAliasIndex;

    /// Drawn ahead (large populations) or not, the picker gives exactly
    /// the models `rand_distr`'s alias sampler gives on the same stream.
    #[test]
    fn picks_match_rand_distr_with_and_without_drawing_ahead() {
        for n in [1, 7, 1000, PREFETCH_FROM - 1, PREFETCH_FROM, 300_000] {
            let pop = Popularity::Zipf { alpha: 0.9 };
            let streams = RngStreams::new(11);
            let mut picker = ModelPicker::new(&pop, n, streams.stream(Stream::Popularity));
            assert_eq!(matches!(picker.kind, PickerKind::AliasAhead { .. }), n >= PREFETCH_FROM, "n = {n}");
            let reference = WeightedAliasIndex::new(pop.probabilities(n as usize)).expect("valid weights");
            let mut rng = streams.stream(Stream::Popularity);
            for k in 0..20_000 {
                assert_eq!(picker.pick().0, reference.sample(&mut rng) as u32, "n = {n}, draw {k}");
            }
        }
    }
}
