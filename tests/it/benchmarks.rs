//! Benchmarks and the incumbent (docs/semantics.md §13) against independent golden values
//! (tests/golden/gen_benchmarks.py: statsmodels fits of the mean, the AR(1) and the forced
//! dummies with §5's covariance rule, the AR(1)'s recursive projection, the no-change errors,
//! an incumbent with given coefficients computed by plain arithmetic, and each one's §12
//! backtest summary from the default jump-offs) on a growth and a
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

    // §12's backtest summary of each, from the default jump-offs.
    let backtests = benchmarks::backtest_summaries(&session, &models, &mut notes);
    assert!(notes.is_empty(), "{notes:?}");
    let names: Vec<&str> = backtests.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["no_change", "mean", "ar1", "forced_only", "incumbent"]
    );
    for (name, records) in &backtests {
        // The fitted benchmarks' coefficients agree with statsmodels to about 1e-9.
        let tol = if name == "ar1" || name == "forced_only" {
            1e-7
        } else {
            1e-10
        };
        let samples: Vec<&str> = records.iter().map(|r| r.sample.as_str()).collect();
        assert_eq!(
            samples,
            ["all", "in_sample", "out_of_sample"],
            "{key} {name}"
        );
        for r in records {
            let what = format!("{key} {name} backtest {}", r.sample.as_str());
            let w = &g["backtests"][name.as_str()][r.sample.as_str()];
            assert_eq!(Some(r.jump_offs as u64), w["jump_offs"].as_u64(), "{what}");
            assert_eq!(r.quarters, 9, "{what}");
            close_all(
                &r.mape_by_step,
                &crate::common::floats(&w["mape_by_step"]),
                tol,
                &what,
            );
            assert_eq!(
                Some(r.worst_jump_off.as_str()),
                w["worst_jump_off"].as_str(),
                "{what}"
            );
            close(r.worst_mape, w["worst_mape"].as_f64().unwrap(), tol, &what);
            // A share of jump-offs (numpy's mean of booleans may differ in the last bit).
            close(
                r.sign_hit_rate,
                w["sign_hit_rate"].as_f64().unwrap(),
                1e-15,
                &what,
            );
        }
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

// --- A run: journaled, shown beside the ranking -----------------------------------------------

/// `src` with a column `realgdp_copy` repeating `realgdp` (the same series under two names).
fn with_copy(src: &Path, dst: &Path) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut out = String::new();
    let mut gdp = 0;
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        if i == 0 {
            gdp = cells.iter().position(|c| *c == "realgdp").unwrap();
            out.push_str(&format!("{line},realgdp_copy\n"));
        } else {
            out.push_str(&format!("{line},{}\n", cells[gdp]));
        }
    }
    std::fs::write(dst, out).unwrap();
}

struct Run {
    _dir: tempfile::TempDir,
    config: PathBuf,
    journal: PathBuf,
}

/// The growth case's search with a copy of realgdp in the pool and the incumbent fitted (no
/// coefficients given), run once.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let demo = crate::common::demo_dir().join("data");
        let d = dir.path();
        std::fs::copy(demo.join("consumption.csv"), d.join("consumption.csv")).unwrap();
        with_copy(&demo.join("macro.csv"), &d.join("macro.csv"));
        with_copy(&demo.join("scenario_base.csv"), &d.join("base.csv"));
        with_copy(&demo.join("scenario_adverse.csv"), &d.join("adverse.csv"));
        let severe =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenario_severe.csv");
        with_copy(&severe, &d.join("severe.csv"));
        let mut meta = std::fs::read_to_string(demo.join("metadata.csv")).unwrap();
        meta.push_str("realgdp_copy,level,output,average,+1\n");
        std::fs::write(d.join("metadata.csv"), meta).unwrap();
        let config = d.join("search.toml");
        std::fs::write(
            &config,
            "[data]\ntarget_table = { path = \"consumption.csv\" }\n\
             mev_tables = [{ path = \"macro.csv\" }]\nmetadata = \"metadata.csv\"\n\n\
             [target]\ncolumn = \"realcons\"\ntransform = \"GR\"\n\n\
             [sample]\nin_start = \"1961-03-31\"\nin_end = \"2004-12-31\"\n\
             full_end = \"2009-09-30\"\n\n\
             [search]\nforced = [\"dummies(Q)\"]\n\
             pool = [\"realgdp\", \"realgdp_copy\", \"realdpi\", \"tbilrate\"]\n\
             max_vars = 3\nmax_lag = 1\n\n[filters]\ngroup_f_alpha = 0.99\n\n\
             [incumbent]\nfeatures = [\"realdpi_QQGR\", \"tbilrate_LV\"]\n\n\
             [scenarios]\np0 = \"2009-09-30\"\nhorizon = 12\n\
             set = [{ name = \"Base\", tables = [{ path = \"base.csv\" }] }, \
             { name = \"Adverse\", tables = [{ path = \"adverse.csv\" }] }, \
             { name = \"Severe\", tables = [{ path = \"severe.csv\" }] }]\n",
        )
        .unwrap();
        let out = crate::common::specsearch()
            .args(["run", "-q"])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        let journal = crate::common::journal_of(&config);
        Run {
            _dir: dir,
            config,
            journal,
        }
    })
}

fn cli(args: &[&str]) -> String {
    let r = run();
    let out = crate::common::specsearch()
        .args(&args[..1])
        .arg(&r.config)
        .args(&args[1..])
        .output()
        .unwrap();
    crate::common::assert_ok(&out)
}

#[test]
fn a_run_journals_its_benchmarks_incumbent_and_their_forecasts() {
    let conn = rusqlite::Connection::open(&run().journal).unwrap();
    let names: Vec<(String, String)> = conn
        .prepare("SELECT name, kind FROM benchmark_fits ORDER BY position")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("no_change", "benchmark"),
            ("mean", "benchmark"),
            ("ar1", "benchmark"),
            ("forced_only", "benchmark"),
            ("incumbent", "incumbent")
        ]
    );
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    // The models' rows of `forecasts` are `scenario_forecasts`; 13 quarters (P0..P12) of 3
    // scenarios for each benchmark and for the incumbent.
    assert_eq!(
        one("SELECT count(*) FROM forecasts WHERE kind = 'model'"),
        one("SELECT count(*) FROM scenario_forecasts")
    );
    assert_eq!(
        one("SELECT count(*) FROM forecasts WHERE kind = 'benchmark'"),
        4 * 3 * 13
    );
    // §12's backtest summary of each benchmark and the incumbent: all, in-sample and
    // out-of-sample jump-offs (their values: `check_case`).
    assert_eq!(one("SELECT count(*) FROM benchmark_backtests"), 5 * 3);
    assert_eq!(
        one("SELECT count(*) FROM forecasts WHERE kind = 'incumbent'"),
        3 * 13
    );
    // The incumbent fitted by §5 and judged by the filters.
    let passes: Option<i64> = conn
        .query_row(
            "SELECT passes FROM benchmarks WHERE name = 'incumbent'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(passes.is_some());
    // Every statistic is in its detail; its level path equals the forecast view's.
    let p9: f64 = conn
        .query_row(
            "SELECT p9_level FROM benchmark_stats WHERE benchmark = 'incumbent' AND \
             scenario = 'Severe'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let level9: f64 = conn
        .query_row(
            "SELECT level FROM forecasts WHERE kind = 'incumbent' AND scenario = 'Severe' \
             AND step = 9",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(p9, level9);
}

#[test]
fn top_compares_each_model_with_the_best_benchmark_and_flags_the_same_fit() {
    let conn = rusqlite::Connection::open(&run().journal).unwrap();
    let best: f64 = conn
        .query_row(
            "SELECT min(oos_rmse) FROM benchmarks WHERE kind = 'benchmark'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let top: Value = serde_json::from_str(&cli(&["top", "-n", "0", "--json"])).unwrap();
    let rows = top.as_array().unwrap();
    assert!(rows.len() > 10, "{}", rows.len());
    let mut flagged = 0;
    let rank_of = |features: &str| {
        rows.iter()
            .find(|r| r["features"].as_str() == Some(features))
            .map(|r| r["rank"].as_i64().unwrap())
    };
    for r in rows {
        let ratio = r["oos_rmse_vs_best_benchmark"].as_f64().unwrap();
        close(
            ratio,
            r["oos_rmse"].as_f64().unwrap() / best,
            1e-15,
            "ratio",
        );
        let key = r["spec_key"].as_str().unwrap();
        assert_eq!(r["key"].as_str().unwrap(), &key[..10]);
        // A model with realgdp has the same fit as its twin with the copy, and only those.
        let features = r["features"].as_str().unwrap();
        let twin = if features.contains("realgdp_copy") {
            Some(features.replace("realgdp_copy", "realgdp"))
        } else if features.contains("realgdp") {
            Some(features.replace("realgdp", "realgdp_copy"))
        } else {
            None
        };
        match (twin.as_deref().and_then(rank_of), r["same_fit"].as_str()) {
            (Some(rank), Some(flag)) => {
                assert_eq!(flag, format!("same fit as rank {rank}"), "{features}");
                flagged += 1;
            }
            (None, None) => {}
            (want, got) => panic!("{features}: twin rank {want:?}, flag {got:?}"),
        }
    }
    assert!(flagged >= 2, "{flagged}");

    let human = cli(&["top", "-n", "5"]);
    for s in [
        "oos_vs_bench",
        "key",
        "incumbent (realdpi_QQGR, tbilrate_LV); score ",
        "benchmarks (out-of-sample RMSE, best first): ",
    ] {
        assert!(human.contains(s), "{s}: {human}");
    }
}

#[test]
fn show_takes_the_incumbent_a_benchmark_and_a_spec_key() {
    let shown = cli(&["show", "incumbent"]);
    assert!(
        shown.starts_with("Incumbent model (incumbent) of run "),
        "{shown}"
    );
    for s in [
        "realdpi_QQGR",
        "tbilrate_LV",
        "Scenario forecasts",
        "Severe",
        "Backtests: 9-quarter level projections",
        "Backtest jump-offs",
    ] {
        assert!(shown.contains(s), "{s}: {shown}");
    }
    // A validated model's backtest error at the horizon beside the best benchmark's (the
    // incumbent left out), both as journaled.
    let conn = rusqlite::Connection::open(&run().journal).unwrap();
    let (spec, own): (i64, f64) = conn
        .query_row(
            "SELECT spec_index, json_extract(mape_by_step, '$[#-1]') FROM backtest_summaries \
             WHERE sample = 'all' AND spec_index = (SELECT spec_index FROM passed_models \
             WHERE rank = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let (best, theirs): (String, f64) = conn
        .query_row(
            "SELECT b.benchmark, json_extract(b.mape_by_step, '$[#-1]') AS e \
             FROM benchmark_backtests b JOIN benchmarks f \
               ON f.run_id = b.run_id AND f.name = b.benchmark \
             WHERE b.sample = 'all' AND f.kind = 'benchmark' ORDER BY e LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let first = cli(&["show", "1"]);
    let line = format!(
        "At 9Q the mean |% error| is {:.2}%, {:.2} times the best benchmark's ({best}: {:.2}%)",
        100.0 * own,
        own / theirs,
        100.0 * theirs
    );
    assert!(first.contains(&line), "spec {spec}: {line}\n{first}");
    let ar1 = cli(&["show", "ar1"]);
    assert!(ar1.contains("AR(1) of the target transform (ar1)"), "{ar1}");
    let top: Value = serde_json::from_str(&cli(&["top", "-n", "3", "--json"])).unwrap();
    let key = &top[2]["spec_key"].as_str().unwrap()[..12];
    let by_key = cli(&["show", key]);
    let by_rank = cli(&["show", "3"]);
    assert_eq!(by_key, by_rank);
    assert!(by_key.contains(&format!("key {}", &key[..10])), "{by_key}");
    let bad = crate::common::specsearch()
        .arg("show")
        .arg(&run().config)
        .arg("ffffffffffff")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("no passed model whose spec key starts with ffffffffffff"));
}

#[test]
fn an_incumbent_feature_outside_the_search_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let g = &golden()["growth"];
    let config = config(dir.path(), "GR", &g["incumbent"]["coefficients"]);
    let given = std::fs::read_to_string(&config).unwrap();
    // Fitted (no coefficients), with a feature the search does not have.
    let text: String = given
        .lines()
        .filter(|l| !l.starts_with("coefficients"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace(
            "\"tbilrate_LV\", \"realgdp_QQGR\"]",
            "\"tbilrate_LV\", \"realgdp_QQGR9\"]",
        );
    std::fs::write(&config, text).unwrap();
    let out = crate::common::specsearch()
        .args(["run", "-q"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`incumbent.features[1]`: \"realgdp_QQGR9\" is not a column"),
        "{err}"
    );
    assert!(!config
        .with_extension("specsearch")
        .join("journal.sqlite")
        .exists());
    // A coefficient for a name that is not a feature.
    let text = given.replace("\"tbilrate_LV\" = ", "\"tbilrate_QQDF\" = ");
    std::fs::write(&config, text).unwrap();
    let out = crate::common::specsearch()
        .args(["plan"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`incumbent.coefficients.tbilrate_QQDF`"),
        "{err}"
    );
}
