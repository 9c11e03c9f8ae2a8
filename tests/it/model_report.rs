//! The model report on the demo: `series` against `show-model`'s fit (1e-12), `show` (from the
//! journal) and `show-model` (fitted now) printing the same report for the same model, and the
//! report of a model with a composite column (read from the store after its replay).

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

struct Demo {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, config) = crate::common::demo_copy();
        crate::common::assert_ok(
            &crate::common::specsearch()
                .args(["run", "-q", "-j", "2"])
                .arg(&config)
                .output()
                .unwrap(),
        );
        Demo { _dir: dir, config }
    })
}

fn cli(args: &[&str]) -> String {
    let d = demo();
    let mut c = crate::common::specsearch();
    c.arg(args[0]).arg(&d.config).args(&args[1..]);
    crate::common::assert_ok(&c.output().unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn close(got: f64, want: f64, scale: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * scale.max(want.abs()),
        "{what}: {got} vs {want}"
    );
}

/// The spec index of rank `rank`.
fn spec_of(rank: usize) -> u64 {
    json(&cli(&["show", &rank.to_string(), "--json"]))["spec_index"]
        .as_u64()
        .unwrap()
}

#[test]
fn series_equal_show_models_fit() {
    for rank in [1usize, 2, 5] {
        let spec = spec_of(rank).to_string();
        let series = json(&cli(&["series", "--spec", &spec, "--json"]));
        let fit = json(&cli(&["show-model", "--spec", &spec, "--json"]));
        let detail = &fit["detail"];
        assert!(detail.is_object());
        let params = crate::common::floats(&detail["params"]);
        let names: Vec<String> = detail["param_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        assert_eq!(names[0], "const");
        let rows = series["rows"].as_array().unwrap();
        let n_in = rows.iter().filter(|r| r["sample"] == "in").count();
        let n_oos = rows.iter().filter(|r| r["sample"] == "out").count();
        assert_eq!(n_in as u64, detail["nobs"].as_u64().unwrap());
        assert_eq!(n_oos as u64, detail["nobs_oos"].as_u64().unwrap());
        // Fitted = X·β with show-model's coefficients; contributions add up to it.
        let scale = rows
            .iter()
            .map(|r| r["actual"].as_f64().unwrap().abs())
            .fold(0.0, f64::max);
        let (mut is_abs, mut is_sq, mut is_max) = (0.0, 0.0, 0.0f64);
        let (mut oos_abs, mut oos_sq, mut oos_max) = (0.0, 0.0, 0.0f64);
        for r in rows {
            let mut fitted = params[0];
            let mut sum = params[0];
            for (b, name) in params[1..].iter().zip(&names[1..]) {
                let x = r[name.as_str()].as_f64().unwrap();
                fitted += b * x;
                sum += r[format!("{name}_contribution").as_str()].as_f64().unwrap();
            }
            let got = r["fitted"].as_f64().unwrap();
            close(got, fitted, scale, "fitted vs X·β");
            close(sum, got, scale, "const + contributions vs fitted");
            let e = r["residual"].as_f64().unwrap();
            close(e, r["actual"].as_f64().unwrap() - got, scale, "residual");
            if r["sample"] == "in" {
                is_abs += e.abs();
                is_sq += e * e;
                is_max = is_max.max(e.abs());
            } else {
                oos_abs += e.abs();
                oos_sq += e * e;
                oos_max = oos_max.max(e.abs());
            }
        }
        let want = |k: &str| detail[k].as_f64().unwrap();
        let (ni, no) = (n_in as f64, n_oos as f64);
        close(is_abs / ni, want("is_mae"), 0.0, "in-sample MAE");
        close((is_sq / ni).sqrt(), want("is_rmse"), 0.0, "in-sample RMSE");
        close(is_max, want("is_max_abs_error"), 0.0, "in-sample max");
        close(oos_abs / no, want("oos_mae"), 0.0, "out-of-sample MAE");
        close((oos_sq / no).sqrt(), want("oos_rmse"), 0.0, "oos RMSE");
        close(oos_max, want("oos_max_abs_error"), 0.0, "oos max");
        // The journaled coefficients (series) equal the refit's.
        let coefs = series["features"].as_array().unwrap();
        close(
            series["intercept"].as_f64().unwrap(),
            params[0],
            0.0,
            "intercept",
        );
        for (c, b) in coefs.iter().zip(&params[1..]) {
            close(c["coef"].as_f64().unwrap(), *b, 0.0, "coef");
        }
    }
    // CSV has the same rows and columns.
    let csv = cli(&["series", "1", "--csv"]);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let headers = rd.headers().unwrap().clone();
    assert_eq!(&headers[0], "date");
    assert!(headers.iter().any(|h| h.ends_with("_contribution")));
    assert_eq!(rd.records().count(), 195);
}

/// The report from the heading "Coefficients" on, up to the scenario forecasts (before it the
/// two differ only in where the model comes from: the run and its rank, or the config fitted
/// now; only `show` reads a model's scenario forecasts from the journal).
fn body(text: &str) -> &str {
    let start = text.find("\nCoefficients").expect("a Coefficients section");
    let end = text.find("\nScenario forecasts").unwrap_or(text.len());
    &text[start..end]
}

#[test]
fn show_and_show_model_print_the_same_report() {
    for rank in [1usize, 3] {
        let spec = spec_of(rank).to_string();
        let shown = cli(&["show", "--spec", &spec, "--cov"]);
        let fitted = cli(&["show-model", "--spec", &spec, "--cov"]);
        assert_eq!(body(&shown), body(&fitted), "spec {spec}");
        for s in [
            "F-statistic",
            "Prob (F-statistic)",
            "Log-Likelihood",
            "AIC",
            "BIC",
            "Df Residuals",
            "Skew",
            "Kurtosis",
            "Cond. No.",
            "ci_lower",
            "Covariance of the coefficients",
            "in-sample 1961-03-31 – 2004-12-31, out-of-sample 2005-03-31 – 2009-09-30",
        ] {
            assert!(shown.contains(s), "{s}: {shown}");
        }
        assert!(!shown.contains("Intercept"), "one name for the intercept");
        // No test that did not apply says it passed.
        let j = json(&cli(&["show", "--spec", &spec, "--json"]));
        for t in j["tests"].as_array().unwrap() {
            let name = t["test"].as_str().unwrap();
            if name.starts_with("3 ") && !name.contains("set") || name.starts_with("6 ") {
                assert!(
                    t["verdict"]
                        .as_str()
                        .unwrap()
                        .starts_with("not applicable ("),
                    "{t}"
                );
            }
        }
        let white = j["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["test"] == "White")
            .unwrap();
        assert!(
            white["statistic"].is_number(),
            "White from the data: {white}"
        );
        let m = json(&cli(&["show-model", "--spec", &spec, "--json"]));
        // Same tests and verdicts; the same numbers (White is computed by the report from the
        // data for `show` and by the report assessment for `show-model`: equal to rounding).
        let (a, b) = (
            j["tests"].as_array().unwrap(),
            m["tests"].as_array().unwrap(),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            for k in ["test", "rule", "verdict"] {
                assert_eq!(x[k], y[k], "{x} {y}");
            }
            for k in ["statistic", "p_value"] {
                match (x[k].as_f64(), y[k].as_f64()) {
                    (Some(u), Some(v)) => close(u, v, 0.0, &format!("{} {k}", x["test"])),
                    _ => assert_eq!(x[k], y[k]),
                }
            }
        }
        assert_eq!(j["model"].as_array().unwrap().len(), 15);
        // The JSON statistics are the summary's, at full precision.
        let summary = &j["detail"]["summary"];
        assert_eq!(
            j["model"][4]["value"], summary["f_stat"],
            "F in the table and in detail"
        );
    }
}

#[test]
fn alpha_sets_the_confidence_level() {
    let j95 = json(&cli(&["show", "1", "--json"]));
    let j90 = json(&cli(&["show", "1", "--json", "--alpha", "0.1"]));
    assert_eq!(j90["alpha"], 0.1);
    for (a, b) in j95["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .zip(j90["coefficients"].as_array().unwrap())
    {
        let w95 = a["ci_upper"].as_f64().unwrap() - a["ci_lower"].as_f64().unwrap();
        let w90 = b["ci_upper"].as_f64().unwrap() - b["ci_lower"].as_f64().unwrap();
        // t(0.975, 172) / t(0.95, 172) = 1.97385 / 1.65376.
        assert!(
            (w95 / w90 - 1.973_55 / 1.653_74).abs() < 1e-3,
            "{w95} {w90}"
        );
    }
    let out = crate::common::specsearch()
        .arg("show")
        .arg(&demo().config)
        .args(["1", "--alpha", "1.5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
}

#[test]
fn a_model_with_a_composite_reads_it_from_the_store() {
    let top = json(&cli(&["top", "-n", "40", "--json"]));
    let rank = top
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["features"].as_str().unwrap().contains('@'))
        .expect("a regime model among the top 40")["rank"]
        .as_i64()
        .unwrap();
    let spec = spec_of(rank as usize).to_string();
    let shown = cli(&["show", "--spec", &spec]);
    let fitted = cli(&["show-model", "--spec", &spec]);
    assert_eq!(body(&shown), body(&fitted));
    let series = json(&cli(&["series", "--spec", &spec, "--json"]));
    let regime = series["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().contains("@Q_4"))
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    // The regime is zero outside the fourth quarter.
    for r in series["rows"].as_array().unwrap() {
        let date = r["date"].as_str().unwrap();
        if !date.ends_with("-12-31") {
            assert_eq!(r[regime.as_str()], 0.0, "{date}");
        }
    }
}

/// Without the frozen bundle, `show` reports the journaled outcome: a HAC model's
/// heteroskedasticity tests were never run (HAC is chosen first), and the report says why
/// instead of claiming Breusch-Pagan accepted.
#[test]
fn tests_a_hac_model_skipped_are_explained_by_the_covariance_choice() {
    let (dir, config) = crate::common::demo_copy();
    crate::common::assert_ok(
        &crate::common::specsearch()
            .args(["run", "-q"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let ws = dir.path().join("search.specsearch");
    let rank: i64 = rusqlite::Connection::open(ws.join("journal.sqlite"))
        .unwrap()
        .query_row(
            "SELECT min(rank) FROM passed_models WHERE cov_type = 'HAC'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    std::fs::remove_file(ws.join("features.duckdb")).unwrap();
    std::fs::remove_file(ws.join("features.f64")).unwrap();
    let shown = crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("show")
            .arg(&config)
            .arg(rank.to_string())
            .output()
            .unwrap(),
    );
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line: {shown}"))
            .to_string()
    };
    for name in ["Breusch-Pagan (Koenker)", "White"] {
        let l = line(name);
        assert!(l.contains("HAC was chosen before"), "{l}");
        assert!(!l.contains("Breusch-Pagan accepted"), "{l}");
    }
    assert!(line("Covariance").trim_end().ends_with("HAC"), "{shown}");
}
