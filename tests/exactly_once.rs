//! Exactly once, nothing lost: duplicates are skipped, re-runs change
//! nothing, and an interrupted ingest leaves a lake that the next run makes
//! identical to an uninterrupted one.

use crate::support::{Deployment, fixture, read_table, stable, value};
use std::path::Path;
use wmo_monitor::lake::Table;

#[test]
fn a_file_already_loaded_is_skipped_under_any_name() {
    let deployment = Deployment::new();
    deployment.inbox("wmo301.xml", fixture("inbox/wmo301.xml"));
    deployment.ingest();
    deployment.inbox("later/resent-copy.xml", fixture("inbox/wmo301.xml"));
    let summary = deployment.ingest();
    assert_eq!(summary.duplicates_skipped, 1);
    assert_eq!(summary.records_total(), 0);
    assert_eq!(deployment.table(Table::Toewijzingen).len(), 2, "nothing counted twice");
    let log = deployment.table(Table::Laadlog);
    assert_eq!(log.len(), 2);
    assert_eq!(value(&log[1], "uitkomst"), "dubbel");
    assert_eq!(value(&log[1], "soort"), "wmo301");
    assert_eq!(value(&log[1], "bestand"), "inbox/later/resent-copy.xml");
    assert_eq!(value(&log[0], "bestand_hash"), value(&log[1], "bestand_hash"));
    assert!(deployment.config.paths.archive.join("dubbel/later/resent-copy.xml").exists(), "nothing is deleted");
}

#[test]
fn two_identical_files_in_one_run_load_once() {
    let deployment = Deployment::new();
    deployment.inbox("a.xml", fixture("inbox/wmo305.xml"));
    deployment.inbox("b.xml", fixture("inbox/wmo305.xml"));
    let summary = deployment.ingest();
    assert_eq!(summary.files_loaded, 1);
    assert_eq!(summary.duplicates_skipped, 1);
    assert_eq!(deployment.table(Table::Zorgmeldingen).len(), 1);
}

#[test]
fn running_ingest_again_changes_nothing() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let before = lake_snapshot(&deployment.config.paths.lake());
    let summary = deployment.ingest();
    assert_eq!(summary.files_read(), 0);
    assert_eq!(summary.reference_unchanged, 6);
    assert_eq!(lake_snapshot(&deployment.config.paths.lake()), before);
}

fn lake_snapshot(lake: &Path) -> Vec<(String, Vec<crate::support::Row>)> {
    Table::ALL.iter().map(|t| (t.name().to_string(), stable(read_table(&lake.join(t.name()))))).collect()
}

#[test]
fn an_interrupted_ingest_run_again_gives_the_same_lake_as_an_uninterrupted_one() {
    let mut interrupted = Deployment::new().with_all_fixtures();
    let mut uninterrupted = Deployment::new().with_all_fixtures();
    // Small batches, so the interruption falls in a run of several commits.
    interrupted.config.batch_bytes = 4000;
    uninterrupted.config.batch_bytes = 4000;

    /// Stops the run after the first table part is in place, as a crash would.
    struct Crash;
    impl wmo_monitor::ingest::Checkpoints for Crash {
        fn after_table_write(&mut self) -> wmo_monitor::Result<()> {
            Err(wmo_monitor::Error::Invalid("crashed".into()))
        }
    }
    let crashed = interrupted.try_ingest(&mut Crash).expect_err("the crash stops the run").to_string();
    assert_eq!(crashed, "crashed");
    let lake = interrupted.config.paths.lake();
    let debris: usize = Table::ALL.iter().map(|t| read_table(&lake.join(t.name())).len()).sum();
    assert!(debris > 0, "the first table part was written before the crash");
    assert!(read_table(&interrupted.config.paths.lake().join("laadlog")).is_empty(), "but not committed");
    assert!(interrupted.config.paths.inbox.join("wmo301.xml").exists(), "inbox files stay until committed");

    let summary = interrupted.ingest();
    assert_eq!(summary.batches_rolled_back, 1);
    uninterrupted.ingest();
    let lake_a = lake_snapshot(&interrupted.config.paths.lake());
    let lake_b = lake_snapshot(&uninterrupted.config.paths.lake());
    assert!(lake_a.iter().map(|(_, rows)| rows.len()).sum::<usize>() > 20);
    assert_eq!(lake_a, lake_b);
    let archived = |d: &Deployment| {
        let mut names: Vec<String> = std::fs::read_dir(d.config.paths.archive.join("geladen"))
            .expect("archive")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(archived(&interrupted), archived(&uninterrupted));
    assert!(!interrupted.config.paths.lake().join("_staging").exists());
}

#[test]
fn a_second_run_cannot_write_the_lake_at_the_same_time() {
    let deployment = Deployment::new();
    let lake = wmo_monitor::lake::Lake::open(&deployment.config.paths.lake()).expect("lake");
    let _held = lake.lock().expect("first lock");
    let refused = deployment.try_ingest(&mut wmo_monitor::ingest::Unobserved);
    assert!(matches!(refused, Err(wmo_monitor::Error::LakeLocked { .. })));
}

#[test]
fn files_loaded_by_a_run_that_stopped_before_archiving_them_are_archived_by_the_next() {
    let deployment = Deployment::new();
    deployment.inbox("wmo301.xml", fixture("inbox/wmo301.xml"));
    deployment.inbox("wmo305.xml", fixture("inbox/wmo305.xml"));
    deployment.ingest();
    // As if the run had stopped after its commit, before the moves.
    for name in ["wmo301.xml", "wmo305.xml"] {
        let archived = deployment.config.paths.archive.join("geladen").join(name);
        std::fs::rename(&archived, deployment.config.paths.inbox.join(name)).expect("back to the inbox");
    }
    let log_before = deployment.table(Table::Laadlog).len();
    let summary = deployment.ingest();
    assert_eq!(summary.archived_after_interruption, 2, "{summary}");
    assert_eq!(summary.files_read(), 0);
    assert_eq!(deployment.table(Table::Laadlog).len(), log_before, "nothing logged twice");
    assert!(!deployment.config.paths.inbox.join("wmo301.xml").exists(), "archived, not left in the inbox");
    assert!(deployment.config.paths.archive.join("geladen/wmo305.xml").exists());
}
