//! The coordinator of `specsearch run`: freeze if stale, plan, find or create the run, dispatch
//! the spec indices without an outcome to an executor, journal every outcome, and finish by
//! deriving the ranking from the journal, then — once every worker has exited — replaying the
//! run's mutation records into `features.duckdb` and validating every passed model's columns
//! against the store (`store::replay`). The run is `complete` only after both; a validation
//! failure marks it `failed` with the report. A run whose specs all have an outcome (e.g. killed
//! between the workers' exit and the replay) goes straight to the finish when run again.
//!
//! Dispatch keeps at most two batches in flight per worker, so memory is O(workers), not
//! O(specs). The journal writer runs on its own thread; the dispatch loop only moves records
//! from the executor to the writer's bounded channel.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use tracing::{info, warn};

use super::context::{EvalContext, SearchSetup, Transport};
use super::dispatch::{dispatch, subtract, BatchSource, Dispatch, Progress};
use super::executor::{Executor, ProcessExecutor, SerialExecutor, ThreadExecutor};
use super::shard::Shard;
use super::{lock, signals};
use crate::config::{self, Config};
use crate::journal::runs::{self, NewRun, RunFeature, RunRow};
use crate::journal::writer::{FlushPolicy, JournalWriter};
use crate::journal::{derive, schema};
use crate::plan;
use crate::workspace::Workspace;

/// Bundles at least this large go through `mmap` when the transport is `auto`.
const AUTO_MMAP_BYTES: usize = 64 << 20;

/// Overrides of the config's `[run]` section from the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub workspace: Option<PathBuf>,
    pub executor: Option<config::Executor>,
    pub transport: Option<config::Transport>,
    pub workers: Option<usize>,
    pub batch_size: Option<usize>,
    /// Start a new run even if one of the same config and data exists.
    pub fresh: bool,
    /// The binary to run workers from (default: this executable).
    pub worker_exe: Option<PathBuf>,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// Evaluate only this shard's part of the spec index space, into its own journal.
    pub shard: Option<Shard>,
}

/// How a `run` invocation ended, for the summary.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run: RunRow,
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
    /// What this invocation's replay did (None when the run did not reach its finish).
    pub replay: Option<crate::store::replay::ReplayReport>,
}

/// Runs (or resumes) the search of a config.
pub fn run(config: &Config, opts: &RunOptions) -> Result<RunSummary> {
    let ws = Workspace::for_config(config, opts.workspace.as_deref());
    ws.create()?;
    // One coordinator per journal: shards of one search may share a workspace.
    let lock_name = match opts.shard {
        Some(s) => format!("run-shard-{}-of-{}.lock", s.index, s.count),
        None => "run.lock".to_string(),
    };
    let _lock = lock::acquire(&ws.dir, &lock_name)?;
    signals::install();

    // Freeze (a no-op when the bundle is current) and plan. Shards started together on one
    // workspace take turns, so the bundle is written once.
    let built = crate::freeze::build(config)?;
    let froze_bundle = {
        let _freezing = lock::acquire_blocking(&ws.dir, "freeze.lock")?;
        let stale = crate::freeze::current_hash(&ws).as_deref() != Some(built.hash.as_str());
        if stale {
            info!("freezing features into {}", ws.dir.display());
            crate::freeze::write_built(&built, &ws, Instant::now())?;
        }
        stale
    };
    let bundle = &built.bundle;
    let catalogue = &bundle.catalogue;
    let key_context = plan::key_context(catalogue, &bundle.dates, bundle.sample);
    let plan = plan::plan(
        config,
        catalogue,
        &built.metadata,
        &built.search,
        key_context,
    )?;
    for (key, item, why) in &plan.dropped {
        warn!("{key} {item:?} is left out: {why}");
    }
    let spec_count = plan.space.count();

    // Find or create the run.
    let journal_path = match opts.shard {
        Some(s) => ws.shard_journal(s.index, s.count),
        None => ws.journal(),
    };
    let conn = schema::open_rw(&journal_path)?;
    let search_hash = config.search_hash();
    let existing = runs::latest_for(&conn, &search_hash, &built.hash)?;
    let (run, resumed) = match existing {
        Some(r) if !opts.fresh => {
            anyhow::ensure!(
                r.spec_count == spec_count,
                "run {} has {} specs but the plan now has {spec_count}; start over with --fresh",
                r.name,
                r.spec_count
            );
            (r, true)
        }
        _ => {
            if let Some(prev) = runs::latest(&conn)? {
                if !opts.fresh && prev.config_path == config.path.display().to_string() {
                    let what = if prev.search_hash != search_hash {
                        "the search config changed"
                    } else {
                        "the data changed"
                    };
                    info!("{what} since run {}: starting a new run", prev.name);
                }
            }
            // Regime source columns (role `base`) are never in a spec: they are left out (the
            // journal's role CHECK predates them).
            let mut features: Vec<RunFeature> = catalogue
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.role != crate::features::catalogue::Role::Base)
                .map(|(id, c)| RunFeature {
                    id: id as u32,
                    name: c.name.clone(),
                    role: c.role.as_str().to_string(),
                    base: c.base.clone(),
                    category: c.category.clone(),
                })
                .collect();
            // Composite columns (built by workers, replayed at the finish), so the journal's
            // views can expand outcome feature lists that use them.
            features.extend(plan.composites.iter().map(|c| RunFeature {
                id: c.id,
                name: c.name.clone(),
                role: "composite".into(),
                base: c.base.clone(),
                category: c.category.clone(),
            }));
            let text = std::fs::read_to_string(&config.path).unwrap_or_default();
            let stem = run_name_stem(config);
            let path_text = config.path.display().to_string();
            let run_id = runs::create_run(
                &conn,
                &NewRun {
                    name_stem: &stem,
                    config_path: &path_text,
                    config_text: &text,
                    search_hash: &search_hash,
                    bundle_hash: &built.hash,
                    target: &catalogue.columns[0].name,
                    frequency: &bundle.frequency.to_string(),
                    spec_count,
                    target_stationary: built.target_pretest.stationary,
                    has_out_of_sample: bundle.sample.n_oos() > 0,
                    features: &features,
                },
            )?;
            if let Some(s) = opts.shard {
                runs::set_shard(&conn, run_id, s.index, s.count)?;
            }
            let row = runs::find(&conn, &run_id.to_string())?.expect("the run just created");
            (row, false)
        }
    };
    if run.status == "complete" {
        return Ok(RunSummary {
            run,
            shard: opts.shard,
            journal: journal_path,
            already_complete: true,
            resumed: true,
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
            replay: None,
        });
    }
    runs::set_status(&conn, run.run_id, "running", None)?;
    let done = runs::done_ranges(&conn, run.run_id)?;
    let owned = match opts.shard {
        Some(s) => s.ranges(spec_count),
        None => vec![(0, spec_count)],
    };
    let owned_count: u64 = owned.iter().map(|(a, b)| b - a).sum();
    let pending = subtract(&owned, &done);
    let pending_count: u64 = pending.iter().map(|(a, b)| b - a).sum();
    if resumed {
        info!(
            "resuming run {}: {} of {owned_count} specs already journaled, {pending_count} to go",
            run.name,
            owned_count - pending_count
        );
    }

    // The setup every evaluator gets.
    let run_cfg = &config.file.run;
    let matrix_bytes = bundle.n_rows() * catalogue.len() * 8;
    let transport = match opts.transport.unwrap_or(run_cfg.transport) {
        config::Transport::Duckdb => Transport::Duckdb,
        config::Transport::Mmap => Transport::Mmap,
        config::Transport::Auto if matrix_bytes >= AUTO_MMAP_BYTES => Transport::Mmap,
        config::Transport::Auto => Transport::Duckdb,
    };
    let setup = Arc::new(SearchSetup::new(
        &ws,
        &built,
        &plan.input,
        transport,
        config,
    ));
    let workers = match opts.workers.unwrap_or(run_cfg.workers) {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    let batch_size = opts.batch_size.unwrap_or(run_cfg.batch_size).max(1) as u64;
    let executor_kind = opts.executor.unwrap_or(run_cfg.executor);

    let started = Instant::now();
    let cpu_before = super::protocol::usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let session_id = runs::start_session(
        &conn,
        run.run_id,
        match executor_kind {
            config::Executor::Process => "process",
            config::Executor::Thread => "thread",
            config::Executor::Serial => "serial",
        },
        transport.as_str(),
        workers,
    )?;

    let mut fell_back_to_serial = None;
    let mut executor: Box<dyn Executor> = match executor_kind {
        config::Executor::Process if pending_count > 0 => {
            let exe = match &opts.worker_exe {
                Some(p) => p.clone(),
                None => std::env::current_exe().context("cannot locate the specsearch binary")?,
            };
            match ProcessExecutor::new(exe, setup.clone(), workers) {
                Ok(ex) => Box::new(ex),
                Err(why) => {
                    warn!("worker processes could not start ({why}); falling back to serial");
                    fell_back_to_serial = Some(why);
                    Box::new(SerialExecutor::new(Arc::new(EvalContext::open(&setup)?)))
                }
            }
        }
        config::Executor::Thread if pending_count > 0 => Box::new(
            ThreadExecutor::new(Arc::new(EvalContext::open(&setup)?), workers)
                .map_err(anyhow::Error::msg)?,
        ),
        _ => Box::new(SerialExecutor::new(Arc::new(EvalContext::open(&setup)?))),
    };

    let writer = JournalWriter::spawn(&journal_path, run.run_id, FlushPolicy::default())?;
    let progress = Progress::new(opts.progress, pending_count);
    let mut d = Dispatch {
        batches: BatchSource::new(pending, batch_size),
        retry: VecDeque::new(),
        crash_counts: HashMap::new(),
        crashes: 0,
        evaluated: 0,
        passed: 0,
        errors: 0,
    };
    let outcome = dispatch(
        &mut d,
        executor.as_mut(),
        &writer,
        session_id,
        &plan,
        &progress,
    );
    let worker_rows = executor.shutdown();
    progress.finish();
    let stats = writer.finish()?;
    if let Err(err) = outcome {
        // Everything evaluated so far is committed: leave the run resumable and say why it stopped.
        for w in &worker_rows {
            runs::record_worker(&conn, run.run_id, session_id, w)?;
        }
        let detail = format!("stopped: {err:#}");
        runs::set_status(&conn, run.run_id, "interrupted", Some(&detail))?;
        runs::end_session(
            &conn,
            run.run_id,
            session_id,
            "failed",
            d.evaluated,
            started.elapsed().as_secs_f64(),
            0.0,
        )?;
        return Err(err.context(format!(
            "run {} stopped; the {} outcomes journaled so far are kept and the same command resumes it",
            run.name, d.evaluated
        )));
    }

    let interrupted = signals::stop_requested().then(signals::stop_signal_name);
    let wall = started.elapsed().as_secs_f64();
    let cpu_after = super::protocol::usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let coordinator_cpu = (cpu_after.user_seconds + cpu_after.sys_seconds)
        - (cpu_before.user_seconds + cpu_before.sys_seconds);
    let worker_cpu: f64 =
        if executor_kind == config::Executor::Process && fell_back_to_serial.is_none() {
            worker_rows
                .iter()
                .map(|w| w.user_cpu_seconds.unwrap_or(0.0) + w.sys_cpu_seconds.unwrap_or(0.0))
                .sum()
        } else {
            0.0 // threads and serial work are part of the coordinator's own usage
        };
    for w in &worker_rows {
        runs::record_worker(&conn, run.run_id, session_id, w)?;
    }
    let (evaluated_total, ..) = runs::counts(&conn, run.run_id)?;
    let complete = interrupted.is_none() && evaluated_total == owned_count;
    let mut replay = None;
    let mut failure = None;
    // A shard's ranking and replay are derived by `merge`, over every shard's outcomes.
    if complete && opts.shard.is_none() {
        derive::check_weights(&config.file.ranking, bundle.sample.n_oos() > 0)
            .map_err(anyhow::Error::msg)?;
        derive::store_ranking(&conn, run.run_id, &config.file.ranking)?;
        // Every worker has exited and every outcome is committed: replay, then validate.
        super::faults::before_replay();
        match finish_replay(&conn, &run, &ws, &built, &plan) {
            Ok((report, problems)) => {
                replay = Some(report);
                failure = problems;
            }
            Err(err) => {
                // The run stays resumable: the next `run` goes straight to the finish.
                let detail = format!("replay not done: {err:#}");
                runs::set_status(&conn, run.run_id, "interrupted", Some(&detail))?;
                runs::end_session(
                    &conn,
                    run.run_id,
                    session_id,
                    "interrupted",
                    d.evaluated,
                    started.elapsed().as_secs_f64(),
                    coordinator_cpu + worker_cpu,
                )?;
                return Err(err);
            }
        }
    }
    let status = match (complete, &failure) {
        (false, _) => "interrupted",
        (true, Some(_)) => "failed",
        (true, None) => "complete",
    };
    runs::set_status(&conn, run.run_id, status, failure.as_deref())?;
    runs::end_session(
        &conn,
        run.run_id,
        session_id,
        status,
        d.evaluated,
        wall,
        coordinator_cpu + worker_cpu,
    )?;
    let run = runs::find(&conn, &run.run_id.to_string())?.expect("the run exists");
    Ok(RunSummary {
        run,
        shard: opts.shard,
        journal: journal_path,
        already_complete: false,
        resumed,
        interrupted,
        executor: executor_name(executor_kind, fell_back_to_serial.is_some()),
        transport: transport.as_str().to_string(),
        workers: if fell_back_to_serial.is_some() {
            1
        } else {
            workers
        },
        evaluated_now: d.evaluated,
        wall_seconds: wall,
        cpu_seconds: coordinator_cpu + worker_cpu,
        journal_rows_per_second: if stats.busy.as_secs_f64() > 0.0 {
            stats.rows as f64 / stats.busy.as_secs_f64()
        } else {
            0.0
        },
        crashes: d.crashes,
        fell_back_to_serial,
        froze_bundle,
        replay,
    })
}

/// Replays the run's mutations into the store and validates its passed models; returns what the
/// replay did and the failure report (None when every passed model's columns check out).
fn finish_replay(
    conn: &rusqlite::Connection,
    run: &RunRow,
    ws: &Workspace,
    built: &crate::freeze::Built,
    plan: &plan::Plan,
) -> Result<(crate::store::replay::ReplayReport, Option<String>)> {
    use crate::store::replay;
    let store = ws.features_duckdb();
    let report = replay::replay(
        conn,
        run.run_id,
        &run.name,
        &store,
        &built.bundle,
        &built.hash,
        &plan.composites,
        super::faults::after_store_replay,
    )?;
    if report.replayed() > 0 {
        info!(
            "replayed {} mutation(s) into {}: {} inserted, {} already present, {} conflicts",
            report.replayed(),
            store.display(),
            report.inserted,
            report.already_present,
            report.conflicts
        );
    }
    let (problems, checked) = replay::validate(conn, run.run_id, &store, built.bundle.n_rows())?;
    if problems.is_empty() {
        if checked > 0 {
            info!("validated {checked} composite column(s) of passed models against the store");
        }
        return Ok((report, None));
    }
    let shown: Vec<String> = problems
        .iter()
        .take(10)
        .map(|p| format!("  - {p}"))
        .collect();
    let more = if problems.len() > 10 {
        format!("\n  … and {} more", problems.len() - 10)
    } else {
        String::new()
    };
    let detail = format!(
        "validation failed: {} passed-model column problem(s) in {}:\n{}{more}\n\
         The store no longer matches what the workers built (it was changed outside specsearch, \
         or a replay conflicted: see `specsearch audit`). Restore features.duckdb and run the \
         same command again, or delete it and start over with `specsearch run --fresh`.",
        problems.len(),
        store.display(),
        shown.join("\n")
    );
    Ok((report, Some(detail)))
}

/// `demo` for `examples/demo/search.toml`: the config's stem, or its directory's name when the
/// stem says nothing (`search`, `config`).
fn run_name_stem(config: &Config) -> String {
    let stem = config
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let generic = matches!(stem.as_str(), "" | "search" | "config" | "specsearch");
    let dir = std::fs::canonicalize(&config.base_dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    match (generic, dir) {
        (true, Some(dir)) => dir,
        (true, None) => "run".into(),
        (false, _) => stem,
    }
}

fn executor_name(kind: config::Executor, fell_back: bool) -> String {
    match (kind, fell_back) {
        (_, true) => "serial (fallback)".into(),
        (config::Executor::Process, _) => "process".into(),
        (config::Executor::Thread, _) => "thread".into(),
        (config::Executor::Serial, _) => "serial".into(),
    }
}
