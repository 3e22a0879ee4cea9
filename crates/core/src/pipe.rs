//! Bandwidth shared fairly by concurrent transfers (processor sharing).
//!
//! An instance's download link and its disk each move bytes at a fixed
//! rate; `n` transfers under way each get `rate / n`, unless a transfer
//! has its own cap (a download moves over a few S3 connections, each with
//! a bounded throughput): then the shares are max-min fair: a transfer
//! whose cap is below its fair share gets its cap, and the rate it leaves
//! is split among the others the same way. With one cap `c` for all,
//! each gets `min(c, rate / n)`. Whenever a transfer
//! starts or ends the shares change, so the pipe keeps the bytes remaining
//! per transfer and the time of its last update, and tells the caller when
//! its earliest finisher will now be done: the caller keeps exactly one
//! completion pending per pipe and moves it (the agenda's link entries),
//! so no completion is ever stale.

use mmesim_engine::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug)]
struct Transfer {
    id: u32,
    remaining: f64,
    /// Most bytes per second this transfer may move (`INFINITY`: none).
    cap: f64,
    /// Its current share, bytes per second.
    share: f64,
}

/// One shared link. See the module notes.
#[derive(Clone, Debug)]
pub(crate) struct Pipe {
    rate: f64,
    active: Vec<Transfer>,
    last: SimTime,
    /// Scratch for `reshare`'s visiting order (no allocation per call).
    order: Vec<u32>,
}

impl Pipe {
    /// A link moving `rate` bytes per second.
    pub fn new(rate: f64) -> Self {
        Pipe { rate, active: Vec::new(), last: SimTime::ZERO, order: Vec::new() }
    }

    /// Transfers under way.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    fn advance(&mut self, now: SimTime) {
        let dt = (now - self.last).as_secs_f64();
        for t in &mut self.active {
            t.remaining -= t.share * dt;
        }
        self.last = now;
    }

    /// Recomputes the shares (max-min fair, see the module notes): visit
    /// the transfers by increasing cap (ties in start order); each gets
    /// the smaller of its cap and an equal split of what is left.
    fn reshare(&mut self) {
        let mut left = self.rate;
        let mut n = self.active.len();
        let cap0 = self.active.first().map(|t| t.cap.to_bits());
        if self.active.iter().all(|t| Some(t.cap.to_bits()) == cap0) {
            // One cap for all (the usual case: every download has the
            // type's, every load none): start order is the sorted order.
            for t in &mut self.active {
                let share = t.cap.min(left / n as f64);
                t.share = share;
                left = (left - share).max(0.0);
                n -= 1;
            }
            return;
        }
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..self.active.len() as u32);
        // A stable sort: equal caps keep start order (determinism).
        order.sort_by(|&a, &b| self.active[a as usize].cap.total_cmp(&self.active[b as usize].cap));
        for &i in &order {
            let i = i as usize;
            let share = self.active[i].cap.min(left / n as f64);
            self.active[i].share = share;
            left = (left - share).max(0.0);
            n -= 1;
        }
        self.order = order;
    }

    /// Starts moving `bytes` for `id`; returns when the earliest transfer
    /// will now finish.
    #[allow(dead_code)]
    pub fn start(&mut self, now: SimTime, id: u32, bytes: u64) -> SimTime {
        self.start_capped(now, id, bytes, f64::INFINITY)
    }

    /// Like [`start`](Pipe::start), with the transfer moving at most `cap`
    /// bytes per second (must be positive; `INFINITY` for no cap).
    pub fn start_capped(&mut self, now: SimTime, id: u32, bytes: u64, cap: f64) -> SimTime {
        self.advance(now);
        self.active.push(Transfer { id, remaining: bytes as f64, cap, share: 0.0 });
        self.reshare();
        self.next(now)
    }

    fn next(&self, now: SimTime) -> SimTime {
        let secs = self.active.iter().map(|t| t.remaining.max(0.0) / t.share).fold(f64::INFINITY, f64::min);
        // Round up so that at the event every finisher has really finished.
        let ns = (secs * 1e9).ceil();
        now + SimDuration::from_nanos(ns as u64)
    }

    /// The earliest finisher's time has come: appends the transfers that
    /// finished to `done` (in start order) and returns when the next one
    /// will, if any is left.
    pub fn complete(&mut self, now: SimTime, done: &mut Vec<u32>) -> Option<SimTime> {
        if self.active.is_empty() {
            return None;
        }
        self.advance(now);
        // Anything within a nanosecond's worth of bytes is done.
        self.active.retain(|t| {
            if t.remaining <= t.share * 1e-9 + 1e-6 {
                done.push(t.id);
                false
            } else {
                true
            }
        });
        if self.active.is_empty() {
            None
        } else {
            self.reshare();
            Some(self.next(now))
        }
    }

    /// Drops every transfer (the instance is gone).
    pub fn clear(&mut self) {
        self.active.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    /// Within 2 ns (completion times are rounded up to whole nanoseconds).
    fn close(t: SimTime, x: f64) -> bool {
        (t.as_secs_f64() - x).abs() < 2e-9
    }

    /// 100 B/s. A: 100 B at t=0; B: 50 B at t=0.5.
    /// 0–0.5: A alone, 50 B moved (50 left). 0.5–: 50 B/s each; both have
    /// 50 B left → both finish at 1.5.
    #[test]
    fn two_transfers_share_fairly() {
        let mut p = Pipe::new(100.0);
        assert_eq!(p.start(s(0.0), 1, 100), s(1.0));
        // B slows A down: the completion moves from 1 to 1.5.
        assert_eq!(p.start(s(0.5), 2, 50), s(1.5));
        let mut done = Vec::new();
        assert_eq!(p.complete(s(1.5), &mut done), None);
        assert_eq!(done, vec![1, 2]);
        assert_eq!(p.len(), 0);
    }

    /// A: 300 B, B: 100 B, both at 0 on 100 B/s: B ends at 2 (100 B at 50/s);
    /// A has 200 left, alone at 100/s: ends at 4.
    #[test]
    fn the_short_one_ends_first_then_the_rest_speeds_up() {
        let mut p = Pipe::new(100.0);
        p.start(s(0.0), 1, 300);
        let t = p.start(s(0.0), 2, 100);
        assert_eq!(t, s(2.0));
        let mut done = Vec::new();
        let t = p.complete(t, &mut done).unwrap();
        assert_eq!(done, vec![2]);
        assert_eq!(t, s(4.0));
        done.clear();
        assert_eq!(p.complete(t, &mut done), None);
        assert_eq!(done, vec![1]);
    }

    /// 100 B/s, every transfer capped at 30 B/s: A (60 B) alone moves at
    /// min(30, 100/1) = 30 B/s and would end at 2; B (60 B) joins at 1 and
    /// both move at min(30, 100/2) = 30: A ends at 2, B at 3. Then C, D
    /// (150 B each) and E (15 B) start at 3, capped at 40: each gets
    /// min(40, 100/3) = 33.3 B/s, so E ends at 3 + 15/33.3 = 3.45; C and D
    /// then have 135 B left and get min(40, 100/2) = 40: they end at
    /// 3.45 + 135/40 = 6.825.
    #[test]
    fn a_cap_limits_each_transfer() {
        let mut p = Pipe::new(100.0);
        let t = p.start_capped(s(0.0), 1, 60, 30.0);
        assert_eq!(t, s(2.0));
        let t = p.start_capped(s(1.0), 2, 60, 30.0);
        assert_eq!(t, s(2.0));
        let mut done = Vec::new();
        let t = p.complete(t, &mut done).unwrap();
        assert_eq!(done, vec![1]);
        assert_eq!(t, s(3.0));
        done.clear();
        assert_eq!(p.complete(t, &mut done), None);
        assert_eq!(done, vec![2]);
        done.clear();
        p.start_capped(s(3.0), 3, 150, 40.0);
        p.start_capped(s(3.0), 4, 150, 40.0);
        let t = p.start_capped(s(3.0), 5, 15, 40.0);
        assert!(close(t, 3.45), "{t:?}");
        let t = p.complete(t, &mut done).unwrap();
        assert_eq!(done, vec![5]);
        assert!(close(t, 6.825), "{t:?}");
        done.clear();
        assert_eq!(p.complete(t, &mut done), None);
        assert_eq!(done, vec![3, 4]);
    }

    /// Max-min fairness with unequal caps: 100 B/s; A capped at 10 B/s, B
    /// at 60, C uncapped. A's cap is below the equal split (33.3): A gets
    /// 10, and the 90 left split evenly between B and C (45 each, under
    /// B's cap). A (10 B) and B (45 B) end at 1; C (90 B) has 45 B left
    /// and, alone, moves at 100 B/s: it ends at 1.45.
    #[test]
    fn spare_rate_goes_to_the_uncapped() {
        let mut p = Pipe::new(100.0);
        p.start_capped(s(0.0), 1, 10, 10.0);
        p.start_capped(s(0.0), 2, 45, 60.0);
        let t = p.start(s(0.0), 3, 90);
        assert_eq!(t, s(1.0));
        let mut done = Vec::new();
        let t = p.complete(t, &mut done).unwrap();
        assert_eq!(done, vec![1, 2]);
        assert!(close(t, 1.45), "{t:?}");
        done.clear();
        assert_eq!(p.complete(t, &mut done), None);
        assert_eq!(done, vec![3]);
    }
}
