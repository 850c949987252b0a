//! `wmo-monitor signals`: the watch between the quarters. Runs every view of
//! `queries/signals/` as of a date, compares what fires with the previous run
//! (`history`), records the lot in the lake table `signalen`, and has deliver
//! mail each contract manager the new and resolved signals of their providers
//! and the Wmo team one overview (`crate::deliver::signalen`).

pub mod history;

use crate::config::Config;
use crate::deliver::signaal_mail::Teksten;
use crate::engine::{Layer, QuerySource, catalog, drempels, queries, rows, session};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::publish::source::ReportSource;
use chrono::NaiveDate;
use history::{Signaal, Status};
use rust_decimal::Decimal;
use std::fmt;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct SignalsOptions {
    /// Watch as of this date; default: the latest Dagtekening in the lake.
    pub as_of: Option<NaiveDate>,
    /// Write the mails to `out/outbox/proef/` and record nothing.
    pub dry_run: bool,
    pub show_progress: bool,
}

/// One row of a signal view: what fires now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gevonden {
    pub soort: String,
    pub aanbieder_agb: String,
    pub onderwerp: String,
    pub waarde: Decimal,
    pub drempel: Decimal,
}

impl Gevonden {
    /// What makes two rows the same signal: its kind, provider and subject.
    pub fn sleutel(&self) -> (&str, &str, &str) {
        (&self.soort, &self.aanbieder_agb, &self.onderwerp)
    }
}

#[derive(Debug)]
pub struct Watched {
    pub peildatum: NaiveDate,
    pub dry_run: bool,
    /// Every signal of this run: those firing (nieuw, lopend) and those that stopped (opgelost).
    pub signalen: Vec<Signaal>,
    pub delivered: crate::deliver::signalen::Mailed,
    pub seconds: f64,
}

impl Watched {
    pub fn count(&self, status: Status) -> usize {
        self.signalen.iter().filter(|s| s.status == status).count()
    }

    /// Ends the run with an error when a mail did not go out, after the summary said which.
    pub fn outcome(&self) -> Result<()> {
        self.delivered.outcome()
    }
}

impl fmt::Display for Watched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (nieuw, lopend, opgelost) =
            (self.count(Status::Nieuw), self.count(Status::Lopend), self.count(Status::Opgelost));
        writeln!(
            f,
            "{} as of {} in {:.1} s: {} signal(s) fire ({nieuw} new, {lopend} ongoing), {opgelost} resolved.",
            if self.dry_run { "Dry run of the signals" } else { "Signals" },
            self.peildatum,
            self.seconds,
            nieuw + lopend,
        )?;
        let mut per_kind: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for signaal in self.signalen.iter().filter(|s| s.status != Status::Opgelost) {
            *per_kind.entry(&signaal.soort).or_default() += 1;
        }
        for (kind, n) in per_kind {
            writeln!(f, "  {kind:<24} {n:>6}")?;
        }
        write!(f, "{}", self.delivered)
    }
}

/// Finds what fires as of the date, records it (unless a dry run) and mails what changed.
pub fn signals(config: &Config, options: &SignalsOptions) -> Result<Watched> {
    let started = Instant::now();
    let lake = Lake::of(config)?;
    let lock = lake.lock()?;
    // What the mails need is checked before anything is recorded.
    crate::deliver::check_sender(&config.deliver)?;
    let teksten = Teksten::load(&ReportSource::of(config))?;
    let (peildatum, gevonden) = session::runtime()?.block_on(find(config, options.as_of, options.show_progress))?;
    for signaal in &gevonden {
        teksten.of(&signaal.soort)?;
    }
    let previous = history::latest(&lake)?;
    let signalen = history::next(&previous, &gevonden, peildatum);
    if !options.dry_run {
        history::record(&lake, peildatum, &signalen)?;
    }
    let delivered = crate::deliver::signalen::mail(config, &lake, &teksten, peildatum, &signalen, options.dry_run)?;
    drop(lock);
    Ok(Watched { peildatum, dry_run: options.dry_run, signalen, delivered, seconds: started.elapsed().as_secs_f64() })
}

const COLUMNS: &str = "soort, aanbieder_agb, onderwerp, waarde, drempel";

/// Runs every signal view as of the date (default: the latest Dagtekening).
pub async fn find(
    config: &Config,
    as_of: Option<NaiveDate>,
    show_progress: bool,
) -> Result<(NaiveDate, Vec<Gevonden>)> {
    let ctx = session::context(&crate::engine::Limits::of(config))?;
    let lake = Lake::of(config)?;
    catalog::register_lake(&ctx, &lake).await?;
    let peildatum = catalog::peildatum(&ctx, as_of).await?;
    catalog::register_peildatum(&ctx, Some(peildatum))?;
    let source = QuerySource::of(config);
    drempels::Drempels::load(&source)?.register(&ctx)?;
    let files: Vec<_> = source.load()?.into_iter().filter(|f| f.layer != Layer::Marts).collect();
    // The staging views compute stores are stored here too, once, for every
    // signal to read (the declaration lines feed four of them).
    let scratch = lake.root().join(SCRATCH);
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(Error::io("cannot clear", &scratch))?;
    }
    std::fs::create_dir_all(&scratch).map_err(Error::io("cannot create the scratch folder", &scratch))?;
    let found = run_views(&ctx, &files, &scratch, show_progress).await;
    std::fs::remove_dir_all(&scratch).map_err(Error::io("cannot remove the scratch folder", &scratch))?;
    Ok((peildatum, found?))
}

/// Where `find` stores the staging views it reads, inside the lake's folder.
const SCRATCH: &str = ".signalen-werk";

async fn run_views(
    ctx: &datafusion::prelude::SessionContext,
    files: &[crate::engine::QueryFile],
    scratch: &std::path::Path,
    show_progress: bool,
) -> Result<Vec<Gevonden>> {
    queries::register_materialising(ctx, files, &[], scratch).await?;
    let signal_files: Vec<_> = files.iter().filter(|f| f.layer == Layer::Signals).collect();
    let bar = crate::progress::counter(signal_files.len() as u64, "signals", show_progress);
    let mut gevonden = Vec::new();
    for file in signal_files {
        bar.set_message(file.name.clone());
        let found = rows::query(ctx, &format!("select {COLUMNS} from {}", file.name), &file.origin)
            .await
            .map_err(|e| e.within(format!("the signal {} must give the columns {COLUMNS}", file.origin)))?;
        for row in found {
            let number = |column: &str| {
                row.get(column).number().ok_or_else(|| {
                    Error::Invalid(format!("the signal {} gave a row without a number in {column}", file.origin))
                })
            };
            gevonden.push(Gevonden {
                soort: row.text("soort"),
                aanbieder_agb: row.text("aanbieder_agb"),
                onderwerp: row.text("onderwerp"),
                waarde: number("waarde")?,
                drempel: number("drempel")?,
            });
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    gevonden.sort();
    gevonden.dedup_by(|a, b| a.sleutel() == b.sleutel());
    Ok(gevonden)
}
