//! Memory bounded in simulated time: what a run keeps per minute stays the
//! same when its simulated time is ten times longer, the sink gets every
//! minute, and a run whose work outlasts its horizon stops there.

use super::minute::MAX_HELD;
use super::tests::{config, First, Fixed, Lru};
use super::*;
use crate::source::{Arrival, VecSource};
use mmesim_engine::IdList;

/// Counts what it is given and checks the minutes come in order.
#[derive(Default)]
struct Count {
    minutes: u64,
    rows: u64,
    /// The most rows given at once (one minute's).
    widest: usize,
    begun: Vec<String>,
    ended: bool,
}

impl MinuteSink for Count {
    fn begin(&mut self, zones: &[String]) -> Result<(), SinkError> {
        self.begun = zones.to_vec();
        Ok(())
    }
    fn minute(&mut self, m: &MinuteMetrics) -> Result<(), SinkError> {
        assert_eq!(m.minute, self.minutes, "minutes come in order, none skipped");
        self.minutes += 1;
        Ok(())
    }
    fn rows(&mut self, rows: &[MetricRow]) -> Result<(), SinkError> {
        self.rows += rows.len() as u64;
        self.widest = self.widest.max(rows.len());
        Ok(())
    }
    fn end(&mut self) -> Result<(), SinkError> {
        self.ended = true;
        Ok(())
    }
}

fn sim(cfg: SimConfig, arrivals: Vec<Arrival>) -> Simulation {
    let policies = Policies {
        router: Box::new(First),
        autoscaler: Box::new(Fixed),
        evictors: Box::new(|_, _, _| Box::new(Lru(IdList::new())) as Box<dyn Evictor>),
    };
    match Simulation::new(cfg, Box::new(VecSource::new(arrivals)), policies) {
        Ok(sim) => sim,
        Err(e) => panic!("test configuration rejected: {e}"),
    }
}

/// One request every 10 s over `hours`, round the 3 models.
fn steady(hours: u64) -> (SimConfig, Vec<Arrival>) {
    let mut cfg = config(2, 2, 3, 0.0, 3);
    cfg.duration = SimDuration::from_secs(3600 * hours);
    cfg.record_trace = false;
    cfg.check_invariants = false;
    cfg.record_metrics = true;
    let arrivals = (0..360 * hours)
        .map(|i| Arrival { time: SimTime::from_secs(10 * i), model: ModelId((i % 3) as u32), service: None })
        .collect();
    (cfg, arrivals)
}

/// (result, what the sink saw, the most runs of minutes held at once).
fn streamed(cfg: SimConfig, arrivals: Vec<Arrival>) -> (RunResult, Count, usize) {
    MAX_HELD.with(|m| m.set(0));
    let mut count = Count::default();
    let out = match sim(cfg, arrivals).run_into(&mut count) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    (out, count, MAX_HELD.with(|m| m.get()))
}

#[test]
fn what_a_run_keeps_per_minute_does_not_grow_with_simulated_time() {
    let (cfg, arrivals) = steady(2);
    let (short, seen_short, held_short) = streamed(cfg, arrivals);
    let (cfg, arrivals) = steady(20);
    let (long, seen_long, held_long) = streamed(cfg, arrivals);
    // The sink got every minute and every row: 10× as many …
    assert_eq!((seen_short.minutes, seen_long.minutes), (120, 1200));
    // (1 instance + 1 zone + the endpoint) × 17 metrics a minute.
    assert_eq!((seen_short.rows, seen_long.rows), (120 * 51, 1200 * 51));
    assert!(seen_long.ended && seen_long.begun == ["a"]);
    // … while the run kept none of them, and held back as few.
    assert!(short.minutes.is_empty() && short.metrics.is_empty());
    assert!(long.minutes.is_empty() && long.metrics.is_empty());
    assert_eq!(seen_short.widest, 51);
    assert_eq!(seen_long.widest, 51);
    assert!(held_short <= 2, "{held_short} runs of minutes held");
    assert_eq!(held_long, held_short);
    assert!(long.truncated.is_none());
}

#[test]
fn run_collects_what_run_into_streams() {
    let (cfg, arrivals) = steady(1);
    let all = sim(cfg.clone(), arrivals.clone()).run();
    let mut collect = CollectMinutes::default();
    let streamed = match sim(cfg, arrivals).run_into(&mut collect) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(all.minutes, collect.minutes);
    assert_eq!(all.metrics, collect.rows);
    assert_eq!(all.report, streamed.report);
    assert_eq!(all.minutes.len(), 60);
}

/// One request at 1 s whose model's download takes `download` (a fixed
/// overhead), with a 60 s duration.
fn slow_download(download: SimDuration) -> (SimConfig, Vec<Arrival>) {
    let mut cfg = config(2, 2, 3, 0.0, 3);
    cfg.duration = SimDuration::from_secs(60);
    cfg.cluster.download_overhead = download;
    cfg.cluster.request_timeout = SimDuration::from_secs(30);
    cfg.record_trace = false;
    cfg.check_invariants = false;
    (cfg, vec![Arrival { time: SimTime::from_secs(1), model: ModelId(0), service: None }])
}

#[test]
fn a_long_stretch_without_work_is_held_as_two_runs() {
    // A 10-hour download after the request timed out: 600 minute ticks
    // with nothing happening, each possibly an idle tick after the end
    // until the download ends.
    let (cfg, arrivals) = slow_download(SimDuration::from_secs(36_000));
    let (out, seen, held) = streamed(cfg, arrivals);
    assert!(out.truncated.is_none());
    assert_eq!(out.report.simulated_s, 1.0 + 36_000.0 + 2.0, "the download, its 1 MB and its load");
    assert_eq!(seen.minutes, 601, "every minute until the load ended");
    assert!(held <= 2, "{held} runs held");
}

#[test]
fn a_run_stops_at_its_horizon_and_says_what_was_in_flight() {
    // A download of 10^9 s: the run stops a day after its arrivals.
    let (cfg, arrivals) = slow_download(SimDuration::from_secs(1_000_000_000));
    let (out, seen, held) = streamed(cfg.clone(), arrivals.clone());
    let horizon = run_horizon(cfg.duration);
    assert_eq!(horizon, SimTime::from_secs(60 + 86_400));
    assert_eq!(
        out.truncated,
        Some(Truncation { at: horizon, requests: 0, operations: 1, busy_slots: 0 }),
        "the request timed out; its download goes on"
    );
    assert_eq!(out.report.simulated_s, 86_460.0);
    assert_eq!(out.report.requests.failed, 1);
    assert_eq!(seen.minutes, 1441, "the minutes up to the horizon");
    assert!(held <= 2, "{held} runs held");
    // Cost to the horizon, not to the download's end.
    assert!((out.report.instance_hours - 86_460.0 / 3600.0).abs() < 1e-9, "{}", out.report.instance_hours);

    // A request still waiting is counted as in flight.
    let (mut cfg, arrivals) = (cfg, arrivals);
    cfg.cluster.request_timeout = SimDuration::from_secs(900_000_000);
    let out = sim(cfg, arrivals).run();
    let t = out.truncated.expect("truncated");
    assert_eq!((t.requests, t.operations), (1, 1));
    let r = &out.report.requests;
    assert_eq!(r.arrived, r.completed + r.failed + r.rejected + t.requests);
}

#[test]
fn a_sink_error_ends_the_run() {
    struct Full(u64);
    impl MinuteSink for Full {
        fn rows(&mut self, _: &[MetricRow]) -> Result<(), SinkError> {
            self.0 += 1;
            if self.0 == 3 {
                return Err("disk full".into());
            }
            Ok(())
        }
    }
    let (cfg, arrivals) = steady(20);
    let mut full = Full(0);
    match sim(cfg, arrivals).run_into(&mut full) {
        Ok(_) => panic!("the sink's error is the run's"),
        Err(e) => assert_eq!(e.to_string(), "disk full"),
    }
    assert_eq!(full.0, 3, "no minute after the error");
}
