//! # mmesim-engine: the discrete-event core
//!
//! This crate is the part of mmesim that knows nothing about models,
//! instances or caches. It provides the pieces every simulation in the
//! workspace is built on:
//!
//! * [`SimTime`] and [`SimDuration`]: simulated time in **integer
//!   nanoseconds**. Integers make runs exactly reproducible across machines
//!   (no floating-point drift in the clock) and 64 bits cover 584 years.
//! * [`EventQueue`]: a priority queue of events ordered by
//!   `(time, sequence number)`. Two events scheduled for the same instant pop
//!   in the order they were pushed (FIFO ties), so a run never depends on
//!   the heap's internal layout.
//! * [`RngStreams`]: one seed fans out into independent, named random
//!   streams ([`Stream`]). Arrivals, popularity, service times and each
//!   policy draw from their own stream, so a routing policy that draws a
//!   random number never shifts the workload another policy sees.
//!   [`mix64`] (SplitMix64's finaliser) is the workspace's one fixed
//!   `u64` mixer, used by the streams and by hash-based routing.
//!
//! And one data structure the crates above share: [`IdList`], an intrusive
//! doubly linked list over dense `u32` ids (links in a vector indexed by
//! id: O(1) push, unlink and move, no allocation per operation), and
//! [`IdLists`], several such lists over one link vector (each id may keep
//! a policy's per-object data next to its links). Every recency
//! list, FIFO queue and bucket list in mmesim (LRU, FIFO, SIEVE, S3-FIFO,
//! ARC, the fleet's load buckets) is one of them.
//!
//! And [`KeyedHeap`]: a min-heap of at most one `(time, sequence)` key
//! per dense id, moved in place when the id's next event moves (a shared
//! link's next completion), merged with an `EventQueue` by its owner, so
//! that rescheduling leaves no stale event behind.
//!
//! And one hint: [`prefetch`] / [`prefetch_ref`] ask the CPU to start
//! reading data a model will need soon (with a million models, per-model
//! arrays outgrow every cache); they never change a result.
//!
//! Key design choice: the engine does *not* own the event loop. A model
//! (the cluster in `mmesim-core`) keeps an `EventQueue<E>` of its own closed
//! event `enum` and runs a `while let Some((t, e)) = q.pop()` loop with one
//! `match` arm per event kind. That keeps dispatch static (no trait objects,
//! no boxing) and the hot loop allocation-free.
//!
//! ```
//! use mmesim_engine::{EventQueue, SimTime, SimDuration, RngStreams, Stream};
//! use rand::Rng;
//!
//! #[derive(Clone, Copy, Debug, PartialEq)]
//! enum Ev { Ping(u32), Pong }
//!
//! let mut q = EventQueue::new();
//! q.push(SimTime::from_millis(5), Ev::Pong);
//! q.push(SimTime::from_millis(1), Ev::Ping(1));
//! q.push(SimTime::from_millis(1), Ev::Ping(2)); // same time: pops after Ping(1)
//! let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
//! assert_eq!(order, vec![
//!     (SimTime::from_millis(1), Ev::Ping(1)),
//!     (SimTime::from_millis(1), Ev::Ping(2)),
//!     (SimTime::from_millis(5), Ev::Pong),
//! ]);
//! assert_eq!(SimTime::from_millis(5) - SimTime::from_millis(1), SimDuration::from_millis(4));
//!
//! // Same seed, same stream: same numbers; other stream: independent numbers.
//! let streams = RngStreams::new(42);
//! let a: u64 = streams.stream(Stream::Arrivals).random();
//! let b: u64 = RngStreams::new(42).stream(Stream::Arrivals).random();
//! let c: u64 = streams.stream(Stream::Service).random();
//! assert_eq!(a, b);
//! assert_ne!(a, c);
//! ```
#![warn(missing_docs)]

mod idlist;
mod keyed;
mod prefetch;
mod queue;
mod rng;
mod time;

pub use idlist::{IdList, IdListIter, IdLists};
pub use keyed::KeyedHeap;
pub use prefetch::{prefetch, prefetch_ref};
pub use queue::EventQueue;
pub use rng::{mix64, RngStreams, SimRng, Stream};
pub use time::{ceil_to_u64, round_to_u64, SimDuration, SimTime};
