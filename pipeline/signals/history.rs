//! The signals' history in the lake (`signalen`): each run of `signals`
//! appends one part with every signal that fires (`nieuw` the first time,
//! then `lopend`) and every one of the previous run that no longer fires
//! (`opgelost`). The latest part is the state the next run compares with; a
//! run that finds nothing still appends its (empty) part, so that state is
//! always the latest run's.

use super::Gevonden;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::lake::journal;
use crate::lake::schema::SIGNALEN;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, AsArray, Date32Array, Decimal128Array, StringArray};
use datafusion::arrow::array::{RecordBatch, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{Date32Type, Decimal128Type};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Nieuw,
    Lopend,
    Opgelost,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Nieuw => "nieuw",
            Status::Lopend => "lopend",
            Status::Opgelost => "opgelost",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        [Status::Nieuw, Status::Lopend, Status::Opgelost].into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `signalen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signaal {
    pub soort: String,
    pub aanbieder_agb: String,
    pub onderwerp: String,
    pub waarde: Decimal,
    pub drempel: Decimal,
    pub status: Status,
    pub eerst_gezien: NaiveDate,
    pub laatst_gezien: NaiveDate,
}

impl Signaal {
    /// What makes two rows the same signal: its kind, provider and subject.
    pub fn sleutel(&self) -> (&str, &str, &str) {
        (&self.soort, &self.aanbieder_agb, &self.onderwerp)
    }
}

/// The state after the previous run: every row of the latest part.
pub fn latest(lake: &Lake) -> Result<Vec<Signaal>> {
    match journal::parts(lake, &SIGNALEN)?.last() {
        None => Ok(Vec::new()),
        Some(part) => lake.read_parquet(part)?.iter().map(rows).collect::<Result<Vec<_>>>().map(|v| v.concat()),
    }
}

/// Every row ever recorded, oldest run first.
pub fn all(lake: &Lake) -> Result<Vec<Signaal>> {
    journal::read(lake, &SIGNALEN)?.iter().map(rows).collect::<Result<Vec<_>>>().map(|v| v.concat())
}

/// This run's rows: what fires (new, or ongoing since its first sighting) and
/// what fired last time and does not now (resolved). A resolved signal that
/// fires again is new again.
pub fn next(previous: &[Signaal], gevonden: &[Gevonden], peildatum: NaiveDate) -> Vec<Signaal> {
    let active: BTreeMap<(&str, &str, &str), &Signaal> =
        previous.iter().filter(|s| s.status != Status::Opgelost).map(|s| (s.sleutel(), s)).collect();
    let mut out: Vec<Signaal> = gevonden
        .iter()
        .map(|g| {
            let earlier = active.get(&g.sleutel());
            Signaal {
                soort: g.soort.clone(),
                aanbieder_agb: g.aanbieder_agb.clone(),
                onderwerp: g.onderwerp.clone(),
                waarde: g.waarde,
                drempel: g.drempel,
                status: if earlier.is_some() { Status::Lopend } else { Status::Nieuw },
                eerst_gezien: earlier.map_or(peildatum, |s| s.eerst_gezien),
                laatst_gezien: peildatum,
            }
        })
        .collect();
    let firing: std::collections::BTreeSet<(&str, &str, &str)> = gevonden.iter().map(Gevonden::sleutel).collect();
    for (key, signaal) in &active {
        if !firing.contains(key) {
            out.push(Signaal { status: Status::Opgelost, ..(*signaal).clone() });
        }
    }
    out.sort_by(|a, b| a.sleutel().cmp(&b.sleutel()));
    out
}

/// Appends the run's rows as one part (the caller holds the lake lock).
pub fn record(lake: &Lake, peildatum: NaiveDate, signalen: &[Signaal]) -> Result<()> {
    let text = |f: fn(&Signaal) -> &str| -> ArrayRef {
        Arc::new(StringArray::from(signalen.iter().map(|s| f(s).to_string()).collect::<Vec<_>>()))
    };
    let money = |f: fn(&Signaal) -> Decimal| -> Result<ArrayRef> {
        let cents: Vec<i128> = signalen.iter().map(|s| cents(f(s))).collect();
        let array = Decimal128Array::from(cents)
            .with_precision_and_scale(18, 2)
            .map_err(|e| Error::Invalid(format!("a signal's value does not fit decimal(18,2): {e}")))?;
        Ok(Arc::new(array))
    };
    let date = |f: fn(&Signaal) -> NaiveDate| -> ArrayRef {
        Arc::new(Date32Array::from(signalen.iter().map(|s| Date32Type::from_naive_date(f(s))).collect::<Vec<_>>()))
    };
    let now = chrono::Utc::now().timestamp_micros();
    journal::append(
        lake,
        &SIGNALEN,
        vec![
            Arc::new(Date32Array::from(vec![Date32Type::from_naive_date(peildatum); signalen.len()])),
            text(|s| &s.soort),
            text(|s| &s.aanbieder_agb),
            text(|s| &s.onderwerp),
            money(|s| s.waarde)?,
            money(|s| s.drempel)?,
            text(|s| s.status.as_str()),
            date(|s| s.eerst_gezien),
            date(|s| s.laatst_gezien),
            Arc::new(TimestampMicrosecondArray::from(vec![now; signalen.len()]).with_timezone("+00:00")),
        ],
    )
}

/// A value in cents, the unit of decimal(18,2).
fn cents(value: Decimal) -> i128 {
    let rounded = value.round_dp(2);
    rounded.mantissa() * 10i128.pow(2 - rounded.scale())
}

fn rows(batch: &RecordBatch) -> Result<Vec<Signaal>> {
    let text = |name: &str| journal::texts(batch, &SIGNALEN, name);
    let (soort, agb, onderwerp, status) = (text("soort")?, text("aanbieder_agb")?, text("onderwerp")?, text("status")?);
    let (waarde, drempel) = (money(batch, "waarde")?, money(batch, "drempel")?);
    let (eerst, laatst) = (dates(batch, "eerst_gezien")?, dates(batch, "laatst_gezien")?);
    (0..batch.num_rows())
        .map(|i| {
            Ok(Signaal {
                soort: soort[i].clone(),
                aanbieder_agb: agb[i].clone(),
                onderwerp: onderwerp[i].clone(),
                waarde: waarde[i],
                drempel: drempel[i],
                status: Status::parse(&status[i]).ok_or_else(|| {
                    Error::Invalid(format!("the lake table signalen holds an unknown status {:?}", status[i]))
                })?,
                eerst_gezien: eerst[i],
                laatst_gezien: laatst[i],
            })
        })
        .collect()
}

fn money(batch: &RecordBatch, name: &str) -> Result<Vec<Decimal>> {
    let values = batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Decimal128Type>())
        .ok_or_else(|| Error::Invalid(format!("the lake table signalen has no decimal column {name}")))?;
    Ok((0..values.len()).map(|i| Decimal::from_i128_with_scale(values.value(i), 2)).collect())
}

fn dates(batch: &RecordBatch, name: &str) -> Result<Vec<NaiveDate>> {
    let values = batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Date32Type>())
        .ok_or_else(|| Error::Invalid(format!("the lake table signalen has no date column {name}")))?;
    (0..values.len())
        .map(|i| {
            values
                .value_as_date(i)
                .ok_or_else(|| Error::Invalid(format!("the lake table signalen holds a date out of range in {name}")))
        })
        .collect()
}
