//! `scheduled`: capacity by time of day, whatever the load.
//!
//! ```text
//! schedule = [[t0 = 0, n0], [t1, n1], …]  (t strictly increasing, < period)
//! every minute, at time now (a minute boundary):
//!   t = now mod period (default 86400 s)
//!   desired = n_i of the last entry with t_i ≤ t   (only if ≠ in service + launching)
//! ```
//!
//! An entry at `t_i` takes effect at the first evaluation at or after
//! `t_i`: evaluations happen at the end of each minute, so an entry at
//! 28800 s (08:00) is applied at the end of minute 479, i.e. at 08:00.
//! The first entry must be at 0, so every time of the period has a
//! capacity; after the last entry the schedule wraps around to the first.
//! The schedule's smallest and largest counts are the policy's bounds.
//!
//! Modelled on Application Auto Scaling's scheduled actions (AWS,
//! "Scheduled scaling for Application Auto Scaling": at a time, set the
//! capacity), reduced to one desired count per entry and a repeating
//! period instead of cron expressions with min/max capacities.
//!
//! Cost: O(log entries) per minute.

use mmesim_core::{Autoscaler, ConfigError, FleetStatus, MinuteMetrics};
use mmesim_engine::SimDuration;

/// Checks a schedule against its period; messages name `schedule[i]`.
pub(crate) fn validate_schedule(schedule: &[(f64, u32)], period_s: f64) -> Result<(), ConfigError> {
    let at = |i: usize, message: String| ConfigError::invalid(format!("schedule[{i}]"), message);
    if !(period_s.is_finite() && (60.0..=1e9).contains(&period_s)) {
        return Err(ConfigError::invalid(
            "period_s",
            format!("`period_s` must be between 60 and 1e9 seconds, got {period_s}"),
        ));
    }
    if schedule.is_empty() {
        return Err(ConfigError::invalid("schedule", "`schedule` must not be empty"));
    }
    let mut prev: Option<f64> = None;
    for (i, &(t, n)) in schedule.iter().enumerate() {
        if !(t.is_finite() && t >= 0.0 && t < period_s) {
            return Err(at(i, format!("`schedule[{i}]`: the time must be in [0, period_s = {period_s}), got {t}")));
        }
        match prev {
            None if t != 0.0 => return Err(at(0, format!("`schedule[0]`: the first time must be 0, got {t}"))),
            Some(p) if t <= p => {
                return Err(at(i, format!("`schedule[{i}]`: times must strictly increase, got {t} after {p}")));
            }
            _ => {}
        }
        if n > 100_000 {
            return Err(at(i, format!("`schedule[{i}]`: instances must be at most 100000, got {n}")));
        }
        prev = Some(t);
    }
    Ok(())
}

/// Scheduled scaling. See the module notes.
#[derive(Clone, Debug)]
pub struct Scheduled {
    /// Entry times within the period (the first is 0) and their counts.
    entries: Vec<(SimDuration, u32)>,
    period: SimDuration,
}

impl Scheduled {
    /// A scheduled policy from a validated schedule of
    /// `(time_of_day_s, instances)` and its period in seconds.
    pub fn new(schedule: &[(f64, u32)], period_s: f64) -> Self {
        Scheduled {
            entries: schedule.iter().map(|&(t, n)| (SimDuration::from_secs_f64(t), n)).collect(),
            period: SimDuration::from_secs_f64(period_s),
        }
    }

    /// The count scheduled at `t` into the period.
    fn at(&self, t: SimDuration) -> u32 {
        let i = self.entries.partition_point(|&(ti, _)| ti <= t);
        self.entries[i.saturating_sub(1)].1
    }
}

impl Autoscaler for Scheduled {
    fn name(&self) -> &str {
        "scheduled"
    }

    fn evaluate(&mut self, _minute: &MinuteMetrics, fleet: &FleetStatus) -> Option<u32> {
        let t = SimDuration::from_nanos(fleet.now.as_nanos() % self.period.as_nanos().max(1));
        let desired = self.at(t);
        (desired != fleet.in_service + fleet.pending).then_some(desired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_engine::SimTime;

    fn minute(k: u64) -> MinuteMetrics {
        MinuteMetrics { minute: k, ..Default::default() }
    }

    /// The evaluation at the end of minute `k`.
    fn fleet(k: u64, in_service: u32, pending: u32) -> FleetStatus {
        FleetStatus { now: SimTime::from_secs(60 * (k + 1)), in_service, pending, draining: 0 }
    }

    /// 2 instances from 00:00, 6 from 08:00 (28800 s = the end of minute
    /// 479), 3 from 18:00 (64800 s = the end of minute 1079), over a day.
    fn day() -> Scheduled {
        Scheduled::new(&[(0.0, 2), (28800.0, 6), (64800.0, 3)], 86400.0)
    }

    #[test]
    fn switches_at_the_right_minute() {
        let mut s = day();
        assert_eq!(s.evaluate(&minute(0), &fleet(0, 2, 0)), None);
        assert_eq!(s.evaluate(&minute(0), &fleet(0, 1, 0)), Some(2));
        assert_eq!(s.evaluate(&minute(478), &fleet(478, 2, 0)), None); // 28740 s
        assert_eq!(s.evaluate(&minute(479), &fleet(479, 2, 0)), Some(6)); // 28800 s
                                                                          // Launching instances count: 4 in service + 2 pending is 6.
        assert_eq!(s.evaluate(&minute(480), &fleet(480, 4, 2)), None);
        assert_eq!(s.evaluate(&minute(1078), &fleet(1078, 6, 0)), None);
        assert_eq!(s.evaluate(&minute(1079), &fleet(1079, 6, 0)), Some(3));
    }

    #[test]
    fn wraps_around_the_period() {
        let mut s = day();
        // The end of minute 1438 is 86340 s: still 3.
        assert_eq!(s.evaluate(&minute(1438), &fleet(1438, 3, 0)), None);
        // The end of minute 1439 is 86400 s ≡ 0: back to 2.
        assert_eq!(s.evaluate(&minute(1439), &fleet(1439, 3, 0)), Some(2));
        // Day 2, 08:00 = 115200 s, the end of minute 1919.
        assert_eq!(s.evaluate(&minute(1918), &fleet(1918, 2, 0)), None);
        assert_eq!(s.evaluate(&minute(1919), &fleet(1919, 2, 0)), Some(6));
        // A 10-minute period: 1 from 0, 4 from 300 s; 900 s ≡ 300 s → 4.
        let mut s = Scheduled::new(&[(0.0, 1), (300.0, 4)], 600.0);
        assert_eq!(s.evaluate(&minute(13), &fleet(13, 1, 0)), None); // 840 s ≡ 240 s
        assert_eq!(s.evaluate(&minute(14), &fleet(14, 1, 0)), Some(4)); // 900 s ≡ 300 s
        assert_eq!(s.evaluate(&minute(19), &fleet(19, 4, 0)), Some(1)); // 1200 s ≡ 0
    }

    #[test]
    fn zero_instances_is_a_count() {
        let mut s = Scheduled::new(&[(0.0, 0), (3600.0, 1)], 86400.0);
        assert_eq!(s.evaluate(&minute(0), &fleet(0, 1, 0)), Some(0));
        assert_eq!(s.evaluate(&minute(1), &fleet(1, 0, 0)), None);
    }

    #[test]
    fn validation_names_the_entry() {
        assert_eq!(validate_schedule(&[(0.0, 1), (60.0, 2)], 86400.0), Ok(()));
        assert_eq!(
            validate_schedule(&[], 86400.0),
            Err(ConfigError::invalid("schedule", "`schedule` must not be empty"))
        );
        let msg = |s: &[(f64, u32)], p: f64| validate_schedule(s, p).unwrap_err().to_string();
        assert!(msg(&[(10.0, 1)], 86400.0).contains("`schedule[0]`"));
        let e = msg(&[(0.0, 1), (60.0, 2), (60.0, 3)], 86400.0);
        assert!(e.contains("`schedule[2]`") && e.contains("increase"), "{e}");
        let e = validate_schedule(&[(0.0, 1), (60.0, 2), (60.0, 3)], 86400.0).unwrap_err();
        assert_eq!(e.kind(), &mmesim_core::ConfigErrorKind::Invalid { field: "schedule[2]".into() });
        let e = msg(&[(0.0, 1), (30.0, 2), (20.0, 3)], 86400.0);
        assert!(e.contains("`schedule[2]`"), "{e}");
        assert!(msg(&[(0.0, 1), (86400.0, 2)], 86400.0).contains("`schedule[1]`"));
        assert!(msg(&[(0.0, 1), (f64::NAN, 2)], 86400.0).contains("`schedule[1]`"));
        assert!(msg(&[(0.0, 1)], 0.0).contains("`period_s`"));
    }
}
