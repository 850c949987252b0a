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
use crate::lake::store::part_name;
use datafusion::arrow::array::RecordBatch;
use std::fs;
use std::path::PathBuf;

const STAGING: &str = "_berekening";
const READY: &str = "KLAAR";
const RECORD: &str = "berekeningen.parquet";
const TABLE_FILE: &str = "data.parquet";

pub fn next_run_id(lake: &Lake) -> Result<i64> {
    Ok(lake.part_ids(BEREKENINGEN.name)?.last().map_or(1, |id| id + 1))
}

/// Finishes or discards what interrupted runs left. Returns (finished, discarded).
pub fn recover(lake: &Lake) -> Result<(usize, usize)> {
    let (mut finished, mut discarded) = (0, 0);
    for name in lake.subdirs(STAGING)? {
        let staged = format!("{STAGING}/{name}");
        match name.parse::<i64>() {
            Ok(run_id) if lake.exists(&format!("{staged}/{READY}"))? => {
                move_into_place(lake, &staged, run_id)?;
                finished += 1;
            }
            _ => {
                lake.remove_dir(&staged)?;
                discarded += 1;
            }
        }
    }
    if lake.remote().is_some() {
        // The scratch of an interrupted run over a lake on object storage.
        let scratch = lake.root().join(STAGING);
        if scratch.exists() {
            fs::remove_dir_all(&scratch).map_err(Error::io("cannot clear", &scratch))?;
        }
    }
    let _ = fs::remove_dir(lake.root().join(STAGING));
    Ok((finished, discarded))
}

/// Where a run keeps its staging rows while it computes; the name is no run
/// number, so an interrupted run's scratch is discarded by [`recover`]. It is
/// on this machine also when the lake is on object storage.
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
pub struct StagedRun<'a> {
    lake: &'a Lake,
    run_id: i64,
    dir: String,
}

impl StagedRun<'_> {
    pub fn new(lake: &Lake, run_id: i64) -> Result<StagedRun<'_>> {
        let dir = format!("{STAGING}/{run_id}");
        lake.remove_dir(&dir)?;
        Ok(StagedRun { lake, run_id, dir })
    }

    /// Stages one period of one table (an empty batch replaces the period with no rows).
    pub fn stage(&self, table: &str, key: &str, value: &str, batch: &RecordBatch) -> Result<()> {
        self.lake.stage_parquet(&format!("{}/{table}/{key}={value}/{TABLE_FILE}", self.dir), batch)
    }

    /// Marks the run ready and moves everything into place, the run record last.
    pub fn commit(self, record: &RecordBatch) -> Result<()> {
        self.lake.stage_parquet(&format!("{}/{RECORD}", self.dir), record)?;
        self.lake.mark_ready(&format!("{}/{READY}", self.dir))?;
        move_into_place(self.lake, &self.dir, self.run_id)
    }
}

/// Moves a ready run's files into place, each replacing its period's file;
/// what was moved before an interruption is skipped, so this can run again.
fn move_into_place(lake: &Lake, staged: &str, run_id: i64) -> Result<()> {
    for file in lake.files_under(staged)? {
        let Some(inside) = file.strip_prefix(staged).map(|f| f.trim_start_matches('/')) else { continue };
        // <table>/<key>=<value>/data.parquet
        let segments: Vec<&str> = inside.split('/').collect();
        if let [table, partition, TABLE_FILE] = segments[..] {
            lake.rename(&file, &format!("{table}/{partition}/{TABLE_FILE}"))?;
        }
    }
    lake.rename(&format!("{staged}/{RECORD}"), &format!("{}/{}", BEREKENINGEN.name, part_name(run_id)))?;
    lake.remove_dir(staged)?;
    let _ = fs::remove_dir(lake.root().join(STAGING));
    Ok(())
}
