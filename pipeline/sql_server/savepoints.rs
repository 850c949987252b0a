//! Savepoints, which the ODBC driver (psqlODBC, Excel's way in) sets around
//! every statement in a transaction so that one failed statement does not end
//! the rest. On a read-only lake there is nothing to undo: SAVEPOINT and
//! RELEASE are answered as done, and ROLLBACK TO a savepoint leaves a failed
//! transaction usable again, as PostgreSQL does. Its `DEALLOCATE` of a
//! statement it prepared is answered as done too: a connection's prepared
//! statements end with it.

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::hooks::{HookClient, QueryHook};
use pgwire::api::ClientInfo;
use pgwire::api::results::{Response, Tag};
use pgwire::error::PgWireResult;
use std::sync::Arc;

pub struct Savepoints;

fn answer(statement: &Statement) -> Option<Response> {
    match statement {
        Statement::Savepoint { .. } => Some(Response::Execution(Tag::new("SAVEPOINT"))),
        Statement::ReleaseSavepoint { .. } => Some(Response::Execution(Tag::new("RELEASE"))),
        Statement::Deallocate { .. } => Some(Response::Execution(Tag::new("DEALLOCATE"))),
        // Back inside the transaction, out of its failed state.
        Statement::Rollback { savepoint: Some(_), .. } => Some(Response::TransactionStart(Tag::new("ROLLBACK"))),
        _ => None,
    }
}

#[async_trait]
impl QueryHook for Savepoints {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        answer(statement).map(Ok)
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        // Nothing to plan: answered when executed.
        answer(statement).map(|_| {
            Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(datafusion::common::DFSchema::empty()),
            }))
        })
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        answer(statement).map(Ok)
    }
}
