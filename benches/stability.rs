//! Stability over time (§11) and dynamic backtests (§12) of the top 10 models of the
//! PPNR-shaped search (`cargo bench --bench stability`): the workload of
//! `synth --preset ppnr` (2,163,980 specs, monthly), run once; then, timed three times each,
//! the two analyses of the validation frame for its best 10 ranked models — walk-forward
//! trials (the three default cuts, each refitted and judged by every filter), recursive
//! coefficients, the break tests, and backtests from every quarter end of the in-sample with
//! 9 quarters of actuals after it — computing and journaling their rows. The compute part
//! alone (`analyze`) and the frame's own set-up (model contexts) are timed separately.
//! Markdown for BENCHMARKS.md goes to stdout.
//!
//! `SPECSEARCH_BENCH_QUICK=1` uses a smaller PPNR shape (drivers 1,1,2,2,2) for a quick look.

use std::time::Instant;

use specsearch::config::{Config, Executor};
use specsearch::journal::JournalRw;
use specsearch::search::{self, RunOptions};
use specsearch::session::Session;
use specsearch::synth::ppnr::{self, PpnrSpec};
use specsearch::validation::stability_inputs::StabilityInputs;
use specsearch::validation::{self, Frame, ModelContext, Selection};

const TOP: usize = 10;

fn main() {
    let quick = std::env::var_os("SPECSEARCH_BENCH_QUICK").is_some();
    let dir = tempfile::tempdir().unwrap();
    let spec = if quick {
        PpnrSpec::with_categories(&[1, 1, 2, 2, 2])
    } else {
        PpnrSpec::preset()
    };
    let config_path = ppnr::write(dir.path(), &spec).unwrap();
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
    let session = Session::open(config, Some(&ws)).unwrap();
    let journal = JournalRw::open(&summary.journal).unwrap();
    let run = summary.run.clone();

    let t = Instant::now();
    let inputs = StabilityInputs::resolve(&session).unwrap();
    let models = validation::select_models(&journal, &run, &Selection::top(TOP), TOP).unwrap();
    let frame = Frame::open(&journal, &run, &session, &models).unwrap();
    let contexts: Vec<ModelContext> = models
        .iter()
        .map(|&m| ModelContext::load(&frame, &journal, m).unwrap())
        .collect();
    let setup_s = t.elapsed().as_secs_f64();
    assert_eq!(contexts.len(), TOP);

    let mut stability = Vec::new();
    let mut backtests = Vec::new();
    let mut compute = Vec::new();
    let mut reports = None;
    for _ in 0..3 {
        let t = Instant::now();
        let s = validation::stability::run(&frame, &inputs, &contexts, &journal).unwrap();
        stability.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let b = validation::backtest::run(&frame, &inputs, &contexts, &journal).unwrap();
        backtests.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for ctx in &contexts {
            validation::stability::analyze(&frame, &inputs, ctx).unwrap();
            validation::backtest::analyze(&frame, &inputs, ctx).unwrap();
        }
        compute.push(t.elapsed().as_secs_f64());
        reports = Some((s, b));
    }
    let (s, b) = reports.unwrap();
    let both: Vec<f64> = stability
        .iter()
        .zip(&backtests)
        .map(|(a, b)| a + b)
        .collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n_in = inputs.sample.n_in();
    let jump_offs = inputs.jump_offs.rows().len();
    let params: Vec<usize> = contexts.iter().map(|c| c.terms.len() + 1).collect();
    println!(
        "Stability and backtests of the top {TOP} models of the PPNR-shaped search ({} specs; \
         {n_in} monthly in-sample rows; {}–{} columns per model; cuts {:?}; {jump_offs} \
         quarter-end jump-offs × {} quarters), {cores} cores:\n",
        run.spec_count,
        params.iter().min().unwrap(),
        params.iter().max().unwrap(),
        inputs.cuts,
        inputs.quarters,
    );
    println!("| step | seconds (min of 3 / max) |");
    println!("|---|---|");
    println!(
        "| stability (§11: final fit + {} walk-forward trials, recursive coefficients, break \
         tests; {} rows journaled) | {:.3} / {:.3} |",
        inputs.cuts.len(),
        s.rows,
        min(&stability),
        max(&stability)
    );
    println!(
        "| backtests (§12: {} steps journaled) | {:.3} / {:.3} |",
        b.rows,
        min(&backtests),
        max(&backtests)
    );
    println!(
        "| **both, computed and journaled** | **{:.3}** / {:.3} |",
        min(&both),
        max(&both)
    );
    println!(
        "| of which compute only (`analyze`, both analyses) | {:.3} / {:.3} |",
        min(&compute),
        max(&compute)
    );
    println!(
        "| the frame's set-up for the {TOP} models (inputs, selection, contexts with refits) | \
         {setup_s:.3} |"
    );
    println!(
        "| the search's whole finish (rank, replay, validate, forecast, validation) | {:.3} |",
        summary.timings.finish_s
    );
    println!(
        "\n{:.1} ms per model (both analyses, best run).",
        min(&both) * 1e3 / TOP as f64
    );
}
