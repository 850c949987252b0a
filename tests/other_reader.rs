//! The lake opens in another engine (DuckDB, through Python): the same row
//! counts as ours, and the same kpi tables from the same SQL of `queries/`.
//! `.ci/run` installs DuckDB.

use crate::support::{Deployment, read_table};
use std::path::Path;
use std::process::Command;
use wmo_monitor::compute::{self, ComputeOptions};
use wmo_monitor::lake::Table;

#[test]
fn duckdb_reads_the_lake_with_the_same_row_counts() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.inbox("bad.xml", b"<not-closed>".as_slice());
    deployment.ingest();
    let lake = deployment.config.paths.lake();
    let script = r#"
import sys, duckdb
lake, tables = sys.argv[1], sys.argv[2:]
for t in tables:
    n = duckdb.sql(f"select count(*) from read_parquet('{lake}/{t}/*.parquet')").fetchall()[0][0]
    print(t, n)
"#;
    let tables: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    let output = Command::new("python3").arg("-c").arg(script).arg(&lake).args(&tables).output().expect("python3 runs");
    assert!(
        output.status.success(),
        "DuckDB could not read the lake (install it with `pip install duckdb`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    for table in Table::ALL {
        let ours = read_table(&lake.join(table.name())).len();
        assert!(ours > 0, "{} has rows", table.name());
        let line = format!("{} {ours}", table.name());
        assert!(printed.lines().any(|l| l == line), "DuckDB disagrees on {}: {printed}", table.name());
    }
}

/// `benches/duckdb_side_by_side.py check`: DuckDB runs the SQL of `queries/` over
/// the lake and compares every kpi table and view with what wmo-monitor gives
/// (run in `folder`, with `config` if given). Returns whether they agree, and
/// what the check printed.
pub fn duckdb_agrees(lake: &Path, folder: &Path, config: Option<&Path>, queries: Option<&Path>) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/duckdb_side_by_side.py");
    let mut command = Command::new("python3");
    command
        .current_dir(folder)
        .arg(script)
        .arg("check")
        .arg(lake)
        .arg("--wmo-monitor")
        .arg(env!("CARGO_BIN_EXE_wmo-monitor"));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    if let Some(queries) = queries {
        command.arg("--queries").arg(queries);
    }
    let output = command.output().expect("python3 runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// The hand fixtures (movers, unlisted stop codes, advance declarations,
/// refused files...) give the same kpi tables in both engines; and a changed
/// definition on one side is caught, with the cell that differs.
#[test]
fn duckdb_computes_the_same_kpi_tables_from_the_same_sql() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    // As of a year after the fixtures' last message, so every figure has its value.
    let as_of = chrono::NaiveDate::from_ymd_opt(2020, 6, 30);
    compute::compute(&deployment.config, &ComputeOptions { as_of, ..Default::default() }).expect("compute --all");
    let lake = deployment.config.paths.lake();
    let config = deployment.config_file();
    let folder = config.parent().expect("the deployment's folder");

    let (agree, printed) = duckdb_agrees(&lake, folder, Some(&config), None);
    assert!(agree, "DuckDB and wmo-monitor disagree on the same SQL:\n{printed}");
    for kpi in ["kpi_wmo", "kpi_aanbieder", "kpi_volledigheid", "kpi_aanbieder_vergelijking", "kpi_matrix"] {
        let line = printed.lines().find(|l| l.starts_with(&format!("{kpi}: "))).unwrap_or_default();
        let rows: usize = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(line.ends_with("rows, the same") && rows > 0, "{kpi} compared on rows:\n{printed}");
    }

    // DuckDB with a queries/ whose repeat-demand window is a day instead of 180.
    let changed = tempfile::tempdir().expect("dir");
    for layer in ["staging", "marts"] {
        std::fs::create_dir(changed.path().join(layer)).expect("dir");
        for entry in
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("queries").join(layer)).expect("queries")
        {
            let path = entry.expect("entry").path();
            let sql = std::fs::read_to_string(&path).expect("sql").replace("interval '180 days'", "interval '1 day'");
            std::fs::write(changed.path().join(layer).join(path.file_name().expect("name")), sql).expect("copy");
        }
    }
    let (agree, printed) = duckdb_agrees(&lake, folder, Some(&config), Some(changed.path()));
    assert!(!agree, "a changed definition goes unnoticed:\n{printed}");
    assert!(printed.contains("kpi_aanbieder: DIFFERENT"), "{printed}");
    assert!(printed.contains("herhaald_beroep_pct"), "the check names the cell that differs:\n{printed}");
}
