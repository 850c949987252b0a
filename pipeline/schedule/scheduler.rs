//! Which run starts next, from the schedules and the run log, at a given
//! time. Nothing here reads the clock, so tests can walk it through any day.
//!
//! Runs go one at a time, the earliest scheduled first: jobs share the lake
//! (and its lock), and a job never overlaps itself. A schedule that became due
//! while another run was going starts when that run is done.

use crate::schedule::definition::Schedule;
use crate::schedule::due;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A run to start: which schedule, for which scheduled time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub index: usize,
    pub gepland: DateTime<Utc>,
}

pub struct Scheduler {
    pub schedules: Vec<Schedule>,
    /// Per schedule: the scheduled time of its last run; for one that never
    /// ran, when `serve` started (runs before that were never missed).
    since: Vec<DateTime<Utc>>,
    running: Option<Due>,
}

impl Scheduler {
    pub fn new(schedules: Vec<Schedule>, last_slots: &BTreeMap<String, DateTime<Utc>>, started: DateTime<Utc>) -> Self {
        let since = schedules.iter().map(|s| last_slots.get(&s.naam).copied().unwrap_or(started)).collect();
        Scheduler { schedules, since, running: None }
    }

    /// The run to start now, if nothing is running and a schedule is due.
    pub fn next(&self, now: DateTime<Utc>) -> Option<Due> {
        if self.running.is_some() {
            return None;
        }
        self.schedules
            .iter()
            .enumerate()
            .filter_map(|(index, s)| {
                due::latest_due(&s.cron, s.timezone, self.since[index], now).map(|gepland| Due { index, gepland })
            })
            .min_by_key(|d| (d.gepland, d.index))
    }

    pub fn start(&mut self, run: Due) {
        self.running = Some(run);
    }

    /// The run ended (whatever its outcome): its scheduled time is done.
    pub fn finish(&mut self, run: Due) {
        self.since[run.index] = self.since[run.index].max(run.gepland);
        self.running = None;
    }

    pub fn running(&self) -> Option<Due> {
        self.running
    }

    /// When the schedule runs next, as things stand.
    pub fn next_time(&self, index: usize) -> Option<DateTime<Utc>> {
        let schedule = &self.schedules[index];
        due::next_after(&schedule.cron, schedule.timezone, self.since[index])
    }
}
