//! `scenario`: any bytes as a scenario file, as `mmesim run` reads it
//! (`Scenario::from_file` = parse + validate). A scenario that passes and
//! stays small (no trace file, at most 10,000 models and 100,000
//! instance × model slots, at most 10,000 closed-loop users) is also built
//! into a ready simulation (models generated, policies and workload
//! built), not run: `simulate` runs scenarios. Bad input must be an
//! `Err`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::workload::ArrivalProcess;

fuzz_target!(|data: &[u8]| {
    // `Scenario::from_file` refuses a file that is not text (a NUL byte,
    // bad UTF-8) with one line before any parsing: only text gets here.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let s = mmesim::Scenario::from_toml_str(text, "fuzz.toml");
    mmesim_fuzz::debug("scenario", &s);
    let Ok(s) = s else { return };
    if s.workload.trace.is_some() {
        return; // would read files named by the input
    }
    let models = if s.models.list.is_empty() { u64::from(s.models.count) } else { s.models.list.len() as u64 };
    let users_ok = match &s.workload.arrival {
        ArrivalProcess::Closed { users, .. } => *users <= 10_000,
        _ => true,
    };
    if models <= 10_000 && models * u64::from(s.cluster.instances) <= 100_000 && users_ok {
        mmesim_fuzz::debug("simulation", &s.simulation(mmesim::RunOptions::default()));
    }
});
