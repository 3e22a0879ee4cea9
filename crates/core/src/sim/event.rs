//! The closed set of events and the agenda that orders them.
//!
//! Owns: the [`Event`] enum, the shared [`Link`]s of an instance, request
//! timeout [`Timer`]s and the [`Agenda`] (the event heap merged with the
//! timeout FIFO). Touches no model state: handlers live in the other rooms.
//!
//! Architecture invariant: events pop in `(time, sequence)` order, timeouts
//! included — a timeout armed before an event at the same instant fires
//! first — so equal times keep their insertion order and a run is
//! deterministic.

use super::Tier;
use mmesim_engine::{EventQueue, SimTime};
use std::collections::VecDeque;

/// An instance's shared links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Link {
    /// Downloads from the model store.
    Net,
    /// Reads from the disk tier (loads).
    Disk,
}

/// Everything that can happen, one variant per handler.
#[derive(Clone, Copy, Debug)]
pub(super) enum Event {
    /// The pending arrival (kept in `Inflow::next`: one at a time, which
    /// keeps this enum small).
    Arrival,
    /// Closed-loop user `user` has thought: it sends its next request.
    UserSends { user: u32 },
    /// Closed loop: user `user`'s request leaves its client process.
    ClientReady { user: u32 },
    /// A download's fixed overhead has passed: its bytes start to flow
    /// (`slot`: the model's slot on the instance).
    TransferStart { inst: u32, slot: u32 },
    /// The earliest transfer on a link should be done (stale unless `gen`
    /// is the link's current generation).
    LinkDone { inst: u32, link: Link, gen: u32 },
    /// A CPU job (packed `cpu::Job`) on an instance whose vCPUs are not
    /// oversubscribed is done (stale unless still due now).
    JobDone { inst: u32, job: u32 },
    /// The earliest job(s) on an instance's shared vCPUs should be done
    /// (stale unless `gen` is the CPU's current generation).
    CpuDone { inst: u32, gen: u32 },
    /// An unload ends: its memory is free (`slot`: the model's slot).
    UnloadDone { inst: u32, slot: u32 },
    /// Request `req` (a slab index) finishes its service.
    ServiceDone { inst: u32, req: u32 },
    /// A launched instance is ready to serve.
    InstanceReady { inst: u32 },
    /// The client retries request `req`.
    Retry { req: u32, gen: u32 },
    /// Fault number `idx` of the configuration strikes.
    Fault { idx: u32 },
    /// Fault number `idx` ends (its zone comes back).
    FaultEnd { idx: u32 },
    /// Replace failed instance `failed` (in its zone if that zone is up).
    Replace { failed: u32 },
    /// A keep-alive evictor said an object of this tier may have idled out.
    Expiry { inst: u32, tier: Tier },
    /// A simulated minute ends: metrics, autoscaling.
    Minute,
}

const _: () = assert!(std::mem::size_of::<Event>() <= 12, "keep events small: the heap moves them");

impl Event {
    /// The instance whose state the event changes, if any.
    pub(super) fn instance(&self) -> Option<u32> {
        match *self {
            Event::TransferStart { inst, .. }
            | Event::LinkDone { inst, .. }
            | Event::CpuDone { inst, .. }
            | Event::JobDone { inst, .. }
            | Event::UnloadDone { inst, .. }
            | Event::ServiceDone { inst, .. }
            | Event::InstanceReady { inst }
            | Event::Expiry { inst, .. } => Some(inst),
            _ => None,
        }
    }
}

/// A request's deadline: fail it if still waiting at `at` (stale unless
/// `gen` is the request's generation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Timer {
    pub(super) at: SimTime,
    pub(super) seq: u64,
    pub(super) req: u32,
    pub(super) gen: u32,
}

/// What the agenda hands out next.
#[derive(Debug)]
pub(super) enum Next {
    /// A request's deadline.
    Timeout(Timer),
    /// An event of the heap.
    Event(SimTime, Event),
}

/// The event heap and the timeout FIFO, merged by `(time, sequence)`.
///
/// Timeouts are armed with one fixed timeout from a time that never goes
/// back, so they come in deadline order: a FIFO holds them at O(1) instead
/// of the heap's O(log n), and takes its sequence numbers from the heap's
/// counter so ties still pop in insertion order.
pub(super) struct Agenda {
    q: EventQueue<Event>,
    timeouts: VecDeque<Timer>,
    /// The `(time, sequence)` key of the one pending open-loop arrival: the
    /// source yields arrivals one at a time, so at most one is ever
    /// scheduled, and it is kept beside the heap (issue 15) instead of
    /// going through it. Its key is taken from the same sequence counter,
    /// so the order of events is exactly what it would be in the heap.
    arrival: Option<(SimTime, u64)>,
}

impl Agenda {
    pub(super) fn new() -> Self {
        Agenda { q: EventQueue::with_capacity(1024), timeouts: VecDeque::new(), arrival: None }
    }

    /// Schedules the next open-loop arrival at `at`; panics with `BUG:` if
    /// one is already pending (the source yields them one at a time).
    #[inline]
    pub(super) fn push_arrival(&mut self, at: SimTime) {
        if self.arrival.is_some() {
            panic!("BUG: a second arrival scheduled while one is pending");
        }
        let seq = self.q.take_seq();
        self.arrival = Some((at, seq));
    }

    /// The request of the earliest deadline armed (for a prefetch).
    #[inline]
    pub(super) fn next_timeout_req(&self) -> Option<u32> {
        self.timeouts.front().map(|t| t.req)
    }

    /// Schedules `ev` at `at`.
    #[inline]
    pub(super) fn push(&mut self, at: SimTime, ev: Event) {
        self.q.push(at, ev);
    }

    /// Arms a deadline; panics with `BUG:` if it is earlier than one armed
    /// before (the FIFO would be out of order).
    pub(super) fn arm_timeout(&mut self, at: SimTime, req: u32, gen: u32) {
        if self.timeouts.back().is_some_and(|b| b.at > at) {
            panic!("BUG: timeouts armed out of deadline order");
        }
        let seq = self.q.take_seq();
        self.timeouts.push_back(Timer { at, seq, req, gen });
    }

    /// The earliest of the next timeout and the next event; `None` when
    /// both are empty.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Next> {
        let heap = self.q.peek_key();
        if let Some(a) = self.arrival {
            let before_heap = heap.is_none_or(|key| a < key);
            let before_timer = self.timeouts.front().is_none_or(|tm| a < (tm.at, tm.seq));
            if before_heap && before_timer {
                self.arrival = None;
                return Some(Next::Event(a.0, Event::Arrival));
            }
        }
        let timer_first = match (self.timeouts.front(), heap) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(tm), Some(key)) => (tm.at, tm.seq) < key,
        };
        if timer_first {
            self.timeouts.pop_front().map(Next::Timeout)
        } else {
            self.q.pop().map(|(t, ev)| Next::Event(t, ev))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    fn pops(a: &mut Agenda) -> Vec<String> {
        std::iter::from_fn(|| a.pop())
            .map(|n| match n {
                Next::Timeout(t) => format!("timeout r{}@{}", t.req, t.at.as_nanos() / 1_000_000_000),
                Next::Event(t, Event::Fault { idx }) => format!("fault {idx}@{}", t.as_nanos() / 1_000_000_000),
                Next::Event(_, e) => format!("{e:?}"),
            })
            .collect()
    }

    #[test]
    fn timeouts_merge_with_events_in_time_then_insertion_order() {
        let mut a = Agenda::new();
        a.push(at(5), Event::Fault { idx: 0 });
        a.arm_timeout(at(5), 1, 0); // same time, armed later: after fault 0
        a.push(at(5), Event::Fault { idx: 1 }); // after the timeout
        a.arm_timeout(at(7), 2, 0);
        a.push(at(3), Event::Fault { idx: 2 });
        a.push(at(7), Event::Fault { idx: 3 }); // pushed after the 7 s timeout
        assert_eq!(pops(&mut a), ["fault 2@3", "fault 0@5", "timeout r1@5", "fault 1@5", "timeout r2@7", "fault 3@7"]);
        assert!(a.pop().is_none());
    }

    #[test]
    fn the_pending_arrival_merges_by_time_then_insertion_order() {
        let mut a = Agenda::new();
        a.push(at(5), Event::Fault { idx: 0 });
        a.push_arrival(at(5)); // same time, scheduled later: after fault 0
        a.arm_timeout(at(5), 1, 0); // after the arrival
        a.push(at(5), Event::Fault { idx: 1 }); // last of the 5 s ones
        a.push(at(2), Event::Fault { idx: 2 });
        assert_eq!(pops(&mut a), ["fault 2@2", "fault 0@5", "Arrival", "timeout r1@5", "fault 1@5"]);
        // Once popped, the next arrival may be scheduled, even earlier
        // than events already in the heap.
        a.push(at(9), Event::Fault { idx: 3 });
        a.push_arrival(at(8));
        assert_eq!(pops(&mut a), ["Arrival", "fault 3@9"]);
        assert!(a.pop().is_none());
    }

    #[test]
    #[should_panic(expected = "BUG: a second arrival scheduled while one is pending")]
    fn two_pending_arrivals_are_a_bug() {
        let mut a = Agenda::new();
        a.push_arrival(at(1));
        a.push_arrival(at(2));
    }

    #[test]
    #[should_panic(expected = "BUG: timeouts armed out of deadline order")]
    fn a_timeout_earlier_than_the_last_one_is_a_bug() {
        let mut a = Agenda::new();
        a.arm_timeout(at(9), 0, 0);
        a.arm_timeout(at(8), 1, 0);
    }
}
