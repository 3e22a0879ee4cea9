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
use mmesim_engine::{EventQueue, KeyedHeap, SimTime};
use std::collections::VecDeque;

/// An instance's shared links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
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
    /// The earliest transfer on a link is done. Kept out of the heap, in
    /// the agenda's one entry per link ([`Agenda::set_link`]): never
    /// stale.
    LinkDone { inst: u32, link: Link },
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

/// The event heap, the timeout FIFO, the links' completions and the
/// pending arrival, merged by `(time, sequence)`.
///
/// Timeouts are armed with one fixed timeout from a time that never goes
/// back, so they come in deadline order: a FIFO holds them at O(1) instead
/// of the heap's O(log n), and takes its sequence numbers from the heap's
/// counter so ties still pop in insertion order.
///
/// A shared link has at most one completion pending (its earliest
/// finisher's), which moves whenever a transfer starts or ends. In the
/// heap, each move left a stale event behind (a tenth of all events in a
/// thrashing million-model run, issue 15); in a [`KeyedHeap`] of one entry
/// per link the entry moves instead. A move takes a new sequence number
/// from the heap's counter, as the push it replaces did, so every event
/// keeps the place it had.
pub(super) struct Agenda {
    q: EventQueue<Event>,
    timeouts: VecDeque<Timer>,
    /// One entry per busy link, by id `2 × instance + link`.
    links: KeyedHeap,
    /// The `(time, sequence)` key of the one pending open-loop arrival: the
    /// source yields arrivals one at a time, so at most one is ever
    /// scheduled, and it is kept beside the heap (issue 15) instead of
    /// going through it. Its key is taken from the same sequence counter,
    /// so the order of events is exactly what it would be in the heap.
    /// Packed as the heap packs its keys (`time << 64 | seq`); `u128::MAX`
    /// when none is pending.
    arrival: u128,
}

/// `(time, seq)` packed as `EventQueue::peek_packed` packs it.
#[inline(always)]
fn packed(at: SimTime, seq: u64) -> u128 {
    (at.as_nanos() as u128) << 64 | seq as u128
}

impl Agenda {
    pub(super) fn new() -> Self {
        Agenda {
            q: EventQueue::with_capacity(1024),
            timeouts: VecDeque::new(),
            links: KeyedHeap::new(),
            arrival: u128::MAX,
        }
    }

    /// The earliest transfer on `inst`'s `link` will be done at `at`:
    /// replaces the completion it had pending, if any.
    #[inline]
    pub(super) fn set_link(&mut self, inst: u32, link: Link, at: SimTime) {
        let seq = self.q.take_seq();
        self.links.set(2 * inst + link as u32, at, seq);
    }

    /// When `inst`'s `link` will complete its earliest transfer, if busy.
    pub(super) fn link_due(&self, inst: u32, link: Link) -> Option<SimTime> {
        self.links.get(2 * inst + link as u32).map(|(t, _)| t)
    }

    /// `inst`'s `link` has nothing pending any more (idle, or lost). A
    /// popped `LinkDone` leaves its entry in place until its handler sets
    /// the link again or clears it.
    pub(super) fn clear_link(&mut self, inst: u32, link: Link) {
        self.links.remove(2 * inst + link as u32);
    }

    /// Schedules the next open-loop arrival at `at`; panics with `BUG:` if
    /// one is already pending (the source yields them one at a time).
    #[inline]
    pub(super) fn push_arrival(&mut self, at: SimTime) {
        if self.arrival != u128::MAX {
            panic!("BUG: a second arrival scheduled while one is pending");
        }
        let seq = self.q.take_seq();
        self.arrival = packed(at, seq);
    }

    /// The request of the `k`-th earliest deadline armed (0: the next; for
    /// a prefetch).
    #[inline]
    pub(super) fn timeout_req(&self, k: usize) -> Option<u32> {
        self.timeouts.get(k).map(|t| t.req)
    }

    /// The earliest event in the heap (not a timeout, link completion or
    /// arrival), if any: for a prefetch.
    #[inline]
    pub(super) fn peek_heap(&self) -> Option<Event> {
        self.q.peek().copied()
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

    /// The earliest of the next timeout, link completion, arrival and
    /// heap event; `None` when all are empty.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Next> {
        // Each source's earliest key packed into one integer (`MAX`: none).
        // Sequence numbers are unique across the four, so the minimum is
        // one source's, and the comparisons are four integer minimums.
        let heap = self.q.peek_packed();
        let link = self.links.peek_packed();
        let timer = self.timeouts.front().map_or(u128::MAX, |tm| packed(tm.at, tm.seq));
        let first = heap.min(link).min(timer).min(self.arrival);
        if first == u128::MAX {
            None
        } else if first == self.arrival {
            self.arrival = u128::MAX;
            Some(Next::Event(SimTime::from_nanos((first >> 64) as u64), Event::Arrival))
        } else if first == timer {
            self.timeouts.pop_front().map(Next::Timeout)
        } else if first == link {
            // Left in place: its handler sets the link's next completion
            // or clears it (`Simulation::on_link_done`).
            self.links.peek().map(|(t, id)| {
                let link = if id % 2 == 0 { Link::Net } else { Link::Disk };
                Next::Event(t, Event::LinkDone { inst: id / 2, link })
            })
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

    /// Pops everything; a link completion is cleared once popped, as the
    /// handler of a link gone idle does (`pop` leaves it in place).
    fn pops(a: &mut Agenda) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(n) = a.pop() {
            out.push(match n {
                Next::Timeout(t) => format!("timeout r{}@{}", t.req, t.at.as_nanos() / 1_000_000_000),
                Next::Event(t, Event::Fault { idx }) => format!("fault {idx}@{}", t.as_nanos() / 1_000_000_000),
                Next::Event(t, Event::LinkDone { inst, link }) => {
                    a.clear_link(inst, link);
                    format!("{link:?} {inst}@{}", t.as_nanos() / 1_000_000_000)
                }
                Next::Event(_, e) => format!("{e:?}"),
            });
        }
        out
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

    /// A link's completion moves in place: one entry per link, ordered
    /// among the heap's events by the sequence number of its last move,
    /// as the push it replaces would have been; nothing stale pops.
    #[test]
    fn link_completions_move_in_place_and_merge_by_time_then_sequence() {
        let mut a = Agenda::new();
        a.set_link(0, Link::Net, at(5)); // moved below: not at 5 any more
        a.push(at(6), Event::Fault { idx: 0 });
        a.set_link(0, Link::Net, at(6)); // after fault 0 (later sequence)
        a.set_link(0, Link::Disk, at(6)); // another link of the same instance
        a.arm_timeout(at(6), 1, 0);
        a.set_link(1, Link::Disk, at(9));
        a.set_link(1, Link::Disk, at(2)); // moved earlier
        a.set_link(2, Link::Net, at(1));
        a.clear_link(2, Link::Net); // lost with its instance
        a.clear_link(3, Link::Disk); // never busy: nothing to clear
        a.push_arrival(at(6));
        assert_eq!(pops(&mut a), ["Disk 1@2", "fault 0@6", "Net 0@6", "Disk 0@6", "timeout r1@6", "Arrival"]);
        assert!(a.pop().is_none());
        // Once popped, a link may be busy again.
        a.set_link(0, Link::Net, at(7));
        assert_eq!(pops(&mut a), ["Net 0@7"]);
        // A popped completion stays until its link is set again (moved to
        // its next completion, after an event pushed meanwhile) or cleared.
        a.set_link(1, Link::Net, at(8));
        assert!(matches!(a.pop(), Some(Next::Event(t, Event::LinkDone { inst: 1, .. })) if t == at(8)));
        assert!(matches!(a.pop(), Some(Next::Event(t, Event::LinkDone { inst: 1, .. })) if t == at(8)));
        a.push(at(9), Event::Fault { idx: 4 });
        a.set_link(1, Link::Net, at(9));
        assert_eq!(pops(&mut a), ["fault 4@9", "Net 1@9"]);
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
