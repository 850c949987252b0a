//! `compute` keeps the kpi tables per period in the lake, and the analysts'
//! `sql` session reads them without being able to change anything.

use crate::support::{Deployment, read_table, value};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use wmo_monitor::analyst::output::Format;
use wmo_monitor::analyst::{self, AnalystOptions};
use wmo_monitor::compute::{self, ComputeOptions};
use wmo_monitor::engine::{Layer, QueryFile, QuerySource};

/// The fixtures ingested and every period ended by 2019-09-30 computed.
fn computed() -> Deployment {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    compute::compute(&deployment.config, &ComputeOptions { as_of: Some(SEPTEMBER_30), ..Default::default() })
        .expect("compute --all");
    deployment
}

const SEPTEMBER_30: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2019, 9, 30).expect("a date");

fn again(periode: &str) -> ComputeOptions {
    ComputeOptions {
        periode: Some(periode.parse().expect("a period")),
        as_of: Some(SEPTEMBER_30),
        ..Default::default()
    }
}

/// The kpi tables compute keeps, as the headers of `queries/marts` declare them.
fn kept_tables() -> Vec<(String, String)> {
    let files = QuerySource::Embedded.load().expect("the built-in queries");
    files.iter().filter_map(|f| f.partition().map(|key| (f.name.clone(), key.to_string()))).collect()
}

fn partition(deployment: &Deployment, table: &str, key: &str) -> PathBuf {
    deployment.config.paths.lake().join(table).join(key).join("data.parquet")
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).ino()
}

#[test]
fn compute_all_keeps_every_ended_period_in_its_own_partition_and_records_the_run() {
    let deployment = computed();
    let kept = kept_tables();
    // What compute keeps is what the headers of queries/marts say, read here as text.
    let marts = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/marts");
    let mut declared: Vec<(String, String)> = std::fs::read_dir(&marts)
        .expect("queries/marts")
        .filter_map(|e| {
            let path = e.expect("entry").path();
            let text = std::fs::read_to_string(&path).ok()?;
            let key = text.lines().next()?.strip_prefix("-- @partition: ")?.trim().to_string();
            Some((path.file_stem()?.to_string_lossy().into_owned(), key))
        })
        .collect();
    declared.sort();
    let mut sorted = kept.clone();
    sorted.sort();
    assert_eq!(sorted, declared);
    assert!(declared.contains(&("kpi_begroting".into(), "jaar".into())) && declared.len() >= 9, "{declared:?}");
    for (table, _) in kept.iter().filter(|(_, key)| key == "periode") {
        for periode in ["2019-Q2", "2019-Q3", "2019-H1"] {
            assert!(partition(&deployment, table, &format!("periode={periode}")).exists(), "{table} {periode}");
        }
        assert!(!partition(&deployment, table, "periode=2019-H2").exists(), "{table}: 2019-H2 has not ended");
    }
    assert!(partition(&deployment, "kpi_begroting", "jaar=2019").exists());

    let runs = read_table(&deployment.config.paths.lake().join("berekeningen"));
    assert_eq!(runs.len(), kept.len(), "one row per kpi table");
    assert!(runs.iter().all(|r| value(r, "peildatum") == "2019-09-30" && value(r, "berekening_id") == "1"));
    let wmo = runs.iter().find(|r| value(r, "tabel") == "kpi_wmo").expect("kpi_wmo row");
    assert_eq!(value(wmo, "perioden"), "2019-H1,2019-Q2,2019-Q3", "{wmo:?}");
    let begroting = runs.iter().find(|r| value(r, "tabel") == "kpi_begroting").expect("kpi_begroting row");
    assert_eq!(value(begroting, "perioden"), "2019", "kept per year: {begroting:?}");
}

#[test]
fn recomputing_one_period_replaces_that_period_only() {
    let deployment = computed();
    let q1 = partition(&deployment, "kpi_aanbieder", "periode=2019-Q2");
    let h2 = partition(&deployment, "kpi_aanbieder", "periode=2019-H1");
    let (q1_before, h2_before) = (inode(&q1), inode(&h2));
    let rows_before = read_table(q1.parent().expect("folder"));

    let summary = compute::compute(&deployment.config, &again("2019-q2")).expect("compute --periode");
    assert_eq!(summary.perioden.iter().map(ToString::to_string).collect::<Vec<_>>(), ["2019-Q2"]);
    assert_ne!(inode(&q1), q1_before, "2019-Q2 was written anew");
    assert_eq!(inode(&h2), h2_before, "2019-H1 was left alone");
    assert_eq!(read_table(q1.parent().expect("folder")), rows_before, "and came out the same");
    let runs = read_table(&deployment.config.paths.lake().join("berekeningen"));
    assert_eq!(runs.len(), 2 * kept_tables().len());
}

#[test]
fn an_earlier_as_of_date_sees_only_what_was_known_then() {
    let deployment = computed();
    let elsewhere = tempfile::tempdir().expect("a folder outside the deployment");
    let sql = |as_of: Option<chrono::NaiveDate>| {
        let out = elsewhere.path().join("gedeclareerd.csv");
        analyst::run(
            &deployment.config,
            &AnalystOptions {
                execute: Some("select sum(bedrag) as totaal from stg_declaratieregels".into()),
                file: None,
                format: Format::Csv,
                output: Some(out.clone()),
                as_of,
            },
        )
        .expect("query");
        std::fs::read_to_string(out).expect("result")
    };
    // The declaration of the fixtures is dated 2019-05-06.
    assert_eq!(sql(None), "totaal\n183.12\n");
    // Nothing known yet: an empty sum (a lone empty cell is written as "").
    assert_eq!(sql(chrono::NaiveDate::from_ymd_opt(2019, 5, 5)), "totaal\n\"\"\n");
}

#[test]
fn a_run_interrupted_before_it_was_ready_is_discarded_and_one_after_is_finished() {
    let deployment = computed();
    let lake = deployment.config.paths.lake();
    let existing = partition(&deployment, "kpi_wmo", "periode=2019-Q2");
    for (run, ready) in [("98", true), ("99", false)] {
        let staged = lake
            .join("_berekening")
            .join(run)
            .join("kpi_wmo")
            .join(format!("periode=2030-Q{}", if ready { 1 } else { 2 }));
        std::fs::create_dir_all(&staged).expect("staging");
        std::fs::copy(&existing, staged.join("data.parquet")).expect("copy");
        if ready {
            std::fs::write(lake.join("_berekening").join(run).join("KLAAR"), "").expect("ready");
        }
    }
    let summary = compute::compute(&deployment.config, &again("2019-Q2")).expect("compute");
    assert_eq!(summary.recovered, (1, 1));
    assert!(partition(&deployment, "kpi_wmo", "periode=2030-Q1").exists(), "the ready run was finished");
    assert!(!partition(&deployment, "kpi_wmo", "periode=2030-Q2").exists(), "the unready run was discarded");
    assert!(!lake.join("_berekening").exists());
}

#[test]
fn a_period_that_is_misspelt_or_has_no_data_gets_one_clear_sentence() {
    let deployment = computed();
    let config_file = deployment.config.paths.data.parent().expect("the deployment folder").join("wmo-monitor.toml");
    let misspelt = std::process::Command::new(env!("CARGO_BIN_EXE_wmo-monitor"))
        .arg("--config")
        .arg(&config_file)
        .args(["compute", "--periode", "2019-Q5"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&misspelt.stderr);
    assert!(!misspelt.status.success());
    assert!(stderr.contains("\"2019-Q5\" is not a period: write a quarter as 2019-Q3"), "{stderr}");
    let no_data = compute::compute(&deployment.config, &again("2030-Q1")).expect_err("refused").to_string();
    assert!(no_data.contains("2030-Q1 has no data as of 2019-09-30"), "{no_data}");
}

#[test]
fn the_analysts_session_reads_and_refuses_everything_else() {
    let deployment = computed();
    let elsewhere = tempfile::tempdir().expect("a folder outside the deployment");
    let out = elsewhere.path().join("result.csv");
    std::fs::create_dir_all(&deployment.config.paths.out).expect("out");
    let run = |statement: &str| {
        analyst::run(
            &deployment.config,
            &AnalystOptions {
                execute: Some(statement.to_string()),
                file: None,
                format: Format::Csv,
                output: Some(out.clone()),
                as_of: None,
            },
        )
    };

    run("select periode, clienten from kpi_wmo where periode = '2019-Q2'").expect("a query runs");
    let result = std::fs::read_to_string(&out).expect("result");
    assert!(result.starts_with("periode,clienten\n2019-Q2,"), "{result}");

    let copied = deployment.config.paths.out.join("copied.csv");
    let part = deployment.config.paths.lake().join("toewijzingen").join("part-00000001.parquet");
    assert!(part.exists());
    let refused = [
        format!("create external table t stored as parquet location '{}'", part.display()),
        format!("copy (select * from toewijzingen) to '{}'", copied.display()),
        "insert into toewijzingen (toewijzingnummer) values ('x')".to_string(),
        "drop table toewijzingen".to_string(),
        "drop view kpi_wmo".to_string(),
        "set datafusion.execution.batch_size = 1".to_string(),
        "create view v as select 1".to_string(),
    ];
    for statement in &refused {
        let message = run(statement).expect_err(statement).to_string();
        assert!(message.starts_with("refused: the analysts' session is read-only"), "{statement}: {message}");
    }
    assert!(!copied.exists(), "COPY wrote nothing");

    let message = run(&format!("select * from '{}'", part.display())).expect_err("a file path").to_string();
    assert!(message.starts_with("refused: the analysts' session reads the lake's tables only"), "{message}");
    run("select count(*) from toewijzingen").expect("still there after the refused drop");
}

#[test]
fn the_analysts_output_never_lands_in_a_folder_of_the_deployment() {
    let deployment = computed();
    let run = |output: PathBuf| {
        analyst::run(
            &deployment.config,
            &AnalystOptions {
                execute: Some("select * from toewijzingen".into()),
                file: None,
                format: Format::Parquet,
                output: Some(output),
                as_of: None,
            },
        )
    };
    let lake = deployment.config.paths.lake();
    let part = lake.join("toewijzingen").join("part-00000001.parquet");
    let before = std::fs::read(&part).expect("part");
    let elsewhere = tempfile::tempdir().expect("dir");
    std::os::unix::fs::symlink(&lake, elsewhere.path().join("naar-het-meer")).expect("link");
    for output in [
        part.clone(),
        lake.join("toewijzingen").join("part-99999999.parquet"),
        elsewhere.path().join("naar-het-meer").join("toewijzingen").join("extra.parquet"),
        deployment.config.paths.inbox.join("resultaat.parquet"),
    ] {
        let message = run(output.clone()).expect_err("refused").to_string();
        assert!(message.starts_with("refused: --output"), "{}: {message}", output.display());
    }
    assert_eq!(std::fs::read(&part).expect("part"), before, "the lake part is untouched");
    assert!(!lake.join("toewijzingen").join("part-99999999.parquet").exists());
    assert!(!lake.join("toewijzingen").join("extra.parquet").exists());
    run(elsewhere.path().join("resultaat.parquet")).expect("outside the deployment it writes");
}

#[test]
fn the_analysts_session_bounds_size_nesting_built_values_and_time() {
    let deployment = computed();
    let run = |config: &wmo_monitor::Config, statement: String| {
        analyst::run(
            config,
            &AnalystOptions { execute: Some(statement), file: None, format: Format::Csv, output: None, as_of: None },
        )
        .map_err(|e| e.to_string())
    };
    let config = &deployment.config;
    let huge = format!("select {}1", "1+".repeat(5_000_000));
    let message = run(config, huge).expect_err("10 MB");
    assert!(message.starts_with("refused: the SQL is"), "{message}");
    let chain: Vec<String> = (0..20_000).map(|i| format!("toewijzingnummer = '{i}'")).collect();
    let message =
        run(config, format!("select count(*) from toewijzingen where {}", chain.join(" or "))).expect_err("deep");
    assert!(message.starts_with("refused: the statement nests"), "{message}");
    let nested = format!("select {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let message = run(config, nested).expect_err("deep parentheses");
    assert!(message.contains("nests") || message.contains("does not parse"), "{message}");
    for builder in [
        "select length(repeat('x', 1000000000))",
        "select length(lpad('x', 1000000000))",
        "select cardinality(range(1, 10000000000))",
        "select cardinality(array_repeat(1, 1000000000))",
    ] {
        let message = run(config, builder.to_string()).expect_err(builder);
        assert!(message.contains("more memory than the session may use"), "{builder}: {message}");
    }
    run(config, "select length(repeat('x', 1000)), cardinality(range(1, 1000))".into())
        .expect("small values are built");
    // The limit counts from before planning: with no time at all, a planned
    // statement is never started.
    let mut hasty = config.clone();
    hasty.query_timeout = std::time::Duration::ZERO;
    let message = run(&hasty, "select count(*) from toewijzingen".into()).expect_err("no time at all");
    assert!(message.contains("stopped after 0 s"), "{message}");
}

#[test]
fn every_file_of_queries_is_built_in_and_a_folder_can_replace_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let from_folder = wmo_monitor::engine::QuerySource::Folder(root).load().expect("queries/");
    let built_in = wmo_monitor::engine::QuerySource::Embedded.load().expect("embedded");
    let names = |files: &[wmo_monitor::engine::QueryFile]| {
        let mut names: Vec<(String, String)> = files.iter().map(|f| (f.name.clone(), f.sql.clone())).collect();
        names.sort();
        names
    };
    assert_eq!(names(&from_folder), names(&built_in), "build.rs embeds every file of queries/");

    // A definition changed in a folder named in the configuration takes effect without a rebuild.
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let folder = deployment.config.paths.data.join("my-queries");
    for file in &built_in {
        let dir = folder.join(file.layer.folder());
        std::fs::create_dir_all(&dir).expect("folder");
        let sql = if file.name == "kpi_wmo" {
            format!("-- @partition: periode\nselect *, 42 as antwoord from ({})", file.sql)
        } else {
            file.sql.clone()
        };
        std::fs::write(dir.join(format!("{}.sql", file.name)), sql).expect("write");
    }
    // A new kpi table is one file: its header says how compute keeps it.
    std::fs::write(
        folder.join("marts").join("kpi_proef.sql"),
        "-- @partition: periode\n-- A test mart: months per period.\n-- * maanden: months\n\
         select periode, count(*) as maanden from stg_maand_perioden group by periode\n",
    )
    .expect("write");
    let mut config = deployment.config.clone();
    config.paths.queries = Some(folder.clone());
    compute::compute(&config, &ComputeOptions { as_of: Some(SEPTEMBER_30), ..Default::default() }).expect("compute");
    let rows = read_table(&config.paths.lake().join("kpi_wmo").join("periode=2019-Q2"));
    assert_eq!(value(&rows[0], "antwoord"), "42");
    let proef = read_table(&config.paths.lake().join("kpi_proef").join("periode=2019-H1"));
    assert_eq!(value(&proef[0], "maanden"), "6");

    // A directive the engine does not know is refused at load, with the file.
    std::fs::write(folder.join("marts").join("kpi_proef.sql"), "-- @partitie: periode\nselect 1 as x\n")
        .expect("write");
    let error = QuerySource::Folder(folder.clone()).load().expect_err("a misspelt directive").to_string();
    assert!(error.contains("kpi_proef.sql") && error.contains("`@partitie` is no directive"), "{error}");
    std::fs::write(folder.join("marts").join("kpi_proef.sql"), "-- @partition: maand\nselect 1 as x\n").expect("write");
    let error = QuerySource::Folder(folder).load().expect_err("an unknown partition column").to_string();
    assert!(error.contains("kpi_proef.sql") && error.contains("`@partition: maand`"), "{error}");
}

#[test]
fn views_are_created_in_the_order_of_the_tables_they_read_and_a_circle_is_named() {
    let file = |layer, name: &str, sql: &str| QueryFile {
        layer,
        name: name.into(),
        sql: sql.into(),
        origin: format!("{name}.sql"),
    };
    let files = vec![
        file(
            Layer::Marts,
            "kpi_b",
            "select * from stg_a join (with stg_c as (select 1) select * from stg_c) c on true",
        ),
        file(Layer::Staging, "stg_a", "select x from (select 1 as x) where x in (select y from stg_c)"),
        file(Layer::Staging, "stg_c", "select 2 as y from toewijzingen"),
    ];
    let order: Vec<&str> =
        wmo_monitor::engine::queries::in_order(&files).expect("no circle").iter().map(|f| f.name.as_str()).collect();
    assert_eq!(order, ["stg_c", "stg_a", "kpi_b"]);
    let circle = vec![
        file(Layer::Staging, "stg_a", "select * from stg_c"),
        file(Layer::Staging, "stg_c", "select * from stg_a"),
        file(Layer::Staging, "stg_d", "select 1"),
    ];
    let error = wmo_monitor::engine::queries::in_order(&circle).expect_err("a circle").to_string();
    assert_eq!(error, "these query files read each other in a circle: stg_a.sql, stg_c.sql");
}

#[test]
fn the_analysts_session_writes_json_parquet_and_rounded_percentages_and_stops_a_statement_that_runs_too_long() {
    let deployment = computed();
    let elsewhere = tempfile::tempdir().expect("a folder outside the deployment");
    let run = |config: &wmo_monitor::Config, statement: &str, format: Format, output: &Path| {
        analyst::run(
            config,
            &AnalystOptions {
                execute: Some(statement.to_string()),
                file: None,
                format,
                output: Some(output.to_path_buf()),
                as_of: None,
            },
        )
    };
    let json = elsewhere.path().join("wmo.json");
    run(
        &deployment.config,
        "select periode, verwacht, doelrealisatie_niet_pct from kpi_wmo order by periode",
        Format::Json,
        &json,
    )
    .expect("json");
    let text = std::fs::read_to_string(&json).expect("json file");
    assert!(text.starts_with("[{\"periode\":\"2019-H1\""), "{text}");
    assert!(text.contains("\"doelrealisatie_niet_pct\":null"), "empty values are null: {text}");

    // For Dutch Excel: a byte-order mark, semicolons, decimal commas; whole numbers and text as they are.
    let dutch = elsewhere.path().join("wmo-nl.csv");
    run(
        &deployment.config,
        "select 'Coöperatie; Wijkkracht' as naam, cast(1234.5 as decimal(10, 2)) as bedrag, 12 as aantal, 0.25 as deel",
        Format::CsvNl,
        &dutch,
    )
    .expect("csv-nl");
    let text = std::fs::read_to_string(&dutch).expect("csv file");
    assert_eq!(text, "\u{feff}naam;bedrag;aantal;deel\n\"Coöperatie; Wijkkracht\";1234,50;12;0,25\n");

    // On screen a percentage shows to one decimal, rounded half away from zero as in the
    // reports; CSV keeps it exact.
    let percentages = "select cast(12.25 as decimal(38, 14)) as groei_pct, cast(-12.25 as decimal(38, 14)) as krimp_pct, \
                       cast(12.25 as decimal(10, 2)) as bedrag";
    let screen = elsewhere.path().join("screen.txt");
    run(&deployment.config, percentages, Format::Table, &screen).expect("table");
    let text = std::fs::read_to_string(&screen).expect("table file");
    assert!(text.contains("| 12.3      | -12.3     | 12.25  |"), "{text}");
    assert!(text.contains("_pct columns shown to one decimal, --format csv gives them exact"), "{text}");
    let exact = elsewhere.path().join("exact.csv");
    run(&deployment.config, percentages, Format::Csv, &exact).expect("csv");
    assert_eq!(
        std::fs::read_to_string(&exact).expect("csv file"),
        "groei_pct,krimp_pct,bedrag\n12.25000000000000,-12.25000000000000,12.25\n"
    );

    let folder = elsewhere.path().join("parquet");
    std::fs::create_dir_all(&folder).expect("folder");
    run(&deployment.config, "select * from stg_trajecten", Format::Parquet, &folder.join("trajecten.parquet"))
        .expect("parquet");
    let rows = read_table(&folder);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains_key("traject_nr")), "the Parquet file reads back");

    let mut impatient = deployment.config.clone();
    impatient.query_timeout = std::time::Duration::from_millis(300);
    let slow = "select count(*) from generate_series(1, 2000000000) a";
    let message =
        run(&impatient, slow, Format::Csv, &elsewhere.path().join("slow.csv")).expect_err("stopped").to_string();
    assert!(message.contains("the statement was stopped after"), "{message}");
}

#[test]
fn the_analysts_session_stops_quietly_when_its_reader_closes_the_pipe() {
    use std::io::BufRead;
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let config_file = deployment.config.paths.data.parent().expect("the deployment folder").join("wmo-monitor.toml");
    // `wmo-monitor sql ... | head -2`: far more rows than a pipe holds, and a reader that leaves.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wmo-monitor"))
        .arg("--config")
        .arg(&config_file)
        .args(["sql", "--format", "csv", "-e", "select value from generate_series(1, 5000000)"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().expect("a header").expect("text"), "value");
    assert_eq!(lines.next().expect("a row").expect("text"), "1");
    drop(lines);
    let output = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr, "", "nothing to report when the reader has what it wanted");
}

#[test]
fn a_message_dated_in_the_future_does_not_move_the_figures_date() {
    let deployment = Deployment::new().with_all_fixtures();
    let future = crate::support::fixture_text("inbox/wmo305.xml")
        .replacen("<iwmo:Dagtekening>2019-02-06<", "<iwmo:Dagtekening>2099-02-06<", 1)
        .replacen("S4015000001", "S4015000099", 1);
    deployment.inbox("toekomst.xml", future);
    deployment.ingest();
    let elsewhere = tempfile::tempdir().expect("dir");
    let out = elsewhere.path().join("peildatum.csv");
    let options = AnalystOptions {
        execute: Some("select peildatum from peildatum".into()),
        file: None,
        format: Format::Csv,
        output: Some(out.clone()),
        as_of: None,
    };
    analyst::run(&deployment.config, &options).expect("query");
    // The fixtures' latest message is the declaration of 2019-05-06.
    assert_eq!(std::fs::read_to_string(&out).expect("result"), "peildatum\n2019-05-06\n");
}

#[test]
fn the_signals_thresholds_are_checked_with_the_files_name() {
    use wmo_monitor::engine::drempels::Drempels;
    let built_in = Drempels::load(&QuerySource::Embedded).expect("the built-in thresholds");
    assert_eq!((built_in.stille_aanbieder.maanden, built_in.dure_trajecten.bedrag), (2, 25000));
    let root = tempfile::tempdir().expect("a folder");
    std::fs::create_dir_all(root.path().join("signals")).expect("signals");
    let text = include_str!("../queries/signals/drempels.toml");
    let write = |text: &str| std::fs::write(root.path().join("signals/drempels.toml"), text).expect("write");
    let folder = QuerySource::Folder(root.path().to_path_buf());
    write(&text.replace("maanden = 2 ", "maanden = 3 "));
    assert_eq!(Drempels::load(&folder).expect("a changed threshold").stille_aanbieder.maanden, 3);
    write(&text.replace("maanden = 2 ", "maanden = 0 "));
    let error = Drempels::load(&folder).expect_err("out of range").to_string();
    assert!(
        error.contains("drempels.toml") && error.contains("stille_aanbieder_maanden = 0 lies outside 1..=24"),
        "{error}"
    );
    write(&text.replace("[late_start]", "[late_start]\nweken = 2"));
    let error = Drempels::load(&folder).expect_err("an unknown setting").to_string();
    assert!(error.contains("drempels.toml") && error.contains("weken"), "{error}");
}

#[test]
fn the_catalogue_filters_by_name_and_shows_the_sql_behind_a_view() {
    let config = wmo_monitor::Config::load(None).expect("the embedded defaults");
    let matching = wmo_monitor::engine::describe::markdown_matching(&config, "BEGROTING").expect("some match");
    let names: Vec<&str> = matching.lines().filter_map(|l| l.strip_prefix("#### ")).collect();
    assert_eq!(names, ["`begroting` (lake table)", "`stg_begroting` (staging view)", "`kpi_begroting` (kpi table)"]);
    let none = wmo_monitor::engine::describe::markdown_matching(&config, "xyz").expect_err("nothing matches");
    assert!(none.to_string().contains("no table or view has \"xyz\" in its name"), "{none}");

    let sql = wmo_monitor::engine::describe::sql_of(&config, "kpi_begroting").expect("its SQL");
    assert!(sql.starts_with("-- queries/marts/kpi_begroting.sql"), "{sql}");
    assert!(sql.contains("-- @partition: jaar") && sql.contains("from met_prognose j"), "{sql}");
    let raw = wmo_monitor::engine::describe::sql_of(&config, "laadlog").expect_err("no SQL");
    assert!(raw.to_string().contains("laadlog is a lake table"), "{raw}");
}

#[test]
fn the_readmes_statement_puts_periods_in_time_order() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let december = chrono::NaiveDate::from_ymd_opt(2019, 12, 31).expect("a date");
    compute::compute(&deployment.config, &ComputeOptions { as_of: Some(december), ..Default::default() })
        .expect("compute --all");
    let statement = "select k.* from kpi_wmo k join stg_perioden p using (periode) order by p.periode_begin, p.maanden";
    assert!(crate::readme::README.contains(statement), "the README shows this statement");
    let elsewhere = tempfile::tempdir().expect("a folder outside the deployment");
    let first_column = |statement: &str| -> Vec<String> {
        let csv = elsewhere.path().join("result.csv");
        let options = AnalystOptions {
            execute: Some(statement.to_string()),
            file: None,
            format: Format::Csv,
            output: Some(csv.clone()),
            as_of: Some(december),
        };
        analyst::run(&deployment.config, &options).expect("it runs");
        let text = std::fs::read_to_string(&csv).expect("csv");
        text.lines().skip(1).filter_map(|line| line.split(',').next()).map(str::to_string).collect()
    };
    // As text, 2019-H2 would come before 2019-Q3.
    assert_eq!(first_column(statement), ["2019-H1", "2019-Q2", "2019-Q3", "2019-H2", "2019-Q4"]);
}

/// Views are planned when a statement first reads them: a kpi query runs
/// while a view it does not read is broken, and a statement that reads the
/// broken view gets one sentence naming its file.
#[test]
fn a_broken_view_stops_only_the_statements_that_read_it() {
    let deployment = computed();
    let folder = deployment.config.paths.data.join("my-queries");
    for file in QuerySource::Embedded.load().expect("the built-in queries") {
        let dir = folder.join(file.layer.folder());
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join(format!("{}.sql", file.name)), &file.sql).expect("write");
    }
    std::fs::write(folder.join("staging").join("stg_kapot.sql"), "select geen_kolom from toewijzingen\n")
        .expect("write");
    let mut config = deployment.config.clone();
    config.paths.queries = Some(folder);
    let elsewhere = tempfile::tempdir().expect("dir");
    let out = elsewhere.path().join("result.csv");
    let run = |statement: &str| {
        let options = AnalystOptions {
            execute: Some(statement.into()),
            file: None,
            format: Format::Csv,
            output: Some(out.clone()),
            as_of: None,
        };
        analyst::run(&config, &options).map(|_| std::fs::read_to_string(&out).expect("result"))
    };

    let kpi = run("select periode, clienten from kpi_wmo where periode = '2019-Q2'").expect("a kpi query");
    assert!(kpi.starts_with("periode,clienten\n2019-Q2,"), "{kpi}");
    // A view over other views, planned on its first read.
    let staging = run("select count(*) as n from stg_trajecten").expect("a staging view");
    assert!(staging.starts_with("n\n") && staging != "n\n0\n", "{staging}");
    let error = run("select * from stg_kapot").expect_err("the broken view").to_string();
    assert!(error.contains("stg_kapot.sql does not plan") && error.contains("geen_kolom"), "{error}");
    assert_eq!(error.trim().lines().count(), 1, "one sentence: {error}");
}
