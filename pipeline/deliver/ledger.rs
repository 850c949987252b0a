//! The delivery ledger (`verzendingen` in the lake): one Parquet part per mail
//! sent, written right after it went out, so that a re-run sends nothing twice.

use crate::error::Result;
use crate::lake::Lake;
use crate::lake::journal::{self, texts};
use crate::lake::schema::VERZENDINGEN;
use datafusion::arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray};
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
    journal::parts(lake, &VERZENDINGEN)
}

pub struct Ledger<'a> {
    lake: &'a Lake,
    sent: Vec<Verzending>,
}

impl<'a> Ledger<'a> {
    pub fn open(lake: &'a Lake) -> Result<Ledger<'a>> {
        let mut sent = Vec::new();
        for batch in journal::read(lake, &VERZENDINGEN)? {
            let text = |name: &str| texts(&batch, &VERZENDINGEN, name);
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
        Ok(Ledger { lake, sent })
    }

    /// The versions of this report already sent to this recipient.
    pub fn versions(&self, periode: &str, rapport: &str, ontvanger: &str) -> Vec<&str> {
        self.sent
            .iter()
            .filter(|v| v.periode == periode && v.rapport == rapport && v.ontvanger == ontvanger)
            .map(|v| v.versie.as_str())
            .collect()
    }

    /// Records mails that went out, as one part (deliver holds the lake lock).
    pub fn record(&mut self, verzendingen: &[Verzending]) -> Result<()> {
        if verzendingen.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp_micros();
        let column = |f: fn(&Verzending) -> &str| -> ArrayRef {
            Arc::new(StringArray::from(verzendingen.iter().map(|v| f(v).to_string()).collect::<Vec<_>>()))
        };
        journal::append(
            self.lake,
            &VERZENDINGEN,
            vec![
                column(|v| &v.periode),
                column(|v| &v.rapport),
                column(|v| &v.ontvanger),
                column(|v| &v.versie),
                column(|v| &v.kanaal),
                column(|v| &v.bericht),
                Arc::new(TimestampMicrosecondArray::from(vec![now; verzendingen.len()]).with_timezone("+00:00")),
            ],
        )?;
        self.sent.extend_from_slice(verzendingen);
        Ok(())
    }
}
