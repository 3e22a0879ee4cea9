//! Where requests come from: the workload crate implements this.

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
