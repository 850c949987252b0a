//! The catalogue analysts read (`wmo-monitor tables`, `\d` at the prompt): every
//! table and view with a one-line description, and its columns with theirs.

use super::catalog;
use super::queries::{self, Layer, QueryFile};
use super::session;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::schema::{self, BEREKENINGEN, SIGNALEN, Table, TableDef, UITVOERINGEN, VERZENDINGEN};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

pub struct Entry {
    pub name: String,
    /// `lake table`, `staging view`, `kpi table`, `kpi view`, `signal view` or `helper table`.
    pub kind: &'static str,
    pub description: String,
    /// (name, type, description)
    pub columns: Vec<(String, String, String)>,
}

/// Every table and view: the lake's tables, the run records, the staging
/// views, the kpi tables, the kpi views and the signals, in that order.
pub async fn catalogue(config: &Config) -> Result<Vec<Entry>> {
    let files = crate::engine::QuerySource::of(config).load()?;
    // An empty session is enough: views are planned, not run.
    let ctx = session::context(&crate::engine::Limits::of(config))?;
    for table in Table::ALL {
        catalog::register_parts(&ctx, table.name(), table.def().arrow_schema(), &[])?;
    }
    catalog::register_peildatum(&ctx, None)?;
    let drempels = super::drempels::Drempels::load(&crate::engine::QuerySource::of(config))?;
    drempels.register(&ctx)?;
    queries::register(&ctx, &files).await?;

    let mut entries: Vec<Entry> = Table::ALL.iter().map(|t| table_entry(t.def())).collect();
    entries.push(table_entry(&BEREKENINGEN));
    entries.push(table_entry(&VERZENDINGEN));
    entries.push(table_entry(&UITVOERINGEN));
    entries.push(table_entry(&SIGNALEN));
    // A column a view passes on keeps the description the view it comes from gave it.
    let staging_docs: Vec<(String, String)> =
        files.iter().filter(|f| f.layer == Layer::Staging).flat_map(QueryFile::column_docs).collect();
    let staging = files.iter().filter(|f| f.layer == Layer::Staging);
    let kept = files.iter().filter(|f| f.layer == Layer::Marts && f.partition().is_some());
    let views = files.iter().filter(|f| f.layer == Layer::Marts && f.partition().is_none());
    let signals = files.iter().filter(|f| f.layer == Layer::Signals);
    for file in staging.chain(kept).chain(views).chain(signals) {
        entries.push(view_entry(&ctx, file, &staging_docs).await?);
    }
    entries.push(Entry {
        name: "peildatum".into(),
        kind: "helper table",
        description: "One row: the date the session reads the lake as of (the latest Dagtekening, or `--as-of`); the staging views count what was known on it.".into(),
        columns: vec![("peildatum".into(), "date".into(), "the as-of date".into())],
    });
    entries.push(Entry {
        name: "drempels".into(),
        kind: "helper table",
        description: "One row: the thresholds the signal views compare with (queries/signals/drempels.toml).".into(),
        columns: drempels.column_docs().into_iter().map(|(name, doc)| (name, "integer".into(), doc)).collect(),
    });
    Ok(entries)
}

/// The entries whose name holds `filter` (any case), as `wmo-monitor tables
/// FILTER` prints them; an error naming nothing when none does.
pub fn markdown_matching(config: &Config, filter: &str) -> Result<String> {
    let entries = session::runtime()?.block_on(catalogue(config))?;
    let wanted = filter.to_lowercase();
    let mut out = String::new();
    for entry in entries.iter().filter(|e| e.name.to_lowercase().contains(&wanted)) {
        out.push_str(&format!(
            "#### `{}` ({})\n\n{}\n\n| column | type | description |\n|---|---|---|\n",
            entry.name, entry.kind, entry.description
        ));
        for (name, ty, doc) in &entry.columns {
            out.push_str(&format!("| `{name}` | {ty} | {doc} |\n"));
        }
        out.push('\n');
    }
    if out.is_empty() {
        return Err(Error::Invalid(format!(
            "no table or view has {filter:?} in its name: `wmo-monitor tables` lists them all"
        )));
    }
    Ok(out)
}

/// The SQL behind a view or kpi table, as its file in `queries/` holds it
/// (header included), for `wmo-monitor tables --sql NAME`.
pub fn sql_of(config: &Config, name: &str) -> Result<String> {
    let files = crate::engine::QuerySource::of(config).load()?;
    if let Some(file) = files.iter().find(|f| f.name.eq_ignore_ascii_case(name)) {
        return Ok(format!("-- {}\n{}", file.origin, file.sql.trim_end()));
    }
    let run_logs = [&BEREKENINGEN, &VERZENDINGEN, &UITVOERINGEN, &SIGNALEN];
    if Table::ALL.iter().any(|t| t.name().eq_ignore_ascii_case(name))
        || run_logs.iter().any(|t| t.name.eq_ignore_ascii_case(name))
    {
        return Err(Error::Invalid(format!(
            "{name} is a lake table, written by ingest or by a run of wmo-monitor, not by SQL: `wmo-monitor tables {name}` describes it"
        )));
    }
    Err(Error::Invalid(format!("there is no view or kpi table {name}: `wmo-monitor tables` lists them all")))
}

/// Markdown for `wmo-monitor tables`.
pub fn markdown(config: &Config) -> Result<String> {
    let entries = session::runtime()?.block_on(catalogue(config))?;
    let mut out = String::from("### Lake tables (written by ingest)\n\n");
    out.push_str(&schema::markdown());
    let mut previous_kind = "lake table";
    for entry in entries.iter().skip(Table::ALL.len()) {
        if entry.kind != previous_kind {
            previous_kind = entry.kind;
            out.push_str(match entry.kind {
                "staging view" => "### Staging views (queries/staging)\n\n",
                "kpi view" => "### Kpi views (queries/marts, computed from the kpi tables when read)\n\n",
                "signal view" => "### Signals (queries/signals, with the thresholds of drempels.toml)\n\n",
                "helper table" => "### Helper tables (set by the session)\n\n",
                _ => "### Kpi tables (queries/marts, kept per period by `wmo-monitor compute`)\n\n",
            });
        }
        out.push_str(&format!(
            "#### `{}`\n\n{}\n\n| column | type | description |\n|---|---|---|\n",
            entry.name, entry.description
        ));
        for (name, ty, doc) in &entry.columns {
            out.push_str(&format!("| `{name}` | {ty} | {doc} |\n"));
        }
        out.push('\n');
    }
    Ok(out)
}

fn table_entry(def: &TableDef) -> Entry {
    Entry {
        name: def.name.to_string(),
        kind: "lake table",
        description: format!("{}{}.", def.doc[..1].to_uppercase(), &def.doc[1..]),
        columns: def
            .columns
            .iter()
            .map(|c| (c.name.to_string(), type_name(&c.ty.arrow()), c.doc.to_string()))
            .collect(),
    }
}

async fn view_entry(ctx: &SessionContext, file: &QueryFile, staging_docs: &[(String, String)]) -> Result<Entry> {
    let frame = ctx.table(file.name.as_str()).await.map_err(|e| Error::Sql(format!("{}: {e}", file.origin)))?;
    let docs = file.column_docs();
    Ok(Entry {
        name: file.name.clone(),
        kind: match (file.layer, file.partition()) {
            (Layer::Staging, _) => "staging view",
            (Layer::Marts, Some(_)) => "kpi table",
            (Layer::Marts, None) => "kpi view",
            (Layer::Signals, _) => "signal view",
        },
        description: file.description(),
        columns: frame
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let doc = header_doc(&docs, f.name())
                    .or_else(|| own_table_doc(&file.name, f.name()))
                    .or_else(|| raw_doc(f.name()))
                    .or_else(|| header_doc(staging_docs, f.name()));
                (f.name().clone(), type_name(f.data_type()), doc.unwrap_or_default())
            })
            .collect(),
    })
}

/// For `stg_<table>`, the description of the raw table's column of that name.
fn own_table_doc(view: &str, column: &str) -> Option<String> {
    let table = view.strip_prefix("stg_")?;
    let def = Table::ALL.iter().map(|t| t.def()).find(|d| d.name == table)?;
    def.columns.iter().find(|c| c.name == column).map(|c| c.doc.to_string())
}

/// A column's description from `-- * a, b: ...` header lines.
fn header_doc(docs: &[(String, String)], column: &str) -> Option<String> {
    docs.iter().find(|(names, _)| names.split(',').any(|n| n.trim() == column)).map(|(_, doc)| doc.clone())
}

/// The description of a raw lake column of that name, in any table.
fn raw_doc(column: &str) -> Option<String> {
    Table::ALL.iter().flat_map(|t| t.def().columns.iter()).find(|c| c.name == column).map(|c| c.doc.to_string())
}

fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "text".into(),
        DataType::Date32 => "date".into(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => "integer".into(),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => "integer".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        DataType::Float64 | DataType::Float32 => "float".into(),
        DataType::Timestamp(_, _) => "timestamp, UTC".into(),
        other => other.to_string(),
    }
}
