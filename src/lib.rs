//! # mmesim-examples
//!
//! The workspace's root package. It holds no library code of its own: it
//! exists to carry the runnable programs under `examples/` (each one headed
//! by a `//!` note on what it shows, and each asserting its own outcome) and
//! the criterion benchmarks under `benches/`. The library lives in the
//! `mmesim` facade crate and the crates under `crates/`.
//!
//! ```
//! // The facade is re-exported here for the examples' convenience.
//! let scenario = mmesim_examples::mmesim::Scenario::from_toml_str("name = \"x\"", "inline.toml").unwrap();
//! assert_eq!(scenario.name, "x");
//! ```
#![warn(missing_docs)]

pub use mmesim;
