//! What each job of a schedule does: the same stages as the commands, with
//! their defaults; `monthly` = ingest, compute and signals (the watch between
//! the quarters); `quarterly` = compute, publish and deliver the quarter that
//! ended, once its declarations are in.

use crate::config::Config;
use crate::error::Result;
use crate::periode::Periode;
use crate::schedule::definition::Job;
use crate::{compute, deliver, ingest, publish, signals};
use chrono::NaiveDate;

/// Runs the job without progress bars (a service's log is no terminal);
/// returns its summary as the commands print it.
pub fn run(config: &Config, job: Job, today: NaiveDate) -> Result<String> {
    match job {
        Job::Ingest => Ok(ingest::ingest(config, &ingest::IngestOptions::default())?.to_string()),
        Job::Compute => Ok(compute::compute(config, &compute::ComputeOptions::default())?.to_string()),
        Job::Publish => Ok(publish::publish(config, &publish::PublishOptions::default())?.to_string()),
        Job::Deliver => deliver_period(config, None),
        Job::Signals => watch(config),
        Job::Monthly => monthly(config, false),
        Job::Quarterly { declaration_lag_days } => {
            quarterly(config, Periode::laatste_afgesloten_kwartaal(today, declaration_lag_days), false)
        }
    }
}

/// The quarterly job for one quarter: all periods computed again (late
/// declarations change earlier quarters and the trends), then the quarter's
/// reports published and mailed.
pub fn quarterly(config: &Config, periode: Periode, show_progress: bool) -> Result<String> {
    let not_in = |why: String| {
        crate::Error::Invalid(format!(
            "the quarterly job cannot report {periode}: {why}; check that ingest runs, then `wmo-monitor quarterly --periode {periode}`"
        ))
    };
    let computed = compute::compute(config, &compute::ComputeOptions { show_progress, ..Default::default() })
        .map_err(|e| not_in(e.to_string()))?;
    if !computed.perioden.contains(&periode) {
        return Err(not_in(format!(
            "it had not ended by the lake's peildatum {} (its latest Dagtekening), so its declarations are not in",
            computed.peildatum
        )));
    }
    let published = publish::publish(
        config,
        &publish::PublishOptions { periode: Some(periode), show_progress, ..Default::default() },
    )?;
    let delivered = deliver_period(config, Some(periode))?;
    Ok(format!("{computed}{published}\n{delivered}"))
}

/// The monthly job: what arrived loaded, every period computed again, then
/// the signals found, recorded and mailed (as of the lake's latest Dagtekening,
/// the peildatum of the figures too).
pub fn monthly(config: &Config, show_progress: bool) -> Result<String> {
    let ingested = ingest::ingest(config, &ingest::IngestOptions { show_progress })?;
    let computed = compute::compute(config, &compute::ComputeOptions { show_progress, ..Default::default() })?;
    Ok(format!("{ingested}\n{computed}{}", watch(config)?))
}

fn watch(config: &Config) -> Result<String> {
    let watched = signals::signals(config, &signals::SignalsOptions::default())?;
    // A recipient who did not get their mail fails the run; the log keeps both.
    watched.outcome().map_err(|e| crate::Error::Invalid(format!("{watched}{e}")))?;
    Ok(watched.to_string())
}

fn deliver_period(config: &Config, periode: Option<Periode>) -> Result<String> {
    let delivered = deliver::deliver(config, &deliver::DeliverOptions { periode, ..Default::default() })?;
    // A recipient who did not get their mail fails the run; the log keeps both.
    delivered.outcome().map_err(|e| crate::Error::Invalid(format!("{delivered}{e}")))?;
    Ok(delivered.to_string())
}
