//! Closed-loop clients: users who send a request, wait for it to end, think,
//! and send the next (load testers like Locust, SageMaker Inference
//! Recommender).
//!
//! Owns the closed loop's side of the [`Inflow`](super::state::Inflow): the
//! [`ClosedLoop`](crate::ClosedLoop) decisions and the users' counts. May
//! touch: the agenda (`UserSends` events); requests enter through
//! `request.rs`'s `on_arrival`, like open arrivals, with their user.
//!
//! Architecture invariant: every request's end (completed, failed, or
//! rejected once the client's retries are exhausted) calls
//! [`request_ended`](Simulation::request_ended) exactly once — it is called
//! from the three places that count an end — so a user has at most one
//! request live, and users with a request live + users thinking + users
//! done = users, at every event. Time moves on: after a request that ended
//! at the instant it was sent, a user pauses at least 1 ms, so that a loop
//! without think time cannot spin at one instant.

use super::event::Event;
use super::state::{Feed, Req, NIL};
use super::Simulation;
use crate::source::Arrival;
use mmesim_engine::{SimDuration, SimTime};

/// The shortest pause of a user after a request that ended at the instant
/// it was sent (about a network round trip): it keeps a user with no think
/// time from looping at one instant.
pub(super) const MIN_PAUSE_AFTER_INSTANT_END: SimDuration = SimDuration::from_millis(1);

impl Simulation {
    /// Closed loop: schedules every user's first request (users whose first
    /// request would come at or after the duration never send). Open: none.
    pub(super) fn start_users(&mut self) {
        let Feed::Closed(clients) = &mut self.inflow.feed else { return };
        for user in 0..self.inflow.users {
            let at = SimTime::ZERO + clients.first_request(user);
            if at.as_nanos() < self.cfg.duration.as_nanos() {
                self.agenda.push(at, Event::UserSends { user });
                self.inflow.thinking += 1;
            } else {
                self.inflow.users_done += 1;
            }
        }
        self.inflow.done = self.inflow.thinking == 0;
    }

    /// User `user` wakes to send its next request: with modelled client
    /// processes, it first takes the earliest free one for the client's CPU
    /// time per request (FIFO in wake order), then goes out
    /// ([`on_client_ready`](Simulation::on_client_ready)); otherwise it goes
    /// out now.
    #[inline(never)]
    pub(super) fn on_user_sends(&mut self, user: u32) {
        self.inflow.user_woke[user as usize] = self.now;
        if self.inflow.station.is_empty() {
            return self.on_client_ready(user);
        }
        let Some(std::cmp::Reverse((free, p))) = self.inflow.station.pop() else {
            panic!("BUG: a client station without processes")
        };
        let done = free.max(self.now) + self.inflow.station_cpu;
        self.inflow.station.push(std::cmp::Reverse((done, p)));
        self.agenda.push(done, Event::ClientReady { user });
    }

    /// User `user`'s request leaves its client: for the model its
    /// popularity picks now; the service time is drawn as for an open
    /// arrival.
    #[inline(never)]
    pub(super) fn on_client_ready(&mut self, user: u32) {
        let Feed::Closed(clients) = &mut self.inflow.feed else {
            panic!("BUG: a user event without closed-loop clients")
        };
        let model = clients.pick(user, self.now);
        if model.index() >= self.models.len() {
            panic!("BUG: closed-loop clients picked model {} of {}", model, self.models.len());
        }
        self.inflow.thinking -= 1;
        self.inflow.done = self.inflow.thinking == 0;
        self.on_arrival(Arrival { time: self.now, model, service: None }, user);
    }

    /// Request `req` has ended (an open arrival's: nothing to do); its
    /// answer reaches the client `response_in` later (a completion's
    /// overhead latency). Its user thinks, then sends again if that is
    /// before the duration; otherwise it is done.
    #[inline]
    pub(super) fn request_ended(&mut self, req: &Req, response_in: SimDuration) {
        if req.cold.user != NIL {
            self.user_thinks(req.cold.user, req.cold.arrival, response_in);
        }
    }

    /// A measured request of `user` completed now; its response reaches
    /// the user `response_in` later: what the user saw, from waking to the
    /// response (a load tester's response time).
    #[inline(never)]
    pub(super) fn record_client_latency(&mut self, user: u32, response_in: SimDuration) {
        let l = (self.now + response_in - self.inflow.user_woke[user as usize]).as_nanos();
        self.m.client_latency.saturating_record(l);
        self.m.client_latency_sum_ns += l as u128;
        self.m.client_latency_n += 1;
    }

    /// `request_ended` of a closed-loop user whose request was sent at
    /// `sent` (kept out of the open path). A request that ended at the
    /// instant it was sent (rejected or failed at once, or served in no
    /// time) is followed by at least [`MIN_PAUSE_AFTER_INSTANT_END`]: with
    /// no think time, the user would otherwise send again and again at one
    /// instant, and the run would never end.
    #[inline(never)]
    fn user_thinks(&mut self, user: u32, sent: SimTime, response_in: SimDuration) {
        let Feed::Closed(clients) = &mut self.inflow.feed else {
            panic!("BUG: request of user {user} without closed-loop clients")
        };
        let mut think = clients.think(user);
        if sent == self.now && response_in == SimDuration::ZERO {
            think = think.max(MIN_PAUSE_AFTER_INSTANT_END);
        }
        let at = self.now + response_in + think;
        if at.as_nanos() < self.cfg.duration.as_nanos() {
            self.agenda.push(at, Event::UserSends { user });
            self.inflow.thinking += 1;
            self.inflow.done = false;
        } else {
            self.inflow.users_done += 1;
        }
    }
}
