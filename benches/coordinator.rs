//! The coordinator alone (`cargo bench --bench coordinator`): dispatch and the journal writer,
//! fed by simulated workers that answer every batch at once with the real outcomes of the
//! PPNR-shaped search (`synth --preset ppnr`, 2,163,980 specs). What it measures is the ceiling
//! the coordinator puts on a search: with W workers each evaluating r specs/s, a search runs at
//! min(W × r, this rate).
//!
//! 1. The real outcome stream: every batch of the search (2,048 specs, as `run` cuts them)
//!    evaluated once by the workers' own code (`EvalContext::evaluate`) and encoded as the
//!    frame a worker writes to its pipe (`FromWorker::Done`).
//! 2. Replays: a fresh journal and run each time, the real `dispatch` loop (batching,
//!    bookkeeping, progress counts), an executor of 64 simulated workers (two batches in
//!    flight each, like the process executor) whose answers are those frames, decoded as the
//!    process executor decodes them, and the real `JournalWriter` (blocks, counters, passed
//!    models) committing to SQLite.
//!
//! Reports specs/s (wall) and the coordinator's CPU per spec (this process's user + system
//! time during the replay: the dispatch thread, frame decoding and the writer thread), and the
//! journal's bytes per outcome. `SPECSEARCH_BENCH_REPLAYS` sets the number of replays
//! (default 5). Not a criterion benchmark: the replays are the measurement.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use specsearch::config::Config;
use specsearch::journal::{FlushPolicy, JournalRw, JournalWriter, RunStatus, WorkerRow};
use specsearch::runtime::context::{EvalContext, EvalScratch, Transport};
use specsearch::runtime::dispatch::{dispatch, BatchSource, Dispatch, Progress};
use specsearch::runtime::executor::{Batch, Event, Executor};
use specsearch::runtime::progress::Before;
use specsearch::runtime::protocol::{read_frame, usage, write_frame, FromWorker};
use specsearch::search::{find_or_create_run, RunOptions, Settings};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};

/// Simulated workers, and batches each may hold (the process executor's prefetch).
const WORKERS: usize = 64;
const IN_FLIGHT: usize = 2;

/// Answers each batch at once with the frame a worker wrote for it.
struct ReplayExecutor<'a> {
    frames: &'a HashMap<u64, Vec<u8>>,
    ready: VecDeque<(u32, Batch)>,
    next_worker: u32,
    buf: Vec<u8>,
}

impl Executor for ReplayExecutor<'_> {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        if self.ready.len() >= WORKERS * IN_FLIGHT {
            return Ok(Some(batch));
        }
        self.next_worker = (self.next_worker + 1) % WORKERS as u32;
        self.ready.push_back((self.next_worker, batch));
        Ok(None)
    }

    fn next_event(&mut self, _timeout: Duration) -> Option<Event> {
        let (worker, batch) = self.ready.pop_front()?;
        let frame = &self.frames[&batch.ranges[0].0];
        let mut reader = &frame[..];
        match read_frame::<FromWorker, _>(&mut reader, &mut self.buf) {
            Ok(Some(FromWorker::Done { id: _, block, .. })) => Some(Event::Done {
                worker,
                batch,
                block,
            }),
            other => panic!("a recorded frame decodes to {other:?}"),
        }
    }

    fn in_flight(&self) -> usize {
        self.ready.len()
    }

    fn replace(&mut self, _worker: u32) -> Result<(), String> {
        Ok(())
    }

    fn shutdown(self: Box<Self>) -> Vec<WorkerRow> {
        Vec::new()
    }

    fn name(&self) -> &'static str {
        "replay"
    }

    fn workers(&self) -> usize {
        WORKERS
    }
}

fn cpu_seconds() -> f64 {
    let u = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    u.user_seconds + u.sys_seconds
}

struct Replay {
    specs: u64,
    wall: f64,
    cpu: f64,
    writer_cpu: f64,
    journal_bytes: u64,
}

fn main() {
    let replays: usize = std::env::var("SPECSEARCH_BENCH_REPLAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let config_path = ppnr::write(&dir.path().join("ppnr"), &PpnrSpec::preset()).unwrap();
    let config = Config::load(&config_path).unwrap();
    let opts = RunOptions {
        fresh: true,
        ..RunOptions::default()
    };
    let session = Session::open(config, Some(&dir.path().join("ws"))).unwrap();
    let settings = Settings::resolve(&session, &opts);
    let spec_count = session.plan.space.count();
    let ctx = EvalContext::from_matrix(
        &session.setup(Transport::Duckdb),
        &session.built.bundle.matrix(),
    )
    .unwrap();

    let started = Instant::now();
    let starts: Vec<u64> = (0..spec_count)
        .step_by(settings.batch_size as usize)
        .collect();
    let frames: HashMap<u64, Vec<u8>> = starts
        .par_iter()
        .map_init(EvalScratch::default, |scratch, &start| {
            let end = (start + settings.batch_size).min(spec_count);
            let block = ctx.evaluate(&[(start, end)], scratch).unwrap();
            let mut frame = Vec::new();
            write_frame(
                &mut frame,
                &FromWorker::Done {
                    id: 0,
                    block,
                    busy_seconds: 0.0,
                },
            )
            .unwrap();
            (start, frame)
        })
        .collect();
    let frame_bytes: usize = frames.values().map(Vec::len).sum();
    eprintln!(
        "recorded {} frames ({spec_count} specs, {:.1} MB) in {:.1}s",
        frames.len(),
        frame_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let mut results = Vec::new();
    for i in 0..replays {
        let journal_path = dir.path().join(format!("journal-{i}.sqlite"));
        let journal = JournalRw::open(&journal_path).unwrap();
        let (run, _) = find_or_create_run(&journal, &session, &settings).unwrap();
        let (mut guard, _) = journal.begin_run(run.run_id).unwrap();
        let session_id = guard.start_session("process", "duckdb", WORKERS).unwrap();
        let mut executor = ReplayExecutor {
            frames: &frames,
            ready: VecDeque::new(),
            next_worker: 0,
            buf: Vec::new(),
        };
        let progress = Progress::new(false, spec_count, Before::default());
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let writer =
            JournalWriter::spawn(&journal_path, run.run_id, FlushPolicy::default()).unwrap();
        let mut d = Dispatch {
            batches: BatchSource::new(vec![(0, spec_count)], settings.batch_size),
            retry: VecDeque::new(),
            crash_counts: HashMap::new(),
            crashes: 0,
            evaluated: 0,
            passed: 0,
            errors: 0,
            abandoned: false,
            screen: None,
            pause: None,
        };
        dispatch(
            &mut d,
            &mut executor,
            &writer,
            session_id,
            &session.plan,
            &progress,
            Duration::from_secs(60),
        )
        .unwrap();
        let stats = writer.finish().unwrap();
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_before;
        guard.end(RunStatus::Complete, None).unwrap();
        assert_eq!(d.evaluated, spec_count);
        assert_eq!(journal.counts(run.run_id).unwrap().evaluated, spec_count);
        let size = |p: std::path::PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let journal_bytes =
            size(journal_path.clone()) + size(journal_path.with_extension("sqlite-wal"));
        eprintln!(
            "replay {i}: {spec_count} specs in {wall:.3}s, {:.1} M specs/s, {:.4} CPU-µs/spec",
            spec_count as f64 / wall / 1e6,
            cpu * 1e6 / spec_count as f64
        );
        results.push(Replay {
            specs: spec_count,
            wall,
            cpu,
            writer_cpu: stats.cpu.as_secs_f64(),
            journal_bytes,
        });
    }

    println!("| replay | specs | wall s | M specs/s | coordinator CPU-µs/spec | of which writer | journal bytes/outcome |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (i, r) in results.iter().enumerate() {
        let n = r.specs as f64;
        println!(
            "| {i} | {} | {:.3} | {:.1} | {:.4} | {:.4} | {:.2} |",
            r.specs,
            r.wall,
            n / r.wall / 1e6,
            r.cpu * 1e6 / n,
            r.writer_cpu * 1e6 / n,
            r.journal_bytes as f64 / n
        );
    }
    let mut rates: Vec<f64> = results.iter().map(|r| r.specs as f64 / r.wall).collect();
    rates.sort_by(f64::total_cmp);
    let mut cpus: Vec<f64> = results
        .iter()
        .map(|r| r.cpu * 1e6 / r.specs as f64)
        .collect();
    cpus.sort_by(f64::total_cmp);
    println!(
        "\nmedian: {:.1} M specs/s, {:.4} coordinator CPU-µs/spec ({replays} replays of the \
         PPNR stream, {WORKERS} simulated workers)",
        rates[rates.len() / 2] / 1e6,
        cpus[cpus.len() / 2]
    );
}
