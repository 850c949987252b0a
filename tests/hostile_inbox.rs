//! The inbox is written by others (providers' upload areas can create links,
//! re-upload under the same name, leave odd names): ingest never follows a
//! link, never touches anything outside the inbox, never reads a refused
//! entry, and never lets one odd entry stop the run.

use crate::support::{Deployment, TEST_KEY, fixture, value};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use wmo_monitor::lake::Table;

/// Every cell of every lake table, as one text.
fn lake_text(deployment: &Deployment) -> String {
    let mut text = String::new();
    for table in Table::ALL {
        for row in deployment.table(table) {
            for cell in row.values().flatten() {
                text.push_str(cell);
                text.push('\n');
            }
        }
    }
    text
}

fn quarantine_rules(deployment: &Deployment) -> Vec<(String, String)> {
    deployment.table(Table::Quarantaine).iter().map(|r| (value(r, "bestand"), value(r, "regel"))).collect()
}

#[test]
fn a_folder_link_in_the_inbox_is_refused_and_nothing_outside_the_inbox_moves() {
    let deployment = Deployment::new();
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("wmo305.xml"), fixture("inbox/wmo305.xml")).expect("outside file");
    deployment.inbox("wmo301.xml", fixture("inbox/wmo301.xml"));
    std::os::unix::fs::symlink(outside.path(), deployment.config.paths.inbox.join("elders")).expect("link");

    let summary = deployment.ingest();

    assert!(outside.path().join("wmo305.xml").exists(), "the file the link points to stays where it is");
    assert!(deployment.table(Table::Zorgmeldingen).is_empty(), "nothing behind the link was read");
    assert_eq!(summary.files_loaded, 1);
    assert_eq!(summary.files_rejected, 1);
    assert_eq!(quarantine_rules(&deployment), [("inbox/elders".to_string(), "BESTAND-03".to_string())]);
    let archived = deployment.config.paths.archive.join("geweigerd/elders");
    assert!(std::fs::symlink_metadata(&archived).expect("archived").file_type().is_symlink(), "archived as a link");
    assert!(!deployment.config.paths.inbox.join("elders").exists());
}

#[test]
fn a_file_link_to_the_key_is_refused_unread_and_the_key_reaches_no_table() {
    let deployment = Deployment::new();
    let key = deployment.config.paths.inbox.parent().expect("folder").join("test.key");
    std::fs::create_dir_all(&deployment.config.paths.inbox).expect("inbox");
    std::os::unix::fs::symlink(&key, deployment.config.paths.inbox.join("sleutel.xml")).expect("link");
    std::os::unix::fs::symlink("/etc/passwd", deployment.config.paths.inbox.join("passwd.csv")).expect("link");

    let summary = deployment.ingest();

    assert_eq!(summary.files_rejected, 2);
    let lake = lake_text(&deployment);
    assert!(!lake.contains(TEST_KEY), "the key is in the lake");
    assert!(!lake.contains("root:"), "/etc/passwd is in the lake");
    let quarantine = deployment.table(Table::Quarantaine);
    assert!(quarantine.iter().all(|r| value(r, "ruwe_tekst").is_empty() && value(r, "regel") == "BESTAND-03"));
    assert_eq!(std::fs::read_to_string(&key).expect("key stays"), TEST_KEY);
}

#[test]
fn dangling_links_link_loops_pipes_and_odd_names_do_not_stop_the_run() {
    let deployment = Deployment::new();
    let inbox = deployment.config.paths.inbox.clone();
    deployment.inbox("wmo301.xml", fixture("inbox/wmo301.xml"));
    std::os::unix::fs::symlink(inbox.join("nergens"), inbox.join("kapot.xml")).expect("dangling link");
    std::os::unix::fs::symlink(inbox.join("lus-b"), inbox.join("lus-a")).expect("loop");
    std::os::unix::fs::symlink(inbox.join("lus-a"), inbox.join("lus-b")).expect("loop");
    // Reading a pipe would wait for a writer forever.
    let made = std::process::Command::new("mkfifo").arg(inbox.join("pijp")).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    let odd = std::ffi::OsStr::from_bytes(b"wmo305-\xff\xfe.xml");
    std::fs::write(inbox.join(odd), fixture("inbox/wmo305.xml")).expect("odd name");

    let summary = deployment.ingest();

    assert_eq!(summary.files_loaded, 2, "the two real files load");
    assert_eq!(summary.files_rejected, 4, "the dangling link, the loop's two links and the pipe: {summary}");
    assert_eq!(deployment.table(Table::Zorgmeldingen).len(), 1, "the file with a non-UTF-8 name loaded");
    let log = deployment.table(Table::Laadlog);
    assert!(log.iter().any(|r| value(r, "bestand") == "inbox/wmo305-\u{fffd}\u{fffd}.xml"));
    assert!(deployment.config.paths.archive.join("geladen").join(odd).exists(), "archived under its own name");
}

#[test]
fn a_file_replaced_after_it_was_read_stays_in_the_inbox_and_its_new_content_loads_next() {
    let deployment = Deployment::new();
    let path = deployment.inbox("wmo305.xml", fixture("inbox/wmo301.xml"));
    /// A provider re-uploading under the same name just before the file is archived.
    struct Reupload;
    impl wmo_monitor::ingest::Checkpoints for Reupload {
        fn before_archive(&mut self, path: &Path) {
            // As SFTP clients do: write aside, rename over the old one.
            let aside = path.with_extension("upload");
            std::fs::write(&aside, fixture("inbox/wmo305.xml")).expect("new upload");
            std::fs::rename(&aside, path).expect("replace");
        }
    }
    let first = deployment.try_ingest(&mut Reupload).expect("ingest succeeds");
    assert_eq!(first.files_left_changing, 1);
    assert_eq!(std::fs::read(&path).expect("still in the inbox"), fixture("inbox/wmo305.xml"));
    assert!(!deployment.config.paths.archive.join("geladen/wmo305.xml").exists(), "nothing archived");
    assert_eq!(deployment.table(Table::Toewijzingen).len(), 2, "the content read was loaded");

    let second = deployment.ingest();
    assert_eq!(second.files_loaded, 1);
    assert_eq!(deployment.table(Table::Zorgmeldingen).len(), 1, "the new upload loaded");
    assert_eq!(
        std::fs::read(deployment.config.paths.archive.join("geladen/wmo305.xml")).expect("archived"),
        fixture("inbox/wmo305.xml")
    );
}

#[test]
fn an_inbox_folder_that_does_not_exist_is_an_error_not_a_quiet_success() {
    let deployment = Deployment::new();
    let error = deployment.try_ingest(&mut wmo_monitor::ingest::Unobserved).expect_err("no inbox");
    let message = error.to_string();
    assert!(message.contains("inbox folder") && message.contains("does not exist"), "{message}");
    assert!(!message.contains('\n'), "one sentence: {message}");
}
