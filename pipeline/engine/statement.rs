//! One analyst's statement, the same way for every front end (the `sql`
//! command now, a Postgres endpoint later): parsed with its size and nesting
//! bounded, planned, checked to be read-only, and run within the session's
//! time limit. Errors become one sentence an analyst can act on.

use super::queries;
use crate::error::{Error, Result};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use std::future::Future;
use std::time::{Duration, Instant};

pub type Statement = datafusion::sql::parser::Statement;

/// The longest SQL text a front end takes at once.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;
/// How deeply expressions and subqueries may nest; a chain of N `OR`s nests N
/// deep. Planning and optimising recurse once per level.
pub const MAX_NESTING: usize = 200;
/// Parsing and measuring recurse once per level too, before the nesting is
/// known: a thread with this much stack (reserved, not used) takes any text
/// of [`MAX_STATEMENT_BYTES`].
const PARSE_STACK_BYTES: usize = 1 << 30;

/// Parses the text into statements, after checking its size and before any
/// planning its nesting, so that no statement can overflow the stack.
pub fn parse(text: &str) -> Result<Vec<Statement>> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(Error::Sql(format!(
            "refused: the SQL is {} KB, more than the {} KB a statement may have",
            text.len() / 1024,
            MAX_STATEMENT_BYTES / 1024
        )));
    }
    let text = text.to_string();
    let parse = move || -> Result<Vec<Statement>> {
        let statements = DFParser::parse_sql(&text)
            .map_err(|e| Error::Sql(format!("the SQL does not parse: {}", queries::first_line(&e.to_string()))))?;
        for statement in &statements {
            let depth = nesting(statement);
            if depth > MAX_NESTING {
                return Err(Error::Sql(format!(
                    "refused: the statement nests expressions or subqueries more than {MAX_NESTING} deep (a long chain of OR or AND counts one level per term); use IN (...) or a join instead"
                )));
            }
        }
        Ok(statements.into_iter().collect())
    };
    // A refused deep statement is dropped on that thread too: dropping recurses.
    std::thread::Builder::new()
        .name("sql-parse".into())
        .stack_size(PARSE_STACK_BYTES)
        .spawn(parse)
        .map_err(|e| Error::Sql(format!("cannot start the SQL parser: {e}")))?
        .join()
        .map_err(|_| Error::Sql("the SQL parser stopped unexpectedly".into()))?
}

/// How deeply the expressions and queries of a statement nest.
fn nesting(statement: &Statement) -> usize {
    use datafusion::sql::sqlparser::ast::{Expr, Query, Visit, Visitor};
    use std::ops::ControlFlow;
    #[derive(Default)]
    struct Depth {
        current: usize,
        deepest: usize,
    }
    impl Depth {
        fn enter(&mut self) -> ControlFlow<()> {
            self.current += 1;
            self.deepest = self.deepest.max(self.current);
            // Past the limit the answer is known; measuring on would only recurse deeper.
            if self.current > MAX_NESTING { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        }
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.enter()
        }
        fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.current -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.enter()
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.current -= 1;
            ControlFlow::Continue(())
        }
    }
    let mut depth = Depth::default();
    match statement {
        Statement::Statement(inner) => {
            let _ = inner.visit(&mut depth);
        }
        Statement::Explain(explain) => return nesting(&explain.statement) + 1,
        // Anything else is refused by the read-only check.
        _ => {}
    }
    depth.deepest
}

/// What the analysts' session may do: read.
pub fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// Plans the statement, refuses anything but reading, and returns the frame
/// to run, unless planning used up the time limit that began at `started`.
pub async fn plan(
    ctx: &SessionContext,
    statement: Statement,
    started: Instant,
    timeout: Duration,
) -> Result<DataFrame> {
    let state = ctx.state();
    let plan = state.statement_to_plan(statement).await.map_err(explain)?;
    read_only().verify_plan(&plan).map_err(explain)?;
    let frame = ctx.execute_logical_plan(plan).await.map_err(explain)?;
    if started.elapsed() >= timeout {
        return Err(stopped(timeout));
    }
    Ok(frame)
}

/// Runs `work` (planning included) as a task of its own: planning may not
/// yield (an optimiser pass is plain CPU work), so the limit fires on another
/// thread, on time, and the task is aborted.
pub async fn within_limit<T, F>(timeout: Duration, work: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let task = tokio::spawn(work);
    let abort = task.abort_handle();
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(Error::Sql(format!("the statement stopped unexpectedly: {e}"))),
        Err(_) => {
            abort.abort();
            Err(stopped(timeout))
        }
    }
}

pub fn stopped(timeout: std::time::Duration) -> Error {
    Error::Sql(format!(
        "the statement was stopped after {} s (the limit is [query] timeout_seconds in the configuration)",
        timeout.as_secs()
    ))
}

/// One clear sentence for the analyst.
pub fn explain(e: DataFusionError) -> Error {
    let text = e.to_string();
    let first = queries::first_line(&text);
    if first.contains("not supported")
        && (first.contains("DDL") || first.contains("DML") || first.contains("Statement"))
    {
        return Error::Sql(
            "refused: the analysts' session is read-only, so CREATE, DROP, INSERT, UPDATE, DELETE, COPY and SET are not allowed"
                .into(),
        );
    }
    if let Some(name) = missing_table(first) {
        if name.contains('/') || name.contains('.') || name.contains(':') {
            return Error::Sql(format!(
                "refused: the analysts' session reads the lake's tables only, not files or URLs such as '{name}' (list the tables with \\d or `wmo-monitor tables`)"
            ));
        }
        return Error::Sql(format!(
            "there is no table '{name}' (list the tables with \\d or `wmo-monitor tables`; kpi tables appear after `wmo-monitor compute`)"
        ));
    }
    if let DataFusionError::ResourcesExhausted(_) = e.find_root() {
        return Error::Sql(format!(
            "the query needs more memory than the session may use ([query] memory_megabytes): {first}"
        ));
    }
    Error::Sql(format!("the query failed: {first}"))
}

fn missing_table(message: &str) -> Option<&str> {
    let rest = &message[message.find("table '")? + "table '".len()..];
    let name = &rest[..rest.find("' not found")?];
    let qualifier = format!("{}.public.", super::session::CATALOG);
    Some(name.rsplit_once(qualifier.as_str()).map_or(name, |(_, n)| n))
}
