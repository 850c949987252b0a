//! The demo's products and tariffs, read from its own `producten.csv` (the
//! same file it writes into the reference folder), so no tariff is a
//! constant in code.

use crate::error::{Error, Result};
use crate::ingest::csv_dialect;
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub const PRODUCTEN_CSV: &[u8] = include_bytes!("reference/producten.csv");

struct Row {
    code: String,
    category: String,
    from: NaiveDate,
    until: Option<NaiveDate>,
    monthly: Decimal,
}

pub struct Tariffs {
    rows: Vec<Row>,
}

impl Tariffs {
    pub fn embedded() -> Result<Tariffs> {
        let text = String::from_utf8_lossy(PRODUCTEN_CSV);
        let text = text.trim_start_matches('\u{feff}');
        let mut reader = csv::ReaderBuilder::new().delimiter(csv_dialect::delimiter(text)).from_reader(text.as_bytes());
        let invalid = |what: &str| Error::Invalid(format!("the demo's producten.csv has an invalid {what}"));
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|_| invalid("line"))?;
            let cell = |i: usize| record.get(i).unwrap_or("").trim();
            rows.push(Row {
                code: cell(0).to_string(),
                category: cell(1).to_string(),
                monthly: csv_dialect::parse_decimal(cell(8)).ok_or_else(|| invalid("tariff"))?,
                from: csv_dialect::parse_date(cell(9)).ok_or_else(|| invalid("date"))?,
                until: csv_dialect::parse_date(cell(10)),
            });
        }
        Ok(Tariffs { rows })
    }

    /// The monthly tariff valid on `day` (or the latest before it).
    pub fn monthly(&self, code: &str, day: NaiveDate) -> Decimal {
        let rows = self.rows.iter().filter(|r| r.code == code);
        rows.clone()
            .find(|r| r.from <= day && r.until.is_none_or(|u| u >= day))
            .or_else(|| rows.filter(|r| r.from <= day).max_by_key(|r| r.from))
            .or_else(|| self.rows.iter().find(|r| r.code == code))
            .map_or(Decimal::ZERO, |r| r.monthly)
    }

    pub fn category(&self, code: &str) -> &str {
        self.rows.iter().find(|r| r.code == code).map_or("10", |r| r.category.as_str())
    }
}
