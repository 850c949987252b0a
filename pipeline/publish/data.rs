//! Everything a quarter's reports show, read from the kpi tables `compute`
//! kept (and, for the lines to follow up, from `stg_declaratieregels`). A
//! period reaches the SQL only in its one text form (`Periode`'s Display).

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
    pub stadsdelen: Vec<Row>,
    pub arrangementen: Vec<Row>,
    pub aanbieder_arrangementen: Vec<Row>,
    pub uitstroomredenen: Vec<Row>,
    pub ervaring: Vec<Row>,
    pub begroting: Vec<Row>,
    /// Effective declaration lines of the period that are onrechtmatig or dubbel.
    pub opvolging: Vec<Row>,
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

pub async fn load(ctx: &SessionContext, periode: Periode) -> Result<Gegevens> {
    let in_period = format!("periode = '{periode}'");
    let trend = periode::sql_list(&periode.reeks_tot(TREND_PERIODEN));
    // Period texts of one kind sort as their periods do.
    let wmo =
        query(ctx, &format!("select * from kpi_wmo where periode in ({trend}) order by periode"), "kpi_wmo").await?;
    let year = periode.jaar();
    Ok(Gegevens {
        aanbieders: query(
            ctx,
            &format!("select * from kpi_aanbieder where periode in ({trend}) order by aanbieder_agb, periode"),
            "kpi_aanbieder",
        )
        .await?,
        namen: query(ctx, "select aanbieder_agb, naam from stg_aanbieders", "the providers (aanbieders.csv)").await?,
        stadsdelen: query(
            ctx,
            &format!("select * from kpi_stadsdeel where {in_period} order by stadsdeel, cbs_groep"),
            "kpi_stadsdeel",
        )
        .await?,
        arrangementen: query(
            ctx,
            &format!("select * from kpi_arrangement where {in_period} order by productcode"),
            "kpi_arrangement",
        )
        .await?,
        aanbieder_arrangementen: query(
            ctx,
            &format!("select * from kpi_aanbieder_arrangement where {in_period} order by aanbieder_agb, productcode"),
            "kpi_aanbieder_arrangement",
        )
        .await?,
        uitstroomredenen: query(
            ctx,
            &format!("select * from kpi_uitstroomreden where {in_period} order by aanbieder_agb, trajecten desc, eindcategorie"),
            "kpi_uitstroomreden",
        )
        .await?,
        ervaring: query(
            ctx,
            &format!("select * from kpi_ervaring where {in_period} order by aanbieder_agb, vraag"),
            "kpi_ervaring",
        )
        .await?,
        begroting: query(
            ctx,
            &format!("select * from kpi_begroting where jaar <= {year} order by jaar desc limit 2"),
            "kpi_begroting",
        )
        .await?,
        opvolging: query(
            ctx,
            &format!(
                "select d.aanbieder_agb, d.toewijzingnummer, d.referentienummer, d.productcode, d.product_begin, \
                 d.product_eind, d.bedrag, d.onrechtmatig_reden, d.dubbel \
                 from stg_declaratieregels d join stg_maand_perioden mp on mp.maand = d.maand \
                 where mp.{in_period} and d.effectief and (not d.rechtmatig or d.dubbel) \
                 order by d.aanbieder_agb, d.toewijzingnummer, d.product_begin, d.referentienummer"
            ),
            "the declaration lines to follow up (stg_declaratieregels)",
        )
        .await?,
        wmo,
    })
}
