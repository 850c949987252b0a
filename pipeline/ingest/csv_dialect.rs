//! The spreadsheet dialects real exports come in: UTF-8 with or without BOM
//! or Windows-1252; `,`, `;` or tab (detected); decimal comma or point;
//! `YYYY-MM-DD` or `DD-MM-YYYY`; header names matched case-insensitively and
//! trimmed; empty cells as missing.

use super::rules;
use super::source::{Context, Fault, Input, Loaded, Reject, Sniff};
use super::values;
use crate::lake::{Table, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// Which CSV export a source reads.
pub struct CsvSpec {
    pub table: Table,
    /// Columns that together tell this export from the others.
    pub signature: &'static [&'static str],
    pub required: &'static [&'static str],
}

impl CsvSpec {
    pub fn recognise(&self, sniff: &Sniff) -> bool {
        matches!(sniff, Sniff::Csv { header } if self.signature.iter().all(|s| header.iter().any(|h| h == s)))
    }
}

pub fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .filter(|d| first.as_bytes().contains(d))
        .unwrap_or(b',')
}

fn normalise_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// The header row, normalised; `None` when the text has no CSV shape.
pub fn header(text: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter(text)).flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().ok()?;
    let names: Vec<String> = header.iter().map(normalise_header).collect();
    (names.len() >= 2).then_some(names)
}

/// One data row, with cells found by column name.
pub struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    /// The trimmed cell; `None` when the column is absent or the cell empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        let index = *self.columns.get(column)?;
        self.record.get(index).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn required(&self, column: &str) -> Result<&str, Fault> {
        self.get(column).ok_or_else(|| Fault::new(&rules::REQUIRED, format!("{column} is empty")))
    }

    pub fn date(&self, column: &str) -> Result<NaiveDate, Fault> {
        let text = self.required(column)?;
        values::message_date(parse_date(text).ok_or_else(|| date_fault(column, text))?, column)
    }

    pub fn optional_date(&self, column: &str) -> Result<Option<NaiveDate>, Fault> {
        self.get(column)
            .map(|t| values::message_date(parse_date(t).ok_or_else(|| date_fault(column, t))?, column))
            .transpose()
    }

    /// An end date that may be empty, or 9999-12-31 for open-ended.
    pub fn optional_end_date(&self, column: &str) -> Result<Option<NaiveDate>, Fault> {
        match self.get(column) {
            None => Ok(None),
            Some(text) => values::end_date(parse_date(text).ok_or_else(|| date_fault(column, text))?, column),
        }
    }

    /// A euro amount that fits the lake's `decimal(18,2)`.
    pub fn decimal(&self, column: &str) -> Result<Decimal, Fault> {
        let text = self.required(column)?;
        values::euro(parse_decimal(text).ok_or_else(|| number_fault(column, text))?, column)
    }

    /// A year in the span of message dates.
    pub fn year(&self, column: &str) -> Result<i64, Fault> {
        values::year(self.integer(column)?, column)
    }

    pub fn optional_decimal(&self, column: &str) -> Result<Option<Decimal>, Fault> {
        self.get(column).map(|t| parse_decimal(t).ok_or_else(|| number_fault(column, t))).transpose()
    }

    pub fn integer(&self, column: &str) -> Result<i64, Fault> {
        let text = self.required(column)?;
        parse_integer(text).ok_or_else(|| number_fault(column, text))
    }

    /// A cell that must be one of `known` (compared case-insensitively);
    /// returns the known spelling.
    pub fn one_of(&self, column: &str, known: &[&'static str]) -> Result<&'static str, Fault> {
        let text = self.required(column)?;
        known_value(column, text, known)
    }

    pub fn optional_one_of(&self, column: &str, known: &[&'static str]) -> Result<Option<&'static str>, Fault> {
        self.get(column).map(|t| known_value(column, t, known)).transpose()
    }

    pub fn agb(&self, column: &str) -> Result<&str, Fault> {
        let agb = self.required(column)?;
        super::iwmo::check_agb(agb)?;
        Ok(agb)
    }

    /// The pseudonym of the BSN in `column`; `None` when the cell is empty.
    pub fn pseudonym(&self, column: &str, context: &Context) -> Result<Option<String>, Fault> {
        match self.get(column) {
            None => Ok(None),
            Some(bsn) if crate::privacy::bsn_is_valid(bsn) => Ok(Some(context.pseudonymiser.pseudonym(bsn))),
            Some(_) => Err(Fault::new(&rules::BSN_ELFPROEF, format!("{column} is not 9 digits passing the elfproef"))),
        }
    }
}

fn known_value(column: &str, text: &str, known: &[&'static str]) -> Result<&'static str, Fault> {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(text))
        .copied()
        .ok_or_else(|| Fault::new(&rules::CSV_VALUE, format!("{column} {text:?} is not one of {}", known.join(", "))))
}

fn date_fault(column: &str, text: &str) -> Fault {
    Fault::new(&rules::DATE_INVALID, format!("{column} {text:?} is not a date (YYYY-MM-DD or DD-MM-YYYY)"))
}

fn number_fault(column: &str, text: &str) -> Fault {
    Fault::new(&rules::NUMBER_INVALID, format!("{column} {text:?} is not a number"))
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

/// Decimal comma or point; a thousands separator is the other mark.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim().replace(['\u{a0}', ' ', '€'], "");
    let last_comma = text.rfind(',');
    let last_point = text.rfind('.');
    let normalised = match (last_comma, last_point) {
        (Some(c), Some(p)) if c > p => text.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => text.replace(',', ""),
        (Some(_), None) if text.matches(',').count() == 1 => text.replace(',', "."),
        (Some(_), None) => return None,
        (None, Some(_)) if text.matches('.').count() > 1 => text.replace('.', ""),
        _ => text,
    };
    Decimal::from_str(&normalised).ok()
}

pub fn parse_integer(text: &str) -> Option<i64> {
    let value = parse_decimal(text)?;
    (value.fract().is_zero()).then(|| i64::try_from(value).ok()).flatten()
}

/// Turns one CSV line into a row of its table.
pub type RowReader<'a> = &'a dyn Fn(&Row, &Context) -> Result<Vec<Value>, Fault>;

/// Reads a CSV export: checks the header against `spec.required`, then turns
/// each line into a row with `read_row`. A line that breaks a rule goes to
/// quarantine alone.
pub fn load(input: &Input, context: &Context, spec: &CsvSpec, read_row: RowReader) -> Loaded {
    let text = input.text;
    let delimiter = delimiter(text);
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            return Loaded::rejected_file(
                &rules::CSV_SHAPE,
                "line 1".into(),
                format!("the header cannot be read: {e}"),
                text,
            );
        }
    };
    let columns: HashMap<String, usize> =
        header.iter().enumerate().map(|(i, name)| (normalise_header(name), i)).collect();
    let missing: Vec<&str> = spec.required.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Loaded::rejected_file(
            &rules::CSV_COLUMNS,
            "line 1".into(),
            format!("the header lacks the required column(s) {}", missing.join(", ")),
            text.lines().next().unwrap_or(""),
        );
    }
    // Quarantine keeps the cells of the columns this export is read for;
    // any other column (a name, an address, a remark) is masked.
    let read_for: Vec<bool> =
        header.iter().map(|name| spec.required.contains(&normalise_header(name).as_str())).collect();
    let separator = (delimiter as char).to_string();
    let raw_of = |record: &csv::StringRecord, aligned: bool| -> String {
        record
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let kept = if aligned {
                    read_for.get(i).copied().unwrap_or(false)
                } else {
                    // Cells may have shifted: only those without letters are kept.
                    !cell.chars().any(char::is_alphabetic)
                };
                if kept || cell.trim().is_empty() { cell } else { "***" }
            })
            .collect::<Vec<_>>()
            .join(&separator)
    };
    let mut loaded = Loaded::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                if record.len() != header.len() {
                    loaded.rejects.push(Reject {
                        rule: &rules::CSV_SHAPE,
                        location: format!("line {}", record.position().map_or(line, |p| p.line())),
                        message: format!("the line has {} cells where the header has {}", record.len(), header.len()),
                        raw: raw_of(&record, false),
                    });
                    continue;
                }
                let row = Row { record: &record, columns: &columns };
                match read_row(&row, context) {
                    Ok(values) => loaded.rows.push((spec.table, values)),
                    Err(fault) => loaded.rejects.push(Reject {
                        rule: fault.rule,
                        location: format!("line {}", record.position().map_or(line, |p| p.line())),
                        message: fault.message,
                        raw: raw_of(&record, true),
                    }),
                }
            }
            Err(e) => {
                loaded.rejects.push(Reject {
                    rule: &rules::CSV_SHAPE,
                    location: format!("line {line}"),
                    message: format!("the line cannot be read: {e}"),
                    raw: String::new(),
                });
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    loaded
}
