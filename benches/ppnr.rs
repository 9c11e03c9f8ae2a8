//! The PPNR-shaped search end to end (`cargo bench --bench ppnr`): the workload of issue 14,
//! written by `specsearch synth --preset ppnr` (monthly revenue growth, 213 in-sample and 24
//! out-of-sample months, 7 partial month dummies forced, 9 rate drivers in 5 categories,
//! `max_vars` 5, lags 0–3, periods 1, 3, 6, 12: 2,163,980 specs, nearly all failing at
//! Coefficient Significance under HAC(4)).
//!
//! For the process executor with 2 workers and for serial, one complete fresh run each
//! (`search::run`, as `specsearch run` does), reporting:
//! - wall time per phase: prepare + freeze (load, align, materialise, pretest, write the
//!   bundle), plan, search, finish; end to end; specs/s;
//! - CPU-µs per spec: statistics (the journal path's CPU per spec, what workers run, measured
//!   alone below), the rest of the workers' CPU (enumeration, records, framing), dispatch (the
//!   coordinator less its journal writer; for serial, the evaluation loop less statistics),
//!   journal (the writer thread), total; and the kernel time workers journal per spec
//!   (`eval_us`, wall: preemption included);
//! - the journal writer's CPU-µs and SQLite-µs per row, journal bytes per outcome (file and
//!   WAL; and without the passed models' JSON detail), peak RSS of workers and coordinator;
//! - the outcome mix (status / failed test), and the covariance each sampled spec is judged
//!   under.
//!
//! Then the statistics kernel alone, in this process on the same frozen data: 200,000 specs
//! (four stretches of consecutive indices, as workers get them) through the reference search
//! path (`assess_into`) and the journal path workers run (`decide_into`), µs per spec overall
//! and per failing spec.
//!
//! `SPECSEARCH_BENCH_QUICK=1` runs only the process executor with 2 workers. Not a criterion
//! benchmark: one complete run per configuration is the measurement. Markdown for
//! BENCHMARKS.md goes to stdout.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;
use specsearch::assess::{Outcome, Scratch, Status};
use specsearch::config::{Config, Executor};
use specsearch::runtime::context::{EvalContext, Transport};
use specsearch::search::{self, RunOptions, RunSummary};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};

struct Measured {
    label: String,
    summary: RunSummary,
    outcomes: u64,
    passed: u64,
    eval_us: f64,
    worker_rss_mb: f64,
    coordinator_rss_mb: f64,
    journal_bytes: u64,
    detail_bytes: u64,
    mix: Vec<(String, u64)>,
}

fn thread_cpu_seconds() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_THREAD)
        .map(|u| {
            let s = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
            s(u.user_time()) + s(u.system_time())
        })
        .unwrap_or(0.0)
}

fn self_rss_mb() -> f64 {
    specsearch::runtime::protocol::usage(nix::sys::resource::UsageWho::RUSAGE_SELF).max_rss_kb
        as f64
        / 1024.0
}

fn measure(config: &Config, ws: &Path, executor: Executor, workers: usize) -> Measured {
    let opts = RunOptions {
        workspace: Some(ws.to_path_buf()),
        executor: Some(executor),
        workers: Some(workers),
        worker_exe: Some(env!("CARGO_BIN_EXE_specsearch").into()),
        fresh: true,
        ..RunOptions::default()
    };
    let summary = search::run(config.clone(), &opts).expect("the benchmark search runs");
    let journal = summary.journal.clone();
    let conn = Connection::open(&journal).unwrap();
    let run_id = summary.run.run_id;
    let (outcomes, passed, eval_us): (i64, i64, i64) = conn
        .query_row(
            "SELECT evaluated, passed, \
                    coalesce((SELECT sum(eval_us) FROM outcome_blocks WHERE run_id = ?1), \
                             (SELECT sum(eval_us) FROM outcomes WHERE run_id = ?1), 0) \
             FROM run_progress WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT status || coalesce(' at ' || failed_test, ''), count(*) FROM outcome_status \
             WHERE run_id = ?1 GROUP BY 1 ORDER BY 2 DESC",
        )
        .unwrap();
    let mix = stmt
        .query_map([run_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(stmt);
    let rss: Option<i64> = conn
        .query_row(
            "SELECT max(max_rss_kb) FROM workers WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    let detail_bytes: i64 = conn
        .query_row(
            "SELECT coalesce(sum(length(detail)), 0) FROM passed WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap_or(0);
    drop(conn);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = journal.with_extension("sqlite-wal");
    Measured {
        label: format!("{executor:?}, {workers} worker(s)").to_lowercase(),
        outcomes: outcomes as u64,
        passed: passed as u64,
        eval_us: eval_us as f64,
        worker_rss_mb: rss.unwrap_or(0) as f64 / 1024.0,
        coordinator_rss_mb: self_rss_mb(),
        journal_bytes: size(&journal) + size(&wal),
        detail_bytes: detail_bytes as u64,
        mix,
        summary,
    }
}

/// The kernel alone on the run's frozen data: `(µs per spec, µs per failing spec, specs,
/// thread CPU µs per spec)` for each path, and the covariance mix of the sample.
struct KernelFigures {
    rows: Vec<(String, f64, f64, u64, f64)>,
    covariance: BTreeMap<String, u64>,
}

fn kernel(config: &Config, ws: &Path) -> KernelFigures {
    let session = Session::open(config.clone(), Some(ws)).unwrap();
    let ctx = EvalContext::open(&session.setup(Transport::Duckdb)).unwrap();
    let count = ctx.space.count();
    let stretches: Vec<(u64, u64)> = (0..4u64)
        .map(|i| {
            let start = count * (2 * i + 1) / 8;
            (start, (start + 50_000).min(count))
        })
        .collect();
    let mut specs = Vec::new();
    for &(a, b) in &stretches {
        let mut it = ctx.space.iter_range(a, b);
        let mut spec = Vec::new();
        while it.next_into(&mut spec).is_some() {
            specs.push(spec.clone());
        }
    }
    let mut rows = Vec::new();
    let mut covariance = BTreeMap::new();
    for (name, journal) in [
        ("reference search path (assess_into)", false),
        ("journal path (decide_into)", true),
    ] {
        let mut scratch = Scratch::default();
        let mut out = Outcome::default();
        let (mut failing_s, mut failing) = (0.0, 0u64);
        let cpu0 = thread_cpu_seconds();
        let t0 = Instant::now();
        for spec in &specs {
            let t = Instant::now();
            if journal {
                ctx.evaluator.decide_into(spec, &[], &mut scratch, &mut out);
            } else {
                ctx.evaluator.assess_into(spec, &[], &mut scratch, &mut out);
            }
            if out.status == Status::Filtered {
                failing_s += t.elapsed().as_secs_f64();
                failing += 1;
            }
            if !journal {
                let what = format!(
                    "{} under {}",
                    out.failed_test.map_or(out.status.code(), |f| f.as_str()),
                    out.cov_type.map_or("-", |c| c.as_str())
                );
                *covariance.entry(what).or_default() += 1;
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        let cpu = thread_cpu_seconds() - cpu0;
        let n = specs.len() as f64;
        rows.push((
            name.to_string(),
            wall * 1e6 / n,
            failing_s * 1e6 / failing.max(1) as f64,
            specs.len() as u64,
            cpu * 1e6 / n,
        ));
    }
    KernelFigures { rows, covariance }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let dir = tempfile::tempdir().unwrap();
    let config_path = ppnr::write(&dir.path().join("ppnr"), &PpnrSpec::preset()).unwrap();
    let config = Config::load(&config_path).unwrap();
    let quick = std::env::var_os("SPECSEARCH_BENCH_QUICK").is_some();
    let mut plan = vec![(Executor::Process, 2)];
    if !quick {
        plan.push((Executor::Serial, 1));
    }
    let mut runs = Vec::new();
    for (i, (executor, workers)) in plan.into_iter().enumerate() {
        let ws = dir.path().join(format!("ws{i}"));
        let m = measure(&config, &ws, executor, workers);
        let t = &m.summary.timings;
        eprintln!(
            "{}: {} specs, search {:.2}s, end to end {:.2}s",
            m.label,
            m.summary.evaluated_now,
            t.search_s,
            t.build_s + t.freeze_s + t.plan_s + t.search_s + t.finish_s
        );
        runs.push((m, ws));
    }
    assert_eq!(
        runs[0].0.outcomes,
        ppnr::PRESET_SPECS,
        "the preset's spec count"
    );
    let k = kernel(&config, &runs[0].1);
    let statistics = k.rows[1].4;

    println!("Wall time per phase (seconds):\n");
    println!("| executor | specs | prepare+freeze | plan | search | finish | end to end | specs/s (search) | specs/s (end to end) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (m, _) in &runs {
        let t = &m.summary.timings;
        let total = t.build_s + t.freeze_s + t.plan_s + t.search_s + t.finish_s;
        let n = m.summary.evaluated_now as f64;
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} |",
            m.label,
            m.summary.evaluated_now,
            t.build_s + t.freeze_s,
            t.plan_s,
            t.search_s,
            t.finish_s,
            total,
            n / t.search_s,
            n / total
        );
    }
    println!("\nCPU-µs per spec during the search:\n");
    println!("| executor | statistics | workers, other | dispatch | journal | total | coordinator | journaled eval_us (wall) | writer SQLite-µs/row |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (m, _) in &runs {
        let t = &m.summary.timings;
        let n = m.outcomes.max(1) as f64;
        let stats = statistics;
        let writer = t.writer_cpu_s * 1e6 / n;
        // In-process executors evaluate on the coordinator: its CPU holds the statistics too.
        let in_process = t.worker_cpu_s == 0.0;
        let (workers_other, dispatch) = if in_process {
            (0.0, t.coordinator_cpu_s * 1e6 / n - writer - stats)
        } else {
            (
                t.worker_cpu_s * 1e6 / n - stats,
                t.coordinator_cpu_s * 1e6 / n - writer,
            )
        };
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            m.label,
            stats,
            workers_other,
            dispatch,
            writer,
            (t.coordinator_cpu_s + t.worker_cpu_s) * 1e6 / n,
            t.coordinator_cpu_s * 1e6 / n,
            m.eval_us / n,
            t.writer_busy_s * 1e6 / n
        );
    }
    println!("\nJournal and memory:\n");
    println!("| executor | outcomes | passed | journal bytes/outcome | without passed detail | peak RSS/worker MB | coordinator peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (m, _) in &runs {
        let n = m.outcomes.max(1) as f64;
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.0} | {:.0} |",
            m.label,
            m.outcomes,
            m.passed,
            m.journal_bytes as f64 / n,
            (m.journal_bytes - m.detail_bytes.min(m.journal_bytes)) as f64 / n,
            m.worker_rss_mb,
            m.coordinator_rss_mb
        );
    }
    let first = &runs[0].0;
    println!("\nOutcome mix ({}):\n", first.label);
    println!("| outcome | specs | share |");
    println!("|---|---:|---:|");
    for (what, count) in &first.mix {
        println!(
            "| {what} | {count} | {:.3}% |",
            100.0 * *count as f64 / first.outcomes as f64
        );
    }

    let sampled: u64 = k.covariance.values().sum();
    println!("\nCovariance of the kernel's sample ({sampled} specs):\n");
    println!("| outcome under covariance | specs | share |");
    println!("|---|---:|---:|");
    for (what, count) in &k.covariance {
        println!(
            "| {what} | {count} | {:.2}% |",
            100.0 * *count as f64 / sampled as f64
        );
    }
    println!("\nStatistics kernel alone, one thread, same data:\n");
    println!("| path | specs | µs/spec (wall) | µs per failing spec (wall) | CPU-µs/spec |");
    println!("|---|---:|---:|---:|---:|");
    for (name, per, failing, n, cpu) in &k.rows {
        println!("| {name} | {n} | {per:.2} | {failing:.2} | {cpu:.2} |");
    }
}
