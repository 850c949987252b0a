//! The SQL of `queries/`: one view per file, named after the file. `staging/`
//! cleans the raw tables, `marts/` defines the `kpi_*` tables. The files are
//! embedded in the binary (the default) or read from a folder named in the
//! configuration, so an analyst can change a definition without a rebuild.
//!
//! A file's leading `--` comment is its documentation: the first sentence is
//! the view's one-line description and lines `-- * column: description`
//! describe its columns (the catalogue and `wmo-monitor tables` show them).
//! Lines starting `-- @` tell the engine how to keep the view, so that adding
//! a mart is adding a file:
//! - `-- @partition: periode` (or `jaar`): a kpi table `compute` keeps, one
//!   Parquet file per value of that column;
//! - `-- @stored-during-compute`: a staging view several files read, which
//!   `compute` writes once (the columns they use) instead of recomputing it.
//!
//! The order views are created in follows the tables each file reads.

use super::usage;
pub use crate::error::first_line;
use crate::error::{Error, Result};
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const PARTITION: &str = "partition";
const STORED: &str = "stored-during-compute";
/// The partition columns `catalog` knows the type of.
pub const PARTITION_KEYS: &[&str] = &["periode", "jaar"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Staging,
    Marts,
    /// `queries/signals/`: one view per kind of signal, read by `signals`.
    Signals,
}

impl Layer {
    pub fn folder(self) -> &'static str {
        match self {
            Layer::Staging => "staging",
            Layer::Marts => "marts",
            Layer::Signals => "signals",
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueryFile {
    pub layer: Layer,
    pub name: String,
    pub sql: String,
    /// Where it came from, for messages: `queries/staging/x.sql` or a path.
    pub origin: String,
}

#[derive(Debug, Clone, Default)]
pub enum QuerySource {
    /// The copies built into the binary.
    #[default]
    Embedded,
    /// A folder with `staging/` and `marts/`, such as a checkout's `queries/`.
    Folder(PathBuf),
}

// `EMBEDDED_QUERIES`, written by build.rs from the files of `queries/`.
include!(concat!(env!("OUT_DIR"), "/embedded_queries.rs"));

/// Every file of `queries/`, built in: (layer, view name, SQL).
pub const EMBEDDED: &[(Layer, &str, &str)] = EMBEDDED_QUERIES;

impl QuerySource {
    /// Where the deployment's SQL comes from: the configured folder, or the embedded copies.
    pub fn of(config: &crate::config::Config) -> Self {
        match &config.paths.queries {
            Some(folder) => QuerySource::Folder(folder.clone()),
            None => QuerySource::Embedded,
        }
    }

    pub fn load(&self) -> Result<Vec<QueryFile>> {
        match self {
            QuerySource::Embedded => EMBEDDED
                .iter()
                .map(|(layer, name, sql)| {
                    let file = QueryFile {
                        layer: *layer,
                        name: (*name).to_string(),
                        sql: (*sql).to_string(),
                        origin: format!("queries/{}/{name}.sql (embedded)", layer.folder()),
                    };
                    file.check_directives().map(|()| file)
                })
                .collect(),
            QuerySource::Folder(root) => {
                let mut files = Vec::new();
                for layer in [Layer::Staging, Layer::Marts] {
                    files.extend(read_folder(&root.join(layer.folder()), layer)?);
                }
                // A copy of queries/ from before the signals has no such folder.
                let signals = root.join(Layer::Signals.folder());
                if signals.is_dir() {
                    files.extend(read_folder(&signals, Layer::Signals)?);
                }
                Ok(files)
            }
        }
    }
}

fn read_folder(dir: &Path, layer: Layer) -> Result<Vec<QueryFile>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(Error::io("cannot read the queries folder", dir))?;
    for entry in entries {
        let path = entry.map_err(Error::io("cannot read the queries folder", dir))?.path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).filter(|_| path.extension() == Some("sql".as_ref()))
        else {
            continue;
        };
        let sql = std::fs::read_to_string(&path).map_err(Error::io("cannot read", &path))?;
        let file = QueryFile { layer, name: name.to_string(), sql, origin: path.display().to_string() };
        file.check_directives()?;
        files.push(file);
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

impl QueryFile {
    /// The first sentence of the leading comment.
    pub fn description(&self) -> String {
        let header: Vec<&str> = self.header_lines().take_while(|l| !l.is_empty() && !l.starts_with("* ")).collect();
        let text = header.join(" ");
        match text.find(". ") {
            Some(end) => text[..=end].trim().to_string(),
            None => text.trim().to_string(),
        }
    }

    /// `(column, description)` from the `-- * column: description` lines.
    pub fn column_docs(&self) -> Vec<(String, String)> {
        self.header_lines()
            .filter_map(|l| l.strip_prefix("* "))
            .filter_map(|l| l.split_once(": "))
            .map(|(name, doc)| (name.trim().to_string(), doc.trim().to_string()))
            .collect()
    }

    /// The header's documentation lines (directives left out).
    fn header_lines(&self) -> impl Iterator<Item = &str> {
        self.header().filter(|l| !l.starts_with('@'))
    }

    fn header(&self) -> impl Iterator<Item = &str> {
        self.sql
            .lines()
            .map_while(|l| l.trim_start().strip_prefix("--"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
    }

    fn directives(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header().filter_map(|l| l.strip_prefix('@')).map(|d| match d.split_once(':') {
            Some((name, value)) => (name.trim(), value.trim()),
            None => (d.trim(), ""),
        })
    }

    /// The column a kept kpi table is partitioned by (`-- @partition: periode`);
    /// `None` for a view computed when it is read.
    pub fn partition(&self) -> Option<&str> {
        self.directives().find(|(name, _)| *name == PARTITION).map(|(_, value)| value)
    }

    /// Whether `compute` writes this staging view once for its readers.
    pub fn stored_during_compute(&self) -> bool {
        self.directives().any(|(name, _)| name == STORED)
    }

    /// Refuses a directive the engine does not know, or one in the wrong layer.
    fn check_directives(&self) -> Result<()> {
        for (name, value) in self.directives() {
            let problem = match (name, self.layer) {
                (PARTITION, Layer::Marts) if PARTITION_KEYS.contains(&value) => continue,
                (PARTITION, Layer::Marts) => {
                    format!(
                        "`@partition: {value}` names no partition column this engine keeps ({})",
                        PARTITION_KEYS.join(", ")
                    )
                }
                (STORED, Layer::Staging) if value.is_empty() => continue,
                (PARTITION, Layer::Staging) => "`@partition` belongs in a mart (queries/marts)".to_string(),
                (STORED, _) => "`@stored-during-compute` belongs in a staging view, without a value".to_string(),
                _ => format!("`@{name}` is no directive (known: @{PARTITION}, @{STORED})"),
            };
            return Err(Error::Sql(format!("the header of {} is not valid: {problem}", self.origin)));
        }
        Ok(())
    }

    /// The names of the tables and views the SQL reads (lower case), without
    /// the names of its own common table expressions.
    pub fn references(&self) -> Result<BTreeSet<String>> {
        use datafusion::sql::sqlparser::ast::{Query, Visit, Visitor, visit_relations};
        use datafusion::sql::sqlparser::dialect::GenericDialect;
        use datafusion::sql::sqlparser::parser::Parser;
        use std::ops::ControlFlow;
        struct CommonTables(BTreeSet<String>);
        impl Visitor for CommonTables {
            type Break = ();
            fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
                if let Some(with) = &query.with {
                    self.0.extend(with.cte_tables.iter().map(|cte| cte.alias.name.value.to_lowercase()));
                }
                ControlFlow::Continue(())
            }
        }
        let statements = Parser::parse_sql(&GenericDialect {}, &self.sql).map_err(|e| {
            Error::Sql(format!("the query in {} does not parse: {}", self.origin, first_line(&e.to_string())))
        })?;
        let mut names = BTreeSet::new();
        let _ = visit_relations(&statements, |relation| {
            if let Some(last) = relation.0.last().and_then(|part| part.as_ident()) {
                names.insert(last.value.to_lowercase());
            }
            ControlFlow::<()>::Continue(())
        });
        let mut common = CommonTables(BTreeSet::new());
        let _ = statements.visit(&mut common);
        Ok(names.difference(&common.0).cloned().collect())
    }
}

/// Creates every view of `files`, each after the views it reads.
pub async fn register(ctx: &SessionContext, files: &[QueryFile]) -> Result<()> {
    create_in_order(ctx, files).await.map(|_| ())
}

/// Registers the views as [`register`] does, then stores in `scratch` every
/// staging view marked `@stored-during-compute`, with only the columns its
/// readers use (see [`usage`]), and recreates the views after it so they read
/// those rows instead of recomputing them: `compute` runs every mart over the
/// same staging rows, with memory bounded by the pool rather than the data.
/// `also_read` is SQL the caller runs on the views afterwards.
pub async fn register_materialising(
    ctx: &SessionContext,
    files: &[QueryFile],
    also_read: &[&str],
    scratch: &Path,
) -> Result<()> {
    let order = create_in_order(ctx, files).await?;
    for file in order {
        let fail = |e: datafusion::error::DataFusionError| {
            Error::from(e).within(format!("the query in {} failed", file.origin))
        };
        // Again, now that the views it reads may be stored rows.
        ctx.sql(&format!("create or replace view {} as {}", file.name, file.sql)).await.map_err(fail)?;
        if file.stored_during_compute() {
            let others: Vec<&str> = files
                .iter()
                .filter(|other| other.name != file.name)
                .map(|other| other.sql.as_str())
                .chain(also_read.iter().copied())
                .collect();
            let kept = usage::columns_read(ctx, &file.name, &others).await.map_err(fail)?;
            materialise(ctx, file, &kept, scratch).await.map_err(fail)?;
        }
    }
    Ok(())
}

/// The files in an order where each comes after the files it reads; files
/// that do not depend on each other keep their order. A circle is an error
/// that names its files.
pub fn in_order(files: &[QueryFile]) -> Result<Vec<&QueryFile>> {
    let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut waiting: Vec<(&QueryFile, BTreeSet<String>)> = Vec::new();
    for file in files {
        let mut reads = file.references()?;
        reads.retain(|name| names.contains(name.as_str()) && *name != file.name);
        waiting.push((file, reads));
    }
    let mut order: Vec<&QueryFile> = Vec::new();
    while !waiting.is_empty() {
        let ready = waiting.iter().position(|(_, reads)| reads.iter().all(|r| order.iter().any(|f| f.name == *r)));
        match ready {
            Some(index) => order.push(waiting.remove(index).0),
            None => {
                let circle: Vec<&str> = waiting.iter().map(|(f, _)| f.origin.as_str()).collect();
                return Err(Error::Sql(format!(
                    "these query files read each other in a circle: {}",
                    circle.join(", ")
                )));
            }
        }
    }
    Ok(order)
}

/// The files compute needs: every staging view, every kept mart, and the
/// marts a kept one reads (directly or through others).
pub fn needed_for_kept(files: Vec<QueryFile>) -> Result<Vec<QueryFile>> {
    let mut needed: BTreeSet<String> =
        files.iter().filter(|f| f.layer == Layer::Staging || f.partition().is_some()).map(|f| f.name.clone()).collect();
    loop {
        let mut more = BTreeSet::new();
        for file in files.iter().filter(|f| needed.contains(&f.name)) {
            more.extend(file.references()?.into_iter().filter(|r| !needed.contains(r)));
        }
        more.retain(|name| files.iter().any(|f| f.name == *name));
        if more.is_empty() {
            break;
        }
        needed.extend(more);
    }
    Ok(files.into_iter().filter(|f| needed.contains(&f.name)).collect())
}

/// Creates the views, each after the views it reads.
async fn create_in_order<'a>(ctx: &SessionContext, files: &'a [QueryFile]) -> Result<Vec<&'a QueryFile>> {
    let order = in_order(files)?;
    for file in &order {
        ctx.sql(&format!("create view {} as {}", file.name, file.sql))
            .await
            .map_err(|e| Error::from(e).within(format!("the query in {} does not plan", file.origin)))?;
    }
    Ok(order)
}

async fn materialise(
    ctx: &SessionContext,
    file: &QueryFile,
    kept: &[String],
    scratch: &Path,
) -> datafusion::error::Result<()> {
    let started = std::time::Instant::now();
    let path = scratch.join(format!("{}.parquet", file.name));
    let path_text = path.to_string_lossy().into_owned();
    // Scratch lives for one run and is read back once or twice: compressing it
    // costs more time than the disk it saves.
    let mut options = TableParquetOptions::default();
    options.global.compression = Some("uncompressed".to_owned());
    let kept: Vec<&str> = kept.iter().map(String::as_str).collect();
    ctx.table(file.name.as_str())
        .await?
        .select_columns(&kept)?
        .write_parquet(&path_text, DataFrameWriteOptions::new().with_single_file_output(true), Some(options))
        .await?;
    ctx.deregister_table(file.name.as_str())?;
    ctx.register_parquet(file.name.as_str(), &path_text, ParquetReadOptions::default()).await?;
    tracing::debug!(view = %file.name, columns = kept.len(), seconds = started.elapsed().as_secs_f64(), "staging view written");
    Ok(())
}
