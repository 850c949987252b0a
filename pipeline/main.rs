//! The `wmo-monitor` command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wmo_monitor::{Config, demo, ingest};

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
    /// Print the configuration in effect.
    Config,
    /// List the lake's tables and columns with a one-line description each (Markdown).
    Tables,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(if std::env::var_os("WMO_MONITOR_DEBUG").is_some() {
            tracing::Level::DEBUG
        } else {
            tracing::Level::WARN
        })
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wmo-monitor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> wmo_monitor::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let show_progress = !cli.quiet;
    match cli.command {
        Command::Ingest => {
            let summary = ingest::ingest(&config, &ingest::IngestOptions { show_progress, ..Default::default() })?;
            println!("{summary}");
        }
        Command::Demo { seed, clients, no_ingest } => {
            let written = demo::write(&config, &demo::DemoOptions { seed, clients, show_progress })?;
            println!("{written}");
            if !no_ingest {
                let summary = ingest::ingest(&config, &ingest::IngestOptions { show_progress, ..Default::default() })?;
                println!("{summary}");
                println!("The lake is in {}; query it with any Parquet reader.", config.paths.lake().display());
            }
        }
        Command::Tables => print!("{}", wmo_monitor::lake::schema::markdown()),
        Command::Config => {
            println!("configuration: {}", config.origin);
            println!("gemeente: {}", config.gemeente);
            let paths = &config.paths;
            for (name, path) in [
                ("inbox", &paths.inbox),
                ("reference", &paths.reference),
                ("data", &paths.data),
                ("out", &paths.out),
                ("archive", &paths.archive),
            ] {
                println!("{name}: {}", path.display());
            }
        }
    }
    Ok(())
}
