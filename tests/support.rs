//! A small deployment in a temporary folder, and ways to look at its lake.

use arrow_cast::display::{ArrayFormatter, FormatOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wmo_monitor::Config;
use wmo_monitor::ingest::{self, IngestOptions, IngestSummary};
use wmo_monitor::lake::Table;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
pub const TEST_KEY: &str = "test-key-0123456789abcdef";

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(path)).expect("fixture exists")
}

pub fn fixture_text(path: &str) -> String {
    String::from_utf8(fixture(path)).expect("fixture is UTF-8")
}

/// A row as column name -> displayed value (`None` for null).
pub type Row = BTreeMap<String, Option<String>>;

pub struct Deployment {
    /// The deployment's folder, removed with it.
    dir: tempfile::TempDir,
    pub config: Config,
}

impl Deployment {
    pub fn new() -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("test.key"), TEST_KEY).expect("key");
        let toml = "gemeente = \"0193\"\npseudonym_key_file = \"test.key\"\n[paths]\ninbox = \"inbox\"\nreference = \"reference\"\ndata = \"data\"\nout = \"out\"\narchive = \"archive\"\n";
        let config_path = dir.path().join("wmo-monitor.toml");
        std::fs::write(&config_path, toml).expect("config");
        let config = Config::load(Some(&config_path)).expect("config loads");
        Deployment { dir, config }
    }

    /// The deployment's configuration file, for the binary's `--config`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("wmo-monitor.toml")
    }

    pub fn inbox(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.config.paths.inbox.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("inbox");
        std::fs::write(&path, content).expect("write inbox file");
        path
    }

    pub fn reference(&self, name: &str, content: impl AsRef<[u8]>) {
        std::fs::create_dir_all(&self.config.paths.reference).expect("reference");
        std::fs::write(self.config.paths.reference.join(name), content).expect("write reference file");
    }

    /// Every fixture of `tests/fixtures/{inbox,reference}`.
    pub fn with_all_fixtures(self) -> Deployment {
        for folder in ["inbox", "reference"] {
            for entry in std::fs::read_dir(Path::new(FIXTURES).join(folder)).expect("fixtures") {
                let entry = entry.expect("entry");
                let name = entry.file_name().to_string_lossy().into_owned();
                let content = std::fs::read(entry.path()).expect("read");
                if folder == "inbox" {
                    self.inbox(&name, content);
                } else {
                    self.reference(&name, content);
                }
            }
        }
        self
    }

    pub fn ingest(&self) -> IngestSummary {
        ingest::ingest(&self.config, &IngestOptions::default()).expect("ingest succeeds")
    }

    /// Ingest with `checkpoints` looking in, as a crash or a provider would.
    pub fn try_ingest(&self, checkpoints: &mut dyn ingest::Checkpoints) -> wmo_monitor::Result<IngestSummary> {
        ingest::ingest_observed(&self.config, &IngestOptions::default(), checkpoints)
    }

    /// Every row of a lake table, in part order.
    pub fn table(&self, table: Table) -> Vec<Row> {
        read_table(&self.config.paths.lake().join(table.name()))
    }
}

pub fn value(row: &Row, column: &str) -> String {
    row.get(column).unwrap_or_else(|| panic!("no column {column}")).clone().unwrap_or_default()
}

pub fn read_table(dir: &Path) -> Vec<Row> {
    let mut parts: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.expect("entry").path()).collect(),
        Err(_) => return Vec::new(),
    };
    parts.sort();
    let mut rows = Vec::new();
    for part in parts {
        for batch in wmo_monitor::lake::store::read_parquet(&part).expect("part reads") {
            let schema = batch.schema();
            let options = FormatOptions::default();
            let formatters: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter"))
                .collect();
            for i in 0..batch.num_rows() {
                let mut row = Row::new();
                for (c, field) in schema.fields().iter().enumerate() {
                    let cell = if batch.column(c).is_null(i) { None } else { Some(formatters[c].value(i).to_string()) };
                    row.insert(field.name().clone(), cell);
                }
                rows.push(row);
            }
        }
    }
    rows
}

/// Rows without the columns that differ between two runs by nature.
pub fn stable(rows: Vec<Row>) -> Vec<Row> {
    rows.into_iter()
        .map(|mut r| {
            r.remove("tijdstip");
            r
        })
        .collect()
}
