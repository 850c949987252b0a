//! What a client of the SQL endpoint may run: the first query hook, on every
//! path (simple query; extended parse and execute, so prepared statements and
//! portals too). A query or EXPLAIN is planned and refused unless it only
//! reads, as in `wmo-monitor sql`; SHOW, transactions, cursors over a query
//! and `SET` of a client setting pass; everything else (DDL, DML, COPY, SET of
//! an engine setting) is refused with one sentence. A query is handed to
//! the connection, whose running plan logs it with its user, rows and
//! duration; the rest are logged here.

use super::connection::Connection;
use crate::engine::statement;
use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Set, Statement};
use datafusion_postgres::hooks::{HookClient, QueryHook};
use pgwire::api::ClientInfo;
use pgwire::api::results::Response;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use std::sync::Arc;
use std::time::Duration;

/// The settings a client may change for its own connection (PostgreSQL's
/// client settings, which psql, pgjdbc and Npgsql send on connect).
const CLIENT_SETTINGS: &[&str] = &[
    "application_name",
    "bytea_output",
    "client_encoding",
    "client_min_messages",
    "datestyle",
    "extra_float_digits",
    "intervalstyle",
    "search_path",
    "statement_timeout",
];

/// The metadata key datafusion-postgres reads the statement time limit from.
pub const TIMEOUT_KEY: &str = "statement_timeout_ms";

pub struct Guard {
    /// `[query] timeout_seconds`: a client may lower it, never raise it.
    pub timeout: Duration,
    pub connection: Arc<Connection>,
}

fn refused(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message.into())))
}

const READ_ONLY: &str = "refused: the SQL endpoint is read-only, so CREATE, DROP, INSERT, UPDATE, DELETE, COPY (but COPY ... TO STDOUT) and SET of engine settings are not allowed";

/// A statement as the log shows it: one line, at most 300 characters, and a
/// number that could be a BSN (an analyst may type one) masked.
fn logged(statement: &Statement) -> String {
    let text = statement.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
    let text = crate::privacy::mask_bsn_like(&text);
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// Whether the statement runs a plan, which logs it when its rows end.
fn runs_a_plan(statement: &Statement) -> bool {
    matches!(statement, Statement::Query(_) | Statement::Explain { .. } | Statement::Copy { .. })
}

impl Guard {
    /// Refuses the statement, or lets it run: a query is handed to the
    /// connection for its log line, anything else is logged now.
    async fn admit(&self, who: &str, statement: &Statement, ctx: &SessionContext, path: Path) -> Option<PgWireError> {
        if let Err(refusal) = self.check(statement, ctx, path).await {
            tracing::warn!("sql-server: {who}'s statement {} refused: {}", logged(statement), message(&refusal));
            return Some(refusal);
        }
        if runs_a_plan(statement) {
            self.connection.admit(who, logged(statement));
        } else {
            self.connection.take_pending();
            tracing::info!("sql-server: {who} ran {}", logged(statement));
        }
        None
    }

    async fn check(&self, statement: &Statement, ctx: &SessionContext, path: Path) -> PgWireResult<()> {
        match statement {
            Statement::Query(_) | Statement::Explain { .. } => reads_only(statement, ctx).await,
            // psql's \copy ... to: the rows go to the client, over the simple protocol.
            Statement::Copy { .. } if path == Path::Simple => match super::copy_out::copy_to_stdout(statement) {
                Some(Ok((query, _))) => reads_only(&query, ctx).await,
                Some(Err(unsupported)) => Err(unsupported),
                None => Err(refused("25006", READ_ONLY)),
            },
            Statement::Declare { stmts } => {
                for declare in stmts {
                    if let Some(query) = &declare.for_query {
                        reads_only(&Statement::Query(query.clone()), ctx).await?;
                    }
                }
                Ok(())
            }
            Statement::Set(set) => self.check_set(set),
            Statement::ShowVariable { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowCatalogs { .. }
            | Statement::ShowTables { .. }
            | Statement::ShowColumns { .. }
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Deallocate { .. }
            | Statement::Fetch { .. }
            | Statement::Close { .. }
            | Statement::Discard { .. } => Ok(()),
            _ => Err(refused("25006", READ_ONLY)),
        }
    }

    fn check_set(&self, set: &Set) -> PgWireResult<()> {
        match set {
            Set::SingleAssignment { scope: None, hivevar: false, variable, values } => {
                let name = variable.to_string().to_lowercase();
                if !CLIENT_SETTINGS.contains(&name.as_str()) {
                    return Err(refused(
                        "25006",
                        format!("refused: {name} is not a client setting; the endpoint's engine settings are fixed"),
                    ));
                }
                if name == "statement_timeout" {
                    let value = values.first().map(|v| v.to_string()).unwrap_or_default();
                    let millis = milliseconds(value.trim_matches(|c| c == '\'' || c == '"'));
                    if millis.is_none_or(|ms| ms == 0 || ms > self.timeout.as_millis()) {
                        return Err(refused(
                            "22023",
                            format!(
                                "refused: statement_timeout may only be lowered, below the endpoint's {} s",
                                self.timeout.as_secs()
                            ),
                        ));
                    }
                }
                Ok(())
            }
            // Isolation levels and READ ONLY (Metabase, pgjdbc's setReadOnly): each
            // statement reads one committed state of the lake anyway.
            Set::SetTimeZone { local: false, .. } | Set::SetNames { .. } | Set::SetTransaction { .. } => Ok(()),
            _ => Err(refused("25006", READ_ONLY)),
        }
    }
}

/// `5000`, `5000ms`, `5s` or `1min` in milliseconds.
fn milliseconds(text: &str) -> Option<u128> {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix("min") {
        (n, 60_000)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000)
    } else {
        (text, 1)
    };
    number.trim().parse::<u128>().ok().map(|n| n * factor)
}

/// Plans the statement and refuses it unless it only reads.
async fn reads_only(statement: &Statement, ctx: &SessionContext) -> PgWireResult<()> {
    let plan = ctx
        .state()
        .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(statement.clone())))
        .await
        .map_err(|e| refused("42601", statement::explain(e).to_string()))?;
    statement::read_only().verify_plan(&plan).map_err(|_| refused("25006", READ_ONLY))
}

#[async_trait]
impl QueryHook for Guard {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        self.admit(&user(client.metadata()), statement, ctx, Path::Simple).await.map(Err)
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        // Logged when a portal runs it; a refusal is told now.
        let refusal = self.check(statement, ctx, Path::Extended).await.err()?;
        tracing::warn!(
            "sql-server: {}'s statement {} refused: {}",
            user(client.metadata()),
            logged(statement),
            message(&refusal)
        );
        Some(Err(refusal))
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        // Checked again: a portal may run a statement prepared before.
        self.admit(&user(client.metadata()), statement, ctx, Path::Extended).await.map(Err)
    }
}

/// Which protocol a statement came by.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    Simple,
    Extended,
}

/// A refusal's sentence, for the log.
fn message(error: &PgWireError) -> String {
    match error {
        PgWireError::UserError(info) => info.message.clone(),
        other => other.to_string(),
    }
}

fn user(metadata: &std::collections::HashMap<String, String>) -> String {
    metadata.get(pgwire::api::METADATA_USER).cloned().unwrap_or_default()
}
