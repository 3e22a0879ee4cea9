//! `cloudwatch`: any bytes as the metrics export of
//! `mmesim calibrate --metrics` (`cloudwatch::read_export`: the JSON of
//! `aws cloudwatch get-metric-data` if it starts with `{`, else the
//! `timestamp,metric,dimension,statistic,value` CSV), and the same text
//! through both parsers whatever it starts with. Bad input must be an
//! `Err` naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::cloudwatch::{parse_csv, parse_get_metric_data_json, read_export};

fuzz_target!(|data: &[u8]| {
    let path = mmesim_fuzz::write_scratch("export", data);
    mmesim_fuzz::debug("read_export", &read_export(&path));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_csv(text, "export.csv");
        let _ = parse_get_metric_data_json(text, "export.json");
    }
});
