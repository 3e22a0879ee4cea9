//! Criterion benchmarks of mmesim.
//!
//! This package holds no code of its own: its benches (`engine`,
//! `eviction`, `routing`, `traces`) measure the workspace's crates, and
//! [docs/PERFORMANCE.md](../docs/PERFORMANCE.md) records their figures with
//! the commands that produced them. Run one with
//! `cargo bench -p mmesim-benches --bench engine`.
//!
//! It is a package apart from the examples so that criterion, a
//! dev-dependency, never changes the features the `mmesim` binary and the
//! examples are built with; the examples reuse the binary's release build.
//!
//! ```
//! // The benches drive the same public API as any user of mmesim.
//! let s = mmesim::Scenario::from_toml_str("duration_s = 10.0\n[cluster]\ninstance_type = \"ml.m5.xlarge\"\n", "doc").unwrap();
//! assert_eq!(s.duration_s, 10.0);
//! ```
#![warn(missing_docs)]
