//! `reports/indicatoren.toml`: which figures the reports show, in what order,
//! with their Dutch label and one-line explanation.

use super::disclosure::Soort;
use super::source::ReportSource;
use crate::error::{Error, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// When a difference is worth a point for the dialogue.
    #[serde(default)]
    pub punten: PuntRegels,
    pub pakket: Vec<PackFigure>,
    pub monitor: Vec<MonitorFigure>,
}

/// `[punten]`: a difference is raised in the dialogue only where it matters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuntRegels {
    /// A provider with fewer clients in the period gets a short pack: no
    /// comparison with its peers, so no points drawn from one.
    #[serde(default = "default_min_clienten")]
    pub min_clienten: i64,
    /// A value outside the middle half of the peers becomes a point only when
    /// it differs from their median by at least this percentage of it.
    #[serde(default = "default_min_verschil_pct")]
    pub min_verschil_pct: u32,
}

fn default_min_clienten() -> i64 {
    10
}

fn default_min_verschil_pct() -> u32 {
    10
}

impl Default for PuntRegels {
    fn default() -> Self {
        PuntRegels { min_clienten: default_min_clienten(), min_verschil_pct: default_min_verschil_pct() }
    }
}

/// A figure of the provider's pack: a column of `kpi_aanbieder`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFigure {
    pub kolom: String,
    pub label: String,
    pub soort: Soort,
    pub uitleg: String,
    #[serde(default)]
    pub tegel: bool,
    #[serde(default)]
    pub vergelijk: bool,
    /// The respondents or evaluations a share or mean is over.
    pub basis: Option<String>,
    /// Which side is good, for the points to raise in the dialogue.
    pub beter: Option<Richting>,
    /// The figure rests on the declarations: no point is drawn from it while
    /// they are not complete for the period.
    #[serde(default)]
    pub declaraties: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Richting {
    Hoger,
    Lager,
}

/// A figure of the council's monitor: a column of `kpi_wmo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorFigure {
    pub kolom: String,
    pub hoofdstuk: String,
    pub label: String,
    pub soort: Soort,
    pub uitleg: String,
    pub teller: Option<String>,
    pub noemer: Option<String>,
    #[serde(default)]
    pub geld: bool,
    /// The figure rests on the declarations: marked provisional while they
    /// are not complete for the period.
    #[serde(default)]
    pub declaraties: bool,
}

impl Catalogue {
    pub fn load(source: &ReportSource) -> Result<Catalogue> {
        let text = source.require("indicatoren.toml")?;
        let catalogue: Catalogue = toml::from_str(&text).map_err(|e| {
            Error::Invalid(format!(
                "indicatoren.toml in {} is not valid: {}",
                source.origin(),
                crate::config::toml_error(&text, &e)
            ))
        })?;
        for figure in &catalogue.monitor {
            figure.check()?;
        }
        Ok(catalogue)
    }
}

impl Catalogue {
    /// Every column a figure names must exist: a misspelt one would show as a blank.
    pub async fn check(&self, ctx: &datafusion::prelude::SessionContext) -> Result<()> {
        let columns = |table: &'static str| async move {
            let frame = ctx.table(table).await.map_err(|e| Error::from(e).within(format!("cannot read {table}")))?;
            Ok::<Vec<String>, Error>(frame.schema().fields().iter().map(|f| f.name().clone()).collect())
        };
        let aanbieder = columns("kpi_aanbieder").await?;
        let wmo = columns("kpi_wmo").await?;
        let pack = self
            .pakket
            .iter()
            .flat_map(|f| [Some(&f.kolom), f.basis.as_ref()])
            .map(|c| ("pakket", "kpi_aanbieder", c, &aanbieder));
        let monitor = self
            .monitor
            .iter()
            .flat_map(|f| [Some(&f.kolom), f.teller.as_ref(), f.noemer.as_ref()])
            .map(|c| ("monitor", "kpi_wmo", c, &wmo));
        for (report, table, column, known) in pack.chain(monitor) {
            if let Some(column) = column
                && !known.contains(column)
            {
                return Err(Error::Invalid(format!(
                    "indicatoren.toml: a [[{report}]] figure names {column}, and {table} has no such column"
                )));
            }
        }
        Ok(())
    }
}

impl MonitorFigure {
    /// The council's rules must be able to protect the figure: a share needs
    /// its counts unless it is a share of money.
    fn check(&self) -> Result<()> {
        let share = matches!(self.soort, Soort::Procent | Soort::PerDuizend);
        if share && !self.geld && (self.teller.is_none() || self.noemer.is_none()) {
            return Err(Error::Invalid(format!(
                "indicatoren.toml: the monitor figure {} is a share without teller and noemer, so disclosure control cannot compute it from rounded counts (give both, or geld = true for a share of money)",
                self.kolom
            )));
        }
        if self.soort == Soort::Cijfer && self.noemer.is_none() {
            return Err(Error::Invalid(format!(
                "indicatoren.toml: the monitor figure {} is a mean without noemer (the count it is over)",
                self.kolom
            )));
        }
        Ok(())
    }
}
