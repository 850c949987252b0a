//! `wmo-monitor`: batch reporting and monitoring for the Wmo home support of
//! Dutch municipalities. Each stage lives in its own folder under `pipeline/`:
//! `ingest` turns inbox files into the Parquet `lake`, `demo` writes a
//! realistic inbox for Zwolle.

pub mod analyst;
pub mod compute;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod dutch;
pub mod engine;
pub mod error;
pub mod gemeenten;
pub mod html;
pub mod ingest;
pub mod lake;
pub mod periode;
pub mod privacy;
pub mod progress;
pub mod publish;
pub mod schedule;
pub mod signals;
pub mod sql_server;

pub use config::Config;
pub use error::{Error, Result};
