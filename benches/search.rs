//! End-to-end search benchmark (`cargo bench --bench search`): a synthetic monthly workload
//! shaped like real PPNR work — 40 drivers × 20 variants, 7 month dummies forced, `max_vars` 5,
//! about 217 in-sample months, a non-stationary target (so the cointegration filter runs) —
//! searched completely by every executor, journal included.
//!
//! Prints a Markdown table (specs/s, journal rows/s, bytes per outcome, peak RSS per worker) for
//! BENCHMARKS.md. `SPECSEARCH_BENCH_QUICK=1` runs only the default executor with 2 workers.
//! Not a criterion benchmark: one complete run per configuration is the measurement.

use std::path::Path;

use rusqlite::Connection;
use specsearch::config::{Config, Executor};
use specsearch::search::{self, RunOptions};
use specsearch::synth::{self, SynthSpec};

struct Row {
    label: String,
    specs: u64,
    seconds: f64,
    journal_rows_per_s: f64,
    bytes_per_outcome: f64,
    passed: u64,
    peak_rss_mb: f64,
    cpu_share: f64,
}

fn measure(config: &Config, ws: &Path, executor: Executor, workers: usize) -> Row {
    let opts = RunOptions {
        workspace: Some(ws.to_path_buf()),
        executor: Some(executor),
        workers: Some(workers),
        worker_exe: Some(env!("CARGO_BIN_EXE_specsearch").into()),
        fresh: true,
        ..RunOptions::default()
    };
    let s = search::run(config.clone(), &opts).expect("the benchmark search runs");
    let journal = ws.join("journal.sqlite");
    let conn = Connection::open(&journal).unwrap();
    let run_id = s.run.run_id;
    let (rows, passed): (i64, i64) = conn
        .query_row(
            "SELECT evaluated, passed FROM run_progress WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let rss: Option<i64> = conn
        .query_row(
            "SELECT max(max_rss_kb) FROM workers WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let size = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    Row {
        label: format!("{executor:?}, {workers} worker(s)").to_lowercase(),
        specs: s.evaluated_now,
        seconds: s.wall_seconds,
        journal_rows_per_s: s.journal_rows_per_second,
        bytes_per_outcome: size as f64 / rows.max(1) as f64,
        passed: passed as u64,
        peak_rss_mb: rss.unwrap_or(0) as f64 / 1024.0,
        cpu_share: s.cpu_seconds / (s.wall_seconds * cores as f64),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let dir = tempfile::tempdir().unwrap();
    let config_path = synth::write(
        dir.path(),
        &SynthSpec {
            variables: 40,
            months: 330,
            seed: 1,
            pool: 40,
            max_vars: 5,
            quarterly_share: 0.1,
            categories: 4,
            level_target: true,
        },
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let quick = std::env::var_os("SPECSEARCH_BENCH_QUICK").is_some();
    let plan: Vec<(Executor, usize)> = if quick {
        vec![(Executor::Process, 2)]
    } else {
        vec![
            (Executor::Serial, 1),
            (Executor::Thread, 1),
            (Executor::Thread, 2),
            (Executor::Process, 1),
            (Executor::Process, 2),
        ]
    };
    let mut rows = Vec::new();
    for (i, (executor, workers)) in plan.into_iter().enumerate() {
        let ws = dir.path().join(format!("ws{i}"));
        let row = measure(&config, &ws, executor, workers);
        eprintln!(
            "{}: {} specs in {:.2}s = {:.0} specs/s",
            row.label,
            row.specs,
            row.seconds,
            row.specs as f64 / row.seconds
        );
        rows.push(row);
    }
    println!("| executor | specs | wall s | specs/s | journal rows/s (writer busy) | bytes/outcome | passed | peak RSS/worker MB | CPU share |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.0}% |",
            r.label,
            r.specs,
            r.seconds,
            r.specs as f64 / r.seconds,
            r.journal_rows_per_s,
            r.bytes_per_outcome,
            r.passed,
            r.peak_rss_mb,
            100.0 * r.cpu_share
        );
    }
}
