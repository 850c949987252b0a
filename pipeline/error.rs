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
    File { action: &'static str, path: PathBuf, source: std::io::Error },

    #[error("cannot {action} Parquet file {path}: {source}")]
    ParquetFile {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },

    #[error("{action} {url}: {source}")]
    ObjectStore {
        action: &'static str,
        url: String,
        #[source]
        source: Box<object_store::Error>,
    },
    #[error("another wmo-monitor run is using the lake (lock file {path}); try again when it has finished")]
    LakeLocked { path: PathBuf },

    #[error("the lake table {table} cannot take this row: {message} (this is a bug in wmo-monitor)")]
    RowShape { table: &'static str, message: String },

    #[error("{0}")]
    Invalid(String),

    /// A query or the query engine failed; the text says which and why.
    #[error("{0}")]
    Sql(String),

    /// The query engine's own error: its first line is the sentence for
    /// the user (the rest is DataFusion's backtrace of contexts).
    #[error("{}", first_line(&.0.to_string()))]
    DataFusion(#[from] datafusion::error::DataFusionError),

    #[error("{0}")]
    Arrow(#[from] arrow_schema::ArrowError),

    #[error("{0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    #[error("{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    /// What was being done when a cause failed: "computing kpi_wmo: <cause>".
    #[error("{what}: {source}")]
    Context {
        what: String,
        #[source]
        source: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// This error as the cause of a failed step: "{what}: {self}".
    pub fn within(self, what: impl Into<String>) -> Error {
        Error::Context { what: what.into(), source: Box::new(self) }
    }

    /// An I/O error with what we were doing and on which path.
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::File { action, path, source }
    }

    pub fn parquet(action: &'static str, path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> Error {
        let path = path.to_path_buf();
        move |source| Error::ParquetFile { action, path, source }
    }
}

/// The first line of an engine's message: DataFusion appends its contexts
/// and a backtrace on the lines after it.
pub fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

/// Says what was being done when a step failed, keeping the cause as the
/// error's source (`result.context("computing kpi_wmo")?`).
pub trait Context<T> {
    fn context(self, what: impl Into<String>) -> Result<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Context { what: what.into(), source: Box::new(e.into()) })
    }

    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Context { what: what(), source: Box::new(e.into()) })
    }
}
