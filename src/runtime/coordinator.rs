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
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tracing::{info, warn};

use super::context::{EvalContext, SearchSetup, Transport};
use super::executor::{Batch, Event, Executor, ProcessExecutor, SerialExecutor, ThreadExecutor};
use super::shard::Shard;
use super::{lock, signals};
use crate::config::{self, Config};
use crate::journal::runs::{self, NewRun, RunFeature, RunRow};
use crate::journal::writer::{FlushPolicy, JournalWriter};
use crate::journal::{derive, schema, OutcomeRecord, STATUS_ERROR};
use crate::plan;
use crate::workspace::Workspace;

/// Bundles at least this large go through `mmap` when the transport is `auto`.
const AUTO_MMAP_BYTES: usize = 64 << 20;
/// Crashes tolerated per session before the run is abandoned as hopeless.
const MAX_CRASHES: usize = 32;

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
            crate::freeze::freeze(config, &ws)?;
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
    let done = runs::done_indices(&conn, run.run_id)?;
    let owned = match opts.shard {
        Some(s) => s.ranges(spec_count),
        None => vec![(0, spec_count)],
    };
    let owned_count: u64 = owned.iter().map(|(a, b)| b - a).sum();
    let pending = pending_within(&done, &owned);
    let pending_count: u64 = pending.iter().map(|(a, b)| b - a).sum();
    if resumed {
        info!(
            "resuming run {}: {} of {spec_count} specs already journaled, {pending_count} to go",
            run.name,
            done.len()
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
    outcome?;

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

/// The parts of the half-open, ascending `owned` ranges whose indices are not in `done`
/// (ascending).
pub fn pending_within(done: &[u64], owned: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut d = 0usize;
    for &(start, end) in owned {
        while d < done.len() && done[d] < start {
            d += 1;
        }
        let mut next = start;
        while d < done.len() && done[d] < end {
            if done[d] > next {
                out.push((next, done[d]));
            }
            next = next.max(done[d] + 1);
            d += 1;
        }
        if next < end {
            out.push((next, end));
        }
    }
    out
}

/// The half-open ranges of `0..count` not in `done` (sorted ascending).
pub fn pending_ranges(done: &[u64], count: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = 0u64;
    for &d in done {
        if d >= count {
            break;
        }
        if d > next {
            out.push((next, d));
        }
        next = next.max(d + 1);
    }
    if next < count {
        out.push((next, count));
    }
    out
}

/// Cuts pending ranges into batches of at most `size` specs, lazily.
struct BatchSource {
    ranges: VecDeque<(u64, u64)>,
    size: u64,
    next_id: u64,
}

impl BatchSource {
    fn new(ranges: Vec<(u64, u64)>, size: u64) -> BatchSource {
        BatchSource {
            ranges: ranges.into(),
            size,
            next_id: 0,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn next(&mut self) -> Option<Batch> {
        let mut ranges = Vec::new();
        let mut room = self.size;
        while room > 0 {
            let Some((a, b)) = self.ranges.pop_front() else {
                break;
            };
            let take = (b - a).min(room);
            ranges.push((a, a + take));
            room -= take;
            if a + take < b {
                self.ranges.push_front((a + take, b));
            }
        }
        (!ranges.is_empty()).then(|| Batch {
            id: self.next_id(),
            ranges,
        })
    }
}

struct Dispatch {
    batches: BatchSource,
    /// Batches to run again (after a crash), before new ones.
    retry: VecDeque<Batch>,
    crash_counts: HashMap<u64, u8>,
    crashes: usize,
    evaluated: u64,
    passed: u64,
    errors: u64,
}

fn dispatch(
    d: &mut Dispatch,
    ex: &mut dyn Executor,
    writer: &JournalWriter,
    session_id: i64,
    plan: &plan::Plan,
    progress: &Progress,
) -> Result<()> {
    let mut held: Option<Batch> = None;
    loop {
        if !signals::stop_requested() {
            // Fill every free slot.
            while let Some(batch) = held
                .take()
                .or_else(|| d.retry.pop_front())
                .or_else(|| d.batches.next())
            {
                if let Some(back) = ex.try_submit(batch).map_err(anyhow::Error::msg)? {
                    held = Some(back);
                    break;
                }
            }
        }
        if ex.in_flight() == 0 {
            if signals::stop_requested() || (held.is_none() && d.retry.is_empty()) {
                return Ok(());
            }
            continue;
        }
        let Some(event) = ex.next_event(Duration::from_millis(200)) else {
            progress.tick(d);
            continue;
        };
        match event {
            Event::Done {
                worker, records, ..
            } => {
                d.evaluated += records.len() as u64;
                d.passed += records.iter().filter(|r| r.status == 0).count() as u64;
                d.errors += records.iter().filter(|r| r.status == STATUS_ERROR).count() as u64;
                writer.send(session_id, worker, records)?;
                progress.tick(d);
            }
            Event::Fatal(message) => bail!("a worker cannot evaluate specs: {message}"),
            Event::Lost {
                worker,
                status,
                batches,
            } => {
                d.crashes += 1;
                warn!(
                    "worker {worker} died ({status}); re-queueing its {} batch(es)",
                    batches.len()
                );
                if d.crashes > MAX_CRASHES {
                    bail!(
                        "{} worker crashes in this session: giving up (last: {status})",
                        d.crashes
                    );
                }
                // A worker evaluates its batches in order, so only the first was running when
                // it died: its specs are suspects, re-run one by one so that a second crash
                // names the spec. The others never started and go back unchanged.
                let mut lost = batches.into_iter();
                let mut isolated = Vec::new();
                if let Some(running) = lost.next() {
                    let single = running.len() == 1;
                    for (s, e) in running.ranges {
                        for index in s..e {
                            let count = d.crash_counts.entry(index).or_insert(0);
                            *count += 1;
                            if single && *count >= 2 {
                                // This spec alone killed two workers: journal it as an error.
                                let mut spec = Vec::new();
                                plan.space.spec_at(index, &mut spec)?;
                                let record = OutcomeRecord {
                                    spec_index: index,
                                    status: STATUS_ERROR,
                                    failed_test: None,
                                    features: spec,
                                    r2: None,
                                    message: Some(format!("worker crashed: {status}")),
                                    eval_us: 0,
                                    passed: None,
                                    mutations: Vec::new(),
                                };
                                d.evaluated += 1;
                                d.errors += 1;
                                writer.send(session_id, worker, vec![record])?;
                            } else {
                                isolated.push((index, index + 1));
                            }
                        }
                    }
                }
                for b in lost.rev() {
                    d.retry.push_front(b);
                }
                for r in isolated {
                    let id = d.batches.next_id();
                    d.retry.push_back(Batch {
                        id,
                        ranges: vec![r],
                    });
                }
                if !signals::stop_requested() {
                    ex.replace(worker).map_err(anyhow::Error::msg)?;
                }
            }
        }
    }
}

/// A progress bar on a terminal, heartbeat log lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_beat: std::cell::Cell<Instant>,
    total: u64,
}

impl Progress {
    fn new(wanted: bool, total: u64) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {pos}/{len} specs · {per_sec} · ETA {eta} · {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            last_beat: std::cell::Cell::new(Instant::now()),
            total,
        }
    }

    fn tick(&self, d: &Dispatch) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(d.evaluated);
                bar.set_message(format!("{} passed · {} errors", d.passed, d.errors));
            }
            None if self.last_beat.get().elapsed() >= Duration::from_secs(10) => {
                self.last_beat.set(Instant::now());
                let secs = self.started.elapsed().as_secs_f64();
                info!(
                    "{}/{} specs ({:.0}/s), {} passed, {} errors",
                    d.evaluated,
                    self.total,
                    d.evaluated as f64 / secs.max(1e-9),
                    d.passed,
                    d.errors
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_ranges_are_the_complement() {
        assert_eq!(pending_ranges(&[], 5), vec![(0, 5)]);
        assert_eq!(pending_ranges(&[0, 1, 2, 3, 4], 5), vec![]);
        assert_eq!(pending_ranges(&[1, 2, 6], 8), vec![(0, 1), (3, 6), (7, 8)]);
        assert_eq!(pending_ranges(&[7], 8), vec![(0, 7)]);
        assert_eq!(
            pending_within(&[1, 2, 6, 11, 20], &[(0, 4), (6, 9), (10, 13)]),
            vec![(0, 1), (3, 4), (7, 9), (10, 11), (12, 13)]
        );
        assert_eq!(pending_within(&[], &[(5, 7)]), vec![(5, 7)]);
    }

    #[test]
    fn batches_cover_ranges_in_order_without_overlap() {
        let mut src = BatchSource::new(vec![(0, 3), (5, 12)], 4);
        let mut all = Vec::new();
        while let Some(b) = src.next() {
            assert!(b.len() <= 4);
            for (s, e) in b.ranges {
                all.extend(s..e);
            }
        }
        assert_eq!(all, vec![0, 1, 2, 5, 6, 7, 8, 9, 10, 11]);
    }
}
