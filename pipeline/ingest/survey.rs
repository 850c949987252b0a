//! Cliëntervaringsonderzoek: one row per respondent. Scores 1-5; 9 or empty
//! is "weet niet / n.v.t." and becomes missing. The BSN may be empty for an
//! anonymous respondent.

use super::csv_dialect::{self, CsvSpec, Row};
use super::rules;
use super::source::{Context, Fault, Input, Loaded, Sniff, Source};
use crate::lake::{Table, Value};
use rust_decimal::Decimal;

pub struct Survey;

pub const STATEMENTS: [&str; 8] = ["v01", "v02", "v03", "v04", "v05", "v06", "v07", "v08"];

static SPEC: CsvSpec = CsvSpec {
    table: Table::Ervaringen,
    signature: &["respondent_id"],
    required: &[
        "respondent_id",
        "aanbieder_agb",
        "bsn",
        "datum_ingevuld",
        "v01",
        "v02",
        "v03",
        "v04",
        "v05",
        "v06",
        "v07",
        "v08",
        "rapportcijfer",
    ],
};

impl Source for Survey {
    fn kind(&self) -> &'static str {
        "clientervaring"
    }
    fn recognise(&self, sniff: &Sniff) -> bool {
        SPEC.recognise(sniff)
    }
    fn load(&self, input: &Input, context: &Context) -> Loaded {
        csv_dialect::load(input, context, &SPEC, &read_row)
    }
}

fn read_row(row: &Row, context: &Context) -> Result<Vec<Value>, Fault> {
    let mut values = vec![
        row.required("respondent_id")?.into(),
        row.agb("aanbieder_agb")?.into(),
        row.pseudonym("bsn", context)?.into(),
        row.date("datum_ingevuld")?.into(),
    ];
    for statement in STATEMENTS {
        values.push(score(row, statement)?.into());
    }
    let grade = row.optional_decimal("rapportcijfer")?;
    if let Some(grade) = grade
        && (grade < Decimal::ONE || grade > Decimal::TEN)
    {
        return Err(Fault::new(&rules::CSV_SCORE, format!("rapportcijfer {grade} is not between 1 and 10")));
    }
    values.push(grade.map(|g| g.round_dp(1)).into());
    Ok(values)
}

fn score(row: &Row, column: &str) -> Result<Option<i64>, Fault> {
    let Some(text) = row.get(column) else { return Ok(None) };
    match csv_dialect::parse_integer(text) {
        Some(9) => Ok(None),
        Some(value @ 1..=5) => Ok(Some(value)),
        _ => Err(Fault::new(&rules::CSV_SCORE, format!("{column} {text:?} is not a score 1-5 or 9 (weet niet)"))),
    }
}
