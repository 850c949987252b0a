//! The Parquet lake: what its tables are (`schema`), how rows are gathered
//! (`buffer`) and how a batch reaches disk all at once or not at all (`store`).

pub mod buffer;
pub mod journal;
pub mod known;
pub mod remote;
pub mod schema;
pub mod store;

pub use buffer::{TableBuffer, Value};
pub use known::KnownFiles;
pub use schema::{ColumnType, Table, TableDef};
pub use store::Lake;
