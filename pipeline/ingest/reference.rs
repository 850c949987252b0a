//! Reference data of the deployment (`reference/`): providers, products and
//! tariffs, postcodes to districts, residents, budget and the providers'
//! budget ceilings. Each changed file is
//! loaded as a new snapshot; the newest `laad_id` per table is current.

use super::csv_dialect::{self, CsvSpec, Row};
use super::iwmo;
use super::rules;
use super::source::{Context, Fault, Input, Loaded, Sniff, Source};
use crate::lake::{Table, Value};

/// One reference export: its spec and how a row is read.
pub struct Reference {
    kind: &'static str,
    spec: CsvSpec,
    read_row: fn(&Row) -> Result<Vec<Value>, Fault>,
}

impl Source for Reference {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn recognise(&self, sniff: &Sniff) -> bool {
        self.spec.recognise(sniff)
    }
    fn load(&self, input: &Input, context: &Context) -> Loaded {
        let read_row = self.read_row;
        csv_dialect::load(input, context, &self.spec, &|row, _| read_row(row))
    }
}

pub static AANBIEDERS: Reference = Reference {
    kind: "aanbieders",
    spec: CsvSpec {
        table: Table::Aanbieders,
        signature: &["agb", "contract"],
        required: &["agb", "naam", "contract", "contract_vanaf", "contract_tot", "contractmanager_email"],
    },
    read_row: |row| {
        let from = row.optional_date("contract_vanaf")?;
        let until = row.optional_end_date("contract_tot")?;
        if let Some(from) = from {
            iwmo::ordered(from, until, "contract")?;
        }
        Ok(vec![
            row.agb("agb")?.into(),
            row.required("naam")?.into(),
            row.one_of("contract", &["DIAH", "TO", "DIAH+TO"])?.into(),
            from.into(),
            until.into(),
            row.get("contractmanager_email").into(),
        ])
    },
};

pub static PRODUCTEN: Reference = Reference {
    kind: "producten",
    spec: CsvSpec {
        table: Table::Producten,
        signature: &["productcode", "tarief_per_maand"],
        required: &[
            "productcode",
            "productcategorie",
            "omschrijving",
            "model",
            "maatwerk",
            "resultaatgebieden",
            "type",
            "intensiteit",
            "tarief_per_maand",
            "geldig_vanaf",
            "geldig_tot",
        ],
    },
    read_row: |row| {
        let category = row.required("productcategorie")?;
        let category = if category.len() == 1 { format!("0{category}") } else { category.to_string() };
        if !iwmo::PRODUCTCATEGORIE.contains(&category.as_str()) {
            return Err(Fault::new(&rules::CSV_VALUE, format!("productcategorie {category:?} is not in WMO020")));
        }
        let from = row.date("geldig_vanaf")?;
        let until = row.optional_end_date("geldig_tot")?;
        iwmo::ordered(from, until, "validity")?;
        Ok(vec![
            row.required("productcode")?.into(),
            category.into(),
            row.required("omschrijving")?.into(),
            row.one_of("model", &["DIAH", "TO"])?.into(),
            row.one_of("maatwerk", &["ja", "nee"])?.into(),
            row.optional_one_of("resultaatgebieden", &["1-2", "3-4", "5-6"])?.into(),
            row.optional_one_of("type", &["ondersteunend", "activerend"])?.into(),
            row.optional_one_of("intensiteit", &["gemiddeld", "plus", "hoog"])?.into(),
            row.decimal("tarief_per_maand")?.into(),
            from.into(),
            until.into(),
        ])
    },
};

pub static WIJKEN: Reference = Reference {
    kind: "wijken",
    spec: CsvSpec {
        table: Table::Wijken,
        signature: &["postcode4", "stadsdeel"],
        required: &["postcode4", "wijk", "stadsdeel"],
    },
    read_row: |row| {
        let postcode = row.required("postcode4")?;
        if postcode.len() != 4 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Fault::new(&rules::CSV_VALUE, format!("postcode4 {postcode:?} is not 4 digits")));
        }
        Ok(vec![postcode.into(), row.required("wijk")?.into(), row.required("stadsdeel")?.into()])
    },
};

pub static INWONERS: Reference = Reference {
    kind: "inwoners",
    spec: CsvSpec {
        table: Table::Inwoners,
        signature: &["inwoners", "jaar"],
        required: &["jaar", "stadsdeel", "inwoners"],
    },
    read_row: |row| {
        Ok(vec![row.year("jaar")?.into(), row.required("stadsdeel")?.into(), row.integer("inwoners")?.into()])
    },
};

pub static BUDGETPLAFONDS: Reference = Reference {
    kind: "budgetplafonds",
    spec: CsvSpec {
        table: Table::Budgetplafonds,
        signature: &["plafond", "jaar"],
        required: &["aanbieder_agb", "jaar", "plafond"],
    },
    read_row: |row| {
        Ok(vec![row.agb("aanbieder_agb")?.into(), row.year("jaar")?.into(), row.decimal("plafond")?.into()])
    },
};

pub static BEGROTING: Reference = Reference {
    kind: "begroting",
    spec: CsvSpec {
        table: Table::Begroting,
        signature: &["begroting", "jaar"],
        required: &["jaar", "begroting", "besparing_behoudend", "besparing_gemiddeld", "besparing_optimaal"],
    },
    read_row: |row| {
        Ok(vec![
            row.year("jaar")?.into(),
            row.decimal("begroting")?.into(),
            row.decimal("besparing_behoudend")?.into(),
            row.decimal("besparing_gemiddeld")?.into(),
            row.decimal("besparing_optimaal")?.into(),
        ])
    },
};
