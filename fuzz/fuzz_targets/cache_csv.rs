//! `cache_csv`: any bytes as a CSV cache trace
//! (`timestamp_s,object,size_bytes`) replayed as
//! `mmesim cache --format csv --policy all --size 1000,50% --threads 1`
//! does (`replay_grid`). Bad input must be an `Err` naming the line, never
//! a panic; every replay counts the same requests, and at most that many
//! misses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::workload::cachetrace::CacheTraceFormat;

fuzz_target!(|data: &[u8]| {
    let path = mmesim_fuzz::write_scratch("cache.csv", data);
    mmesim_fuzz::replay_all(&path, CacheTraceFormat::Csv);
});
