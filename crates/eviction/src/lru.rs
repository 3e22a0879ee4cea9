//! LRU: least recently used.
//!
//! ```text
//! on insert(x):  push x at the head (most recent)
//! on access(x):  move x to the head
//! victim():      walk from the tail (least recent) towards the head,
//!                return the first x that is not pinned
//! on remove(x):  unlink x
//! ```
//!
//! The classic; the default of both tiers, and what SageMaker multi-model
//! endpoints do. Reference: e.g. A. Dan, D. Towsley, "An approximate
//! analysis of the LRU and FIFO buffer replacement schemes",
//! SIGMETRICS 1990; its hit ratio under independent references is
//! predicted by Che's approximation (H. Che, Y. Tung, Z. Wang, IEEE JSAC
//! 2002).
//!
//! Cost: O(1) insert, access and remove (an intrusive doubly linked list
//! over a dense array indexed by object id); `victim` is O(1 + pinned
//! objects skipped at the tail).

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Node {
    prev: u32,
    next: u32,
    present: bool,
}

const EMPTY: Node = Node { prev: NIL, next: NIL, present: false };

/// Least-recently-used eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Lru {
    nodes: Vec<Node>,
    head: u32,
    tail: u32,
    len: usize,
    /// Name in `BUG:` messages (the list also serves `fifo` and `ttl`).
    name: &'static str,
}

impl Default for Lru {
    fn default() -> Self {
        Lru::new()
    }
}

impl Lru {
    /// An empty LRU list.
    pub fn new() -> Self {
        Self::named("lru")
    }

    /// An empty list that names itself `name` in protocol-violation panics
    /// (for policies built on it).
    pub(crate) fn named(name: &'static str) -> Self {
        Lru { nodes: Vec::new(), head: NIL, tail: NIL, len: 0, name }
    }

    /// Whether `id` is in the list.
    #[inline]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.nodes.get(id as usize).is_some_and(|n| n.present)
    }

    fn unlink(&mut self, id: u32) {
        let Node { prev, next, .. } = self.nodes[id as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn push_head(&mut self, id: u32) {
        let n = &mut self.nodes[id as usize];
        n.prev = NIL;
        n.next = self.head;
        if self.head == NIL {
            self.tail = id;
        } else {
            self.nodes[self.head as usize].prev = id;
        }
        self.head = id;
    }

    /// The least recently used object that `pinned` does not reject.
    pub fn lru_unpinned(&self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let mut x = self.tail;
        while x != NIL {
            if !pinned(x) {
                return Some(x);
            }
            x = self.nodes[x as usize].prev;
        }
        None
    }

    /// Ids from most to least recently used (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        let mut x = self.head;
        while x != NIL {
            v.push(x);
            x = self.nodes[x as usize].next;
        }
        v
    }
}

impl Evictor for Lru {
    fn name(&self) -> &str {
        "lru"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.nodes.len() {
            self.nodes.resize(i + 1, EMPTY);
        }
        if self.nodes[i].present {
            panic!("BUG: {}: object {id} inserted twice", self.name);
        }
        self.nodes[i].present = true;
        self.len += 1;
        self.push_head(id);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.nodes.get(id as usize).is_some_and(|n| n.present) {
            panic!("BUG: {}: access to absent object {id}", self.name);
        }
        if self.head != id {
            self.unlink(id);
            self.push_head(id);
        }
    }

    fn on_remove(&mut self, id: u32) {
        if !self.nodes.get(id as usize).is_some_and(|n| n.present) {
            panic!("BUG: {}: removal of absent object {id}", self.name);
        }
        self.unlink(id);
        self.nodes[id as usize] = EMPTY;
        self.len -= 1;
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.lru_unpinned(pinned)
    }

    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn prefetch(&self, id: u32) -> u64 {
        self.nodes.get(id as usize).map_or(0, |n| n.prev as u64 ^ n.next as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{ctx, meta};

    /// Hand trace: insert 1 2 3, access 1, victim is 2; pin 2, victim is 3;
    /// remove 3, access 2, victim is 1.
    #[test]
    fn hand_trace() {
        let mut l = Lru::new();
        for id in [1, 2, 3] {
            l.on_insert(id, meta(), ctx());
        }
        l.on_access(1, ctx());
        assert_eq!(l.order(), vec![1, 3, 2]);
        assert_eq!(l.victim(&|_| false), Some(2));
        assert_eq!(l.victim(&|x| x == 2), Some(3));
        l.on_remove(3);
        l.on_access(2, ctx());
        assert_eq!(l.order(), vec![2, 1]);
        assert_eq!(l.victim(&|_| false), Some(1));
        assert_eq!(l.victim(&|_| true), None);
        assert_eq!(l.len(), 2);
        l.on_remove(1);
        l.on_remove(2);
        assert_eq!(l.victim(&|_| false), None);
        assert!(l.is_empty());
        assert_eq!(Lru::default().victim(&|_| false), None);
    }
}
