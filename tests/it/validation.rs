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

/// The commands that write into the demo's workspace go one at a time (each takes its run
/// lock).
static DEMO_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `specsearch validate` on the demo.
fn validate(args: &[&str]) -> std::process::Output {
    let _turn = DEMO_WRITER.lock().unwrap_or_else(|e| e.into_inner());
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

fn cli(args: &[&str]) -> String {
    let out = crate::common::specsearch()
        .arg(args[0])
        .arg(&demo().config)
        .args(&args[1..])
        .output()
        .unwrap();
    crate::common::assert_ok(&out)
}

fn count(sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(crate::common::journal_of(&demo().config)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn show_export_and_report_read_the_validation() {
    let show = cli(&["show", "1"]);
    assert!(
        show.contains("Sensitivity: % change of the level at P9")
            && show.contains("Attribution: effect of each feature")
            && show.contains("not the raw MEV"),
        "{show}"
    );
    // Rank 20 is past validation.top_n (10): not validated.
    let show = cli(&["show", "20"]);
    assert!(!show.contains("Sensitivity:"), "{show}");
    let json: serde_json::Value = serde_json::from_str(&cli(&["show", "1", "--json"])).unwrap();
    assert!(json["sensitivity"].as_array().is_some_and(|a| a.len() > 3));
    assert!(json["attribution"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));

    let dir = tempfile::tempdir().unwrap();
    for (what, view) in [
        ("sensitivity", "sensitivity_paths"),
        ("attribution", "scenario_attribution"),
        ("bands", "scenario_bands"),
    ] {
        let file = dir.path().join(format!("{what}.csv"));
        let _ = cli(&["export", "--what", what, "-o", file.to_str().unwrap()]);
        let rows = std::fs::read_to_string(&file).unwrap().lines().count() as i64 - 1;
        assert_eq!(
            rows,
            count(&format!("SELECT count(*) FROM {view}")),
            "{what}"
        );
        assert!(rows > 0, "{what}");
    }

    let page = dir.path().join("report.html");
    let _ = cli(&["report", "--top", "2", "-o", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    for kind in ["bands", "attribution"] {
        assert_eq!(
            html.matches(&format!("data-kind=\"{kind}\"")).count(),
            2,
            "{kind}"
        );
    }
    let severe_only = html.matches("data-kind=\"sensitivity\"").count() - 1; // and the CSS
    assert!(html.contains("Sensitivity of the level under Severe"));
    let _ = cli(&[
        "report",
        "--top",
        "2",
        "--all-scenarios",
        "-o",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        html.matches("data-kind=\"sensitivity\"").count() - 1,
        3 * severe_only,
        "every scenario's sensitivity plots"
    );
    assert!(html.contains("Sensitivity of the level under Base, Adverse, Severe"));
}

#[test]
fn the_validation_renders_in_chromium_with_a_mark_for_every_series() {
    let Some(bin) = crate::report_browser::chromium() else {
        crate::common::skip(
            "validation in chromium",
            "no Chromium binary (install Debian's `chromium`)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let _ = cli(&["report", "--top", "2", "-o", page.to_str().unwrap()]);
    let (dom, console) = crate::report_browser::load(&bin, &page);
    assert!(console.is_empty(), "console messages: {console:?}");
    let found = crate::report_browser::plots_of_class(&dom, "plot validation");
    assert!(found.len() >= 2 * 5, "{} validation plots", found.len());
    for (id, series, svg) in &found {
        assert!(!series.is_empty(), "{id} lists its series");
        assert!(svg.contains("<text"), "{id} has axis labels");
        let missing = crate::report_browser::missing_series(series, svg);
        assert!(missing.is_empty(), "{id}: no mark for series {missing:?}");
    }
}

/// Every row the sensitivity writes, as text (the computation time left out).
fn sensitivity_rows(journal: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(journal).unwrap();
    let mut out = Vec::new();
    for (table, cols) in [
        ("sensitivity_models", "spec_index, inputs_sha256, cov_type, hac_lags, nobs, df_resid, resid_variance, coefficient_shocks, driver_shocks, band_draws, band_seed, band_quantiles, band_note, drivers"),
        ("sensitivity_features", "*"),
        ("sensitivity_path_data", "*"),
        ("sensitivity_stat_data", "*"),
        ("attribution_data", "*"),
        ("band_data", "*"),
        ("scenario_driver_paths", "*"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT {cols} FROM {table} ORDER BY 1, 2, 3, 4, 5"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join("|")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn the_rows_are_the_same_for_any_thread_count_and_every_time() {
    let journal = crate::common::journal_of(&demo().config);
    let with_threads = |n: &str| {
        let _turn = DEMO_WRITER.lock().unwrap_or_else(|e| e.into_inner());
        let out = crate::common::specsearch()
            .env("RAYON_NUM_THREADS", n)
            .arg("validate")
            .arg(&demo().config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        sensitivity_rows(&journal)
    };
    let one = with_threads("1");
    assert!(one.len() > 1000, "{} rows", one.len());
    let three = with_threads("3");
    assert!(
        one == three,
        "one thread and three threads wrote different rows"
    );
}

#[test]
fn a_model_without_forecasts_is_refused_with_what_to_do() {
    let (_dir, config) = edited_demo(|t| {
        t.replace(
            "order = [\"Base\", \"Adverse\", \"Severe\"]",
            "models = \"top\"\ntop_n = 2\norder = [\"Base\", \"Adverse\", \"Severe\"]",
        )
    });
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    let text = crate::common::assert_ok(&out);
    // At the end of the run, the best 10 are validated; 8 have no forecasts: one note.
    assert_eq!(text.matches("not analysed").count(), 1, "{text}");
    assert!(
        text.contains("not analysed: rank 3 (spec") && text.contains("rank 10 (spec"),
        "{text}"
    );
    assert!(text.contains("2 model(s) × 3 scenario(s)"), "{text}");
    let out = crate::common::specsearch()
        .args(["validate"])
        .arg(&config)
        .args(["1", "5"])
        .output()
        .unwrap();
    let e = err(&out);
    assert!(
        e.contains("rank 5 (spec")
            && e.contains("no scenario forecasts in the run")
            && e.contains("specsearch forecast"),
        "{e}"
    );
}

#[test]
fn bad_validation_settings_are_refused_before_anything_is_written() {
    let (_dir, config) = crate::common::demo_copy();
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let journal = crate::common::journal_of(&config);
    let before = sensitivity_rows(&journal);
    for (edit, key) in [
        ("driver_shocks = []", "validation.driver_shocks"),
        (
            "coefficient_shocks = [1, inf]",
            "validation.coefficient_shocks[1]",
        ),
        ("top_n = 0", "validation.top_n"),
    ] {
        let text = std::fs::read_to_string(&config).unwrap();
        let cut = text.find("\n[validation]").unwrap_or(text.len());
        std::fs::write(&config, format!("{}\n[validation]\n{edit}\n", &text[..cut])).unwrap();
        let out = crate::common::specsearch()
            .arg("validate")
            .arg(&config)
            .output()
            .unwrap();
        let e = err(&out);
        assert!(e.contains(key) && e.contains("search.toml"), "{edit}: {e}");
    }
    assert!(sensitivity_rows(&journal) == before, "nothing was written");
}

#[test]
fn forecasting_again_validates_again() {
    let (_dir, config) = crate::common::demo_copy();
    crate::common::assert_ok(
        &crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let journal = crate::common::journal_of(&config);
    let before = sensitivity_rows(&journal);
    let out = crate::common::specsearch()
        .arg("forecast")
        .arg(&config)
        .output()
        .unwrap();
    let text = crate::common::assert_ok(&out);
    assert!(text.contains("validate   10 model(s)"), "{text}");
    assert!(
        sensitivity_rows(&journal) == before,
        "the same inputs, the same rows"
    );
}

#[test]
fn forecasts_from_other_scenario_inputs_are_refused_with_what_to_do() {
    let (dir, config) = crate::common::demo_copy();
    crate::common::assert_ok(
        &crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    // A new Base file: the run's forecasts no longer come from the config's inputs.
    let base = dir.path().join("data/scenario_base.csv");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        format!("{}\n", text.trim_end().replace(",0.12,", ",0.13,")),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(&base).unwrap(), text);
    let out = crate::common::specsearch()
        .arg("validate")
        .arg(&config)
        .arg("1")
        .output()
        .unwrap();
    let e = err(&out);
    assert!(
        e.contains("came from other scenario inputs") && e.contains("specsearch forecast"),
        "{e}"
    );
    // Without a selection: a note, and nothing analysed.
    let out = crate::common::specsearch()
        .arg("validate")
        .arg(&config)
        .output()
        .unwrap();
    let text = crate::common::assert_ok(&out);
    assert!(
        text.contains("sensitivity: not done: the forecasts of run"),
        "{text}"
    );
}
