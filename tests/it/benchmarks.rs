//! Benchmarks and the incumbent (docs/semantics.md §13) against independent golden values
//! (tests/golden/gen_benchmarks.py: statsmodels fits of the mean, the AR(1) and the forced
//! dummies with §5's covariance rule, the AR(1)'s recursive projection, the no-change errors,
//! and an incumbent with given coefficients computed by plain arithmetic) on a growth and a
//! level target of the demo's data; then a run journaling them, `top` comparing every model
//! with the best benchmark and printing the incumbent, `show incumbent`, and the `forecasts`
//! view telling models, benchmarks and the incumbent apart.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use specsearch::benchmarks;
use specsearch::session::Session;

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/benchmarks.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
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

/// The demo's data with a growth (`GR`) or level (`LV`) target, the quarter dummies forced,
/// its three scenarios and an incumbent with the golden script's coefficients.
pub(crate) fn config(dir: &Path, transform: &str, coefficients: &Value) -> PathBuf {
    let demo = crate::common::demo_dir().join("data");
    let severe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenario_severe.csv");
    let coefs: Vec<String> = coefficients
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k:?} = {v}"))
        .collect();
    let text = format!(
        "[data]\ntarget_table = {{ path = {:?} }}\nmev_tables = [{{ path = {:?} }}]\n\
         metadata = {:?}\n\n[target]\ncolumn = \"realcons\"\ntransform = \"{transform}\"\n\n\
         [sample]\nin_start = \"1961-03-31\"\nin_end = \"2004-12-31\"\n\
         full_end = \"2009-09-30\"\n\n[search]\nforced = [\"dummies(Q)\"]\n\
         pool = [\"realgdp\", \"realdpi\", \"unemp\", \"tbilrate\"]\nmax_vars = 3\nmax_lag = 2\n\n\
         [filters]\ngroup_f_alpha = 0.99\n\n\
         [incumbent]\nfeatures = [\"tbilrate_LV\", \"realgdp_QQGR\"]\n\
         coefficients = {{ {} }}\n\n\
         [scenarios]\np0 = \"2009-09-30\"\nhorizon = 12\norder = [\"Base\", \"Adverse\", \
         \"Severe\"]\nset = [{{ name = \"Base\", tables = [{{ path = {:?} }}] }}, \
         {{ name = \"Adverse\", tables = [{{ path = {:?} }}] }}, \
         {{ name = \"Severe\", tables = [{{ path = {:?} }}] }}]\n",
        demo.join("consumption.csv"),
        demo.join("macro.csv"),
        demo.join("metadata.csv"),
        coefs.join(", "),
        demo.join("scenario_base.csv"),
        demo.join("scenario_adverse.csv"),
        severe,
    );
    let path = dir.join("search.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn check_errors(o: &specsearch::assess::Outcome, g: &Value, what: &str) {
    let tol = 1e-10;
    let (i, s) = (&g["in"], &g["oos"]);
    close(
        o.is_mae.unwrap(),
        i["mae"].as_f64().unwrap(),
        tol,
        &format!("{what} is_mae"),
    );
    close(
        o.is_rmse.unwrap(),
        i["rmse"].as_f64().unwrap(),
        tol,
        &format!("{what} is_rmse"),
    );
    close(
        o.is_max_abs_error.unwrap(),
        i["max_abs"].as_f64().unwrap(),
        tol,
        &format!("{what} is_max_abs"),
    );
    assert_eq!(o.nobs, i["n"].as_u64().unwrap() as usize, "{what} nobs");
    assert_eq!(
        o.nobs_oos,
        s["n"].as_u64().unwrap() as usize,
        "{what} nobs_oos"
    );
    close(
        o.oos_mae.unwrap(),
        s["mae"].as_f64().unwrap(),
        tol,
        &format!("{what} oos_mae"),
    );
    close(
        o.oos_rmse.unwrap(),
        s["rmse"].as_f64().unwrap(),
        tol,
        &format!("{what} oos_rmse"),
    );
    close(
        o.oos_max_abs_error.unwrap(),
        s["max_abs"].as_f64().unwrap(),
        tol,
        &format!("{what} oos_max_abs"),
    );
}

fn check_case(key: &str, transform: &str) {
    let g = &golden()[key];
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), transform, &g["incumbent"]["coefficients"]);
    let session = Session::load(&config, Some(&dir.path().join("ws"))).unwrap();
    let ids = benchmarks::check_incumbent(&session).unwrap();
    let mut notes = Vec::new();
    let models = benchmarks::fit_models(&session, ids.as_deref(), &mut notes).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    let names: Vec<&str> = models.iter().map(|m| m.fit.name.as_str()).collect();
    assert_eq!(
        names,
        ["no_change", "mean", "ar1", "forced_only", "incumbent"]
    );
    let fit = |name: &str| &models.iter().find(|m| m.fit.name == name).unwrap().fit;
    let (_, forecasts) = benchmarks::forecast(&session, &models, &mut notes)
        .unwrap()
        .unwrap();
    let paths = |name: &str| &forecasts.iter().find(|(n, _)| n == name).unwrap().1.paths;
    let tol = 1e-10;

    // No change.
    let nc = &g["no_change"];
    let o = &fit("no_change").outcome;
    check_errors(o, nc, &format!("{key} no_change"));
    close(
        o.r2.unwrap(),
        nc["r2"].as_f64().unwrap(),
        tol,
        "no_change r2",
    );
    close(
        o.dw.unwrap(),
        nc["dw"].as_f64().unwrap(),
        tol,
        "no_change dw",
    );
    for p in paths("no_change") {
        close_all(
            &p.levels,
            &crate::common::floats(&nc["levels"]),
            tol,
            "no_change levels",
        );
    }

    // Historical mean.
    let m = &g["mean"];
    let o = &fit("mean").outcome;
    close_all(
        &o.params,
        &crate::common::floats(&m["params"]),
        tol,
        "mean params",
    );
    close_all(&o.bse, &crate::common::floats(&m["bse"]), 1e-8, "mean bse");
    assert_eq!(
        o.cov_type.unwrap().as_str(),
        m["cov_type"].as_str().unwrap()
    );
    check_errors(o, m, &format!("{key} mean"));
    close_all(
        &paths("mean")[0].levels,
        &crate::common::floats(&m["levels"]),
        tol,
        "mean levels",
    );

    // AR(1) and its recursive projection.
    let a = &g["ar1"];
    let o = &fit("ar1").outcome;
    close_all(
        &o.params,
        &crate::common::floats(&a["params"]),
        1e-8,
        "ar1 params",
    );
    close_all(&o.bse, &crate::common::floats(&a["bse"]), 1e-8, "ar1 bse");
    close_all(
        &o.pvalues,
        &crate::common::floats(&a["pvalues"]),
        1e-7,
        "ar1 pvalues",
    );
    assert_eq!(
        o.cov_type.unwrap().as_str(),
        a["cov_type"].as_str().unwrap()
    );
    close(o.r2.unwrap(), a["r2"].as_f64().unwrap(), 1e-9, "ar1 r2");
    close(
        o.adj_r2.unwrap(),
        a["adj_r2"].as_f64().unwrap(),
        1e-9,
        "ar1 adj_r2",
    );
    close(o.dw.unwrap(), a["dw"].as_f64().unwrap(), 1e-9, "ar1 dw");
    check_errors(o, a, &format!("{key} ar1"));
    for (k, p) in paths("ar1").iter().enumerate() {
        let what = format!("{key} ar1 scenario {k}");
        close_all(
            &p.transform,
            &crate::common::floats(&a["transform"]),
            1e-8,
            &what,
        );
        close_all(&p.levels, &crate::common::floats(&a["levels"]), 1e-8, &what);
        let s = &a["stats"];
        close(p.stats.p0, s["p0"].as_f64().unwrap(), tol, &what);
        close(p.stats.p9.unwrap(), s["p9"].as_f64().unwrap(), 1e-8, &what);
        close(
            p.stats.p12.unwrap(),
            s["p12"].as_f64().unwrap(),
            1e-8,
            &what,
        );
        close(
            p.stats.pct_change_9q.unwrap(),
            s["pct_change_9q"].as_f64().unwrap(),
            1e-7,
            &what,
        );
    }

    // Forced items only.
    let f = &g["forced_only"];
    let o = &fit("forced_only").outcome;
    close_all(
        &o.params,
        &crate::common::floats(&f["params"]),
        1e-8,
        "forced params",
    );
    assert_eq!(
        o.cov_type.unwrap().as_str(),
        f["cov_type"].as_str().unwrap()
    );
    close(o.r2.unwrap(), f["r2"].as_f64().unwrap(), 1e-8, "forced r2");
    check_errors(o, f, &format!("{key} forced_only"));
    close_all(
        &paths("forced_only")[2].levels,
        &crate::common::floats(&f["levels"]),
        1e-8,
        "forced levels",
    );

    // The incumbent with given coefficients: fitted values and scenario levels by hand.
    let inc = &g["incumbent"];
    let b = fit("incumbent");
    assert!(b.coefficients_given && b.passes.is_none());
    close_all(
        &b.fitted,
        &crate::common::floats(&inc["fitted"]),
        1e-12,
        "incumbent fitted",
    );
    check_errors(&b.outcome, inc, &format!("{key} incumbent"));
    for (k, name) in ["Base", "Adverse", "Severe"].iter().enumerate() {
        close_all(
            &paths("incumbent")[k].levels,
            &crate::common::floats(&inc["scenarios"][name]),
            1e-12,
            &format!("{key} incumbent {name}"),
        );
    }
}

#[test]
fn benchmarks_of_a_growth_target_match_statsmodels() {
    check_case("growth", "GR");
}

#[test]
fn benchmarks_of_a_level_target_match_statsmodels() {
    check_case("level", "LV");
}
