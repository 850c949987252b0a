//! The files of `reports/`: templates (minijinja), their style sheet and the
//! figure catalogue. Built into the binary as the default, or read from a
//! folder named in the configuration, so a report author changes a report
//! without a rebuild.

use crate::error::{Error, Result};
use std::path::PathBuf;

// `EMBEDDED_REPORTS`, written by build.rs from the files of `reports/`.
include!(concat!(env!("OUT_DIR"), "/embedded_reports.rs"));

/// Every file of `reports/`, built in: (file name, text).
pub const EMBEDDED: &[(&str, &str)] = EMBEDDED_REPORTS;

#[derive(Debug, Clone, Default)]
pub enum ReportSource {
    /// The copies built into the binary.
    #[default]
    Embedded,
    /// A folder with the same files, such as a checkout's `reports/`.
    Folder(PathBuf),
}

impl ReportSource {
    /// Where the deployment's templates come from: the configured folder, or the embedded copies.
    pub fn of(config: &crate::config::Config) -> Self {
        match &config.paths.reports {
            Some(folder) => ReportSource::Folder(folder.clone()),
            None => ReportSource::Embedded,
        }
    }

    /// The text of one file, or `None` when there is no such file.
    pub fn read(&self, name: &str) -> Result<Option<String>> {
        match self {
            ReportSource::Embedded => Ok(EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, text)| text.to_string())),
            ReportSource::Folder(folder) => {
                let path = folder.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io("cannot read the report file", &path)(e)),
                }
            }
        }
    }

    pub fn require(&self, name: &str) -> Result<String> {
        self.read(name)?
            .ok_or_else(|| Error::Invalid(format!("the report file {name} is missing from {}", self.origin())))
    }

    pub fn origin(&self) -> String {
        match self {
            ReportSource::Embedded => "the built-in reports".into(),
            ReportSource::Folder(folder) => folder.display().to_string(),
        }
    }
}
