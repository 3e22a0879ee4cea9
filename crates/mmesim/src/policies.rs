//! Every routing, eviction and autoscaling policy a scenario can name,
//! with its rule and its parameters (defaults, units, constraints): what
//! `mmesim policies` prints.
//!
//! This is one hand-kept table, checked against the code by
//! `tests/policies.rs`: its names are exactly the policy enums' names, its
//! parameters their `param_names`, and each default the value the
//! scenario reader gives a parameter left out.

use serde::Serialize;
use std::fmt::Write;

/// A policy's parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    /// The key, beside `policy` in the policy's table.
    pub name: &'static str,
    /// The default as TOML text (`2.0`, `"InvocationsPerInstance"`);
    /// `None`: required.
    pub default: Option<&'static str>,
    /// The unit (empty when it has none).
    pub unit: &'static str,
    /// What values are accepted (empty: any of its type).
    pub constraint: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

/// A policy: where it is named, its rule and its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The scenario table: `routing`, `eviction` or `autoscaling`.
    pub table: &'static str,
    /// The name as written in a scenario.
    pub name: &'static str,
    /// Whether it is the scenario's default.
    pub default: bool,
    /// Its rule, in one line.
    pub rule: &'static str,
    /// Where it is not available, if anywhere.
    pub note: &'static str,
    /// Its parameters, in the order the code declares them.
    pub params: &'static [Param],
}

/// Where each table's policies are documented.
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("routing", "[routing] policy = \"NAME\"", "docs/guide.md §3.8; compared in §9"),
    ("eviction", "[eviction] memory = \"NAME\", disk = \"NAME\"", "docs/guide.md §3.9 and §7"),
    ("autoscaling", "[autoscaling] policy = \"NAME\"", "docs/guide.md §3.10"),
];

const fn p(
    name: &'static str,
    default: Option<&'static str>,
    unit: &'static str,
    constraint: &'static str,
    meaning: &'static str,
) -> Param {
    Param { name, default, unit, constraint, meaning }
}

const METRIC: Param = p(
    "metric",
    Some("\"InvocationsPerInstance\""),
    "",
    "InvocationsPerInstance, CPUUtilization, MemoryUtilization or GPUUtilization",
    "the per-minute metric tracked",
);
const MIN_INSTANCES: Param = p("min_instances", Some("1"), "instances", "≤ max_instances", "fewest instances");
const MAX_INSTANCES: Param = p("max_instances", Some("10"), "instances", "1 … 100000", "most instances");

const fn routing(name: &'static str, default: bool, rule: &'static str, params: &'static [Param]) -> Policy {
    Policy { table: "routing", name, default, rule, note: "", params }
}
const fn eviction(name: &'static str, default: bool, rule: &'static str, params: &'static [Param]) -> Policy {
    Policy { table: "eviction", name, default, rule, note: "", params }
}
const fn autoscaling(name: &'static str, default: bool, rule: &'static str, params: &'static [Param]) -> Policy {
    Policy { table: "autoscaling", name, default, rule, note: "", params }
}

/// Every policy, by table, in the order the code declares them.
pub const POLICIES: &[Policy] = &[
    routing(
        "sticky",
        true,
        "SageMaker-like: a warm copy while it is not busy, else a copy on its way, else the model's home on a \
         hash ring; spill to another instance when every copy is busy",
        &[p(
            "spill_factor",
            Some("2.0"),
            "× slots",
            "> 0",
            "spill once the least-loaded copy has spill_factor × slots requests in service or queued for a slot",
        )],
    ),
    routing(
        "least-outstanding",
        false,
        "the accepting instance with the fewest outstanding requests; ignores the model",
        &[],
    ),
    routing("random", false, "a uniformly random accepting instance", &[]),
    routing("round-robin", false, "accepting instances in turn, by id", &[]),
    routing(
        "p2c",
        false,
        "power of two choices with locality: a warm copy with a free slot, else the better of two random \
         instances, the one holding the model unless it is much busier",
        &[],
    ),
    routing(
        "consistent-hash",
        false,
        "consistent hashing with bounded loads: the first instance clockwise from the model's point on the \
         ring whose outstanding requests are below the cap",
        &[p(
            "load_factor",
            Some("1.25"),
            "×",
            "> 1",
            "the cap is ⌈load_factor × (min + 1)⌉ outstanding requests, min being the least-loaded instance's",
        )],
    ),
    routing(
        "modelmesh",
        false,
        "ModelMesh-style: the loaded copy with the fewest outstanding requests; on a miss, the instance with \
         the most free model memory, else the one whose cache is oldest",
        &[],
    ),
    eviction("lru", true, "least recently used", &[]),
    eviction("fifo", false, "first in, first out; hits do not change the order", &[]),
    eviction("random", false, "a uniformly random unpinned victim (seeded)", &[]),
    eviction("lfu", false, "fewest requests since the object entered the tier; ties least recently used", &[]),
    eviction("lfuda", false, "LFU with dynamic ageing", &[]),
    eviction("gds", false, "GreedyDual-Size: reload cost per byte, least recently used among equals", &[]),
    eviction("gdsf", false, "GreedyDual-Size-Frequency: GDS × the request count", &[]),
    eviction("sieve", false, "SIEVE: FIFO with a visited bit and a moving hand", &[]),
    eviction(
        "s3fifo",
        false,
        "S3-FIFO: a small probationary FIFO, a main FIFO and a ghost queue",
        &[p("small_ratio", Some("0.1"), "share of the tier's bytes", "0 < x < 1", "the small FIFO's share")],
    ),
    eviction("arc", false, "Adaptive Replacement Cache", &[]),
    eviction(
        "lruk",
        false,
        "LRU-K: evict the object whose K-th most recent access is oldest",
        &[p("k", Some("2"), "accesses", "1 … 64", "K; k = 1 is LRU")],
    ),
    eviction(
        "ttl",
        false,
        "idle keep-alive: an object idle for ttl_s is removed even without pressure; under pressure, LRU order",
        &[p("ttl_s", Some("600.0"), "s", "0 < ttl_s ≤ 1e9", "idle time before removal")],
    ),
    Policy {
        table: "eviction",
        name: "belady",
        default: false,
        rule: "the offline optimum: evict the object whose next use is farthest",
        note: "trace replay (`mmesim cache`) only: a scenario rejects it",
        params: &[p("size_aware", Some("false"), "", "", "weigh size × distance instead of distance")],
    },
    autoscaling("none", true, "a fixed fleet: cluster.instances for the whole run (failed instances aside)", &[]),
    autoscaling(
        "target-tracking",
        false,
        "keep a per-minute metric near a target: desired = ceil(in service × metric / target), clamped",
        &[
            METRIC,
            p("target", Some("70.0"), "the metric's unit", "> 0", "the target value"),
            MIN_INSTANCES,
            MAX_INSTANCES,
            p("scale_out_minutes", Some("3"), "minutes", "≥ 1", "consecutive minutes above target before scaling out"),
            p(
                "scale_in_minutes",
                Some("15"),
                "minutes",
                "≥ 1",
                "consecutive minutes below target × (1 − scale_in_margin) before scaling in",
            ),
            p("scale_in_margin", Some("0.1"), "share", "0 ≤ x < 1", "the relative margin for scale-in"),
            p("scale_out_cooldown_s", Some("300.0"), "s", "0 … 1e9", "no scale-out within this long of the last one"),
            p(
                "scale_in_cooldown_s",
                Some("600.0"),
                "s",
                "0 … 1e9",
                "no scale-in within this long of the last scaling activity",
            ),
        ],
    ),
    autoscaling(
        "step",
        false,
        "add or remove a fixed number of instances per band of a per-minute metric",
        &[
            METRIC,
            p(
                "steps",
                None,
                "",
                "not empty; each one of above / below and a non-zero change",
                "the bands: [{ above = 70, change = +1 }, { below = 20, change = -1 }]",
            ),
            MIN_INSTANCES,
            MAX_INSTANCES,
            p("cooldown_s", Some("300.0"), "s", "0 … 1e9", "no scaling within this long of the last"),
            p("evaluation_minutes", Some("1"), "minutes", "≥ 1", "consecutive minutes a band must hold"),
        ],
    ),
    autoscaling(
        "scheduled",
        false,
        "capacity by time of day: the last schedule entry at or before now mod period_s",
        &[
            p(
                "schedule",
                None,
                "[s, instances]",
                "the first at 0, times increasing and below period_s",
                "[time_of_day_s, instances] pairs: [[0, 2], [28800, 6]]",
            ),
            p("period_s", Some("86400.0"), "s", "≥ 60", "the schedule's period"),
        ],
    ),
];

/// The policies of one table (`routing`, `eviction`, `autoscaling`).
pub fn of(table: &str) -> impl Iterator<Item = &'static Policy> + '_ {
    POLICIES.iter().filter(move |p| p.table == table)
}

/// The table for a terminal: per scenario table, where the policy is
/// named and where the guide documents it, then each policy with its
/// rule and parameters.
pub fn table() -> String {
    let mut s = String::new();
    for (k, &(table, usage, guide)) in SECTIONS.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        let _ = writeln!(s, "{}: {usage}  ({guide})", table.to_uppercase());
        for pol in of(table) {
            let mut head = pol.name.to_string();
            if pol.default {
                head.push_str(" (default)");
            }
            if !pol.note.is_empty() {
                let _ = write!(head, " [{}]", pol.note);
            }
            let _ = writeln!(s, "\n  {head}\n      {}", pol.rule);
            for a in pol.params {
                let value = a.default.map_or_else(|| " (required)".to_string(), |d| format!(" = {d}"));
                let facts: Vec<&str> = [a.unit, a.constraint].into_iter().filter(|x| !x.is_empty()).collect();
                let facts = if facts.is_empty() { String::new() } else { format!(" [{}]", facts.join("; ")) };
                let _ = writeln!(s, "      {}{value}{facts}: {}", a.name, a.meaning);
            }
        }
    }
    s
}

/// The policies as a JSON array (`mmesim policies --json`): per policy
/// `table`, `name`, `default` (whether it is the scenario's default),
/// `rule`, `note`, and `params`, each with `name`, `default` (the value,
/// `null` when required), `required`, `unit`, `constraint`, `meaning`.
pub fn to_json() -> serde_json::Value {
    let list: Vec<serde_json::Value> = POLICIES
        .iter()
        .map(|pol| {
            let params: Vec<serde_json::Value> = pol
                .params
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "name": a.name,
                        "default": a.default.map(default_value),
                        "required": a.default.is_none(),
                        "unit": a.unit,
                        "constraint": a.constraint,
                        "meaning": a.meaning,
                    })
                })
                .collect();
            serde_json::json!({
                "table": pol.table,
                "name": pol.name,
                "default": pol.default,
                "rule": pol.rule,
                "note": pol.note,
                "params": params,
            })
        })
        .collect();
    serde_json::Value::Array(list)
}

/// A default's TOML text as a JSON value.
pub fn default_value(text: &str) -> serde_json::Value {
    let v = toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| panic!("BUG: the default `{text}` is not TOML"));
    serde_json::to_value(v).unwrap_or_else(|e| panic!("BUG: {e}"))
}
