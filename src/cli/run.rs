//! `specsearch run CONFIG` and its summary.

use std::path::PathBuf;

use anyhow::Result;

use super::{summary, WorkspaceArgs};
use crate::config;
use crate::journal::{Journal, RunStatus};
use crate::search::{self, shell_quote, RunOptions, RunSummary};
use crate::spec::ranges;
use crate::spec::shard::Shard;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Where specs are evaluated (default: the config's `run.executor`, else `process`).
    #[arg(long, value_enum)]
    pub executor: Option<ExecutorArg>,
    /// Number of workers (default: the config's `run.workers`, else every core).
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// How workers read the frozen features (default: the config's, else `auto`).
    #[arg(long, value_enum)]
    pub transport: Option<TransportArg>,
    /// Spec indices per batch sent to a worker.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Batches in flight per worker (default: the config's `run.prefetch`, else 2).
    #[arg(long)]
    pub prefetch: Option<usize>,
    /// Hybrid scheduling: the coordinator screens specs by rank and R² (the kernel's first
    /// stage) and sends only the rest to the workers; same outcomes. `--hybrid` or
    /// `--hybrid false` (default: the config's `run.hybrid`, else off).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub hybrid: Option<bool>,
    /// Start a new run even when one of the same config and data exists.
    #[arg(long)]
    pub fresh: bool,
    /// Resume this run (id or name, e.g. `search#2`) of the config and data instead of the
    /// latest one: an interrupted `--fresh` run, say (the interrupt prints the command).
    #[arg(long, value_name = "RUN", conflicts_with = "fresh")]
    pub run: Option<String>,
    /// Worker binary (default: this executable).
    #[arg(long, hide = true)]
    pub worker_exe: Option<PathBuf>,
    /// Evaluate only shard I (0-based) of N of the spec space, into its own journal
    /// (`journal-shard-I-of-N.sqlite`); `auto/N` takes I from the array task's index,
    /// SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX (task I is shard
    /// I: re-run a missing shard as array task I). Combine the shards with `specsearch merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Start even if the search exceeds run.max_hours / run.max_specs or looks too large for
    /// the free disk or memory (the figures are printed as warnings).
    #[arg(long)]
    pub yes: bool,
}

/// `--executor` (the config's `run.executor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorArg {
    /// Worker processes (the same binary, spawned): the default.
    Process,
    /// Threads in the coordinator process (rayon).
    Thread,
    /// One spec after another in the coordinator.
    Serial,
}

impl From<ExecutorArg> for config::Executor {
    fn from(a: ExecutorArg) -> config::Executor {
        match a {
            ExecutorArg::Process => config::Executor::Process,
            ExecutorArg::Thread => config::Executor::Thread,
            ExecutorArg::Serial => config::Executor::Serial,
        }
    }
}

/// `--transport` (the config's `run.transport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportArg {
    /// `mmap` for large bundles, `duckdb` otherwise.
    Auto,
    /// Each worker reads the columns from features.duckdb (read-only) into private memory.
    Duckdb,
    /// Each worker maps features.f64; pages are shared between workers.
    Mmap,
}

impl From<TransportArg> for config::Transport {
    fn from(a: TransportArg) -> config::Transport {
        match a {
            TransportArg::Auto => config::Transport::Auto,
            TransportArg::Duckdb => config::Transport::Duckdb,
            TransportArg::Mmap => config::Transport::Mmap,
        }
    }
}

pub fn run(args: &RunArgs) -> Result<std::process::ExitCode> {
    let configs = args.ws.configs()?;
    let shard = args
        .shard
        .as_deref()
        .map(|text| Shard::parse(text, &|k| std::env::var(k).ok()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = RunOptions {
        workspace: args.ws.workspace.clone(),
        executor: args.executor.map(Into::into),
        transport: args.transport.map(Into::into),
        workers: args.workers,
        batch_size: args.batch_size,
        prefetch: args.prefetch,
        hybrid: args.hybrid,
        fresh: args.fresh,
        resume: args.run.clone(),
        worker_exe: args.worker_exe.clone(),
        progress: true,
        shard,
        assume_yes: args.yes,
    };
    let top_n: Vec<usize> = configs.iter().map(|c| c.file.ranking.top_n).collect();
    let segment_names: Vec<String> = configs
        .iter()
        .filter_map(|c| c.segment_name().map(str::to_string))
        .collect();
    let segmented = configs.iter().any(|c| c.segment.is_some());
    let summaries = search::run_all(configs, &opts)?;
    // Everything is journaled: a reader that closes stdout (`| head -1`) may end us quietly.
    super::quiet_on_closed_stdout();
    let mut failed = false;
    for (summary, top_n) in summaries.iter().zip(top_n) {
        if let Some(segment) = &summary.segment {
            println!("── segment {segment}");
        }
        let journal = Journal::open(&summary.journal)?;
        print_header(summary);
        if let Some(f) = &summary.reforecast {
            println!("scenario inputs changed since the run's forecasts: forecast again");
            summary::print_forecast_report(&f.forecast);
            summary::print_validation_report(&f.validation);
        }
        summary::print_digest(&journal, &summary.run, summary.finish.as_ref(), top_n)?;
        summary::print_wrapped("journal", &summary.journal.display().to_string());
        if summary.shard.is_none() {
            let passed = journal.counts(summary.run.run_id)?.passed;
            summary::print_next_steps(
                &summary.run,
                passed,
                &args.ws.config,
                args.ws.workspace.as_deref(),
                summary.segment.as_deref(),
            );
        }
        if summary.run.status == RunStatus::Failed {
            failed = true;
            eprintln!(
                "error: run {} failed: {}",
                summary.run.name,
                summary
                    .run
                    .status_detail
                    .as_deref()
                    .unwrap_or("see the journal")
            );
        }
    }
    if segmented {
        print_pool(&summaries);
    }
    if failed {
        return Ok(std::process::ExitCode::FAILURE);
    }
    if let Some(stopped) = summaries.iter().find(|s| s.interrupted.is_some()) {
        let signal = stopped.interrupted.unwrap_or("a signal");
        eprintln!(
            "interrupted by {signal}: every finished spec is journaled; to resume run {}:\n  {}",
            stopped.run.name,
            resume_command(args, stopped)
        );
        // A `--fresh` search of several segments also has segments it never reached.
        let reached = summaries.len();
        let rest = &segment_names[reached.min(segment_names.len())..];
        if args.fresh && !rest.is_empty() {
            eprintln!(
                "then, for the segments not searched yet:\n  {}",
                command_line(args, &[("--segment", rest.join(","))], true)
            );
        }
        return Ok(std::process::ExitCode::from(130));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// The command that resumes the interrupted run of `summary`: this command with
/// `--run NAME` in place of `--fresh` (which would start yet another run), restricted to the
/// run's segment.
fn resume_command(args: &RunArgs, summary: &RunSummary) -> String {
    let mut extra = Vec::new();
    if let Some(segment) = &summary.segment {
        extra.push(("--segment", segment.clone()));
    }
    extra.push(("--run", summary.run.name.clone()));
    command_line(args, &extra, false)
}

/// `specsearch run CONFIG` with the options of this invocation that choose what is searched
/// and where (workspace, shard), then `extra`, and `--fresh` only when `fresh`; shell-quoted.
fn command_line(args: &RunArgs, extra: &[(&str, String)], fresh: bool) -> String {
    let mut words = vec![
        "specsearch".to_string(),
        "run".to_string(),
        shell_quote(&args.ws.config.display().to_string()),
    ];
    if let Some(ws) = &args.ws.workspace {
        words.push("--workspace".into());
        words.push(shell_quote(&ws.display().to_string()));
    }
    if let Some(shard) = &args.shard {
        words.push("--shard".into());
        words.push(shell_quote(shard));
    }
    for (flag, value) in extra {
        words.push(flag.to_string());
        words.push(shell_quote(value));
    }
    if fresh {
        words.push("--fresh".into());
    }
    words.join(" ")
}

/// One line for the segments of an invocation: how many searched, the wall time, and that one
/// pool of workers served them.
fn print_pool(summaries: &[RunSummary]) {
    let searched = summaries.iter().filter(|s| !s.already_complete).count();
    let wall: f64 = summaries.iter().map(|s| s.wall_seconds).sum();
    let specs: u64 = summaries.iter().map(|s| s.evaluated_now).sum();
    summary::print_wrapped(
        "segments",
        &format!(
            "{} in the config, {searched} searched now: {specs} specs in {wall:.2}s of \
             evaluation (one warm pool of workers for all; per worker and segment: the \
             segment_telemetry view)",
            summaries.len()
        ),
    );
}

/// What this invocation did: the run, shard, freeze, throughput and CPU use.
fn print_header(s: &RunSummary) {
    let run = &s.run;
    if s.already_complete {
        println!(
            "run {} is complete: nothing to do ({} specs)",
            run.name, run.spec_count
        );
        return;
    }
    let how = if s.resumed { "resumed" } else { "new" };
    summary::print_wrapped(
        "run",
        &format!(
            "{} ({how}), {} specs, target {}",
            run.name, run.spec_count, run.target
        ),
    );
    if let Some(shard) = s.shard {
        summary::print_wrapped(
            "shard",
            &format!(
                "{shard}: {} of the specs; combine the shard journals with `specsearch merge \
                 OUT.sqlite {}/journal-shard-*-of-{}.sqlite`",
                ranges::count(&shard.ranges(run.spec_count)),
                s.journal
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                shard.count
            ),
        );
    }
    if s.froze_bundle {
        println!(
            "bundle     frozen for this run ({})",
            &run.bundle_hash[..12]
        );
    }
    let rate = s.evaluated_now as f64 / s.wall_seconds.max(1e-9);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    summary::print_wrapped(
        "evaluated",
        &format!(
            "{} specs in {:.2}s: {:.0} specs/s ({} executor, {} worker{}, {} transport)",
            s.evaluated_now,
            s.wall_seconds,
            rate,
            s.executor,
            s.workers,
            if s.workers == 1 { "" } else { "s" },
            s.transport
        ),
    );
    println!(
        "cpu        {:.2}s, {:.0}% of {cores} cores over the wall time",
        s.cpu_seconds,
        100.0 * s.cpu_seconds / (s.wall_seconds.max(1e-9) * cores as f64)
    );
    if s.crashes > 0 {
        println!("crashes    {} worker(s) died and were replaced", s.crashes);
    }
}
