//! Registers the lake in a DataFusion session: the raw and reference tables
//! (only parts of committed batches), the materialised `kpi_*` tables
//! (Hive-partitioned by period) and the `peildatum` the views read.

use super::queries::QueryFile;
use crate::error::{Context, Error, Result};
use crate::lake::{Lake, Table};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, Date32Array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::MemorySchemaProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The schema the materialised kpi tables live in; each is shown to users
/// through a view of the same name in the default schema, with `periode` first.
pub const KPI_STORE: &str = "opslag";

/// Registers every materialised kpi table and the records of compute runs,
/// deliveries and scheduled runs.
pub async fn register_materialised_tables(ctx: &SessionContext, lake: &Lake, files: &[QueryFile]) -> Result<()> {
    for file in files {
        if let Some(key) = file.partition() {
            register_materialised(ctx, lake, &file.name, key).await?;
        }
    }
    use crate::lake::schema::{BEREKENINGEN, SIGNALEN, UITVOERINGEN, VERZENDINGEN};
    for log in [&BEREKENINGEN, &VERZENDINGEN, &UITVOERINGEN, &SIGNALEN] {
        let urls = part_urls(lake, &crate::lake::journal::parts(lake, log)?)?;
        register_parts(ctx, log.name, log.arrow_schema(), &urls)?;
    }
    Ok(())
}

/// Registers every lake table under its own name (and, for a lake on object
/// storage, the client that reads it).
pub async fn register_lake(ctx: &SessionContext, lake: &Lake) -> Result<()> {
    lake.register_reader(ctx)?;
    for table in Table::ALL {
        let urls = part_urls(lake, &lake.committed_parts(table)?)?;
        register_parts(ctx, table.name(), table.def().arrow_schema(), &urls)?;
    }
    Ok(())
}

fn part_urls(lake: &Lake, parts: &[String]) -> Result<Vec<ListingTableUrl>> {
    parts.iter().map(|part| lake.url(part)).collect()
}

/// Registers Parquet files as one table with a known schema (empty when there
/// are none).
pub fn register_parts(ctx: &SessionContext, name: &str, schema: SchemaRef, urls: &[ListingTableUrl]) -> Result<()> {
    let provider: Arc<dyn datafusion::catalog::TableProvider> = if urls.is_empty() {
        Arc::new(MemTable::try_new(schema, vec![vec![]]).with_context(|| format!("table {name}"))?)
    } else {
        let urls = urls.to_vec();
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(schema);
        Arc::new(ListingTable::try_new(config).with_context(|| format!("table {name}"))?)
    };
    ctx.register_table(name, provider).with_context(|| format!("cannot register table {name}"))?;
    Ok(())
}

/// Registers a materialised kpi table (`<lake>/<name>/<key>=<value>/data.parquet`)
/// when it has any partition: stored in [`KPI_STORE`], shown as a view with the
/// partition column first. Returns whether it was there.
pub async fn register_materialised(ctx: &SessionContext, lake: &Lake, name: &str, key: &str) -> Result<bool> {
    if !lake.has_files(name)? {
        return Ok(false);
    }
    let fail = |e: datafusion::error::DataFusionError| Error::from(e).within(format!("cannot read the table {name}"));
    let url = lake.url(&format!("{name}/"))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![(key.to_string(), partition_type(key))]);
    let config =
        ListingTableConfig::new(url).with_listing_options(options).infer_schema(&ctx.state()).await.map_err(fail)?;
    let table = ListingTable::try_new(config).map_err(fail)?;
    ensure_store_schema(ctx)?;
    ctx.register_table(format!("{KPI_STORE}.{name}"), Arc::new(table)).map_err(fail)?;
    ctx.sql(&format!("create view {name} as select {key}, * exclude ({key}) from {KPI_STORE}.{name}"))
        .await
        .map_err(fail)?;
    Ok(true)
}

/// `periode` is text (`2019-Q3`), `jaar` a number.
pub fn partition_type(key: &str) -> DataType {
    if key == "jaar" { DataType::Int64 } else { DataType::Utf8 }
}

fn ensure_store_schema(ctx: &SessionContext) -> Result<()> {
    let catalog = ctx
        .catalog(super::session::CATALOG)
        .ok_or_else(|| Error::Sql("the query engine has no default catalog".into()))?;
    if catalog.schema(KPI_STORE).is_none() {
        catalog
            .register_schema(KPI_STORE, Arc::new(MemorySchemaProvider::new()))
            .with_context(|| format!("cannot create the schema {KPI_STORE}"))?;
    }
    Ok(())
}

/// The latest Dagtekening of any iWmo message in the lake, if there is one.
pub async fn latest_dagtekening(ctx: &SessionContext) -> Result<Option<NaiveDate>> {
    // A message dated in the future (a typo, a wrong clock) must not move
    // the figures' date, or compute would plan every period up to it.
    let sql = "select max(d) from (
        select max(dagtekening) as d from toewijzingen where dagtekening <= current_date()
        union all select max(dagtekening) from zorgmeldingen where dagtekening <= current_date()
        union all select max(dagtekening) from declaratieregels where dagtekening <= current_date())";
    let batches = ctx
        .sql(sql)
        .await
        .context("cannot read the latest Dagtekening")?
        .collect()
        .await
        .context("cannot read the latest Dagtekening")?;
    let value = batches
        .first()
        .filter(|b| b.num_rows() > 0)
        .and_then(|b| b.column(0).as_any().downcast_ref::<Date32Array>().cloned())
        .filter(|a| a.is_valid(0))
        .and_then(|a| a.value_as_date(0));
    Ok(value)
}

/// The date a run computes as of: the one asked for, else the lake's latest
/// Dagtekening; an empty lake is an error that says what to run first.
pub async fn peildatum(ctx: &SessionContext, as_of: Option<NaiveDate>) -> Result<NaiveDate> {
    match as_of {
        Some(date) => Ok(date),
        None => latest_dagtekening(ctx).await?.ok_or_else(|| {
            Error::Invalid("the lake holds no iWmo messages yet: run `wmo-monitor ingest` (or `demo`) first".into())
        }),
    }
}

/// Registers the one-row table `peildatum` (column `peildatum`): the date the
/// figures are computed as of. The views read only what was known by then.
pub fn register_peildatum(ctx: &SessionContext, peildatum: Option<NaiveDate>) -> Result<()> {
    let table = super::lazy::peildatum_table(peildatum).map_err(|e| Error::Sql(e.to_string()))?;
    ctx.deregister_table("peildatum").map_err(|e| Error::Sql(e.to_string()))?;
    ctx.register_table("peildatum", Arc::new(table)).map_err(|e| Error::Sql(e.to_string()))?;
    Ok(())
}

/// The latest quarter `compute` kept figures for (in `kpi_wmo`).
pub async fn latest_quarter(ctx: &SessionContext) -> Result<Option<crate::periode::Periode>> {
    let rows = super::rows::query(ctx, "select distinct periode from kpi_wmo", "kpi_wmo").await?;
    let mut latest = None;
    for row in rows {
        let periode: crate::periode::Periode = row.text("periode").parse()?;
        if periode.is_kwartaal() && latest.is_none_or(|l| periode > l) {
            latest = Some(periode);
        }
    }
    Ok(latest)
}
