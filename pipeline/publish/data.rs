//! Everything a quarter's reports show, read from the kpi tables `compute`
//! kept and the kpi views over them (and the providers' names). A period
//! reaches the SQL only in its one text form (`Periode`'s Display).

use super::tabellen::{Bronnen, Tabellen};
use crate::engine::rows::{Row, query};
use crate::error::Result;
use crate::periode::{self, Periode};
use datafusion::prelude::SessionContext;

/// Periods in a trend: the last eight quarters (or half-years).
pub const TREND_PERIODEN: usize = 8;

pub struct Gegevens {
    /// `kpi_wmo` for the trend periods, oldest first; the last is the period itself.
    pub wmo: Vec<Row>,
    /// `kpi_aanbieder` of every provider over the trend periods.
    pub aanbieders: Vec<Row>,
    /// The providers' names (`stg_aanbieders`).
    pub namen: Vec<Row>,
    /// `kpi_aanbieder_vergelijking` of the period: the peers per figure.
    pub vergelijking: Vec<Row>,
    /// `kpi_begroting` of the period's year, if there is one.
    pub begroting: Option<Row>,
    /// `kpi_volledigheid` of the period: how complete each provider's declarations are.
    pub volledigheid: Vec<Row>,
    /// The rows of each table of tabellen.toml, in its order.
    pub monitor_tabellen: Vec<Vec<Row>>,
    pub pakket_tabellen: Vec<Vec<Row>>,
}

impl Gegevens {
    pub fn perioden(&self) -> Vec<String> {
        self.wmo.iter().map(|r| r.text("periode")).collect()
    }
}

/// The kpi_wmo row of the period, if compute kept one.
pub async fn wmo_row(ctx: &SessionContext, periode: Periode) -> Result<Option<Row>> {
    let rows = query(ctx, &format!("select * from kpi_wmo where periode = '{periode}'"), "kpi_wmo").await?;
    Ok(rows.into_iter().next())
}

pub async fn load(ctx: &SessionContext, periode: Periode, tabellen: &Tabellen, bronnen: &Bronnen) -> Result<Gegevens> {
    let trend = periode::sql_list(&periode.reeks_tot(TREND_PERIODEN));
    // Period texts of one kind sort as their periods do.
    let wmo =
        query(ctx, &format!("select * from kpi_wmo where periode in ({trend}) order by periode"), "kpi_wmo").await?;
    let aanbieders = query(
        ctx,
        &format!("select * from kpi_aanbieder where periode in ({trend}) order by aanbieder_agb, periode"),
        "kpi_aanbieder",
    )
    .await?;
    let vergelijking = query(
        ctx,
        &format!("select * from kpi_aanbieder_vergelijking where periode = '{periode}'"),
        "kpi_aanbieder_vergelijking",
    )
    .await?;
    let namen = query(ctx, "select aanbieder_agb, naam from stg_aanbieders", "the providers (aanbieders.csv)").await?;
    let begroting =
        query(ctx, &format!("select * from kpi_begroting where jaar = {}", periode.jaar()), "kpi_begroting")
            .await?
            .into_iter()
            .next();
    // A lake computed by a version without it has no kpi_volledigheid: nothing to say then.
    let volledigheid = if ctx.table_exist("kpi_volledigheid").unwrap_or(false) {
        query(ctx, &format!("select * from kpi_volledigheid where periode = '{periode}'"), "kpi_volledigheid").await?
    } else {
        Vec::new()
    };
    let (monitor_tabellen, pakket_tabellen) = tabellen.rows(ctx, periode, bronnen).await?;
    Ok(Gegevens { wmo, aanbieders, namen, vergelijking, begroting, volledigheid, monitor_tabellen, pakket_tabellen })
}
