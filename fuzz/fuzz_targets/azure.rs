//! `azure`: any bytes as the three files of a day of the Azure Functions
//! 2019 trace, separated by NUL bytes (invocations, durations, memory),
//! optionally followed by a fourth part of option bytes (spread, window,
//! sample, time scale). Read as the library reads them
//! (`AzureTrace::open`, then the source drained up to 20,000 arrivals)
//! and, when the window holds at most 5,000 invocations, as `mmesim run`
//! does with `[workload] trace = { format = "azure-functions-2019", … }`
//! (a 60-second run). Bad input must be an `Err` naming the file and
//! line, never a panic. The source reproduces every function's
//! invocations exactly, in time order, within the window; a run accounts
//! for every request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::core::RequestSource;
use mmesim::engine::{RngStreams, SimTime};
use mmesim::workload::azure::{AzureOptions, AzureTrace, Spread};

const SCALES: [f64; 8] = [1.0, 0.1, 0.001, 60.0, 1e6, 0.0, -1.0, f64::NAN];

/// The options from the fourth part's bytes (defaults where it is short).
fn options(b: &[u8]) -> AzureOptions {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let u16_at = |i: usize| u16::from_le_bytes([at(i), at(i + 1)]);
    AzureOptions {
        spread: if at(0) & 1 == 0 { Spread::Poisson } else { Spread::Uniform },
        start_minute: u32::from(u16_at(1)),
        minutes: Some(u32::from(u16_at(3))).filter(|&m| m != 0),
        sample_functions: Some(u32::from(at(5))).filter(|&n| n != 0),
        time_scale: SCALES[usize::from(at(6)) % SCALES.len()],
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let (inv, dur, mem) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
    let opts = options(parts.next().unwrap_or(b""));
    let inv = mmesim_fuzz::write_scratch("invocations.csv", inv);
    let dur = mmesim_fuzz::write_scratch("durations.csv", dur);
    let mem = mmesim_fuzz::write_scratch("memory.csv", mem);
    let trace = AzureTrace::open(&inv, &dur, &mem, &opts, 42);
    mmesim_fuzz::debug("AzureTrace::open", &trace);
    let Ok(trace) = trace else { return };

    let n = trace.functions().len();
    let (_, minutes) = opts.window();
    let mut expected = vec![0u64; n];
    for m in 0..minutes {
        for &(f, c) in trace.minute_counts(m) {
            expected[f as usize] += u64::from(c);
        }
    }
    let total: u64 = expected.iter().sum();
    assert_eq!(total, trace.summary().invocations, "minute counts != the summary's invocations");
    const CAP: u64 = 20_000;
    let mut seen = vec![0u64; n];
    let mut last = SimTime::ZERO;
    let end = SimTime::ZERO + trace.duration();
    let mut src = trace.source(&RngStreams::new(42));
    let mut count = 0;
    while count < CAP {
        let Some(a) = src.next_arrival() else { break };
        assert!(a.time >= last && a.time < end, "arrival at {:?} after {:?} (window ends {:?})", a.time, last, end);
        assert!(a.model.index() < n && a.service.is_some(), "arrival {a:?} of {n} functions");
        seen[a.model.index()] += 1;
        last = a.time;
        count += 1;
    }
    if total <= CAP {
        assert_eq!(seen, expected, "invocations per function differ from the trace's");
    }

    if total > 5_000 || n == 0 {
        return;
    }
    let toml = mmesim_fuzz::trace_scenario(&format!(
        "{{ format = \"azure-functions-2019\", invocations = '{}', durations = '{}', memory = '{}', \
         spread = \"{}\", start_minute = {}, {}{}time_scale = {:?} }}",
        inv.display(),
        dur.display(),
        mem.display(),
        if opts.spread == Spread::Uniform { "uniform" } else { "poisson" },
        opts.start_minute,
        opts.minutes.map(|m| format!("minutes = {m}, ")).unwrap_or_default(),
        opts.sample_functions.map(|s| format!("sample_functions = {s}, ")).unwrap_or_default(),
        opts.time_scale,
    ));
    let s = mmesim::Scenario::from_toml_str(&toml, "fuzz-azure.toml").unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let out = s.run();
    mmesim_fuzz::debug("run", &out);
    if let Ok(out) = out {
        mmesim_fuzz::check_accounting(&out.report, "azure trace");
    }
});
