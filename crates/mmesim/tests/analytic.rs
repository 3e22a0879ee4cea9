//! Ground truth from queueing and caching theory (BRIEF §5).
//!
//! * Erlang C: one instance, c slots, one model already warm, Poisson
//!   arrivals, exponential service = an M/M/c queue.
//! * Che's approximation: one instance with room for C of N equal-size
//!   models, LRU, negligible load time, independent Zipf references.

mod common;

use mmesim::workload::Popularity;

/// Erlang C: (P(wait), mean wait Wq in units of 1/μ) for c servers at
/// offered load a = λ/μ.
fn erlang_c(c: u32, a: f64) -> (f64, f64) {
    let rho = a / c as f64;
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let top = term * a / c as f64 / (1.0 - rho); // a^c/c! / (1-ρ)
    let p_wait = top / (sum + top);
    // Wq = P_wait / (cμ − λ), with μ = 1.
    (p_wait, p_wait / (c as f64 - a))
}

#[test]
fn erlang_c_formula_matches_the_brief_example() {
    let (p, wq) = erlang_c(4, 3.0);
    assert!((p - 0.5094).abs() < 5e-5, "{p}");
    assert!((wq - 0.5094).abs() < 5e-5, "{wq}");
    // M/M/1: P(wait) = ρ, Wq = ρ/(1−ρ).
    let (p, wq) = erlang_c(1, 0.7);
    assert!((p - 0.7).abs() < 1e-12 && (wq - 0.7 / 0.3).abs() < 1e-12);
}

/// One instance with `c` vCPUs and one model; service exponential with
/// mean 10 ms (μ = 100/s); λ = ρ·c·μ. The first request's cold start falls
/// in the warm-up.
fn simulate_mmc(c: u32, rho: f64, requests: f64, seed: u64) -> (f64, f64, u64) {
    let mu = 100.0;
    let lambda = rho * c as f64 * mu;
    let duration = requests / lambda;
    let s = common::scenario(&format!(
        r#"
        name = "erlang-c"
        seed = {seed}
        duration_s = {duration}
        warmup_s = 60.0
        [[instance_types]]
        name = "mmc"
        vcpus = {c}
        memory_gib = 8.0
        price_per_hour = 1.0
        [cluster]
        instance_type = "mmc"
        instances = 1
        queue_limit = 4000000000
        request_timeout_s = 1e9
        [models]
        list = [{{ name = "only", memory_mib = 100.0 }}]
        service_ms = {{ dist = "exponential", mean = 10.0 }}
        [workload]
        arrival = {{ process = "poisson", rate_per_s = {lambda} }}
        popularity = {{ dist = "uniform" }}
        "#
    ));
    let r = s.run().unwrap().report;
    assert_eq!(r.requests.completed, r.requests.arrived, "nothing may fail or be throttled");
    assert_eq!(r.cache.loads, 1);
    // Wq in units of the mean service time (10 ms).
    (r.queue_wait_ms.waited_fraction, r.queue_wait_ms.mean / 10.0, r.requests.measured)
}

#[test]
fn mmc_queue_matches_erlang_c() {
    for (c, rho, n) in [(1, 0.7, 3.0e6), (4, 0.75, 2.0e6), (16, 0.8, 2.0e6), (16, 0.9, 5.0e6)] {
        let (p_sim, wq_sim, measured) = simulate_mmc(c, rho, n, 1);
        let (p, wq) = erlang_c(c, rho * c as f64);
        eprintln!("c={c} ρ={rho}: P(wait) {p_sim:.4} vs {p:.4}; Wq {wq_sim:.4} vs {wq:.4} (1/μ), {measured} requests");
        assert!((p_sim - p).abs() < 0.01, "c={c} ρ={rho}: P(wait) {p_sim} vs Erlang C {p}");
        assert!((wq_sim - wq).abs() / wq < 0.03, "c={c} ρ={rho}: Wq {wq_sim} vs Erlang C {wq}");
    }
}

#[test]
fn che_formula_matches_the_brief_example() {
    let p = Popularity::Zipf { alpha: 0.8 }.probabilities(1000);
    let h = common::che_hit_ratio(&p, 100.0);
    assert!((h - 0.378).abs() < 0.001, "{h}");
}

/// One instance whose memory holds exactly `c` of `n` equal 100 MiB models;
/// downloads and loads take nanoseconds; 64 slots so nothing queues.
fn simulate_lru(n: u32, c: u32, alpha: f64, requests: f64) -> f64 {
    let rate = 1000.0;
    let s = common::scenario(&format!(
        r#"
        name = "che"
        seed = 3
        duration_s = {duration}
        warmup_s = 100.0
        [[instance_types]]
        name = "che"
        vcpus = 64
        memory_gib = {mem_gib}
        price_per_hour = 1.0
        storage = {{ kind = "nvme", size_gib = 1000.0, read_mb_per_s = 1e12 }}
        download_mb_per_s = 1e12
        [cluster]
        instance_type = "che"
        download_overhead_ms = 0.0
        [models]
        count = {n}
        memory_mib = {{ dist = "constant", value = 100.0 }}
        service_ms = {{ dist = "constant", value = 1.0 }}
        load_overhead_ms = 0.0
        unload_ms = 0.0
        [workload]
        arrival = {{ process = "poisson", rate_per_s = {rate} }}
        popularity = {{ dist = "zipf", alpha = {alpha} }}
        "#,
        duration = requests / rate,
        mem_gib = c as f64 * 100.0 / 1024.0,
    ));
    let r = s.run().unwrap().report;
    assert_eq!(r.requests.completed, r.requests.arrived);
    r.model_cache_hit
}

#[test]
fn lru_hit_ratio_matches_che() {
    let (n, c) = (1000, 100);
    for alpha in [0.6, 0.8, 1.0] {
        let sim = simulate_lru(n, c, alpha, 1.5e6);
        let che = common::che_hit_ratio(&Popularity::Zipf { alpha }.probabilities(n as usize), c as f64);
        eprintln!("α={alpha}: simulated {sim:.4}, Che {che:.4}");
        assert!((sim - che).abs() < 0.01, "α={alpha}: simulated hit ratio {sim} vs Che {che}");
    }
}
