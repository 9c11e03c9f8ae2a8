//! Scenario forecasts: the forecast chain against independent golden values
//! (tests/golden/gen_scenarios.py: pandas transforms reaching into history, statsmodels fit,
//! level conversion, quarterly aggregation, statistics) at 1e-10 on a monthly and three
//! quarterly cases (GR, DF with a lead, LV); the demo run journaling them (and `show`, `top
//! --scenario`, `export --what forecasts`, `forecast`); resume equivalence; xlsx equal to CSV;
//! `require_order`; and bad scenario inputs refused before anything is written.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rusqlite::Connection;
use serde_json::Value;
use specsearch::journal::ModelCoefficients;
use specsearch::runtime::context::{EvalContext, Transport};
use specsearch::scenario::{self, columns::ColumnCatalogue};
use specsearch::session::Session;

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenarios.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

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

/// A config for a golden case on the demo's data: the demo's search with another target and
/// the scenarios named (Severe from the CSV twin of the xlsx).
fn demo_case_config(dir: &Path, target: &str, horizon: u32, scenarios: &[&str]) -> PathBuf {
    let demo = crate::common::demo_dir().join("data");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let file = |name: &str| match name {
        "Base" => demo.join("scenario_base.csv"),
        "Adverse" => demo.join("scenario_adverse.csv"),
        _ => fixtures.join("scenario_severe.csv"),
    };
    let sets: Vec<String> = scenarios
        .iter()
        .map(|s| format!("{{ name = {s:?}, tables = [{{ path = {:?} }}] }}", file(s)))
        .collect();
    let text = format!(
        "[data]\ntarget_table = {{ path = {:?} }}\nmev_tables = [{{ path = {:?} }}]\n\
         metadata = {:?}\n\n[target]\n{target}\n\n[sample]\nin_start = \"1961-03-31\"\n\
         in_end = \"2004-12-31\"\nfull_end = \"2009-09-30\"\n\n[search]\n\
         pool = [\"realgdp\", \"realdpi\", \"unemp\", \"tbilrate\"]\nmax_vars = 3\nmax_lag = 2\n\n\
         [scenarios]\np0 = \"2009-09-30\"\nhorizon = {horizon}\norder = [{}]\nset = [{}]\n",
        demo.join("consumption.csv"),
        demo.join("macro.csv"),
        demo.join("metadata.csv"),
        scenarios
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        sets.join(", ")
    );
    let path = dir.join("search.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Forecasts one golden case with statsmodels' coefficients and compares every number; checks
/// specsearch's own fit of the same spec against those coefficients.
fn check_case(name: &str, config: &Path) {
    let g = &golden()[name];
    let session = Session::load(config, Some(&config.with_extension("ws"))).unwrap();
    let inputs = scenario::check_inputs(&session).unwrap().unwrap();
    let features: Vec<String> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let params = crate::common::floats(&g["params"]);

    // specsearch's fit of the same spec equals statsmodels'.
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
    let (outcome, names) = ctx.assess_report(&spec);
    close_all(&outcome.params, &params, 1e-8, &format!("{name}: params"));
    assert_eq!(&names[1..], features.as_slice());

    let model = ModelCoefficients {
        spec_index: 0,
        rank: Some(1),
        param_names: names,
        params,
    };
    let catalogue = ColumnCatalogue::new(b, &session.plan.composites);
    let f = scenario::forecast_models(&inputs, &catalogue, &session, &[model]).unwrap();
    let f = &f[0];
    let tol = 1e-10;
    for (k, sc) in inputs.scenarios.iter().enumerate() {
        let want = &g["scenarios"][&sc.name];
        let what = format!("{name} {}", sc.name);
        let dates: Vec<String> = inputs.dates.iter().map(|d| d.to_string()).collect();
        let want_dates: Vec<&str> = want["dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(dates, want_dates, "{what}: dates");
        let p = &f.paths[k];
        close_all(
            &p.transform,
            &crate::common::floats(&want["transform"]),
            tol,
            &format!("{what} transform"),
        );
        close_all(
            &p.levels,
            &crate::common::floats(&want["levels"]),
            tol,
            &format!("{what} levels"),
        );
        close_all(
            &p.quarterly,
            &crate::common::floats(&want["quarterly"]),
            tol,
            &format!("{what} quarterly"),
        );
        let s = &want["stats"];
        let opt = |key: &str| s.get(key).and_then(Value::as_f64);
        close(p.stats.p0, opt("p0").unwrap(), tol, &format!("{what} p0"));
        for (got, key) in [
            (p.stats.p4, "p4"),
            (p.stats.p9, "p9"),
            (p.stats.p12, "p12"),
            (p.stats.cagr_4q, "cagr_4q"),
            (p.stats.cagr_9q, "cagr_9q"),
            (p.stats.cagr_12q, "cagr_12q"),
            (p.stats.change_9q, "change_9q"),
            (p.stats.pct_change_9q, "pct_change_9q"),
        ] {
            match (got, opt(key)) {
                (Some(g), Some(w)) => close(g, w, tol, &format!("{what} {key}")),
                (None, None) => {}
                (g, w) => panic!("{what} {key}: got {g:?}, want {w:?}"),
            }
        }
        let base_diff = want["pct_diff_base"].as_f64().unwrap();
        if base_diff == 0.0 {
            assert_eq!(p.pct_diff_base, 0.0, "{what}: the base against itself");
        } else {
            close(
                p.pct_diff_base,
                base_diff,
                tol,
                &format!("{what} pct_diff_base"),
            );
        }
    }
    assert_eq!(
        f.in_order,
        g.get("in_order").and_then(Value::as_bool),
        "{name}: in order"
    );
}

#[test]
fn quarterly_growth_target_matches_the_golden_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_case_config(
        dir.path(),
        "column = \"realcons\"\ntransform = \"GR\"",
        12,
        &["Base", "Adverse", "Severe"],
    );
    check_case("demo_gr", &config);
}

#[test]
fn quarterly_difference_target_with_a_lead_matches_the_golden_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_case_config(
        dir.path(),
        "column = \"realcons\"\ntransform = \"DF\"\nlead = 1",
        12,
        &["Base", "Severe"],
    );
    check_case("quarterly_df_lead", &config);
}

#[test]
fn quarterly_level_target_with_a_short_horizon_matches_the_golden_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_case_config(dir.path(), "column = \"realcons\"", 9, &["Base", "Adverse"]);
    // No ordering check in this case.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("order = [\"Base\", \"Adverse\"]\n", "");
    std::fs::write(&config, text).unwrap();
    check_case("quarterly_lv", &config);
}

#[test]
fn monthly_growth_target_matches_the_golden_forecasts() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/data/scenarios");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    check_case("monthly_gr12", &dir.path().join("monthly.toml"));
}

#[test]
fn a_quarterly_scenario_table_in_a_monthly_search_is_interpolated_like_the_data() {
    // Constant paths: the spline of a constant quarterly series (aggregation `average`) is
    // that constant every month, so a quarterly table and a monthly one must forecast alike.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/data/scenarios");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let (x1, r1) = (140.0, 2.5);
    let mut monthly = String::from("date,x1,r1\n");
    let mut quarterly = String::from("date,x1,r1\n");
    for year in 2020..2023 {
        for m in 1..=12 {
            let end = specsearch::data::snap_to_period_end(
                chrono::NaiveDate::from_ymd_opt(year, m, 1).unwrap(),
                specsearch::data::Frequency::Monthly,
            );
            monthly.push_str(&format!("{end},{x1},{r1}\n"));
            if m % 3 == 0 {
                quarterly.push_str(&format!("{end},{x1},{r1}\n"));
            }
        }
    }
    std::fs::write(dir.path().join("monthly_stress.csv"), &monthly).unwrap();
    std::fs::write(dir.path().join("quarterly_stress.csv"), &quarterly).unwrap();
    let config = dir.path().join("monthly.toml");
    let forecast = |config: &Path| {
        let session = Session::load(config, Some(&dir.path().join("ws"))).unwrap();
        let inputs = scenario::check_inputs(&session).unwrap().unwrap();
        let b = &session.built.bundle;
        let spec: Vec<u32> = ["x1_MMGR12", "r1_MMDF3_L1"]
            .iter()
            .map(|f| b.catalogue.id(f).unwrap())
            .collect();
        let ctx = EvalContext::from_matrix(&session.setup(Transport::Duckdb), &b.matrix()).unwrap();
        let (outcome, names) = ctx.assess_report(&spec);
        let model = ModelCoefficients {
            spec_index: 0,
            rank: Some(1),
            param_names: names,
            params: outcome.params,
        };
        let catalogue = ColumnCatalogue::new(b, &session.plan.composites);
        let f = scenario::forecast_models(&inputs, &catalogue, &session, &[model]).unwrap();
        (inputs.dates.len(), f[0].paths[1].levels.clone())
    };
    let (n, from_monthly) = forecast(&config);
    assert_eq!(n, 36);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("monthly_stress.csv", "quarterly_stress.csv");
    std::fs::write(&config, text).unwrap();
    let (_, from_quarterly) = forecast(&config);
    close_all(
        &from_quarterly,
        &from_monthly,
        1e-12,
        "quarterly table, monthly search",
    );
}

#[test]
fn data_tables_read_from_a_workbook_freeze_the_same_data_as_the_csv_files() {
    let (dir, config) = crate::common::demo_copy();
    let csv = Session::load(&config, Some(&dir.path().join("ws"))).unwrap();
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo_tables.xlsx");
    edit_config(
        &config,
        "target_table = { path = \"data/consumption.csv\", date_column = \"date\" }",
        &format!("target_table = {{ path = {book:?}, sheet = \"consumption\" }}"),
    );
    edit_config(
        &config,
        "mev_tables = [{ path = \"data/macro.csv\" }]",
        &format!("mev_tables = [{{ path = {book:?}, sheet = \"macro\" }}]"),
    );
    let xlsx = Session::load(&config, Some(&dir.path().join("ws"))).unwrap();
    // The bundle hash covers every frozen value and date (not the file names).
    assert_eq!(xlsx.bundle_hash(), csv.bundle_hash());
    assert_eq!(xlsx.built.bundle.base_series, csv.built.bundle.base_series);
}

// --- The demo run --------------------------------------------------------------------------

struct Demo {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, config) = crate::common::demo_copy();
        let out = crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("forecast   "), "{stdout}");
        assert!(
            stdout.contains("scenarios  Base, Adverse, Severe"),
            "{stdout}"
        );
        Demo { _dir: dir, config }
    })
}

fn cli(args: &[&str]) -> String {
    let d = demo();
    let out = crate::common::specsearch()
        .args(&args[..1])
        .arg(&d.config)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every scenario row of the latest run as text (forecast times left out), in key order.
fn scenario_rows(journal: &Path) -> Vec<String> {
    let conn = Connection::open(journal).unwrap();
    let run: i64 = conn
        .query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))
        .unwrap();
    let mut out = Vec::new();
    for (table, cols, order) in [
        ("scenarios", "name, position, is_base, order_position, sources, p0, horizon_end, periods, quarters, aggregation, direction, inputs_sha256, notes", "position"),
        ("scenario_history", "date, level", "date"),
        ("scenario_forecasts", "spec_index, scenario, frequency, step, label, date, transform_value, level", "spec_index, scenario, frequency, step"),
        ("scenario_stats", "*", "spec_index, scenario"),
        ("scenario_order", "*", "spec_index"),
    ] {
        let sql = format!(
            "SELECT {cols} FROM {table} WHERE run_id = {run} ORDER BY {order}"
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                use rusqlite::types::ValueRef;
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                        ValueRef::Real(v) => format!("{:e}", v),
                        other => format!("{other:?}"),
                    })
                    .collect();
                Ok(format!("{table}: {}", cells.join("|")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

fn journal() -> PathBuf {
    crate::common::journal_of(&demo().config)
}

#[test]
fn the_demo_run_journals_forecasts_of_every_ranked_model() {
    let conn = Connection::open(journal()).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let ranked = one("SELECT count(*) FROM ranking");
    assert!(ranked > 100, "{ranked}");
    assert_eq!(one("SELECT count(*) FROM scenarios"), 3);
    assert_eq!(one("SELECT count(*) FROM scenario_stats"), 3 * ranked);
    assert_eq!(one("SELECT count(*) FROM scenario_order"), ranked);
    // Quarterly search, 12 quarters: P0..P12 per model and scenario.
    assert_eq!(
        one("SELECT count(*) FROM scenario_forecasts"),
        3 * 13 * ranked
    );
    assert_eq!(one("SELECT count(*) FROM scenario_summary"), 3 * ranked);
    // Each file's sha256 is recorded.
    let sources: String = conn
        .query_row(
            "SELECT sources FROM scenarios WHERE name = 'Severe'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let sources: Value = serde_json::from_str(&sources).unwrap();
    let xlsx = demo()
        .config
        .parent()
        .unwrap()
        .join("data/scenario_severe.xlsx");
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(std::fs::read(xlsx).unwrap()));
    assert_eq!(sources[0]["sha256"], sha.as_str());
    assert_eq!(sources[0]["sheet"], "severe");

    // The statistics are those of the journaled quarterly path (P9 / P0 − 1, CAGR, base diff).
    let mut stmt = conn
        .prepare(
            "SELECT s.spec_index, s.scenario, s.p0_level, s.p9_level, s.pct_change_9q, \
             s.cagr_12q, s.pct_diff_base_9q, \
             (SELECT level FROM scenario_forecasts f WHERE f.run_id = s.run_id AND \
              f.spec_index = s.spec_index AND f.scenario = s.scenario AND f.step = 9), \
             (SELECT level FROM scenario_forecasts f WHERE f.run_id = s.run_id AND \
              f.spec_index = s.spec_index AND f.scenario = s.scenario AND f.step = 12), \
             (SELECT b.p9_level FROM scenario_stats b WHERE b.run_id = s.run_id AND \
              b.spec_index = s.spec_index AND b.scenario = 'Base') \
             FROM scenario_stats s",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, f64>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, f64>(4)?,
                r.get::<_, f64>(5)?,
                r.get::<_, f64>(6)?,
                r.get::<_, f64>(7)?,
                r.get::<_, f64>(8)?,
                r.get::<_, f64>(9)?,
            ))
        })
        .unwrap();
    let actual_p0 = 9256.0; // realcons in 2009Q3
    for row in rows {
        let (p0, p9, pct9, cagr12, diff, path9, path12, base9) = row.unwrap();
        assert_eq!(p0, actual_p0);
        assert_eq!(p9, path9);
        close(pct9, p9 / p0 - 1.0, 1e-14, "pct_change_9q");
        close(
            cagr12,
            (path12 / p0).powf(4.0 / 12.0) - 1.0,
            1e-14,
            "cagr_12q",
        );
        if diff != 0.0 {
            close(diff, p9 / base9 - 1.0, 1e-14, "pct_diff_base_9q");
        }
    }
}

#[test]
fn show_top_and_export_read_the_forecasts() {
    let shown = cli(&["show", "1"]);
    assert!(shown.contains("Scenario forecasts"), "{shown}");
    for s in ["Base", "Adverse", "Severe", "cagr_9q", "pct_change_9q"] {
        assert!(shown.contains(s), "{s}: {shown}");
    }
    let j: Value = serde_json::from_str(&cli(&["show", "1", "--json"])).unwrap();
    assert_eq!(j["scenarios"].as_array().unwrap().len(), 3);

    let top: Value =
        serde_json::from_str(&cli(&["top", "--scenario", "Severe", "--json"])).unwrap();
    let conn = Connection::open(journal()).unwrap();
    for row in top.as_array().unwrap() {
        let spec = row["spec_index"].as_i64().unwrap();
        let want: f64 = conn
            .query_row(
                "SELECT pct_change_9q FROM scenario_stats WHERE spec_index = ?1 AND \
                 scenario = 'Severe'",
                [spec],
                |r| r.get(0),
            )
            .unwrap();
        // JSON numbers are written to 16 significant digits.
        close(
            row["pct_change_9q_Severe"].as_f64().unwrap(),
            want,
            1e-15,
            "top --scenario",
        );
    }
    let human = cli(&["top", "--scenario", "Severe"]);
    assert!(human.contains("pct_change_9q_Severe"), "{human}");
    let bad = crate::common::specsearch()
        .args(["top"])
        .arg(&demo().config)
        .args(["--scenario", "Mild"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("\"Mild\"") && err.contains("Base, Adverse, Severe"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("forecasts.csv");
    cli(&["export", "--what", "forecasts", "-o", csv.to_str().unwrap()]);
    let mut rd = csv::Reader::from_path(&csv).unwrap();
    let headers: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    for h in [
        "rank",
        "spec_index",
        "scenario",
        "label",
        "date",
        "transform_value",
        "level",
    ] {
        assert!(headers.contains(&h.to_string()), "{h}: {headers:?}");
    }
    let rows = rd.records().count() as i64;
    let want: i64 = conn
        .query_row("SELECT count(*) FROM scenario_forecasts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, want);
}

#[test]
fn forecast_again_writes_identical_rows_and_xlsx_equals_csv() {
    // A copy of the finished demo (journal, bundle and all), re-forecast.
    let (dir, config) = crate::common::demo_copy();
    let ws = dir.path().join("search.specsearch");
    let src = demo().config.parent().unwrap().join("search.specsearch");
    std::fs::create_dir_all(&ws).unwrap();
    for f in ["journal.sqlite", "features.duckdb", "features.f64"] {
        std::fs::copy(src.join(f), ws.join(f)).unwrap();
    }
    let before = scenario_rows(&ws.join("journal.sqlite"));
    let forecast = |config: &Path| {
        let out = crate::common::specsearch()
            .args(["forecast"])
            .arg(config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        String::from_utf8(out.stdout).unwrap()
    };
    let out = forecast(&config);
    assert!(
        out.contains("forecast   ") && out.contains("scenarios  "),
        "{out}"
    );
    assert_eq!(scenario_rows(&ws.join("journal.sqlite")), before);

    // The Severe scenario from the CSV twin of the xlsx: the same forecasts, other sources.
    let twin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenario_severe.csv");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "{ path = \"data/scenario_severe.xlsx\", sheet = \"severe\" }",
        &format!("{{ path = {twin:?} }}"),
    );
    std::fs::write(&config, text).unwrap();
    forecast(&config);
    let after = scenario_rows(&ws.join("journal.sqlite"));
    let strip = |rows: &[String]| -> Vec<String> {
        rows.iter()
            .filter(|r| !r.starts_with("scenarios:"))
            .cloned()
            .collect()
    };
    assert_eq!(strip(&after), strip(&before));
    assert_ne!(after, before, "the sources (and the inputs' hash) changed");
}

#[test]
fn running_a_complete_run_again_after_new_scenario_files_forecasts_again() {
    let (dir, config) = crate::common::demo_copy();
    let ws = dir.path().join("search.specsearch");
    let src = demo().config.parent().unwrap().join("search.specsearch");
    std::fs::create_dir_all(&ws).unwrap();
    for f in ["journal.sqlite", "features.duckdb", "features.f64"] {
        std::fs::copy(src.join(f), ws.join(f)).unwrap();
    }
    let run = || {
        let out = crate::common::specsearch()
            .args(["run", "-j", "1"])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        String::from_utf8(out.stdout).unwrap()
    };
    let same = run();
    assert!(same.contains("is complete: nothing to do"), "{same}");
    assert!(!same.contains("forecast again"), "{same}");
    let before = scenario_rows(&ws.join("journal.sqlite"));
    // A milder Base: unemployment half a point lower on every scenario date.
    edit_file(&dir.path().join("data/scenario_base.csv"), |t| {
        t.lines()
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                if cells[0] <= "2009-09-30" || cells[0] == "date" {
                    return format!("{l}\n");
                }
                let mut owned: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
                owned[8] = format!("{}", owned[8].parse::<f64>().unwrap() - 0.5);
                owned.join(",") + "\n"
            })
            .collect()
    });
    let again = run();
    assert!(again.contains("forecast again"), "{again}");
    let after = scenario_rows(&ws.join("journal.sqlite"));
    assert_ne!(after, before);
    // Severe's forecasts did not change; the sources of Base did.
    let severe = |rows: &[String]| -> Vec<String> {
        rows.iter()
            .filter(|r| r.starts_with("scenario_forecasts") && r.contains("\"Severe\""))
            .cloned()
            .collect()
    };
    assert_eq!(severe(&after), severe(&before));
    assert!(!run().contains("forecast again"), "nothing changed since");
}

#[test]
fn a_run_killed_before_its_finish_resumes_to_the_same_forecasts() {
    let (dir, config) = crate::common::demo_copy();
    let killed = crate::common::specsearch()
        .env("SPECSEARCH_FAULT_KILL_BEFORE_REPLAY", "1")
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!killed.status.success());
    let journal = crate::common::journal_of(&config);
    assert!(scenario_rows(&journal)
        .iter()
        .all(|r| !r.starts_with("scenario_stats")));
    let resumed = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(scenario_rows(&journal), scenario_rows(&self::journal()));
    drop(dir);
}

#[test]
fn require_order_leaves_models_out_of_order_out_of_the_ranking_only() {
    let (_dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "direction = \"down\"",
        "direction = \"down\"\nrequire_order = true",
    );
    std::fs::write(&config, text).unwrap();
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let conn = Connection::open(crate::common::journal_of(&config)).unwrap();
    let reference = Connection::open(journal()).unwrap();
    let one = |c: &Connection, sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    let out_of_order = one(
        &reference,
        "SELECT count(*) FROM scenario_order WHERE in_order = 0",
    );
    assert!(out_of_order > 0, "the demo has models out of order");
    // The same models pass; the ranking has the others, ranked 1.. in the same order.
    assert_eq!(
        one(&conn, "SELECT count(*) FROM passed"),
        one(&reference, "SELECT count(*) FROM passed")
    );
    assert_eq!(
        one(&conn, "SELECT count(*) FROM ranking"),
        one(&reference, "SELECT count(*) FROM ranking") - out_of_order
    );
    assert_eq!(
        one(&conn, "SELECT max(rank) FROM ranking"),
        one(&conn, "SELECT count(*) FROM ranking")
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM ranking r JOIN scenario_order o USING (run_id, spec_index) \
             WHERE o.in_order = 0"
        ),
        0
    );
    let kept: Vec<i64> = conn
        .prepare("SELECT spec_index FROM ranking ORDER BY rank")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let want: Vec<i64> = reference
        .prepare(
            "SELECT r.spec_index FROM ranking r JOIN scenario_order o USING (run_id, spec_index) \
             WHERE o.in_order = 1 ORDER BY r.rank",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kept, want);
}

#[test]
fn scenario_values_before_p0_that_differ_from_history_are_ignored_with_a_note() {
    let (dir, config) = crate::common::demo_copy();
    // Adverse's copy of 2009Q2 real GDP is off by 1%; its forecasts must not change.
    edit_file(&dir.path().join("data/scenario_adverse.csv"), |t| {
        t.replacen("2009-06-30,12901.504,", "2009-06-30,13030.519,", 1)
    });
    let out = crate::common::specsearch()
        .args(["run", "-j", "2"])
        .arg(&config)
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("note: scenario Adverse: realgdp: differs from history by up to 1.000%")
            && stdout.contains("are ignored"),
        "{stdout}"
    );
    let rows = scenario_rows(&crate::common::journal_of(&config));
    let reference = scenario_rows(&journal());
    let paths = |rows: &[String]| -> Vec<String> {
        rows.iter()
            .filter(|r| !r.starts_with("scenarios:"))
            .cloned()
            .collect()
    };
    assert_eq!(paths(&rows), paths(&reference));
}

// --- Bad input -----------------------------------------------------------------------------

/// `run` on the demo with `edit` applied fails naming every piece of `expect`, and writes no
/// journal.
fn refused(edit: impl FnOnce(&Path, &Path), expect: &[&str]) {
    let (dir, config) = crate::common::demo_copy();
    edit(dir.path(), &config);
    let out = crate::common::specsearch()
        .args(["run", "-q", "-j", "1"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for e in expect {
        assert!(err.contains(e), "{e:?} not in: {err}");
    }
    assert!(
        !crate::common::journal_of(&config).exists(),
        "nothing written: {err}"
    );
}

fn edit_config(config: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(config, text.replace(from, to)).unwrap();
}

fn edit_file(path: &Path, edit: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, edit(text)).unwrap();
}

#[test]
fn bad_scenario_inputs_are_refused_before_anything_is_written() {
    // A driver the search uses is missing from a scenario.
    refused(
        |d, _| {
            edit_file(&d.join("data/scenario_adverse.csv"), |t| {
                t.lines()
                    .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
                    .collect()
            })
        },
        &["scenario Adverse", "realint", "scenario_adverse.csv"],
    );
    // A gap after p0: the scenario starts a quarter late (2010Q1, not 2009Q4).
    refused(
        |d, _| {
            edit_file(&d.join("data/scenario_base.csv"), |t| {
                t.lines()
                    .filter(|l| l.starts_with("date") || &l[..4] >= "2010")
                    .map(|l| format!("{l}\n"))
                    .collect()
            })
        },
        &[
            "scenario Base",
            "2009-12-31",
            "gap after the jumping-off date",
        ],
    );
    // p0 outside the data.
    refused(
        |_, c| edit_config(c, "p0 = \"2009-09-30\"", "p0 = \"2012-12-31\""),
        &["scenarios.p0", "2012-12-31", "outside the data"],
    );
    // A sheet that does not exist.
    refused(
        |_, c| edit_config(c, "sheet = \"severe\"", "sheet = \"stress\""),
        &["scenario_severe.xlsx", "`stress`", "`severe`"],
    );
    // Duplicate scenario names.
    refused(
        |_, c| edit_config(c, "{ name = \"Adverse\"", "{ name = \"base\""),
        &["scenarios.set[1].name", "\"base\"", "\"Base\""],
    );
    // A non-numeric cell.
    refused(
        |d, _| {
            edit_file(&d.join("data/scenario_adverse.csv"), |t| {
                t.lines()
                    .map(|l| match l.strip_prefix("2009-12-31,") {
                        Some(rest) => {
                            format!("2009-12-31,n/a?,{}\n", rest.split_once(',').unwrap().1)
                        }
                        None => format!("{l}\n"),
                    })
                    .collect()
            })
        },
        &[
            "scenario Adverse",
            "scenario_adverse.csv",
            "realgdp",
            "n/a?",
        ],
    );
}
