//! Arrival processes: when requests come.

use mmesim_engine::{SimRng, SimTime};
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

/// An arrival process as written in a scenario
/// (`arrival = { process = "poisson", rate_per_s = 200.0 }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "process", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ArrivalProcess {
    /// A homogeneous Poisson process: exponential inter-arrival times.
    Poisson {
        /// Mean arrivals per second.
        rate_per_s: f64,
    },
}

impl Default for ArrivalProcess {
    fn default() -> Self {
        ArrivalProcess::Poisson { rate_per_s: 100.0 }
    }
}

impl ArrivalProcess {
    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            ArrivalProcess::Poisson { rate_per_s } => {
                if !(rate_per_s.is_finite() && rate_per_s > 0.0 && rate_per_s <= 1e9) {
                    return Err(format!("`rate_per_s` must be a positive number up to 1e9, got {rate_per_s}"));
                }
            }
        }
        Ok(())
    }

    /// The long-run mean rate, arrivals per second.
    pub fn mean_rate_per_s(&self) -> f64 {
        match *self {
            ArrivalProcess::Poisson { rate_per_s } => rate_per_s,
        }
    }
}

/// Generates arrival instants of an [`ArrivalProcess`] from its own stream.
#[derive(Clone, Debug)]
pub struct ArrivalClock {
    exp: Exp<f64>,
    rng: SimRng,
    t_ns: u64,
}

impl ArrivalClock {
    /// A clock for a validated process, starting at time zero.
    ///
    /// # Panics
    /// With `BUG:` on parameters [`ArrivalProcess::validate`] rejects.
    pub fn new(process: &ArrivalProcess, rng: SimRng) -> Self {
        let ArrivalProcess::Poisson { rate_per_s } = *process;
        let exp = Exp::new(rate_per_s).unwrap_or_else(|e| panic!("BUG: unvalidated arrival rate {rate_per_s}: {e}"));
        ArrivalClock { exp, rng, t_ns: 0 }
    }

    /// The next arrival instant.
    #[inline]
    pub fn next_time(&mut self) -> SimTime {
        let dt = self.exp.sample(&mut self.rng);
        self.t_ns = self.t_ns.saturating_add((dt * 1e9).round() as u64);
        SimTime::from_nanos(self.t_ns)
    }
}
