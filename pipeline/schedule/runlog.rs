//! The run log of `serve` (`uitvoeringen` in the lake): one row per finished
//! run. What is due is decided from it, so a restart neither repeats a run
//! nor forgets one it missed. A run cut off by a power failure has no row and
//! is due again at start-up; every job can safely run again.

use crate::error::Result;
use crate::lake::Lake;
use crate::lake::journal::{self, texts, timestamps};
use crate::lake::schema::UITVOERINGEN;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub schema: String,
    pub taak: String,
    pub gepland: DateTime<Utc>,
    pub gestart: DateTime<Utc>,
    pub klaar: DateTime<Utc>,
    pub gelukt: bool,
    /// The job's summary, or the error it ended with.
    pub melding: String,
}

impl Run {
    pub fn uitkomst(&self) -> &'static str {
        if self.gelukt { "gelukt" } else { "mislukt" }
    }
}

fn utc(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// Every recorded run, in the order they ended.
pub fn read(lake: &Lake) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for batch in journal::read(lake, &UITVOERINGEN)? {
        let text = |name: &str| texts(&batch, &UITVOERINGEN, name);
        let time = |name: &str| timestamps(&batch, &UITVOERINGEN, name);
        let (schema, taak, uitkomst, melding) = (text("schema")?, text("taak")?, text("uitkomst")?, text("melding")?);
        let (gepland, gestart, klaar) = (time("gepland")?, time("gestart")?, time("klaar")?);
        for i in 0..batch.num_rows() {
            runs.push(Run {
                schema: schema[i].clone(),
                taak: taak[i].clone(),
                gepland: utc(gepland[i]),
                gestart: utc(gestart[i]),
                klaar: utc(klaar[i]),
                gelukt: uitkomst[i] == "gelukt",
                melding: melding[i].clone(),
            });
        }
    }
    Ok(runs)
}

/// Records a finished run. `serve` is the only writer (it holds its own lock).
pub fn record(lake: &Lake, run: &Run) -> Result<()> {
    let text = |value: &str| -> ArrayRef { Arc::new(StringArray::from(vec![value.to_string()])) };
    let time = |at: DateTime<Utc>| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(vec![at.timestamp_micros()]).with_timezone("+00:00"))
    };
    journal::append(
        lake,
        &UITVOERINGEN,
        vec![
            text(&run.schema),
            text(&run.taak),
            time(run.gepland),
            time(run.gestart),
            time(run.klaar),
            text(run.uitkomst()),
            text(&run.melding),
        ],
    )
}

/// Per schedule, the latest scheduled time it ran for.
pub fn last_slots(runs: &[Run]) -> BTreeMap<String, DateTime<Utc>> {
    let mut last = BTreeMap::new();
    for run in runs {
        let slot = last.entry(run.schema.clone()).or_insert(run.gepland);
        *slot = (*slot).max(run.gepland);
    }
    last
}

/// The run log as an aligned table, newest first, times on the `zone` clock.
pub fn listing(runs: &[Run], zone: Tz, limit: usize) -> String {
    if runs.is_empty() {
        return "No scheduled run recorded yet (`wmo-monitor serve` records them).\n".to_string();
    }
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S %Z").to_string();
    let mut rows = vec![["schema", "taak", "gepland", "gestart", "duur", "uitkomst", "melding"].map(String::from)];
    for run in runs.iter().rev().take(limit) {
        let seconds = (run.klaar - run.gestart).num_milliseconds() as f64 / 1000.0;
        let melding = run.melding.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        rows.push([
            run.schema.clone(),
            run.taak.clone(),
            local(run.gepland),
            local(run.gestart),
            format!("{seconds:.1} s"),
            run.uitkomst().to_string(),
            melding,
        ]);
    }
    let widths: Vec<usize> = (0..7).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
