//! Messages without jargon (issue 14, item 8): a value of the wrong type in
//! any kind of field of a scenario, a sweep, a metrics export or a merge
//! shard is said in words a user knows ("a whole number ≥ 0", "a number",
//! "true or false", "a list `[…]`", "a table `{ … }`", "a distribution
//! such as …"), never in Rust's or serde's (`u32`, `f64`, `internally
//! tagged enum Dist`, `invalid type: map, expected a sequence`), and still
//! names the file, the line and the field. A file that is not text (a NUL
//! byte, bytes that are not UTF-8) is one line naming the first such byte.

mod common;
use common::temp_dir;

use mmesim::sweep::{parse_jsonl, parse_jsonl_bytes, Sweep};
use mmesim::{cloudwatch, Scenario};

/// Words of Rust and serde that no message may contain (whole words).
const JARGON_WORDS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64", "sequence",
    "newtype", "struct", "variant", "untagged", "enum", "wanted", "map",
];
/// Phrases of serde that no message may contain.
const JARGON_PHRASES: &[&str] = &[
    "internally tagged",
    "variant identifier",
    "invalid type",
    "invalid value",
    "invalid length",
    "a boolean",
    "path string",
    "expected a sequence",
    "expected a map",
];

/// Panics if `message` has a word or phrase of [`JARGON_WORDS`] /
/// [`JARGON_PHRASES`].
fn assert_plain(message: &str) {
    for w in message.split(|c: char| !c.is_alphanumeric() && c != '_') {
        assert!(!JARGON_WORDS.contains(&w), "jargon word `{w}` in: {message}");
    }
    for p in JARGON_PHRASES {
        assert!(!message.contains(p), "jargon `{p}` in: {message}");
    }
    assert!(!message.chars().any(char::is_control), "a control character in: {message:?}");
}

/// One wrong value: the scenario text, the field the message must name, the
/// line it must give, and the plain words it must say.
struct Case {
    toml: &'static str,
    field: &'static str,
    line: usize,
    says: &'static str,
}

const fn case(toml: &'static str, field: &'static str, line: usize, says: &'static str) -> Case {
    Case { toml, field, line, says }
}

const DIST: &str = "expected a distribution such as { dist = \"lognormal\", median = 30.0, sigma = 1.0 }";

/// Every kind of field of a scenario (each Rust type the scenario structs
/// use, and each of their enums) with a value of the wrong type.
const CASES: &[Case] = &[
    // u64
    case("seed = \"x\"\n", "seed", 1, "expected a whole number ≥ 0, found \"x\""),
    case("seed = -1\n", "seed", 1, "expected a whole number ≥ 0, found -1"),
    case("seed = 1.5\n", "seed", 1, "expected a whole number ≥ 0, found 1.5"),
    case("seed = [1]\n", "seed", 1, "expected a whole number ≥ 0, found a list"),
    case("seed = 1979-05-27\n", "seed", 1, "expected a whole number ≥ 0, found a date or time"),
    // String
    case("name = 5\n", "name", 1, "expected a string in quotes, found 5"),
    case("name = [1]\n", "name", 1, "expected a string in quotes, found a list"),
    // f64
    case("duration_s = \"x\"\n", "duration_s", 1, "expected a number, found \"x\""),
    case("duration_s = true\n", "duration_s", 1, "expected a number, found true"),
    case("duration_s = {a=1}\n", "duration_s", 1, "expected a number, found a table"),
    case("\nwarmup_s = [1.0]\n", "warmup_s", 2, "expected a number, found a list"),
    // u32, with its bound where the value passes it
    case("[cluster]\ninstances = \"two\"\n", "cluster.instances", 2, "expected a whole number ≥ 0, found \"two\""),
    case("[cluster]\ninstances = -2\n", "cluster.instances", 2, "expected a whole number ≥ 0, found -2"),
    case(
        "[cluster]\ninstances = 5000000000\n",
        "cluster.instances",
        2,
        "expected a whole number from 0 to 4294967295, found 5000000000",
    ),
    case("[cluster]\ninstances = 2.5\n", "cluster.instances", 2, "expected a whole number ≥ 0, found 2.5"),
    // Option<u32>
    case(
        "[cluster]\nmax_concurrent_loads = \"x\"\n",
        "cluster.max_concurrent_loads",
        2,
        "expected a whole number ≥ 0, found \"x\"",
    ),
    // bool, Option<bool>
    case("[cluster]\nreplace_failed = \"yes\"\n", "cluster.replace_failed", 2, "expected true or false, found \"yes\""),
    case("[cluster]\nreplace_failed = 1\n", "cluster.replace_failed", 2, "expected true or false, found 1"),
    case("[client]\njitter = \"yes\"\n", "client.jitter", 2, "expected true or false, found \"yes\""),
    // Option<f64>
    case("[client]\nbackoff_ms = \"x\"\n", "client.backoff_ms", 2, "expected a number, found \"x\""),
    // Zones (untagged: a count or names)
    case(
        "[cluster]\nzones = \"x\"\n",
        "cluster.zones",
        2,
        "expected a number of zones (1, 2, …) or a list of zone names [\"a\", \"b\"]",
    ),
    // Unit-only enums: ScaleInPick, ModelCacheSetting, StorageKind, ClientPreset
    case(
        "[cluster]\nscale_in_pick = \"oldest\"\n",
        "cluster.scale_in_pick",
        2,
        "unknown name `oldest`, expected one of `newest`, `fewest-loaded`, `fewest-outstanding`",
    ),
    case("[cluster]\nscale_in_pick = 3\n", "cluster.scale_in_pick", 2, "expected a name in quotes"),
    case("[cluster]\nmodel_cache = true\n", "cluster.model_cache", 2, "expected a name in quotes"),
    case(
        "[[instance_types]]\nname = \"x\"\nstorage = { kind = 5, size_gib = 1.0, read_mb_per_s = 1.0 }\n",
        "instance_types[0].storage.kind",
        3,
        "expected a name in quotes",
    ),
    case(
        "[client]\npreset = \"boto4\"\n",
        "client.preset",
        2,
        "unknown name `boto4`, expected `boto3-legacy` or `boto3-standard`",
    ),
    case("[client]\npreset = 5\n", "client.preset", 2, "expected a name in quotes"),
    // Structs (tables)
    case("cluster = 5\n", "cluster", 1, "expected a table `{ … }`, found 5"),
    case("[cluster]\nbatching = 5\n", "cluster.batching", 2, "expected a table `{ … }`, found 5"),
    case(
        "[cluster]\nbatching = { max_batch = 1.5, marginal = 0.2 }\n",
        "cluster.batching.max_batch",
        2,
        "expected a whole number ≥ 0, found 1.5",
    ),
    case("[[instance_types]]\nname = \"x\"\ngpu = 5\n", "instance_types[0].gpu", 3, "expected a table `{ … }`, found 5"),
    case("client = 5\n", "client", 1, "expected a table `{ … }`, found 5"),
    case("validation = 5\n", "validation", 1, "expected a table `{ … }`, found 5"),
    // Vec
    case("instance_types = 5\n", "instance_types", 1, "expected a list `[…]`, found 5"),
    case("instance_types = { name = \"x\" }\n", "instance_types", 1, "expected a list `[…]`, found a table"),
    case("[models]\nlist = { name = \"a\" }\n", "models.list", 2, "expected a list `[…]`, found a table"),
    case("faults = { kind = \"zone-outage\" }\n", "faults", 1, "expected a list `[…]`, found a table"),
    case(
        "[[instance_types]]\nname = \"x\"\nvcpus = \"four\"\n",
        "instance_types[0].vcpus",
        3,
        "expected a whole number ≥ 0, found \"four\"",
    ),
    case("[[models.list]]\nname = 5\nmemory_mib = 1.0\n", "models.list[0].name", 2, "expected a string in quotes, found 5"),
    // Dist
    case("[models]\nmemory_mib = 5\n", "models.memory_mib", 2, DIST),
    case("[models]\nmemory_mib = \"lognormal\"\n", "models.memory_mib", 2, DIST),
    case(
        "[models]\nmemory_mib = { dist = \"lognormal\", median = \"x\", sigma = 1.0 }\n",
        "models.memory_mib",
        2,
        "expected a number, found \"x\"",
    ),
    case("[models]\nmemory_mib = { dist = 5 }\n", "models.memory_mib.dist", 2, "expected a name in quotes, found 5"),
    case(
        "[models]\nmemory_mib = { dist = \"normal\", mean = 1.0 }\n",
        "models.memory_mib.dist",
        2,
        "unknown name `normal`, expected one of `constant`, `exponential`, `lognormal`, `uniform`, `gamma`",
    ),
    // ServiceSpec (a number or a distribution)
    case(
        "[models]\nservice_ms = [1]\n",
        "models.service_ms",
        2,
        "expected a number of milliseconds or a distribution table such as { dist = \"exponential\", mean = 20.0 }, found a list",
    ),
    // ArrivalProcess, with arrays of pairs and a u32 inside
    case(
        "[workload]\narrival = \"poisson\"\n",
        "workload.arrival",
        2,
        "expected an arrival process such as { process = \"poisson\", rate_per_s = 100.0 }, found \"poisson\"",
    ),
    case(
        "[workload]\narrival = { process = \"poisson\", rate_per_s = \"fast\" }\n",
        "workload.arrival",
        2,
        "expected a number, found \"fast\"",
    ),
    case(
        "[workload]\narrival = { process = 5 }\n",
        "workload.arrival.process",
        2,
        "expected a name in quotes, found 5",
    ),
    case(
        "[workload]\narrival = { process = \"table\", points = 5 }\n",
        "workload.arrival",
        2,
        "expected a list `[…]`, found 5",
    ),
    case(
        "[workload]\narrival = { process = \"table\", points = [[1.0]] }\n",
        "workload.arrival",
        2,
        "expected a list of 2 values `[…, …]`, found a list of 1 value",
    ),
    case(
        "[workload]\narrival = { process = \"mmpp\", states = [5] }\n",
        "workload.arrival",
        2,
        "expected a list of 2 values `[…, …]`, found 5",
    ),
    case(
        "[workload]\narrival = { process = \"closed\", users = -1 }\n",
        "workload.arrival",
        2,
        "expected a whole number ≥ 0, found -1",
    ),
    // Popularity, Drift, TraceSpec
    case(
        "[workload]\npopularity = \"zipf\"\n",
        "workload.popularity",
        2,
        "expected a popularity such as { dist = \"zipf\", alpha = 0.8 }, found \"zipf\"",
    ),
    case(
        "[workload]\ndrift = 5\n",
        "workload.drift",
        2,
        "expected a drift such as { kind = \"rotate\", every_s = 3600.0, by = 10 }, found 5",
    ),
    case(
        "[workload]\ntrace = \"a.csv\"\n",
        "workload.trace",
        2,
        "expected a trace such as { format = \"csv\", path = \"requests.csv\" }, found \"a.csv\"",
    ),
    // PathBuf
    case(
        "[workload]\ntrace = { format = \"csv\", path = 5 }\n",
        "workload.trace",
        2,
        "expected a file path in quotes, found 5",
    ),
    // Policies (eviction, routing, autoscaling)
    case("[eviction]\nmemory = { policy = 5 }\n", "eviction.memory", 2, "`policy`: expected a name in quotes, found 5"),
    case(
        "[eviction]\nmemory = { policy = \"lruk\", k = 1.5 }\n",
        "eviction.memory",
        2,
        "expected a whole number ≥ 0, found 1.5",
    ),
    case("[routing]\npolicy = \"sticky\"\nspill_factor = \"x\"\n", "routing", 1, "expected a number, found \"x\""),
    case("[autoscaling]\npolicy = \"step\"\nsteps = [5]\n", "autoscaling", 1, "expected a table `{ … }`, found 5"),
    // FaultSpec, ZoneRef, i64
    case(
        "faults = [5]\n",
        "faults[0]",
        1,
        "expected a fault such as { kind = \"zone-outage\", zone = 0, at_s = 600.0 }, found 5",
    ),
    case("[[faults]]\nkind = 5\n", "faults[0].kind", 2, "expected a name in quotes, found 5"),
    case(
        "[[faults]]\nkind = \"zone-outage\"\nzone = true\nat_s = 1.0\n",
        "faults[0]",
        1,
        "expected a zone index (0, 1, …) or a zone name in quotes",
    ),
    case(
        "[[faults]]\nkind = \"instance-failure\"\ninstance = \"x\"\nat_s = 1.0\n",
        "faults[0]",
        1,
        "expected a whole number, found \"x\"",
    ),
];

#[test]
fn every_kind_of_field_says_what_it_expected_in_plain_words() {
    for c in CASES {
        let e = Scenario::from_toml_str(c.toml, "s.toml").expect_err(c.toml);
        let m = e.to_string();
        assert!(m.starts_with(&format!("s.toml: line {}, column ", c.line)), "line {} in: {m}", c.line);
        assert!(m.contains(&format!("`{}`: ", c.field)), "field `{}` in: {m}", c.field);
        assert!(m.contains(c.says), "`{}` in: {m}", c.says);
        assert_eq!(e.field(), Some(c.field), "{m}");
        assert_plain(&m);
    }
}

#[test]
fn a_value_quoted_from_the_file_has_its_control_characters_escaped() {
    // A key, a policy name and an instance type with control characters:
    // the message is one printable line.
    let cases = [
        ("\"\\u0007bad\" = 1\n", "unknown field `\\u{7}bad`"),
        ("[eviction]\nmemory = \"gd\\u001bfs\"\n", "unknown policy `gd\\u{1b}fs`"),
        ("[cluster]\ninstance_type = \"x\\u0000\"\n", "unknown instance type `x\\0`"),
        ("name = 5\t# tab\n", "(in `name = 5\\t# tab`)"),
    ];
    for (toml, says) in cases {
        let m = Scenario::from_toml_str(toml, "s.toml").expect_err(toml).to_string();
        assert!(m.contains(says), "`{says}` in: {m}");
        assert_plain(&m);
    }
}

#[test]
fn sweeps_say_bad_values_in_plain_words() {
    let dir = temp_dir("plain-messages", "sweep");
    std::fs::write(dir.join("base.toml"), "duration_s = 60.0\n").unwrap();
    let cases = [
        (
            "base = \"base.toml\"\n[axes]\n\"cluster.instances\" = [{ a = 1 }]\n",
            "sweep.toml: `axes.\"cluster.instances\"`: `cluster.instances`: expected a whole number ≥ 0, found a table (with `cluster.instances` = { a = 1 })",
        ),
        (
            "base = \"base.toml\"\n[axes]\n\"models.memory_mib\" = [5]\n",
            "sweep.toml: `axes.\"models.memory_mib\"`: `models.memory_mib`: expected a distribution such as { dist = \"lognormal\", median = 30.0, sigma = 1.0 }, found 5 (with `models.memory_mib` = 5)",
        ),
        (
            "base = \"base.toml\"\n[set]\n\"cluster.replace_failed\" = \"no\"\n[axes]\nseed = [1]\n",
            "sweep.toml: `set.\"cluster.replace_failed\"`: `cluster.replace_failed`: expected true or false, found \"no\" (with `cluster.replace_failed` = \"no\")",
        ),
    ];
    for (sweep, want) in cases {
        let e = Sweep::from_toml_str(sweep, "sweep.toml", &dir).expect_err(sweep);
        assert_eq!(e.to_string(), want);
        assert_plain(&e.to_string());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_and_exports_say_bad_values_in_plain_words() {
    let e = parse_jsonl("[1, 2]\n", "a.jsonl").unwrap_err().to_string();
    assert_eq!(e, "a.jsonl: line 1: not a JSON object: expected a JSON object, found a list");
    assert_plain(&e);

    let cases = [
        (
            "{\"MetricDataResults\": 5}",
            "cw.json: line 1, column 23: not get-metric-data JSON: expected a list `[…]`, found 5",
        ),
        (
            "{\"MetricDataResults\": {\"a\": 1}}",
            "cw.json: line 1, column 22: not get-metric-data JSON: expected a list `[…]`, found an object",
        ),
        (
            "{\"MetricDataResults\": [{\"Id\": 5}]}",
            "cw.json: line 1, column 31: not get-metric-data JSON: expected a string in quotes, found 5",
        ),
        (
            "{\"MetricDataResults\": [{\"Values\": [\"x\"]}]}",
            "cw.json: line 1, column 38: not get-metric-data JSON: expected a number, found \"x\"",
        ),
    ];
    for (json, want) in cases {
        let e = cloudwatch::parse_get_metric_data_json(json, "cw.json").expect_err(json).to_string();
        assert_eq!(e, want);
        assert_plain(&e);
    }
}

#[test]
fn files_that_are_not_text_are_one_line_naming_the_first_bad_byte() {
    let dir = temp_dir("plain-messages", "binary");
    let at = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let name = |p: &std::path::Path| p.display().to_string();
    // A scenario with a NUL byte, and one that is not UTF-8.
    let p = at("nul.toml", b"name = \"a\0b\"\n");
    let e = Scenario::from_file(&p).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: not a text file (a NUL byte at byte offset 9)", name(&p)));
    assert!(matches!(e.kind(), mmesim::ErrorKind::Parse { .. }));
    let p = at("latin1.toml", b"name = \"caf\xe9\"\n");
    let e = Scenario::from_file(&p).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: not a UTF-8 text file (byte 0xE9 at byte offset 11)", name(&p)));
    // A sweep file, and a sweep whose base is binary.
    let p = at("sweep.toml", b"base = \"b.toml\"\0\n");
    assert_eq!(
        Sweep::from_file(&p).unwrap_err().to_string(),
        format!("{}: not a text file (a NUL byte at byte offset 15)", name(&p))
    );
    let b = at("b.toml", &[0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    let p = at("sweep2.toml", b"base = \"b.toml\"\n[axes]\nseed = [1]\n");
    assert_eq!(
        Sweep::from_file(&p).unwrap_err().to_string(),
        format!("{}: not a text file (a NUL byte at byte offset 7)", name(&b))
    );
    // A merge shard.
    let e = parse_jsonl_bytes(b"{\"point\": 0,\0 \"points\": 1}\n".to_vec(), "s.jsonl").unwrap_err();
    assert_eq!(e.to_string(), "s.jsonl: not a text file (a NUL byte at byte offset 12)");
    let e = parse_jsonl_bytes(b"{\"point\": 0, \"\xff\": 1}\n".to_vec(), "s.jsonl").unwrap_err();
    assert_eq!(e.to_string(), "s.jsonl: not a UTF-8 text file (byte 0xFF at byte offset 14)");
    // A metrics export, CSV or JSON.
    let p =
        at("m.csv", b"timestamp,metric,dimension,statistic,value\n2026\0-11-30T10:00:00Z,ModelLatency,,Average,5\n");
    assert_eq!(
        cloudwatch::read_export(&p).unwrap_err().to_string(),
        format!("{}: not a text file (a NUL byte at byte offset 47)", name(&p))
    );
    // A request trace named by a scenario: the hint names the binary format.
    at("trace.csv", b"timestamp_s,model\n0.5,\x00\x01\x02\x03\n");
    let p = at("run.toml", b"duration_s = 10.0\n[workload]\ntrace = { format = \"csv\", path = \"trace.csv\" }\n");
    let s = Scenario::from_file(&p).unwrap();
    let e = s.run().unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: not a text file (a NUL byte at byte offset 22); for libCacheSim's binary traces use the format `oracle-general`",
            name(&dir.join("trace.csv"))
        )
    );
    assert!(!e.chars().any(char::is_control));
    let _ = std::fs::remove_dir_all(&dir);
}
