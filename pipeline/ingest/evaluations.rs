//! SWT evaluaties: the neighbourhood team's goal evaluations, one row each.

use super::csv_dialect::{self, CsvSpec, Row};
use super::rules;
use super::source::{Context, Fault, Input, Loaded, Sniff, Source};
use crate::lake::{Table, Value};

pub struct Evaluations;

static SPEC: CsvSpec = CsvSpec {
    table: Table::Evaluaties,
    signature: &["evaluatiedatum"],
    required: &["toewijzingnummer", "aanbieder_agb", "bsn", "evaluatiedatum", "soort", "doelrealisatie", "vervolg"],
};

impl Source for Evaluations {
    fn kind(&self) -> &'static str {
        "evaluatie"
    }
    fn recognise(&self, sniff: &Sniff) -> bool {
        SPEC.recognise(sniff)
    }
    fn load(&self, input: &Input, context: &Context) -> Loaded {
        csv_dialect::load(input, context, &SPEC, &read_row)
    }
}

fn read_row(row: &Row, context: &Context) -> Result<Vec<Value>, Fault> {
    let pseudonym = row
        .pseudonym("bsn", context)?
        .ok_or_else(|| Fault::new(&rules::REQUIRED, "bsn is empty; an evaluation is always about a known client"))?;
    Ok(vec![
        row.required("toewijzingnummer")?.into(),
        row.agb("aanbieder_agb")?.into(),
        pseudonym.into(),
        row.date("evaluatiedatum")?.into(),
        row.one_of("soort", &["tussentijds", "eind"])?.into(),
        row.one_of("doelrealisatie", &["volledig", "gedeeltelijk", "niet"])?.into(),
        row.optional_one_of("vervolg", &["geen", "voorliggend", "maatwerk"])?.into(),
    ])
}
