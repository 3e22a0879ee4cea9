//! The event queue: a 4-ary heap keyed by `(time, sequence)`.

use crate::SimTime;

/// A pending event and its key: `time` in the high 64 bits, the sequence
/// number in the low ones, so one integer comparison orders by
/// `(time, sequence)`.
#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn time(&self) -> SimTime {
        SimTime::from_nanos((self.key >> 64) as u64)
    }
}

#[inline(always)]
fn key(time: SimTime, seq: u64) -> u128 {
    (time.as_nanos() as u128) << 64 | seq as u128
}

/// Children per node. Four halve the heap's depth against a binary heap
/// and keep a node's children in one or two cache lines
/// (`benches/engine.rs`, `event_loop/hold`; docs/PERFORMANCE.md).
const ARITY: usize = 4;

/// A priority queue of events ordered by `(time, sequence number)`.
///
/// The sequence number is assigned at [`push`](EventQueue::push) and grows by
/// one per push, so events scheduled for the same instant pop in insertion
/// order. This is what makes a run deterministic even when many events share
/// a timestamp (which integer nanoseconds make common: a zero-length unload,
/// a batch of arrivals in one trace second).
///
/// Events are small plain values (`Copy`: an enum of ids), moved by copy
/// as they sift through a 4-ary heap whose entries compare by one `u128`.
///
/// Architecture invariant: `pop` never returns an event earlier than the one
/// it returned before, provided no event is pushed into the past. The queue
/// itself does not check that; the model driving it does (`mmesim-core`
/// panics with `BUG:` if time would go backwards).
pub struct EventQueue<E> {
    /// A 4-ary min-heap by key: the children of `i` are `4i + 1 ..= 4i + 4`.
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: Vec::new(), next_seq: 0 }
    }

    /// An empty queue with room for `n` events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: Vec::with_capacity(n), next_seq: 0 }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let e = Entry { key: key(time, seq), event };
        // Sift up: move parents down into the hole until `e` fits.
        let mut i = self.heap.len();
        self.heap.push(e);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = self.heap[parent];
            if p.key <= e.key {
                break;
            }
            self.heap[i] = p;
            i = parent;
        }
        self.heap[i] = e;
    }

    /// Removes and returns the earliest event (FIFO among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let Some(&top) = self.heap.first() else { return Some((last.time(), last.event)) };
        // Sift `last` down from the root: move the least child up into
        // the hole until `last` fits.
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let best = if first + ARITY <= n {
                // A full family (the usual case): a tournament of pairs,
                // no loop, no bounds checks past the one slice.
                let k: &[Entry<E>; ARITY] = self.heap[first..first + ARITY].try_into().expect("ARITY entries");
                let (a, ka) = if k[1].key < k[0].key { (1, k[1].key) } else { (0, k[0].key) };
                let (b, kb) = if k[3].key < k[2].key { (3, k[3].key) } else { (2, k[2].key) };
                first + if kb < ka { b } else { a }
            } else {
                (first + 1..n).fold(first, |m, c| if self.heap[c].key < self.heap[m].key { c } else { m })
            };
            let b = self.heap[best];
            if last.key <= b.key {
                break;
            }
            self.heap[i] = b;
            i = best;
        }
        self.heap[i] = last;
        Some((top.time(), top.event))
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

    /// The earliest event, if any (say, to prefetch what it will read).
    #[inline]
    pub fn peek(&self) -> Option<&E> {
        self.heap.first().map(|e| &e.event)
    }

    /// The `(time, seq)` key of the earliest event, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<(SimTime, u64)> {
        self.heap.first().map(|e| (e.time(), e.key as u64))
    }

    /// The earliest event's key packed into one integer, `time` in the
    /// high 64 bits and the sequence number in the low ones (`u128::MAX`
    /// when empty): one comparison orders it against the keys of other
    /// queues that take their numbers from this one
    /// ([`KeyedHeap::peek_packed`](crate::KeyedHeap::peek_packed), a side
    /// queue's `(time, seq)` packed the same way).
    #[inline]
    pub fn peek_packed(&self) -> u128 {
        self.heap.first().map_or(u128::MAX, |e| e.key)
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| e.time())
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
            // `peek` names the event the next `pop` takes.
            let got: Vec<_> = std::iter::from_fn(|| {
                let peeked = q.peek().copied();
                let popped = q.pop();
                assert_eq!(peeked, popped.map(|(_, e)| e));
                popped
            })
            .collect();
            prop_assert_eq!(got, expected);
        }

        /// Interleaved pushes and pops give exactly what an ordered map
        /// keyed by `(time, push number)` gives: the heap's shape never
        /// shows.
        #[test]
        fn interleaved_ops_match_an_ordered_map(ops in proptest::collection::vec((0u8..3, 0u64..40), 1..600)) {
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeMap::new();
            let mut now = 0;
            for (i, (op, dt)) in ops.into_iter().enumerate() {
                if op == 0 {
                    let got = q.pop();
                    let want = model.pop_first().map(|((t, _), v)| (SimTime::from_nanos(t), v));
                    prop_assert_eq!(got, want);
                    if let Some((t, _)) = got {
                        now = t.as_nanos();
                    }
                } else {
                    q.push(SimTime::from_nanos(now + dt), i);
                    model.insert((now + dt, i), i);
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.peek_time(), model.keys().next().map(|&(t, _)| SimTime::from_nanos(t)));
                // The packed key's high half is the earliest time (all
                // ones when empty).
                let first = model.keys().next().map_or(u128::MAX >> 64, |&(t, _)| t as u128);
                prop_assert_eq!(q.peek_packed() >> 64, first);
            }
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
