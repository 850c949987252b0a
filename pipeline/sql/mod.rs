//! DataFusion over the lake: one session setup shared by `compute` and the
//! analysts' `sql` command. `catalog` registers the lake's tables, `queries`
//! loads the SQL of `queries/` and registers its views, `session` builds a
//! context with bounded memory, `analyst` is the read-only `sql` command and
//! `output` writes results as a table, CSV, JSON or Parquet.

pub mod analyst;
pub mod bounded;
pub mod catalog;
pub mod describe;
pub mod functions;
pub mod output;
pub mod queries;
pub mod session;
pub mod usage;

pub use queries::{Layer, QueryFile, QuerySource};
pub use session::Limits;
