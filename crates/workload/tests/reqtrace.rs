//! The CSV request trace reader (format `csv` of `[workload] trace`).

use std::path::PathBuf;

use mmesim_core::{Arrival, ModelId, RequestSource};
use mmesim_engine::{SimDuration, SimTime};
use mmesim_workload::cachetrace::TraceError;
use mmesim_workload::reqtrace::{scan_request_csv, scan_request_reader, CsvRequestSource, ModelIndex};

/// A file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("mmesim-reqtrace-{tag}-{}.csv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn arrival(ns: u64, model: u32, service_us: Option<u64>) -> Arrival {
    Arrival { time: SimTime::from_nanos(ns), model: ModelId(model), service: service_us.map(SimDuration::from_micros) }
}

fn replay(src: &mut impl RequestSource) -> Vec<Arrival> {
    std::iter::from_fn(|| src.next_arrival()).collect()
}

#[test]
fn arrivals_by_hand() {
    let text = "timestamp_s,model,service_ms\r\n\
                0,resnet,12.5\r\n\
                \r\n\
                0.25, 7 ,\r\n\
                0.25,\"bert, large\",0\r\n\
                1.000000001,resnet,1e3\r\n\
                2,7,  \r\n";
    let f = TempFile::new("hand", text);
    let scan = scan_request_csv(&f.0).unwrap();
    assert_eq!(scan.models, ["resnet", "7", "bert, large"]);
    assert_eq!(scan.first_lines, [2, 4, 5]);
    assert_eq!((scan.requests, scan.has_service), (5, true));
    assert_eq!(scan.last_time, SimTime::from_secs(2));
    assert_eq!(scan.path.as_deref(), Some(f.0.as_path()));

    let ids = ModelIndex::from_scan(&scan);
    let mut src = CsvRequestSource::open(&f.0, ids.clone(), 1.0).unwrap();
    assert!(src.has_service());
    let expect = [
        arrival(0, 0, Some(12_500)),
        arrival(250_000_000, 1, None),
        arrival(250_000_000, 2, Some(0)),
        arrival(1_000_000_001, 0, Some(1_000_000)),
        arrival(2_000_000_000, 1, None),
    ];
    assert_eq!(replay(&mut src), expect);
    assert!(src.error().is_none());
    assert_eq!(src.requests(), 5);

    // time_scale 0.1: every time divided by ten (rounded to the ns).
    let mut src = CsvRequestSource::open(&f.0, ids, 0.1).unwrap();
    let times: Vec<u64> = replay(&mut src).iter().map(|a| a.time.as_nanos()).collect();
    assert_eq!(times, [0, 25_000_000, 25_000_000, 100_000_000, 200_000_000]);

    // A scenario's own model list: ids follow the list, not the trace.
    let ids = ModelIndex::from_names(["bert, large", "resnet", "7", "unused"]).unwrap();
    ids.check(&scan).unwrap();
    let mut src = CsvRequestSource::open(&f.0, ids, 1.0).unwrap();
    let models: Vec<u32> = replay(&mut src).iter().map(|a| a.model.0).collect();
    assert_eq!(models, [1, 2, 0, 1, 2]);
}

#[test]
fn without_service_column() {
    let f = TempFile::new("noservice", "timestamp_s,model\n1,a\n1.5,b\n1.5,a\n");
    let scan = scan_request_csv(&f.0).unwrap();
    assert!(!scan.has_service);
    let mut src = CsvRequestSource::open(&f.0, ModelIndex::from_scan(&scan), 1.0).unwrap();
    assert_eq!(
        replay(&mut src),
        [arrival(1_000_000_000, 0, None), arrival(1_500_000_000, 1, None), arrival(1_500_000_000, 0, None)]
    );
    // A third field where the header has two is an error.
    let e = scan_request_reader("timestamp_s,model\n1,a,5\n".as_bytes()).unwrap_err();
    assert_eq!(e.to_string(), "line 2: 3 fields, expected 2 (`timestamp_s,model`)");
}

#[test]
fn unsorted_times_name_the_file_and_line() {
    let f = TempFile::new("unsorted", "timestamp_s,model\n0,a\n5,b\n\n4.5,a\n");
    let e = scan_request_csv(&f.0).unwrap_err();
    assert_eq!(e.line(), Some(5));
    assert_eq!(e.path(), Some(f.0.as_path()));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: line 5: time goes backwards: 4.500000s after 5.000000s on an earlier line (timestamps must not decrease)",
            f.0.display()
        )
    );
    // The replay stops there too, keeping the error.
    let ids = ModelIndex::from_names(["a", "b"]).unwrap();
    let mut src = CsvRequestSource::open(&f.0, ids, 1.0).unwrap();
    assert_eq!(replay(&mut src).len(), 2);
    assert_eq!(src.error().unwrap().to_string(), e.to_string());
    assert!(src.next_arrival().is_none());
}

#[test]
fn unknown_models_name_the_line() {
    let f = TempFile::new("unknown", "timestamp_s,model\n0,a\n1,b\n2,c\n3,b\n");
    let scan = scan_request_csv(&f.0).unwrap();
    let ids = ModelIndex::from_names(["a", "c"]).unwrap();
    let e = ids.check(&scan).unwrap_err();
    assert_eq!(e.line(), Some(3));
    assert_eq!(
        e.to_string(),
        format!("{}: line 3: unknown model \"b\": not among the 2 models of the run", f.0.display())
    );
    // Streaming without the check: the same error, after the first arrival.
    let mut src = CsvRequestSource::open(&f.0, ids, 1.0).unwrap();
    assert_eq!(replay(&mut src), [arrival(0, 0, None)]);
    assert_eq!(src.error().unwrap().to_string(), e.to_string());
}

#[test]
fn bad_fields_name_the_line_and_column() {
    let check = |body: &str, line: u64, msg: &str| {
        let text = format!("timestamp_s,model,service_ms\n0,a,1\n{body}\n");
        let e = scan_request_reader(text.as_bytes()).unwrap_err();
        assert_eq!(e.line(), Some(line), "{e}");
        assert_eq!(e.to_string(), format!("line {line}: {msg}"));
    };
    check("1,a,-3", 3, "`service_ms` \"-3\" is negative");
    check("1,a,fast", 3, "`service_ms` \"fast\" is not a number (milliseconds, e.g. 12.5)");
    check("1,a,NaN", 3, "`service_ms` \"NaN\" is not a number (milliseconds, e.g. 12.5)");
    check("1,a,inf", 3, "`service_ms` \"inf\" is not a number (milliseconds, e.g. 12.5)");
    check("-1,a,1", 3, "`timestamp_s` \"-1\" is negative");
    check("soon,a,1", 3, "`timestamp_s` \"soon\" is not a number (seconds, e.g. 12 or 12.5)");
    check(",a,1", 3, "empty `timestamp_s`");
    check("1, ,1", 3, "empty `model`");
    check("1,a", 3, "2 fields, expected 3 (`timestamp_s,model,service_ms`)");
    check("\n\n1,a,1,2", 5, "4 fields, expected 3 (`timestamp_s,model,service_ms`)");
    // A byte that is not UTF-8 makes the whole file not text (one line,
    // its byte offset, never the bytes themselves).
    let e = scan_request_reader(&b"timestamp_s,model\n1,\xff\n"[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a UTF-8 text file (byte 0xFF at byte offset 20); for libCacheSim's binary traces use the format `oracle-general`"
    );
    let e = scan_request_reader("timestamp_s,object,size_bytes\n".as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: bad header \"timestamp_s,object,size_bytes\": expected `timestamp_s,model[,service_ms]`"
    );
}

#[test]
fn file_changed_between_passes() {
    let f = TempFile::new("changed", "timestamp_s,model\n0,a\n1,b\n");
    let scan = scan_request_csv(&f.0).unwrap();
    std::fs::write(&f.0, "timestamp_s,model\n0,a\n1,b\n2,a,oops\n").unwrap();
    let mut src = CsvRequestSource::open(&f.0, ModelIndex::from_scan(&scan), 1.0).unwrap();
    assert_eq!(replay(&mut src).len(), 2);
    let e: &TraceError = src.error().unwrap();
    assert_eq!(e.line(), Some(4));
    assert!(e.to_string().starts_with(&format!("{}: line 4: 3 fields", f.0.display())), "{e}");
}

#[test]
fn quoted_fields() {
    let csv = "\"timestamp_s\",\"model\",\"service_ms\"\n\
               \"0.5\",\"a,b\",\" 12 \"\n\
               1,\"say \"\"hi\"\"\",\n\
               2,\"two\nlines\",3\n\
               3,\"a,b\",1\n\
               2,c,1\n";
    let e = scan_request_reader(csv.as_bytes()).unwrap_err();
    // The record spanning lines 4 and 5 counts both: the last is line 7.
    assert_eq!(e.line(), Some(7), "{e}");
    assert!(e.to_string().starts_with("line 7: time goes backwards"), "{e}");
    let csv = &csv[..csv.rfind("2,c").unwrap()];
    let scan = scan_request_reader(csv.as_bytes()).unwrap();
    assert_eq!(scan.models, ["a,b", "say \"hi\"", "two\nlines"]);
    assert_eq!(scan.first_lines, [2, 3, 4]);
    let mut src = CsvRequestSource::from_reader(csv.as_bytes(), ModelIndex::from_scan(&scan), 1.0).unwrap();
    let got: Vec<_> = std::iter::from_fn(|| src.next_arrival()).map(|a| (a.model.0, a.service)).collect();
    let ms = |v| Some(mmesim_engine::SimDuration::from_millis(v));
    assert_eq!(got, [(0, ms(12)), (1, None), (2, ms(3)), (0, ms(1))]);
}

#[test]
fn open_errors() {
    let missing = std::env::temp_dir().join("mmesim-reqtrace-missing/none.csv");
    let e = scan_request_csv(&missing).unwrap_err();
    assert!(e.to_string().starts_with(&format!("cannot open trace {}: ", missing.display())), "{e}");
    let e = CsvRequestSource::open(&missing, ModelIndex::default(), 1.0).err().unwrap();
    assert!(matches!(e.kind(), mmesim_workload::ErrorKind::Open { .. }));
    let e = scan_request_csv(&std::env::temp_dir()).unwrap_err();
    assert!(e.to_string().contains("is a directory"), "{e}");
}
