//! Intrusive doubly linked lists over dense `u32` ids.
//!
//! Recency lists, FIFO queues and bucket lists all over mmesim keep small
//! dense ids (object ids of a cache, instance ids of a fleet) in an order
//! that changes in O(1): push at one end, unlink from anywhere, move to an
//! end. [`IdList`] is that list, written once: the links of id `i` are the
//! `i`-th entry of a vector (`(prev, next)`, `u32::MAX` for "none"), so an
//! operation allocates nothing once the vector has grown to the largest id
//! (it grows on demand), and an id is in the list or not in O(1) (a second
//! marker tells "not linked" from "linked at an end").
//!
//! [`IdLists`] is a family of such lists sharing one link vector, for
//! structures whose ids each sit in at most one of several lists (the
//! segments of S3-FIFO or ARC, the load buckets of a fleet): the links of
//! an id are stored once however many lists there are.
//!
//! Convention: the **front** is the most recent end (where LRU and FIFO
//! push), the **back** the oldest (where they evict). [`next`](IdList::next)
//! steps towards the back, [`prev`](IdList::prev) towards the front.
//!
//! Ids must be below `u32::MAX - 1` (the two markers).
//!
//! ```
//! use mmesim_engine::IdList;
//!
//! let mut l = IdList::new();
//! l.push_front(3);
//! l.push_front(7);
//! l.push_back(1);
//! assert_eq!(l.iter().collect::<Vec<_>>(), vec![7, 3, 1]);
//! l.move_to_front(1);
//! assert_eq!((l.front(), l.back()), (Some(1), Some(3)));
//! assert_eq!(l.next(1), Some(7));
//! assert!(l.remove(7) && !l.remove(7));
//! assert_eq!(l.pop_back(), Some(3));
//! assert_eq!(l.len(), 1);
//! ```

/// "No neighbour" (and "empty list") in a link.
const NIL: u32 = u32::MAX;
/// The `prev` and `next` of an id that is in no list. Valid ids are below
/// it, so `x < UNLINKED` tells an id from both markers in one comparison.
const UNLINKED: u32 = u32::MAX - 1;

/// The links of one id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    /// Towards the front; `NIL` at the front, `UNLINKED` if in no list.
    prev: u32,
    /// Towards the back; `NIL` at the back, `UNLINKED` if in no list.
    next: u32,
}

const FREE: Link = Link { prev: UNLINKED, next: UNLINKED };

/// The ends and length of one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ends {
    front: u32,
    back: u32,
    len: usize,
}

const EMPTY: Ends = Ends { front: NIL, back: NIL, len: 0 };

/// The marker-to-option conversion.
#[inline]
fn some(x: u32) -> Option<u32> {
    (x < UNLINKED).then_some(x)
}

/// The panic of [`IdLists::relink_front`] (out of line: the hot path only
/// branches to it).
#[cold]
#[inline(never)]
fn relink_mismatch(id: u32, from_a_list: bool) -> ! {
    if from_a_list {
        panic!("BUG: IdList: relink of id {id}, which is not linked");
    }
    panic!("BUG: IdList: id {id} is already linked");
}

/// Links `id`, which has room in `s` and no links, between `prev` and
/// `next` (neighbours in the list of `e`, or `NIL` at an end). On a slice,
/// not the vector: its length is loaded once, so the repeated indexing of
/// `id` is checked once.
#[inline(always)]
fn attach<T>(s: &mut [Slot<T>], e: &mut Ends, prev: u32, next: u32, id: u32) {
    s[id as usize].link = Link { prev, next };
    if prev == NIL {
        e.front = id;
    } else {
        s[prev as usize].link.next = id;
    }
    if next == NIL {
        e.back = id;
    } else {
        s[next as usize].link.prev = id;
    }
    e.len += 1;
}

/// Unlinks `id`, which must be linked in the list of `e`.
#[inline(always)]
fn unlink<T>(s: &mut [Slot<T>], e: &mut Ends, id: u32) {
    let Link { prev, next } = s[id as usize].link;
    debug_assert!(prev != UNLINKED, "BUG: IdList: id {id} is not linked");
    if prev == NIL {
        debug_assert_eq!(e.front, id, "BUG: IdLists: id {id} unlinked from a list it is not in");
        e.front = next;
    } else {
        s[prev as usize].link.next = next;
    }
    if next == NIL {
        debug_assert_eq!(e.back, id, "BUG: IdLists: id {id} unlinked from a list it is not in");
        e.back = prev;
    } else {
        s[next as usize].link.prev = prev;
    }
    s[id as usize].link = FREE;
    e.len -= 1;
}

/// An id's links and the data kept with them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot<T> {
    link: Link,
    data: T,
}

/// Link storage (and data, see [`IdLists::data`]) indexed by id, shared by
/// the lists whose ends are passed in. The one implementation of linking
/// and unlinking.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Links<T>(Vec<Slot<T>>);

impl<T> Default for Links<T> {
    fn default() -> Self {
        Links(Vec::new())
    }
}

impl<T: Default> Links<T> {
    #[inline]
    fn contains(&self, id: u32) -> bool {
        self.0.get(id as usize).is_some_and(|s| s.link.prev != UNLINKED)
    }

    #[inline]
    fn next(&self, id: u32) -> Option<u32> {
        some(self.0.get(id as usize).map_or(NIL, |s| s.link.next))
    }

    #[inline]
    fn prev(&self, id: u32) -> Option<u32> {
        some(self.0.get(id as usize).map_or(NIL, |s| s.link.prev))
    }

    /// Makes room for the links of `id` (the rare, out-of-line path).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, id: u32) {
        assert!(id < UNLINKED, "BUG: IdList: id {id} is reserved");
        self.0.resize_with(id as usize + 1, || Slot { link: FREE, data: T::default() });
    }

    /// Links `id`, which must not be linked, between `prev` and `next`
    /// (neighbours in the list of `e`, or `NIL` at an end).
    #[inline(always)]
    fn link(&mut self, e: &mut Ends, prev: u32, next: u32, id: u32) {
        if id as usize >= self.0.len() {
            self.grow(id);
        }
        let s = self.0.as_mut_slice();
        if s[id as usize].link.prev != UNLINKED {
            panic!("BUG: IdList: id {id} is already linked");
        }
        attach(s, e, prev, next, id);
    }

    /// [`link`](Self::link) for an id known to have room and no links.
    #[inline(always)]
    fn attach(&mut self, e: &mut Ends, prev: u32, next: u32, id: u32) {
        attach(&mut self.0, e, prev, next, id);
    }

    /// Unlinks `id`, which must be linked in the list of `e`.
    #[inline(always)]
    fn unlink(&mut self, e: &mut Ends, id: u32) {
        unlink(&mut self.0, e, id);
    }

    /// Unlinks `id` if it is linked (in the list of `e`).
    #[inline]
    fn remove(&mut self, e: &mut Ends, id: u32) -> bool {
        if !self.contains(id) {
            return false;
        }
        self.unlink(e, id);
        true
    }

    #[inline]
    fn check_linked(&self, id: u32, what: &str) {
        if !self.contains(id) {
            panic!("BUG: IdList: {what} of id {id}, which is not linked");
        }
    }

    #[inline]
    fn push_front(&mut self, e: &mut Ends, id: u32) {
        self.link(e, NIL, e.front, id);
    }

    #[inline]
    fn push_back(&mut self, e: &mut Ends, id: u32) {
        self.link(e, e.back, NIL, id);
    }

    #[inline]
    fn move_to_front(&mut self, e: &mut Ends, id: u32) {
        self.check_linked(id, "move_to_front");
        if e.front != id {
            self.unlink(e, id);
            self.attach(e, NIL, e.front, id);
        }
    }

    #[inline]
    fn move_to_back(&mut self, e: &mut Ends, id: u32) {
        self.check_linked(id, "move_to_back");
        if e.back != id {
            self.unlink(e, id);
            self.attach(e, e.back, NIL, id);
        }
    }

    #[inline]
    fn insert_after(&mut self, e: &mut Ends, at: u32, id: u32) {
        self.check_linked(at, "insert_after");
        let next = self.0[at as usize].link.next;
        self.link(e, at, next, id);
    }

    #[inline]
    fn insert_before(&mut self, e: &mut Ends, at: u32, id: u32) {
        self.check_linked(at, "insert_before");
        let prev = self.0[at as usize].link.prev;
        self.link(e, prev, at, id);
    }

    #[inline]
    fn pop_front(&mut self, e: &mut Ends) -> Option<u32> {
        let id = some(e.front)?;
        self.unlink(e, id);
        Some(id)
    }

    #[inline]
    fn pop_back(&mut self, e: &mut Ends) -> Option<u32> {
        let id = some(e.back)?;
        self.unlink(e, id);
        Some(id)
    }

    /// The ids of the list of `e`, from its front (`forward`) or back.
    #[inline]
    fn iter(&self, e: Ends, forward: bool) -> IdListIter<'_, T> {
        IdListIter { links: self, cur: if forward { e.front } else { e.back }, left: e.len, forward }
    }

    /// A value read from `id`'s links (see [`IdList::touch`]).
    #[inline]
    fn touch(&self, id: u32) -> u64 {
        self.0.get(id as usize).map_or(0, |s| s.link.prev as u64 ^ ((s.link.next as u64) << 32))
    }
}

/// An intrusive doubly linked list of distinct dense `u32` ids. See the
/// module notes.
///
/// Every operation is O(1) except [`iter`](Self::iter); none allocates
/// once the link vector covers the largest id pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdList {
    links: Links<()>,
    ends: Ends,
}

impl Default for IdList {
    fn default() -> Self {
        IdList::new()
    }
}

impl IdList {
    /// An empty list.
    pub fn new() -> Self {
        IdList { links: Links::default(), ends: EMPTY }
    }

    /// An empty list with room for the links of ids `0..n`.
    pub fn with_capacity(n: usize) -> Self {
        IdList { links: Links(Vec::with_capacity(n)), ends: EMPTY }
    }

    /// Links `id` at the front. Panics (`BUG:`) if it is already linked.
    #[inline]
    pub fn push_front(&mut self, id: u32) {
        self.links.push_front(&mut self.ends, id);
    }

    /// Links `id` at the back. Panics (`BUG:`) if it is already linked.
    #[inline]
    pub fn push_back(&mut self, id: u32) {
        self.links.push_back(&mut self.ends, id);
    }

    /// Links `id` right after `at` (on its back side). Panics (`BUG:`) if
    /// `at` is not linked or `id` is.
    #[inline]
    pub fn insert_after(&mut self, at: u32, id: u32) {
        self.links.insert_after(&mut self.ends, at, id);
    }

    /// Links `id` right before `at` (on its front side). Panics (`BUG:`) if
    /// `at` is not linked or `id` is.
    #[inline]
    pub fn insert_before(&mut self, at: u32, id: u32) {
        self.links.insert_before(&mut self.ends, at, id);
    }

    /// Unlinks `id`; `false` if it was not linked.
    #[inline]
    pub fn remove(&mut self, id: u32) -> bool {
        self.links.remove(&mut self.ends, id)
    }

    /// Moves `id` to the front. Panics (`BUG:`) if it is not linked.
    #[inline]
    pub fn move_to_front(&mut self, id: u32) {
        self.links.move_to_front(&mut self.ends, id);
    }

    /// Moves `id` to the back. Panics (`BUG:`) if it is not linked.
    #[inline]
    pub fn move_to_back(&mut self, id: u32) {
        self.links.move_to_back(&mut self.ends, id);
    }

    /// The id at the front (most recent), if any.
    #[inline]
    pub fn front(&self) -> Option<u32> {
        some(self.ends.front)
    }

    /// The id at the back (oldest), if any.
    #[inline]
    pub fn back(&self) -> Option<u32> {
        some(self.ends.back)
    }

    /// The id after `id` towards the back; `None` at the back or if `id`
    /// is not linked.
    #[inline]
    pub fn next(&self, id: u32) -> Option<u32> {
        self.links.next(id)
    }

    /// The id before `id` towards the front; `None` at the front or if
    /// `id` is not linked.
    #[inline]
    pub fn prev(&self, id: u32) -> Option<u32> {
        self.links.prev(id)
    }

    /// Unlinks and returns the front id.
    #[inline]
    pub fn pop_front(&mut self) -> Option<u32> {
        self.links.pop_front(&mut self.ends)
    }

    /// Unlinks and returns the back id.
    #[inline]
    pub fn pop_back(&mut self) -> Option<u32> {
        self.links.pop_back(&mut self.ends)
    }

    /// Whether `id` is linked.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        self.links.contains(id)
    }

    /// Number of linked ids.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len
    }

    /// Whether no id is linked.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.len == 0
    }

    /// Unlinks every id (the link vector keeps its capacity).
    pub fn clear(&mut self) {
        self.links.0.clear();
        self.ends = EMPTY;
    }

    /// The ids from front to back.
    #[inline]
    pub fn iter(&self) -> IdListIter<'_> {
        self.links.iter(self.ends, true)
    }

    /// The ids from back to front.
    #[inline]
    pub fn iter_rev(&self) -> IdListIter<'_> {
        self.links.iter(self.ends, false)
    }

    /// A performance hint: reads `id`'s links (bringing them into cache)
    /// and returns a value derived from them, for a caller to fold into
    /// `black_box` (as [`Evictor::prefetch`] does in `mmesim-core`).
    /// Changes nothing.
    ///
    /// [`Evictor::prefetch`]: https://docs.rs/mmesim-core
    #[inline]
    pub fn touch(&self, id: u32) -> u64 {
        self.links.touch(id)
    }
}

impl<'a> IntoIterator for &'a IdList {
    type Item = u32;
    type IntoIter = IdListIter<'a>;
    fn into_iter(self) -> IdListIter<'a> {
        self.iter()
    }
}

/// The ends of the lists of an [`IdLists`]: the first `N` in place (see
/// [`IdLists`]), the others in a vector. With `N` a constant, the
/// `list < N` tests fold away; for `N == 0` this is a plain vector.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Heads<const N: usize> {
    /// How many of the inline lists exist (all of them once `more` is not
    /// empty); the inline ends beyond stay empty.
    inline_count: usize,
    inline: [Ends; N],
    /// Lists `N..`.
    more: Vec<Ends>,
}

impl<const N: usize> Heads<N> {
    fn new(lists: usize) -> Self {
        let mut h = Heads { inline_count: 0, inline: [EMPTY; N], more: Vec::new() };
        if lists > 0 {
            h.add(lists - 1);
        }
        h
    }

    /// Number of lists.
    #[inline]
    fn count(&self) -> usize {
        if N == 0 || !self.more.is_empty() {
            N + self.more.len()
        } else {
            self.inline_count
        }
    }

    /// Creates the lists up to `list` (the rare, out-of-line path).
    #[cold]
    #[inline(never)]
    fn add(&mut self, list: usize) {
        if list < N {
            self.inline_count = self.inline_count.max(list + 1);
        } else {
            self.inline_count = N;
            self.more.resize(self.more.len().max(list + 1 - N), EMPTY);
        }
    }

    /// The ends of `list`, which exists.
    #[inline(always)]
    fn at(&mut self, list: usize) -> &mut Ends {
        if list < N {
            &mut self.inline[list]
        } else {
            &mut self.more[list - N]
        }
    }

    /// The ends of `list`, creating it (and those before it) if needed.
    #[inline(always)]
    fn make(&mut self, list: usize) -> &mut Ends {
        if list < N {
            if list >= self.inline_count {
                self.add(list);
            }
            &mut self.inline[list]
        } else {
            if list - N >= self.more.len() {
                self.add(list);
            }
            &mut self.more[list - N]
        }
    }

    /// The ends of `list` if it exists (an inline one may not yet, and is
    /// then empty).
    #[inline(always)]
    fn get_mut(&mut self, list: usize) -> Option<&mut Ends> {
        if list < N {
            Some(&mut self.inline[list])
        } else {
            self.more.get_mut(list - N)
        }
    }

    /// A copy of the ends of `list`; empty if it does not exist.
    #[inline(always)]
    fn get(&self, list: usize) -> Ends {
        if list < N {
            self.inline[list]
        } else {
            self.more.get(list - N).copied().unwrap_or(EMPTY)
        }
    }
}

/// Several intrusive lists (numbered `0..`) over one link vector: each id
/// is in at most one of them. See the module notes.
///
/// Each id can also keep data of type `T` next to its links
/// ([`data`](Self::data), [`data_mut`](Self::data_mut)), so a policy's
/// per-object state shares the links' cache line.
///
/// The operations are [`IdList`]'s with a list number; those that unlink
/// (`remove`, `move_to_*`) must be given the list the id is in (checked in
/// debug builds only when the id is at an end). A list number beyond the
/// current ones creates the lists up to it on a push and reads as an
/// empty list otherwise.
///
/// The ends of lists `0..N` are kept in the structure itself, those of the
/// others in a vector: a structure with a fixed handful of lists (S3-FIFO's
/// three, ARC's four) gives `N` and reaches them without following a
/// pointer or checking a length; the default `N = 0` suits any number of
/// lists (the load buckets of a fleet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdLists<T = (), const N: usize = 0> {
    links: Links<T>,
    ends: Heads<N>,
}

impl<T, const N: usize> Default for IdLists<T, N> {
    fn default() -> Self {
        IdLists { links: Links::default(), ends: Heads::new(0) }
    }
}

impl<T: Default, const N: usize> IdLists<T, N> {
    /// No list yet.
    pub fn new() -> Self {
        IdLists::default()
    }

    /// `lists` empty lists.
    pub fn with_lists(lists: usize) -> Self {
        IdLists { links: Links::default(), ends: Heads::new(lists) }
    }

    /// Number of lists (the empty ones included).
    #[inline]
    pub fn lists(&self) -> usize {
        self.ends.count()
    }

    #[inline]
    fn ends(&self, list: usize) -> Ends {
        self.ends.get(list)
    }

    /// Links `id` at the front of `list`. Panics (`BUG:`) if it is already
    /// linked (in any list).
    #[inline]
    pub fn push_front(&mut self, list: usize, id: u32) {
        self.links.push_front(self.ends.make(list), id);
    }

    /// Links `id` at the back of `list`. Panics (`BUG:`) if it is already
    /// linked (in any list).
    #[inline]
    pub fn push_back(&mut self, list: usize, id: u32) {
        self.links.push_back(self.ends.make(list), id);
    }

    /// Unlinks `id` from `list`, the list it is in; `false` if it was in
    /// no list.
    #[inline]
    pub fn remove(&mut self, list: usize, id: u32) -> bool {
        if !self.links.contains(id) {
            return false;
        }
        self.links.unlink(self.ends.at(list), id);
        true
    }

    /// Moves `id` to the front of `list`, the list it is in. Panics
    /// (`BUG:`) if it is not linked.
    #[inline]
    pub fn move_to_front(&mut self, list: usize, id: u32) {
        self.links.move_to_front(self.ends.at(list), id);
    }

    /// Moves `id` to the back of `list`, the list it is in. Panics
    /// (`BUG:`) if it is not linked.
    #[inline]
    pub fn move_to_back(&mut self, list: usize, id: u32) {
        self.links.move_to_back(self.ends.at(list), id);
    }

    /// Moves `id` from `from`, the list it is in, to the front of `to`
    /// (which may be `from`). Panics (`BUG:`) if it is not linked.
    #[inline]
    pub fn transfer_front(&mut self, from: usize, to: usize, id: u32) {
        self.relink(id, Some(from), Some(to), true);
    }

    /// Moves `id` from `from`, the list it is in, to the back of `to`
    /// (which may be `from`). Panics (`BUG:`) if it is not linked.
    #[inline]
    pub fn transfer_back(&mut self, from: usize, to: usize, id: u32) {
        self.relink(id, Some(from), Some(to), false);
    }

    /// Moves `id` from `from`, the list it is in (`None`: in no list), to
    /// the front of `to` (`None`: to no list, i.e. unlinks it). One step
    /// for a caller that keeps track of each id's list itself: a
    /// [`push_front`](Self::push_front), [`remove`](Self::remove) or
    /// [`transfer_front`](Self::transfer_front) as `from` and `to` say,
    /// with the one check that `id` is linked exactly when `from` is some.
    /// Panics (`BUG:`) if it is not. Returns `id`'s data (making room for
    /// it like [`data_mut`](Self::data_mut)), found by the same lookup.
    #[inline]
    pub fn relink_front(&mut self, id: u32, from: Option<usize>, to: Option<usize>) -> &mut T {
        self.relink(id, from, to, true)
    }

    /// [`relink_front`](Self::relink_front), linking at the front or back.
    #[inline(always)]
    fn relink(&mut self, id: u32, from: Option<usize>, to: Option<usize>, front: bool) -> &mut T {
        if id as usize >= self.links.0.len() {
            self.links.grow(id);
        }
        if let Some(t) = to {
            self.ends.make(t);
        }
        // The link vector as a slice once: its length stays in a register
        // across the stores below.
        let (s, ends) = (self.links.0.as_mut_slice(), &mut self.ends);
        if (s[id as usize].link.prev != UNLINKED) != from.is_some() {
            relink_mismatch(id, from.is_some());
        }
        if let Some(f) = from {
            unlink(s, ends.at(f), id);
        }
        if let Some(t) = to {
            let e = ends.at(t);
            let (prev, next) = if front { (NIL, e.front) } else { (e.back, NIL) };
            attach(s, e, prev, next, id);
        }
        &mut s[id as usize].data
    }

    /// The front id of `list`, if any.
    #[inline]
    pub fn front(&self, list: usize) -> Option<u32> {
        some(self.ends(list).front)
    }

    /// The back id of `list`, if any.
    #[inline]
    pub fn back(&self, list: usize) -> Option<u32> {
        some(self.ends(list).back)
    }

    /// The id after `id` (towards the back of its list); `None` at the
    /// back or if `id` is not linked.
    #[inline]
    pub fn next(&self, id: u32) -> Option<u32> {
        self.links.next(id)
    }

    /// The id before `id` (towards the front of its list); `None` at the
    /// front or if `id` is not linked.
    #[inline]
    pub fn prev(&self, id: u32) -> Option<u32> {
        self.links.prev(id)
    }

    /// Unlinks and returns the front id of `list`.
    #[inline]
    pub fn pop_front(&mut self, list: usize) -> Option<u32> {
        let e = self.ends.get_mut(list)?;
        self.links.pop_front(e)
    }

    /// Unlinks and returns the back id of `list`.
    #[inline]
    pub fn pop_back(&mut self, list: usize) -> Option<u32> {
        let e = self.ends.get_mut(list)?;
        self.links.pop_back(e)
    }

    /// Whether `id` is in one of the lists.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        self.links.contains(id)
    }

    /// Number of ids in `list`.
    #[inline]
    pub fn len(&self, list: usize) -> usize {
        self.ends(list).len
    }

    /// Whether `list` is empty.
    #[inline]
    pub fn is_empty(&self, list: usize) -> bool {
        self.ends(list).len == 0
    }

    /// The data kept with `id` (`T::default()` until set, kept while `id`
    /// moves between lists or is unlinked); `None` if no id this large was
    /// ever linked or given data.
    #[inline]
    pub fn data(&self, id: u32) -> Option<&T> {
        self.links.0.get(id as usize).map(|s| &s.data)
    }

    /// The data kept with `id`, mutably (making room for it if needed).
    #[inline]
    pub fn data_mut(&mut self, id: u32) -> &mut T {
        if id as usize >= self.links.0.len() {
            self.links.grow(id);
        }
        &mut self.links.0[id as usize].data
    }

    /// Empties every list and forgets every id's data (the number of lists
    /// stays).
    pub fn clear(&mut self) {
        self.links.0.clear();
        self.ends.inline.fill(EMPTY);
        self.ends.more.fill(EMPTY);
    }

    /// The ids of `list` from front to back.
    #[inline]
    pub fn iter(&self, list: usize) -> IdListIter<'_, T> {
        self.links.iter(self.ends(list), true)
    }

    /// The ids of `list` from back to front.
    #[inline]
    pub fn iter_rev(&self, list: usize) -> IdListIter<'_, T> {
        self.links.iter(self.ends(list), false)
    }

    /// See [`IdList::touch`].
    #[inline]
    pub fn touch(&self, id: u32) -> u64 {
        self.links.touch(id)
    }
}

/// The ids of an [`IdList`] (or one list of an [`IdLists`]) in order.
#[derive(Clone, Debug)]
pub struct IdListIter<'a, T = ()> {
    links: &'a Links<T>,
    cur: u32,
    left: usize,
    forward: bool,
}

impl<T> Iterator for IdListIter<'_, T> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        let id = some(self.cur)?;
        let l = self.links.0[id as usize].link;
        self.cur = if self.forward { l.next } else { l.prev };
        self.left -= 1;
        Some(id)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for IdListIter<'_, T> {}

impl<T> std::iter::FusedIterator for IdListIter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    const IDS: u32 = 24;

    #[derive(Clone, Debug)]
    enum Op {
        PushFront(u32),
        PushBack(u32),
        Remove(u32),
        MoveToFront(u32),
        MoveToBack(u32),
        InsertAfter(u32, u32),
        InsertBefore(u32, u32),
        PopFront,
        PopBack,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        let id = 0..IDS;
        prop_oneof![
            4 => id.clone().prop_map(Op::PushFront),
            4 => id.clone().prop_map(Op::PushBack),
            3 => id.clone().prop_map(Op::Remove),
            3 => id.clone().prop_map(Op::MoveToFront),
            2 => id.clone().prop_map(Op::MoveToBack),
            2 => (id.clone(), id.clone()).prop_map(|(a, b)| Op::InsertAfter(a, b)),
            2 => (id.clone(), id.clone()).prop_map(|(a, b)| Op::InsertBefore(a, b)),
            1 => Just(Op::PopFront),
            1 => Just(Op::PopBack),
            1 => Just(Op::Clear),
        ]
    }

    /// One step on a model list (a `VecDeque`, front first) and on the real
    /// one through `apply`; operations whose precondition fails are skipped
    /// (the panics are tested separately).
    fn step(m: &mut VecDeque<u32>, op: &Op, l: &mut dyn Lst) {
        let pos = |m: &VecDeque<u32>, x: u32| m.iter().position(|&y| y == x);
        match *op {
            Op::PushFront(x) if pos(m, x).is_none() => {
                m.push_front(x);
                l.push_front(x);
            }
            Op::PushBack(x) if pos(m, x).is_none() => {
                m.push_back(x);
                l.push_back(x);
            }
            Op::Remove(x) => {
                let p = pos(m, x);
                if let Some(p) = p {
                    m.remove(p);
                }
                assert_eq!(l.remove(x), p.is_some());
            }
            Op::MoveToFront(x) => {
                if let Some(p) = pos(m, x) {
                    m.remove(p);
                    m.push_front(x);
                    l.move_to_front(x);
                }
            }
            Op::MoveToBack(x) => {
                if let Some(p) = pos(m, x) {
                    m.remove(p);
                    m.push_back(x);
                    l.move_to_back(x);
                }
            }
            Op::InsertAfter(a, x) => {
                if let (Some(p), None) = (pos(m, a), pos(m, x)) {
                    m.insert(p + 1, x);
                    l.insert_after(a, x);
                }
            }
            Op::InsertBefore(a, x) => {
                if let (Some(p), None) = (pos(m, a), pos(m, x)) {
                    m.insert(p, x);
                    l.insert_before(a, x);
                }
            }
            Op::PopFront => assert_eq!(l.pop_front(), m.pop_front()),
            Op::PopBack => assert_eq!(l.pop_back(), m.pop_back()),
            Op::Clear => {
                m.clear();
                l.clear();
            }
            Op::PushFront(_) | Op::PushBack(_) => {}
        }
    }

    /// The list operations, so one model drives both [`IdList`] and one
    /// list of an [`IdLists`].
    trait Lst {
        fn push_front(&mut self, id: u32);
        fn push_back(&mut self, id: u32);
        fn remove(&mut self, id: u32) -> bool;
        fn move_to_front(&mut self, id: u32);
        fn move_to_back(&mut self, id: u32);
        fn insert_after(&mut self, at: u32, id: u32);
        fn insert_before(&mut self, at: u32, id: u32);
        fn pop_front(&mut self) -> Option<u32>;
        fn pop_back(&mut self) -> Option<u32>;
        fn clear(&mut self);
    }

    impl Lst for IdList {
        fn push_front(&mut self, id: u32) {
            IdList::push_front(self, id)
        }
        fn push_back(&mut self, id: u32) {
            IdList::push_back(self, id)
        }
        fn remove(&mut self, id: u32) -> bool {
            IdList::remove(self, id)
        }
        fn move_to_front(&mut self, id: u32) {
            IdList::move_to_front(self, id)
        }
        fn move_to_back(&mut self, id: u32) {
            IdList::move_to_back(self, id)
        }
        fn insert_after(&mut self, at: u32, id: u32) {
            IdList::insert_after(self, at, id)
        }
        fn insert_before(&mut self, at: u32, id: u32) {
            IdList::insert_before(self, at, id)
        }
        fn pop_front(&mut self) -> Option<u32> {
            IdList::pop_front(self)
        }
        fn pop_back(&mut self) -> Option<u32> {
            IdList::pop_back(self)
        }
        fn clear(&mut self) {
            IdList::clear(self)
        }
    }

    /// Checks everything observable of `l` against the model.
    fn check(m: &VecDeque<u32>, l: &IdList) {
        let v: Vec<u32> = m.iter().copied().collect();
        assert_eq!(l.iter().collect::<Vec<_>>(), v);
        assert_eq!(l.iter().len(), v.len());
        assert_eq!(l.iter_rev().collect::<Vec<_>>(), v.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(l.len(), v.len());
        assert_eq!(l.is_empty(), v.is_empty());
        assert_eq!((l.front(), l.back()), (v.first().copied(), v.last().copied()));
        for x in 0..IDS + 2 {
            let p = v.iter().position(|&y| y == x);
            assert_eq!(l.contains(x), p.is_some(), "contains {x}");
            assert_eq!(l.next(x), p.and_then(|p| v.get(p + 1).copied()), "next {x}");
            assert_eq!(l.prev(x), p.and_then(|p| p.checked_sub(1).map(|q| v[q])), "prev {x}");
        }
    }

    /// Three lists of one [`IdLists`]; the ops go to `list` (ids are
    /// pushed only when in none of the lists).
    /// Pushes of an id in no list and removals go through
    /// [`IdLists::relink_front`] when `relink` is set; each id's data is
    /// what the last `relink_front` of it wrote through the returned
    /// reference.
    struct Family {
        ls: IdLists<u32, 3>,
        list: usize,
        relink: bool,
    }

    impl Family {
        /// `relink_front`, then a check that it returned `id`'s data.
        fn relink_front(&mut self, id: u32, from: Option<usize>, to: Option<usize>) {
            *self.ls.relink_front(id, from, to) = id + 1;
            assert_eq!(self.ls.data(id), Some(&(id + 1)));
        }
    }

    impl Lst for Family {
        fn push_front(&mut self, id: u32) {
            if self.relink {
                self.relink_front(id, None, Some(self.list))
            } else {
                self.ls.push_front(self.list, id)
            }
        }
        fn push_back(&mut self, id: u32) {
            self.ls.push_back(self.list, id)
        }
        fn remove(&mut self, id: u32) -> bool {
            if !self.relink {
                return self.ls.remove(self.list, id);
            }
            let linked = self.ls.contains(id);
            self.relink_front(id, linked.then_some(self.list), None);
            linked
        }
        fn move_to_front(&mut self, id: u32) {
            self.ls.move_to_front(self.list, id)
        }
        fn move_to_back(&mut self, id: u32) {
            self.ls.move_to_back(self.list, id)
        }
        fn insert_after(&mut self, _at: u32, _id: u32) {
            unreachable!("not part of IdLists")
        }
        fn insert_before(&mut self, _at: u32, _id: u32) {
            unreachable!("not part of IdLists")
        }
        fn pop_front(&mut self) -> Option<u32> {
            self.ls.pop_front(self.list)
        }
        fn pop_back(&mut self) -> Option<u32> {
            self.ls.pop_back(self.list)
        }
        fn clear(&mut self) {
            while self.ls.pop_front(self.list).is_some() {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// `IdList` behaves like a `VecDeque` of distinct ids under random
        /// operation sequences.
        #[test]
        fn idlist_matches_vecdeque(ops in prop::collection::vec(op(), 0..200)) {
            let mut m = VecDeque::new();
            let mut l = IdList::with_capacity(4);
            for op in &ops {
                step(&mut m, op, &mut l);
                check(&m, &l);
            }
        }

        /// Each list of an `IdLists` behaves like its own `VecDeque`, with
        /// ids moving between lists (an id is in at most one). Six lists:
        /// the ends of three kept inline, of the others in the vector.
        #[test]
        fn idlists_match_vecdeques(ops in prop::collection::vec((0..6usize, op(), any::<bool>()), 0..200)) {
            let mut ms = vec![VecDeque::new(); 6];
            let mut f = Family { ls: IdLists::new(), list: 0, relink: false };
            for (list, op, relink) in &ops {
                f.relink = *relink;
                let op = match op.clone() {
                    Op::InsertAfter(_, _) | Op::InsertBefore(_, _) | Op::Clear => Op::PopBack,
                    o => o,
                };
                // Unlinking ops go to the list the id is in.
                let id = match op {
                    Op::Remove(x) | Op::MoveToFront(x) | Op::MoveToBack(x) | Op::PushFront(x) | Op::PushBack(x) => Some(x),
                    _ => None,
                };
                let home = id.and_then(|x| ms.iter().position(|m: &VecDeque<u32>| m.contains(&x)));
                f.list = match (op.clone(), home) {
                    // A push of an id in a list: a transfer to `list`.
                    (Op::PushFront(x) | Op::PushBack(x), Some(h)) => {
                        let p = ms[h].iter().position(|&y| y == x).unwrap();
                        ms[h].remove(p);
                        if let Op::PushFront(_) = op {
                            ms[*list].push_front(x);
                            if f.relink {
                                f.relink_front(x, Some(h), Some(*list));
                            } else {
                                f.ls.transfer_front(h, *list, x);
                            }
                        } else {
                            ms[*list].push_back(x);
                            f.ls.transfer_back(h, *list, x);
                        }
                        *list
                    }
                    (_, Some(h)) => h,
                    _ => *list,
                };
                let op = match (op, home) {
                    (Op::PushFront(_) | Op::PushBack(_), Some(_)) => Op::Remove(IDS),
                    (o, _) => o,
                };
                step(&mut ms[f.list], &op, &mut f);
                for (k, m) in ms.iter().enumerate() {
                    let v: Vec<u32> = m.iter().copied().collect();
                    prop_assert_eq!(f.ls.iter(k).collect::<Vec<_>>(), v.clone());
                    prop_assert_eq!(f.ls.iter_rev(k).collect::<Vec<_>>(), v.iter().rev().copied().collect::<Vec<_>>());
                    prop_assert_eq!(f.ls.len(k), v.len());
                    prop_assert_eq!(f.ls.is_empty(k), v.is_empty());
                    prop_assert_eq!((f.ls.front(k), f.ls.back(k)), (v.first().copied(), v.last().copied()));
                    for (p, &x) in v.iter().enumerate() {
                        prop_assert!(f.ls.contains(x));
                        prop_assert_eq!(f.ls.next(x), v.get(p + 1).copied());
                        prop_assert_eq!(f.ls.prev(x), p.checked_sub(1).map(|q| v[q]));
                    }
                }
                let linked: usize = ms.iter().map(|m| m.len()).sum();
                prop_assert_eq!((0..IDS).filter(|&x| f.ls.contains(x)).count(), linked);
            }
        }
    }

    #[test]
    #[should_panic(expected = "BUG: IdList: id 3 is already linked")]
    fn double_push_panics() {
        let mut l = IdList::new();
        l.push_back(3);
        l.push_front(3);
    }

    #[test]
    #[should_panic(expected = "not linked")]
    fn moving_an_unlinked_id_panics() {
        let mut l = IdList::new();
        l.push_back(1);
        l.move_to_front(2);
    }

    #[test]
    #[should_panic(expected = "BUG: IdList: id 4 is already linked")]
    fn relinking_a_linked_id_from_no_list_panics() {
        let mut ls: IdLists = IdLists::with_lists(2);
        ls.push_back(1, 4);
        ls.relink_front(4, None, Some(0));
    }

    #[test]
    #[should_panic(expected = "BUG: IdList: relink of id 4, which is not linked")]
    fn relinking_an_unlinked_id_from_a_list_panics() {
        let mut ls: IdLists = IdLists::with_lists(2);
        ls.push_back(1, 3);
        ls.relink_front(4, Some(1), Some(0));
    }

    #[test]
    fn clear_and_reuse() {
        let mut l = IdList::default();
        for x in [5, 2, 9] {
            l.push_back(x);
        }
        l.clear();
        assert!(l.is_empty() && !l.contains(5) && l.front().is_none());
        l.push_front(9);
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![9]);
        assert_eq!(l.touch(100), 0);
        let mut ls: IdLists = IdLists::with_lists(2);
        assert_eq!(ls.lists(), 2);
        ls.push_back(5, 1);
        assert_eq!((ls.lists(), ls.front(5), ls.front(7), ls.pop_back(9)), (6, Some(1), None, None));
        let mut d: IdLists<u8> = IdLists::with_lists(2);
        assert_eq!(d.data(3), None);
        *d.data_mut(3) = 7;
        assert_eq!((d.data(3), d.data(2), d.contains(3)), (Some(&7), Some(&0), false));
        d.push_back(1, 3);
        d.transfer_front(1, 0, 3);
        assert!(d.remove(0, 3));
        assert_eq!(d.data(3), Some(&7), "data outlives the links");
    }
}
