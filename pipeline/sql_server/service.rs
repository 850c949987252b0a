//! A connection's statements on their way to datafusion-postgres, with one
//! correction: a catalogue name in a `'pg_class'::regclass` cast is looked
//! up in `pg_catalog`, as PostgreSQL does. datafusion-postgres looks for it in
//! the current schema only, finds nothing, and so pgjdbc's `getTables` and
//! DBeaver's table list, which join `pg_description` on
//! `classoid = 'pg_class'::regclass`, lost every table's comment.

use async_trait::async_trait;
use datafusion::sql::sqlparser::ast::{DataType, Expr, Value, ValueWithSpan, visit_expressions_mut};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion_postgres::{DfSessionService, Parser};
use futures::Sink;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;

use std::ops::ControlFlow;
use std::sync::Arc;

/// datafusion-postgres's session, behind the correction.
pub struct Service {
    inner: Arc<DfSessionService>,
    parser: Arc<Qualifying>,
}

impl Service {
    pub fn new(inner: DfSessionService) -> Service {
        let parser = Arc::new(Qualifying { inner: inner.query_parser() });
        Service { inner: Arc::new(inner), parser }
    }
}

/// The SQL with every unqualified catalogue name in a `::regclass` cast
/// qualified with `pg_catalog`; unchanged when there is none (or it does not
/// parse, which datafusion-postgres then reports).
pub fn qualify_catalogue_names(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.to_ascii_lowercase().contains("regclass") {
        return sql.into();
    }
    let Ok(mut statements) = SqlParser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return sql.into();
    };
    let mut changed = false;
    let _ = visit_expressions_mut(&mut statements, |expr| {
        if let Expr::Cast { data_type, expr: operand, .. } = expr
            && data_type_is_regclass(data_type)
            && let Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(name), .. }) = operand.as_mut()
            && name.starts_with("pg_")
            && !name.contains('.')
        {
            *name = format!("pg_catalog.{name}");
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    if !changed {
        return sql.into();
    }
    statements.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ").into()
}

fn data_type_is_regclass(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_ascii_lowercase();
    name == "regclass" || name == "pg_catalog.regclass"
}

#[async_trait]
impl SimpleQueryHandler for Service {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        SimpleQueryHandler::do_query(self.inner.as_ref(), client, &qualify_catalogue_names(query)).await
    }
}

type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;

#[async_trait]
impl ExtendedQueryHandler for Service {
    type Statement = Statement;
    type QueryParser = Qualifying;

    fn query_parser(&self) -> Arc<Qualifying> {
        self.parser.clone()
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<Statement>, max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        ExtendedQueryHandler::do_query(self.inner.as_ref(), client, portal, max_rows).await
    }
}

/// datafusion-postgres's parser of prepared statements, behind the correction.
pub struct Qualifying {
    inner: Arc<Parser>,
}

#[async_trait]
impl QueryParser for Qualifying {
    type Statement = Statement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        self.inner.parse_sql(client, &qualify_catalogue_names(sql), types).await
    }

    fn get_parameter_types(&self, statement: &Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(statement)
    }

    fn get_result_schema(&self, statement: &Statement, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(statement, format)
    }
}
