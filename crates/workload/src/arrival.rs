//! Arrival processes: when requests come.
//!
//! ```text
//! poisson:  gaps ~ Exp(rate)
//! diurnal:  rate(t) = mean · (1 + a·cos(2π (t − peak_at) / period)),
//!           a = (r − 1) / (r + 1) for a peak/trough ratio r
//! table:    rate(t) linear between the given (time, rate) points, the last
//!           rate after the last point; optionally repeated every repeat_s
//! mmpp:     a Markov-modulated Poisson process: in state i, Poisson at
//!           rate_i for an Exp(mean_s_i) sojourn, then state i+1 (cyclic);
//!           two states [on, off] make bursts
//! closed:   not a clock: N users, each sending when its previous request
//!           ends plus a think time (see `closed.rs`, `ClosedClients`)
//! ```
//!
//! Time-varying rates are drawn by thinning (P. A. W. Lewis, G. S. Shedler,
//! "Simulation of nonhomogeneous Poisson processes by thinning", Naval
//! Research Logistics Quarterly 26(3), 1979): candidates come from a
//! Poisson process at a rate that bounds rate(t), and each is kept with
//! probability rate(t) / bound. `diurnal` bounds by its peak (at most twice
//! its mean). `table` bounds each segment between two points by the larger
//! of its two rates, and redraws at the segment's end (memoryless), so a
//! brief spike costs candidates only while it lasts: at most about twice
//! as many candidates as arrivals. The homogeneous Poisson process draws
//! exactly one gap per arrival and nothing else, so its stream of numbers is
//! the same as ever.
//!
//! Work per simulated second is bounded by the inputs: rates are at most
//! [`MAX_RATE`] per second, an `mmpp` state's mean sojourn is at least
//! [`MIN_MMPP_SOJOURN_S`] (at most 1,000 state switches per simulated
//! second on average), and a repeated table's period is at least
//! [`MIN_TABLE_REPEAT_S`] (at most one pass over its points per simulated
//! second).

use mmesim_core::Dist;
use mmesim_engine::{round_to_u64, SimRng, SimTime};
use rand::Rng;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

use crate::Error;

/// An arrival process as written in a scenario
/// (`arrival = { process = "poisson", rate_per_s = 200.0 }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "process",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "an arrival process such as { process = \"poisson\", rate_per_s = 100.0 }"
)]
#[non_exhaustive]
pub enum ArrivalProcess {
    /// A homogeneous Poisson process: exponential inter-arrival times.
    Poisson {
        /// Mean arrivals per second.
        rate_per_s: f64,
    },
    /// A Poisson process whose rate follows a daily sinusoid.
    Diurnal {
        /// The rate averaged over a period, arrivals per second.
        mean_rate_per_s: f64,
        /// Peak rate divided by trough rate (≥ 1; 1 = flat).
        peak_to_trough: f64,
        /// Length of a cycle, seconds (default 86,400: a day).
        #[serde(default = "d_day")]
        period_s: f64,
        /// When in the cycle the peak comes, seconds (default 50,400:
        /// 14:00 if the run starts at midnight).
        #[serde(default = "d_peak")]
        peak_at_s: f64,
    },
    /// A Poisson process whose rate is piecewise linear through a table of
    /// `[time_s, rate_per_s]` points.
    Table {
        /// Points, times strictly increasing from 0.
        points: Vec<[f64; 2]>,
        /// Repeat the table with this period, seconds (≥ the last point's
        /// time); absent = the last rate holds after the last point.
        #[serde(default)]
        repeat_s: Option<f64>,
    },
    /// A Markov-modulated Poisson process cycling through states
    /// `[rate_per_s, mean_sojourn_s]`; it starts in the first state.
    Mmpp {
        /// The states, in cycle order: `[rate_per_s, mean_sojourn_s]`.
        states: Vec<[f64; 2]>,
    },
    /// Closed-loop clients, as a load tester (Locust, SageMaker Inference
    /// Recommender) drives an endpoint: `users` users, each sending its
    /// next request when its previous one ends (completed, failed or
    /// rejected), after a think time. Their rate follows the endpoint's
    /// response times, so this is no clock: [`ClosedClients`](crate::ClosedClients)
    /// implements it, and [`ArrivalClock::try_new`] refuses it.
    Closed {
        /// How many users (1 to 1,000,000).
        users: u32,
        /// Think time between a request's end and the user's next request,
        /// seconds (Locust's `wait_time`).
        think_s: Dist,
        /// Users started per second, as Locust's spawn rate: user `u`
        /// sends its first request at `u / spawn_rate_per_s`. Absent: every
        /// user starts at once, each first waiting one think time (so they
        /// are not synchronised).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spawn_rate_per_s: Option<f64>,
        /// The load generator's processes (Locust's workers), when its own
        /// CPU is modelled: each request first takes `client_cpu_ms` on one
        /// of them (FIFO). Absent: requests go out when users wake.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_processes: Option<u32>,
        /// The client's CPU time per request (building and signing it), ms,
        /// with `client_processes`. Default 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        client_cpu_ms: f64,
    },
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// The most closed-loop users a scenario may have.
pub const MAX_USERS: u32 = 1_000_000;

fn d_day() -> f64 {
    86_400.0
}
fn d_peak() -> f64 {
    50_400.0
}

impl Default for ArrivalProcess {
    fn default() -> Self {
        ArrivalProcess::Poisson { rate_per_s: 100.0 }
    }
}

/// The highest arrival rate of any open process, per second (a
/// `rate_per_s`, a `diurnal` peak, a `table` point, an `mmpp` state).
pub const MAX_RATE: f64 = 1e9;

/// The shortest mean sojourn of an `mmpp` state, seconds: a state switch
/// costs draws whether or not a request arrives, so shorter sojourns would
/// make a run's work grow without any traffic (a sojourn of 1e-12 s never
/// advances the clock at all). 1 ms allows microbursts, and at most 1,000
/// switches per simulated second on average.
pub const MIN_MMPP_SOJOURN_S: f64 = 1e-3;

/// The shortest `repeat_s` of a `table`, seconds: each period the clock
/// passes every point of the table once, so a shorter period would cost
/// work per simulated second without bound. A second is finer than any
/// traffic shape a per-minute metric shows.
pub const MIN_TABLE_REPEAT_S: f64 = 1.0;

fn rate_ok(name: &'static str, v: f64, positive: bool) -> Result<(), Error> {
    let lower = if positive { v > 0.0 } else { v >= 0.0 };
    if v.is_finite() && lower && v <= MAX_RATE {
        Ok(())
    } else {
        let kind = if positive { "positive" } else { "non-negative" };
        Err(Error::invalid(name, format!("`{name}` must be a {kind} number up to 1e9, got {v}")))
    }
}

impl ArrivalProcess {
    /// Whether this is a closed loop (no arrival clock: see
    /// [`ArrivalProcess::Closed`]).
    pub fn is_closed(&self) -> bool {
        matches!(self, ArrivalProcess::Closed { .. })
    }

    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            ArrivalProcess::Closed { users, think_s, spawn_rate_per_s, client_processes, client_cpu_ms } => {
                if client_processes.is_some_and(|p| !(1..=100_000).contains(&p)) {
                    return Err(Error::invalid(
                        "client_processes",
                        "`client_processes` must be between 1 and 100,000 (absent: no client CPU modelled)",
                    ));
                }
                if !(client_cpu_ms.is_finite() && (0.0..=1e9).contains(client_cpu_ms)) {
                    return Err(Error::invalid(
                        "client_cpu_ms",
                        format!("`client_cpu_ms` must be a non-negative number of ms, got {client_cpu_ms}"),
                    ));
                }
                if *client_cpu_ms > 0.0 && client_processes.is_none() {
                    return Err(Error::invalid(
                        "client_cpu_ms",
                        "`client_cpu_ms` needs `client_processes` (the processes that spend it)",
                    ));
                }
                if !(1..=MAX_USERS).contains(users) {
                    return Err(Error::invalid(
                        "users",
                        format!("`users` must be between 1 and {MAX_USERS}, got {users}"),
                    ));
                }
                think_s.validate().map_err(|e| Error::invalid("think_s", format!("`think_s`: {e}")))?;
                if think_s.mean() > 1e9 {
                    return Err(Error::invalid(
                        "think_s",
                        "`think_s`: the mean think time must be at most 1e9 seconds",
                    ));
                }
                if let Some(r) = spawn_rate_per_s {
                    rate_ok("spawn_rate_per_s", *r, true)?;
                }
                Ok(())
            }
            ArrivalProcess::Poisson { rate_per_s } => rate_ok("rate_per_s", *rate_per_s, true),
            ArrivalProcess::Diurnal { mean_rate_per_s, peak_to_trough, period_s, peak_at_s } => {
                rate_ok("mean_rate_per_s", *mean_rate_per_s, true)?;
                if !(peak_to_trough.is_finite() && *peak_to_trough >= 1.0 && *peak_to_trough <= 1e6) {
                    return Err(Error::invalid(
                        "peak_to_trough",
                        format!("`peak_to_trough` must be at least 1, got {peak_to_trough}"),
                    ));
                }
                if !(period_s.is_finite() && *period_s > 0.0 && *period_s <= 1e9) {
                    return Err(Error::invalid(
                        "period_s",
                        format!("`period_s` must be a positive number of seconds, got {period_s}"),
                    ));
                }
                if !(peak_at_s.is_finite() && *peak_at_s >= 0.0) {
                    return Err(Error::invalid(
                        "peak_at_s",
                        format!("`peak_at_s` must be a non-negative number of seconds, got {peak_at_s}"),
                    ));
                }
                if self.peak_rate() > MAX_RATE {
                    return Err(Error::invalid("peak rate", "the peak rate must be at most 1e9 per second"));
                }
                Ok(())
            }
            ArrivalProcess::Mmpp { states } => {
                if states.is_empty() {
                    return Err(Error::invalid(
                        "states",
                        "`states` must hold at least one [rate_per_s, mean_sojourn_s] pair",
                    ));
                }
                for (i, st) in states.iter().enumerate() {
                    if !(st[0].is_finite() && st[0] >= 0.0 && st[0] <= MAX_RATE) {
                        return Err(Error::invalid(
                            format!("states[{i}]"),
                            format!("`states[{i}]`: rate must be between 0 and 1e9 per second, got {}", st[0]),
                        ));
                    }
                    if !(st[1].is_finite() && st[1] > 0.0 && st[1] <= 1e9) {
                        return Err(Error::invalid(
                            format!("states[{i}]"),
                            format!("`states[{i}]`: mean sojourn must be a positive number of seconds, got {}", st[1]),
                        ));
                    }
                    if st[1] < MIN_MMPP_SOJOURN_S {
                        return Err(Error::invalid(
                            format!("states[{i}]"),
                            format!(
                                "`states[{i}]`: mean sojourn must be at least {MIN_MMPP_SOJOURN_S} s (every state \
                                 switch costs work, arrivals or not), got {}",
                                st[1]
                            ),
                        ));
                    }
                }
                if states.iter().all(|st| st[0] == 0.0) {
                    return Err(Error::invalid("states", "`states`: at least one rate must be positive"));
                }
                Ok(())
            }
            ArrivalProcess::Table { points, repeat_s } => {
                if points.is_empty() {
                    return Err(Error::invalid("points", "`points` must hold at least one [time_s, rate_per_s] pair"));
                }
                if points[0][0] != 0.0 {
                    return Err(Error::invalid(
                        "points",
                        format!("`points` must start at time 0, got {}", points[0][0]),
                    ));
                }
                for (i, p) in points.iter().enumerate() {
                    if !(p[0].is_finite() && p[0] >= 0.0 && p[0] <= 1e9) {
                        return Err(Error::invalid(
                            format!("points[{i}]"),
                            format!("`points[{i}]`: time must be between 0 and 1e9 seconds, got {}", p[0]),
                        ));
                    }
                    if !(p[1].is_finite() && p[1] >= 0.0 && p[1] <= MAX_RATE) {
                        return Err(Error::invalid(
                            format!("points[{i}]"),
                            format!("`points[{i}]`: rate must be between 0 and 1e9 per second, got {}", p[1]),
                        ));
                    }
                    if i > 0 && p[0] <= points[i - 1][0] {
                        return Err(Error::invalid(
                            format!("points[{i}]"),
                            format!("`points[{i}]`: times must increase, {} after {}", p[0], points[i - 1][0]),
                        ));
                    }
                }
                if points.iter().all(|p| p[1] == 0.0) {
                    return Err(Error::invalid("points", "`points`: at least one rate must be positive"));
                }
                if let Some(r) = repeat_s {
                    let last = points[points.len() - 1][0];
                    if !(r.is_finite() && *r > 0.0 && *r >= last && *r <= 1e9) {
                        return Err(Error::invalid(
                            "repeat_s",
                            format!("`repeat_s` must be at least the last point's time ({last}), got {r}"),
                        ));
                    }
                    if *r < MIN_TABLE_REPEAT_S {
                        return Err(Error::invalid(
                            "repeat_s",
                            format!(
                                "`repeat_s` must be at least {MIN_TABLE_REPEAT_S} s (each period passes every \
                                 point once), got {r}"
                            ),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// The rate at `t` seconds, arrivals per second (for `mmpp`, which is
    /// random, the long-run mean; for `closed`, whose rate depends on the
    /// endpoint's response times, 0).
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            ArrivalProcess::Closed { .. } => 0.0,
            ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Mmpp { .. } => self.mean_rate_per_s(),
            ArrivalProcess::Diurnal { mean_rate_per_s, peak_to_trough, period_s, peak_at_s } => {
                let a = (peak_to_trough - 1.0) / (peak_to_trough + 1.0);
                let phase = 2.0 * std::f64::consts::PI * (t - peak_at_s) / period_s;
                mean_rate_per_s * (1.0 + a * phase.cos())
            }
            ArrivalProcess::Table { points, repeat_s } => {
                let t = match repeat_s {
                    Some(r) => t.rem_euclid(*r),
                    None => t,
                };
                let i = points.partition_point(|p| p[0] <= t);
                if i == 0 {
                    return points[0][1];
                }
                if i == points.len() {
                    return points[i - 1][1];
                }
                let ([t0, r0], [t1, r1]) = (points[i - 1], points[i]);
                r0 + (r1 - r0) * (t - t0) / (t1 - t0)
            }
        }
    }

    /// The highest rate the process reaches, arrivals per second (0 for
    /// `closed`: not a clock).
    pub fn peak_rate(&self) -> f64 {
        match self {
            ArrivalProcess::Closed { .. } => 0.0,
            ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Diurnal { mean_rate_per_s, peak_to_trough, .. } => {
                mean_rate_per_s * (1.0 + (peak_to_trough - 1.0) / (peak_to_trough + 1.0))
            }
            ArrivalProcess::Table { points, .. } => points.iter().map(|p| p[1]).fold(0.0, f64::max),
            ArrivalProcess::Mmpp { states } => states.iter().map(|st| st[0]).fold(0.0, f64::max),
        }
    }

    /// The long-run mean rate, arrivals per second (a table without
    /// repetition: its last rate; `closed`: 0, not a clock).
    pub fn mean_rate_per_s(&self) -> f64 {
        match self {
            ArrivalProcess::Closed { .. } => 0.0,
            ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Diurnal { mean_rate_per_s, .. } => *mean_rate_per_s,
            ArrivalProcess::Mmpp { states } => {
                // Time-weighted: state i holds for mean_s_i on average.
                let time: f64 = states.iter().map(|st| st[1]).sum();
                states.iter().map(|st| st[0] * st[1]).sum::<f64>() / time
            }
            ArrivalProcess::Table { points, repeat_s } => match repeat_s {
                None => points[points.len() - 1][1],
                Some(r) => {
                    // Trapezoids over the table, then the last rate to the period's end.
                    let mut area = 0.0;
                    for w in points.windows(2) {
                        area += (w[1][0] - w[0][0]) * (w[0][1] + w[1][1]) / 2.0;
                    }
                    let last = points[points.len() - 1];
                    area += (r - last[0]) * last[1];
                    area / r
                }
            },
        }
    }
}

/// Generates arrival instants of an [`ArrivalProcess`] from its own stream.
#[derive(Clone, Debug)]
pub struct ArrivalClock {
    process: ArrivalProcess,
    exp: Exp<f64>,
    peak: f64,
    rng: SimRng,
    t_ns: u64,
    /// `mmpp`: the states, the current one and when it ends.
    mmpp: Vec<[f64; 2]>,
    state: usize,
    state_end_ns: u64,
    /// `table`: the points (time in ns, rate), the period in ns, and the
    /// segment the clock is in.
    table: Vec<(u64, f64)>,
    repeat_ns: Option<u64>,
    seg: Segment,
    /// Thinning candidates drawn so far (the clock's work).
    candidates: u64,
}

/// The stretch of a `table` between two points (or after the last one), in
/// absolute nanoseconds: the rate goes linearly from `r0` to `r1`, and
/// candidates come at `peak`, the larger of the two.
#[derive(Clone, Copy, Debug, Default)]
struct Segment {
    start: u64,
    end: u64,
    r0: f64,
    r1: f64,
    peak: f64,
}

impl Segment {
    /// The rate at `t` (within the segment).
    #[inline]
    fn rate(&self, t: u64) -> f64 {
        if self.r0 == self.r1 || self.end <= self.start {
            return self.r0;
        }
        let x = (t - self.start) as f64 / (self.end - self.start) as f64;
        self.r0 + (self.r1 - self.r0) * x
    }
}

impl ArrivalClock {
    /// A clock for a validated open process, starting at time zero.
    ///
    /// # Panics
    /// With `BUG:` on parameters [`ArrivalProcess::validate`] rejects, and
    /// on a `closed` process (see [`try_new`](ArrivalClock::try_new)).
    pub fn new(process: &ArrivalProcess, rng: SimRng) -> Self {
        ArrivalClock::try_new(process, rng).unwrap_or_else(|e| panic!("BUG: {e}"))
    }

    /// A clock for a validated open process, starting at time zero; an
    /// error for a `closed` process, which is no clock.
    ///
    /// # Panics
    /// With `BUG:` on parameters [`ArrivalProcess::validate`] rejects.
    pub fn try_new(process: &ArrivalProcess, rng: SimRng) -> Result<Self, Error> {
        if process.is_closed() {
            return Err(Error::invalid(
                "process",
                "a `closed` arrival process has no arrival clock: its users are closed-loop clients",
            ));
        }
        let peak = process.peak_rate();
        let exp = Exp::new(peak).unwrap_or_else(|e| panic!("BUG: unvalidated arrival process {process:?}: {e}"));
        let mmpp = match process {
            ArrivalProcess::Mmpp { states } => states.clone(),
            _ => Vec::new(),
        };
        let (table, repeat_ns) = match process {
            ArrivalProcess::Table { points, repeat_s } => (
                points.iter().map(|p| (SimTime::from_secs_f64(p[0]).as_nanos(), p[1])).collect(),
                repeat_s.map(|r| SimTime::from_secs_f64(r).as_nanos().max(1)),
            ),
            _ => (Vec::new(), None),
        };
        let mut c = ArrivalClock {
            process: process.clone(),
            exp,
            peak,
            rng,
            t_ns: 0,
            mmpp,
            state: 0,
            state_end_ns: 0,
            table,
            repeat_ns,
            seg: Segment::default(),
            candidates: 0,
        };
        if let Some(first) = c.mmpp.first().copied() {
            c.state_end_ns = c.sojourn_ns(first[1]);
        }
        Ok(c)
    }

    fn sojourn_ns(&mut self, mean_s: f64) -> u64 {
        let u: f64 = self.rng.random();
        round_to_u64(-(1.0 - u).ln() * mean_s * 1e9)
    }

    /// `mmpp`: Poisson at the state's rate until the state ends (memoryless,
    /// so a gap that overshoots the state's end is simply redrawn there).
    fn next_mmpp(&mut self) -> Option<SimTime> {
        loop {
            let rate = self.mmpp[self.state][0];
            if rate > 0.0 {
                let u: f64 = self.rng.random();
                let gap = round_to_u64(-(1.0 - u).ln() / rate * 1e9);
                let t = self.t_ns.saturating_add(gap);
                if t < self.state_end_ns {
                    self.t_ns = t;
                    return Some(SimTime::from_nanos(t));
                }
            }
            self.t_ns = self.state_end_ns;
            self.state = (self.state + 1) % self.mmpp.len();
            let mean = self.mmpp[self.state][1];
            let d = self.sojourn_ns(mean);
            self.state_end_ns = self.t_ns.saturating_add(d);
            if self.t_ns == u64::MAX {
                return None;
            }
        }
    }

    /// `table`: the segment holding time `t` (the clock's position).
    fn enter_segment(&mut self, t: u64) {
        let (base, off) = match self.repeat_ns {
            Some(r) => (t / r * r, t % r),
            None => (0, t),
        };
        let n = self.table.len();
        // The first point is at 0, so at least one point is at or before `off`.
        let i = self.table.partition_point(|p| p.0 <= off).max(1);
        self.seg = if i < n {
            let ((t0, r0), (t1, r1)) = (self.table[i - 1], self.table[i]);
            Segment { start: base + t0, end: base.saturating_add(t1), r0, r1, peak: r0.max(r1) }
        } else {
            let (t0, r) = self.table[n - 1];
            let end = match self.repeat_ns {
                Some(p) => base.saturating_add(p),
                None => u64::MAX,
            };
            Segment { start: base + t0, end, r0: r, r1: r, peak: r }
        };
    }

    /// `table`: thinning within each segment at the segment's peak; a
    /// candidate that overshoots the segment's end is redrawn there
    /// (memoryless), so candidates follow the rate's shape, not the table's
    /// highest point.
    fn next_table(&mut self) -> Option<SimTime> {
        loop {
            if self.t_ns >= self.seg.end {
                if self.seg.end == u64::MAX {
                    return None;
                }
                self.enter_segment(self.t_ns);
            }
            let peak = self.seg.peak;
            if peak > 0.0 {
                let u: f64 = self.rng.random();
                let gap = round_to_u64(-(1.0 - u).ln() / peak * 1e9);
                let t = self.t_ns.saturating_add(gap);
                self.candidates += 1;
                if t < self.seg.end {
                    self.t_ns = t;
                    if self.rng.random::<f64>() * peak < self.seg.rate(t) {
                        return Some(SimTime::from_nanos(t));
                    }
                    continue;
                }
            }
            if self.seg.end == u64::MAX {
                // The last rate is 0 and the table does not repeat.
                self.t_ns = u64::MAX;
                return None;
            }
            self.t_ns = self.seg.end;
        }
    }

    /// Candidate instants drawn so far (for thinned processes, arrivals
    /// plus rejected candidates; for `poisson`, the arrivals): the clock's
    /// work.
    pub fn candidates(&self) -> u64 {
        self.candidates
    }

    /// The next arrival instant, or `None` once no arrival can come.
    #[inline]
    pub fn next_time(&mut self) -> Option<SimTime> {
        match self.process {
            ArrivalProcess::Mmpp { .. } => return self.next_mmpp(),
            ArrivalProcess::Table { .. } => return self.next_table(),
            _ => {}
        }
        loop {
            self.candidates += 1;
            let dt = self.exp.sample(&mut self.rng);
            self.t_ns = self.t_ns.saturating_add(round_to_u64(dt * 1e9));
            if let ArrivalProcess::Poisson { .. } = self.process {
                return Some(SimTime::from_nanos(self.t_ns));
            }
            let rate = self.process.rate_at(self.t_ns as f64 / 1e9);
            if self.rng.random::<f64>() * self.peak < rate {
                return Some(SimTime::from_nanos(self.t_ns));
            }
        }
    }
}
