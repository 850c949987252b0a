//! The query engine every stage stands on: DataFusion over the lake.
//! `session` builds a context with bounded memory and the project's
//! functions, `catalog` registers the lake's tables and the kpi tables
//! compute kept, `queries` loads the SQL of `queries/` and creates its views
//! (`usage` decides which staging views compute stores; `lazy` plans them when
//! first read in an analyst's session), `rows` reads a
//! query's answer as rows, `statement` runs an analyst's statement read-only
//! and within limits, and `describe` lists what can be queried. The analysts'
//! `sql` command (`crate::analyst`) is one front end on it.

pub mod bounded;
pub mod catalog;
pub mod describe;
pub mod drempels;
pub mod functions;
pub mod lazy;
pub mod queries;
pub mod rows;
pub mod session;
pub mod statement;
pub mod usage;

pub use queries::{Layer, QueryFile, QuerySource};
pub use session::Limits;

use crate::config::Config;
use crate::error::Result;
use crate::lake::Lake;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;

/// A session over the lake, as analysts and the reports see it: every committed lake table, the
/// staging views and the kpi tables that `compute` materialised. Views and the peildatum are
/// planned when a statement first reads them (see `lazy`), so a query of a kept kpi table
/// starts at once.
pub async fn open(config: &Config, as_of: Option<NaiveDate>, limits: &Limits) -> Result<SessionContext> {
    let ctx = session::context(limits)?;
    let views = lazy::LazyViews::install(&ctx)?;
    let lake = Lake::of(config)?;
    catalog::register_lake(&ctx, &lake).await?;
    match as_of {
        Some(date) => catalog::register_peildatum(&ctx, Some(date))?,
        None => {
            ctx.register_table("peildatum", std::sync::Arc::new(lazy::LatestPeildatum::new()))
                .map_err(|e| crate::error::Error::Sql(e.to_string()))?;
        }
    }
    let source = QuerySource::of(config);
    drempels::Drempels::load(&source)?.register(&ctx)?;
    let files = source.load()?;
    // A circle of views is refused here, not at the first statement.
    queries::in_order(&files)?;
    let (staging, marts): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| f.layer == Layer::Staging);
    for view in &staging {
        views.add(view);
    }
    catalog::register_materialised_tables(&ctx, &lake, &marts).await?;
    // A mart compute does not keep is a view, computed when it is read; one
    // over kept tables that were not computed yet is left out until they are.
    let marts: Vec<_> = marts.into_iter().filter(|f| f.partition().is_none()).collect();
    for view in queries::in_order(&marts)? {
        let mut readable = true;
        for name in view.references()? {
            readable &= ctx.table_exist(name.as_str()).unwrap_or(false);
        }
        if readable {
            views.add(view);
        }
    }
    Ok(ctx)
}
