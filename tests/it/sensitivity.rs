//! Sensitivity, attribution and uncertainty bands (docs/semantics.md §10) against independent
//! golden values (tests/golden/gen_sensitivity.py: pandas features reaching into history,
//! statsmodels fits with the model's covariance, shocked paths, levels, quarters, statistics,
//! frozen-feature effects, `get_prediction().summary_frame()` intervals) at 1e-10 on a monthly
//! growth target with a lead (HAC), a quarterly difference target (HC1) and a quarterly level
//! target (nonrobust); the simulated band of the level target within Monte-Carlo error of the
//! exact normal quantiles, and reproducible; σ = 0 noted, not shocked.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use specsearch::config::ValidationConfig;
use specsearch::journal::{ModelSensitivity, PassedDetail, RunId, RunRow, RunStatus, INTERCEPT};
use specsearch::projection::bands::FitUncertainty;
use specsearch::projection::shocks::ShockKind;
use specsearch::projection::{ScenarioPath, ScenarioStatistics};
use specsearch::runtime::context::{EvalContext, Transport};
use specsearch::scenario::{self, columns::ColumnCatalogue};
use specsearch::session::Session;
use specsearch::stats::CovType;
use specsearch::validation::{sensitivity, Frame, ModelContext, SelectedModel};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::common::floats;

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sensitivity.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

const TOL: f64 = 1e-10;

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs() + 1e-300,
        "{what}: got {got:e}, want {want:e} (rel {:e})",
        ((got - want) / want).abs()
    );
}

fn close_all(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, tol, &format!("{what}[{i}]"));
    }
}

/// Where a scenario's table is, by its name.
type ScenarioFile = Box<dyn Fn(&str) -> PathBuf>;

/// The search of a golden case: its target, sample and scenarios, the data it names.
fn case_config(dir: &Path, g: &Value) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = &g["target"];
    let target = format!(
        "column = {}\ntransform = {}\nperiod = {}\nlead = {}",
        t["column"], t["transform"], t["period"], t["lead"]
    );
    let order: Vec<String> = g["scenarios_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let (data, search, file): (String, &str, ScenarioFile) = if g["frequency"] == "M" {
        let d = root.join("tests/golden/data/scenarios");
        (
            format!(
                "target_table = {{ path = {:?} }}\nmev_tables = [{{ path = {:?} }}]\n\
                     metadata = {:?}",
                d.join("monthly_target.csv"),
                d.join("monthly_mevs.csv"),
                d.join("monthly_metadata.csv")
            ),
            "pool = [\"x1\", \"r1\"]\nmax_vars = 2\nmax_lag = 1\nperiods = [1, 3, 12]",
            Box::new(move |s: &str| d.join(format!("monthly_{}.csv", s.to_lowercase()))),
        )
    } else {
        let d = root.join("examples/demo/data");
        let fixtures = root.join("tests/fixtures");
        (
            format!(
                "target_table = {{ path = {:?} }}\nmev_tables = [{{ path = {:?} }}]\n\
                     metadata = {:?}",
                d.join("consumption.csv"),
                d.join("macro.csv"),
                d.join("metadata.csv")
            ),
            "pool = [\"realgdp\", \"realdpi\", \"unemp\", \"tbilrate\"]\nmax_vars = 3\n\
                 max_lag = 2",
            Box::new(move |s: &str| match s {
                "Severe" => fixtures.join("scenario_severe.csv"),
                other => d.join(format!("scenario_{}.csv", other.to_lowercase())),
            }),
        )
    };
    let sample = g["sample"].as_array().unwrap();
    let full_end = if g["frequency"] == "M" {
        "2019-12-31"
    } else {
        "2009-09-30"
    };
    let sets: Vec<String> = order
        .iter()
        .map(|s| format!("{{ name = {s:?}, tables = [{{ path = {:?} }}] }}", file(s)))
        .collect();
    let text = format!(
        "[data]\n{data}\n\n[target]\n{target}\n\n[sample]\nin_start = {}\nin_end = {}\n\
         full_end = \"{full_end}\"\n\n[search]\n{search}\n\n[scenarios]\np0 = {}\nhorizon = {}\n\
         set = [{}]\n",
        sample[0],
        sample[1],
        g["p0"],
        g["horizon"],
        sets.join(", ")
    );
    let path = dir.join("search.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_row() -> RunRow {
    RunRow {
        run_id: RunId(1),
        name: "golden#1".into(),
        config_path: "search.toml".into(),
        search_hash: "0".repeat(64),
        bundle_hash: "0".repeat(64),
        target: "y".into(),
        spec_count: 1,
        target_stationary: true,
        has_out_of_sample: true,
        created_at: String::new(),
        finished_at: None,
        status: RunStatus::Complete,
        status_detail: None,
        shard: None,
    }
}

/// A golden case's session and the model's detail with statsmodels' coefficients and SEs.
struct Case {
    _dir: tempfile::TempDir,
    session: Session,
    run: RunRow,
    detail: PassedDetail,
}

fn load_case(name: &str) -> (Case, &'static Value) {
    let g = &golden()[name];
    let dir = tempfile::tempdir().unwrap();
    let config = case_config(dir.path(), g);
    let session = Session::load(&config, Some(&dir.path().join("ws"))).unwrap();
    let features: Vec<String> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let b = &session.built.bundle;
    let spec: Vec<u32> = features
        .iter()
        .map(|f| {
            b.catalogue
                .id(f)
                .unwrap_or_else(|| panic!("{f} not frozen"))
        })
        .collect();
    let ctx = EvalContext::from_matrix(&session.setup(Transport::Duckdb), &b.matrix()).unwrap();
    let (mut outcome, names) = ctx.assess_report(&spec);
    assert_eq!(&names[1..], features.as_slice());
    // specsearch's own fit is statsmodels'; the chain is then run on statsmodels' numbers.
    close_all(
        &outcome.params,
        &floats(&g["params"]),
        1e-8,
        &format!("{name} params"),
    );
    outcome.params = floats(&g["params"]);
    outcome.bse = floats(&g["bse"]);
    outcome.cov_type = Some(match g["cov_type"].as_str().unwrap() {
        "HAC" => CovType::HAC,
        "HC1" => CovType::HC1,
        _ => CovType::NonRobust,
    });
    let detail = PassedDetail {
        outcome,
        param_names: names,
    };
    (
        Case {
            _dir: dir,
            session,
            run: run_row(),
            detail,
        },
        g,
    )
}

impl Case {
    fn frame<'s>(&'s self, settings: &'s ValidationConfig) -> Frame<'s> {
        let s = &self.session;
        Frame {
            session: s,
            run: &self.run,
            settings,
            catalogue: ColumnCatalogue::new(&s.built.bundle, &s.plan.composites),
            scenarios: scenario::check_inputs(s).unwrap(),
            scenarios_missing: None,
            forecast_specs: HashSet::from([0]),
        }
    }

    fn context(&self, frame: &Frame<'_>) -> ModelContext {
        let model = SelectedModel {
            spec_index: 0,
            rank: Some(1),
        };
        ModelContext::from_detail(frame, model, self.detail.clone()).unwrap()
    }
}

fn check_path(got: &ScenarioPath, want: &Value, what: &str) {
    close_all(
        &got.transform,
        &floats(&want["transform"]),
        TOL,
        &format!("{what} transform"),
    );
    close_all(
        &got.levels,
        &floats(&want["levels"]),
        TOL,
        &format!("{what} levels"),
    );
    close_all(
        &got.quarterly,
        &floats(&want["quarterly"]),
        TOL,
        &format!("{what} quarterly"),
    );
    check_stats(&got.stats, &want["stats"], what);
    let base = want["pct_diff_base"].as_f64().unwrap();
    if base == 0.0 {
        assert_eq!(got.pct_diff_base, 0.0, "{what}: the base against itself");
    } else {
        close(
            got.pct_diff_base,
            base,
            TOL,
            &format!("{what} pct_diff_base"),
        );
    }
}

fn check_stats(s: &ScenarioStatistics, want: &Value, what: &str) {
    let opt = |key: &str| want.get(key).and_then(Value::as_f64);
    close(s.p0, opt("p0").unwrap(), TOL, &format!("{what} p0"));
    close(s.last, opt("last").unwrap(), TOL, &format!("{what} last"));
    for (got, key) in [
        (s.p4, "p4"),
        (s.p9, "p9"),
        (s.p12, "p12"),
        (s.cagr_4q, "cagr_4q"),
        (s.cagr_9q, "cagr_9q"),
        (s.cagr_12q, "cagr_12q"),
        (s.change_9q, "change_9q"),
        (s.pct_change_9q, "pct_change_9q"),
    ] {
        match (got, opt(key)) {
            (Some(g), Some(w)) => close(g, w, TOL, &format!("{what} {key}")),
            (None, None) => {}
            (g, w) => panic!("{what} {key}: got {g:?}, want {w:?}"),
        }
    }
}

/// Every number of one golden case.
fn check_case(name: &str) {
    let (case, g) = load_case(name);
    let settings = ValidationConfig::default();
    let frame = case.frame(&settings);
    let ctx = case.context(&frame);
    let features: Vec<&str> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    // The fit's residual variance and degrees of freedom are statsmodels'.
    close(ctx.fit.scale, g["scale"].as_f64().unwrap(), TOL, "scale");
    assert_eq!(ctx.fit.df_resid as f64, g["df_resid"].as_f64().unwrap());
    assert_eq!(ctx.fit.nobs as u64, g["nobs"].as_u64().unwrap());

    let (m, notes): (ModelSensitivity, Vec<String>) = sensitivity::analyse(&frame, &ctx).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(m.cov_type, g["cov_type"].as_str().unwrap());
    let sigma = floats(&g["sigma"]);
    let bse = floats(&g["bse"]);
    for (i, f) in m.features.iter().enumerate() {
        assert_eq!(f.feature, features[i]);
        close(
            f.sigma.unwrap(),
            sigma[i],
            TOL,
            &format!("{name} σ of {}", f.feature),
        );
        assert_eq!(f.se, Some(bse[i + 1]));
        assert!(f.coefficient_shocked && f.driver_shocked);
    }
    let names: Vec<&str> = frame.scenario_names();
    let tol_paths = m.paths.len();
    // The unshocked paths, then every shocked one.
    for (s, scenario) in names.iter().enumerate() {
        let p = m
            .paths
            .iter()
            .find(|p| p.scenario == s && p.kind == ShockKind::None)
            .unwrap();
        check_path(
            &p.path,
            &g["scenarios"][scenario]["path"],
            &format!("{name} {scenario}"),
        );
    }
    let shocked = g["shocked"].as_array().unwrap();
    assert_eq!(tol_paths, names.len() + shocked.len(), "{name}: path count");
    for want in shocked {
        let feature = want["feature"].as_str().unwrap();
        let term = features.iter().position(|f| *f == feature).unwrap() + 1;
        let kind = ShockKind::parse(want["shock"].as_str().unwrap()).unwrap();
        let k = want["k"].as_f64().unwrap();
        let scenario = want["scenario"].as_str().unwrap();
        let s = names.iter().position(|n| *n == scenario).unwrap();
        let what = format!("{name} {scenario} {feature} {} {k}", kind.as_str());
        let got = m
            .paths
            .iter()
            .find(|p| p.scenario == s && p.term == term && p.kind == kind && p.k == k)
            .unwrap_or_else(|| panic!("{what}: no such path"));
        check_path(&got.path, &want["path"], &what);
    }

    // Attribution: contributions, their sum (the transform), and the frozen effects.
    for a in &m.attribution {
        let scenario = names[a.scenario];
        let want = g["scenarios"][scenario]["attribution"].as_array().unwrap();
        let transform = floats(&g["scenarios"][scenario]["path"]["transform"]);
        assert_eq!(a.terms.len(), want.len());
        for (t, w) in a.terms.iter().zip(want) {
            let what = format!("{name} {scenario} attribution {}", t.feature);
            assert_eq!(t.feature, w["feature"].as_str().unwrap());
            close_all(&t.contribution, &floats(&w["contribution"]), TOL, &what);
            match w.get("effect_9q").and_then(Value::as_f64) {
                // A difference of two levels, each to 1e-10 of the level.
                Some(e) => {
                    let level = g["scenarios"][scenario]["path"]["stats"]["outcome_9q"]
                        .as_f64()
                        .unwrap();
                    let got = t.effect_9q.unwrap();
                    assert!(
                        (got - e).abs() <= TOL * level.abs(),
                        "{what}: effect {got:e} vs {e:e}"
                    );
                    close_all(&t.values, &floats(&w["values"]), TOL, &what);
                }
                None => {
                    assert_eq!(t.feature, INTERCEPT);
                    assert_eq!(t.effect_9q, None);
                }
            }
        }
        for (j, want) in transform.iter().enumerate() {
            let sum: f64 = a.terms.iter().map(|t| t.contribution[j]).sum();
            close(
                sum,
                *want,
                1e-12,
                &format!("{name} {scenario} Σ contributions [{j}]"),
            );
        }
    }

    // The prediction intervals of the transform (5% and 95%).
    for b in &m.bands {
        let scenario = names[b.scenario];
        let w = &g["scenarios"][scenario];
        close_all(
            &b.transform[0],
            &floats(&w["interval_05"]),
            TOL,
            &format!("{name} {scenario} 5%"),
        );
        close_all(
            &b.transform[1],
            &floats(&w["interval_95"]),
            TOL,
            &format!("{name} {scenario} 95%"),
        );
    }
    assert_eq!(m.bands.len(), names.len());
}

#[test]
fn monthly_growth_target_with_a_lead_matches_the_golden_sensitivity() {
    check_case("monthly_gr_lead");
}

#[test]
fn quarterly_difference_target_matches_the_golden_sensitivity() {
    check_case("quarterly_df");
}

#[test]
fn quarterly_level_target_matches_the_golden_sensitivity() {
    check_case("quarterly_lv");
}

/// The simulated band of a level target: level = x·β + e exactly, so each period's draws are
/// normal with variance x′V̂x + s²; the simulated quantiles must be within Monte-Carlo error
/// (4 standard errors of a sample quantile) of the exact normal quantiles. The same settings
/// draw the same band; another seed another one.
#[test]
fn the_band_of_a_level_target_is_within_monte_carlo_error_and_reproducible() {
    let (case, _) = load_case("quarterly_lv");
    let mut settings = ValidationConfig::default();
    settings.bands.draws = 20_000;
    settings.bands.quantiles = vec![0.05, 0.5, 0.95];
    let frame = case.frame(&settings);
    let ctx = case.context(&frame);
    let (m, _) = sensitivity::analyse(&frame, &ctx).unwrap();
    let scenarios = ctx.scenarios.as_ref().unwrap();
    let fit = FitUncertainty {
        params: ctx.params(),
        cov: &ctx.fit.cov,
        scale: ctx.fit.scale,
        df_resid: ctx.fit.df_resid as f64,
    };
    let n = settings.bands.draws as f64;
    let normal = Normal::standard();
    let mut checked = 0;
    for b in &m.bands {
        let design = &scenarios.designs[b.scenario];
        let yhat = &scenarios.forecast.paths[b.scenario].transform;
        for (i, &q) in settings.bands.quantiles.iter().enumerate() {
            let z = normal.inverse_cdf(q);
            let se_q = (q * (1.0 - q) / n).sqrt() / normal.pdf(z);
            for (j, y) in yhat.iter().enumerate() {
                let sd = fit.prediction_variance(&design.x, j).sqrt();
                let want = y + z * sd;
                let got = b.levels[i][j];
                assert!(
                    (got - want).abs() <= 4.0 * se_q * sd,
                    "scenario {} q {q} period {j}: simulated {got}, exact {want} (sd {sd})",
                    b.scenario
                );
                checked += 1;
            }
            // A quarterly target's quarters are its levels after the actual P0.
            assert_eq!(&b.quarterly[i][1..], b.levels[i].as_slice());
        }
    }
    assert_eq!(checked, 2 * 3 * 9);

    let (again, _) = sensitivity::analyse(&frame, &ctx).unwrap();
    assert_eq!(again.bands, m.bands, "the same seed draws the same band");
    let mut other = settings.clone();
    other.bands.seed += 1;
    let frame2 = case.frame(&other);
    let (reseeded, _) = sensitivity::analyse(&frame2, &ctx).unwrap();
    assert_ne!(reseeded.bands[0].levels, m.bands[0].levels);
    assert_eq!(reseeded.bands[0].transform, m.bands[0].transform);
}

#[test]
fn a_feature_without_variation_is_noted_and_not_shocked() {
    let (case, _) = load_case("quarterly_lv");
    let settings = ValidationConfig::default();
    let frame = case.frame(&settings);
    let mut ctx = case.context(&frame);
    // The second feature constant over the fit's rows: σ = 0.
    let in_sample = ctx.data.in_sample.clone();
    for (v, inside) in ctx.data.columns[1].1.iter_mut().zip(&in_sample) {
        if *inside {
            *v = 0.25;
        }
    }
    let (m, notes) = sensitivity::analyse(&frame, &ctx).unwrap();
    assert!(
        notes.len() == 1 && notes[0].contains("unemp_QQDF2_L1") && notes[0].contains("σ = 0"),
        "{notes:?}"
    );
    let f = &m.features[1];
    assert!(f.coefficient_shocked && !f.driver_shocked && f.sigma == Some(0.0));
    assert!(m
        .paths
        .iter()
        .all(|p| !(p.term == 2 && p.kind == ShockKind::Driver)));
    assert!(m
        .paths
        .iter()
        .any(|p| p.term == 2 && p.kind == ShockKind::Coefficient));
}
