//! The thresholds of the signals (`queries/signals/drempels.toml`), checked
//! like every other input and registered as the one-row table `drempels` the
//! signal views read, the way `peildatum` is.

use super::queries::QuerySource;
use crate::error::{Error, Result};
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde::Deserialize;
use std::sync::Arc;

pub const FILE: &str = "signals/drempels.toml";
const EMBEDDED: &str = include_str!("../../queries/signals/drempels.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drempels {
    pub fictief_budgetplafond: Budgetplafond,
    pub dure_trajecten: DureTrajecten,
    pub stille_aanbieder: StilleAanbieder,
    pub geweigerde_aanlevering: GeweigerdeAanlevering,
    pub late_start: LateStart,
    pub afwijking_van_verwacht: Afwijking,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgetplafond {
    pub waarschuwing_pct: i64,
    pub prognose_pct: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DureTrajecten {
    pub bedrag: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StilleAanbieder {
    pub maanden: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeweigerdeAanlevering {
    pub regels_pct: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateStart {
    pub dagen: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Afwijking {
    pub pct: i64,
}

impl Drempels {
    /// The thresholds of the deployment's queries: the folder's copy, else the built-in one.
    pub fn load(source: &QuerySource) -> Result<Drempels> {
        let (text, origin) = match source {
            QuerySource::Folder(root) if root.join(FILE).is_file() => {
                let path = root.join(FILE);
                (std::fs::read_to_string(&path).map_err(Error::io("cannot read", &path))?, path.display().to_string())
            }
            _ => (EMBEDDED.to_string(), format!("queries/{FILE} (embedded)")),
        };
        let drempels: Drempels = toml::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{origin} is not valid: {}", crate::config::toml_error(&text, &e))))?;
        for (name, value, range) in drempels.ranges() {
            if !range.contains(&value) {
                return Err(Error::Invalid(format!(
                    "{origin} is not valid: {name} = {value} lies outside {}..={}",
                    range.start(),
                    range.end()
                )));
            }
        }
        Ok(drempels)
    }

    /// Each threshold's column name in `drempels`, its value and what it may be.
    fn ranges(&self) -> [(&'static str, i64, std::ops::RangeInclusive<i64>); 7] {
        [
            ("budgetplafond_waarschuwing_pct", self.fictief_budgetplafond.waarschuwing_pct, 1..=1000),
            ("budgetplafond_prognose_pct", self.fictief_budgetplafond.prognose_pct, 1..=1000),
            ("dure_trajecten_bedrag", self.dure_trajecten.bedrag, 1..=100_000_000),
            ("stille_aanbieder_maanden", self.stille_aanbieder.maanden, 1..=24),
            ("geweigerde_aanlevering_regels_pct", self.geweigerde_aanlevering.regels_pct, 0..=100),
            ("late_start_dagen", self.late_start.dagen, 0..=365),
            ("afwijking_van_verwacht_pct", self.afwijking_van_verwacht.pct, 0..=1000),
        ]
    }

    /// Each column of `drempels` with what it holds, for the catalogue.
    pub fn column_docs(&self) -> Vec<(String, String)> {
        self.ranges()
            .into_iter()
            .map(|(name, _, range)| {
                let doc = format!(
                    "a signal's threshold, from queries/signals/drempels.toml ({} to {})",
                    range.start(),
                    range.end()
                );
                (name.to_string(), doc)
            })
            .collect()
    }

    /// Registers the one-row table `drempels`, a column per threshold.
    pub fn register(&self, ctx: &SessionContext) -> Result<()> {
        let ranges = self.ranges();
        let schema = Arc::new(Schema::new(
            ranges.iter().map(|(name, _, _)| Field::new(*name, DataType::Int64, false)).collect::<Vec<_>>(),
        ));
        let columns: Vec<ArrayRef> =
            ranges.iter().map(|(_, value, _)| Arc::new(Int64Array::from(vec![*value])) as ArrayRef).collect();
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let table = MemTable::try_new(schema, vec![vec![batch]])?;
        ctx.register_table("drempels", Arc::new(table))?;
        Ok(())
    }
}
