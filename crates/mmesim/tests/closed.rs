//! Closed-loop clients (`arrival = { process = "closed", … }`): Little's
//! law, the closed queue on one slot, the scenario's checks, and a property
//! test replaying every user's requests from the run's trace.

mod common;

use mmesim::core::{ClosedLoop, ModelId, TraceKind};
use mmesim::engine::{RngStreams, SimDuration, SimTime};
use mmesim::workload::ClosedClients;
use mmesim::{RunOptions, Scenario};
use proptest::prelude::*;
use std::sync::{Arc, Mutex};

/// One model, warm after the warm-up; `instance_type` and `cpu_per_request`
/// fix the slots; constant service `s_ms`.
fn closed_scenario(users: u32, think: &str, s_ms: f64, instance_type: &str, cpu_per_request: u32) -> Scenario {
    common::scenario(&format!(
        "duration_s = 600.0\nwarmup_s = 60.0\n\
         [cluster]\ninstance_type = \"{instance_type}\"\ninstances = 1\ncpu_per_request = {cpu_per_request}\n\
         [models]\ncount = 1\nmemory_mib = {{ dist = \"constant\", value = 100.0 }}\nservice_ms = {s_ms}\n\
         [workload]\narrival = {{ process = \"closed\", users = {users}, think_s = {think} }}\n"
    ))
}

#[test]
fn littles_law_without_queueing() {
    // 12 users, think Z = 0.49 s, service S = 10 ms, 16 slots: nobody
    // queues, so each user completes one request per S + Z = 0.5 s and the
    // endpoint N / (S + Z) = 24 per second (up to one request per user at
    // the window's edges: 12 / 540 s); every latency is S.
    let s = closed_scenario(12, "{ dist = \"constant\", value = 0.49 }", 10.0, "ml.m5.4xlarge", 1);
    let r = common::run_checked(&s).report;
    let window = 600.0 - 60.0;
    let rate = r.requests.measured as f64 / window;
    assert!((rate - 24.0).abs() <= 12.0 / window, "{rate} requests/s");
    assert_eq!(r.latency_ms.mean, 10.0);
    assert!((r.latency_ms.max - 10.0).abs() < 0.01, "{}", r.latency_ms.max);
    assert_eq!(r.queue_wait_ms.waited_fraction, 0.0);
    assert_eq!(r.requests.arrived, r.requests.completed);
    // With random think times (mean 0.49 s), the same on average: about
    // 13,000 requests, so a relative standard error well under 1 %.
    let s = closed_scenario(12, "{ dist = \"uniform\", min = 0.0, max = 0.98 }", 10.0, "ml.m5.4xlarge", 1);
    let r = common::run_checked(&s).report;
    let rate = r.requests.measured as f64 / window;
    assert!((rate - 24.0).abs() < 0.3, "{rate} requests/s");
}

#[test]
fn a_closed_queue_on_one_slot_serves_one_per_service_time() {
    // 8 users, no think time, one slot (2 vCPUs, 2 per request), S = 25 ms:
    // the slot never idles, so throughput is 1/S = 40 per second, and each
    // request waits for the 7 others: latency N·S = 200 ms.
    let s = closed_scenario(8, "{ dist = \"constant\", value = 0.0 }", 25.0, "ml.m5.large", 2);
    let r = common::run_checked(&s).report;
    let rate = r.requests.measured as f64 / (600.0 - 60.0);
    assert!((rate - 40.0).abs() < 8.0 / 540.0 + 1e-9, "{rate} requests/s");
    assert_eq!(r.latency_ms.mean, 200.0);
    assert!((r.latency_ms.max - 200.0).abs() < 0.1, "{}", r.latency_ms.max);
    assert_eq!(r.requests.failed + r.requests.rejected, 0);
}

#[test]
fn a_spawn_rate_starts_users_one_after_another() {
    // 10 users spawned at 1 per second, think 100 s: user u sends at u
    // seconds and again 100 s after its response; the run lasts 150 s.
    let s = common::scenario(
        "duration_s = 150.0\n[models]\ncount = 1\nmemory_mib = { dist = \"constant\", value = 10.0 }\nservice_ms = 5.0\n\
         [workload]\narrival = { process = \"closed\", users = 10, think_s = { dist = \"constant\", value = 100.0 }, \
         spawn_rate_per_s = 1.0 }\n",
    );
    let r = common::run_checked(&s).report;
    // Users 0–9 send at 0–9 s; their second requests at ~100–109 s + response.
    assert_eq!(r.requests.arrived, 20);
    assert_eq!(r.requests.completed, 20);
}

#[test]
fn bad_closed_loops_are_errors_naming_the_field() {
    let think = "think_s = { dist = \"uniform\", min = 0.0, max = 2.0 }";
    for (arrival, field) in [
        (format!("{{ process = \"closed\", users = 0, {think} }}"), "users"),
        (format!("{{ process = \"closed\", users = 2000000, {think} }}"), "users"),
        ("{ process = \"closed\", users = 3, think_s = { dist = \"constant\", value = -1.0 } }".into(), "think_s"),
        (
            "{ process = \"closed\", users = 3, think_s = { dist = \"uniform\", min = -1.0, max = 2.0 } }".into(),
            "think_s",
        ),
        (format!("{{ process = \"closed\", users = 3, {think}, spawn_rate_per_s = 0.0 }}"), "spawn_rate_per_s"),
        (format!("{{ process = \"closed\", users = 3, {think}, spawn_rate_per_s = -2.0 }}"), "spawn_rate_per_s"),
        ("{ process = \"closed\", users = 3 }".into(), "think_s"),
        (format!("{{ process = \"closed\", users = 3, {think}, rate_per_s = 5.0 }}"), "rate_per_s"),
    ] {
        let text = format!("[workload]\narrival = {arrival}\n");
        let e = Scenario::from_toml_str(&text, "closed.toml").expect_err(&text);
        let msg = e.to_string();
        assert!(msg.starts_with("closed.toml"), "{msg}");
        assert!(msg.contains("workload.arrival"), "{text}: {msg}");
        assert!(msg.contains(field), "{text}: {msg}");
    }
    // A trace brings its own arrivals.
    let text =
        "[workload]\narrival = { process = \"closed\", users = 3, think_s = { dist = \"constant\", value = 1.0 } }\n\
                trace = { format = \"csv\", path = \"t.csv\" }\n";
    let msg = Scenario::from_toml_str(text, "closed.toml").expect_err(text).to_string();
    assert!(msg.contains("workload.trace") && msg.contains("closed"), "{msg}");
    // A valid table parses, and round-trips.
    let text = "[workload]\narrival = { process = \"closed\", users = 300, think_s = { dist = \"uniform\", min = 0.0, max = 2.0 }, \
                spawn_rate_per_s = 10.0 }\n";
    let s = Scenario::from_toml_str(text, "closed.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.workload.arrival,
        mmesim::workload::ArrivalProcess::Closed {
            users: 300,
            think_s: mmesim::core::Dist::Uniform { min: 0.0, max: 2.0 },
            spawn_rate_per_s: Some(10.0),
            client_processes: None,
            client_cpu_ms: 0.0,
        }
    );
}

/// What the recorder saw: per pick (in arrival order) the user and the
/// time; per user the think times handed out and the first send offset.
#[derive(Default)]
struct Log {
    picks: Vec<(u32, SimTime)>,
    thinks: Vec<Vec<SimDuration>>,
    first: Vec<SimDuration>,
}

/// The scenario's clients, recording every decision.
struct Recorder {
    inner: ClosedClients,
    log: Arc<Mutex<Log>>,
}

impl ClosedLoop for Recorder {
    fn users(&self) -> u32 {
        self.inner.users()
    }
    fn first_request(&mut self, user: u32) -> SimDuration {
        let d = self.inner.first_request(user);
        self.log.lock().unwrap().first.push(d);
        d
    }
    fn think(&mut self, user: u32) -> SimDuration {
        let d = self.inner.think(user);
        self.log.lock().unwrap().thinks[user as usize].push(d);
        d
    }
    fn pick(&mut self, user: u32, now: SimTime) -> ModelId {
        self.log.lock().unwrap().picks.push((user, now));
        self.inner.pick(user, now)
    }
}

#[derive(Debug, Clone)]
struct P {
    users: u32,
    think_max: f64,
    spawn: Option<f64>,
    queue_limit: u32,
    timeout: f64,
    retries: u32,
    memory_gib: f64,
    model_mib: f64,
    models: u32,
    fault_at: Option<f64>,
    seed: u64,
}

fn params() -> impl Strategy<Value = P> {
    (
        (1u32..=12, prop_oneof![Just(0.0), 0.0f64..3.0], proptest::option::of(0.5f64..20.0), 1u32..=4, 0.2f64..5.0),
        (0u32..=2, 0.5f64..2.0, 50.0f64..1500.0, 1u32..=6, proptest::option::of(1.0f64..30.0), 0u64..(i64::MAX as u64)),
    )
        .prop_map(|(a, b)| P {
            users: a.0,
            think_max: a.1,
            spawn: a.2,
            queue_limit: a.3,
            timeout: a.4,
            retries: b.0,
            memory_gib: b.1,
            model_mib: b.2,
            models: b.3,
            fault_at: b.4,
            seed: b.5,
        })
}

fn toml_of(p: &P) -> String {
    let spawn = p.spawn.map(|r| format!(", spawn_rate_per_s = {r}")).unwrap_or_default();
    let fault = p
        .fault_at
        .map(|t| format!("[[faults]]\nkind = \"instance-failure\"\ninstance = 0\nat_s = {t}\nduration_s = 5.0\n"))
        .unwrap_or_default();
    format!(
        "seed = {}\nduration_s = 30.0\nwarmup_s = 5.0\n\
         [cluster]\ninstance_type = \"small\"\ninstances = 2\nqueue_limit = {}\nrequest_timeout_s = {}\n\
         [[instance_types]]\nname = \"small\"\nvcpus = 1\nmemory_gib = {}\n\
         storage = {{ kind = \"ebs\", size_gib = 4.0, read_mb_per_s = 200.0 }}\ndownload_mb_per_s = 100.0\nprice_per_hour = 1.0\n\
         [models]\ncount = {}\nmemory_mib = {{ dist = \"constant\", value = {} }}\nservice_ms = {{ dist = \"exponential\", mean = 40.0 }}\n\
         [workload]\narrival = {{ process = \"closed\", users = {}, think_s = {{ dist = \"uniform\", min = 0.0, max = {} }}{spawn} }}\n\
         [client]\nretries = {}\nbackoff_ms = 50.0\n{fault}",
        p.seed, p.queue_limit, p.timeout, p.memory_gib, p.models, p.model_mib, p.users, p.think_max, p.retries
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every user's requests, replayed from the trace: the first goes at
    /// the user's first offset, each next one exactly one think time after
    /// the previous one ended (whatever the end: completed, failed,
    /// rejected), none at or after the duration, and a user stops only
    /// when its next send would come too late (with no think time too: an
    /// instant error is followed by a 1 ms pause). The run terminates, and the
    /// invariants (one live request per user at most; live + thinking +
    /// done = users) hold after every event.
    #[test]
    fn each_user_sends_again_exactly_when_its_previous_request_ends(p in params()) {
        let s = common::scenario(&toml_of(&p));
        let n = s.models.count;
        let streams = RngStreams::new(s.seed);
        let inner = ClosedClients::new(&s.workload.arrival, &s.workload.popularity, n, &streams).unwrap();
        let log = Arc::new(Mutex::new(Log { thinks: vec![Vec::new(); p.users as usize], ..Log::default() }));
        let opts = RunOptions { record_trace: true, check_invariants: true, record_metrics: false };
        let sim = s.simulation_with_clients(opts, Box::new(Recorder { inner, log: log.clone() })).unwrap();
        let out = sim.run();
        let log = log.lock().unwrap();
        let duration = SimTime::from_secs(30);
        // The end of each request, by arrival number (= pick number).
        let mut ends = vec![None; log.picks.len()];
        for t in &out.trace {
            let seq = match t.kind {
                TraceKind::Completed { seq, .. } | TraceKind::Failed { seq, .. } | TraceKind::Rejected { seq, .. } => seq,
                _ => continue,
            };
            prop_assert!(ends[seq as usize].is_none(), "request {} ended twice", seq);
            ends[seq as usize] = Some(t.time);
        }
        prop_assert_eq!(out.report.requests.arrived, log.picks.len() as u64);
        for u in 0..p.users {
            let mine: Vec<usize> = (0..log.picks.len()).filter(|&k| log.picks[k].0 == u).collect();
            let thinks = &log.thinks[u as usize];
            prop_assert_eq!(thinks.len(), mine.len(), "user {}: one think per ended request", u);
            let mut next = SimTime::ZERO + log.first[u as usize];
            for (i, &k) in mine.iter().enumerate() {
                prop_assert_eq!(log.picks[k].1, next, "user {} request {}", u, i);
                prop_assert!(next < duration);
                let end = ends[k].expect("every request ends");
                // An instant end (failed or rejected at once) pauses 1 ms.
                let pause = if end == next { thinks[i].max(SimDuration::from_millis(1)) } else { thinks[i] };
                next = end + pause;
            }
            prop_assert!(next >= duration, "user {} stopped at {} before the duration", u, next);
        }
    }
}

#[test]
fn the_bundled_load_test_is_deterministic_and_obeys_littles_law() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/loadtest.toml");
    let s = Scenario::from_file(path).unwrap_or_else(|e| panic!("{e}"));
    let json = |s: &Scenario| serde_json::to_string(&s.run().unwrap_or_else(|e| panic!("{e}")).report).unwrap();
    let (a, b) = (json(&s), json(&s));
    assert_eq!(a, b);
    let r = s.run().unwrap_or_else(|e| panic!("{e}")).report;
    // X = N / (R + Z): 300 users, mean think 1 s, over the measured 1,500 s.
    let x = r.requests.measured as f64 / (s.duration_s - s.warmup_s);
    let little = 300.0 / (r.latency_ms.mean / 1e3 + 1.0);
    assert!((x - little).abs() / little < 0.01, "{x} vs {little}");
}
