//! FIFO: first in, first out.
//!
//! ```text
//! on insert(x):  push x at the head (newest)
//! on access(x):  nothing (a hit does not change the order)
//! victim():      walk from the tail (oldest) towards the head,
//!                return the first x that is not pinned
//! on remove(x):  unlink x
//! ```
//!
//! The simplest replacement policy: an object's place in line is fixed when
//! it enters, so hits cost nothing to record. Reference: A. Dan,
//! D. Towsley, "An approximate analysis of the LRU and FIFO buffer
//! replacement schemes", SIGMETRICS 1990 (FIFO and LRU compared under
//! independent references).
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

/// First-in-first-out eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Fifo {
    nodes: Vec<Node>,
    /// Newest object.
    head: u32,
    /// Oldest object.
    tail: u32,
    len: usize,
}

impl Default for Fifo {
    fn default() -> Self {
        Self::new()
    }
}

impl Fifo {
    /// An empty FIFO queue.
    pub fn new() -> Self {
        Fifo { nodes: Vec::new(), head: NIL, tail: NIL, len: 0 }
    }

    fn is_present(&self, id: u32) -> bool {
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

    /// Ids from oldest to newest, i.e. in eviction order (for tests and
    /// inspection).
    pub fn order(&self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        let mut x = self.tail;
        while x != NIL {
            v.push(x);
            x = self.nodes[x as usize].prev;
        }
        v
    }
}

impl Evictor for Fifo {
    fn name(&self) -> &str {
        "fifo"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.nodes.len() {
            self.nodes.resize(i + 1, EMPTY);
        }
        if self.nodes[i].present {
            panic!("BUG: fifo: object {id} inserted twice");
        }
        self.nodes[i].present = true;
        self.len += 1;
        self.push_head(id);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.is_present(id) {
            panic!("BUG: fifo: access to absent object {id}");
        }
    }

    fn on_remove(&mut self, id: u32) {
        if !self.is_present(id) {
            panic!("BUG: fifo: removal of absent object {id}");
        }
        self.unlink(id);
        self.nodes[id as usize] = EMPTY;
        self.len -= 1;
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let mut x = self.tail;
        while x != NIL {
            if !pinned(x) {
                return Some(x);
            }
            x = self.nodes[x as usize].prev;
        }
        None
    }

    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, ctx, meta};

    /// Hand trace: insert 1 2 3, access 1 and 3 (no effect): order 1 2 3,
    /// victim 1. Remove 1, insert 4, access 2: order 2 3 4, victim 2.
    /// Remove 3 (never proposed), insert 1 again: order 2 4 1; removing
    /// victims one by one gives 2, 4, 1.
    #[test]
    fn hand_trace() {
        let mut f = Fifo::new();
        for id in [1, 2, 3] {
            f.on_insert(id, meta(), ctx());
        }
        f.on_access(1, ctx());
        f.on_access(3, ctx());
        assert_eq!(f.order(), vec![1, 2, 3]);
        assert_eq!(f.victim(&|_| false), Some(1));
        assert_eq!(f.victim(&|_| false), Some(1), "proposing does not forget");
        f.on_remove(1);
        f.on_insert(4, meta(), ctx());
        f.on_access(2, ctx());
        assert_eq!(f.order(), vec![2, 3, 4]);
        assert_eq!(f.victim(&|_| false), Some(2));
        f.on_remove(3);
        f.on_insert(1, meta(), ctx());
        assert_eq!(f.order(), vec![2, 4, 1]);
        assert_eq!(f.len(), 3);
        let mut evicted = Vec::new();
        while let Some(v) = f.victim(&|_| false) {
            f.on_remove(v);
            evicted.push(v);
        }
        assert_eq!(evicted, vec![2, 4, 1]);
        assert!(f.is_empty());
    }

    /// Pinned objects are skipped in age order; all pinned gives `None`.
    #[test]
    fn skips_pinned() {
        let mut f = Fifo::new();
        for id in [5, 0, 9] {
            f.on_insert(id, meta(), ctx());
        }
        assert_eq!(f.victim(&|x| x == 5), Some(0));
        assert_eq!(f.victim(&|x| x != 9), Some(9));
        assert_eq!(f.victim(&|_| true), None);
        assert_eq!(f.len(), 3);
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Fifo::new, meta(), "access to", [2, 7, 2]);
    }
}
