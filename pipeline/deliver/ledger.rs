//! The delivery ledger (`verzendingen` in the lake): one Parquet part per mail
//! sent, written right after it went out, so that a re-run sends nothing twice.
//! Through SMTP an intent (`kanaal` = [`BEZIG`], `bericht` = the Message-ID)
//! is written before each transaction: a run killed between the two leaves
//! an intent without its mail, which the next run sends again under the same
//! Message-ID and reports.

use crate::error::Result;
use crate::lake::Lake;
use crate::lake::journal::{self, texts};
use crate::lake::schema::VERZENDINGEN;
use crate::periode::Periode;
use datafusion::arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray};
use std::sync::Arc;

/// The `kanaal` of an intent: sending began, the server's answer is not known.
pub const BEZIG: &str = "smtp-bezig";
/// The `kanaal` after an intent whose mail the server did not take.
pub const MISLUKT: &str = "smtp-mislukt";

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
    pub fn versions(&self, periode: Periode, rapport: &str, ontvanger: &str) -> Vec<&str> {
        let periode = periode.to_string();
        self.sent
            .iter()
            .filter(|v| v.periode == periode && v.rapport == rapport && v.ontvanger == ontvanger)
            .filter(|v| v.kanaal != BEZIG && v.kanaal != MISLUKT)
            .map(|v| v.versie.as_str())
            .collect()
    }

    /// Whether an earlier run began sending this version to this recipient
    /// and was stopped before the server's answer was recorded.
    pub fn interrupted(&self, periode: Periode, rapport: &str, ontvanger: &str, versie: &str) -> bool {
        let periode = periode.to_string();
        self.sent
            .iter()
            .rfind(|v| v.periode == periode && v.rapport == rapport && v.ontvanger == ontvanger && v.versie == versie)
            .is_some_and(|v| v.kanaal == BEZIG)
    }

    /// The versions of a report that went out to this recipient, whatever the
    /// period: for the signal mails, each version is one event of one signal.
    pub fn delivered(&self, rapport: &str, ontvanger: &str) -> std::collections::BTreeSet<&str> {
        self.sent
            .iter()
            .filter(|v| v.rapport == rapport && v.ontvanger == ontvanger)
            .filter(|v| v.kanaal != BEZIG && v.kanaal != MISLUKT)
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
