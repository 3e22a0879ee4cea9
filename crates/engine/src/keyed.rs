//! A min-heap holding at most one pending key per dense id, whose key
//! moves in place.

use crate::SimTime;

const NONE: u32 = u32::MAX;

/// A 4-ary min-heap of `(time, sequence)` keys, at most one per dense
/// `u32` id, for things that always have exactly one next event — a
/// shared link's next completion, say — whose time changes while it is
/// pending.
///
/// An [`EventQueue`](crate::EventQueue) cannot move an event: a model
/// that reschedules pushes a new one and must recognise the old one as
/// stale when it pops (a generation number), so stale entries fill the
/// heap and cost a push and a pop each. Here [`set`](KeyedHeap::set)
/// moves the id's one entry to its new key (O(log n)) and
/// [`remove`](KeyedHeap::remove) takes it out: nothing stale is ever
/// kept.
///
/// The sequence numbers are the caller's: take them from the
/// [`EventQueue`](crate::EventQueue) the heap is merged with
/// ([`take_seq`](crate::EventQueue::take_seq)), and an entry sorts among
/// that queue's events exactly as if it had been pushed there.
///
/// ```
/// use mmesim_engine::{KeyedHeap, SimTime};
///
/// let mut h = KeyedHeap::new();
/// h.set(7, SimTime::from_secs(5), 0);
/// h.set(3, SimTime::from_secs(2), 1);
/// h.set(7, SimTime::from_secs(1), 2); // moved: 7 is now first
/// assert_eq!(h.peek_key(), Some((SimTime::from_secs(1), 2)));
/// assert_eq!(h.pop(), Some((SimTime::from_secs(1), 7)));
/// assert!(h.remove(3));
/// assert!(h.pop().is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyedHeap {
    /// `(key, id)` entries, a 4-ary min-heap by key (half a binary
    /// heap's depth, as the event queue): the children of `i` are
    /// `4i + 1 ..= 4i + 4`. The key packs the time in its high 64
    /// bits and the sequence number in the low ones.
    heap: Vec<(u128, u32)>,
    /// `pos[id]`: the index of `id`'s entry in `heap`, `NONE` if it has
    /// none. Grows with the largest id seen.
    pos: Vec<u32>,
}

#[inline(always)]
fn key(time: SimTime, seq: u64) -> u128 {
    (time.as_nanos() as u128) << 64 | seq as u128
}

#[inline(always)]
fn unkey(k: u128) -> (SimTime, u64) {
    (SimTime::from_nanos((k >> 64) as u64), k as u64)
}

impl KeyedHeap {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives `id` the key `(time, seq)`: inserts its entry, or moves the
    /// one it has.
    pub fn set(&mut self, id: u32, time: SimTime, seq: u64) {
        let k = key(time, seq);
        let i = id as usize;
        if i >= self.pos.len() {
            self.pos.resize(i + 1, NONE);
        }
        let at = self.pos[i];
        if at == NONE {
            self.heap.push((k, id));
            self.sift_up(self.heap.len() - 1);
        } else {
            let at = at as usize;
            let old = self.heap[at].0;
            self.heap[at].0 = k;
            if k < old {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
    }

    /// Takes `id`'s entry out; `false` if it had none.
    pub fn remove(&mut self, id: u32) -> bool {
        let Some(&at) = self.pos.get(id as usize) else { return false };
        if at == NONE {
            return false;
        }
        self.take(at as usize);
        true
    }

    /// The earliest entry's time and id, left in place: a caller that
    /// will [`set`](KeyedHeap::set) the id again (a link's next completion)
    /// moves it down once, instead of popping it and pushing it back.
    #[inline]
    pub fn peek(&self) -> Option<(SimTime, u32)> {
        self.heap.first().map(|&(k, id)| (unkey(k).0, id))
    }

    /// The earliest key, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<(SimTime, u64)> {
        self.heap.first().map(|&(k, _)| unkey(k))
    }

    /// The earliest key packed as
    /// [`EventQueue::peek_packed`](crate::EventQueue::peek_packed) packs
    /// it (`u128::MAX` when empty).
    #[inline]
    pub fn peek_packed(&self) -> u128 {
        self.heap.first().map_or(u128::MAX, |&(k, _)| k)
    }

    /// Removes the earliest entry and returns its time and id.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, u32)> {
        let &(k, id) = self.heap.first()?;
        self.take(0);
        Some((unkey(k).0, id))
    }

    /// The key `id` has, if any.
    pub fn get(&self, id: u32) -> Option<(SimTime, u64)> {
        match self.pos.get(id as usize) {
            Some(&at) if at != NONE => Some(unkey(self.heap[at as usize].0)),
            _ => None,
        }
    }

    /// Number of ids with an entry.
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no id has an entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes the entry at heap index `at`: the last entry takes its
    /// place and moves up or down to fit.
    fn take(&mut self, at: usize) {
        let (gone, id) = self.heap[at];
        self.pos[id as usize] = NONE;
        let Some(last) = self.heap.pop() else { return };
        if at == self.heap.len() {
            return; // it was the last entry
        }
        self.heap[at] = last;
        self.pos[last.1 as usize] = at as u32;
        if last.0 < gone {
            self.sift_up(at);
        } else {
            self.sift_down(at);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 4;
            let p = self.heap[parent];
            if p.0 <= e.0 {
                break;
            }
            self.heap[i] = p;
            self.pos[p.1 as usize] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
    }

    fn sift_down(&mut self, mut i: usize) {
        let e = self.heap[i];
        let n = self.heap.len();
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let c = if first + 4 <= n {
                // A full family (the usual case): a tournament of pairs.
                let k: &[(u128, u32); 4] = self.heap[first..first + 4].try_into().expect("4 entries");
                let (a, ka) = if k[1].0 < k[0].0 { (1, k[1].0) } else { (0, k[0].0) };
                let (b, kb) = if k[3].0 < k[2].0 { (3, k[3].0) } else { (2, k[2].0) };
                first + if kb < ka { b } else { a }
            } else {
                (first + 1..n).fold(first, |m, c| if self.heap[c].0 < self.heap[m].0 { c } else { m })
            };
            let child = self.heap[c];
            if e.0 <= child.0 {
                break;
            }
            self.heap[i] = child;
            self.pos[child.1 as usize] = i as u32;
            i = c;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn t(s: u64) -> SimTime {
        SimTime::from_nanos(s)
    }

    /// Hand trace: moves up, moves down, removal from the middle, ties
    /// by sequence.
    #[test]
    fn keys_move_in_place() {
        let mut h = KeyedHeap::new();
        h.set(0, t(10), 0);
        h.set(1, t(20), 1);
        h.set(2, t(30), 2);
        h.set(3, t(20), 3); // same time as 1, later sequence
        assert_eq!(h.len(), 4);
        h.set(2, t(5), 4); // up to the top
        assert_eq!(h.peek_key(), Some((t(5), 4)));
        h.set(2, t(40), 5); // back down to the bottom
        assert_eq!(h.get(2), Some((t(40), 5)));
        assert!(h.remove(0));
        assert!(!h.remove(0), "already gone");
        assert!(!h.remove(99), "never seen");
        assert_eq!(h.get(0), None);
        let order: Vec<_> = std::iter::from_fn(|| h.pop()).collect();
        assert_eq!(order, [(t(20), 1), (t(20), 3), (t(40), 2)]);
        assert!(h.is_empty());
        // Ids are reusable once popped or removed.
        h.set(1, t(1), 6);
        assert_eq!(h.pop(), Some((t(1), 1)));
        // Peeked, an entry stays; set again, it moves down in place.
        h.set(4, t(2), 7);
        h.set(5, t(3), 8);
        assert_eq!(h.peek(), Some((t(2), 4)));
        assert_eq!(h.len(), 2);
        h.set(4, t(9), 9);
        assert_eq!(h.peek(), Some((t(3), 5)));
        assert_eq!(std::iter::from_fn(|| h.pop()).collect::<Vec<_>>(), [(t(3), 5), (t(9), 4)]);
    }

    proptest! {
        /// Any interleaving of sets, removals and pops gives what an
        /// ordered map keyed by `(time, seq)` (with an id → key map)
        /// gives, and every id's recorded position is its entry's.
        #[test]
        fn matches_an_ordered_map(ops in proptest::collection::vec((0u8..4, 0u32..40, 0u64..30), 1..500)) {
            let mut h = KeyedHeap::new();
            let mut by_key: BTreeMap<(u64, u64), u32> = BTreeMap::new();
            let mut by_id: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
            for (seq, (op, id, time)) in ops.into_iter().enumerate() {
                let seq = seq as u64;
                match op {
                    0 | 1 => {
                        h.set(id, t(time), seq);
                        if let Some(old) = by_id.insert(id, (time, seq)) {
                            by_key.remove(&old);
                        }
                        by_key.insert((time, seq), id);
                    }
                    2 => {
                        let had = by_id.remove(&id);
                        if let Some(k) = had {
                            by_key.remove(&k);
                        }
                        prop_assert_eq!(h.remove(id), had.is_some());
                    }
                    _ => {
                        let want = by_key.pop_first().map(|((time, _), id)| {
                            by_id.remove(&id);
                            (t(time), id)
                        });
                        prop_assert_eq!(h.pop(), want);
                    }
                }
                prop_assert_eq!(h.len(), by_key.len());
                prop_assert_eq!(h.peek_key(), by_key.keys().next().map(|&(time, s)| (t(time), s)));
                prop_assert_eq!(h.peek_packed(), by_key.keys().next().map_or(u128::MAX, |&(time, s)| (time as u128) << 64 | s as u128));
                for id in 0..40u32 {
                    prop_assert_eq!(h.get(id), by_id.get(&id).map(|&(time, s)| (t(time), s)));
                }
                for (i, &(_, id)) in h.heap.iter().enumerate() {
                    prop_assert_eq!(h.pos[id as usize] as usize, i);
                }
            }
        }
    }
}
