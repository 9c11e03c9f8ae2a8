//! The command line: argument parsing, logging set-up and dispatch to one module per command.

mod audit;
mod compare;
mod export;
mod failures;
mod forecast;
mod freeze;
mod merge;
mod plan;
mod query;
mod report;
mod run;
mod series;
mod show;
mod show_model;
mod status;
mod summary;
mod synth;
mod top;
mod validate;
mod version;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::journal::{JournalError, StorageFailure};

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
    /// journal each outcome, rank the passed models and forecast them under [scenarios].
    ///
    /// Running the same config again continues an interrupted run, or reports that it is
    /// complete; a changed config or changed data starts a new run. Ctrl-C stops resumably.
    Run(run::RunArgs),
    /// Forecast a finished run's passed models under the config's [scenarios] again, without
    /// searching: after new scenario files, or to add scenarios to a run made without them.
    Forecast(forecast::ForecastArgs),
    /// Validate a complete run's best models: sensitivity of their scenario forecasts to each
    /// coefficient (±k·SE) and each driver (±k·σ), each driver's attribution, uncertainty
    /// bands; journaled next to the run (views sensitivity_paths, sensitivity_stats,
    /// scenario_attribution, scenario_bands).
    ///
    /// Default: the best `validation.top_n` ranked models (what `run` validates at its end);
    /// RANKs, `--spec N` (repeatable) and `--top N` choose others. Shocks, draws, seed and band
    /// quantiles come from the config's [validation] section. A model needs scenario forecasts
    /// from the config's [scenarios] (`specsearch forecast` first if the run has none).
    Validate(validate::ValidateArgs),
    /// Fit one spec on the config's data now and print its full report: the same report as
    /// `show` (or `--json`, `--csv`).
    ShowModel(show_model::ShowModelArgs),
    /// Write a deterministic synthetic search (CSV + metadata + search.toml); for one of
    /// realistic size: `synth DIR --preset ppnr`.
    ///
    /// `--preset ppnr` is the search to see the tool at speed: the shape of a real PPNR model
    /// search (9 rate drivers, 7 forced month dummies, max_vars 5), 2,163,980 specs. Then
    /// `specsearch plan DIR/search.toml` and `specsearch run DIR/search.toml`. Without a preset,
    /// the default panel (300 variables, 12 of them in the pool, max_vars 3) is a small search
    /// for tests; `--pool` and `--max-vars` grow it.
    Synth(synth::SynthArgs),
    /// Runs in the journal: progress, outcome counts, rates, and an ETA for a running run.
    ///
    /// Reads the journal read-only: safe (and useful) while a run is writing.
    Status(status::StatusArgs),
    /// The ranked passed models of a run; `--weights` re-ranks without re-running.
    Top(top::TopArgs),
    /// Full report of one model from the journal: coefficients with confidence intervals,
    /// F, log-likelihood, AIC, BIC, residual moments, condition number, tests, fit, sample
    /// dates, feature definitions (`--cov` adds the covariance matrix).
    Show(show::ShowArgs),
    /// A passed model's series over the full sample: actual, fitted (in-sample) / predicted
    /// (out-of-sample), residual, and each feature's value and contribution, per date.
    Series(series::SeriesArgs),
    /// Why specs failed: counts per filter, the features most common among each filter's
    /// failures, errors by type and message.
    Failures(failures::FailuresArgs),
    /// Run one read-only SQL statement on the journal (views: see sql/views.sql).
    ///
    /// Statements that would write are refused. `:run` is bound to the selected run's id.
    Query(query::QueryArgs),
    /// Write one self-contained HTML report of a run: the run, its ranking, and each
    /// selected model's full report with plots (fitted vs actual, residuals, ACF, histogram).
    ///
    /// No script and no network: inline CSS and SVG, readable offline and printable at A4.
    /// On a run still running the page says it is partial; on a run where nothing passed it
    /// says so and shows where specs failed.
    Report(report::ReportCmdArgs),
    /// Write passed models, every outcome, or a query's result to CSV, JSON or Parquet.
    Export(export::ExportArgs),
    /// List the composite features a run's workers built for passed models (mutations): their
    /// definition, the first spec that needed each, the passed models using them, and what the
    /// replay into features.duckdb did (`--json` for everything).
    Audit(audit::AuditArgs),
    /// Compare two runs (last quarter's and this quarter's, or before and after a change):
    /// the inputs that changed (config lines, data files by sha256, new dates), the models that
    /// entered or left the ranked set, rank moves, and the coefficient and 9-quarter-change
    /// drift of the models in both, matched by spec key.
    ///
    /// Each run is `PATH[:RUN]`: a config, a workspace directory or a journal.sqlite, and a run
    /// id or name (default: the latest). `compare q2/search.toml q3/search.toml`,
    /// `compare search.toml:1 :2` (two runs of one journal).
    Compare(compare::CompareArgs),
    /// Merge shard journals (`run --shard I/N`) into one run and derive its results; lists the
    /// shards still missing, with the command that runs each.
    Merge(merge::MergeArgs),
    /// Internal: a worker process (spawned by `run`; speaks the frame protocol on stdin/stdout).
    #[command(hide = true)]
    Worker,
}

/// Which journal and which run: `CONFIG` and/or `--workspace DIR`, and `--run`.
#[derive(Debug, Clone, clap::Args)]
pub struct JournalArgs {
    /// The search's TOML config (optional with --workspace).
    #[arg(value_name = "CONFIG", required_unless_present = "workspace")]
    pub config: Option<PathBuf>,
    /// Directory of the stores; default `<config dir>/<config stem>.specsearch/`. Without a
    /// CONFIG, the journal in DIR is read as it is (e.g. a copied workspace).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The run to read, by id or name (e.g. `3` or `demo#2`); default: the latest run of the
    /// config (the latest run in the journal without a CONFIG).
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// The segment of a config with `[[segment]]` tables: its latest run (default: the latest
    /// run of any of the config's segments, with a note saying which).
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
}

impl JournalArgs {
    pub fn choice(&self) -> crate::results::JournalChoice {
        crate::results::JournalChoice {
            config: self.config.clone(),
            workspace: self.workspace.clone(),
            run: self.run.clone(),
            segment: self.segment.clone(),
        }
    }

    /// Opens the journal read-only, with this specsearch's views.
    pub fn open(&self) -> anyhow::Result<crate::results::OpenJournal> {
        crate::results::open(&self.choice())
    }
}

/// `--json` / `--csv` (default: a human table).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct OutputArgs {
    /// Print JSON (an array of objects; an object of arrays for multi-part reports).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (with a header row).
    #[arg(long)]
    pub csv: bool,
}

impl OutputArgs {
    pub fn format(&self) -> crate::results::Format {
        use crate::results::Format;
        match (self.json, self.csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Human,
        }
    }
}

/// The config and where its stores live.
#[derive(Debug, clap::Args)]
pub struct WorkspaceArgs {
    /// The search's TOML config.
    pub config: PathBuf,
    /// Directory of the stores; default `<config dir>/<config stem>.specsearch/`.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Only these segments of a config with `[[segment]]` tables (repeat, or separate with
    /// commas; default: every segment, in file order, for `run` and `freeze`).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub segment: Vec<String>,
}

impl WorkspaceArgs {
    /// The searches the command works on: the selected segments, or the config itself.
    pub fn configs(&self) -> anyhow::Result<Vec<crate::config::Config>> {
        let all = crate::config::Config::load_all(&self.config)?;
        Ok(crate::config::select(
            &self.config,
            all,
            Some(self.segment.clone()),
        )?)
    }

    /// The one search a command about a single search works on (`--segment NAME` picks it in
    /// a config with several segments).
    pub fn config(&self) -> anyhow::Result<crate::config::Config> {
        anyhow::ensure!(
            self.segment.len() <= 1,
            "this command works on one segment; give one --segment NAME"
        );
        Ok(crate::config::Config::load_segment(
            &self.config,
            self.segment.first().map(String::as_str),
        )?)
    }
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
    // Colour only for a person at a terminal (and never with NO_COLOR, https://no-color.org).
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && !crate::runtime::progress::dumb_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        // Above the progress line when one is drawn, never through it.
        .with_writer(|| crate::runtime::progress::LogWriter)
        // A log line that cannot be written (stderr closed: `run … 2>&1 | head -1`) is lost,
        // not reported with `eprintln!` to the same closed stderr, which panics.
        .log_internal_errors(false)
        .with_target(false)
        .without_time()
        .init();
}

/// Reports piped into `head` end quietly when the reader goes away, as other Unix tools do
/// (SIGPIPE's default action), instead of panicking in `println!`.
pub(crate) fn quiet_on_closed_stdout() {
    // SAFETY: setting a signal disposition to its default has no preconditions.
    unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
        .ok();
    }
}

/// `println!` and `eprintln!` panic when their stream fails (stdout on a full device, a closed
/// pipe while SIGPIPE is ignored): such a panic ends the process as a failed write would, with
/// one line on stderr (if it still works) and exit status 1, or quietly with 141 (128 +
/// SIGPIPE, what a shell reports for a reader that went away) for a broken pipe. Every journal
/// write is a transaction, so the journal stays consistent; any other panic is reported as
/// before.
fn exit_on_failed_print() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        let stream = if msg.starts_with("failed printing to stdout") {
            "standard output"
        } else if msg.starts_with("failed printing to stderr") {
            "standard error"
        } else {
            return default(info);
        };
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        let cause = msg.split_once(": ").map_or(msg, |(_, c)| c);
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "error: cannot write to {stream}: {cause}"
        );
        std::process::exit(1);
    }));
}

/// An error for people: its chain of causes, each said once (a message that already quotes
/// its cause is not followed by it again), and what to do for the failures of the machine
/// rather than of the input: a full disk, a damaged journal.
fn describe(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    let mut out = parts.join(": ");
    let failure = err
        .chain()
        .find_map(|c| c.downcast_ref::<JournalError>()?.storage_failure());
    let io_full = err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.raw_os_error() == Some(nix::libc::ENOSPC))
    });
    if failure == Some(StorageFailure::DiskFull) || io_full || out.contains("No space left") {
        out.push_str(
            "\nThe disk is full. Everything committed before this is kept and consistent: free \
             some space (`df -h` shows where) and run the same command again (without `--fresh`) to resume.",
        );
    } else if failure == Some(StorageFailure::Damaged) {
        out.push_str(
            "\nThe SQLite file named above is damaged. Keep it for the record and \
             recover what it holds into a new file with \
             `sqlite3 journal.sqlite .recover | sqlite3 recovered.sqlite`; or move it aside and \
             run again, which starts the search over in a new journal.",
        );
    }
    out
}

/// Runs the command line; the binary's `main` is only this.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--version` (or `-V`): the commit and the linked libraries too, not only the number.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            print!("{}", version::report());
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
    init_logging(cli.verbose, cli.quiet);
    exit_on_failed_print();
    if !matches!(cli.command, Command::Run(_) | Command::Worker) {
        // The coordinator and workers keep SIGPIPE ignored while they work: they handle a
        // closed pipe as an error (a dead worker), never as a reason to die. `run` restores
        // the default once the journal is complete, before it prints its summary.
        quiet_on_closed_stdout();
    }
    let ok = |r: anyhow::Result<()>| r.map(|()| std::process::ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Freeze(args) => ok(freeze::run(&args)),
        Command::Forecast(args) => ok(forecast::run(&args)),
        Command::Validate(args) => ok(validate::run(&args)),
        Command::Plan(args) => ok(plan::run(&args)),
        Command::Run(args) => run::run(&args),
        Command::ShowModel(args) => ok(show_model::run(&args)),
        Command::Synth(args) => ok(synth::run(&args)),
        Command::Audit(args) => ok(audit::run(&args)),
        Command::Compare(args) => ok(compare::run(&args)),
        Command::Merge(args) => merge::run(&args),
        Command::Status(args) => ok(status::run(&args)),
        Command::Top(args) => ok(top::run(&args)),
        Command::Show(args) => ok(show::run(&args)),
        Command::Series(args) => ok(series::run(&args)),
        Command::Failures(args) => ok(failures::run(&args)),
        Command::Query(args) => ok(query::run(&args)),
        Command::Export(args) => ok(export::run(&args)),
        Command::Report(args) => ok(report::run(&args)),
        Command::Worker => ok(crate::runtime::worker::run()),
    };
    crate::runtime::faults::report_peak_rss();
    match result {
        Ok(code) => code,
        Err(err) => {
            use std::io::Write;
            // (Not `eprintln!`: with stderr closed the error is lost, not a panic.)
            let _ = writeln!(std::io::stderr(), "error: {}", describe(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn a_full_disk_is_explained_with_the_file_and_what_to_do() {
        // (The journal's own SQLITE_FULL is recognised by `JournalError::storage_failure`,
        // tested in the journal crate.)
        let full = std::io::Error::from_raw_os_error(nix::libc::ENOSPC);
        let err = anyhow::Error::new(full)
            .context("finishing run demo#1 (journal /w/demo.specsearch/journal.sqlite)");
        let text = describe(&err);
        assert!(
            text.starts_with(
                "finishing run demo#1 (journal /w/demo.specsearch/journal.sqlite): No space left"
            ),
            "{text}"
        );
        assert!(
            text.contains("The disk is full") && text.contains("resume"),
            "{text}"
        );
    }

    #[test]
    fn a_cause_the_message_already_quotes_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = anyhow::Error::new(io).context("cannot read x.csv: No such file or directory");
        assert_eq!(
            describe(&err),
            "cannot read x.csv: No such file or directory"
        );
    }
}
