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
    let result = runtime.block_on(async {
        let ctx = open(config, options.as_of, &limits).await?;
        let text = match (&options.execute, &options.file) {
            (Some(text), _) => Some(text.clone()),
            (None, Some(file)) => Some(std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?),
            (None, None) => None,
        };
        match text {
            Some(text) => run_script(&ctx, config, &text, options, &limits).await,
            None => interactive(&ctx, config, options, &limits).await,
        }
    });
    // A statement stopped at its time limit may still be planning on a
    // worker: do not wait for it.
    runtime.shutdown_background();
    result
}

async fn run_script(
    ctx: &SessionContext,
    config: &Config,
    text: &str,
    options: &AnalystOptions,
    limits: &Limits,
) -> Result<()> {
    let statements = split(text)?;
    if statements.len() > 1 && (options.output.is_some() || options.format != Format::Table) {
        return Err(Error::Sql(format!(
            "--output and --format {} take one statement, and this input has {}",
            format_name(options.format),
            statements.len()
        )));
    }
    if let Some(path) = &options.output {
        check_output_path(config, path)?;
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

/// An output file may not land in a folder of the deployment: a file in
/// the lake would be read as a part of a table (or break it), one in the
/// inbox would be ingested. Links are resolved first, so a link out of a
/// harmless folder into the lake is caught too.
fn check_output_path(config: &Config, path: &std::path::Path) -> Result<()> {
    let resolved = resolve(path);
    for (folder, what) in config.paths.deployment_folders() {
        let Ok(folder) = folder.canonicalize() else { continue };
        if resolved.starts_with(&folder) {
            return Err(Error::Sql(format!(
                "refused: --output {} lies in {what} ({}); write the result outside the deployment's folders",
                path.display(),
                folder.display()
            )));
        }
    }
    Ok(())
}

/// The path with every link resolved, as far as it exists; the part that
/// does not exist yet is appended as written.
fn resolve(path: &std::path::Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |path: PathBuf, part| path.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
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

/// The longest SQL text the analysts' session takes at once.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;
/// How deeply expressions and subqueries may nest; a chain of N `OR`s nests N
/// deep. Planning and optimising recurse once per level.
pub const MAX_NESTING: usize = 200;
/// Parsing and measuring recurse once per level too, before the nesting is
/// known: a thread with this much stack (reserved, not used) takes any text
/// of [`MAX_STATEMENT_BYTES`].
const PARSE_STACK_BYTES: usize = 1 << 30;

/// Parses the text into statements, after checking its size and before any
/// planning its nesting, so that no statement can overflow the stack.
fn split(text: &str) -> Result<Vec<Statement>> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(Error::Sql(format!(
            "refused: the SQL is {} KB, more than the {} KB the analysts' session takes",
            text.len() / 1024,
            MAX_STATEMENT_BYTES / 1024
        )));
    }
    let text = text.to_string();
    let parse = move || -> Result<Vec<Statement>> {
        let statements = DFParser::parse_sql(&text)
            .map_err(|e| Error::Sql(format!("the SQL does not parse: {}", queries::first_line(&e.to_string()))))?;
        for statement in &statements {
            let depth = nesting(statement);
            if depth > MAX_NESTING {
                return Err(Error::Sql(format!(
                    "refused: the statement nests expressions or subqueries more than {MAX_NESTING} deep (a long chain of OR or AND counts one level per term); use IN (...) or a join instead"
                )));
            }
        }
        Ok(statements.into_iter().collect())
    };
    // A refused deep statement is dropped on that thread too: dropping recurses.
    std::thread::Builder::new()
        .name("sql-parse".into())
        .stack_size(PARSE_STACK_BYTES)
        .spawn(parse)
        .map_err(|e| Error::Sql(format!("cannot start the SQL parser: {e}")))?
        .join()
        .map_err(|_| Error::Sql("the SQL parser stopped unexpectedly".into()))?
}

/// How deeply the expressions and queries of a statement nest.
fn nesting(statement: &Statement) -> usize {
    use datafusion::sql::sqlparser::ast::{Expr, Query, Visit, Visitor};
    use std::ops::ControlFlow;
    #[derive(Default)]
    struct Depth {
        current: usize,
        deepest: usize,
    }
    impl Depth {
        fn enter(&mut self) -> ControlFlow<()> {
            self.current += 1;
            self.deepest = self.deepest.max(self.current);
            // Past the limit the answer is known; measuring on would only recurse deeper.
            if self.current > MAX_NESTING { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        }
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.enter()
        }
        fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.current -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.enter()
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.current -= 1;
            ControlFlow::Continue(())
        }
    }
    let mut depth = Depth::default();
    match statement {
        Statement::Statement(inner) => {
            let _ = inner.visit(&mut depth);
        }
        Statement::Explain(explain) => return nesting(&explain.statement) + 1,
        // Anything else is refused by the read-only check.
        _ => {}
    }
    depth.deepest
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
    let ctx = ctx.clone();
    let timeout = limits.timeout;
    let started = std::time::Instant::now();
    // Planning counts against the time limit too, and it may not yield (an
    // optimiser pass is plain CPU work): the statement runs as a task of its
    // own, so the limit fires on another thread, on time; and a plan that used
    // up the time is not started.
    let work = tokio::spawn(async move {
        let state = ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(explain)?;
        read_only().verify_plan(&plan).map_err(explain)?;
        let frame = ctx.execute_logical_plan(plan).await.map_err(explain)?;
        if started.elapsed() >= timeout {
            return Err(stopped(timeout));
        }
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let mut stream = frame.execute_stream().await.map_err(explain)?;
        let mut writer = ResultWriter::new(format, schema, sink)?;
        while let Some(batch) = stream.next().await {
            writer.write(&batch.map_err(explain)?)?;
        }
        writer.finish()
    });
    let abort = work.abort_handle();
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(Error::Sql(format!("the statement stopped unexpectedly: {e}"))),
        Err(_) => {
            abort.abort();
            Err(stopped(timeout))
        }
    }
}

fn stopped(timeout: std::time::Duration) -> Error {
    Error::Sql(format!(
        "the statement was stopped after {} s (the limit is [query] timeout_seconds in the configuration)",
        timeout.as_secs()
    ))
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
