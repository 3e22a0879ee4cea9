//! Probability distributions of durations and sizes, as written in a
//! scenario (`{ dist = "lognormal", median = 400.0, sigma = 0.8 }`).

use crate::ConfigError;
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};
use serde::{Deserialize, Serialize};

/// A distribution of non-negative values (milliseconds, mebibytes, …: the
/// unit is the field's, e.g. `service_ms`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "dist",
    rename_all = "lowercase",
    deny_unknown_fields,
    expecting = "a distribution such as { dist = \"lognormal\", median = 30.0, sigma = 1.0 }"
)]
pub enum Dist {
    /// Always `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean (= 1/rate).
        mean: f64,
    },
    /// Log-normal given by its median (= e^μ) and σ of the underlying normal.
    Lognormal {
        /// Median, e^μ.
        median: f64,
        /// Standard deviation of ln X.
        sigma: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Gamma given by shape k and mean (scale = mean / k).
    Gamma {
        /// Shape k > 0.
        shape: f64,
        /// Mean k·θ.
        mean: f64,
    },
}

impl Dist {
    /// Checks the parameters; the error names the offending key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let pos = |name: &str, v: f64| -> Result<(), ConfigError> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ConfigError::invalid(name, format!("`{name}` must be a positive number, got {v}")))
            }
        };
        let nonneg = |name: &str, v: f64| -> Result<(), ConfigError> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(ConfigError::invalid(name, format!("`{name}` must be a non-negative number, got {v}")))
            }
        };
        match *self {
            Dist::Constant { value } => nonneg("value", value),
            Dist::Exponential { mean } => pos("mean", mean),
            Dist::Lognormal { median, sigma } => {
                pos("median", median)?;
                nonneg("sigma", sigma)
            }
            Dist::Uniform { min, max } => {
                nonneg("min", min)?;
                nonneg("max", max)?;
                if min > max {
                    return Err(ConfigError::invalid("min", format!("`min` ({min}) must not exceed `max` ({max})")));
                }
                Ok(())
            }
            Dist::Gamma { shape, mean } => {
                pos("shape", shape)?;
                pos("mean", mean)
            }
        }?;
        // Each key in range can still make an unusable whole: a mean that
        // overflows (a lognormal's e^(σ²/2)), or parameters the sampler
        // refuses (a gamma's scale mean/shape rounding to 0 or ∞).
        let mean = self.mean();
        if !mean.is_finite() {
            let key = match self {
                Dist::Lognormal { .. } => "sigma",
                Dist::Uniform { .. } => "max",
                Dist::Gamma { .. } | Dist::Exponential { .. } => "mean",
                Dist::Constant { .. } => "value",
            };
            return Err(ConfigError::invalid(
                key,
                format!("`{key}` makes the mean infinite ({}); the mean must be a finite number", self.describe()),
            ));
        }
        self.try_sampler().map(|_| ())
    }

    /// The parameters as written, for messages
    /// (`dist = "gamma", shape = 1e300, mean = 1e-30`).
    fn describe(&self) -> String {
        match *self {
            Dist::Constant { value } => format!("dist = \"constant\", value = {value:e}"),
            Dist::Exponential { mean } => format!("dist = \"exponential\", mean = {mean:e}"),
            Dist::Lognormal { median, sigma } => {
                format!("dist = \"lognormal\", median = {median:e}, sigma = {sigma:e}")
            }
            Dist::Uniform { min, max } => format!("dist = \"uniform\", min = {min:e}, max = {max:e}"),
            Dist::Gamma { shape, mean } => format!("dist = \"gamma\", shape = {shape:e}, mean = {mean:e}"),
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean,
            Dist::Lognormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Gamma { mean, .. } => mean,
        }
    }

    /// A sampler ready to draw from; validate first.
    ///
    /// # Panics
    /// Panics with `BUG:` on parameters that [`validate`](Dist::validate)
    /// rejects.
    pub fn sampler(&self) -> Sampler {
        self.try_sampler().unwrap_or_else(|e| panic!("BUG: unvalidated distribution {self:?}: {e}"))
    }

    /// The sampler, or the sampler's refusal as an error naming the key
    /// (what [`validate`](Dist::validate) ends with, so that a validated
    /// distribution always has a sampler).
    pub fn try_sampler(&self) -> Result<Sampler, ConfigError> {
        let refused = |key: &str, e: &dyn std::fmt::Display| {
            ConfigError::invalid(key, format!("`{key}`: {} cannot be sampled: {e}", self.describe()))
        };
        Ok(match *self {
            Dist::Constant { value } => Sampler::Constant(value),
            Dist::Exponential { mean } => Sampler::Exp(Exp::new(1.0 / mean).map_err(|e| refused("mean", &e))?),
            Dist::Lognormal { median, sigma } => {
                Sampler::LogNormal(LogNormal::new(median.ln(), sigma).map_err(|e| refused("sigma", &e))?)
            }
            Dist::Uniform { min, max } => Sampler::Uniform(min, max - min),
            Dist::Gamma { shape, mean } => {
                let scale = mean / shape;
                if !(scale.is_normal() && scale > 0.0) {
                    let hint =
                        if scale < 1.0 { "raise `mean` or lower `shape`" } else { "lower `mean` or raise `shape`" };
                    return Err(ConfigError::invalid(
                        "mean",
                        format!(
                            "`mean`: {} has the scale `mean` / `shape` = {scale:e}, which cannot be sampled \
                             (it must be a normal floating-point number, about 2.2e-308 to 1.8e308): {hint}",
                            self.describe(),
                        ),
                    ));
                }
                Sampler::Gamma(Gamma::new(shape, scale).map_err(|e| refused("shape", &e))?)
            }
        })
    }
}

/// A [`Dist`] prepared for fast repeated sampling.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// A constant.
    Constant(f64),
    /// Exponential.
    Exp(Exp<f64>),
    /// Log-normal.
    LogNormal(LogNormal<f64>),
    /// Uniform: `(min, width)`.
    Uniform(f64, f64),
    /// Gamma.
    Gamma(Gamma<f64>),
}

impl Sampler {
    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Exp(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Uniform(min, w) => min + w * rng.random::<f64>(),
            Sampler::Gamma(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_engine::{RngStreams, Stream};

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let s = d.sampler();
        let mut rng = RngStreams::new(3).stream(Stream::Service);
        (0..n).map(|_| s.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_analytic_means() {
        for d in [
            Dist::Constant { value: 3.0 },
            Dist::Exponential { mean: 20.0 },
            Dist::Lognormal { median: 300.0, sigma: 0.6 },
            Dist::Uniform { min: 10.0, max: 30.0 },
            Dist::Gamma { shape: 2.0, mean: 50.0 },
        ] {
            let m = sample_mean(&d, 400_000);
            assert!((m - d.mean()).abs() / d.mean() < 0.01, "{d:?}: {m} vs {}", d.mean());
        }
        // lognormal mean = median · e^{σ²/2}
        assert!((Dist::Lognormal { median: 1.0, sigma: 1.0 }.mean() - 1.6487212707).abs() < 1e-9);
    }

    #[test]
    fn validation_names_the_key() {
        let field = |d: Dist| {
            let e = d.validate().unwrap_err();
            assert!(e.to_string().contains(&format!("`{}`", e.field().unwrap())), "{e}");
            e.field().unwrap().to_string()
        };
        assert_eq!(field(Dist::Exponential { mean: 0.0 }), "mean");
        assert_eq!(field(Dist::Lognormal { median: 1.0, sigma: -1.0 }), "sigma");
        assert_eq!(field(Dist::Uniform { min: 3.0, max: 1.0 }), "min");
        assert_eq!(field(Dist::Gamma { shape: f64::NAN, mean: 1.0 }), "shape");
        assert_eq!(
            Dist::Exponential { mean: -1.0 }.validate().unwrap_err().to_string(),
            "`mean` must be a positive number, got -1"
        );
        assert!(Dist::Constant { value: 0.0 }.validate().is_ok());
    }

    /// Keys each in range whose whole cannot be sampled are refused by
    /// `validate`, naming the key, instead of panicking in `sampler`.
    #[test]
    fn unsamplable_parameters_are_invalid_not_a_panic() {
        let e = Dist::Gamma { shape: 1e300, mean: 1e-30 }.validate().unwrap_err();
        assert_eq!(e.field(), Some("mean"));
        let msg = e.to_string();
        assert!(msg.starts_with("`mean`: dist = \"gamma\", shape = 1e300, mean = 1e-30"), "{msg}");
        assert!(msg.contains("scale `mean` / `shape` = 0e0") && msg.contains("raise `mean` or lower `shape`"), "{msg}");
        assert!(Dist::Gamma { shape: 1e300, mean: 1e-30 }.try_sampler().is_err());
        // A scale that overflows.
        let e = Dist::Gamma { shape: 1e-300, mean: 1e300 }.validate().unwrap_err();
        assert!(e.to_string().contains("lower `mean` or raise `shape`"), "{e}");
        // A subnormal scale is refused too.
        assert!(Dist::Gamma { shape: 1e10, mean: 1e-300 }.validate().is_err());
        // A lognormal whose mean overflows names sigma.
        let e = Dist::Lognormal { median: 1.0, sigma: 100.0 }.validate().unwrap_err();
        assert_eq!(e.field(), Some("sigma"));
        assert!(e.to_string().contains("mean infinite"), "{e}");
        // Extreme but samplable parameters still pass, and sample.
        for d in [Dist::Gamma { shape: 1e-3, mean: 1e-3 }, Dist::Gamma { shape: 1e6, mean: 1e6 }] {
            d.validate().unwrap();
            let mut rng = RngStreams::new(1).stream(Stream::Service);
            assert!(d.sampler().sample(&mut rng).is_finite());
        }
    }
}
