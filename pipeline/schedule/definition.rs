//! The schedules of `serve`: one TOML file per schedule in `schedules/`, named
//! after it (`schedules/nachtelijke-ingest.toml` is the schedule
//! `nachtelijke-ingest`).
//!
//! ```toml
//! cron = "0 2 * * *"            # minute hour day-of-month month day-of-week
//! timezone = "Europe/Amsterdam"
//! job = "ingest"                # ingest | compute | publish | deliver | signals | monthly | quarterly
//! declaration_lag_days = 45     # quarterly only: wait this long after a quarter ends
//! ```

use crate::error::{Error, Result};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// One schedule: when, in which time zone, what.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub naam: String,
    pub cron: Cron,
    pub timezone: Tz,
    pub job: Job,
    pub file: PathBuf,
}

/// What a schedule runs: a stage of the pipeline, or the quarter's whole job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Ingest,
    Compute,
    Publish,
    Deliver,
    /// Find the signals, record them and mail what is new or resolved.
    Signals,
    /// Ingest, compute and signals: the watch between the quarters.
    Monthly,
    /// Compute, publish and deliver the latest quarter that ended at least
    /// this many days ago, so that its declarations are in.
    Quarterly {
        declaration_lag_days: u32,
    },
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Job::Ingest => "ingest",
            Job::Compute => "compute",
            Job::Publish => "publish",
            Job::Deliver => "deliver",
            Job::Signals => "signals",
            Job::Monthly => "monthly",
            Job::Quarterly { .. } => "quarterly",
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    cron: String,
    timezone: String,
    job: String,
    declaration_lag_days: Option<u32>,
}

/// Five-field cron (to the minute), as classic cron reads it: a day matches
/// when its day of month or its day of week does.
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| format!("{text:?} is not a five-field cron expression (minute hour day month weekday): {e}"))
}

impl Schedule {
    pub fn parse(naam: &str, text: &str, file: &Path) -> Result<Schedule> {
        let invalid = |message: String| Error::ConfigInvalid { path: file.display().to_string(), message };
        let raw: ScheduleFile = toml::from_str(text).map_err(|e| invalid(crate::config::toml_error(text, &e)))?;
        let cron = parse_cron(&raw.cron).map_err(|e| invalid(format!("cron: {e}")))?;
        let timezone: Tz = raw.timezone.parse().map_err(|_| {
            invalid(format!("timezone {:?} is not an IANA time zone such as Europe/Amsterdam", raw.timezone))
        })?;
        let job = match (raw.job.as_str(), raw.declaration_lag_days) {
            ("quarterly", Some(days)) => Job::Quarterly { declaration_lag_days: days },
            ("quarterly", None) => {
                return Err(invalid(
                    "job quarterly needs declaration_lag_days: how long after a quarter ends its declarations are in"
                        .into(),
                ));
            }
            (_, Some(_)) => return Err(invalid("declaration_lag_days belongs to job = \"quarterly\" only".into())),
            ("ingest", None) => Job::Ingest,
            ("compute", None) => Job::Compute,
            ("publish", None) => Job::Publish,
            ("deliver", None) => Job::Deliver,
            ("signals", None) => Job::Signals,
            ("monthly", None) => Job::Monthly,
            (other, None) => {
                return Err(invalid(format!(
                    "job {other:?} is not one of ingest, compute, publish, deliver, signals, monthly, quarterly"
                )));
            }
        };
        Ok(Schedule { naam: naam.to_string(), cron, timezone, job, file: file.to_path_buf() })
    }
}

/// The schedules shipped in `schedules/`, for a deployment without that folder.
const BUILT_IN: &[(&str, &str)] = &[
    ("kwartaalrapportage", include_str!("../../schedules/kwartaalrapportage.toml")),
    ("maandelijkse-signalen", include_str!("../../schedules/maandelijkse-signalen.toml")),
    ("nachtelijke-ingest", include_str!("../../schedules/nachtelijke-ingest.toml")),
];

/// Every `*.toml` of the folder, in name order; without the folder, the
/// built-in schedules.
pub fn load(folder: &Path) -> Result<Vec<Schedule>> {
    if !folder.exists() {
        tracing::info!("{} does not exist: running the built-in schedules", folder.display());
        return BUILT_IN
            .iter()
            .map(|(naam, text)| Schedule::parse(naam, text, &Path::new("schedules").join(format!("{naam}.toml"))))
            .collect();
    }
    let entries = std::fs::read_dir(folder).map_err(Error::io("cannot read the schedules in", folder))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut schedules = Vec::new();
    for file in files {
        let naam = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&file).map_err(Error::io("cannot read the schedule", &file))?;
        schedules.push(Schedule::parse(&naam, &text, &file)?);
    }
    if schedules.is_empty() {
        return Err(Error::Invalid(format!("{} holds no schedule (*.toml): nothing to run", folder.display())));
    }
    Ok(schedules)
}
