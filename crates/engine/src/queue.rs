//! The event queue: a binary heap keyed by `(time, sequence)`.

use crate::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest
    /// `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events ordered by `(time, sequence number)`.
///
/// The sequence number is assigned at [`push`](EventQueue::push) and grows by
/// one per push, so events scheduled for the same instant pop in insertion
/// order. This is what makes a run deterministic even when many events share
/// a timestamp (which integer nanoseconds make common: a zero-length unload,
/// a batch of arrivals in one trace second).
///
/// Architecture invariant: `pop` never returns an event earlier than the one
/// it returned before, provided no event is pushed into the past. The queue
/// itself does not check that; the model driving it does (`mmesim-core`
/// panics with `BUG:` if time would go backwards).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }

    /// An empty queue with room for `n` events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), next_seq: 0 }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Removes and returns the earliest event (FIFO among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Reserves the next sequence number without pushing anything: for a
    /// model that keeps a side queue of its own (say, timers armed in
    /// deadline order) and merges it with this one by `(time, seq)`.
    #[inline]
    pub fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The `(time, seq)` key of the earliest event, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<(SimTime, u64)> {
        self.heap.peek().map(|e| (e.time, e.seq))
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Total number of events ever pushed (the next sequence number).
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            q.push(SimTime::from_secs(7), i);
        }
        q.push(SimTime::from_secs(3), 9999);
        assert_eq!(q.pop(), Some((SimTime::from_secs(3), 9999)));
        for i in 0..1000u32 {
            assert_eq!(q.pop(), Some((SimTime::from_secs(7), i)));
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn reserved_sequence_numbers_interleave() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_secs(1), 'a');
        let s = q.take_seq();
        q.push(SimTime::from_secs(1), 'b');
        assert_eq!(s, 1);
        assert_eq!(q.peek_key(), Some((SimTime::from_secs(1), 0)));
        assert_eq!(q.pushed(), 3);
        q.pop();
        // 'b' was pushed after the reserved number: it sorts after it.
        assert!(q.peek_key().unwrap() > (SimTime::from_secs(1), s));
    }

    proptest! {
        /// Popping yields events sorted by time, and within a time by push
        /// order: exactly a stable sort of the pushes by time.
        #[test]
        fn pops_are_a_stable_sort(times in proptest::collection::vec(0u64..20, 0..300)) {
            let mut q = EventQueue::new();
            for (i, &t) in times.iter().enumerate() {
                q.push(SimTime::from_nanos(t), i);
            }
            let mut expected: Vec<(SimTime, usize)> =
                times.iter().enumerate().map(|(i, &t)| (SimTime::from_nanos(t), i)).collect();
            expected.sort_by_key(|&(t, _)| t); // stable
            let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert_eq!(got, expected);
        }

        /// Interleaved pushes (never into the past) and pops never make
        /// time go backwards.
        #[test]
        fn time_never_goes_backwards(ops in proptest::collection::vec((any::<bool>(), 0u64..50), 1..400)) {
            let mut q = EventQueue::new();
            let mut now = SimTime::ZERO;
            for (pop, dt) in ops {
                if pop {
                    if let Some((t, ())) = q.pop() {
                        prop_assert!(t >= now);
                        now = t;
                    }
                } else {
                    q.push(SimTime::from_nanos(now.as_nanos() + dt), ());
                }
            }
        }
    }
}
