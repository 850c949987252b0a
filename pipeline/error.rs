//! The errors a run can end with. Each one reads as one clear sentence for the
//! user and names the file or setting it is about.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the configuration file {path}: {source}")]
    ConfigRead { path: PathBuf, source: std::io::Error },

    #[error("the configuration file {path} is not valid: {message}")]
    ConfigInvalid { path: String, message: String },

    #[error(
        "no pseudonymisation key: set WMO_MONITOR_PSEUDONYM_KEY or name a key file with `pseudonym_key_file` in the configuration (`wmo-monitor demo` creates one in its data folder)"
    )]
    NoPseudonymKey,

    #[error("the pseudonymisation key {origin} is too short: it needs at least 16 characters")]
    PseudonymKeyTooShort { origin: String },

    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },

    #[error("cannot {action} Parquet file {path}: {message}")]
    Parquet { action: &'static str, path: PathBuf, message: String },

    #[error("another wmo-monitor run is using the lake (lock file {path}); try again when it has finished")]
    LakeLocked { path: PathBuf },

    #[error("the lake table {table} cannot take this row: {message} (this is a bug in wmo-monitor)")]
    RowShape { table: &'static str, message: String },

    #[error("ingest was stopped by its test hook after the first table write")]
    TestHookAbort,

    #[error("{0}")]
    Invalid(String),

    /// A query or the query engine failed; the text says which and why.
    #[error("{0}")]
    Sql(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with what we were doing and on which path.
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io { action, path, source }
    }

    pub fn parquet(action: &'static str, path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> Error {
        let path = path.to_path_buf();
        move |e| Error::Parquet { action, path, message: e.to_string() }
    }
}
