//! The lake opens in another Parquet reader (DuckDB, through Python) with the
//! same row counts as ours. `.ci/run` installs DuckDB.

use crate::support::{Deployment, read_table};
use std::process::Command;
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
