//! The moments between two steps of an ingest run where a crash or a
//! concurrent upload would matter. A run passes each one to its
//! `Checkpoints`: the commands pass [`Unobserved`], which does nothing; the
//! tests pass their own, to stop a run there as a crash would or to change the
//! inbox as a provider would, and so prove that nothing is lost, half written
//! or counted twice.

use crate::error::Result;
use std::path::Path;

pub trait Checkpoints {
    /// A table's part of a batch is in place and the batch is not yet
    /// committed. An error stops the run here.
    fn after_table_write(&mut self) -> Result<()> {
        Ok(())
    }

    /// An inbox file is about to be moved to the archive.
    fn before_archive(&mut self, _file: &Path) {}
}

/// What every real run passes: no one looks in.
pub struct Unobserved;

impl Checkpoints for Unobserved {}
