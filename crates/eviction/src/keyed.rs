//! The priority order shared by the key-ordered policies (`lfu`, `lfuda`,
//! `gds`, `gdsf`).
//!
//! ```text
//! state:         a sequence s, ticking on every insert and rekey
//! insert(x, k):  key[x] = k; seq[x] = s++
//! rekey(x, f):   key[x] = f(key[x], data[x]); seq[x] = s++
//! first_unpinned: walk the objects by (key, seq) ascending,
//!                return the first x that is not pinned
//! remove(x):     forget x, returning its key and data
//! ```
//!
//! Equal keys go by sequence, lowest (least recently inserted or rekeyed)
//! first, so for policies that rekey on every access ties are broken by
//! recency. Each id also carries a small piece of policy data `V` (a
//! frequency, a cost ratio), kept with the key so it is forgotten with it.
//! Protocol violations (inserting a present id, rekeying or removing an
//! absent one) are caller bugs and panic with the policy's name.
//!
//! Cost: O(log n) insert, rekey and remove (an ordered set of
//! `(key, seq, id)` plus per-id state in a dense array grown on demand);
//! `first_unpinned` is O(log n + pinned objects skipped).

use std::collections::BTreeSet;

#[derive(Clone, Copy)]
struct Slot<K, V> {
    key: K,
    /// Sequence number at the last insert or rekey.
    seq: u64,
    data: V,
}

/// Objects ordered by `(key, seq)`; see the module notes.
#[derive(Clone)]
pub(crate) struct KeyedOrder<K, V = ()> {
    /// The policy's name, for panic messages.
    name: &'static str,
    /// Per-id state, `None` when the id is absent.
    slots: Vec<Option<Slot<K, V>>>,
    /// `(key, seq, id)` of every present object.
    order: BTreeSet<(K, u64, u32)>,
    seq: u64,
}

impl<K: Ord + Copy, V: Copy> KeyedOrder<K, V> {
    /// An empty order for the policy `name`.
    pub(crate) fn new(name: &'static str) -> Self {
        KeyedOrder { name, slots: Vec::new(), order: BTreeSet::new(), seq: 0 }
    }

    fn slot(&self, id: u32) -> Option<&Slot<K, V>> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn tick(&mut self) -> u64 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    /// Panics unless `id` is absent (the check `insert` makes, for callers
    /// that validate more before computing the key).
    pub(crate) fn check_absent(&self, id: u32) {
        if self.slot(id).is_some() {
            panic!("BUG: {}: object {id} inserted twice", self.name);
        }
    }

    /// Adds `id` with `key` and `data`; panics if it is present.
    pub(crate) fn insert(&mut self, id: u32, key: K, data: V) {
        self.check_absent(id);
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        let seq = self.tick();
        self.slots[i] = Some(Slot { key, seq, data });
        self.order.insert((key, seq, id));
    }

    /// Replaces the key of `id` by `f(old key, &mut data)` and moves it
    /// behind its equals; panics if `id` is absent.
    pub(crate) fn rekey(&mut self, id: u32, f: impl FnOnce(K, &mut V) -> K) {
        if self.slot(id).is_none() {
            panic!("BUG: {}: access to absent object {id}", self.name);
        }
        let seq = self.tick();
        let Some(s) = self.slots[id as usize].as_mut() else { unreachable!() };
        self.order.remove(&(s.key, s.seq, id));
        s.key = f(s.key, &mut s.data);
        s.seq = seq;
        self.order.insert((s.key, s.seq, id));
    }

    /// Forgets `id`, returning its key and data; panics if it is absent.
    pub(crate) fn remove(&mut self, id: u32) -> (K, V) {
        let Some(s) = self.slots.get_mut(id as usize).and_then(Option::take) else {
            panic!("BUG: {}: removal of absent object {id}", self.name);
        };
        self.order.remove(&(s.key, s.seq, id));
        (s.key, s.data)
    }

    /// The key of `id`, if present.
    pub(crate) fn key(&self, id: u32) -> Option<K> {
        self.slot(id).map(|s| s.key)
    }

    /// The data of `id`, if present.
    pub(crate) fn data(&self, id: u32) -> Option<V> {
        self.slot(id).map(|s| s.data)
    }

    /// Present ids by `(key, seq)` ascending.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.order.iter().map(|&(_, _, id)| id)
    }

    /// The first id in order that is not pinned.
    pub(crate) fn first_unpinned(&self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.ids().find(|&id| !pinned(id))
    }

    /// Number of present ids.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}
