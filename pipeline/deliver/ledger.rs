//! The delivery ledger (`verzendingen` in the lake): one Parquet part per mail
//! sent, written right after it went out, so that a re-run sends nothing twice.

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::lake::schema::VERZENDINGEN;
use crate::lake::store::{part_ids, part_name, read_parquet, sync_dir, write_parquet};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use std::path::PathBuf;
use std::sync::Arc;

/// One report sent to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verzending {
    pub periode: String,
    pub rapport: String,
    pub ontvanger: String,
    pub versie: String,
    pub kanaal: String,
    pub bericht: String,
}

/// The ledger's parts, for the analysts' session.
pub fn parts(lake: &Lake) -> Result<Vec<PathBuf>> {
    let dir = lake.root().join(VERZENDINGEN.name);
    Ok(part_ids(&dir)?.into_iter().map(|id| dir.join(part_name(id))).collect())
}

pub struct Ledger {
    dir: PathBuf,
    sent: Vec<Verzending>,
}

impl Ledger {
    pub fn open(lake: &Lake) -> Result<Ledger> {
        let dir = lake.root().join(VERZENDINGEN.name);
        let mut sent = Vec::new();
        for id in part_ids(&dir)? {
            for batch in read_parquet(&dir.join(part_name(id)))? {
                let text = |name: &str| -> Result<Vec<String>> {
                    let column = batch.column_by_name(name).ok_or_else(|| {
                        Error::Invalid(format!("the delivery ledger in {} has no column {name}", dir.display()))
                    })?;
                    let strings = column
                        .as_string_opt::<i32>()
                        .ok_or_else(|| Error::Invalid(format!("the delivery ledger's column {name} is not text")))?;
                    Ok((0..strings.len()).map(|i| strings.value(i).to_string()).collect())
                };
                let (periode, rapport, ontvanger, versie, kanaal, bericht) = (
                    text("periode")?,
                    text("rapport")?,
                    text("ontvanger")?,
                    text("versie")?,
                    text("kanaal")?,
                    text("bericht")?,
                );
                for i in 0..batch.num_rows() {
                    sent.push(Verzending {
                        periode: periode[i].clone(),
                        rapport: rapport[i].clone(),
                        ontvanger: ontvanger[i].clone(),
                        versie: versie[i].clone(),
                        kanaal: kanaal[i].clone(),
                        bericht: bericht[i].clone(),
                    });
                }
            }
        }
        Ok(Ledger { dir, sent })
    }

    /// The versions of this report already sent to this recipient.
    pub fn versions(&self, periode: &str, rapport: &str, ontvanger: &str) -> Vec<&str> {
        self.sent
            .iter()
            .filter(|v| v.periode == periode && v.rapport == rapport && v.ontvanger == ontvanger)
            .map(|v| v.versie.as_str())
            .collect()
    }

    /// Records mails that went out: one part, written aside and renamed.
    pub fn record(&mut self, verzendingen: &[Verzending]) -> Result<()> {
        if verzendingen.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(Error::io("cannot create", &self.dir))?;
        let id = part_ids(&self.dir)?.last().map_or(1, |id| id + 1);
        let now = chrono::Utc::now().timestamp_micros();
        let column = |f: fn(&Verzending) -> &str| -> ArrayRef {
            Arc::new(StringArray::from(verzendingen.iter().map(|v| f(v).to_string()).collect::<Vec<_>>()))
        };
        let batch = RecordBatch::try_new(
            VERZENDINGEN.arrow_schema(),
            vec![
                column(|v| &v.periode),
                column(|v| &v.rapport),
                column(|v| &v.ontvanger),
                column(|v| &v.versie),
                column(|v| &v.kanaal),
                column(|v| &v.bericht),
                Arc::new(TimestampMicrosecondArray::from(vec![now; verzendingen.len()]).with_timezone("+00:00")),
            ],
        )
        .map_err(|e| Error::Invalid(format!("cannot record the delivery: {e} (this is a bug in wmo-monitor)")))?;
        let aside = self.dir.join(format!(".{}", part_name(id)));
        write_parquet(&aside, &batch)?;
        let target = self.dir.join(part_name(id));
        std::fs::rename(&aside, &target).map_err(Error::io("cannot record the delivery in", &target))?;
        sync_dir(&self.dir)?;
        self.sent.extend_from_slice(verzendingen);
        Ok(())
    }
}
