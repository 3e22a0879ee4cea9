//! Closed-loop clients: the users of a load test.
//!
//! Load testers (Locust, SageMaker Inference Recommender) drive an endpoint
//! with a fixed number of users; each sends a request, waits for its
//! response (or error), thinks, and sends the next. The request rate is an
//! outcome, not an input: by Little's law, N users with think time Z and
//! response time R send N / (R + Z) requests per second.
//!
//! [`ClosedClients`] implements the core's [`ClosedLoop`] for a scenario's
//! `arrival = { process = "closed", users, think_s, spawn_rate_per_s }`:
//! think times come from their own stream (`Stream::Think`), models from
//! the scenario's popularity (and drift), exactly as for open arrivals.
//!
//! ```
//! use mmesim_core::{ClosedLoop, Dist};
//! use mmesim_engine::{RngStreams, SimDuration, SimTime};
//! use mmesim_workload::{ArrivalProcess, ClosedClients, Popularity};
//!
//! let closed = ArrivalProcess::Closed {
//!     users: 10,
//!     think_s: Dist::Constant { value: 1.5 },
//!     spawn_rate_per_s: Some(2.0),
//!     client_processes: None,
//!     client_cpu_ms: 0.0,
//! };
//! let mut c = ClosedClients::new(&closed, &Popularity::Uniform, 5, &RngStreams::new(1)).unwrap();
//! assert_eq!(c.users(), 10);
//! // Spawned at 2 users a second: user 3 starts at 1.5 s.
//! assert_eq!(c.first_request(3), SimDuration::from_millis(1500));
//! assert_eq!(c.think(3), SimDuration::from_millis(1500));
//! assert!(c.pick(3, SimTime::ZERO).0 < 5);
//! ```

use crate::{ArrivalProcess, Drift, DriftMap, Error, ModelPicker, Popularity};
use mmesim_core::{ClientStation, ClosedLoop, ModelId, Sampler};
use mmesim_engine::{RngStreams, SimDuration, SimRng, SimTime, Stream};

/// The users of an [`ArrivalProcess::Closed`]: think times, first starts
/// and models (see the module docs).
#[derive(Clone, Debug)]
pub struct ClosedClients {
    users: u32,
    think: Sampler,
    spawn_rate_per_s: Option<f64>,
    station: Option<ClientStation>,
    /// Think times (and first starts without a spawn rate).
    rng: SimRng,
    picker: ModelPicker,
    drift: Option<DriftMap>,
}

impl ClosedClients {
    /// The users of a validated `closed` process over `n_models` models,
    /// drawing think times from the `Think` stream and models from the
    /// `Popularity` stream of `streams`; an error for an open process.
    ///
    /// # Panics
    /// With `BUG:` on parameters [`ArrivalProcess::validate`] rejects.
    pub fn new(
        arrival: &ArrivalProcess,
        popularity: &Popularity,
        n_models: u32,
        streams: &RngStreams,
    ) -> Result<Self, Error> {
        let ArrivalProcess::Closed { users, think_s, spawn_rate_per_s, client_processes, client_cpu_ms } = arrival
        else {
            return Err(Error::invalid("process", "closed-loop clients need `process = \"closed\"`"));
        };
        Ok(ClosedClients {
            users: *users,
            think: think_s.sampler(),
            spawn_rate_per_s: *spawn_rate_per_s,
            station: client_processes
                .map(|processes| ClientStation { processes, cpu: SimDuration::from_millis_f64(*client_cpu_ms) }),
            rng: streams.stream(Stream::Think),
            picker: ModelPicker::new(popularity, n_models, streams.stream(Stream::Popularity)),
            drift: None,
        })
    }

    /// Lets the ranking drift (validated `drift`), as
    /// [`Generated::with_drift`](crate::Generated::with_drift).
    pub fn with_drift(mut self, drift: &Drift, n_models: u32, streams: &RngStreams) -> Self {
        self.drift = Some(DriftMap::new(drift, n_models, streams.seed()));
        self
    }
}

impl ClosedLoop for ClosedClients {
    fn users(&self) -> u32 {
        self.users
    }

    /// With a spawn rate, `user / rate`; without, one think time.
    fn first_request(&mut self, user: u32) -> SimDuration {
        match self.spawn_rate_per_s {
            Some(rate) => SimDuration::from_secs_f64(user as f64 / rate),
            None => self.think(user),
        }
    }

    #[inline]
    fn think(&mut self, _user: u32) -> SimDuration {
        SimDuration::from_secs_f64(self.think.sample(&mut self.rng))
    }

    #[inline]
    fn pick(&mut self, _user: u32, now: SimTime) -> ModelId {
        let rank = self.picker.pick();
        match &mut self.drift {
            Some(d) => d.model(rank, now.as_nanos()),
            None => rank,
        }
    }

    fn client_station(&self) -> Option<ClientStation> {
        self.station
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArrivalClock, Generated};
    use mmesim_core::Dist;

    fn closed(users: u32, think_s: Dist, spawn: Option<f64>) -> ArrivalProcess {
        ArrivalProcess::Closed { users, think_s, spawn_rate_per_s: spawn, client_processes: None, client_cpu_ms: 0.0 }
    }

    #[test]
    fn validation_names_the_key() {
        let think = Dist::Uniform { min: 0.0, max: 2.0 };
        closed(300, think.clone(), Some(10.0)).validate().unwrap();
        let bad = |p: ArrivalProcess, key: &str| assert!(p.validate().unwrap_err().to_string().contains(key), "{p:?}");
        bad(closed(0, think.clone(), None), "users");
        bad(closed(1_000_001, think.clone(), None), "users");
        bad(closed(3, Dist::Constant { value: -1.0 }, None), "think_s");
        bad(closed(3, Dist::Exponential { mean: 1e12 }, None), "think_s");
        bad(closed(3, think.clone(), Some(0.0)), "spawn_rate_per_s");
        bad(closed(3, think, Some(f64::INFINITY)), "spawn_rate_per_s");
    }

    #[test]
    fn a_closed_loop_is_no_clock_and_open_processes_are_no_users() {
        let s = RngStreams::new(3);
        let p = closed(3, Dist::Constant { value: 1.0 }, None);
        assert!(ArrivalClock::try_new(&p, s.stream(Stream::Arrivals)).is_err());
        assert!(Generated::try_new(&p, &Popularity::Uniform, 4, &s).is_err());
        let open = ArrivalProcess::Poisson { rate_per_s: 1.0 };
        let e = ClosedClients::new(&open, &Popularity::Uniform, 4, &s).unwrap_err();
        assert!(e.to_string().contains("closed"), "{e}");
    }

    #[test]
    fn without_a_spawn_rate_users_start_after_one_think_time() {
        let s = RngStreams::new(3);
        let p = closed(1000, Dist::Uniform { min: 0.0, max: 2.0 }, None);
        let mut c = ClosedClients::new(&p, &Popularity::Zipf { alpha: 1.0 }, 4, &s).unwrap();
        let firsts: Vec<f64> = (0..1000).map(|u| c.first_request(u).as_secs_f64()).collect();
        assert!(firsts.iter().all(|&t| (0.0..=2.0).contains(&t)));
        let mean = firsts.iter().sum::<f64>() / 1000.0;
        assert!((mean - 1.0).abs() < 0.1, "{mean}");
        // The same seed, the same draws; the models come from the
        // popularity stream, untouched by the think times.
        let mut again = ClosedClients::new(&p, &Popularity::Zipf { alpha: 1.0 }, 4, &s).unwrap();
        assert_eq!(again.first_request(0).as_secs_f64(), firsts[0]);
        let mut picker = ModelPicker::new(&Popularity::Zipf { alpha: 1.0 }, 4, s.stream(Stream::Popularity));
        for _ in 0..50 {
            assert_eq!(c.pick(0, SimTime::ZERO), picker.pick());
        }
    }
}
