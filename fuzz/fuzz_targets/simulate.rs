//! `simulate`: a short simulation of a small random endpoint, built from
//! the fuzzer's bytes (`arbitrary`): 1–4 instances of a catalog or a tiny
//! custom type over 1–3 zones, 1–50 models, at most 120 simulated
//! seconds, any online eviction policy on either tier, any router, an
//! autoscaler, faults, client retries, open or closed-loop traffic. The
//! scenario goes through the scenario reader as TOML (what fails
//! validation is skipped) and runs with the invariant checker on after
//! every event (`check_invariants`: capacity, pins, byte and request
//! accounting, time order; a violation panics with `BUG:`). Then every
//! arrived request must be accounted for (completed + failed + rejected),
//! and a second run, without the checker, must give a byte-identical
//! report and per-minute metrics (determinism; the checker only reads).
//! A failure prints the scenario's TOML.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;

#[derive(Arbitrary, Debug)]
struct Dist {
    kind: u8,
    a: u16,
    b: u16,
}

#[derive(Arbitrary, Debug)]
struct Policy {
    name: u8,
    param: u16,
}

#[derive(Arbitrary, Debug)]
struct Fault {
    zone: bool,
    which: u8,
    at: u16,
    duration: Option<u16>,
}

#[derive(Arbitrary, Debug)]
struct Params {
    seed: u64,
    // The endpoint.
    instance_type: u8,
    instances: u8,
    zones: u8,
    tiny_vcpus: u8,
    tiny_memory: u16,
    tiny_disk: u16,
    tiny_read: u16,
    tiny_download: u16,
    cpu_per_request: u8,
    queue_limit: u8,
    timeout: u16,
    max_loads: Option<u8>,
    max_downloads: Option<u8>,
    replace_failed: bool,
    replacement_delay: u8,
    launch_delay: u8,
    scale_in_pick: u8,
    request_overhead: u16,
    model_cache_disabled: bool,
    batching: Option<(u8, u16)>,
    // The models.
    models: u8,
    listed: Option<Vec<u16>>,
    memory: Dist,
    service: Dist,
    artifact_ratio: u16,
    load_overhead: u16,
    unload: u16,
    payload: u16,
    preprocess: u16,
    // The traffic.
    duration: u8,
    warmup: u8,
    arrival: u8,
    rates: [u16; 4],
    sojourns: [u16; 3],
    think: Dist,
    closed_extra: (Option<u16>, Option<(u8, u16)>),
    zipf: Option<u16>,
    drift: Option<(bool, u16, u8)>,
    // The policies.
    memory_policy: Policy,
    disk_policy: Policy,
    routing: Policy,
    autoscaling: u8,
    autoscaling_target: u16,
    faults: Vec<Fault>,
    retries: u8,
    backoff: u16,
    jitter: bool,
    retry_not_ready: bool,
    preset: u8,
}

/// `x` mapped onto `[lo, hi]`.
fn range(x: u16, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * f64::from(x) / f64::from(u16::MAX)
}

/// A distribution with its parameters in `[lo, hi]` (a mean or median),
/// as an inline TOML table. The gamma shape spans [0.01, 1000]: the
/// scenario's checks refuse what cannot be sampled.
fn dist(d: &Dist, lo: f64, hi: f64) -> String {
    let a = range(d.a, lo, hi);
    match d.kind % 5 {
        0 => format!("{{ dist = \"constant\", value = {a:?} }}"),
        1 => format!("{{ dist = \"exponential\", mean = {a:?} }}"),
        2 => format!("{{ dist = \"lognormal\", median = {a:?}, sigma = {:?} }}", range(d.b, 0.0, 1.5)),
        3 => format!("{{ dist = \"uniform\", min = {a:?}, max = {:?} }}", a + range(d.b, 0.0, hi)),
        _ => format!("{{ dist = \"gamma\", shape = {:?}, mean = {a:?} }}", range(d.b, 0.01, 1000.0)),
    }
}

/// An online eviction policy (Belady needs the future), as a TOML value.
fn eviction(p: &Policy) -> String {
    let names: Vec<&str> = mmesim::eviction::EvictionPolicy::NAMES.iter().copied().filter(|n| *n != "belady").collect();
    let name = names[usize::from(p.name) % names.len()];
    match name {
        "ttl" => format!("{{ policy = \"ttl\", ttl_s = {:?} }}", range(p.param, 0.5, 60.0)),
        "lruk" => format!("{{ policy = \"lruk\", k = {} }}", 1 + p.param % 4),
        "s3fifo" => format!("{{ policy = \"s3fifo\", small_ratio = {:?} }}", range(p.param, 0.05, 0.95)),
        n => format!("\"{n}\""),
    }
}

/// The `[routing]` table: the policy's name and its parameter.
fn routing(p: &Policy) -> String {
    let names = mmesim::routing::RoutingPolicy::NAMES;
    let name = names[usize::from(p.name) % names.len()];
    let param = match name {
        "sticky" => format!("spill_factor = {:?}\n", range(p.param, 0.5, 4.0)),
        "consistent-hash" => format!("load_factor = {:?}\n", range(p.param, 1.05, 3.0)),
        _ => String::new(),
    };
    format!("[routing]\npolicy = \"{name}\"\n{param}")
}

/// The autoscaler, with bounds [1, instances + 2] and short alarms so that
/// it acts within a run.
fn autoscaling(kind: u8, target: u16, instances: u32) -> String {
    let max = instances + 2;
    let t = range(target, 1.0, 600.0);
    match kind % 4 {
        0 => String::new(),
        1 => format!(
            "[autoscaling]\npolicy = \"target-tracking\"\ntarget = {t:?}\nmin_instances = 1\nmax_instances = {max}\n\
             scale_out_minutes = 1\nscale_in_minutes = 1\nscale_out_cooldown_s = 0.0\nscale_in_cooldown_s = 0.0\n"
        ),
        2 => format!(
            "[autoscaling]\npolicy = \"step\"\nmin_instances = 1\nmax_instances = {max}\ncooldown_s = 0.0\n\
             steps = [{{ above = {t:?}, change = 2 }}, {{ below = {:?}, change = -1 }}]\n",
            t / 3.0
        ),
        _ => format!(
            "[autoscaling]\npolicy = \"scheduled\"\nperiod_s = 60.0\nschedule = [[0, {instances}], [20, {max}], [40, 1]]\n"
        ),
    }
}

fn arrival(p: &Params, duration: f64) -> String {
    let rate = |i: usize| range(p.rates[i], 0.0, 20.0);
    match p.arrival % 5 {
        0 => format!("{{ process = \"poisson\", rate_per_s = {:?} }}", rate(0).max(0.01)),
        1 => format!(
            "{{ process = \"diurnal\", mean_rate_per_s = {:?}, peak_to_trough = {:?}, period_s = {:?}, peak_at_s = {:?} }}",
            rate(0).max(0.01),
            range(p.rates[1], 1.0, 10.0),
            range(p.rates[2], 10.0, 240.0),
            range(p.rates[3], 0.0, 240.0)
        ),
        2 => {
            // Times strictly increasing from 0 within the run.
            let mut points = format!("[[0.0, {:?}]", rate(0));
            for i in 1..4 {
                write!(points, ", [{:?}, {:?}]", duration * i as f64 / 4.0, rate(i)).unwrap();
            }
            points.push(']');
            let repeat = if p.rates[3] & 1 == 0 { format!(", repeat_s = {duration:?}") } else { String::new() };
            format!("{{ process = \"table\", points = {points}{repeat} }}")
        }
        3 => {
            // Sojourns down to the scenario's floor (1 ms), up to a minute.
            let states: Vec<String> =
                (0..3).map(|i| format!("[{:?}, {:?}]", rate(i), range(p.sojourns[i], 0.001, 60.0))).collect();
            format!("{{ process = \"mmpp\", states = [{}] }}", states.join(", "))
        }
        _ => {
            let users = 1 + p.rates[0] % 20;
            let mut s = format!("{{ process = \"closed\", users = {users}, think_s = {}", dist(&p.think, 0.0, 5.0));
            if let Some(spawn) = p.closed_extra.0 {
                write!(s, ", spawn_rate_per_s = {:?}", range(spawn, 0.1, 20.0)).unwrap();
            }
            if let Some((procs, cpu)) = p.closed_extra.1 {
                write!(s, ", client_processes = {}, client_cpu_ms = {:?}", 1 + procs % 8, range(cpu, 0.0, 50.0))
                    .unwrap();
            }
            s.push_str(" }");
            s
        }
    }
}

fn toml_of(p: &Params) -> String {
    const TYPES: [&str; 5] = ["tiny", "ml.m5.large", "ml.c5.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge"];
    let ty = TYPES[usize::from(p.instance_type) % TYPES.len()];
    let instances = 1 + u32::from(p.instances % 4);
    let zones = 1 + u32::from(p.zones % 3);
    let tiny_vcpus = 1 + u32::from(p.tiny_vcpus % 4);
    let duration = 1.0 + f64::from(p.duration % 120);
    let warmup = duration * 0.5 * f64::from(p.warmup) / 255.0;
    let models = 1 + u32::from(p.models % 50);
    let mut t = String::new();
    let w = &mut t;
    // TOML integers are i64: a seed above i64::MAX cannot be written.
    let seed = p.seed & i64::MAX as u64;
    writeln!(w, "name = \"fuzz-sim\"\nseed = {seed}\nduration_s = {duration:?}\nwarmup_s = {warmup:?}").unwrap();
    writeln!(
        w,
        "[[instance_types]]\nname = \"tiny\"\nvcpus = {tiny_vcpus}\nmemory_gib = {:?}\nprice_per_hour = 0.1\n\
         storage = {{ kind = \"ebs\", size_gib = {:?}, read_mb_per_s = {:?} }}\ndownload_mb_per_s = {:?}",
        range(p.tiny_memory, 0.5, 8.0),
        range(p.tiny_disk, 0.5, 8.0),
        range(p.tiny_read, 10.0, 1000.0),
        range(p.tiny_download, 10.0, 500.0)
    )
    .unwrap();
    writeln!(
        w,
        "[cluster]\ninstance_type = \"{ty}\"\ninstances = {instances}\nzones = {zones}\ncpu_per_request = {}\n\
         queue_limit = {}\nrequest_timeout_s = {:?}\nreplace_failed = {}\nreplacement_delay_s = {:?}\n\
         launch_delay_s = {:?}\nscale_in_pick = \"{}\"\nrequest_overhead_ms = {:?}\nmodel_cache = \"{}\"",
        1 + u32::from(p.cpu_per_request) % if ty == "tiny" { tiny_vcpus } else { 2 },
        1 + u32::from(p.queue_limit % 100),
        range(p.timeout, 0.1, 60.0),
        p.replace_failed,
        1.0 + f64::from(p.replacement_delay % 60),
        1.0 + f64::from(p.launch_delay % 60),
        ["newest", "fewest-loaded", "fewest-outstanding"][usize::from(p.scale_in_pick % 3)],
        range(p.request_overhead, 0.0, 50.0),
        if p.model_cache_disabled { "disabled" } else { "enabled" },
    )
    .unwrap();
    if let Some(n) = p.max_loads {
        writeln!(w, "max_concurrent_loads = {}", 1 + n % 4).unwrap();
    }
    if let Some(n) = p.max_downloads {
        writeln!(w, "max_concurrent_downloads = {}", 1 + n % 4).unwrap();
    }
    if let (Some((b, m)), true) = (p.batching, ty.starts_with("ml.g")) {
        writeln!(w, "batching = {{ max_batch = {}, marginal = {:?} }}", 1 + b % 16, range(m, 0.0, 1.0)).unwrap();
    }
    writeln!(
        w,
        "[models]\ncount = {models}\nmemory_mib = {}\nservice_ms = {}\nartifact_ratio = {:?}\n\
         load_overhead_ms = {:?}\nunload_ms = {:?}\npayload_kib = {:?}\npreprocess_ms = {:?}",
        dist(&p.memory, 1.0, 3000.0),
        dist(&p.service, 0.1, 500.0),
        range(p.artifact_ratio, 0.1, 2.0),
        range(p.load_overhead, 0.0, 2000.0),
        range(p.unload, 0.0, 200.0),
        range(p.payload, 0.0, 1000.0),
        range(p.preprocess, 0.0, 50.0)
    )
    .unwrap();
    if let Some(list) = &p.listed {
        let entries: Vec<String> = list
            .iter()
            .take(50)
            .enumerate()
            .map(|(i, &m)| format!("{{ name = \"m{i}\", memory_mib = {:?} }}", range(m, 1.0, 4000.0)))
            .collect();
        if !entries.is_empty() {
            writeln!(w, "list = [{}]", entries.join(", ")).unwrap();
        }
    }
    writeln!(w, "[workload]\narrival = {}", arrival(p, duration)).unwrap();
    match p.zipf {
        Some(a) => writeln!(w, "popularity = {{ dist = \"zipf\", alpha = {:?} }}", range(a, 0.0, 2.0)).unwrap(),
        None => writeln!(w, "popularity = {{ dist = \"uniform\" }}").unwrap(),
    }
    if let Some((rotate, every, by)) = p.drift {
        let every = range(every, 1.0, 60.0);
        if rotate {
            writeln!(w, "drift = {{ kind = \"rotate\", every_s = {every:?}, by = {} }}", by % 50).unwrap();
        } else {
            writeln!(w, "drift = {{ kind = \"reshuffle\", every_s = {every:?} }}").unwrap();
        }
    }
    writeln!(w, "[eviction]\nmemory = {}\ndisk = {}", eviction(&p.memory_policy), eviction(&p.disk_policy)).unwrap();
    w.push_str(&routing(&p.routing));
    w.push_str(&autoscaling(p.autoscaling, p.autoscaling_target, instances));
    match p.preset % 4 {
        0 => writeln!(w, "[client]\npreset = \"boto3-legacy\"").unwrap(),
        1 => writeln!(w, "[client]\npreset = \"boto3-standard\"").unwrap(),
        _ => writeln!(
            w,
            "[client]\nretries = {}\nbackoff_ms = {:?}\njitter = {}\nretry_model_not_ready = {}",
            p.retries % 4,
            range(p.backoff, 1.0, 2000.0),
            p.jitter,
            p.retry_not_ready
        )
        .unwrap(),
    }
    for f in p.faults.iter().take(3) {
        let at = range(f.at, 0.0, duration);
        let dur = f.duration.map(|d| format!("duration_s = {:?}\n", range(d, 0.1, duration))).unwrap_or_default();
        if f.zone {
            writeln!(
                w,
                "[[faults]]\nkind = \"zone-outage\"\nzone = {}\nat_s = {at:?}\n{dur}",
                u32::from(f.which) % zones
            )
            .unwrap();
        } else {
            writeln!(
                w,
                "[[faults]]\nkind = \"instance-failure\"\ninstance = {}\nat_s = {at:?}\n{dur}",
                u32::from(f.which) % instances
            )
            .unwrap();
        }
    }
    t
}

fuzz_target!(|p: Params| {
    let toml = toml_of(&p);
    if mmesim_fuzz::debug_on() {
        eprintln!("{toml}");
    }
    let s = mmesim::Scenario::from_toml_str(&toml, "fuzz-sim.toml");
    mmesim_fuzz::debug("scenario", &s);
    let Ok(s) = s else { return };
    let opts = mmesim::RunOptions { check_invariants: true, record_metrics: true, ..Default::default() };
    let a = s.run_with(opts);
    mmesim_fuzz::debug("run", &a);
    let Ok(a) = a else { return };
    mmesim_fuzz::check_accounting(&a.report, &toml);
    if mmesim_fuzz::debug_on() {
        eprintln!("arrived {}, events {}", a.report.requests.arrived, a.events);
    }
    // The second run without the checker: it only reads, so the report
    // must not change.
    let opts = mmesim::RunOptions { check_invariants: false, ..opts };
    let b = s.run_with(opts).unwrap_or_else(|e| panic!("the second run failed where the first ran: {e}\n{toml}"));
    assert!(
        mmesim::to_json(&a.report) == mmesim::to_json(&b.report),
        "two runs of the same scenario gave different reports\n{toml}"
    );
    assert!(
        mmesim::metrics_csv(&a) == mmesim::metrics_csv(&b),
        "two runs of the same scenario gave different per-minute metrics\n{toml}"
    );
});
