//! The scheduler: `schedules/*.toml` say when each job runs; `serve` runs
//! them on the local clock and records every run; `runs` lists the log.

pub mod definition;
pub mod due;
pub mod jobs;
pub mod runlog;
pub mod scheduler;
pub mod serve;

pub use definition::{Job, Schedule};
pub use scheduler::{Due, Scheduler};
