//! Popularity: which model each request is for.

use mmesim_core::ModelId;
use mmesim_engine::SimRng;
use rand::Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Distribution, Zipf};
use serde::{Deserialize, Serialize};

/// How requests spread over the models, as written in a scenario
/// (`popularity = { dist = "zipf", alpha = 0.8 }`).
///
/// Model `i` (0-based, in the order the models are generated or listed)
/// has popularity rank `i + 1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
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
    pub fn validate(&self) -> Result<(), String> {
        if let Popularity::Zipf { alpha } = *self {
            if !(alpha.is_finite() && alpha >= 0.0) {
                return Err(format!("`alpha` must be a non-negative number, got {alpha}"));
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
    Alias(WeightedAliasIndex<f64>),
    /// Rejection-inversion sampling (`rand_distr::Zipf`): O(1) expected,
    /// no table, for very large populations.
    Zipf(Zipf<f64>),
    Uniform(u32),
}

/// Largest population drawn through an alias table (16 MB of table).
const ALIAS_MAX: u32 = 1 << 20;

impl ModelPicker {
    /// A picker over `n ≥ 1` models.
    ///
    /// # Panics
    /// With `BUG:` if `n == 0` or the popularity is invalid.
    pub fn new(popularity: &Popularity, n: u32, rng: SimRng) -> Self {
        assert!(n > 0, "BUG: popularity over zero models");
        let kind = match *popularity {
            Popularity::Zipf { .. } if n <= ALIAS_MAX => PickerKind::Alias(
                WeightedAliasIndex::new(popularity.probabilities(n as usize))
                    .unwrap_or_else(|e| panic!("BUG: zipf weights over {n} models: {e}")),
            ),
            Popularity::Zipf { alpha } => PickerKind::Zipf(
                Zipf::new(n as f64, alpha).unwrap_or_else(|e| panic!("BUG: unvalidated zipf alpha {alpha}: {e}")),
            ),
            Popularity::Uniform => PickerKind::Uniform(n),
        };
        ModelPicker { kind, rng }
    }

    /// The next model.
    #[inline]
    pub fn pick(&mut self) -> ModelId {
        match &self.kind {
            PickerKind::Alias(a) => ModelId(a.sample(&mut self.rng) as u32),
            // Zipf samples ranks 1..=n as floats.
            PickerKind::Zipf(z) => ModelId(z.sample(&mut self.rng) as u32 - 1),
            PickerKind::Uniform(n) => ModelId(self.rng.random_range(0..*n)),
        }
    }
}
