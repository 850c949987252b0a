//! Where `compute` keeps its tables: `<lake>/<kpi table>/<key>=<value>/data.parquet`,
//! one file per table and period (Hive-partitioned, so a query on one period
//! reads one file), and one `berekeningen` part per run.
//!
//! A run writes every file aside in `_berekening/<run>/` with its run record,
//! syncs them and marks the folder ready (`KLAAR`); only then are the files
//! renamed into place, each replacing its period's earlier file in one step,
//! and the run record last. A run interrupted before `KLAAR` is discarded at
//! the next start, one interrupted after it is finished (rolled forward): the
//! tables of a run change together or not at all, and other periods stay.

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::lake::schema::BEREKENINGEN;
use crate::lake::store::{part_ids, part_name, sync_dir, write_parquet};
use datafusion::arrow::array::RecordBatch;
use std::fs;
use std::path::{Path, PathBuf};

const STAGING: &str = "_berekening";
const READY: &str = "KLAAR";
const RECORD: &str = "berekeningen.parquet";

pub fn next_run_id(lake: &Lake) -> Result<i64> {
    let dir = lake.root().join(BEREKENINGEN.name);
    Ok(part_ids(&dir)?.last().map_or(1, |id| id + 1))
}

/// Finishes or discards what interrupted runs left. Returns (finished, discarded).
pub fn recover(lake: &Lake) -> Result<(usize, usize)> {
    let staging = lake.root().join(STAGING);
    let entries = match fs::read_dir(&staging) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(Error::io("cannot list", &staging)(e)),
    };
    let (mut finished, mut discarded) = (0, 0);
    for entry in entries {
        let dir = entry.map_err(Error::io("cannot list", &staging))?.path();
        let run_id = dir.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<i64>().ok());
        match run_id {
            Some(run_id) if dir.join(READY).exists() => {
                move_into_place(lake, &dir, run_id)?;
                finished += 1;
            }
            _ => {
                fs::remove_dir_all(&dir).map_err(Error::io("cannot remove the unfinished run", &dir))?;
                discarded += 1;
            }
        }
    }
    let _ = fs::remove_dir(&staging);
    Ok((finished, discarded))
}

/// Where a run keeps its staging rows while it computes; the name is no run
/// number, so an interrupted run's scratch is discarded by [`recover`].
pub fn scratch_dir(lake: &Lake, run_id: i64) -> Result<PathBuf> {
    let dir = lake.root().join(STAGING).join(format!("werk-{run_id}"));
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(Error::io("cannot clear", &dir))?;
    }
    fs::create_dir_all(&dir).map_err(Error::io("cannot create the scratch folder", &dir))?;
    Ok(dir)
}

pub fn remove_scratch(lake: &Lake, run_id: i64) -> Result<()> {
    let dir = lake.root().join(STAGING).join(format!("werk-{run_id}"));
    fs::remove_dir_all(&dir).map_err(Error::io("cannot remove the scratch folder", &dir))?;
    let _ = fs::remove_dir(lake.root().join(STAGING));
    Ok(())
}

/// A run's files, written aside until [`StagedRun::commit`].
pub struct StagedRun {
    run_id: i64,
    dir: PathBuf,
}

impl StagedRun {
    pub fn new(lake: &Lake, run_id: i64) -> Result<StagedRun> {
        let dir = lake.root().join(STAGING).join(run_id.to_string());
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(Error::io("cannot clear", &dir))?;
        }
        fs::create_dir_all(&dir).map_err(Error::io("cannot create the staging folder", &dir))?;
        Ok(StagedRun { run_id, dir })
    }

    /// Stages one period of one table (an empty batch replaces the period with no rows).
    pub fn stage(&self, table: &str, key: &str, value: &str, batch: &RecordBatch) -> Result<()> {
        let dir = self.dir.join(table).join(format!("{key}={value}"));
        fs::create_dir_all(&dir).map_err(Error::io("cannot create the staging folder", &dir))?;
        write_parquet(&dir.join("data.parquet"), batch)
    }

    /// Marks the run ready and moves everything into place, the run record last.
    pub fn commit(self, lake: &Lake, record: &RecordBatch) -> Result<()> {
        write_parquet(&self.dir.join(RECORD), record)?;
        let ready = self.dir.join(READY);
        fs::write(&ready, b"").map_err(Error::io("cannot mark the run ready", &ready))?;
        sync_dir(&self.dir)?;
        move_into_place(lake, &self.dir, self.run_id)
    }
}

fn move_into_place(lake: &Lake, staged: &Path, run_id: i64) -> Result<()> {
    for table in subdirs(staged)? {
        let Some(name) = table.file_name() else { continue };
        for partition in subdirs(&table)? {
            let Some(partition_name) = partition.file_name() else { continue };
            let source = partition.join("data.parquet");
            if !source.exists() {
                continue; // moved before the interruption
            }
            let target_dir = lake.root().join(name).join(partition_name);
            fs::create_dir_all(&target_dir).map_err(Error::io("cannot create", &target_dir))?;
            let target = target_dir.join("data.parquet");
            fs::rename(&source, &target).map_err(Error::io("cannot move the table file into", &target))?;
            sync_dir(&target_dir)?;
        }
    }
    let record = staged.join(RECORD);
    if record.exists() {
        let dir = lake.root().join(BEREKENINGEN.name);
        fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let target = dir.join(part_name(run_id));
        fs::rename(&record, &target).map_err(Error::io("cannot move the run record into", &target))?;
        sync_dir(&dir)?;
    }
    fs::remove_dir_all(staged).map_err(Error::io("cannot clear the staging folder", staged))?;
    let _ = fs::remove_dir(lake.root().join(STAGING));
    Ok(())
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(Error::io("cannot list", dir))? {
        let path = entry.map_err(Error::io("cannot list", dir))?.path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}
