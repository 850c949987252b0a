//! `wmo-monitor compute`: runs the SQL of `queries/` over the lake and keeps
//! the kpi tables per period, so trends and earlier reports can be reproduced.
//! The indicators are defined in the SQL alone; this module only chooses the
//! periods, splits the views' rows by period and stores them (see `store`).

pub mod store;

use crate::config::Config;
use crate::engine::{catalog, queries, session};
use crate::error::{Context, Error, Result};
use crate::lake::Lake;
use crate::lake::schema::BEREKENINGEN;
use crate::periode::Periode;
use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::array::{Scalar, TimestampMicrosecondArray};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::prelude::SessionContext;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct ComputeOptions {
    /// One period (`2019-Q3`, `2019-H2`); `None` computes every ended period.
    pub periode: Option<Periode>,
    /// Compute as of this date; default: the latest Dagtekening in the lake.
    pub as_of: Option<NaiveDate>,
    pub show_progress: bool,
}

/// One kpi table a run kept: the partition values it wrote and its rows.
#[derive(Debug, Clone)]
pub struct KeptTable {
    pub table: String,
    pub values: Vec<String>,
    pub rows: usize,
}

#[derive(Debug, Clone)]
pub struct ComputeSummary {
    pub run_id: i64,
    pub peildatum: NaiveDate,
    pub perioden: Vec<Periode>,
    pub rows: Vec<KeptTable>,
    pub seconds: f64,
    pub recovered: (usize, usize),
}

impl std::fmt::Display for ComputeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = match (self.perioden.first(), self.perioden.last()) {
            (Some(first), Some(last)) if first != last => format!("{first} .. {last}"),
            (Some(one), _) => one.to_string(),
            _ => "none".into(),
        };
        writeln!(
            f,
            "Computed {} period(s) ({range}) as of {} in {:.1} s (run {}):",
            self.perioden.len(),
            self.peildatum,
            self.seconds,
            self.run_id
        )?;
        let width = self.rows.iter().map(|kept| kept.table.len()).max().unwrap_or(0);
        for KeptTable { table, rows, .. } in &self.rows {
            writeln!(f, "  {table:<width$} {rows:>8} rows")?;
        }
        if self.recovered.0 + self.recovered.1 > 0 {
            writeln!(
                f,
                "  (an interrupted earlier run was {})",
                if self.recovered.0 > 0 { "finished first" } else { "discarded first" }
            )?;
        }
        Ok(())
    }
}

pub fn compute(config: &Config, options: &ComputeOptions) -> Result<ComputeSummary> {
    let started = Instant::now();
    let started_at = Utc::now();
    let lake = Lake::of(config)?;
    let _lock = lake.lock()?;
    let recovered = store::recover(&lake)?;
    let runtime = session::runtime()?;
    let run_id = store::next_run_id(&lake)?;
    let staged = store::StagedRun::new(&lake, run_id)?;

    // The staging views and what the kept kpi tables read: a kpi view is
    // computed when it is read, so compute need not even plan it.
    let files = queries::needed_for_kept(crate::engine::QuerySource::of(config).load()?)?;
    let (peildatum, perioden, rows) = runtime.block_on(async {
        let ctx = session::context(&crate::engine::Limits::of(config))?;
        catalog::register_lake(&ctx, &lake).await?;
        let peildatum = catalog::peildatum(&ctx, options.as_of).await?;
        catalog::register_peildatum(&ctx, Some(peildatum))?;
        let scratch = store::scratch_dir(&lake, run_id)?;
        queries::register_materialising(&ctx, &files, &[ALL_PERIODS, CLOSED_PERIODS], &scratch).await?;
        let perioden = choose_periods(&ctx, options.periode, peildatum).await?;
        let years = years_of(&perioden);

        let kept: Vec<(&str, &str)> =
            files.iter().filter_map(|f| f.partition().map(|key| (f.name.as_str(), key))).collect();
        let bar = crate::progress::counter(kept.len() as u64, "compute", options.show_progress);
        let mut rows = Vec::new();
        for (table, key) in kept {
            bar.set_message(table.to_string());
            let values: Vec<String> = if key == "jaar" {
                years.iter().map(i32::to_string).collect()
            } else {
                perioden.iter().map(Periode::to_string).collect()
            };
            let started = Instant::now();
            let written = materialise(&ctx, &staged, table, key, &values).await?;
            tracing::debug!(table, rows = written, seconds = started.elapsed().as_secs_f64(), "kpi table computed");
            rows.push(KeptTable { table: table.to_string(), values, rows: written });
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok::<_, Error>((peildatum, perioden, rows))
    })?;

    let record = run_record(run_id, started_at, peildatum, &rows)?;
    staged.commit(&record)?;
    store::remove_scratch(&lake, run_id)?;
    Ok(ComputeSummary { run_id, peildatum, perioden, rows, seconds: started.elapsed().as_secs_f64(), recovered })
}

const ALL_PERIODS: &str = "select periode from stg_perioden order by periode_begin, maanden";
const CLOSED_PERIODS: &str = "select periode from stg_perioden where afgesloten order by periode_begin, maanden";

/// The periods to compute, in time order: the named one, or every period of
/// the lake that ended on or before the peildatum.
async fn choose_periods(
    ctx: &SessionContext,
    requested: Option<Periode>,
    peildatum: NaiveDate,
) -> Result<Vec<Periode>> {
    let all = periods(ctx, ALL_PERIODS).await?;
    let ended = periods(ctx, CLOSED_PERIODS).await?;
    match requested {
        None if ended.is_empty() => Err(Error::Invalid(format!(
            "no period has ended by {peildatum} in the lake's data: name one with --periode"
        ))),
        None => Ok(ended),
        Some(periode) => {
            if all.contains(&periode) {
                Ok(vec![periode])
            } else {
                let range = match (all.first(), all.last()) {
                    (Some(first), Some(last)) => format!("the lake's periods run from {first} to {last}"),
                    _ => "the lake has no data yet".to_string(),
                };
                Err(Error::Invalid(format!("{periode} has no data as of {peildatum}: {range}")))
            }
        }
    }
}

fn years_of(perioden: &[Periode]) -> Vec<i32> {
    let mut years: Vec<i32> = perioden.iter().map(Periode::jaar).collect();
    years.sort();
    years.dedup();
    years
}

/// Runs one mart for the chosen periods and stages one file per period.
async fn materialise(
    ctx: &SessionContext,
    staged: &store::StagedRun<'_>,
    table: &str,
    key: &str,
    values: &[String],
) -> Result<usize> {
    let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    let condition =
        if key == "jaar" { format!("cast({key} as varchar) in ({list})") } else { format!("{key} in ({list})") };
    let fail = |e: datafusion::error::DataFusionError| Error::from(e).within(format!("computing {table} failed"));
    // Rows in a fixed order (every column, left to right), so a recomputed
    // period with the same data is the same file.
    let width = ctx.table(table).await.map_err(fail)?.schema().fields().len();
    let order = (1..=width).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let sql = format!("select * from {table} where {condition} order by {order}");
    let frame = ctx.sql(&sql).await.map_err(fail)?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(fail)?;
    let all = concat_batches(&schema, &batches).with_context(|| format!("computing {table}"))?;
    let key_index = schema.index_of(key).with_context(|| format!("{table} has no column {key}"))?;
    let keys = as_text(all.column(key_index))?;
    let kept: Vec<usize> = (0..schema.fields().len()).filter(|i| *i != key_index).collect();
    let mut written = 0;
    for value in values {
        let mask = eq(&keys, &Scalar::new(StringArray::from(vec![value.as_str()])))
            .with_context(|| format!("splitting {table}"))?;
        let part = filter_record_batch(&all, &mask)
            .and_then(|b| b.project(&kept))
            .with_context(|| format!("splitting {table}"))?;
        written += part.num_rows();
        staged.stage(table, key, value, &part)?;
    }
    Ok(written)
}

/// The partition column as text (`jaar` is a number in the view, and text may
/// come as a string view).
fn as_text(column: &ArrayRef) -> Result<StringArray> {
    let text = cast(column, &DataType::Utf8).context("cannot read a partition key")?;
    text.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| Error::Sql("cannot read a partition key as text".into()))
}

/// The periods `stg_perioden` lists, in its order.
async fn periods(ctx: &SessionContext, sql: &str) -> Result<Vec<Periode>> {
    let fail = |e: datafusion::error::DataFusionError| Error::from(e).within("cannot list the periods");
    let batches = ctx.sql(sql).await.map_err(fail)?.collect().await.map_err(fail)?;
    let mut out = Vec::new();
    for batch in batches {
        let column = as_text(batch.column(0))?;
        for text in column.iter().flatten() {
            out.push(text.parse()?);
        }
    }
    Ok(out)
}

fn run_record(
    run_id: i64,
    started_at: chrono::DateTime<Utc>,
    peildatum: NaiveDate,
    rows: &[KeptTable],
) -> Result<RecordBatch> {
    let n = rows.len();
    let finished_at = Utc::now();
    let days = Date32Type::from_naive_date(peildatum);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![run_id; n])),
        Arc::new(TimestampMicrosecondArray::from(vec![started_at.timestamp_micros(); n]).with_timezone("+00:00")),
        Arc::new(TimestampMicrosecondArray::from(vec![finished_at.timestamp_micros(); n]).with_timezone("+00:00")),
        Arc::new(Date32Array::from(vec![days; n])),
        Arc::new(StringArray::from(rows.iter().map(|kept| kept.values.join(",")).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|kept| kept.table.clone()).collect::<Vec<_>>())),
        Arc::new(Int64Array::from(rows.iter().map(|kept| kept.rows as i64).collect::<Vec<_>>())),
    ];
    RecordBatch::try_new(BEREKENINGEN.arrow_schema(), columns).context("cannot write the run record")
}
