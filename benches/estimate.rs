//! How close `plan`'s time estimate is to the run (`cargo bench --bench estimate`): for the
//! bundled demo and the `ppnr` preset (`specsearch synth DIR --preset ppnr`), the estimate
//! exactly as `plan` makes it (`Estimate::measure_for` with its default sample of 2,000 specs
//! and at least 250 ms of evaluations, evaluated and journaled into a scratch journal, projected to every spec on the configured
//! workers), then one complete fresh `run` on the process executor with as many workers,
//! and the ratio of the estimate to the run's evaluation phase (what it estimates) and to the
//! whole run (prepare, freeze, plan, evaluation, finish). Three estimates per workload show
//! their spread. Markdown for BENCHMARKS.md goes to stdout.
//!
//! Not a criterion benchmark and not a test: one complete run per workload is the measurement,
//! and its figures depend on the machine's load at the time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use specsearch::config::{Config, Executor};
use specsearch::estimate::Estimate;
use specsearch::search::{self, RunOptions};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};

/// `plan`'s default sample.
const SAMPLE: u64 = 2000;

fn demo_copy(dir: &Path) -> PathBuf {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    // Every data file: the demo's scenario tables too.
    for entry in std::fs::read_dir(demo.join("data")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join("data").join(path.file_name().unwrap())).unwrap();
        }
    }
    let config = dir.join("search.toml");
    std::fs::copy(demo.join("search.toml"), &config).unwrap();
    config
}

fn measure(label: &str, config_path: &Path, workers: usize) {
    let config = Config::load(config_path).unwrap();
    let ws = config_path.with_extension("specsearch");
    let session = Session::open(config.clone(), Some(&ws)).unwrap();
    let estimates: Vec<f64> = (0..3)
        .map(|_| {
            Estimate::measure_for(&session, workers, SAMPLE, Duration::from_millis(250))
                .unwrap()
                .seconds
        })
        .collect();
    let e = Estimate::measure_for(&session, workers, SAMPLE, Duration::from_millis(250)).unwrap();
    drop(session);
    let opts = RunOptions {
        workspace: Some(ws),
        executor: Some(Executor::Process),
        workers: Some(workers),
        worker_exe: Some(env!("CARGO_BIN_EXE_specsearch").into()),
        fresh: true,
        ..RunOptions::default()
    };
    let s = search::run(config, &opts).expect("the search runs");
    let t = s.timings;
    let whole = t.build_s + t.plan_s + t.freeze_s + t.search_s + t.finish_s;
    let list = estimates
        .iter()
        .map(|x| format!("{x:.1}"))
        .collect::<Vec<_>>()
        .join(" / ");
    let mean = estimates.iter().sum::<f64>() / estimates.len() as f64;
    println!(
        "| {label} | {} | {list} | {:.1} / {:.1} µs | {:.1} | {:.1} | {:+.0}% | {:+.0}% |",
        s.run.spec_count,
        e.eval_us,
        e.journal_us,
        t.search_s,
        whole,
        100.0 * (mean / t.search_s - 1.0),
        100.0 * (mean / whole - 1.0),
    );
}

fn main() {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{workers} workers; load average before: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!(
        "| workload | specs | estimates (s) | evaluate / journal per spec | evaluation (s) | \
         whole run (s) | estimate vs evaluation | estimate vs whole run |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    measure("demo", &demo_copy(&dir.path().join("demo")), workers);
    let ppnr = ppnr::write(&dir.path().join("ppnr"), &PpnrSpec::preset()).unwrap();
    measure("ppnr preset", &ppnr, workers);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "load average after: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
