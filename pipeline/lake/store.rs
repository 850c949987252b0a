//! The lake on disk: one folder per table, one Parquet part per ingest batch
//! (`<table>/part-<laad_id>.parquet`).
//!
//! A batch is committed in a fixed order: every table part is written aside
//! in `_staging/<laad_id>/` and synced, then renamed into its table folder,
//! and last the batch's `laadlog` part is renamed into place. That last
//! rename is the commit: a part whose `laad_id` has no `laadlog` part is
//! debris of an interrupted run, and `recover` removes it before the next
//! ingest, so the lake is always as if a batch was loaded fully or not at all.

use super::known::KnownFiles;
use super::remote::Remote;
use super::schema::Table;
use crate::config::Config;
use crate::error::{Context, Error, Result};
use arrow_array::{Array, RecordBatch, StringArray};
use datafusion::datasource::listing::ListingTableUrl;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const STAGING: &str = "_staging";
const LOCK_FILE: &str = ".lock";

pub struct Lake {
    /// The lake's folder; for a lake on object storage, the local folder
    /// that only holds a run's scratch files.
    root: PathBuf,
    remote: Option<Arc<Remote>>,
}

/// Held while a run writes the lake; released when dropped.
pub struct LakeLock {
    _file: Option<File>,
    remote: Option<Arc<Remote>>,
}

impl Drop for LakeLock {
    fn drop(&mut self) {
        if let Some(remote) = &self.remote
            && let Err(e) = remote.delete(LOCK_FILE)
        {
            tracing::warn!("cannot release the lake's lock: {e}");
        }
    }
}

impl Lake {
    /// The lake on this machine, in `root`.
    pub fn open(root: &Path) -> Result<Lake> {
        fs::create_dir_all(root).map_err(Error::io("cannot create the lake folder", root))?;
        Ok(Lake { root: root.to_path_buf(), remote: None })
    }

    /// The deployment's lake: `[paths] lake` on object storage, else `data/lake`.
    pub fn of(config: &Config) -> Result<Lake> {
        match &config.paths.lake_url {
            Some(url) => {
                let remote = Remote::open(url, &config.object_store)?;
                Ok(Lake { root: config.paths.lake(), remote: Some(Arc::new(remote)) })
            }
            None => Lake::open(&config.paths.lake()),
        }
    }

    pub fn remote(&self) -> Option<&Remote> {
        self.remote.as_deref()
    }

    /// Where the lake is, for messages.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(remote) => remote.url_of(""),
            None => self.root.display().to_string(),
        }
    }

    pub fn table_dir(&self, table: Table) -> PathBuf {
        self.root.join(table.name())
    }

    fn part_path(&self, table: Table, load_id: i64) -> PathBuf {
        self.table_dir(table).join(part_name(load_id))
    }

    /// Only one run writes the lake at a time. On object storage the lock is
    /// an object created only if absent; a run that was killed leaves it, and
    /// the message says which object to remove once no run is going on.
    pub fn lock(&self) -> Result<LakeLock> {
        if let Some(remote) = &self.remote {
            let holder = format!(
                "wmo-monitor {} on {}, process {}, since {}\n",
                env!("CARGO_PKG_VERSION"),
                std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".into()),
                std::process::id(),
                chrono::Utc::now().to_rfc3339()
            );
            return match remote.create(LOCK_FILE, holder.into_bytes())? {
                true => Ok(LakeLock { _file: None, remote: Some(remote.clone()) }),
                false => Err(Error::LakeLocked { path: PathBuf::from(remote.url_of(LOCK_FILE)) }),
            };
        }
        let path = self.root.join(LOCK_FILE);
        match try_lock_file(&path)? {
            Some(file) => Ok(LakeLock { _file: Some(file), remote: None }),
            None => Err(Error::LakeLocked { path }),
        }
    }

    /// The `part-<id>.parquet` ids in a lake folder.
    pub(crate) fn part_ids(&self, dir: &str) -> Result<BTreeSet<i64>> {
        match &self.remote {
            Some(remote) => Ok(remote.list_files(dir)?.iter().filter_map(|name| part_id(name)).collect()),
            None => part_ids(&self.root.join(dir)),
        }
    }

    /// The `laad_id`s of committed batches.
    pub fn committed_ids(&self) -> Result<BTreeSet<i64>> {
        self.part_ids(Table::Laadlog.name())
    }

    /// The parts of `table` whose batch is committed, in load order, as lake paths.
    pub fn committed_parts(&self, table: Table) -> Result<Vec<String>> {
        let committed = self.committed_ids()?;
        Ok(self
            .part_ids(table.name())?
            .into_iter()
            .filter(|id| committed.contains(id))
            .map(|id| format!("{}/{}", table.name(), part_name(id)))
            .collect())
    }

    /// Where DataFusion finds a lake path (`laadlog/part-00000001.parquet`, or a folder ending in `/`).
    pub fn url(&self, relative: &str) -> Result<ListingTableUrl> {
        let text = match &self.remote {
            Some(remote) => remote.url_of(relative),
            None => {
                let path = self.root.join(relative.trim_end_matches('/'));
                let absolute = std::path::absolute(&path).map_err(Error::io("cannot resolve", &path))?;
                let slash = if relative.ends_with('/') { "/" } else { "" };
                format!("{}{slash}", absolute.to_string_lossy())
            }
        };
        ListingTableUrl::parse(&text).map_err(|e| Error::Sql(format!("cannot address {text}: {e}")))
    }

    /// Whether a lake folder holds anything.
    pub fn has_files(&self, dir: &str) -> Result<bool> {
        match &self.remote {
            Some(remote) => Ok(!remote.list_all(dir)?.is_empty()),
            None => Ok(fs::read_dir(self.root.join(dir)).map(|mut d| d.next().is_some()).unwrap_or(false)),
        }
    }

    /// Reads one Parquet file of the lake.
    pub fn read_parquet(&self, relative: &str) -> Result<Vec<RecordBatch>> {
        match &self.remote {
            Some(remote) => {
                let url = remote.url_of(relative);
                let reader = ParquetRecordBatchReaderBuilder::try_new(remote.get(relative)?)
                    .and_then(|b| b.build())
                    .map_err(Error::parquet("read", Path::new(&url)))?;
                reader
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .with_context(|| format!("cannot read Parquet file {url}"))
            }
            None => read_parquet(&self.root.join(relative)),
        }
    }

    /// Writes one Parquet file of the lake whole: on disk aside, synced and
    /// renamed into place; on object storage in one put. With `only_new`, a
    /// file of that name already there is an error (on object storage the
    /// check and the write are one step).
    pub fn write_parquet(&self, relative: &str, batch: &RecordBatch, only_new: bool) -> Result<()> {
        match &self.remote {
            Some(remote) => {
                let bytes = parquet_bytes(batch, Path::new(&remote.url_of(relative)))?;
                if only_new {
                    if !remote.create(relative, bytes)? {
                        return Err(Error::Invalid(format!(
                            "{} was written by another run meanwhile; nothing of this run was counted twice, run it again",
                            remote.url_of(relative)
                        )));
                    }
                } else {
                    remote.put(relative, bytes)?;
                }
                Ok(())
            }
            None => {
                let target = self.root.join(relative);
                let dir = target.parent().unwrap_or(&self.root).to_path_buf();
                fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
                if only_new && target.exists() {
                    return Err(Error::Invalid(format!(
                        "{} is there already (this is a bug in wmo-monitor)",
                        target.display()
                    )));
                }
                let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let aside = dir.join(format!(".{name}"));
                write_parquet(&aside, batch)?;
                fs::rename(&aside, &target).map_err(Error::io("cannot move into", &target))?;
                sync_dir(&dir)
            }
        }
    }

    /// Writes a file of a staging area: nobody reads it until a marker says
    /// the area is ready ([`Lake::mark_ready`]), so it needs no rename.
    pub fn stage_parquet(&self, relative: &str, batch: &RecordBatch) -> Result<()> {
        match &self.remote {
            Some(remote) => remote.put(relative, parquet_bytes(batch, Path::new(&remote.url_of(relative)))?),
            None => {
                let path = self.root.join(relative);
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(Error::io("cannot create the staging folder", dir))?;
                }
                write_parquet(&path, batch)
            }
        }
    }

    /// Writes an empty marker file, durably (with its folder's entry).
    pub fn mark_ready(&self, relative: &str) -> Result<()> {
        match &self.remote {
            Some(remote) => remote.put(relative, Vec::new()),
            None => {
                let path = self.root.join(relative);
                fs::write(&path, b"").map_err(Error::io("cannot mark ready", &path))?;
                sync_dir(path.parent().unwrap_or(&self.root))
            }
        }
    }

    /// Moves a file within the lake (on object storage a copy and a delete,
    /// so only what can be moved again after an interruption). Returns
    /// `false` when there was nothing to move.
    pub fn rename(&self, from: &str, to: &str) -> Result<bool> {
        match &self.remote {
            Some(remote) => remote.rename(from, to),
            None => {
                let (source, target) = (self.root.join(from), self.root.join(to));
                if !source.exists() {
                    return Ok(false);
                }
                let dir = target.parent().unwrap_or(&self.root).to_path_buf();
                fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
                fs::rename(&source, &target).map_err(Error::io("cannot move into", &target))?;
                sync_dir(&dir)?;
                Ok(true)
            }
        }
    }

    /// Every file under a lake folder, as lake paths, sorted.
    pub fn files_under(&self, dir: &str) -> Result<Vec<String>> {
        match &self.remote {
            Some(remote) => remote.list_all(dir),
            None => {
                let mut files = Vec::new();
                collect_files(&self.root, &self.root.join(dir), &mut files)?;
                files.sort();
                Ok(files)
            }
        }
    }

    /// Whether a lake file is there.
    pub fn exists(&self, relative: &str) -> Result<bool> {
        match &self.remote {
            Some(remote) => remote.exists(relative),
            None => Ok(self.root.join(relative).exists()),
        }
    }

    /// Removes a lake folder and everything in it.
    pub fn remove_dir(&self, dir: &str) -> Result<()> {
        match &self.remote {
            Some(remote) => remote.remove_all(dir),
            None => {
                let path = self.root.join(dir);
                match fs::remove_dir_all(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(Error::io("cannot remove", &path)(e)),
                }
            }
        }
    }

    /// The sub-folders of a lake folder.
    pub fn subdirs(&self, dir: &str) -> Result<Vec<String>> {
        match &self.remote {
            Some(remote) => remote.list_dirs(dir),
            None => {
                let path = self.root.join(dir);
                let entries = match fs::read_dir(&path) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io("cannot list", &path)(e)),
                };
                let mut names = Vec::new();
                for entry in entries {
                    let entry = entry.map_err(Error::io("cannot list", &path))?;
                    if entry.path().is_dir() {
                        names.push(entry.file_name().to_string_lossy().to_string());
                    }
                }
                names.sort();
                Ok(names)
            }
        }
    }

    /// Lets DataFusion read the lake when it is on object storage.
    pub fn register_reader(&self, ctx: &datafusion::prelude::SessionContext) -> Result<()> {
        if let Some(remote) = &self.remote {
            let (url, store) = remote.reader()?;
            ctx.register_object_store(&url, store);
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes what an interrupted run left: parts of batches that never got
    /// their `laadlog` part, and the staging area. Returns how many batches
    /// were rolled back.
    pub fn recover(&self) -> Result<usize> {
        let committed = self.committed_ids()?;
        let mut rolled_back = BTreeSet::new();
        for table in Table::ALL {
            for id in self.part_ids(table.name())? {
                if !committed.contains(&id) {
                    match &self.remote {
                        Some(remote) => remote.delete(&format!("{}/{}", table.name(), part_name(id)))?,
                        None => {
                            let path = self.part_path(table, id);
                            fs::remove_file(&path).map_err(Error::io("cannot remove the unfinished part", &path))?;
                        }
                    }
                    rolled_back.insert(id);
                }
            }
        }
        if self.remote.is_none() {
            let staging = self.root.join(STAGING);
            if staging.exists() {
                fs::remove_dir_all(&staging).map_err(Error::io("cannot clear the staging folder", &staging))?;
            }
        }
        Ok(rolled_back.len())
    }

    pub fn next_load_id(&self) -> Result<i64> {
        Ok(self.committed_ids()?.last().map_or(1, |id| id + 1))
    }

    /// Commits one batch. `parts` must hold the batch's `laadlog` rows; they
    /// are renamed into place last. `after_table_write` is called after each
    /// other table's part is in place (a test hook can stop the run there).
    pub fn commit(
        &self,
        load_id: i64,
        parts: Vec<(Table, RecordBatch)>,
        after_table_write: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        if self.remote.is_some() {
            return self.commit_remote(load_id, parts, after_table_write);
        }
        let staging = self.root.join(STAGING).join(part_name(load_id));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(Error::io("cannot clear the staging folder", &staging))?;
        }
        fs::create_dir_all(&staging).map_err(Error::io("cannot create the staging folder", &staging))?;

        let mut laadlog = None;
        let mut staged = Vec::new();
        for (table, batch) in parts {
            if table == Table::Laadlog {
                laadlog = Some(batch);
                continue;
            }
            if batch.num_rows() == 0 {
                continue;
            }
            let aside = staging.join(format!("{}.parquet", table.name()));
            write_parquet(&aside, &batch)?;
            staged.push((table, aside));
        }
        let laadlog = laadlog.ok_or_else(|| Error::Invalid("a batch must have laadlog rows".into()))?;
        sync_dir(&staging)?;

        for (table, aside) in staged {
            let dir = self.table_dir(table);
            fs::create_dir_all(&dir).map_err(Error::io("cannot create the table folder", &dir))?;
            let target = self.part_path(table, load_id);
            fs::rename(&aside, &target).map_err(Error::io("cannot move the part into", &target))?;
            sync_dir(&dir)?;
            after_table_write()?;
        }

        let aside = staging.join("laadlog.parquet");
        write_parquet(&aside, &laadlog)?;
        let dir = self.table_dir(Table::Laadlog);
        fs::create_dir_all(&dir).map_err(Error::io("cannot create the table folder", &dir))?;
        let target = self.part_path(Table::Laadlog, load_id);
        fs::rename(&aside, &target).map_err(Error::io("cannot move the part into", &target))?;
        sync_dir(&dir)?;

        fs::remove_dir_all(&staging).map_err(Error::io("cannot clear the staging folder", &staging))?;
        // The staging area itself goes when nothing else is in it.
        let _ = fs::remove_dir(self.root.join(STAGING));
        Ok(())
    }

    /// On object storage every put is whole already: the table parts go to
    /// their place, and the `laadlog` part is created only if its name is
    /// free, which is the commit (a second run that got past the lock cannot
    /// commit the same batch).
    fn commit_remote(
        &self,
        load_id: i64,
        parts: Vec<(Table, RecordBatch)>,
        after_table_write: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let mut laadlog = None;
        for (table, batch) in parts {
            if table == Table::Laadlog {
                laadlog = Some(batch);
            } else if batch.num_rows() > 0 {
                self.write_parquet(&format!("{}/{}", table.name(), part_name(load_id)), &batch, false)?;
                after_table_write()?;
            }
        }
        let laadlog = laadlog.ok_or_else(|| Error::Invalid("a batch must have laadlog rows".into()))?;
        self.write_parquet(&format!("{}/{}", Table::Laadlog.name(), part_name(load_id)), &laadlog, true)
    }

    /// Every file the lake has seen, by content hash.
    pub fn known_files(&self) -> Result<KnownFiles> {
        let mut known = KnownFiles::default();
        let parts = self.committed_parts(Table::Laadlog)?;
        if self.remote.is_none() {
            // Sized once from the files' footers: the set holds millions of hashes at national scale.
            let mut rows = 0;
            for part in &parts {
                let path = self.root.join(part);
                let file = File::open(&path).map_err(Error::io("cannot open", &path))?;
                let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(Error::parquet("read", &path))?;
                rows += usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
            }
            known.reserve(rows);
        }
        for path in &parts {
            for batch in self.read_parquet(path)? {
                let column = |name: &str| -> Result<&StringArray> {
                    batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>()).ok_or_else(|| {
                        Error::Invalid(format!("cannot read Parquet file {path}: column {name} is missing"))
                    })
                };
                let (hashes, names, kinds) = (column("bestand_hash")?, column("bestand")?, column("soort")?);
                for row in 0..batch.num_rows() {
                    if let Some(hash) = decode_hash(hashes.value(row)) {
                        known.insert(&hash, names.value(row), kinds.value(row));
                    }
                }
            }
        }
        Ok(known)
    }
}

pub fn decode_hash(hex_text: &str) -> Option<[u8; 32]> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut hash).ok()?;
    Some(hash)
}

pub(crate) fn part_name(load_id: i64) -> String {
    format!("part-{load_id:08}.parquet")
}

pub(crate) fn part_ids(dir: &Path) -> Result<BTreeSet<i64>> {
    let mut ids = BTreeSet::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io("cannot list", dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(Error::io("cannot list", dir))?;
        if let Some(id) = part_id(&entry.file_name().to_string_lossy()) {
            ids.insert(id);
        }
    }
    Ok(ids)
}

fn part_id(name: &str) -> Option<i64> {
    name.strip_prefix("part-")?.strip_suffix(".parquet")?.parse().ok()
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("cannot list", dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(Error::io("cannot list", dir))?.path();
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.push(relative.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    Ok(())
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("wmo-monitor {}", env!("CARGO_PKG_VERSION")))
        .build()
}

pub(crate) fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let file = File::create(path).map_err(Error::io("cannot create", path))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(writer_properties()))
        .map_err(Error::parquet("create", path))?;
    writer.write(batch).map_err(Error::parquet("write", path))?;
    let file = writer.into_inner().map_err(Error::parquet("finish", path))?;
    file.sync_all().map_err(Error::io("cannot sync", path))
}

/// A batch as the bytes of a Parquet file (`name` is for messages).
fn parquet_bytes(batch: &RecordBatch, name: &Path) -> Result<Vec<u8>> {
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(writer_properties()))
        .map_err(Error::parquet("create", name))?;
    writer.write(batch).map_err(Error::parquet("write", name))?;
    writer.into_inner().map_err(Error::parquet("finish", name))
}

pub fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(Error::io("cannot open", path))?;
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).map_err(Error::parquet("read", path))?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("cannot read Parquet file {}", path.display()))
}

/// Makes a rename durable: the folder entry itself must reach the disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io("cannot sync", dir))
}

/// An exclusive lock on `path` (created if missing), held while the file is
/// open; `None` when another process holds it. The operating system releases
/// it when the process ends, however it ends.
pub fn try_lock_file(path: &Path) -> Result<Option<File>> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(Error::io("cannot open the lock file", path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", path)(e)),
    }
}
