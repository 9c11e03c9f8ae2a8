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
fn segmented_config(
    dir: &Path,
    segments: usize,
    pool: usize,
    variables: usize,
    min_r2: Option<f64>,
) -> String {
    let base = std::fs::read_to_string(dir.join("search.toml")).unwrap();
    let data = &base[base.find("[data]").unwrap()..base.find("[target]").unwrap()];
    let sample = &base[base.find("[sample]").unwrap()..base.find("[search]").unwrap()];
    let mut text = format!(
        "{data}\n[target]\ncolumn = \"y\"\n\n{sample}\n[search]\n\
         forced = [\"dummies(M, [2,3,4,5,10,11,12])\"]\nmax_vars = 4\nmax_lag = 1\n\
         periods = [1, 3]\n"
    );
    if let Some(r2) = min_r2 {
        text.push_str(&format!("\n[filters]\nmin_r2 = {r2}\n"));
    }
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

/// The latest run id of a workspace's journal (0 without one).
fn last_run(journal: &Path) -> i64 {
    Connection::open(journal)
        .ok()
        .and_then(|c| {
            c.query_row("SELECT coalesce(max(run_id), 0) FROM runs", [], |r| {
                r.get(0)
            })
            .ok()
        })
        .unwrap_or(0)
}

/// Cold and warm setup times and screened outcomes of the runs after `after`.
fn setups(journal: &Path, after: i64) -> (Vec<f64>, Vec<f64>, i64) {
    let conn = Connection::open(journal).unwrap();
    let read = |warm: i64| -> Vec<f64> {
        conn.prepare("SELECT setup_seconds FROM worker_setups WHERE warm = ?1 AND run_id > ?2")
            .unwrap()
            .query_map([warm, after], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let screened = conn
        .query_row(
            "SELECT count(*) FROM outcome_status WHERE worker = 4294967295 AND run_id > ?1",
            [after],
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
    let after = last_run(&ws.join("journal.sqlite"));
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
    let (cold_setups, warm_setups, screened) = setups(&ws.join("journal.sqlite"), after);
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
    // The same segments with a stricter R² threshold, where the hybrid screen has work.
    let strict: f64 = std::env::var("SPECSEARCH_BENCH_MIN_R2")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.5);
    let load = |name: &str, min_r2: Option<f64>| {
        let path = dir.path().join(name);
        let text = segmented_config(dir.path(), segments, pool, variables, min_r2);
        std::fs::write(&path, text).unwrap();
        Config::load_all(&path).unwrap()
    };
    let configs = load("segments.toml", None);
    let strict_configs = load("strict.toml", Some(strict));
    // Freeze every segment's bundle first, so that no mode pays for it; the first set is
    // timed and measured against one bundle of the union of every segment's drivers (what a
    // store shared by the segments would hold).
    let ws = |name: &str| dir.path().join(name);
    let mut per_segment_freeze = 0.0;
    for (set, targets) in [
        (&configs, ["warm", "cold", "hybrid"]),
        (&strict_configs, ["strict", "strict-cold", "strict-hybrid"]),
    ] {
        for c in set {
            for target in targets {
                let root = specsearch::workspace::Workspace { dir: ws(target) };
                let started = Instant::now();
                specsearch::freeze::freeze(c, &root.segment(c.segment_name().unwrap())).unwrap();
                if target == "warm" {
                    per_segment_freeze += started.elapsed().as_secs_f64();
                }
            }
        }
    }
    let union_path = dir.path().join("union.toml");
    let segs_text = segmented_config(
        dir.path(),
        1,
        variables.min(pool + segments - 1),
        variables,
        None,
    );
    std::fs::write(&union_path, &segs_text).unwrap();
    let union = Config::load_all(&union_path).unwrap().remove(0);
    let union_ws = specsearch::workspace::Workspace { dir: ws("union") };
    let started = Instant::now();
    specsearch::freeze::freeze(&union, &union_ws).unwrap();
    let union_freeze = started.elapsed().as_secs_f64();
    let bytes = |dir: &Path| -> u64 {
        fn walk(d: &Path) -> u64 {
            std::fs::read_dir(d)
                .map(|it| {
                    it.flatten()
                        .map(|e| {
                            let p = e.path();
                            if p.is_dir() {
                                walk(&p)
                            } else {
                                e.metadata().map(|m| m.len()).unwrap_or(0)
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(dir)
    };
    println!(
        "bundles: {segments} per-segment bundles {:.1} MB, frozen in {per_segment_freeze:.2} s; \
         one bundle of the union of their drivers {:.1} MB, frozen in {union_freeze:.2} s\n",
        bytes(&ws("warm").join("segments")) as f64 / 1e6,
        bytes(&union_ws.dir) as f64 / 1e6
    );
    let strict_label = |what: &str| format!("{what}, min_r2 {strict}");
    let rows = [
        ("warm pool".to_string(), &configs, "warm", true, false),
        (
            "pool per segment".to_string(),
            &configs,
            "cold",
            false,
            false,
        ),
        (
            "warm pool + hybrid".to_string(),
            &configs,
            "hybrid",
            true,
            true,
        ),
        (
            strict_label("warm pool"),
            &strict_configs,
            "strict",
            true,
            false,
        ),
        (
            strict_label("pool per segment"),
            &strict_configs,
            "strict-cold",
            false,
            false,
        ),
        (
            strict_label("warm pool + hybrid"),
            &strict_configs,
            "strict-hybrid",
            true,
            true,
        ),
    ];
    println!(
        "{segments} segments × {pool} drivers, {workers} workers, {} cores\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    // Repetitions interleave the modes, so that a change of the machine's load reaches all of
    // them; the table gives the fastest and the median wall time of each.
    let repeat = env("SPECSEARCH_BENCH_REPEAT", 3).max(1);
    let mut measured: Vec<Vec<Measured>> = rows.iter().map(|_| Vec::new()).collect();
    for _ in 0..repeat {
        for (k, (_, set, dir_name, warm, hybrid)) in rows.iter().enumerate() {
            measured[k].push(measure(set, &ws(dir_name), workers, *warm, *hybrid));
        }
    }
    println!(
        "| mode | specs | wall s (fastest of {repeat}) | wall s (median) | worker start-ups | cold \
         setup ms (mean) | warm setup ms (mean) | screened by the coordinator |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((label, ..), mut runs) in rows.iter().zip(measured) {
        runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = runs[runs.len() / 2].seconds;
        let cold: Vec<f64> = runs.iter().flat_map(|m| m.cold_setups.clone()).collect();
        let warm: Vec<f64> = runs.iter().flat_map(|m| m.warm_setups.clone()).collect();
        let m = &runs[0];
        println!(
            "| {label} | {} | {:.2} | {median:.2} | {} | {} | {} | {} ({:.1}%) |",
            m.specs,
            m.seconds,
            m.cold_setups.len(),
            mean_ms(&cold),
            mean_ms(&warm),
            m.screened,
            100.0 * m.screened as f64 / m.specs.max(1) as f64
        );
    }
}
