//! `cache_oracle`: any bytes as libCacheSim's oracle-general binary trace,
//! read both ways the CLI reads it: replayed as
//! `mmesim cache --format oracle-general --policy all --size 1000,50%`
//! does (`replay_grid`), and as a scenario's request trace
//! (`[workload] trace = { format = "oracle-general" }`, `mmesim run`:
//! models from the objects, a 60-second run). Bad input must be an `Err`
//! naming the record, never a panic; a run accounts for every request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::workload::cachetrace::CacheTraceFormat;

fuzz_target!(|data: &[u8]| {
    let path = mmesim_fuzz::write_scratch("cache.oracleGeneral.bin", data);
    mmesim_fuzz::replay_all(&path, CacheTraceFormat::OracleGeneral);
    let toml = mmesim_fuzz::trace_scenario(&format!(
        "{{ format = \"oracle-general\", path = '{}', time_scale = 0.001 }}",
        path.display()
    ));
    let s = mmesim::Scenario::from_toml_str(&toml, "fuzz-oracle.toml").expect("the scenario is valid");
    let out = s.run();
    mmesim_fuzz::debug("run", &out);
    if let Ok(out) = out {
        mmesim_fuzz::check_accounting(&out.report, "oracle-general trace");
    }
});
