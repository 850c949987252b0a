//! The `wmo-monitor` binary as a user runs it.

use crate::support::read_table;
use std::path::Path;
use std::process::Command;
use wmo_monitor::demo::Tariffs;
use wmo_monitor::demo::population::Population;

fn wmo_monitor(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wmo-monitor"))
        .args(args)
        .current_dir(dir)
        .env_remove(wmo_monitor::config::KEY_ENV)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path.strip_prefix(root).expect("below root").to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).expect("readable")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_same_seed_writes_the_same_files() {
    let (a, b, c) =
        (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    for (dir, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let (ok, _, stderr) =
            wmo_monitor(dir.path(), &["--quiet", "demo", "--no-ingest", "--clients", "40", "--seed", seed]);
        assert!(ok, "{stderr}");
    }
    let inbox_a = tree(&a.path().join("inbox"));
    assert!(inbox_a.len() > 100, "a demo inbox of {} files", inbox_a.len());
    assert_eq!(inbox_a, tree(&b.path().join("inbox")));
    assert_eq!(tree(&a.path().join("reference")), tree(&b.path().join("reference")));
    assert_ne!(inbox_a, tree(&c.path().join("inbox")));
}

#[test]
fn demo_writes_ingests_and_a_second_ingest_finds_nothing_new() {
    let dir = tempfile::tempdir().expect("dir");
    let (ok, stdout, stderr) = wmo_monitor(dir.path(), &["--quiet", "demo", "--clients", "120"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Created a random pseudonymisation key"), "{stdout}");
    assert!(stdout.contains("Ingest finished"), "{stdout}");
    assert!(stdout.contains("quarantined per rule: BSN-01"), "the demo has a few typing errors in BSNs: {stdout}");

    let key = dir.path().join("data/pseudonym.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).expect("key").permissions().mode() & 0o777, 0o600);
    }
    let lake = dir.path().join("data/lake");
    let laadlog = read_table(&lake.join("laadlog"));
    assert!(laadlog.len() > 500);
    assert!(read_table(&lake.join("declaratieregels")).len() > 2000);
    assert_eq!(read_table(&lake.join("aanbieders")).len(), 113);
    assert!(
        std::fs::read_dir(dir.path().join("inbox")).expect("inbox").next().is_none(),
        "every inbox file was archived"
    );

    // No demo BSN anywhere in the data folder or the published reports.
    let population = Population::new(2019, 120, Tariffs::embedded().expect("tariffs"));
    let bsns: Vec<String> = (0..120).map(|i| population.bsn(i)).collect();
    for (name, bytes) in tree(&dir.path().join("data")).into_iter().chain(tree(&dir.path().join("out"))) {
        let text = String::from_utf8_lossy(&bytes);
        for bsn in &bsns {
            assert!(!text.contains(bsn.as_str()), "BSN in {name}");
        }
    }

    // The demo computed every ended period and closes with the latest quarter in Dutch.
    assert!(stdout.contains("Computed "), "{stdout}");
    assert!(stdout.contains("Gemeente Zwolle, 2019-Q4"), "{stdout}");
    assert!(stdout.contains("cliënten met ondersteuning"), "{stdout}");
    assert!(stdout.contains("gedeclareerd is "), "{stdout}");
    // ... and publishes that quarter, saying where the reports are.
    assert!(stdout.contains("Published 2019-Q4"), "{stdout}");
    assert!(stdout.contains("out/2019-Q4/index.html"), "{stdout}");
    assert!(dir.path().join("out/2019-Q4/monitor-sociaal-domein-2019-Q4.xlsx").exists());
    // ... and writes its mails to the outbox: the contract managers' and the council's.
    assert!(stdout.contains("Delivered 2019-Q4: "), "{stdout}");
    let outbox: Vec<String> = std::fs::read_dir(dir.path().join("out/outbox/2019-Q4"))
        .expect("outbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(outbox.iter().any(|n| n.starts_with("monitor-raad@zwolle.example-")), "{outbox:?}");
    assert!(outbox.iter().filter(|n| n.starts_with("prestatiedialoog-")).count() > 5, "{outbox:?}");
    // ... then watches: the signals are counted, and the Wmo team has its overview.
    let peildatum = stdout.split("Signals as of ").nth(1).and_then(|rest| rest.get(..10)).expect("signals ran");
    let signal_mails: Vec<String> = std::fs::read_dir(dir.path().join(format!("out/outbox/signalen-{peildatum}")))
        .expect("the signal mails")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(signal_mails.iter().any(|n| n.starts_with("signalen-overzicht-wmo@zwolle.example-")), "{signal_mails:?}");

    // The contract outside checks rely on: CSV with a header on stdout, nothing else there.
    std::fs::write(dir.path().join("wmo.toml"), "gemeente = \"0193\"\n").expect("config");
    let (ok, csv, stderr) = wmo_monitor(
        dir.path(),
        &[
            "--config",
            "wmo.toml",
            "sql",
            "--format",
            "csv",
            "-e",
            "select * from kpi_aanbieder order by periode, aanbieder_agb",
        ],
    );
    assert!(ok, "{stderr}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("a header row").clone();
    assert_eq!(&header[0], "periode");
    assert!(header.iter().any(|h| h == "afschaling_pct"), "{header:?}");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    assert!(rows.len() > 100, "{} rows", rows.len());
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r[0].to_string(), r[3].to_string())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by periode, aanbieder_agb");
    assert!(keys.iter().any(|(p, _)| p == "2019-Q4") && keys.iter().any(|(p, _)| p == "2017-H1"));

    let (ok, stdout, stderr) = wmo_monitor(dir.path(), &["--quiet", "ingest"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("0 new files"), "{stdout}");
    assert!(stdout.contains("6 reference files unchanged"), "{stdout}");
    assert_eq!(read_table(&lake.join("laadlog")).len(), laadlog.len());
}

#[test]
fn a_config_file_sets_gemeente_and_paths_relative_to_itself() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("etc")).expect("etc");
    std::fs::write(
        dir.path().join("etc/wmo.toml"),
        "gemeente = \"0363\"\n[paths]\ninbox = \"../in\"\nreference = \"../ref\"\ndata = \"/tmp/wmo-data\"\nout = \"../out\"\n",
    )
    .expect("config");
    let (ok, stdout, stderr) = wmo_monitor(dir.path(), &["--config", "etc/wmo.toml", "config"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("gemeente = \"0363\""), "{stdout}");
    assert!(stdout.contains("gemeente_naam = \"Amsterdam\""), "the name from the CBS code list: {stdout}");
    assert!(stdout.contains("inbox = \"etc/../in\""), "{stdout}");
    assert!(stdout.contains("data = \"/tmp/wmo-data\""), "{stdout}");
    assert!(stdout.contains("archive = \"etc/archive\""), "the default archive sits beside the config: {stdout}");
    // Every setting in effect, not only the paths; never a secret.
    for setting in ["batch_megabytes = 64", "afzender = ", "toegestane_domeinen = [", "timeout_seconds = 300"] {
        assert!(stdout.contains(setting), "{setting} missing: {stdout}");
    }

    std::fs::write(dir.path().join("broken.toml"), "gemeente = \"0193\"\n[paths\ninbox = \"in\"\n").expect("config");
    let (ok, _, stderr) = wmo_monitor(dir.path(), &["--config", "broken.toml", "config"]);
    assert!(!ok);
    assert!(stderr.contains("broken.toml") && stderr.contains("line 2"), "the line of the mistake: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear sentence: {stderr}");

    std::fs::write(dir.path().join("bad.toml"), "gemeente = \"Zwolle\"\n").expect("config");
    let (ok, _, stderr) = wmo_monitor(dir.path(), &["--config", "bad.toml", "ingest"]);
    assert!(!ok);
    assert_eq!(stderr.trim().lines().count(), 1, "one clear sentence: {stderr}");
    assert!(stderr.contains("gemeente must be a 4-digit CBS code"), "{stderr}");
}

/// The default demo (5,500 clients) raises every kind of signal at least
/// once, and its closing lines count them per kind; DuckDB computes the same
/// kpi tables from it.
#[test]
fn the_default_demo_raises_every_kind_of_signal() {
    let dir = tempfile::tempdir().expect("dir");
    let (ok, stdout, stderr) = wmo_monitor(dir.path(), &["--quiet", "demo"]);
    assert!(ok, "{stderr}");
    let closing = stdout.split("Signals as of").nth(1).expect("the signals' closing lines");
    for kind in [
        "stille_aanbieder",
        "geweigerde_aanlevering",
        "late_start",
        "dure_trajecten",
        "fictief_budgetplafond",
        "afwijking_van_verwacht",
    ] {
        let count = closing
            .lines()
            .find_map(|line| line.trim().strip_prefix(kind).map(|n| n.trim().parse::<usize>().unwrap_or(0)))
            .unwrap_or(0);
        assert!(count > 0, "no {kind} in the demo's signals:\n{closing}");
    }
    // The same SQL on DuckDB gives the same kpi tables: the demo has what the
    // hand fixtures have too few of (hundreds of providers' periods, medians).
    let (agree, printed) = crate::other_reader::duckdb_agrees(&dir.path().join("data/lake"), dir.path(), None, None);
    assert!(agree, "DuckDB and wmo-monitor disagree on the demo:\n{printed}");
    assert!(printed.contains("kpi_wmo: 18 rows, the same"), "{printed}");
}
