//! Scenario forecasts of every passed model of the PPNR-shaped search (`cargo bench --bench
//! forecast`): the workload of `synth --preset ppnr` (2,163,980 specs, ~6,600 passing) with
//! three monthly scenarios of 36 months after the last actual month, forecast at the run's
//! finish and then again by the forecast step alone (`scenario::forecast_run`, what
//! `specsearch forecast` runs), timed three times: reading the coefficients, rebuilding the
//! columns, predicting, converting to levels, aggregating to quarters, the statistics and the
//! ordering check, and writing every row to the journal in one transaction. The compute part
//! alone (`forecast_models`) is timed separately. Markdown for BENCHMARKS.md goes to stdout.
//!
//! `SPECSEARCH_BENCH_QUICK=1` uses a smaller PPNR shape (drivers 1,1,2,2,2) for a quick look.

use std::time::Instant;

use specsearch::config::{Config, Executor};
use specsearch::journal::JournalRw;
use specsearch::scenario::{self, columns::ColumnCatalogue};
use specsearch::search::{self, RunOptions};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};

#[path = "support/scenarios.rs"]
mod scenarios;
use scenarios::add_scenarios;

fn main() {
    let quick = std::env::var_os("SPECSEARCH_BENCH_QUICK").is_some();
    let dir = tempfile::tempdir().unwrap();
    let spec = if quick {
        PpnrSpec::with_categories(&[1, 1, 2, 2, 2])
    } else {
        PpnrSpec::preset()
    };
    let config_path = ppnr::write(dir.path(), &spec).unwrap();
    add_scenarios(&config_path);
    let config = Config::load(&config_path).unwrap();
    let ws = dir.path().join("ws");
    let opts = RunOptions {
        workspace: Some(ws.clone()),
        executor: Some(Executor::Process),
        workers: Some(2),
        worker_exe: Some(env!("CARGO_BIN_EXE_specsearch").into()),
        fresh: true,
        ..RunOptions::default()
    };
    eprintln!("running the search ({} specs) …", ppnr_specs(quick));
    let summary = search::run(config.clone(), &opts).expect("the benchmark search runs");
    let forecast_at_finish = summary
        .finish
        .as_ref()
        .and_then(|f| f.forecast.clone())
        .expect("the finish forecast the passed models");

    let session = Session::open(config, Some(&ws)).unwrap();
    // Configured as the coordinator and `specsearch forecast` open it (WAL, cache size).
    let journal = JournalRw::open(&summary.journal).unwrap();
    let run = summary.run.clone();
    // As at a run's finish: no forecast set yet (the one the finish wrote is deleted first,
    // untimed); and as `specsearch forecast` on a forecast run: the set replaced.
    let mut total = Vec::new();
    let mut replace = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        journal.delete_forecast_set(run.run_id).unwrap();
        let t = Instant::now();
        report = scenario::forecast_run(&journal, &run, &session).unwrap();
        total.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        scenario::forecast_run(&journal, &run, &session).unwrap();
        replace.push(t.elapsed().as_secs_f64());
    }
    let report = report.unwrap();
    assert_eq!(report, forecast_at_finish, "the same forecasts every time");

    // The parts: reading the coefficients, computing, writing.
    let t = Instant::now();
    let models = journal.ranked_coefficients(run.run_id, None).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    let inputs = scenario::check_inputs(&session).unwrap().unwrap();
    let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
    let mut compute = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let f = scenario::forecast_models(&inputs, &catalogue, &session, &models).unwrap();
        compute.push(t.elapsed().as_secs_f64());
        assert_eq!(f.len(), report.models);
    }
    let load_t = Instant::now();
    scenario::check_inputs(&session).unwrap();
    let load_s = load_t.elapsed().as_secs_f64();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Forecasting every passed model of the PPNR-shaped search ({} specs, {} passed, {} \
         ranked after dedup) under {} scenarios of {} months ({} quarters), {cores} cores:\n",
        run.spec_count,
        summary.finish.as_ref().map_or(0, |f| f.ranked),
        report.models,
        report.scenarios.len(),
        inputs.dates.len(),
        inputs.dates.len() / 3,
    );
    println!("| step | seconds (min of 3 / max) |");
    println!("|---|---|");
    println!(
        "| forecast step as at a run's finish (`forecast_run`: read, compute, journal {} periods) | {:.3} / {:.3} |",
        report.rows,
        min(&total),
        max(&total)
    );
    println!(
        "| the same, replacing the run's previous forecast set (`specsearch forecast`) | {:.3} / {:.3} |",
        min(&replace),
        max(&replace)
    );
    println!(
        "| of which: reading the coefficients of {} models | {read_s:.3} |",
        models.len()
    );
    println!("| of which: loading the scenario tables | {load_s:.3} |");
    println!(
        "| of which: compute (`forecast_models`: columns, prediction, levels, quarters, statistics) | {:.3} / {:.3} |",
        min(&compute),
        max(&compute)
    );
    println!(
        "| the search's whole finish (rank, replay, validate, forecast) | {:.3} |",
        summary.timings.finish_s
    );
    println!(
        "\n{} models × {} scenarios: {:.1} µs per model and scenario (forecast step, best run).",
        report.models,
        report.scenarios.len(),
        min(&total) * 1e6 / (report.models * report.scenarios.len()).max(1) as f64
    );
}

fn ppnr_specs(quick: bool) -> String {
    if quick {
        "a small PPNR shape".into()
    } else {
        ppnr::PRESET_SPECS.to_string()
    }
}
