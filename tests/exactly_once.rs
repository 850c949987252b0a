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

/// Files are parsed on several workers, but recorded in the order they are
/// listed: of two copies, the first listed loads and the other is `dubbel`,
/// each in the batch of its place in the list, in every run.
#[test]
fn files_parsed_in_parallel_are_recorded_in_the_order_they_are_listed() {
    let log_of = || {
        let mut deployment = Deployment::new();
        deployment.config.batch_bytes = 20_000;
        for n in 0..30 {
            let message =
                crate::support::fixture_text("inbox/wmo305.xml").replacen("S4015000001", &format!("S40150{n:05}"), 1);
            // A long text first for every third file, so the workers' paces differ.
            let padding = if n % 3 == 0 { " ".repeat(200_000) } else { String::new() };
            deployment.inbox(&format!("m{n:02}a.xml"), format!("{padding}{message}"));
            deployment.inbox(&format!("m{n:02}b.xml"), format!("{padding}{message}"));
        }
        deployment.ingest();
        let log: Vec<(String, String, String)> = deployment
            .table(Table::Laadlog)
            .iter()
            .map(|r| (value(r, "laad_id"), value(r, "bestand"), value(r, "uitkomst")))
            .collect();
        log
    };
    let log = log_of();
    assert_eq!(log.len(), 60);
    let mut previous_batch = 0;
    for (i, (laad_id, bestand, uitkomst)) in log.iter().enumerate() {
        let expected = format!("inbox/m{:02}{}.xml", i / 2, if i % 2 == 0 { "a" } else { "b" });
        assert_eq!(bestand, &expected, "row {i} in the listed order");
        assert_eq!(uitkomst, if i % 2 == 0 { "geladen" } else { "dubbel" }, "{bestand}");
        let batch: i64 = laad_id.parse().expect("a number");
        assert!(batch >= previous_batch, "{bestand} in batch {batch} after batch {previous_batch}");
        previous_batch = batch;
    }
    assert!(previous_batch >= 3, "several batches: {previous_batch}");
    assert_eq!(log_of(), log, "the same in every run");
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
