//! `sweep`: any bytes as a sweep file, as `mmesim sweep --list` reads it
//! (`Sweep::from_file` = parse, check every axis value and every point).
//! The sweep is read from `fuzz/sweep_base/`, whose `base.toml` is a tiny
//! valid scenario (`base = "base.toml"`). Bad input must be an `Err`,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sweep = mmesim::Sweep::from_toml_str(text, "fuzz-sweep.toml", &mmesim_fuzz::sweep_dir());
    mmesim_fuzz::debug("sweep", &sweep);
    let Ok(sweep) = sweep else { return };
    // What `--list` prints, for the first point, and the point's scenario.
    assert!(!sweep.is_empty(), "a sweep read without error has points");
    let first = sweep.params(0);
    assert_eq!(first.len(), sweep.axes().len(), "one parameter per axis");
    sweep.scenario(0).unwrap_or_else(|e| panic!("point 0 was checked when the sweep was read: {e}"));
});
