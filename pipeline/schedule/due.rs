//! When a schedule is due, decided on the local wall clock of its time zone.
//!
//! tokio-cron-scheduler keeps the UTC offset a job was created with, so after
//! a daylight-saving switch it fires an hour off. Here the cron expression is
//! read as local wall-clock times, and each is turned into an instant with
//! the zone's rules of that very day:
//! - a time the clocks pass twice (02:00-02:59 on the last Sunday of October)
//!   is the first of the two, so the job runs once;
//! - a time the clocks skip (02:00-02:59 on the last Sunday of March) is the
//!   moment they jump, 03:00 summer time, so the job is not lost.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// The instant a local wall-clock time stands for in `zone`.
pub fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the first wall-clock minute after it is the jump.
            let mut probe = local;
            for _ in 0..24 * 60 {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            // No zone has a gap of a day; read it as UTC rather than fail.
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The schedule's instants after `after`, in order: the cron expression's
/// wall-clock times mapped by [`instant`]. That mapping never goes back in
/// time, so the instants come out ordered; two wall-clock times that map to
/// the same instant (in a gap) count once.
fn instants_after(cron: &Cron, zone: Tz, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    // Wall-clock times, held as if UTC so that the iteration itself knows no
    // switches. Start early enough to meet the times a switch moved.
    let start = after.with_timezone(&zone).naive_local() - Duration::hours(3);
    let mut previous = after;
    cron.iter_after(Utc.from_utc_datetime(&start)).filter_map(move |wall| {
        let at = instant(zone, wall.naive_utc());
        (at > previous).then(|| {
            previous = at;
            at
        })
    })
}

/// The latest instant of the schedule in `(after, now]`: what is due now. A
/// run missed several times (the machine was off) is due once.
pub fn latest_due(cron: &Cron, zone: Tz, after: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    instants_after(cron, zone, after).take_while(|at| *at <= now).last()
}

/// The schedule's next instant after `after`.
pub fn next_after(cron: &Cron, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    instants_after(cron, zone, after).next()
}
