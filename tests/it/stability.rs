//! Stability over time (§11) and dynamic backtests (§12) end to end on the demo (quarterly) and
//! the synthetic monthly search of the scenario goldens: what the end of `run` journals for its
//! best models equals statsmodels and pandas (`tests/golden/gen_stability_demo.py`) at 1e-10; bad dates stop `run` and `validate` before
//! anything is written; a cut too deep is a skipped trial whose label stays; validating again
//! writes the same rows; `show`, `export` and the report carry the results.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;
use specsearch::journal::{BreakTest, BreakVerdict, Journal, ModelStability};

const GOLDEN: &str = include_str!("../golden/stability_demo.json");

const REL: f64 = 1e-10;

struct Demo {
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// The demo run with two break dates, once for the module. Tests that validate again do it
/// for other models than the two the golden file covers (ranks 1 and 8).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, config) = crate::common::demo_copy();
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push('\n');
        text.push_str(STABILITY);
        std::fs::write(&config, text).unwrap();
        let out = crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        Demo { dir, config }
    })
}

fn journal() -> Journal {
    Journal::open(&crate::common::journal_of(&demo().config)).unwrap()
}

/// `specsearch ARGS…` one at a time (validate takes the workspace's run lock).
fn specsearch(args: &[&str]) -> std::process::Output {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    crate::common::specsearch().args(args).output().unwrap()
}

const STABILITY: &str = "[stability]\nbreak_dates = [\"1980-03-31\", \"2001-03-31\"]\n";

/// A variant of the demo config next to it, with `section` for its `[stability]` table, to
/// validate the demo's run through `--workspace`.
fn variant(name: &str, section: &str) -> PathBuf {
    let d = demo();
    let text = std::fs::read_to_string(&d.config)
        .unwrap()
        .replace(STABILITY, section);
    let path = d.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn workspace() -> String {
    demo()
        .dir
        .path()
        .join("search.specsearch")
        .display()
        .to_string()
}

fn close(ck: &mut Vec<String>, what: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap_or(f64::NAN);
    let ok = if want.is_nan() {
        got.is_nan()
    } else {
        (got - want).abs() <= REL * want.abs().max(got.abs()) + 1e-13
    };
    if !ok {
        ck.push(format!("{what}: got {got:.17e}, want {want:.17e}"));
    }
}

fn close_all(ck: &mut Vec<String>, what: &str, got: &[f64], want: &Value) {
    let w = want.as_array().unwrap();
    if got.len() != w.len() {
        ck.push(format!("{what}: {} values, want {}", got.len(), w.len()));
        return;
    }
    for (i, (g, v)) in got.iter().zip(w).enumerate() {
        close(ck, &format!("{what}[{i}]"), *g, v);
    }
}

fn check_stability(ck: &mut Vec<String>, s: &ModelStability, want: &Value) {
    let spec = s.spec_index;
    let trials = want["trials"].as_array().unwrap();
    assert_eq!(s.trials.len(), trials.len(), "spec {spec}: trials");
    for (t, w) in s.trials.iter().zip(trials) {
        let what = format!("{spec}.{}", t.trial);
        let e = &w["expected"];
        assert_eq!(t.trial, w["trial"].as_str().unwrap());
        assert_eq!(t.cut as u64, w["cut"].as_u64().unwrap());
        assert_eq!(t.nobs as u64, e["nobs"].as_u64().unwrap(), "{what}");
        let cov = e["outcome"]["cov_type"].as_str().unwrap();
        assert_eq!(t.cov_type.map(|c| c.as_str()), Some(cov), "{what}");
        assert_eq!(t.passes, Some(e["outcome"]["status"] == "passed"), "{what}");
        assert_eq!(
            t.failed_test.map(|f| f.as_str()),
            e["outcome"]["failed_test"].as_str(),
            "{what}"
        );
        if let Some(end) = e["in_end"].as_str() {
            assert_eq!(t.in_end, end, "{what}");
        }
        let coef: Vec<f64> = t.coefficients.iter().map(|c| c.coef.unwrap()).collect();
        let se: Vec<f64> = t.coefficients.iter().map(|c| c.se.unwrap()).collect();
        let p: Vec<f64> = t.coefficients.iter().map(|c| c.pvalue.unwrap()).collect();
        close_all(ck, &format!("{what}.coef"), &coef, &e["params"]);
        close_all(ck, &format!("{what}.se"), &se, &e["cov"][cov]["bse"]);
        close_all(ck, &format!("{what}.p"), &p, &e["cov"][cov]["pvalues"]);
        close(ck, &format!("{what}.r2"), t.r2.unwrap(), &e["r2"]);
        close(
            ck,
            &format!("{what}.adj_r2"),
            t.adj_r2.unwrap(),
            &e["adj_r2"],
        );
        close(
            ck,
            &format!("{what}.rmse_in"),
            t.rmse_in.unwrap(),
            &e["is"]["rmse"],
        );
        if t.cut > 0 {
            let oos = &e["oos"];
            close(
                ck,
                &format!("{what}.rmse_oos"),
                t.rmse_oos.unwrap(),
                &oos["rmse"],
            );
            close(
                ck,
                &format!("{what}.mae_oos"),
                t.mae_oos.unwrap(),
                &oos["mae"],
            );
            close(
                ck,
                &format!("{what}.max_oos"),
                t.max_abs_oos.unwrap(),
                &oos["max_abs"],
            );
            let pct: Vec<f64> = t
                .coefficients
                .iter()
                .map(|c| c.pct_change.unwrap_or(f64::NAN))
                .collect();
            close_all(ck, &format!("{what}.pct_change"), &pct, &e["pct_change"]);
        } else {
            assert_eq!(
                t.rmse_oos, None,
                "{what}: the full fit has no pseudo out-of-sample"
            );
        }
    }
    let rec = s.recursive.as_ref().expect("recursive coefficients");
    let want_rec = &want["recursive"];
    assert_eq!(rec.first_rows as u64, want_rec["n0"].as_u64().unwrap());
    let dates: Vec<&str> = want_rec["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(rec.dates, dates, "spec {spec}: window dates");
    for (j, series) in rec.series.iter().enumerate() {
        for (i, (b, se)) in series.coefs.iter().zip(&series.ses).enumerate() {
            close(
                ck,
                &format!("{spec}.rec[{i}].{}", series.name),
                *b,
                &want_rec["params"][i][j],
            );
            close(
                ck,
                &format!("{spec}.rec[{i}].se.{}", series.name),
                *se,
                &want_rec["bse"][i][j],
            );
        }
    }
    let b = &want["breaks"];
    let test = |t: BreakTest| s.breaks.iter().filter(move |x| x.test == t);
    let cusum = test(BreakTest::CusumOls).next().unwrap();
    close(
        ck,
        "cusum_ols",
        cusum.statistic.unwrap(),
        &b["cusum_ols"]["statistic"],
    );
    close(
        ck,
        "cusum_ols.p",
        cusum.p_value.unwrap(),
        &b["cusum_ols"]["p_value"],
    );
    let rc = test(BreakTest::CusumRecursive).next().unwrap();
    close(
        ck,
        "cusum_rec",
        rc.statistic.unwrap(),
        &b["cusum_recursive"]["statistic"],
    );
    close(
        ck,
        "cusum_rec.p",
        rc.p_value.unwrap(),
        &b["cusum_recursive"]["p_value"],
    );
    assert_eq!(rc.critical_value, Some(0.948));
    let h = test(BreakTest::Hansen).next().unwrap();
    close(
        ck,
        "hansen",
        h.statistic.unwrap(),
        &b["hansen"]["statistic"],
    );
    let chows: Vec<_> = test(BreakTest::Chow).collect();
    let want_chow = b["chow"].as_array().unwrap();
    assert_eq!(chows.len(), want_chow.len());
    for (c, w) in chows.iter().zip(want_chow) {
        assert_eq!(c.date.as_deref(), w["date"].as_str());
        close(ck, "chow", c.statistic.unwrap(), &w["statistic"]);
        close(ck, "chow.p", c.p_value.unwrap(), &w["p_value"]);
        let p = c.p_value.unwrap();
        let verdict = if p < 0.05 {
            BreakVerdict::Unstable
        } else {
            BreakVerdict::Stable
        };
        assert_eq!(c.verdict, verdict);
    }
}

/// Compares the journaled stability and backtests of `golden`'s models with it.
fn check_models(journal: &Journal, golden: &Value) {
    let run = journal.latest_run().unwrap().unwrap();
    let mut ck = Vec::new();
    for m in golden["models"].as_array().unwrap() {
        let spec = m["spec_index"].as_u64().unwrap();
        // The golden file's features are the journaled model's.
        let names: Vec<String> = journal
            .ranked_coefficients(run.run_id, Some(10))
            .unwrap()
            .into_iter()
            .find(|c| c.spec_index == spec)
            .expect("a top-10 model, validated at the end of run")
            .param_names;
        let want: Vec<&str> = m["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(&names[1..], want.as_slice());

        let s = journal.model_stability(run.run_id, spec).unwrap().unwrap();
        check_stability(&mut ck, &s, m);

        let b = journal.model_backtest(run.run_id, spec).unwrap().unwrap();
        let bt = &m["backtest"];
        let paths = bt["paths"].as_array().unwrap();
        assert_eq!(b.jump_offs.len(), paths.len(), "spec {spec}: jump-offs");
        for (p, w) in b.jump_offs.iter().zip(paths) {
            let what = format!("{spec}@{}", p.jump_off);
            assert_eq!(p.jump_off, w["jump_off"].as_str().unwrap());
            assert_eq!(p.in_sample, w["in_sample"].as_bool().unwrap(), "{what}");
            let dates: Vec<&str> = w["dates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            assert_eq!(
                p.dates, dates,
                "{what}: the quarter ends after the jump-off"
            );
            close_all(
                &mut ck,
                &format!("{what}.predicted"),
                &p.predicted,
                &w["predicted"],
            );
            close_all(&mut ck, &format!("{what}.actual"), &p.actual, &w["actual"]);
            close_all(
                &mut ck,
                &format!("{what}.pct_error"),
                &p.pct_error,
                &w["pct_error"],
            );
            close(
                &mut ck,
                &format!("{what}.change"),
                p.predicted_change,
                &w["predicted_change"],
            );
            close(
                &mut ck,
                &format!("{what}.actual_change"),
                p.actual_change,
                &w["actual_change"],
            );
        }
        let samples = bt["summary"].as_object().unwrap();
        assert_eq!(b.summaries.len(), samples.len(), "spec {spec}: summaries");
        for s in &b.summaries {
            let w = &samples[s.sample.as_str()];
            let what = format!("{spec}.{}", s.sample.as_str());
            assert_eq!(
                s.jump_offs as u64,
                w["jump_offs"].as_u64().unwrap(),
                "{what}"
            );
            assert_eq!(
                s.worst_jump_off,
                w["worst_jump_off"].as_str().unwrap(),
                "{what}"
            );
            close_all(
                &mut ck,
                &format!("{what}.mape"),
                &s.mape_by_step,
                &w["mape_by_step"],
            );
            close(
                &mut ck,
                &format!("{what}.worst"),
                s.worst_mape,
                &w["worst_mape"],
            );
            close(
                &mut ck,
                &format!("{what}.hits"),
                s.sign_hit_rate,
                &w["sign_hit_rate"],
            );
        }
    }
    assert!(ck.is_empty(), "{} mismatches:\n{}", ck.len(), ck.join("\n"));
}

#[test]
fn the_demo_models_match_statsmodels_and_pandas() {
    let golden: Value = serde_json::from_str(GOLDEN).unwrap();
    check_models(&journal(), &golden["demo"]);
}

/// The synthetic monthly search of `tests/golden/gen_scenarios.py` (a 12-month growth target):
/// months, quarter-end jump-offs, quarters as the mean of their months.
#[test]
fn a_monthly_search_matches_statsmodels_and_pandas() {
    let golden: Value = serde_json::from_str(GOLDEN).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/data/scenarios");
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let config = dir.path().join("monthly.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[stability]\nbreak_dates = [\"2010-01-31\"]\n");
    std::fs::write(&config, text).unwrap();
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let journal = Journal::open(&crate::common::journal_of(&config)).unwrap();
    check_models(&journal, &golden["monthly"]);
}

#[test]
fn bad_dates_stop_run_and_validate_before_anything_is_written() {
    // `run` refuses before the workspace exists.
    for (extra, key, words) in [
        (
            "[stability]\nbreak_dates = [\"1950-03-31\"]\n",
            "stability.break_dates[0]",
            "1950-03-31 is outside the data",
        ),
        (
            "[stability]\nbreak_dates = [\"1961-03-31\"]\n",
            "stability.break_dates[0]",
            "outside the in-sample window",
        ),
        (
            "[backtest]\njump_offs = [\"2004-12-31\", \"2008-06-30\"]\n",
            "backtest.jump_offs[1]",
            "the jump-off 2008-06-30 has no 9 quarters of actual realcons after it",
        ),
        (
            "[stability]\ncuts = [4, 4]\n",
            "stability.cuts[1]",
            "4 is listed twice",
        ),
    ] {
        let (dir, config) = crate::common::demo_copy();
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(extra);
        std::fs::write(&config, text).unwrap();
        let out = crate::common::specsearch()
            .args(["run", "-q"])
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra}: {err}");
        assert!(err.contains(key) && err.contains(words), "{extra}: {err}");
        assert!(
            !dir.path().join("search.specsearch").exists(),
            "{extra}: the workspace was written"
        );
    }
    // `validate` refuses before any analysis writes: the journal's rows are unchanged.
    let before = export(&["--what", "stability"]);
    let bad = variant("bad.toml", "[stability]\nbreak_dates = [\"2009-09-30\"]\n");
    let ws = workspace();
    let out = specsearch(&["validate", bad.to_str().unwrap(), "--workspace", &ws, "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("stability.break_dates[0]") && err.contains("2009-09-30"),
        "{err}"
    );
    assert_eq!(export(&["--what", "stability"]), before);
}

/// The rows of `export` as CSV text.
fn export(args: &[&str]) -> String {
    let path = demo().dir.path().join("export.csv");
    let out = specsearch(
        &[
            &[
                "export",
                demo().config.to_str().unwrap(),
                "-o",
                path.to_str().unwrap(),
            ],
            args,
        ]
        .concat(),
    );
    crate::common::assert_ok(&out);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_cut_too_deep_is_skipped_its_label_kept_and_validating_again_writes_the_same() {
    let ws = workspace();
    let deep = variant("deep.toml", "[stability]\ncuts = [4, 173, 8]\n");
    let j = journal();
    let run = j.latest_run().unwrap().unwrap();
    let spec = j.ranked_coefficients(run.run_id, Some(3)).unwrap()[2].spec_index;
    let validate = || {
        let out = specsearch(&[
            "validate",
            deep.to_str().unwrap(),
            "--workspace",
            &ws,
            "--spec",
            &spec.to_string(),
        ]);
        crate::common::assert_ok(&out)
    };
    let stdout = validate();
    assert!(stdout.contains("stability"), "{stdout}");
    let first = journal()
        .model_stability(run.run_id, spec)
        .unwrap()
        .unwrap();
    let labels: Vec<(&str, u32, Option<bool>)> = first
        .trials
        .iter()
        .map(|t| (t.trial.as_str(), t.cut, t.passes))
        .collect();
    assert_eq!(labels[0].0, "final");
    assert_eq!((labels[1].0, labels[1].1), ("WF1", 4));
    // 176 in-sample quarters − 173 leaves 3 rows, fewer than the 4 columns + 2.
    assert_eq!(labels[2], ("WF2", 173, None));
    assert_eq!((labels[3].0, labels[3].1), ("WF3", 8));
    let note = first.trials[2].note.as_deref().unwrap();
    assert!(
        note.contains("leaves 3") && note.contains("(columns + 2)"),
        "{note}"
    );
    assert!(first.trials[2].coefficients.is_empty());
    assert!(first.notes.iter().any(|n| n.starts_with("WF2: skipped")));
    // The same inputs write the same rows (and only this model's).
    let backtest = journal().model_backtest(run.run_id, spec).unwrap();
    validate();
    assert_eq!(
        journal()
            .model_stability(run.run_id, spec)
            .unwrap()
            .unwrap(),
        first
    );
    assert_eq!(
        journal().model_backtest(run.run_id, spec).unwrap(),
        backtest
    );
    let other = journal()
        .model_stability(run.run_id, 88873)
        .unwrap()
        .unwrap();
    assert_eq!(other.trials.len(), 4);
    assert!(other.trials.iter().all(|t| t.passes.is_some()));
}

#[test]
fn show_export_and_the_report_carry_the_results() {
    let d = demo();
    let out = specsearch(&["show", d.config.to_str().unwrap(), "1"]);
    let text = crate::common::assert_ok(&out);
    for part in [
        "Walk-forward trials",
        "WF3",
        "Coefficients across trials",
        "Break tests (5%)",
        "CUSUM of recursive residuals",
        "Chow",
        "1980-03-31",
        "Backtest jump-offs",
        "out-of-sample",
    ] {
        assert!(text.contains(part), "show lacks {part:?}:\n{text}");
    }
    let json = specsearch(&["show", d.config.to_str().unwrap(), "1", "--json"]);
    let doc: Value = serde_json::from_str(&crate::common::assert_ok(&json)).unwrap();
    assert_eq!(doc["stability_trial"].as_array().unwrap().len(), 4);
    assert_eq!(doc["backtest_step"].as_array().unwrap().len(), 9);

    let csv = export(&["--what", "backtests"]);
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "run_id,rank,spec_index,jump_off,sample,step,date,predicted_level,actual_level,pct_error"
    );
    // 186 jump-offs × 9 quarters for each of the ten validated models.
    assert_eq!(csv.lines().count() - 1, 10 * 186 * 9);
    let csv = export(&["--what", "stability"]);
    assert!(csv.starts_with("run_id,rank,spec_index,trial,cut,"));
    assert!(csv
        .lines()
        .any(|l| l.starts_with("1,1,88873,WF3,12,1961-03-31,2001-12-31,164,")));

    let html = d.dir.path().join("report.html");
    let out = specsearch(&[
        "report",
        d.config.to_str().unwrap(),
        "--top",
        "1",
        "-o",
        html.to_str().unwrap(),
    ]);
    crate::common::assert_ok(&out);
    let page = std::fs::read_to_string(&html).unwrap();
    for kind in [
        "walk-forward",
        "recursive",
        "cusum-recursive",
        "cusum-ols",
        "backtest-fan",
    ] {
        assert!(
            page.contains(&format!(" data-kind=\"{kind}\"")),
            "the report has no {kind} plot"
        );
    }
    assert!(page.contains("id=\"model-88873-stability\""));
}

/// A model the run did not validate has no stability tables in `show` (and no error).
#[test]
fn a_model_the_run_did_not_validate_has_no_stability_tables() {
    let d = demo();
    let j = journal();
    let run = j.latest_run().unwrap().unwrap();
    let ranked = j.ranked_coefficients(run.run_id, Some(12)).unwrap();
    let spec = ranked[11].spec_index;
    assert!(j.model_stability(run.run_id, spec).unwrap().is_none());
    let out = specsearch(&["show", d.config.to_str().unwrap(), "12"]);
    let text = crate::common::assert_ok(&out);
    assert!(!text.contains("Walk-forward trials"));
}
