//! The command line: argument parsing, logging set-up and dispatch to one module per command.

mod freeze;
mod plan;
mod run;
mod show_model;
mod synth;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exhaustive econometric model search: every admissible combination of transformed drivers,
/// fitted by OLS, filtered, ranked, and journaled in SQL.
#[derive(Debug, Parser)]
#[command(name = "specsearch", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prepare the data and write the frozen feature bundle (features.duckdb + features.f64).
    ///
    /// Loads the tables and metadata named in CONFIG, aligns them on the target's calendar,
    /// materialises every variant of every variable the search can use, and writes them to the
    /// workspace. Re-running on unchanged inputs does nothing and says so.
    Freeze(WorkspaceArgs),
    /// Show the spec space: pools, pretest exclusions, the exact spec count, the first and
    /// last specs and an estimated run time.
    Plan(plan::PlanArgs),
    /// Run (or resume) the search: freeze if needed, evaluate every spec without an outcome,
    /// journal each outcome, rank the passed models.
    ///
    /// Running the same config again continues an interrupted run, or reports that it is
    /// complete; a changed config or changed data starts a new run. Ctrl-C stops resumably.
    Run(run::RunArgs),
    /// Fit one spec on the config's data and print every statistic (or `--json`).
    ShowModel(show_model::ShowModelArgs),
    /// Write a deterministic synthetic monthly panel (CSV + metadata + search.toml) for tests
    /// and benchmarks.
    Synth(synth::SynthArgs),
    /// Internal: a worker process (spawned by `run`; speaks the frame protocol on stdin/stdout).
    #[command(hide = true)]
    Worker,
}

/// The config and where its stores live.
#[derive(Debug, clap::Args)]
pub struct WorkspaceArgs {
    /// The search's TOML config.
    pub config: PathBuf,
    /// Directory of the stores; default `<config dir>/<config stem>.specsearch/`.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

/// Runs the command line; the binary's `main` is only this.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let ok = |r: anyhow::Result<()>| r.map(|()| std::process::ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Freeze(args) => ok(freeze::run(&args)),
        Command::Plan(args) => ok(plan::run(&args)),
        Command::Run(args) => run::run(&args),
        Command::ShowModel(args) => ok(show_model::run(&args)),
        Command::Synth(args) => ok(synth::run(&args)),
        Command::Worker => ok(crate::runtime::worker::run()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
