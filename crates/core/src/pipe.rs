//! Bandwidth shared fairly by concurrent transfers (processor sharing).
//!
//! An instance's download link and its disk each move bytes at a fixed
//! rate; `n` transfers under way each get `rate / n`. Whenever a transfer
//! starts or ends the shares change, so the pipe keeps the bytes remaining
//! per transfer and the time of its last update, and the caller schedules
//! one completion event for the earliest finisher, tagged with a
//! generation number: an event whose generation is no longer current is
//! stale and ignored.

use mmesim_engine::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug)]
struct Transfer {
    id: u32,
    remaining: f64,
}

/// One shared link. See the module notes.
#[derive(Clone, Debug)]
pub(crate) struct Pipe {
    rate: f64,
    active: Vec<Transfer>,
    last: SimTime,
    gen: u32,
}

impl Pipe {
    /// A link moving `rate` bytes per second.
    pub fn new(rate: f64) -> Self {
        Pipe { rate, active: Vec::new(), last: SimTime::ZERO, gen: 0 }
    }

    /// Transfers under way.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    fn advance(&mut self, now: SimTime) {
        let n = self.active.len();
        if n > 0 {
            let moved = self.rate / n as f64 * (now - self.last).as_secs_f64();
            for t in &mut self.active {
                t.remaining -= moved;
            }
        }
        self.last = now;
    }

    /// Starts moving `bytes` for `id`; returns when the earliest transfer
    /// will now finish and the new generation.
    pub fn start(&mut self, now: SimTime, id: u32, bytes: u64) -> (SimTime, u32) {
        self.advance(now);
        self.active.push(Transfer { id, remaining: bytes as f64 });
        self.next(now)
    }

    fn next(&mut self, now: SimTime) -> (SimTime, u32) {
        self.gen = self.gen.wrapping_add(1);
        let min = self.active.iter().map(|t| t.remaining).fold(f64::INFINITY, f64::min).max(0.0);
        let share = self.rate / self.active.len() as f64;
        // Round up so that at the event every finisher has really finished.
        let ns = (min / share * 1e9).ceil();
        (now + SimDuration::from_nanos(ns as u64), self.gen)
    }

    /// Handles a completion event: `None` if `gen` is stale; otherwise the
    /// transfers that finished (appended to `done`, in start order) and
    /// when the next one will, if any.
    pub fn complete(&mut self, now: SimTime, gen: u32, done: &mut Vec<u32>) -> Option<Option<(SimTime, u32)>> {
        if gen != self.gen || self.active.is_empty() {
            return None;
        }
        self.advance(now);
        // Anything within a nanosecond's worth of bytes is done.
        let eps = self.rate / self.active.len() as f64 * 1e-9 + 1e-6;
        self.active.retain(|t| {
            if t.remaining <= eps {
                done.push(t.id);
                false
            } else {
                true
            }
        });
        if self.active.is_empty() {
            self.gen = self.gen.wrapping_add(1);
            Some(None)
        } else {
            Some(Some(self.next(now)))
        }
    }

    /// Drops every transfer (the instance is gone).
    #[allow(dead_code)]
    pub fn clear(&mut self) {
        self.active.clear();
        self.gen = self.gen.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    /// 100 B/s. A: 100 B at t=0; B: 50 B at t=0.5.
    /// 0–0.5: A alone, 50 B moved (50 left). 0.5–: 50 B/s each; both have
    /// 50 B left → both finish at 1.5.
    #[test]
    fn two_transfers_share_fairly() {
        let mut p = Pipe::new(100.0);
        let (t, g) = p.start(s(0.0), 1, 100);
        assert_eq!(t, s(1.0));
        let (t, g2) = p.start(s(0.5), 2, 50);
        assert_eq!(t, s(1.5));
        let mut done = Vec::new();
        assert_eq!(p.complete(s(1.0), g, &mut done), None, "stale event");
        assert_eq!(p.complete(s(1.5), g2, &mut done), Some(None));
        assert_eq!(done, vec![1, 2]);
        assert_eq!(p.len(), 0);
    }

    /// A: 300 B, B: 100 B, both at 0 on 100 B/s: B ends at 2 (100 B at 50/s);
    /// A has 200 left, alone at 100/s: ends at 4.
    #[test]
    fn the_short_one_ends_first_then_the_rest_speeds_up() {
        let mut p = Pipe::new(100.0);
        p.start(s(0.0), 1, 300);
        let (t, g) = p.start(s(0.0), 2, 100);
        assert_eq!(t, s(2.0));
        let mut done = Vec::new();
        let (t, g) = p.complete(t, g, &mut done).unwrap().unwrap();
        assert_eq!(done, vec![2]);
        assert_eq!(t, s(4.0));
        done.clear();
        assert_eq!(p.complete(t, g, &mut done), Some(None));
        assert_eq!(done, vec![1]);
    }
}
