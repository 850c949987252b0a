//! `wmo-monitor`: batch reporting and monitoring for the Wmo home support of
//! Dutch municipalities. Each stage lives in its own folder under `pipeline/`:
//! `ingest` turns inbox files into the Parquet `lake`, `demo` writes a
//! realistic inbox for Zwolle.

pub mod config;
pub mod demo;
pub mod error;
pub mod ingest;
pub mod lake;
pub mod privacy;
pub mod progress;

pub use config::Config;
pub use error::{Error, Result};
