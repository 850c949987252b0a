//! The catalogue analysts read (`wmo-monitor tables`, `\d` at the prompt): every
//! table and view with a one-line description, and its columns with theirs.

use super::catalog;
use super::queries::{self, Layer, QueryFile};
use super::session;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::schema::{self, BEREKENINGEN, Table};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

/// Markdown: the lake's tables, then the staging views, then the kpi tables.
pub fn markdown(config: &Config) -> Result<String> {
    let files = config.query_source().load()?;
    let runtime = session::runtime()?;
    runtime.block_on(async {
        // An empty session is enough: views are planned, not run.
        let ctx = session::context(&config.query_limits())?;
        for table in Table::ALL {
            catalog::register_parts(&ctx, table.name(), table.def().arrow_schema(), &[])?;
        }
        catalog::register_peildatum(&ctx, None)?;
        queries::register(&ctx, &files).await?;

        let mut out = String::from("### Lake tables (written by ingest)\n\n");
        out.push_str(&schema::markdown());
        out.push_str(&format!(
            "#### `{}`\n\n{}.\n\n| column | type | description |\n|---|---|---|\n",
            BEREKENINGEN.name, BEREKENINGEN.doc
        ));
        for column in BEREKENINGEN.columns {
            out.push_str(&format!("| `{}` | {} | {} |\n", column.name, type_name(&column.ty.arrow()), column.doc));
        }
        out.push_str("\n### Staging views (queries/staging)\n\n");
        for file in files.iter().filter(|f| f.layer == Layer::Staging) {
            out.push_str(&view_markdown(&ctx, file).await?);
        }
        out.push_str("### Kpi tables (queries/marts, kept per period by `wmo-monitor compute`)\n\n");
        for file in files.iter().filter(|f| f.layer == Layer::Marts) {
            out.push_str(&view_markdown(&ctx, file).await?);
        }
        Ok(out)
    })
}

async fn view_markdown(ctx: &SessionContext, file: &QueryFile) -> Result<String> {
    let frame = ctx.table(file.name.as_str()).await.map_err(|e| Error::Sql(format!("{}: {e}", file.origin)))?;
    let docs = file.column_docs();
    let mut out =
        format!("#### `{}`\n\n{}\n\n| column | type | description |\n|---|---|---|\n", file.name, file.description());
    for field in frame.schema().fields() {
        let doc = column_doc(&docs, field.name()).unwrap_or_default();
        out.push_str(&format!("| `{}` | {} | {} |\n", field.name(), type_name(field.data_type()), doc));
    }
    out.push('\n');
    Ok(out)
}

/// A view column's description: its own (`-- * a, b: ...` names several), else
/// that of the raw lake column of the same name.
pub fn column_doc(docs: &[(String, String)], column: &str) -> Option<String> {
    docs.iter().find(|(names, _)| names.split(',').any(|n| n.trim() == column)).map(|(_, doc)| doc.clone()).or_else(
        || Table::ALL.iter().flat_map(|t| t.def().columns.iter()).find(|c| c.name == column).map(|c| c.doc.to_string()),
    )
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
