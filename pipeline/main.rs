//! The `wmo-monitor` command line.

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wmo_monitor::analyst::output::Format;
use wmo_monitor::analyst::{self, AnalystOptions};
use wmo_monitor::periode::Periode;
use wmo_monitor::{Config, compute, deliver, demo, ingest, publish, schedule, signals};

#[derive(Parser)]
#[command(name = "wmo-monitor", version, about = "Wmo home-support monitoring for Dutch municipalities")]
struct Cli {
    /// Configuration file (TOML); without it the embedded defaults work in the current folder.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load every new file of the inbox and the reference folder into the lake.
    Ingest,
    /// Write a realistic inbox and reference folder for Zwolle (2017-2019), then ingest it.
    Demo {
        /// Random seed: the same seed writes the same files.
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        /// Number of distinct clients over the three years.
        #[arg(long, default_value_t = 5500)]
        clients: u64,
        /// Only write the files; do not ingest them.
        #[arg(long)]
        no_ingest: bool,
    },
    /// Compute the kpi tables of queries/ and keep them in the lake, per period.
    #[command(group = clap::ArgGroup::new("which").required(true))]
    Compute {
        /// One quarter (2019-Q3) or half-year (2019-H2); it replaces that period only.
        #[arg(long, group = "which")]
        periode: Option<Periode>,
        /// Every quarter and half-year with data that ended by the as-of date.
        #[arg(long, group = "which")]
        all: bool,
        /// Compute with what was known on this date (YYYY-MM-DD); default: the latest Dagtekening in the lake.
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
    },
    /// Render a period's reports into out/<periode>/: a pack per provider and the council's Monitor Sociaal Domein (HTML and XLSX).
    Publish {
        /// A quarter (2019-Q4) or half-year (2019-H2); default: the latest quarter computed.
        #[arg(long)]
        periode: Option<Periode>,
    },
    /// Mail a published period: each contract manager the packs of their providers, the council the monitor (default: .eml files in out/outbox/).
    Deliver {
        /// The published period (2019-Q4); default: the latest in out/.
        #[arg(long)]
        periode: Option<Periode>,
        /// Write the mails to out/outbox/proef/ and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send a re-published report again to those who had an earlier version.
        #[arg(long)]
        resend: bool,
    },
    /// Watch between the quarters: run the signals of queries/signals/, record them in the lake (signalen) and mail what is new or resolved.
    Signals {
        /// Watch with what was known on this date (YYYY-MM-DD); default: the latest Dagtekening in the lake.
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Write the mails to out/outbox/proef/ and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Compute all periods, then publish and deliver one quarter: what the scheduled `quarterly` job does.
    Quarterly {
        /// The quarter (2019-Q4).
        #[arg(long)]
        periode: Periode,
    },
    /// Run the jobs of schedules/*.toml on their local clock until SIGTERM or Ctrl-C, recording every run.
    Serve,
    /// List the run log of `serve`, newest first (times in Europe/Amsterdam).
    Runs {
        /// How many runs to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Read-only SQL over the lake's tables, the staging views and the kpi tables.
    Sql {
        /// Run these statements and stop.
        #[arg(short = 'e', long = "execute", value_name = "SQL", conflicts_with = "file")]
        execute: Option<String>,
        /// Run the statements in this file and stop.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
        /// How results are written.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write the result to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The staging views see what was known on this date; default: the latest Dagtekening.
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
    },
    /// Serve the lake over the Postgres wire protocol to the analysts' own tools ([sql_server] in the configuration), until Ctrl-C or SIGTERM.
    SqlServer,
    /// Manage who may log in to the SQL endpoint.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print the configuration in effect.
    Config,
    /// List every table and view analysts can query, with their columns and a one-line description each (Markdown).
    Tables {
        /// Only the tables and views with this in their name (any case).
        filter: Option<String>,
        /// Print the SQL behind this view or kpi table instead, as its file in queries/ holds it.
        #[arg(long, value_name = "NAME", conflicts_with = "filter")]
        sql: Option<String>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user, or give one a new password: asks for it twice and keeps only its SCRAM-SHA-256 verifier.
    Add {
        /// The user name clients log in with (letters, digits, '_', '.', '-').
        name: String,
    },
    /// List the users.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The services log what they do (each statement of the SQL endpoint with
    // its user, each login); a command only warns.
    let service = matches!(cli.command, Command::Serve | Command::SqlServer);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(if std::env::var_os("WMO_MONITOR_DEBUG").is_some() {
            tracing::Level::DEBUG
        } else if service {
            tracing::Level::INFO
        } else {
            tracing::Level::WARN
        })
        .init();
    if !matches!(cli.command, Command::Ingest) {
        give_freed_memory_back();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wmo-monitor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Tells glibc's allocator to return freed memory to the system instead of
/// keeping it for later. Left alone, it raises its threshold for mapping large
/// blocks each time one is freed, so DataFusion's Arrow buffers end up in a heap
/// that only grows: `compute --all` at 1,000,000 clients peaked at 2.4-2.6 GB of
/// resident memory where its memory pool held far less; with a fixed trim
/// threshold, 1.6-1.9 GB, at a cost of about 10% of its time (BENCHMARKS.md).
/// Ingest keeps the default: its workers allocate rows the writer frees, and
/// there the allocator's speed counts.
#[allow(unsafe_code)]
fn give_freed_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const TRIM_THRESHOLD_BYTES: libc::c_int = 256 << 20;
        // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it is
        // called once, before any other thread starts.
        let accepted = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) };
        if accepted != 1 {
            tracing::debug!("glibc did not take the trim threshold; freed memory stays with the process");
        }
    }
}

fn run(cli: Cli) -> wmo_monitor::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let show_progress = !cli.quiet;
    match cli.command {
        Command::Ingest => {
            let summary = ingest::ingest(&config, &ingest::IngestOptions { show_progress })?;
            println!("{summary}");
        }
        Command::Demo { seed, clients, no_ingest } => {
            let written = demo::write(&config, &demo::DemoOptions { seed, clients, show_progress })?;
            println!("{written}");
            if !no_ingest {
                let summary = ingest::ingest(&config, &ingest::IngestOptions { show_progress })?;
                println!("{summary}");
                let computed =
                    compute::compute(&config, &compute::ComputeOptions { show_progress, ..Default::default() })?;
                print!("{computed}");
                print!("{}", demo::headline::latest_quarter(&config)?);
                let published =
                    publish::publish(&config, &publish::PublishOptions { show_progress, ..Default::default() })?;
                println!("{published}");
                let delivered = deliver::deliver(&config, &deliver::DeliverOptions::default())?;
                print!("{delivered}");
                delivered.outcome()?;
                let watched =
                    signals::signals(&config, &signals::SignalsOptions { show_progress, ..Default::default() })?;
                print!("{watched}");
                watched.outcome()?;
                println!(
                    "The lake is in {}; query it with `wmo-monitor sql` or any Parquet reader.",
                    config.paths.lake_location()
                );
            }
        }
        Command::Compute { periode, all: _, as_of } => {
            let summary = compute::compute(&config, &compute::ComputeOptions { periode, as_of, show_progress })?;
            print!("{summary}");
        }
        Command::Publish { periode } => {
            let published =
                publish::publish(&config, &publish::PublishOptions { periode, show_progress, ..Default::default() })?;
            println!("{published}");
        }
        Command::Deliver { periode, dry_run, resend } => {
            let delivered = deliver::deliver(&config, &deliver::DeliverOptions { periode, dry_run, resend })?;
            print!("{delivered}");
            delivered.outcome()?;
        }
        Command::Signals { as_of, dry_run } => {
            let watched = signals::signals(&config, &signals::SignalsOptions { as_of, dry_run, show_progress })?;
            print!("{watched}");
            watched.outcome()?;
        }
        Command::Quarterly { periode } => {
            print!("{}", schedule::jobs::quarterly(&config, periode, show_progress)?);
        }
        Command::Serve => schedule::serve::serve(&config)?,
        Command::Runs { limit } => {
            let lake = wmo_monitor::lake::Lake::of(&config)?;
            let runs = schedule::runlog::read(&lake)?;
            print!("{}", schedule::runlog::listing(&runs, chrono_tz::Europe::Amsterdam, limit));
        }
        Command::Sql { execute, file, format, output, as_of } => {
            analyst::run(&config, &AnalystOptions { execute, file, format, output, as_of })?;
        }
        Command::Tables { filter, sql } => match (filter, sql) {
            (_, Some(name)) => println!("{}", wmo_monitor::engine::describe::sql_of(&config, &name)?),
            (Some(filter), None) => print!("{}", wmo_monitor::engine::describe::markdown_matching(&config, &filter)?),
            (None, None) => print!("{}", wmo_monitor::engine::describe::markdown(&config)?),
        },
        Command::SqlServer => wmo_monitor::sql_server::run(&config)?,
        Command::Users(UsersCommand::Add { name }) => {
            let file = &wmo_monitor::sql_server::settings(&config)?.users;
            let password = ask_password(&name)?;
            wmo_monitor::sql_server::users::Users::add(file, &name, &password)?;
            println!(
                "{name} can log in to the SQL endpoint; {} holds their SCRAM verifier, not the password.",
                file.display()
            );
        }
        Command::Users(UsersCommand::List) => {
            let file = &wmo_monitor::sql_server::settings(&config)?.users;
            for name in wmo_monitor::sql_server::users::Users::load(file)?.names() {
                println!("{name}");
            }
        }
        Command::Config => println!("{config}"),
    }
    Ok(())
}

/// The new password: asked twice on a terminal without echo; from a pipe, its first line.
fn ask_password(name: &str) -> wmo_monitor::Result<String> {
    use std::io::IsTerminal;
    let failed = |e: std::io::Error| wmo_monitor::Error::Invalid(format!("cannot read the password: {e}"));
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(failed)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password(format!("Password for {name}: ")).map_err(failed)?;
    let again = rpassword::prompt_password("Again: ").map_err(failed)?;
    if first != again {
        return Err(wmo_monitor::Error::Invalid("the two passwords differ; nothing was changed".into()));
    }
    Ok(first)
}
