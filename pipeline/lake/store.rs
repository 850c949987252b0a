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
use super::schema::Table;
use crate::error::{Context, Error, Result};
use arrow_array::{Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

const STAGING: &str = "_staging";
const LOCK_FILE: &str = ".lock";

pub struct Lake {
    root: PathBuf,
}

/// Held while a run writes the lake; released when dropped.
pub struct LakeLock {
    _file: File,
}

impl Lake {
    pub fn open(root: &Path) -> Result<Lake> {
        fs::create_dir_all(root).map_err(Error::io("cannot create the lake folder", root))?;
        Ok(Lake { root: root.to_path_buf() })
    }

    pub fn table_dir(&self, table: Table) -> PathBuf {
        self.root.join(table.name())
    }

    fn part_path(&self, table: Table, load_id: i64) -> PathBuf {
        self.table_dir(table).join(part_name(load_id))
    }

    /// Only one run writes the lake at a time.
    pub fn lock(&self) -> Result<LakeLock> {
        let path = self.root.join(LOCK_FILE);
        match try_lock_file(&path)? {
            Some(file) => Ok(LakeLock { _file: file }),
            None => Err(Error::LakeLocked { path }),
        }
    }

    /// The `laad_id`s of committed batches.
    pub fn committed_ids(&self) -> Result<BTreeSet<i64>> {
        part_ids(&self.table_dir(Table::Laadlog))
    }

    /// The parts of `table` whose batch is committed, in load order.
    pub fn committed_parts(&self, table: Table) -> Result<Vec<PathBuf>> {
        let committed = self.committed_ids()?;
        let dir = self.table_dir(table);
        Ok(part_ids(&dir)?.into_iter().filter(|id| committed.contains(id)).map(|id| dir.join(part_name(id))).collect())
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
            let dir = self.table_dir(table);
            for id in part_ids(&dir)? {
                if !committed.contains(&id) {
                    let path = dir.join(part_name(id));
                    fs::remove_file(&path).map_err(Error::io("cannot remove the unfinished part", &path))?;
                    rolled_back.insert(id);
                }
            }
        }
        let staging = self.root.join(STAGING);
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(Error::io("cannot clear the staging folder", &staging))?;
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

    /// Every file the lake has seen, by content hash.
    pub fn known_files(&self) -> Result<KnownFiles> {
        let mut known = KnownFiles::default();
        let dir = self.table_dir(Table::Laadlog);
        let parts: Vec<PathBuf> = part_ids(&dir)?.into_iter().map(|id| dir.join(part_name(id))).collect();
        let mut rows = 0;
        for path in &parts {
            let file = File::open(path).map_err(Error::io("cannot open", path))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(Error::parquet("read", path))?;
            rows += usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        }
        known.reserve(rows);
        for path in &parts {
            for batch in read_parquet(path)? {
                let column = |name: &str| -> Result<&StringArray> {
                    batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>()).ok_or_else(|| {
                        Error::Invalid(format!("cannot read Parquet file {}: column {name} is missing", path.display()))
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
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name.strip_prefix("part-").and_then(|n| n.strip_suffix(".parquet"))
            && let Ok(id) = id.parse()
        {
            ids.insert(id);
        }
    }
    Ok(ids)
}

pub(crate) fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let file = File::create(path).map_err(Error::io("cannot create", path))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("wmo-monitor {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(Error::parquet("create", path))?;
    writer.write(batch).map_err(Error::parquet("write", path))?;
    let file = writer.into_inner().map_err(Error::parquet("finish", path))?;
    file.sync_all().map_err(Error::io("cannot sync", path))
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
