//! `wmo-monitor sql`: the analysts' read-only session over the raw tables, the
//! staging views and the materialised kpi tables. Statements come from `-e`,
//! from a file, or from an interactive prompt with history; results go to
//! stdout (nothing else does) or to a file.

use super::catalog;
use super::output::{Format, ResultWriter, Sink, Stdout};
use super::queries::{self, Layer};
use super::session::{self, Limits};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::Lake;
use chrono::NaiveDate;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use futures::StreamExt;
use std::io::BufWriter;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct AnalystOptions {
    /// Statements given with `-e`.
    pub execute: Option<String>,
    /// A file of statements (`-f`).
    pub file: Option<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub as_of: Option<NaiveDate>,
}

/// A session over the lake for analysts: every committed lake table, the
/// staging views and the kpi tables that `compute` materialised.
pub async fn open(config: &Config, as_of: Option<NaiveDate>, limits: &Limits) -> Result<SessionContext> {
    let ctx = session::context(limits)?;
    let lake = Lake::open(&config.paths.lake())?;
    catalog::register_lake(&ctx, &lake).await?;
    let peildatum = match as_of {
        Some(date) => Some(date),
        None => catalog::latest_dagtekening(&ctx).await?,
    };
    catalog::register_peildatum(&ctx, peildatum)?;
    let staging: Vec<_> = config.query_source().load()?.into_iter().filter(|f| f.layer == Layer::Staging).collect();
    queries::register(&ctx, &staging).await?;
    catalog::register_materialised_tables(&ctx, &lake).await?;
    Ok(ctx)
}

pub fn run(config: &Config, options: &AnalystOptions) -> Result<()> {
    let limits = config.query_limits();
    let runtime = session::runtime()?;
    runtime.block_on(async {
        let ctx = open(config, options.as_of, &limits).await?;
        let text = match (&options.execute, &options.file) {
            (Some(text), _) => Some(text.clone()),
            (None, Some(file)) => Some(std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?),
            (None, None) => None,
        };
        match text {
            Some(text) => run_script(&ctx, &text, options, &limits).await,
            None => interactive(&ctx, config, options, &limits).await,
        }
    })
}

async fn run_script(ctx: &SessionContext, text: &str, options: &AnalystOptions, limits: &Limits) -> Result<()> {
    let statements = split(text)?;
    if statements.len() > 1 && (options.output.is_some() || options.format != Format::Table) {
        return Err(Error::Sql(format!(
            "--output and --format {} take one statement, and this input has {}",
            format_name(options.format),
            statements.len()
        )));
    }
    let stdout = Stdout::default();
    for statement in statements {
        let sink: Sink = match &options.output {
            Some(path) => Box::new(BufWriter::new(
                std::fs::File::create(path).map_err(Error::io("cannot create the output file", path))?,
            )),
            None if options.format == Format::Parquet => {
                return Err(Error::Sql("Parquet output needs a file: add --output FILE".into()));
            }
            None => Box::new(BufWriter::new(stdout.clone())),
        };
        match execute(ctx, statement, options.format, sink, limits).await {
            Err(_) if stdout.reader_gone() => return Ok(()),
            result => result?,
        }
    }
    Ok(())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Parquet => "parquet",
    }
}

type Statement = datafusion::sql::parser::Statement;

fn split(text: &str) -> Result<Vec<Statement>> {
    let statements = DFParser::parse_sql(text)
        .map_err(|e| Error::Sql(format!("the SQL does not parse: {}", queries::first_line(&e.to_string()))))?;
    Ok(statements.into_iter().collect())
}

/// What the analysts' session may do: read.
pub fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// Plans, checks and runs one statement within the time limit, writing its
/// rows as they arrive.
pub async fn execute(
    ctx: &SessionContext,
    statement: Statement,
    format: Format,
    sink: Sink,
    limits: &Limits,
) -> Result<()> {
    let state = ctx.state();
    let plan = state.statement_to_plan(statement).await.map_err(explain)?;
    read_only().verify_plan(&plan).map_err(explain)?;
    let frame = ctx.execute_logical_plan(plan).await.map_err(explain)?;
    let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
    let work = async {
        let mut stream = frame.execute_stream().await.map_err(explain)?;
        let mut writer = ResultWriter::new(format, schema, sink)?;
        while let Some(batch) = stream.next().await {
            writer.write(&batch.map_err(explain)?)?;
        }
        writer.finish()
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::Sql(format!(
            "the statement was stopped after {} s (the limit is [query] timeout_seconds in the configuration)",
            limits.timeout.as_secs()
        ))),
    }
}

/// One clear sentence for the analyst.
fn explain(e: DataFusionError) -> Error {
    let text = e.to_string();
    let first = queries::first_line(&text);
    if first.contains("not supported")
        && (first.contains("DDL") || first.contains("DML") || first.contains("Statement"))
    {
        return Error::Sql(
            "refused: the analysts' session is read-only, so CREATE, DROP, INSERT, UPDATE, DELETE, COPY and SET are not allowed"
                .into(),
        );
    }
    if let Some(name) = missing_table(first) {
        if name.contains('/') || name.contains('.') || name.contains(':') {
            return Error::Sql(format!(
                "refused: the analysts' session reads the lake's tables only, not files or URLs such as '{name}' (list the tables with \\d or `wmo-monitor tables`)"
            ));
        }
        return Error::Sql(format!(
            "there is no table '{name}' (list the tables with \\d or `wmo-monitor tables`; kpi tables appear after `wmo-monitor compute`)"
        ));
    }
    if let DataFusionError::ResourcesExhausted(_) = e.find_root() {
        return Error::Sql(format!(
            "the query needs more memory than the session may use ([query] memory_megabytes): {first}"
        ));
    }
    Error::Sql(format!("the query failed: {first}"))
}

fn missing_table(message: &str) -> Option<&str> {
    let rest = &message[message.find("table '")? + "table '".len()..];
    let name = &rest[..rest.find("' not found")?];
    Some(name.rsplit_once("datafusion.public.").map_or(name, |(_, n)| n))
}

async fn interactive(ctx: &SessionContext, config: &Config, options: &AnalystOptions, limits: &Limits) -> Result<()> {
    use rustyline::error::ReadlineError;
    let mut editor =
        rustyline::DefaultEditor::new().map_err(|e| Error::Sql(format!("cannot start the interactive prompt: {e}")))?;
    let history = config.paths.data.join(".sql_history");
    let _ = editor.load_history(&history);
    eprintln!(
        "wmo-monitor sql: read-only SQL over the lake. End a statement with ';'. \\d lists tables, \\d NAME its columns, \\q quits."
    );
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "wmo> " } else { "...> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Error::Sql(format!("cannot read the prompt: {e}"))),
        };
        let trimmed = line.trim();
        if pending.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            match trimmed.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["\\q"] => break,
                ["\\d"] => print_tables(config).await,
                ["\\d", name] => print_columns(config, name).await,
                _ => eprintln!("unknown command {trimmed}: \\d, \\d NAME or \\q"),
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        pending.push_str(&line);
        pending.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let text = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(text.trim());
        let result = async {
            for statement in split(&text)? {
                let sink: Sink = Box::new(BufWriter::new(std::io::stdout()));
                execute(ctx, statement, options.format, sink, limits).await?;
            }
            Ok::<(), Error>(())
        }
        .await;
        if let Err(e) = result {
            eprintln!("{e}");
        }
    }
    let _ = editor.save_history(&history);
    Ok(())
}

async fn print_tables(config: &Config) {
    match super::describe::catalogue(config).await {
        Ok(entries) => {
            let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            for entry in entries {
                println!("{:width$}  {:<12}  {}", entry.name, entry.kind, entry.description);
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}

async fn print_columns(config: &Config, name: &str) {
    let name = name.trim_end_matches(';');
    match super::describe::catalogue(config).await {
        Ok(entries) => match entries.iter().find(|e| e.name == name) {
            Some(entry) => {
                println!("{} ({}): {}", entry.name, entry.kind, entry.description);
                let width = entry.columns.iter().map(|c| c.0.len()).max().unwrap_or(0);
                for (column, ty, doc) in &entry.columns {
                    println!("  {column:width$}  {ty:<14}  {doc}");
                }
            }
            None => eprintln!("there is no table '{name}' (\\d lists them)"),
        },
        Err(e) => eprintln!("{e}"),
    }
}
