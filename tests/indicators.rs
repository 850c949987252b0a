//! The indicators of indicators.md on tiny hand-computed lakes. Each file in
//! `tests/indicators/` is a sqllogictest script: it fills the lake's tables
//! (in memory, same columns as the Parquet lake) with a few rows, then checks
//! the staging views and kpi views of `queries/` against figures worked out
//! by hand in the file's comments.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use sqllogictest::{DBOutput, DefaultColumnType};
use std::path::Path;
use std::sync::Arc;
use wmo_monitor::engine::QuerySource;
use wmo_monitor::lake::Table;

struct FixtureLake {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct FixtureError(String);

impl FixtureLake {
    fn new() -> FixtureLake {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let config = SessionConfig::new().set_bool("datafusion.sql_parser.parse_float_as_decimal", true);
        let ctx = SessionContext::new_with_config(config);
        wmo_monitor::engine::functions::register(&ctx);
        for table in Table::ALL {
            register_empty(&ctx, table.name(), &table.def().arrow_schema());
        }
        let peildatum =
            Schema::new(vec![Field::new("peildatum", datafusion::arrow::datatypes::DataType::Date32, true)]);
        register_empty(&ctx, "peildatum", &peildatum);
        wmo_monitor::engine::drempels::Drempels::load(&QuerySource::Embedded)
            .expect("the built-in thresholds")
            .register(&ctx)
            .expect("drempels");
        let files = QuerySource::Embedded.load().expect("embedded queries");
        runtime.block_on(wmo_monitor::engine::queries::register(&ctx, &files)).expect("every view plans");
        FixtureLake { ctx, runtime }
    }
}

/// An empty in-memory table the script can INSERT into; every column may be
/// left empty so a script names only the columns its case is about.
fn register_empty(ctx: &SessionContext, name: &str, schema: &Schema) {
    let fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let table = MemTable::try_new(schema, vec![vec![]]).expect("memtable");
    ctx.register_table(name, Arc::new(table)).expect("register");
}

impl sqllogictest::DB for FixtureLake {
    type Error = FixtureError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, FixtureError> {
        let ctx = &self.ctx;
        let batches: Vec<RecordBatch> = self
            .runtime
            .block_on(async { ctx.sql(sql).await?.collect().await })
            .map_err(|e| FixtureError(e.to_string()))?;
        let first_word = sql.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
        if matches!(first_word.as_str(), "insert" | "create" | "drop" | "delete" | "update") {
            return Ok(DBOutput::StatementComplete(0));
        }
        let mut rows = Vec::new();
        let mut types = Vec::new();
        for batch in &batches {
            types = vec![DefaultColumnType::Any; batch.num_columns()];
            for row in 0..batch.num_rows() {
                let cells = (0..batch.num_columns())
                    .map(|c| {
                        if batch.column(c).is_null(row) {
                            Ok("NULL".to_string())
                        } else {
                            array_value_to_string(batch.column(c), row).map_err(|e| FixtureError(e.to_string()))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push(cells);
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

fn run_script(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/indicators").join(name);
    let mut runner = sqllogictest::Runner::new(|| async { Ok(FixtureLake::new()) });
    // Types are not checked (the values are); a script may write any type letters.
    runner.with_column_validator(|_, _| true);
    if let Err(e) = runner.run_file(&path) {
        panic!("{}: {}", path.display(), e.display(true));
    }
}

#[test]
fn every_script_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/indicators");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/indicators")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".slt"))
        .collect();
    found.sort();
    let mut listed: Vec<String> = SCRIPTS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "each tests/indicators/*.slt needs a #[test] below");
}

/// DuckDB runs the same scripts on the SQL of `queries/` (translated by
/// `benches/duckdb_side_by_side.py slt`) and gets the figures worked out by hand
/// too: a wrong answer of either engine on these edge cases fails here.
#[test]
fn duckdb_gets_the_hand_computed_figures_too() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("python3")
        .arg(root.join("benches/duckdb_side_by_side.py"))
        .arg("slt")
        .args(SCRIPTS.iter().map(|script| root.join("tests/indicators").join(script)))
        .output()
        .expect("python3 runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "DuckDB differs from the hand-computed figures:\n{printed}");
    let checked: usize =
        printed.lines().filter_map(|l| l.split(": ").nth(1)?.split_whitespace().next()?.parse::<usize>().ok()).sum();
    assert!(checked >= 40, "the scripts' queries ran on DuckDB:\n{printed}");
}

macro_rules! scripts {
    ($($test:ident => $file:literal),* $(,)?) => {
        const SCRIPTS: &[&str] = &[$($file),*];
        $(#[test] fn $test() { run_script($file); })*
    };
}

scripts! {
    allocation_versions => "allocation_versions.slt",
    completeness => "completeness.slt",
    concentration => "concentration.slt",
    declarations => "declarations.slt",
    districts_and_budget => "districts_and_budget.slt",
    end_reasons => "end_reasons.slt",
    expected_cost => "expected_cost.slt",
    experience_and_goals => "experience_and_goals.slt",
    maatwerk => "maatwerk.slt",
    movers => "movers.slt",
    signals => "signals.slt",
    signals_money => "signals_money.slt",
    trajectories => "trajectories.slt",
    transitions => "transitions.slt",
}
