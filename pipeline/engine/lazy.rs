//! What a session over the lake plans only when a statement reads it: the
//! views of `queries/` and the peildatum. A one-period kpi query reads a kept
//! table; planning the 27 views and finding the latest Dagtekening (a scan of
//! every declaration line) before it cost more than the query itself.
//!
//! [`LazyViews`] is the default schema: its tables are registered as usual,
//! and a view is planned from its SQL the first time it is looked up (by a
//! statement, another view or the catalogue) and kept from then on.
//! [`LatestPeildatum`] is the one-row `peildatum` table that finds its date
//! on the first scan.

use super::queries::QueryFile;
use async_trait::async_trait;
use chrono::NaiveDate;
use datafusion::arrow::array::{Date32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, SchemaRef};
use datafusion::catalog::{
    CatalogProviderList, MemoryCatalogProviderList, MemorySchemaProvider, SchemaProvider, Session, TableProvider,
};
use datafusion::common::config::ConfigOptions;
use datafusion::datasource::{MemTable, TableType, ViewTable};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::Expr;
use datafusion::optimizer::Analyzer;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::OnceCell;

/// A schema whose views are planned when first read.
pub struct LazyViews {
    tables: MemorySchemaProvider,
    views: Mutex<BTreeMap<String, PendingView>>,
    /// The session's settings and functions, without its catalogs: holding
    /// them would make a circle (they hold this schema).
    planner: SessionState,
    /// The catalogs, while any session over them lives: the endpoint's
    /// connections keep theirs after the session they came from was replaced.
    catalogs: Weak<dyn CatalogProviderList>,
}

impl std::fmt::Debug for LazyViews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyViews").field("tables", &self.tables.table_names()).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct PendingView {
    file: Arc<QueryFile>,
    /// Planned once, also when several statements ask at the same time.
    planned: Arc<OnceCell<Arc<dyn TableProvider>>>,
}

impl LazyViews {
    /// Makes it the session's default schema (`public`); call it once the
    /// session's settings and functions are in place, before registering
    /// anything in `public`.
    pub fn install(ctx: &SessionContext) -> crate::error::Result<Arc<LazyViews>> {
        let state = ctx.state();
        let catalogs = Arc::downgrade(state.catalog_list());
        let planner = SessionStateBuilder::new_from_existing(state)
            .with_catalog_list(Arc::new(MemoryCatalogProviderList::new()))
            .build();
        let schema = Arc::new(LazyViews {
            tables: MemorySchemaProvider::new(),
            views: Mutex::new(BTreeMap::new()),
            planner,
            catalogs,
        });
        let catalog = ctx
            .catalog(super::session::CATALOG)
            .ok_or_else(|| crate::error::Error::Sql("the query engine has no default catalog".into()))?;
        catalog
            .register_schema("public", schema.clone())
            .map_err(|e| crate::error::Error::Sql(format!("cannot set up the default schema: {e}")))?;
        Ok(schema)
    }

    /// A view of `queries/`, planned when a statement first reads it.
    pub fn add(&self, file: &QueryFile) {
        let pending = PendingView { file: Arc::new(file.clone()), planned: Arc::new(OnceCell::new()) };
        self.pending().insert(file.name.to_lowercase(), pending);
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PendingView>> {
        // A panic while the map was held cannot leave it half changed: each
        // change is one insert.
        self.views.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn plan(&self, view: &PendingView) -> Result<Arc<dyn TableProvider>> {
        let catalogs = self
            .catalogs
            .upgrade()
            .ok_or_else(|| DataFusionError::Internal("the sessions over this lake have ended".into()))?;
        let state = SessionStateBuilder::new_from_existing(self.planner.clone()).with_catalog_list(catalogs).build();
        let file = &view.file;
        let fail = |e: DataFusionError| {
            DataFusionError::Plan(format!(
                "the query in {} does not plan: {}",
                file.origin,
                super::queries::first_line(&e.to_string())
            ))
        };
        let plan = state.create_logical_plan(&file.sql).await.map_err(fail)?;
        // As DataFusion's own CREATE VIEW does.
        let plan = Analyzer::with_rules(vec![Arc::new(TypeCoercion::new())])
            .execute_and_check(plan, &ConfigOptions::default(), |_, _| {})
            .map_err(fail)?;
        Ok(Arc::new(ViewTable::new(plan, Some(file.sql.clone()))))
    }
}

#[async_trait]
impl SchemaProvider for LazyViews {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.tables.table_names();
        names.extend(self.pending().keys().cloned());
        names.sort();
        names.dedup();
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let view = self.pending().get(name).cloned();
        match view {
            Some(view) => view.planned.get_or_try_init(|| self.plan(&view)).await.map(|t| Some(t.clone())),
            None => self.tables.table(name).await,
        }
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        if self.pending().contains_key(name) {
            return Ok(Some(TableType::View));
        }
        self.tables.table_type(name).await
    }

    fn register_table(&self, name: String, table: Arc<dyn TableProvider>) -> Result<Option<Arc<dyn TableProvider>>> {
        self.pending().remove(&name);
        self.tables.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let view = self.pending().remove(name);
        match (self.tables.deregister_table(name)?, view) {
            (Some(table), _) => Ok(Some(table)),
            (None, Some(view)) => Ok(view.planned.get().cloned()),
            (None, None) => Ok(None),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.pending().contains_key(name) || self.tables.table_exist(name)
    }
}

/// The one-row table `peildatum` as of the lake's latest Dagtekening, found
/// when a statement first reads it.
#[derive(Debug)]
pub struct LatestPeildatum {
    found: OnceCell<Option<NaiveDate>>,
}

impl LatestPeildatum {
    pub fn new() -> Self {
        LatestPeildatum { found: OnceCell::new() }
    }
}

impl Default for LatestPeildatum {
    fn default() -> Self {
        Self::new()
    }
}

/// The table `peildatum` holding one date (or none, for an empty lake).
pub fn peildatum_table(peildatum: Option<NaiveDate>) -> Result<MemTable> {
    let schema = peildatum_schema();
    let days = peildatum.map(Date32Type::from_naive_date);
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Date32Array::from(vec![days]))])?;
    MemTable::try_new(schema, vec![vec![batch]])
}

fn peildatum_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("peildatum", DataType::Date32, true)]))
}

#[async_trait]
impl TableProvider for LatestPeildatum {
    fn schema(&self) -> SchemaRef {
        peildatum_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let peildatum = self
            .found
            .get_or_try_init(|| async {
                let state = state
                    .as_any()
                    .downcast_ref::<SessionState>()
                    .ok_or_else(|| DataFusionError::Internal("the peildatum needs a DataFusion session".into()))?;
                let ctx = SessionContext::new_with_state(state.clone());
                super::catalog::latest_dagtekening(&ctx).await.map_err(|e| DataFusionError::External(Box::new(e)))
            })
            .await?;
        peildatum_table(*peildatum)?.scan(state, projection, filters, limit).await
    }
}
