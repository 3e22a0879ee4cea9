//! Where requests come from: the workload crate implements these.
//!
//! Two shapes of workload: an open [`RequestSource`] (arrivals come when
//! they come, whatever the endpoint does) and a [`ClosedLoop`] of users
//! (load testers like Locust: each user sends its next request only once
//! its previous one has ended, after a think time).

use crate::ModelId;
use mmesim_engine::{SimDuration, SimTime};

/// One request arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Arrival time; never earlier than the previous arrival's.
    pub time: SimTime,
    /// The model requested.
    pub model: ModelId,
    /// Service time, when the workload fixes it (a trace); `None` = drawn
    /// from the model's service distribution.
    pub service: Option<SimDuration>,
}

/// A stream of arrivals, pulled one at a time (so traces stream and memory
/// stays bounded).
pub trait RequestSource: Send {
    /// The next arrival, or `None` when the workload is exhausted. Arrivals
    /// come in non-decreasing time order.
    fn next_arrival(&mut self) -> Option<Arrival>;
}

/// Closed-loop clients: a fixed population of users, each with at most one
/// request in flight. The simulation asks for each user's first send time
/// at the start (users in order 0, 1, …), then, whenever a request of user
/// `u` ends — completed, failed, or rejected with the client's retries
/// exhausted — for `u`'s think time, and sends `u`'s next request that much
/// later (if before the run's duration). A request the client retries has
/// not ended. After a request that ended at the instant it was sent
/// (rejected or failed at once), the user pauses at least 1 ms whatever its
/// think time, so that a loop without think time cannot spin at one
/// instant.
///
/// Decisions only: the implementation draws think times and models from
/// its own random streams, so the same seed gives the same run.
pub trait ClosedLoop: Send {
    /// How many users (at least 1; numbered `0..users()`).
    fn users(&self) -> u32;
    /// When user `user` sends its first request, as an offset from time 0.
    /// Called once per user, in user order, before anything happens.
    fn first_request(&mut self, user: u32) -> SimDuration;
    /// How long user `user` thinks after one of its requests ended.
    fn think(&mut self, user: u32) -> SimDuration;
    /// The model of the request user `user` sends at `now`.
    fn pick(&mut self, user: u32, now: SimTime) -> ModelId;
    /// The load generator's own CPU, if it is modelled: each request first
    /// takes `cpu` on one of `processes` client processes (FIFO, in the
    /// order users wake), then goes out. Locust runs its users in a few
    /// single-threaded worker processes, so the CPU a request costs the
    /// client (building its body, signing it) caps the rate it can send.
    /// Default: none (requests go out when users wake).
    fn client_station(&self) -> Option<ClientStation> {
        None
    }
}

/// A closed loop's client processes (see [`ClosedLoop::client_station`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientStation {
    /// Client processes, each working on one request at a time (≥ 1).
    pub processes: u32,
    /// Client CPU time per request.
    pub cpu: SimDuration,
}

/// A source over a fixed list of arrivals (tests and hand-made scenarios).
#[derive(Clone, Debug, Default)]
pub struct VecSource {
    items: Vec<Arrival>,
    next: usize,
}

impl VecSource {
    /// Arrivals in the given order; they are sorted by time (stably).
    pub fn new(mut items: Vec<Arrival>) -> Self {
        items.sort_by_key(|a| a.time);
        VecSource { items, next: 0 }
    }
}

impl RequestSource for VecSource {
    fn next_arrival(&mut self) -> Option<Arrival> {
        let a = self.items.get(self.next).copied();
        self.next += 1;
        a
    }
}
