//! The validation of the best models of the PPNR-shaped search (`cargo bench --bench
//! validation`): the workload of `synth --preset ppnr` (2,163,980 specs) with three monthly
//! scenarios of 36 months after the last actual month (added to its config as
//! `benches/forecast.rs` does), searched once; then `validation::validate_run` of the top 10
//! ranked models (sensitivity: each feature's coefficient ±1 SE and driver ±1, 2, 3 σ in every
//! scenario, with levels, quarters and statistics; attribution; the prediction intervals and
//! the simulated band of 1,000 draws), timed three times, as `specsearch validate` and the end
//! of `run` do it: selecting the models, loading the scenario inputs and each model's context,
//! computing and journaling. The parts (opening the frame and the contexts, the computation
//! alone, the whole analysis with its journaling) are timed separately. Markdown for
//! BENCHMARKS.md goes to stdout.
//!
//! `SPECSEARCH_BENCH_QUICK=1` uses a smaller PPNR shape (drivers 1,1,2,2,2) for a quick look.

use std::time::Instant;

use rayon::prelude::*;
use specsearch::config::{Config, Executor};
use specsearch::journal::JournalRw;
use specsearch::search::{self, RunOptions};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};
use specsearch::validation::{self, sensitivity, Frame, ModelContext, Selection};

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
    eprintln!("running the search …");
    let summary = search::run(config.clone(), &opts).expect("the benchmark search runs");
    let at_finish = summary
        .finish
        .as_ref()
        .and_then(|f| f.validation.clone())
        .expect("the finish validated the best models");

    let session = Session::open(config, Some(&ws)).unwrap();
    let journal = JournalRw::open(&summary.journal).unwrap();
    let run = summary.run.clone();
    let selection = Selection::default();
    let mut total = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let t = Instant::now();
        report = Some(validation::validate_run(&journal, &run, &session, &selection).unwrap());
        total.push(t.elapsed().as_secs_f64());
    }
    let report = report.unwrap();
    assert_eq!(report, at_finish, "the same validation every time");

    // The parts.
    let models = validation::select_models(&journal, &run, &selection, 10).unwrap();
    let t = Instant::now();
    let frame = Frame::open(&journal, &run, &session, &models).unwrap();
    let contexts: Vec<ModelContext> = models
        .iter()
        .map(|&m| ModelContext::load(&frame, &journal, m).unwrap())
        .collect();
    let open_s = t.elapsed().as_secs_f64();
    let mut compute = Vec::new();
    let mut analysis = Vec::new();
    let mut paths = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let done: Vec<_> = contexts
            .par_iter()
            .map(|c| sensitivity::analyse(&frame, c).unwrap())
            .collect();
        compute.push(t.elapsed().as_secs_f64());
        paths = done.iter().map(|(m, _)| m.paths.len()).sum::<usize>();
        let t = Instant::now();
        sensitivity::run(&frame, &contexts, &journal).unwrap();
        analysis.push(t.elapsed().as_secs_f64());
    }
    let shocked: Vec<usize> = contexts
        .iter()
        .map(|c| c.terms.iter().filter(|t| !t.periodic_dummy).count())
        .collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let inputs = frame.scenarios.as_ref().unwrap();
    let a = &report.analyses[0];
    println!(
        "Validating the top {} models of the PPNR-shaped search ({} specs) under {} scenarios \
         of {} months: {} shocked features each (periodic dummies are not shocked), {} \
         paths, bands of {} draws, {cores} cores:\n",
        contexts.len(),
        run.spec_count,
        inputs.scenarios.len(),
        inputs.dates.len(),
        match (shocked.iter().min(), shocked.iter().max()) {
            (Some(a), Some(b)) if a < b => format!("{a}–{b}"),
            (Some(a), _) => a.to_string(),
            _ => "0".into(),
        },
        paths,
        session.config.file.validation.bands.draws,
    );
    println!("| step | seconds (min of 3 / max) |");
    println!("|---|---|");
    println!(
        "| `validate_run` (select, load, compute, journal {} path rows) | {:.3} / {:.3} |",
        a.rows,
        min(&total),
        max(&total)
    );
    println!("| of which: the frame (scenario inputs) and the 10 model contexts | {open_s:.3} |");
    println!(
        "| of which: computing (`sensitivity::analyse` of the 10 models, in parallel) | {:.3} / {:.3} |",
        min(&compute),
        max(&compute)
    );
    println!(
        "| of which: computing and journaling (`sensitivity::run`) | {:.3} / {:.3} |",
        min(&analysis),
        max(&analysis)
    );
    println!(
        "| the search's whole finish (rank, replay, validate, forecast, validation) | {:.3} |",
        summary.timings.finish_s
    );
}
