//! Segments benchmark (`cargo bench --bench segments`): a config of N small segments (default
//! 20; `SPECSEARCH_BENCH_SEGMENTS`) on one synthetic monthly panel, each segment its own pool of
//! drivers, searched three ways with the process executor:
//!
//! - **warm pool**: `run CONFIG` — one pool of workers starts once and serves every segment;
//! - **pool per segment**: each segment run on its own (`run CONFIG --segment NAME`, one
//!   invocation each), so every segment starts its workers;
//! - **warm pool + hybrid**: as the first, with the coordinator's screen on.
//!
//! and prints, for BENCHMARKS.md, the wall time of each, the specs, the start-up cost of a
//! worker (spawn, exec, bundle open and setup, until its `Ready`) against a warm worker's
//! setup for the next segment, from the journal's `worker_setups`, and the share of specs the
//! hybrid screen decided. `SPECSEARCH_BENCH_WORKERS` sets the pool size (default 2),
//! `SPECSEARCH_BENCH_POOL` the drivers per segment (default 8). Not a criterion benchmark: one
//! complete search per configuration is the measurement.

use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;
use specsearch::config::Config;
use specsearch::search::{self, RunOptions};
use specsearch::synth::{self, SynthSpec};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `[[segment]]` config: segment k searches drivers k, k+1, … (mod the panel's count).
fn segmented_config(dir: &Path, segments: usize, pool: usize, variables: usize) -> String {
    let base = std::fs::read_to_string(dir.join("search.toml")).unwrap();
    let data = &base[base.find("[data]").unwrap()..base.find("[target]").unwrap()];
    let sample = &base[base.find("[sample]").unwrap()..base.find("[search]").unwrap()];
    let mut text = format!(
        "{data}\n[target]\ncolumn = \"y\"\n\n{sample}\n[search]\n\
         forced = [\"dummies(M, [2,3,4,5,10,11,12])\"]\nmax_vars = 4\nmax_lag = 1\n\
         periods = [1, 3]\n"
    );
    for k in 0..segments {
        let names: Vec<String> = (0..pool)
            .map(|j| format!("\"mev{:03}\"", (k + j) % variables))
            .collect();
        text.push_str(&format!(
            "\n[[segment]]\nname = \"seg{k:02}\"\n[segment.search]\npool = [{}]\n",
            names.join(", ")
        ));
    }
    text
}

struct Measured {
    seconds: f64,
    specs: u64,
    cold_setups: Vec<f64>,
    warm_setups: Vec<f64>,
    screened: i64,
}

fn setups(journal: &Path) -> (Vec<f64>, Vec<f64>, i64) {
    let conn = Connection::open(journal).unwrap();
    let read = |warm: i64| -> Vec<f64> {
        conn.prepare("SELECT setup_seconds FROM worker_setups WHERE warm = ?1")
            .unwrap()
            .query_map([warm], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let screened = conn
        .query_row(
            "SELECT count(*) FROM outcomes WHERE worker = 4294967295",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (read(0), read(1), screened)
}

fn measure(configs: &[Config], ws: &Path, workers: usize, warm: bool, hybrid: bool) -> Measured {
    let opts = RunOptions {
        workspace: Some(ws.to_path_buf()),
        workers: Some(workers),
        hybrid: Some(hybrid),
        worker_exe: Some(env!("CARGO_BIN_EXE_specsearch").into()),
        fresh: true,
        assume_yes: true,
        ..RunOptions::default()
    };
    let started = Instant::now();
    let summaries = if warm {
        search::run_all(configs.to_vec(), &opts).expect("the segments run")
    } else {
        configs
            .iter()
            .map(|c| search::run(c.clone(), &opts).expect("the segment runs"))
            .collect()
    };
    let seconds = started.elapsed().as_secs_f64();
    let (cold_setups, warm_setups, screened) = setups(&ws.join("journal.sqlite"));
    Measured {
        seconds,
        specs: summaries.iter().map(|s| s.evaluated_now).sum(),
        cold_setups,
        warm_setups,
        screened,
    }
}

fn mean_ms(v: &[f64]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    format!("{:.1}", 1e3 * v.iter().sum::<f64>() / v.len() as f64)
}

fn main() {
    let segments = env("SPECSEARCH_BENCH_SEGMENTS", 20);
    let workers = env("SPECSEARCH_BENCH_WORKERS", 2);
    let pool = env("SPECSEARCH_BENCH_POOL", 8);
    let variables = 24;
    let dir = tempfile::tempdir().unwrap();
    synth::write(
        dir.path(),
        &SynthSpec {
            variables,
            months: 240,
            seed: 11,
            pool: 4,
            max_vars: 3,
            quarterly_share: 0.0,
            ..SynthSpec::default()
        },
    )
    .unwrap();
    let path = dir.path().join("segments.toml");
    std::fs::write(
        &path,
        segmented_config(dir.path(), segments, pool, variables),
    )
    .unwrap();
    let configs = Config::load_all(&path).unwrap();
    // Freeze every segment's bundle first, so that no mode pays for it.
    let ws = |name: &str| dir.path().join(name);
    for c in &configs {
        for target in ["warm", "cold", "hybrid"] {
            let root = specsearch::workspace::Workspace { dir: ws(target) };
            specsearch::freeze::freeze(c, &root.segment(c.segment_name().unwrap())).unwrap();
        }
    }
    let rows = [
        ("warm pool", "warm", true, false),
        ("pool per segment", "cold", false, false),
        ("warm pool + hybrid", "hybrid", true, true),
    ];
    println!(
        "{segments} segments × {pool} drivers, {workers} workers, {} cores\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "| mode | specs | wall s | specs/s | worker start-ups | cold setup ms (mean) | warm \
         setup ms (mean) | screened by the coordinator |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, dir_name, warm, hybrid) in rows {
        let m = measure(&configs, &ws(dir_name), workers, warm, hybrid);
        println!(
            "| {label} | {} | {:.2} | {:.0} | {} | {} | {} | {} ({:.1}%) |",
            m.specs,
            m.seconds,
            m.specs as f64 / m.seconds,
            m.cold_setups.len(),
            mean_ms(&m.cold_setups),
            mean_ms(&m.warm_setups),
            m.screened,
            100.0 * m.screened as f64 / m.specs.max(1) as f64
        );
    }
}
