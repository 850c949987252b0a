//! The SQL of `queries/`: one view per file, named after the file. `staging/`
//! cleans the raw tables, `marts/` defines the `kpi_*` tables. The files are
//! embedded in the binary (the default) or read from a folder named in the
//! configuration, so an analyst can change a definition without a rebuild.
//!
//! A file's leading `--` comment is its documentation: the first sentence is
//! the view's one-line description and lines `-- * column: description`
//! describe its columns (the catalogue and `wmo-monitor tables` show them).

use crate::error::{Error, Result};
use crate::sql::usage::{self, Storage};
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Staging,
    Marts,
}

impl Layer {
    pub fn folder(self) -> &'static str {
        match self {
            Layer::Staging => "staging",
            Layer::Marts => "marts",
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

macro_rules! embedded {
    ($layer:ident, $folder:literal, $name:ident) => {
        (
            Layer::$layer,
            stringify!($name),
            include_str!(concat!("../../queries/", $folder, "/", stringify!($name), ".sql")),
        )
    };
}

/// Every file of `queries/`; a test checks this list against the folder.
pub const EMBEDDED: &[(Layer, &str, &str)] = &[
    embedded!(Staging, "staging", stg_aanbieder_clienten),
    embedded!(Staging, "staging", stg_aanbieders),
    embedded!(Staging, "staging", stg_begroting),
    embedded!(Staging, "staging", stg_declaratieregels),
    embedded!(Staging, "staging", stg_ervaringen),
    embedded!(Staging, "staging", stg_evaluaties),
    embedded!(Staging, "staging", stg_inwoners),
    embedded!(Staging, "staging", stg_maand_perioden),
    embedded!(Staging, "staging", stg_overgangen),
    embedded!(Staging, "staging", stg_perioden),
    embedded!(Staging, "staging", stg_producten),
    embedded!(Staging, "staging", stg_producttarieven),
    embedded!(Staging, "staging", stg_toewijzing_perioden),
    embedded!(Staging, "staging", stg_tellingen),
    embedded!(Staging, "staging", stg_toewijzingen),
    embedded!(Staging, "staging", stg_toewijzingen_zorg),
    embedded!(Staging, "staging", stg_traject_leden),
    embedded!(Staging, "staging", stg_trajecten),
    embedded!(Staging, "staging", stg_verwachte_kosten),
    embedded!(Staging, "staging", stg_wijken),
    embedded!(Staging, "staging", stg_zorgmeldingen),
    embedded!(Marts, "marts", kpi_aanbieder),
    embedded!(Marts, "marts", kpi_aanbieder_arrangement),
    embedded!(Marts, "marts", kpi_arrangement),
    embedded!(Marts, "marts", kpi_begroting),
    embedded!(Marts, "marts", kpi_ervaring),
    embedded!(Marts, "marts", kpi_stadsdeel),
    embedded!(Marts, "marts", kpi_uitstroomreden),
    embedded!(Marts, "marts", kpi_wmo),
];

impl QuerySource {
    pub fn load(&self) -> Result<Vec<QueryFile>> {
        match self {
            QuerySource::Embedded => Ok(EMBEDDED
                .iter()
                .map(|(layer, name, sql)| QueryFile {
                    layer: *layer,
                    name: (*name).to_string(),
                    sql: (*sql).to_string(),
                    origin: format!("queries/{}/{name}.sql (embedded)", layer.folder()),
                })
                .collect()),
            QuerySource::Folder(root) => {
                let mut files = Vec::new();
                for layer in [Layer::Staging, Layer::Marts] {
                    files.extend(read_folder(&root.join(layer.folder()), layer)?);
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
        files.push(QueryFile { layer, name: name.to_string(), sql, origin: path.display().to_string() });
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

    fn header_lines(&self) -> impl Iterator<Item = &str> {
        self.sql
            .lines()
            .map_while(|l| l.trim_start().strip_prefix("--"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
    }
}

/// Creates every view of `files`, each after the views it reads: a round
/// creates what it can and the rest waits for the next round. When a round
/// creates nothing, the first file that fails for its own reason is the answer.
pub async fn register(ctx: &SessionContext, files: &[QueryFile]) -> Result<()> {
    create_in_order(ctx, files).await.map(|_| ())
}

/// Registers the views as [`register`] does, then stores in `scratch` every
/// staging view that several places read, with only the columns they use, and
/// recreates the views after it so they read those rows instead of recomputing
/// them: `compute` runs every mart over the same staging rows, with memory
/// bounded by the pool rather than the data. A view read in one place stays a
/// view (see [`usage`]). `also_read` is SQL the caller runs on the views afterwards.
pub async fn register_materialising(
    ctx: &SessionContext,
    files: &[QueryFile],
    also_read: &[&str],
    scratch: &Path,
) -> Result<()> {
    let order = create_in_order(ctx, files).await?;
    for file in order {
        let fail = |e: datafusion::error::DataFusionError| {
            Error::Sql(format!("the query in {} failed: {}", file.origin, first_line(&e.to_string())))
        };
        // Again, now that the views it reads may be stored rows.
        ctx.sql(&format!("create or replace view {} as {}", file.name, file.sql)).await.map_err(fail)?;
        if file.layer == Layer::Staging {
            let others: Vec<&str> = files
                .iter()
                .filter(|other| other.name != file.name)
                .map(|other| other.sql.as_str())
                .chain(also_read.iter().copied())
                .collect();
            let storage = usage::storage(ctx, &file.name, &others).await.map_err(fail)?;
            if let Storage::Columns(kept) = storage {
                materialise(ctx, file, &kept, scratch).await.map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// Creates the views in rounds and returns the files in the order they were created.
async fn create_in_order<'a>(ctx: &SessionContext, files: &'a [QueryFile]) -> Result<Vec<&'a QueryFile>> {
    let mut order = Vec::new();
    let mut pending: Vec<&QueryFile> = files.iter().collect();
    while !pending.is_empty() {
        let mut waiting = Vec::new();
        for file in &pending {
            let statement = format!("create view {} as {}", file.name, file.sql);
            match ctx.sql(&statement).await {
                Ok(_) => order.push(*file),
                Err(e) => waiting.push((*file, e.to_string())),
            }
        }
        if waiting.len() == pending.len() {
            // The file that fails for its own reason, not for a view still waiting.
            let waits_for_other = |message: &str| {
                waiting.iter().any(|(other, _)| message.contains(&format!("'datafusion.public.{}'", other.name)))
            };
            let (file, message) = waiting.iter().find(|(_, message)| !waits_for_other(message)).unwrap_or(&waiting[0]);
            return Err(Error::Sql(format!("the query in {} does not plan: {}", file.origin, first_line(message))));
        }
        pending = waiting.into_iter().map(|(file, _)| file).collect();
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

pub fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}
