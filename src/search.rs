//! The engine behind `specsearch run`, in named phases:
//!
//! 1. [`Session::open`]: prepare, build and plan (reads the inputs, writes nothing, so a bad
//!    input is refused before the workspace exists);
//! 2. lock the workspace and freeze the bundle if it is stale;
//! 3. [`find_or_create_run`]: the run of this config and data, resumed, or a new one;
//! 4. [`evaluate`]: dispatch every pending spec index to an executor and journal each outcome;
//! 5. [`finish::finish`]: rank, replay, validate, set the status (not for a shard: `merge`
//!    finishes the union of every shard).
//!
//! A run whose specs all have an outcome (e.g. killed between the workers' exit and the replay)
//! goes straight from 3 to 5 when run again.
//!
//! A config with `[[segment]]` tables is several searches ([`run_all`]): every segment's
//! session is opened and guarded before anything is written, then each segment goes through
//! 2–5 as its own run, in file order, served by one warm pool of worker processes
//! ([`WarmPool`]) that starts once per invocation. Step 4 is in `search/evaluate.rs`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use tracing::{info, warn};

use crate::config::{self, Config};
use crate::estimate::{Estimate, Limits};
use crate::finish::{self, FinishReport};
use crate::journal::{Journal, JournalRw, NewRun, RunRow, RunStatus, SessionTotals};
use crate::runtime::context::Transport;
use crate::runtime::pool::WarmPool;
use crate::runtime::progress::{Before, Stage};
use crate::runtime::{lock, signals};
use crate::session::Session;
use crate::spec::ranges;
use crate::spec::shard::Shard;

mod evaluate;
mod resume;

pub use evaluate::{evaluate, Evaluation, Work};
use resume::resumable_run;
pub use resume::shell_quote;

/// Overrides of the config's `[run]` section from the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub workspace: Option<PathBuf>,
    pub executor: Option<config::Executor>,
    pub transport: Option<config::Transport>,
    pub workers: Option<usize>,
    pub batch_size: Option<usize>,
    /// Batches in flight per worker.
    pub prefetch: Option<usize>,
    /// Hybrid scheduling on or off (default: the config's `run.hybrid`).
    pub hybrid: Option<bool>,
    /// Start a new run even if one of the same config and data exists.
    pub fresh: bool,
    /// Resume this run (id or name) of the config and data rather than the latest one
    /// (`run --run NAME`: e.g. an interrupted `--fresh` run).
    pub resume: Option<String>,
    /// The binary to run workers from (default: this executable).
    pub worker_exe: Option<PathBuf>,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// Evaluate only this shard's part of the spec index space, into its own journal.
    pub shard: Option<Shard>,
    /// Start even when the resource guards object (`run --yes`).
    pub assume_yes: bool,
}

/// The runtime knobs of this invocation: the config's `[run]` with the command line's
/// overrides, resolved once per search and handed down as one value.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Start a new run even if one of the same config and data exists.
    pub fresh: bool,
    /// Resume this run (id or name) rather than the latest of the config and data.
    pub resume: Option<String>,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// Evaluate only this shard's part of the spec index space, into its own journal.
    pub shard: Option<Shard>,
    /// Start even when the resource guards object (`run --yes`).
    pub assume_yes: bool,
    /// The binary worker processes run (this executable unless the command line says).
    pub worker_exe: Option<PathBuf>,
    pub executor: config::Executor,
    pub transport: Transport,
    pub workers: usize,
    pub batch_size: u64,
    /// Batches in flight per worker.
    pub prefetch: usize,
    /// Screen fresh batches in the coordinator first (process executor only).
    pub hybrid: bool,
    /// Least time a worker gets for a batch before the watchdog stops it.
    pub batch_timeout: std::time::Duration,
    /// How long a graceful stop waits for in-flight batches.
    pub drain_timeout: std::time::Duration,
}

impl Settings {
    pub fn resolve(session: &Session, opts: &RunOptions) -> Settings {
        let run = &session.config.file.run;
        Settings {
            fresh: opts.fresh,
            resume: opts.resume.clone(),
            progress: opts.progress,
            shard: opts.shard,
            assume_yes: opts.assume_yes,
            worker_exe: opts.worker_exe.clone(),
            executor: opts.executor.unwrap_or(run.executor),
            transport: session.resolve_transport(opts.transport.unwrap_or(run.transport)),
            workers: match opts.workers.unwrap_or(run.workers) {
                0 => std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
                n => n,
            },
            batch_size: opts.batch_size.unwrap_or(run.batch_size).max(1) as u64,
            prefetch: opts.prefetch.unwrap_or(run.prefetch).max(1),
            hybrid: opts.hybrid.unwrap_or(run.hybrid),
            batch_timeout: std::time::Duration::from_secs_f64(run.batch_timeout),
            drain_timeout: std::time::Duration::from_secs_f64(run.drain_timeout),
        }
    }
}

/// How a `run` invocation ended, for the summary.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run: RunRow,
    /// The segment of a `[[segment]]` config.
    pub segment: Option<String>,
    pub shard: Option<Shard>,
    pub journal: PathBuf,
    /// The run was already complete: nothing was evaluated.
    pub already_complete: bool,
    pub resumed: bool,
    pub interrupted: Option<&'static str>,
    pub executor: String,
    pub transport: String,
    pub workers: usize,
    pub evaluated_now: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    pub journal_rows_per_second: f64,
    pub crashes: usize,
    pub fell_back_to_serial: Option<String>,
    pub froze_bundle: bool,
    /// What this invocation's finish did (None when the run did not reach it).
    pub finish: Option<FinishReport>,
    /// A complete run forecast again because its scenario inputs changed.
    pub reforecast: Option<finish::Reforecast>,
    /// Where the time went (benchmarks and the run summary).
    pub timings: RunTimings,
}

/// Wall and CPU time of one `run` invocation by phase, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunTimings {
    /// Load, align, materialise and pretest (the bundle in memory).
    pub build_s: f64,
    /// Plan the spec space.
    pub plan_s: f64,
    /// Write the bundle (0 when it was current).
    pub freeze_s: f64,
    /// Evaluate every pending spec and commit its outcome.
    pub search_s: f64,
    /// Rank, replay, validate, set the status.
    pub finish_s: f64,
    /// CPU of the coordinator process during the search (dispatch, the journal writer and,
    /// for the serial and thread executors, the evaluation itself).
    pub coordinator_cpu_s: f64,
    /// CPU of the journal writer thread (part of the coordinator's).
    pub writer_cpu_s: f64,
    /// CPU of the worker processes (process executor).
    pub worker_cpu_s: f64,
    /// Wall time the writer spent inside SQLite.
    pub writer_busy_s: f64,
}

/// Runs (or resumes) the search of a config.
pub fn run(config: Config, opts: &RunOptions) -> Result<RunSummary> {
    let mut summaries = run_all(vec![config], opts)?;
    Ok(summaries.remove(0))
}

/// Runs (or resumes) every search of `configs` (the segments of one file, in order): each is
/// opened, planned and guarded before anything is written, then searched as its own run by
/// one warm pool of workers. Stops after a segment that was interrupted; returns a summary per
/// segment searched.
pub fn run_all(configs: Vec<Config>, opts: &RunOptions) -> Result<Vec<RunSummary>> {
    anyhow::ensure!(!configs.is_empty(), "no search to run");
    anyhow::ensure!(
        !(opts.fresh && opts.resume.is_some()),
        "--fresh starts a new run and --run resumes one: give one of them"
    );
    if let (Some(name), true) = (&opts.resume, configs.len() > 1) {
        anyhow::bail!(
            "--run {name} resumes one run, and {} has {} segments: name the run's segment with \
             --segment; nothing was written",
            configs[0].path.display(),
            configs.len()
        );
    }
    if opts.shard.is_some() && configs.iter().any(|c| c.segment.is_some()) {
        anyhow::bail!(
            "--shard is not available for a config with [[segment]] tables ({}) yet: shard \
             journals and `merge` hold one search; nothing was written",
            configs[0].path.display()
        );
    }
    let stage = Stage::start(opts.progress, "preparing the data and planning the search");
    let mut prepared = Vec::with_capacity(configs.len());
    for config in configs {
        let segment = config.segment_name().map(str::to_string);
        let in_segment = |err: anyhow::Error| match &segment {
            Some(name) => err.context(format!("segment `{name}`")),
            None => err,
        };
        let session = Session::open(config, opts.workspace.as_deref()).map_err(in_segment)?;
        let settings = Settings::resolve(&session, opts);
        guard(&session, &settings).map_err(in_segment)?;
        // Bad scenario inputs stop the run here, not after the search.
        let scenario_inputs = crate::scenario::check_inputs(&session).map_err(in_segment)?;
        // And bad [stability] / [backtest] dates, which the validation at the finish reads.
        crate::validation::stability_inputs::StabilityInputs::resolve(&session)
            .map_err(|e| in_segment(e.into()))?;
        // So does a bad [incumbent].
        crate::benchmarks::check_incumbent(&session).map_err(in_segment)?;
        prepared.push((session, settings, scenario_inputs));
    }
    drop(stage);
    let root = prepared[0].0.workspace_root.clone();
    root.create()?;
    // One coordinator per journal: shards of one search may share a workspace.
    let lock_name = match opts.shard {
        Some(s) => format!("run-shard-{}-of-{}.lock", s.index, s.count),
        None => "run.lock".to_string(),
    };
    let _lock = lock::acquire(&root.dir, &lock_name)?;
    signals::install();
    let mut pool = WarmPool::default();
    let mut summaries = Vec::with_capacity(prepared.len());
    for (i, (session, settings, scenario_inputs)) in prepared.iter().enumerate() {
        let keep_warm = prepared[i + 1..]
            .iter()
            .any(|(_, s, _)| s.executor == config::Executor::Process);
        let summary = run_segment(
            session,
            settings,
            scenario_inputs.as_ref(),
            &mut pool,
            keep_warm,
        )
        .map_err(|e| match session.config.segment_name() {
            Some(name) => e.context(format!("segment `{name}`")),
            None => e,
        })?;
        let stop = summary.interrupted.is_some();
        summaries.push(summary);
        if stop {
            break;
        }
    }
    pool.shutdown();
    Ok(summaries)
}

/// Steps 2–5 for one search (a config, or one segment of it).
fn run_segment(
    session: &Session,
    settings: &Settings,
    scenario_inputs: Option<&crate::scenario::ScenarioInputs>,
    pool: &mut WarmPool,
    keep_warm: bool,
) -> Result<RunSummary> {
    let ws = &session.workspace;
    let mut timings = RunTimings {
        build_s: session.timings.build_s,
        plan_s: session.timings.plan_s,
        ..RunTimings::default()
    };
    let started = Instant::now();
    let stage = Stage::start(
        settings.progress,
        "freezing the features (or checking them)",
    );
    let froze_bundle = session.freeze()?.written;
    timings.freeze_s = started.elapsed().as_secs_f64();
    if froze_bundle {
        info!("froze features into {}", ws.dir.display());
    }
    // Just written from the data, or verified now: a changed value never reaches a worker.
    if !froze_bundle {
        if let Some(repair) = session.verify_store(settings.transport)? {
            warn!("{repair}");
        }
    }
    drop(stage);
    for (key, item, why) in &session.plan.dropped {
        warn!("{key} {item:?} is left out: {why}");
    }

    let journal_path = match settings.shard {
        Some(s) => session.workspace_root.shard_journal(s.index, s.count),
        None => session.workspace_root.journal(),
    };
    ws.warn_if_on_network_filesystem(&journal_path);
    if journal_path.exists() {
        // Nothing more goes into a damaged file, and a complete run's results are not reported
        // from one: SQLite's structure check, and the invariants of the run to resume, on a
        // read-only handle before the journal is opened for writing (which writes its views).
        let reader = Journal::open(&journal_path)?;
        let resumed = match settings.fresh {
            true => None,
            false => reader.latest_run_for(&session.config.search_hash(), session.bundle_hash())?,
        };
        reader.verify_for_resume(resumed.map(|r| r.run_id))?;
    }
    let journal = JournalRw::open(&journal_path)?;
    let (mut run, resumed) = find_or_create_run(&journal, session, settings)?;
    // A timeout is not a spec's verdict: such specs are evaluated again, also in a run that
    // otherwise completed.
    let retried = journal.forget_timeouts(run.run_id)?;
    if retried > 0 {
        info!(
            "{retried} spec(s) of run {} timed out in an earlier session: evaluating them again",
            run.name
        );
        if let Some(now) = journal.run(run.run_id)? {
            run = now;
        }
        resume::record_plan(&journal, session, &run)?;
    }
    let mut summary = RunSummary {
        run: run.clone(),
        segment: session.config.segment_name().map(str::to_string),
        shard: settings.shard,
        journal: journal_path.clone(),
        already_complete: run.status == RunStatus::Complete,
        resumed,
        interrupted: None,
        executor: String::new(),
        transport: String::new(),
        workers: 0,
        evaluated_now: 0,
        wall_seconds: 0.0,
        cpu_seconds: 0.0,
        journal_rows_per_second: 0.0,
        crashes: 0,
        fell_back_to_serial: None,
        froze_bundle,
        finish: None,
        reforecast: None,
        timings,
    };
    if summary.already_complete {
        // New scenario files need no new search: the finished run is forecast again.
        if let (Some(inputs), None) = (scenario_inputs, settings.shard) {
            if crate::scenario::forecast_is_stale(&journal, &run, inputs)? {
                summary.reforecast = finish::reforecast(&journal, &run, session)?;
            }
        }
        return Ok(summary);
    }
    let (mut guard, stale) = journal.begin_run(run.run_id)?;
    if stale > 0 {
        info!(
            "closed {stale} session(s) of run {} left open by a killed coordinator",
            run.name
        );
    }
    let owned = match settings.shard {
        Some(s) => s.ranges(run.spec_count),
        None => vec![(0, run.spec_count)],
    };
    let pending = ranges::subtract(&owned, &journal.done_ranges(run.run_id)?);
    let (owned_count, pending_count) = (ranges::count(&owned), ranges::count(&pending));
    let counts = journal.counts(run.run_id)?;
    let before = Before {
        done: owned_count - pending_count,
        passed: counts.passed,
        errors: counts.errors,
    };
    if resumed {
        info!(
            "resuming run {}: {} of {owned_count} specs already journaled, {pending_count} to go",
            run.name,
            owned_count - pending_count
        );
    }

    let session_id = guard.start_session(
        executor_code(settings.executor),
        settings.transport.as_str(),
        settings.workers,
    )?;
    let work = Work {
        run: &run,
        session_id,
        pending,
        before,
        journal: &journal_path,
    };
    let e = match evaluate(session, settings, work, pool, keep_warm) {
        Ok(e) => e,
        Err(err) => {
            // Nothing was evaluated (the executor or the writer did not start): close the
            // session and leave the run resumable.
            guard.fail(&format!("stopped: {err:#}"))?;
            return Err(err);
        }
    };
    for w in &e.workers {
        journal.record_worker(run.run_id, session_id, w)?;
    }
    for s in &e.setups {
        journal.record_setup(run.run_id, session_id, s)?;
    }
    summary.executor = executor_name(settings.executor, e.fell_back_to_serial.is_some());
    summary.transport = settings.transport.as_str().to_string();
    summary.workers = if e.fell_back_to_serial.is_some() {
        1
    } else {
        settings.workers
    };
    summary.evaluated_now = e.evaluated;
    summary.crashes = e.crashes;
    summary.fell_back_to_serial = e.fell_back_to_serial.clone();
    summary.journal_rows_per_second = e.journal_rows_per_second;
    summary.cpu_seconds = e.cpu_seconds;
    summary.timings.search_s = e.wall_seconds;
    summary.timings.coordinator_cpu_s = e.coordinator_cpu_seconds;
    summary.timings.writer_cpu_s = e.writer_cpu_seconds;
    summary.timings.worker_cpu_s = e.worker_cpu_seconds;
    summary.timings.writer_busy_s = e.writer_busy_seconds;
    guard.record_totals(SessionTotals {
        specs_done: e.evaluated,
        wall_seconds: e.wall_seconds,
        cpu_seconds: e.cpu_seconds,
    });
    if let Some(err) = e.error {
        // Everything evaluated so far is committed: leave the run resumable and say why.
        guard.fail(&format!("stopped: {err:#}"))?;
        return Err(err.context(format!(
            "run {} stopped; the {} outcomes journaled so far are kept and `specsearch run {} \
             --run {}` resumes it",
            run.name,
            e.evaluated,
            shell_quote(&session.config.path.display().to_string()),
            shell_quote(&run.name)
        )));
    }
    summary.interrupted = signals::stop_requested().then(signals::stop_signal_name);
    summary.wall_seconds = e.wall_seconds;
    let complete =
        summary.interrupted.is_none() && journal.counts(run.run_id)?.evaluated == owned_count;
    if !complete {
        guard.end(RunStatus::Interrupted, None)?;
    } else if settings.shard.is_some() {
        // A shard's ranking and replay are derived by `merge`, over every shard's outcomes.
        guard.end(RunStatus::Complete, None)?;
    } else {
        let ranking = &session.config.file.ranking;
        let started = Instant::now();
        let stage = Stage::start(
            settings.progress,
            "finishing: ranking the passed models, replaying composites, validating",
        );
        let finished =
            finish::finish(&journal, guard, &run, ranking, Some(session)).with_context(|| {
                format!(
                    "finishing run {} (journal {})",
                    run.name,
                    journal_path.display()
                )
            });
        drop(stage);
        summary.timings.finish_s = started.elapsed().as_secs_f64();
        summary.finish = Some(finished?);
    }
    summary.run = journal.run(run.run_id)?.expect("the run exists");
    Ok(summary)
}

/// Refuses, before anything is written, a run that would exceed the machine (disk, memory)
/// or the configured limits (`run.max_hours`, `run.max_specs`), with the figures and what to
/// do; `--yes` turns the refusal into warnings.
fn guard(session: &Session, settings: &Settings) -> Result<()> {
    let run = &session.config.file.run;
    let specs = session.plan.space.count();
    let owned = match settings.shard {
        Some(s) => ranges::count(&s.ranges(specs)),
        None => specs,
    };
    let pending = owned.saturating_sub(journaled(session, settings));
    if pending == 0 {
        return Ok(());
    }
    let estimate = Estimate::measure(session, settings.workers, 400)?;
    let fresh_store =
        crate::freeze::current_hash(&session.workspace).as_deref() != Some(session.bundle_hash());
    let objections = estimate.objections(
        pending,
        &session.workspace.dir,
        fresh_store,
        &Limits {
            max_hours: run.max_hours,
            max_specs: run.max_specs,
        },
    );
    if objections.is_empty() {
        return Ok(());
    }
    if settings.assume_yes {
        for o in &objections {
            warn!("starting anyway (--yes): {o}");
        }
        return Ok(());
    }
    anyhow::bail!(
        "refusing to start the search of {}:\n  - {}\nNothing was written. Narrow the search \
         (see `specsearch plan {}`), raise run.max_hours / run.max_specs in the config, or \
         pass --yes to start anyway.",
        session.config.path.display(),
        objections.join("\n  - "),
        session.config.path.display()
    )
}

/// Outcomes the journal already holds for this run (0 when there is no journal or run yet),
/// read without creating anything.
fn journaled(session: &Session, settings: &Settings) -> u64 {
    let ws = &session.workspace_root;
    let path = match settings.shard {
        Some(s) => ws.shard_journal(s.index, s.count),
        None => ws.journal(),
    };
    if settings.fresh || !path.exists() {
        return 0;
    }
    let Ok(journal) = Journal::open(&path) else {
        return 0;
    };
    let run = match &settings.resume {
        Some(name) => journal.find_run(name),
        None => journal.latest_run_for(&session.config.search_hash(), session.bundle_hash()),
    };
    match run {
        Ok(Some(run)) => journal.counts(run.run_id).map_or(0, |c| c.evaluated),
        _ => 0,
    }
}

/// The run of this config and data to resume, or a new one: `(run, resumed)`.
pub fn find_or_create_run(
    journal: &JournalRw,
    session: &Session,
    settings: &Settings,
) -> Result<(RunRow, bool)> {
    let config = &session.config;
    let spec_count = session.plan.space.count();
    let search_hash = config.search_hash();
    if let Some(name) = &settings.resume {
        let r = resumable_run(journal, session, name)?;
        return Ok((r, true));
    }
    if !settings.fresh {
        if let Some(r) = journal.latest_run_for(&search_hash, session.bundle_hash())? {
            anyhow::ensure!(
                r.spec_count == spec_count,
                "run {} has {} specs but the plan now has {spec_count}; start over with --fresh",
                r.name,
                r.spec_count
            );
            if r.status != RunStatus::Complete {
                resume::record_plan(journal, session, &r)?;
            }
            return Ok((r, true));
        }
        // Say why a new run starts: the same search on other data, or another search.
        if let Some(prev) = journal.latest_run_of_search(&search_hash)? {
            info!(
                "the data changed since run {} of this search (frozen bundle {} → {}): starting \
                 a new run",
                prev.name,
                &prev.bundle_hash[..12],
                &session.bundle_hash()[..12]
            );
        } else if let Some(prev) = journal.latest_run()? {
            if prev.config_path == config.absolute_path.display().to_string() {
                info!(
                    "the search config changed since run {}: starting a new run",
                    prev.name
                );
            }
        }
    }
    let b = &session.built.bundle;
    let run_id = journal.create_run(&NewRun {
        name_stem: &session.run_name_stem(),
        config_path: &config.absolute_path.display().to_string(),
        config_text: &config.text,
        search_hash: &search_hash,
        bundle_hash: session.bundle_hash(),
        target: &b.catalogue.columns[0].name,
        frequency: &b.frequency.to_string(),
        target_stationary: session.built.target_pretest.stationary,
        has_out_of_sample: b.sample.n_oos() > 0,
        features: &session.run_features(),
        space: &session.plan.space,
        record_plan: true,
    })?;
    if let Some(s) = settings.shard {
        journal.set_shard(run_id, s.index, s.count)?;
    }
    if let Some(segment) = config.segment_name() {
        journal.set_segment(run_id, segment)?;
    }
    let row = journal.run(run_id)?.expect("the run just created");
    Ok((row, false))
}

fn executor_code(kind: config::Executor) -> &'static str {
    match kind {
        config::Executor::Process => "process",
        config::Executor::Thread => "thread",
        config::Executor::Serial => "serial",
    }
}

fn executor_name(kind: config::Executor, fell_back: bool) -> String {
    if fell_back {
        "serial (fallback)".into()
    } else {
        executor_code(kind).into()
    }
}
