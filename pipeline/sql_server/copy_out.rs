//! `COPY (query) TO STDOUT` and `COPY table TO STDOUT`: the rows of a query
//! sent to the client, in PostgreSQL's text or CSV format, which is what
//! psql's `\copy ... to 'file'` asks for. It only reads, so the guard lets it
//! through (on the simple protocol, where psql sends it); a COPY to or from a
//! file, a program or the client's input stays refused.

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::hooks::{HookClient, QueryHook};
use futures::StreamExt;
use pgwire::api::ClientInfo;
use pgwire::api::results::{CopyResponse, Response};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::copy::CopyData;

/// How the rows are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Format {
    csv: bool,
    header: bool,
    delimiter: char,
    null: String,
}

impl Format {
    fn text() -> Format {
        Format { csv: false, header: false, delimiter: '\t', null: "\\N".into() }
    }

    fn csv() -> Format {
        Format { csv: true, header: false, delimiter: ',', null: String::new() }
    }
}

fn unsupported(what: impl std::fmt::Display) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "0A000".into(),
        format!("COPY TO STDOUT takes FORMAT text or csv, HEADER, DELIMITER and NULL; not {what}"),
    )))
}

/// The query and the format of a `COPY ... TO STDOUT`; `None` for any other statement.
pub fn copy_to_stdout(statement: &Statement) -> Option<PgWireResult<(Statement, Format)>> {
    let Statement::Copy { source, to: true, target: CopyTarget::Stdout, options, legacy_options, .. } = statement
    else {
        return None;
    };
    let query = match source {
        CopySource::Query(query) => Statement::Query(query.clone()),
        CopySource::Table { table_name, columns } => {
            let columns = if columns.is_empty() {
                "*".to_string()
            } else {
                columns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            let sql = format!("SELECT {columns} FROM {table_name}");
            match Parser::parse_sql(&PostgreSqlDialect {}, &sql).map(|mut s| s.pop()) {
                Ok(Some(query)) => query,
                _ => return Some(Err(unsupported(format!("the table {table_name}")))),
            }
        }
    };
    Some(format_of(options, legacy_options).map(|format| (query, format)))
}

fn format_of(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> PgWireResult<Format> {
    let csv = options.iter().any(|o| matches!(o, CopyOption::Format(f) if f.value.eq_ignore_ascii_case("csv")))
        || legacy.iter().any(|o| matches!(o, CopyLegacyOption::Csv(_)));
    let mut format = if csv { Format::csv() } else { Format::text() };
    for option in options {
        match option {
            CopyOption::Format(name) if ["csv", "text"].contains(&name.value.to_lowercase().as_str()) => {}
            CopyOption::Header(header) => format.header = *header,
            CopyOption::Delimiter(delimiter) => format.delimiter = *delimiter,
            CopyOption::Null(null) => format.null = null.clone(),
            other => return Err(unsupported(other)),
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Csv(csv_options) => {
                for csv_option in csv_options {
                    match csv_option {
                        CopyLegacyCsvOption::Header => format.header = true,
                        other => return Err(unsupported(other)),
                    }
                }
            }
            CopyLegacyOption::Header => format.header = true,
            CopyLegacyOption::Delimiter(delimiter) => format.delimiter = *delimiter,
            CopyLegacyOption::Null(null) => format.null = null.clone(),
            other => return Err(unsupported(other)),
        }
    }
    Ok(format)
}

impl Format {
    fn field(&self, value: &str) -> String {
        if self.csv {
            let special = value.is_empty()
                || value.contains(self.delimiter)
                || value.contains(['"', '\n', '\r'])
                || value == self.null;
            if special { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_string() }
        } else {
            let mut out = String::with_capacity(value.len());
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == self.delimiter => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out
        }
    }

    fn line(&self, fields: impl Iterator<Item = Option<String>>) -> String {
        let mut line = fields
            .map(|f| f.map_or_else(|| self.null.clone(), |v| self.field(&v)))
            .collect::<Vec<_>>()
            .join(&self.delimiter.to_string());
        line.push('\n');
        line
    }

    /// A batch's rows, one line each.
    pub fn rows(&self, batch: &RecordBatch) -> Result<String, datafusion::arrow::error::ArrowError> {
        let mut out = String::new();
        for row in 0..batch.num_rows() {
            let mut fields = Vec::with_capacity(batch.num_columns());
            for column in batch.columns() {
                fields.push(if column.is_null(row) { None } else { Some(array_value_to_string(column, row)?) });
            }
            out.push_str(&self.line(fields.into_iter()));
        }
        Ok(out)
    }
}

/// Runs a `COPY ... TO STDOUT` the guard let through.
pub struct CopyOut;

#[async_trait]
impl QueryHook for CopyOut {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        let (query, format) = match copy_to_stdout(statement)? {
            Ok(copy) => copy,
            Err(e) => return Some(Err(e)),
        };
        Some(run(ctx, &query.to_string(), format).await)
    }

    async fn handle_extended_parse_query(
        &self,
        _statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        None
    }

    async fn handle_extended_query(
        &self,
        _statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        None
    }
}

async fn run(ctx: &SessionContext, query: &str, format: Format) -> PgWireResult<Response> {
    let failed = |e: datafusion::error::DataFusionError| PgWireError::ApiError(Box::new(e));
    let frame = ctx.sql(query).await.map_err(failed)?;
    let columns = frame.schema().fields().len();
    let header = format.header.then(|| format.line(frame.schema().fields().iter().map(|f| Some(f.name().clone()))));
    let batches = frame.execute_stream().await.map_err(failed)?;
    let lines = batches.map(move |batch| {
        let batch = batch.map_err(failed)?;
        let text = format.rows(&batch).map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        Ok(CopyData::new(Bytes::from(text)))
    });
    let data = futures::stream::iter(header.map(|h| Ok(CopyData::new(Bytes::from(h))))).chain(lines);
    Ok(Response::CopyOut(CopyResponse::new(0, columns, data)))
}
