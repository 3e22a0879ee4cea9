//! `reqtrace`: any bytes as a request trace CSV
//! (`timestamp_s,model[,service_ms]`), read both as the library's readers
//! see it (`scan_request_reader`, then `CsvRequestSource` streaming every
//! request) and as `mmesim run` does with
//! `[workload] trace = { format = "csv", path = … }` (a 60-second run).
//! Bad input must be an `Err` naming the line, never a panic. A trace that
//! scans streams exactly the requests scanned, in time order; a run
//! accounts for every request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::core::RequestSource;
use mmesim::workload::reqtrace::{scan_request_reader, CsvRequestSource, ModelIndex};

fuzz_target!(|data: &[u8]| {
    let scan = scan_request_reader(data);
    mmesim_fuzz::debug("scan_request_reader", &scan);
    if let Ok(scan) = scan {
        let ids = ModelIndex::from_scan(&scan);
        let mut src = CsvRequestSource::from_reader(data, ids, 1.0).expect("a scanned trace opens");
        let mut last = mmesim::engine::SimTime::ZERO;
        while let Some(a) = src.next_arrival() {
            assert!(a.time >= last, "arrivals out of order: {:?} after {:?}", a.time, last);
            assert!(a.model.index() < scan.models.len(), "model {:?} of {}", a.model, scan.models.len());
            last = a.time;
        }
        assert!(src.error().is_none(), "a scanned trace streams without error: {:?}", src.error());
        assert_eq!(src.requests(), scan.requests, "streamed requests != scanned requests");
    }
    let path = mmesim_fuzz::write_scratch("requests.csv", data);
    let toml = mmesim_fuzz::trace_scenario(&format!("{{ format = \"csv\", path = '{}' }}", path.display()));
    let s = mmesim::Scenario::from_toml_str(&toml, "fuzz-reqtrace.toml").expect("the scenario is valid");
    let out = s.run();
    mmesim_fuzz::debug("run", &out);
    if let Ok(out) = out {
        mmesim_fuzz::check_accounting(&out.report, "request trace");
    }
});
