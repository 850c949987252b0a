//! `wmo-monitor sql`: the analysts' read-only session over the raw tables, the
//! staging views and the materialised kpi tables. Statements come from `-e`,
//! from a file, or from an interactive prompt with history; results go to
//! stdout (nothing else does) or to a file.

pub mod output;

use crate::config::Config;
use crate::engine::session::{self, Limits};
use crate::engine::statement::{self, Statement, explain};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use output::{Format, ResultWriter, Sink, Stdout};
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

pub fn run(config: &Config, options: &AnalystOptions) -> Result<()> {
    let limits = crate::engine::Limits::of(config);
    let runtime = session::runtime()?;
    let result = runtime.block_on(async {
        let ctx = crate::engine::open(config, options.as_of, &limits).await?;
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
    let statements = statement::parse(text)?;
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
        Format::CsvNl => "csv-nl",
        Format::Json => "json",
        Format::Parquet => "parquet",
    }
}

/// Runs one statement within the time limit, writing its rows as they arrive.
async fn execute(
    ctx: &SessionContext,
    statement: Statement,
    format: Format,
    sink: Sink,
    limits: &Limits,
) -> Result<()> {
    let ctx = ctx.clone();
    let timeout = limits.timeout;
    let started = std::time::Instant::now();
    statement::within_limit(timeout, async move {
        let frame = statement::plan(&ctx, statement, started, timeout).await?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let mut stream = frame.execute_stream().await.map_err(explain)?;
        let mut writer = ResultWriter::new(format, schema, sink)?;
        while let Some(batch) = stream.next().await {
            writer.write(&batch.map_err(explain)?)?;
        }
        writer.finish()
    })
    .await
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
            for statement in statement::parse(&text)? {
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
    match crate::engine::describe::catalogue(config).await {
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
    match crate::engine::describe::catalogue(config).await {
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
