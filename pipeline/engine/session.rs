//! A DataFusion context with bounded memory: operators that can spill (sorts,
//! aggregations) go to disk in the system's temporary folder when the pool is
//! full; the rest fail with a clear "resources exhausted" instead of taking the
//! machine down. The pool is first come, first served: a fair pool splits the
//! limit over every operator of a plan, and the marts' plans have over a
//! hundred, so each would get a sliver while most of the pool stays unused.

use crate::error::{Context, Result};
use datafusion::execution::memory_pool::{GreedyMemoryPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

/// The one catalog, named as analysts connect to it (`dbname=wmo`); its
/// schemas are `public` (tables and views) and `opslag` (the kpi tables kept).
pub const CATALOG: &str = "wmo";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub memory_bytes: usize,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_bytes: 2 << 30, timeout: Duration::from_secs(300) }
    }
}

impl Limits {
    /// The limits of the configuration's `[query]` table.
    pub fn of(config: &crate::config::Config) -> Self {
        Limits { memory_bytes: config.query_memory_bytes, timeout: config.query_timeout }
    }
}

pub fn context(limits: &Limits) -> Result<SessionContext> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(TrackConsumersPool::new(
            GreedyMemoryPool::new(limits.memory_bytes),
            NonZeroUsize::new(3).unwrap_or(NonZeroUsize::MIN),
        )))
        .build_arc()
        .context("cannot set up the query engine")?;
    let config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, "public")
        .with_information_schema(true)
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        // Filters run after the Parquet decoder (DataFusion's default): the peildatum
        // and debit filters keep nearly every row, so decoding them inside the reader
        // made `compute --all` at national scale 10% slower (BENCHMARKS.md).
        .set_bool("datafusion.execution.parquet.pushdown_filters", false);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    super::functions::register(&ctx);
    Ok(ctx)
}

/// The tokio runtime DataFusion runs on: one worker per core.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the query runtime")
}
