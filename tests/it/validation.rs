//! The validation frame (`specsearch validate`, the end of `run`): which models are validated
//! (the best `validation.top_n`, ranks, `--spec`, `--top`), the per-model context (the journaled
//! detail, the data, the fit, the scenario paths equal to the journaled forecasts), and bad
//! selections refused with a message naming the rank or spec.

use std::path::PathBuf;
use std::sync::OnceLock;

use specsearch::config::Config;
use specsearch::journal::{Journal, JournalRw};
use specsearch::session::Session;
use specsearch::validation::{self, Frame, ModelContext, Selection};

struct Demo {
    _dir: tempfile::TempDir,
    config: PathBuf,
    run_stdout: String,
}

/// The demo run (scenarios, composites, Q dummies), once for the module.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, config) = crate::common::demo_copy();
        let out = crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap();
        let run_stdout = crate::common::assert_ok(&out);
        Demo {
            _dir: dir,
            config,
            run_stdout,
        }
    })
}

/// `specsearch validate` on the demo; one at a time (each takes the workspace's run lock).
fn validate(args: &[&str]) -> std::process::Output {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    crate::common::specsearch()
        .arg("validate")
        .arg(&demo().config)
        .args(args)
        .output()
        .unwrap()
}

fn err(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_end_of_run_validates_the_best_models() {
    let out = &demo().run_stdout;
    assert!(
        out.contains("validate   10 model(s) (#1, #2, #3, #4, #5, …)"),
        "{out}"
    );
}

#[test]
fn models_are_chosen_by_rank_spec_and_top_each_once() {
    let d = demo();
    let journal = Journal::open(&crate::common::journal_of(&d.config)).unwrap();
    let run = journal.latest_run().unwrap().unwrap();
    let ranked = journal.ranked_coefficients(run.run_id, Some(12)).unwrap();
    let select = |s: &Selection| validation::select_models(&journal, &run, s, 10).unwrap();
    let default = select(&Selection::default());
    assert_eq!(default.len(), 10);
    for (m, r) in default.iter().zip(&ranked) {
        assert_eq!((m.spec_index, m.rank), (r.spec_index, r.rank));
    }
    let named = select(&Selection {
        ranks: vec![3, 1, 3],
        specs: vec![ranked[11].spec_index, ranked[0].spec_index],
        top: None,
    });
    let specs: Vec<u64> = named.iter().map(|m| m.spec_index).collect();
    assert_eq!(
        specs,
        vec![
            ranked[2].spec_index,
            ranked[0].spec_index,
            ranked[11].spec_index
        ]
    );
    assert_eq!(named[2].rank, Some(12));
    let top = select(&Selection {
        ranks: vec![5],
        ..Selection::top(2)
    });
    assert_eq!(
        top.iter().map(|m| m.rank).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(5)]
    );
}

#[test]
fn the_model_context_holds_the_journaled_model_and_its_forecasts() {
    let d = demo();
    let ws = crate::common::journal_of(&d.config);
    let journal = JournalRw::open(&ws).unwrap();
    let run = journal.latest_run().unwrap().unwrap();
    let session = Session::open(Config::load(&d.config).unwrap(), None).unwrap();
    let models = validation::select_models(&journal, &run, &Selection::top(10), 10).unwrap();
    let frame = Frame::open(&journal, &run, &session, &models).unwrap();
    assert_eq!(frame.scenario_names(), ["Base", "Adverse", "Severe"]);
    for &m in &models {
        let c = ModelContext::load(&frame, &journal, m).unwrap();
        let coefficients = journal.ranked_coefficients(run.run_id, None).unwrap();
        let journaled = coefficients
            .iter()
            .find(|x| x.spec_index == m.spec_index)
            .unwrap();
        assert_eq!(c.params(), journaled.params.as_slice());
        assert_eq!(c.terms.len() + 1, c.params().len());
        // The fit recomputed from the data: its SEs are the journaled ones.
        for (a, b) in c.fit.bse.iter().zip(&c.detail.outcome.bse) {
            assert!((a - b).abs() <= 1e-8 * b.abs(), "{a} vs {b}");
        }
        assert_eq!(c.in_sample(1).len(), c.detail.outcome.nobs);
        // The scenario paths are the journaled forecasts, bit for bit.
        let s = c.scenarios.as_ref().unwrap();
        let paths = journal.scenario_paths(run.run_id, m.spec_index).unwrap();
        for (k, (name, path)) in paths.iter().enumerate() {
            assert_eq!(name, frame.scenario_names()[k]);
            let levels: Vec<f64> = path[1..].iter().map(|p| p.1).collect();
            assert_eq!(levels, s.forecast.paths[k].levels, "{name}");
            // The design predicts the same transform.
            let y = specsearch::projection::predict(
                c.params(),
                &s.designs[k].x,
                s.forecast.paths[k].transform.len(),
            );
            assert_eq!(y, s.forecast.paths[k].transform);
        }
    }
}

#[test]
fn bad_selections_are_refused_naming_the_model() {
    let e = err(&validate(&["3000000"]));
    assert!(e.contains("there is no rank 3000000"), "{e}");
    let e = err(&validate(&["0"]));
    assert!(e.contains("ranks start at 1"), "{e}");
    let e = err(&validate(&["--spec", "5"]));
    assert!(
        e.contains("spec 5 of run") && e.contains("did not pass"),
        "{e}"
    );
    let e = err(&validate(&["--spec", "999999999"]));
    assert!(e.contains("spec 999999999 has no outcome"), "{e}");
    let e = err(&validate(&["--top", "0"]));
    assert!(e.contains("--top 0"), "{e}");
}

#[test]
fn the_command_validates_the_models_named() {
    let out = validate(&["2", "1", "--top", "1"]);
    let text = crate::common::assert_ok(&out);
    assert!(text.contains("validate   2 model(s) (#1, #2)"), "{text}");
}

/// A config edited in a copy of the demo.
fn edited_demo(edit: impl FnOnce(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let (dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, edit(text)).unwrap();
    (dir, config)
}

fn without_scenarios(text: String) -> String {
    let start = text.find("[scenarios]").unwrap();
    text[..start].to_string()
}

#[test]
fn a_run_without_scenarios_is_validated_with_a_note_not_an_error() {
    let (_dir, config) = edited_demo(without_scenarios);
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    let text = crate::common::assert_ok(&out);
    assert!(text.contains("validate   10 model(s)"), "{text}");
    let ws = crate::common::journal_of(&config);
    let journal = JournalRw::open(&ws).unwrap();
    let run = journal.latest_run().unwrap().unwrap();
    let session = Session::open(Config::load(&config).unwrap(), None).unwrap();
    let models = validation::select_models(&journal, &run, &Selection::top(1), 10).unwrap();
    let frame = Frame::open(&journal, &run, &session, &models).unwrap();
    assert!(frame.scenarios.is_none());
    assert!(
        frame
            .scenarios_missing
            .as_deref()
            .unwrap()
            .contains("has no [scenarios] section"),
        "{:?}",
        frame.scenarios_missing
    );
    let c = ModelContext::load(&frame, &journal, models[0]).unwrap();
    assert!(c.scenarios.is_err());
}
