//! What each job of a schedule does: the same stages as the commands, with
//! their defaults, and `quarterly` = compute, publish and deliver the quarter
//! that ended, once its declarations are in.

use crate::config::Config;
use crate::error::Result;
use crate::schedule::definition::Job;
use crate::{compute, deliver, ingest, publish};
use chrono::{Datelike, Duration, NaiveDate};

/// Runs the job without progress bars (a service's log is no terminal);
/// returns its summary as the commands print it.
pub fn run(config: &Config, job: Job, today: NaiveDate) -> Result<String> {
    match job {
        Job::Ingest => Ok(ingest::ingest(config, &ingest::IngestOptions::default())?.to_string()),
        Job::Compute => Ok(compute::compute(config, &compute::ComputeOptions::default())?.to_string()),
        Job::Publish => Ok(publish::publish(config, &publish::PublishOptions::default())?.to_string()),
        Job::Deliver => deliver_period(config, None),
        Job::Quarterly { declaration_lag_days } => quarterly(config, &quarter_due(today, declaration_lag_days), false),
    }
}

/// The quarterly job for one quarter: all periods computed again (late
/// declarations change earlier quarters and the trends), then the quarter's
/// reports published and mailed.
pub fn quarterly(config: &Config, periode: &str, show_progress: bool) -> Result<String> {
    let not_in = |why: String| {
        crate::Error::Invalid(format!(
            "the quarterly job cannot report {periode}: {why}; check that ingest runs, then `wmo-monitor quarterly --periode {periode}`"
        ))
    };
    let computed = compute::compute(config, &compute::ComputeOptions { show_progress, ..Default::default() })
        .map_err(|e| not_in(e.to_string()))?;
    if !computed.perioden.iter().any(|p| p == periode) {
        return Err(not_in(format!(
            "it had not ended by the lake's peildatum {} (its latest Dagtekening), so its declarations are not in",
            computed.peildatum
        )));
    }
    let published = publish::publish(
        config,
        &publish::PublishOptions { periode: Some(periode.to_string()), show_progress, ..Default::default() },
    )?;
    let delivered = deliver_period(config, Some(periode.to_string()))?;
    Ok(format!("{computed}{published}\n{delivered}"))
}

fn deliver_period(config: &Config, periode: Option<String>) -> Result<String> {
    let delivered = deliver::deliver(config, &deliver::DeliverOptions { periode, ..Default::default() })?;
    // A recipient who did not get their mail fails the run; the log keeps both.
    delivered.outcome().map_err(|e| crate::Error::Invalid(format!("{delivered}{e}")))?;
    Ok(delivered.to_string())
}

/// The latest quarter that ended at least `lag_days` days before `today`.
pub fn quarter_due(today: NaiveDate, lag_days: u32) -> String {
    let day = today - Duration::days(i64::from(lag_days));
    // The quarter `day` falls in has ended only on its last day.
    let next_day = day + Duration::days(1);
    let (year, quarter) = (day.year(), day.month0() / 3 + 1);
    let ended_today = next_day.month0() / 3 + 1 != quarter || next_day.year() != year;
    let (year, quarter) = match (ended_today, quarter) {
        (true, q) => (year, q),
        (false, 1) => (year - 1, 4),
        (false, q) => (year, q - 1),
    };
    format!("{year}-Q{quarter}")
}
