//! Processor sharing of an instance's vCPUs: requests in service and loads
//! deserialising their model slow each other down when they ask for more
//! vCPUs than the instance has.
//!
//! ```text
//!  C vCPUs, jobs j with demand d_j (vCPUs), D = Σ d_j
//!  every job progresses at rate r = min(1, C / D) of its full speed
//!  a job of w ns of work (at full speed) started at V₀ ends when V = V₀ + w,
//!  where the virtual time V advances by r · dt
//! ```
//!
//! All jobs progress at the same rate, so they finish in the order of
//! their finishing virtual times: one pending [`Event::CpuDone`] per
//! instance, for the earliest, tagged with a generation (an event of an
//! older generation is stale). When a job starts, the pending event stays
//! valid if the rate does not change and the new job does not finish
//! first — on an uncontended instance that is the usual case, so a request
//! costs one event, as a fixed-time service would. While `D ≤ C` the rate
//! is exactly 1 and times are exact integers of nanoseconds: a run without
//! contention is the fixed-service-time model it always was (Erlang C).
//!
//! Owns [`Cpu`] (inside each [`Instance`](super::state::Instance)); its
//! jobs end through `request.rs` (`on_service_done`) and `cache.rs`
//! (`on_load_done`). The model: egalitarian processor sharing
//! (L. Kleinrock, "Time-shared systems: a theoretical treatment",
//! J. ACM 14(2), 1967), the way an OS scheduler shares cores between the
//! serving container's worker processes.
//!
//! [`Event::CpuDone`]: super::event::Event::CpuDone

use super::event::Event;
use super::Simulation;
use mmesim_engine::{ceil_to_u64, round_to_u64, SimDuration, SimTime};

/// What a CPU job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Job {
    /// Request slab entry `r` in service.
    Req(u32),
    /// The load of the model in slot `s` of the instance deserialising
    /// (its fixed overhead).
    Load(u32),
}

const LOAD_BIT: u32 = 1 << 31;

impl Job {
    /// Packed into one `u32` for an event (loads have the top bit).
    pub(super) fn pack(self) -> u32 {
        match self {
            Job::Req(r) => r,
            Job::Load(m) => m | LOAD_BIT,
        }
    }

    /// The job an event's `u32` stands for.
    pub(super) fn unpack(x: u32) -> Job {
        if x & LOAD_BIT != 0 {
            Job::Load(x & !LOAD_BIT)
        } else {
            Job::Req(x)
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Running {
    /// Virtual time at which the job is done.
    finish_v: f64,
    /// While the CPU is not shared: when the job's own event is due.
    due: Option<SimTime>,
    demand: u32,
    job: Job,
}

/// The event(s) to schedule after a change on the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arm {
    /// Nothing new.
    None,
    /// Not shared: this job's own completion event, at this time.
    Job(SimTime, Job),
    /// Shared: the earliest finisher's event, with this generation.
    Shared(SimTime, u32),
}

/// One instance's vCPUs. See the module notes.
#[derive(Clone, Debug)]
pub(super) struct Cpu {
    capacity: u32,
    demand: u32,
    /// Virtual time (ns of full-speed work done by every job) at `last`;
    /// reset to 0 whenever the CPU is idle, so it stays small.
    v: f64,
    last: SimTime,
    jobs: Vec<Running>,
    /// The demand exceeds the vCPUs: one shared event for the earliest
    /// finisher (stale unless its generation is `gen`). Otherwise every
    /// job has its own event, valid if it comes at the job's `due` time.
    shared: bool,
    gen: u32,
    /// The finishing virtual time the shared event is for.
    armed: Option<f64>,
}

impl Cpu {
    /// `capacity` vCPUs, idle.
    pub(super) fn new(capacity: u32, now: SimTime) -> Self {
        Cpu { capacity, demand: 0, v: 0.0, last: now, jobs: Vec::new(), shared: false, gen: 0, armed: None }
    }

    /// vCPUs.
    pub(super) fn capacity(&self) -> u32 {
        self.capacity
    }

    /// vCPUs asked for by the jobs under way.
    pub(super) fn demand(&self) -> u32 {
        self.demand
    }

    /// vCPUs in use: the demand, at most the capacity.
    pub(super) fn busy(&self) -> u32 {
        self.demand.min(self.capacity)
    }

    /// Jobs under way.
    pub(super) fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        self.jobs.iter().map(|j| j.job)
    }

    fn rate(&self) -> f64 {
        if self.demand <= self.capacity {
            1.0
        } else {
            self.capacity as f64 / self.demand as f64
        }
    }

    fn advance(&mut self, now: SimTime) {
        if !self.jobs.is_empty() {
            let dt = (now - self.last).as_nanos() as f64;
            self.v += if self.demand <= self.capacity { dt } else { dt * self.rate() };
        }
        self.last = now;
    }

    /// Starts `job` with `work` of full-speed time on `demand` vCPUs;
    /// returns the event to schedule.
    pub(super) fn start(&mut self, now: SimTime, job: Job, work: SimDuration, demand: u32) -> Arm {
        self.advance(now);
        let finish_v = self.v + work.as_nanos() as f64;
        self.demand += demand;
        if !self.shared && self.demand <= self.capacity {
            let due = now + work;
            self.jobs.push(Running { finish_v, due: Some(due), demand, job });
            return Arm::Job(due, job);
        }
        let before = if self.shared { self.capacity as f64 / (self.demand - demand) as f64 } else { 1.0 };
        self.jobs.push(Running { finish_v, due: None, demand, job });
        if !self.shared {
            // The demand passes the vCPUs: every job's own event goes stale.
            self.shared = true;
            self.jobs.iter_mut().for_each(|j| j.due = None);
            return self.arm(now);
        }
        if self.rate() == before.min(1.0) && self.armed.is_some_and(|a| a <= finish_v) {
            return Arm::None;
        }
        self.arm(now)
    }

    fn arm(&mut self, now: SimTime) -> Arm {
        self.gen = self.gen.wrapping_add(1);
        let min = self.jobs.iter().map(|j| j.finish_v).fold(f64::INFINITY, f64::min);
        self.armed = Some(min);
        let left = (min - self.v).max(0.0);
        Arm::Shared(now + SimDuration::from_nanos(ceil_to_u64(left / self.rate())), self.gen)
    }

    /// A job's own event (CPU not shared): `false` if stale (the job is
    /// gone, or the CPU was shared since and its due time moved).
    pub(super) fn complete_job(&mut self, now: SimTime, job: Job) -> bool {
        if self.shared {
            return false;
        }
        let Some(i) = self.jobs.iter().position(|j| j.job == job && j.due == Some(now)) else { return false };
        self.advance(now);
        let j = self.jobs.remove(i);
        self.demand -= j.demand;
        if self.jobs.is_empty() {
            self.v = 0.0;
        }
        true
    }

    /// Handles a shared completion event: `None` if `gen` is stale;
    /// otherwise the jobs that finished are appended to `done` (in start
    /// order), and, if the CPU is no longer shared, every job left gets its
    /// own event (appended to `rearm`); the result is the next shared
    /// event, if still shared.
    pub(super) fn complete(
        &mut self,
        now: SimTime,
        gen: u32,
        done: &mut Vec<Job>,
        rearm: &mut Vec<(SimTime, Job)>,
    ) -> Option<Arm> {
        if !self.shared || gen != self.gen || self.jobs.is_empty() {
            return None;
        }
        self.advance(now);
        // Under sharing, event times are rounded up to the nanosecond: a
        // job within a nanosecond's work of its end is done.
        let v = self.v + 1.0;
        let mut freed = 0;
        self.jobs.retain(|j| {
            if j.finish_v <= v {
                done.push(j.job);
                freed += j.demand;
                false
            } else {
                true
            }
        });
        self.demand -= freed;
        if self.jobs.is_empty() {
            self.v = 0.0;
            self.armed = None;
            self.shared = false;
            self.gen = self.gen.wrapping_add(1);
            return Some(Arm::None);
        }
        if self.demand <= self.capacity {
            // Back within the vCPUs: each job runs at full speed to its end.
            self.shared = false;
            self.armed = None;
            self.gen = self.gen.wrapping_add(1);
            for j in &mut self.jobs {
                let due = now + SimDuration::from_nanos(ceil_to_u64(j.finish_v - self.v));
                j.due = Some(due);
                rearm.push((due, j.job));
            }
            return Some(Arm::None);
        }
        Some(self.arm(now))
    }

    /// Drops every job (the instance is lost); returns them.
    pub(super) fn clear(&mut self, now: SimTime) -> Vec<Job> {
        let jobs = self.jobs.drain(..).map(|j| j.job).collect();
        self.demand = 0;
        self.v = 0.0;
        self.last = now;
        self.armed = None;
        self.shared = false;
        self.gen = self.gen.wrapping_add(1);
        jobs
    }
}

impl Simulation {
    /// Full-speed CPU time on this endpoint's instance type for `d` of
    /// reference time (service times and load overheads are given for a
    /// vCPU of speed 1).
    pub(super) fn cpu_work(&self, d: SimDuration) -> SimDuration {
        let speed = self.cfg.cluster.instance_type.cpu_speed;
        if speed == 1.0 {
            d
        } else {
            SimDuration::from_nanos(round_to_u64(d.as_nanos() as f64 / speed))
        }
    }

    fn push_arm(&mut self, inst: u32, arm: Arm) {
        match arm {
            Arm::None => {}
            Arm::Job(at, job) => self.agenda.push(at, Event::JobDone { inst, job: job.pack() }),
            Arm::Shared(at, gen) => self.agenda.push(at, Event::CpuDone { inst, gen }),
        }
    }

    /// Starts a CPU job on `inst` (a request's service, a load's
    /// deserialisation): `work` at the instance type's full speed.
    pub(super) fn cpu_start(&mut self, inst: u32, job: Job, work: SimDuration, demand: u32) {
        let now = self.now;
        let it = &mut self.fleet.instances[inst as usize];
        it.accrue_busy(now);
        let arm = it.cpu.start(now, job, work, demand);
        it.cpu_busy = it.cpu.busy();
        self.push_arm(inst, arm);
    }

    fn cpu_job_ended(&mut self, inst: u32, job: Job) {
        match job {
            Job::Req(r) if self.fleet.instances[inst as usize].serve_on_cpu => self.on_service_done(inst, r),
            Job::Req(r) => self.on_preprocessed(inst, r),
            Job::Load(m) => self.on_load_done(inst, m),
        }
    }

    /// A job's own completion event (CPU not shared). `false` if stale.
    pub(super) fn on_job_done(&mut self, inst: u32, job: u32) -> bool {
        let now = self.now;
        let it = &mut self.fleet.instances[inst as usize];
        it.accrue_busy(now);
        let job = Job::unpack(job);
        if !it.cpu.complete_job(now, job) {
            return false;
        }
        it.cpu_busy = it.cpu.busy();
        self.cpu_job_ended(inst, job);
        true
    }

    /// The earliest job(s) on a shared CPU should be done: end them.
    /// `false` if the event is stale.
    pub(super) fn on_cpu_done(&mut self, inst: u32, gen: u32) -> bool {
        let now = self.now;
        let (mut done, mut rearm) = std::mem::take(&mut self.cpu_scratch);
        done.clear();
        rearm.clear();
        let it = &mut self.fleet.instances[inst as usize];
        it.accrue_busy(now);
        let Some(next) = it.cpu.complete(now, gen, &mut done, &mut rearm) else {
            self.cpu_scratch = (done, rearm);
            return false;
        };
        it.cpu_busy = it.cpu.busy();
        self.push_arm(inst, next);
        for &(at, job) in &rearm {
            self.agenda.push(at, Event::JobDone { inst, job: job.pack() });
        }
        for &job in &done {
            self.cpu_job_ended(inst, job);
        }
        self.cpu_scratch = (done, rearm);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimDuration {
        SimDuration::from_millis(x)
    }
    fn at(x: u64) -> SimTime {
        SimTime::from_millis(x)
    }

    /// Within capacity every job runs at full speed, each with its own
    /// exact event; an event at another time than the job's is stale.
    #[test]
    fn uncontended_jobs_end_exactly_on_time() {
        let mut c = Cpu::new(2, at(0));
        assert_eq!(c.start(at(0), Job::Req(1), ms(30), 1), Arm::Job(at(30), Job::Req(1)));
        assert_eq!(c.start(at(10), Job::Req(2), ms(50), 1), Arm::Job(at(60), Job::Req(2)));
        assert!(!c.complete_job(at(29), Job::Req(1)), "not due yet");
        assert!(c.complete_job(at(30), Job::Req(1)));
        assert!(!c.complete_job(at(30), Job::Req(1)), "already done");
        assert!(c.complete_job(at(60), Job::Req(2)));
        assert_eq!(c.demand(), 0);
    }

    /// 1 vCPU. A request of 100 ms starts at 0; a load of 100 ms of
    /// deserialisation at 50. 0–50: the request alone (50 ms done).
    /// From 50 both at half speed: the request's last 50 ms take 100 ms
    /// (ends at 150); then the load, alone again, has its own event: it has
    /// done 50 and finishes its other 50 at full speed: ends at 200.
    #[test]
    fn two_jobs_on_one_vcpu_share_it() {
        let mut c = Cpu::new(1, at(0));
        assert_eq!(c.start(at(0), Job::Req(7), ms(100), 1), Arm::Job(at(100), Job::Req(7)));
        let Arm::Shared(t, g) = c.start(at(50), Job::Load(3), ms(100), 1) else { panic!("shared") };
        assert_eq!(t, at(150));
        assert_eq!((c.busy(), c.demand()), (1, 2));
        assert!(!c.complete_job(at(100), Job::Req(7)), "its own event went stale");
        let (mut done, mut rearm) = (Vec::new(), Vec::new());
        assert_eq!(c.complete(t, g, &mut done, &mut rearm), Some(Arm::None));
        assert_eq!(done, [Job::Req(7)]);
        assert_eq!(rearm, [(at(200), Job::Load(3))]);
        assert!(c.complete_job(at(200), Job::Load(3)));
    }

    /// 4 vCPUs, 6 equal jobs of 40 ms at once: rate 4/6, all end at 60 ms
    /// together.
    #[test]
    fn oversubscribed_jobs_slow_in_proportion() {
        let mut c = Cpu::new(4, at(0));
        let mut ev = None;
        for j in 0..6 {
            if let Arm::Shared(t, g) = c.start(at(0), Job::Req(j), ms(40), 1) {
                ev = Some((t, g));
            }
        }
        let (t, g) = ev.expect("shared from the fifth job");
        assert_eq!(t, at(60));
        let (mut done, mut rearm) = (Vec::new(), Vec::new());
        assert_eq!(c.complete(t, g, &mut done, &mut rearm), Some(Arm::None));
        assert_eq!((done.len(), rearm.len()), (6, 0));
    }

    /// A job asking for 2 vCPUs on 2 counts fully; with a third vCPU of
    /// demand the rate is 2/3.
    #[test]
    fn demand_counts_vcpus() {
        let mut c = Cpu::new(2, at(0));
        assert_eq!(c.start(at(0), Job::Req(0), ms(20), 2), Arm::Job(at(20), Job::Req(0)));
        assert!(matches!(c.start(at(0), Job::Load(0), ms(20), 1), Arm::Shared(t, _) if t == at(30)));
        assert_eq!(c.clear(at(5)), vec![Job::Req(0), Job::Load(0)]);
        assert_eq!(c.demand(), 0);
    }

    #[test]
    fn jobs_pack_into_one_word() {
        for j in [Job::Req(0), Job::Req((1 << 31) - 1), Job::Load(0), Job::Load(12345)] {
            assert_eq!(Job::unpack(j.pack()), j);
        }
    }
}
