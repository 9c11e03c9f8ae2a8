//! `specsearch compare` on runs a test builds in one workspace — the data extended by a quarter,
//! a driver added, a threshold changed — listing exactly the entries each change must give:
//! the inputs that changed, the models that entered or left (computed independently from the
//! journals by plain SQL), no drift of the models in both when nothing they depend on changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

struct Runs {
    _dir: tempfile::TempDir,
    config: PathBuf,
    journal: PathBuf,
}

fn write_config(path: &Path, pool: &str, full_end: &str, min_r2: f64) {
    std::fs::write(
        path,
        format!(
            "[data]\ntarget_table = {{ path = \"consumption.csv\" }}\n\
             mev_tables = [{{ path = \"macro.csv\" }}]\nmetadata = \"metadata.csv\"\n\n\
             [target]\ncolumn = \"realcons\"\ntransform = \"GR\"\n\n\
             [sample]\nin_start = \"1961-03-31\"\nin_end = \"2004-12-31\"\n\
             full_end = \"{full_end}\"\n\n\
             [search]\npool = [{pool}]\nmax_vars = 2\nmax_lag = 1\n\n\
             [filters]\nmin_r2 = {min_r2}\n\n\
             [scenarios]\np0 = \"{full_end}\"\nhorizon = 9\n\
             set = [{{ name = \"Base\", tables = [{{ path = \"base.csv\" }}] }}]\n"
        ),
    )
    .unwrap();
}

/// Runs 1..4 of one config: the data up to 2009Q2; then up to 2009Q3 (a quarter more); then
/// with tbilrate added to the pool; then with min_r2 raised from 0.3 to 0.45.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let demo = crate::common::demo_dir().join("data");
        for f in ["metadata.csv", "scenario_base.csv"] {
            std::fs::copy(demo.join(f), d.join(f.replace("scenario_", ""))).unwrap();
        }
        // The last quarter (2009-09-30) left out of both data tables.
        let cut = |name: &str| {
            let text = std::fs::read_to_string(demo.join(name)).unwrap();
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with("2009-09-30"))
                .collect();
            std::fs::write(d.join(name), kept.join("\n") + "\n").unwrap();
        };
        cut("consumption.csv");
        cut("macro.csv");
        let config = d.join("search.toml");
        let pool = "\"realgdp\", \"realdpi\", \"unemp\", \"infl\"";
        let run = || {
            let out = crate::common::specsearch()
                .args(["run", "-q"])
                .arg(&config)
                .output()
                .unwrap();
            crate::common::assert_ok(&out);
        };
        write_config(&config, pool, "2009-06-30", 0.3);
        run();
        for f in ["consumption.csv", "macro.csv"] {
            std::fs::copy(demo.join(f), d.join(f)).unwrap();
        }
        write_config(&config, pool, "2009-09-30", 0.3);
        run();
        let wider = format!("{pool}, \"tbilrate\"");
        write_config(&config, &wider, "2009-09-30", 0.3);
        run();
        write_config(&config, &wider, "2009-09-30", 0.45);
        run();
        let journal = crate::common::journal_of(&config);
        Runs {
            _dir: dir,
            config,
            journal,
        }
    })
}

fn compare(a: &str, b: &str) -> Value {
    let r = runs();
    let out = crate::common::specsearch()
        .arg("compare")
        .arg(format!("{}:{a}", r.config.display()))
        .arg(format!(":{b}"))
        .arg("--json")
        .output()
        .unwrap();
    serde_json::from_str(&crate::common::assert_ok(&out)).unwrap()
}

/// The ranked models of a run, each as its sorted feature names (plain SQL on the journal).
fn ranked(run: i64) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(&runs().journal).unwrap();
    let mut stmt = conn
        .prepare("SELECT features FROM passed_models WHERE run_id = ?1")
        .unwrap();
    stmt.query_map([run], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|f| {
            let mut v: Vec<String> = f.unwrap().split(", ").map(String::from).collect();
            v.sort();
            v.join(",")
        })
        .collect()
}

fn models_with(c: &Value, status: &str) -> BTreeSet<String> {
    c["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == status)
        .map(|m| {
            let mut v: Vec<String> = m["features"]
                .as_str()
                .unwrap()
                .split(", ")
                .map(String::from)
                .collect();
            v.sort();
            v.join(",")
        })
        .collect()
}

fn input<'a>(c: &'a Value, what: &str) -> &'a Value {
    c["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["what"] == what)
        .unwrap_or_else(|| panic!("no input row {what}: {c}"))
}

fn no_drift(c: &Value) {
    for row in c["coefficients"].as_array().unwrap() {
        assert_eq!(row["change"].as_f64(), Some(0.0), "{row}");
    }
}

#[test]
fn data_extended_by_a_quarter() {
    let c = compare("1", "2");
    assert_eq!(input(&c, "data file consumption.csv")["change"], "changed");
    assert_eq!(input(&c, "data file macro.csv")["change"], "changed");
    assert_eq!(input(&c, "data file metadata.csv")["change"], "same");
    assert_eq!(input(&c, "dates")["change"], "1 new: 2009-09-30");
    assert_eq!(input(&c, "sample full_end")["change"], "changed");
    assert_eq!(input(&c, "sample in_end")["change"], "same");
    let diff: Vec<&str> = c["config_diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        diff,
        [
            "- full_end = \"2009-06-30\"",
            "+ full_end = \"2009-09-30\"",
            "- p0 = \"2009-06-30\"",
            "+ p0 = \"2009-09-30\""
        ]
    );
    // The sample moved, so the spec keys did: matched by target and columns. The in-sample
    // window is the same, so the same models pass with the same coefficients.
    assert!(c["matched_by"]
        .as_str()
        .unwrap()
        .starts_with("target and columns"));
    assert_eq!(ranked(1), ranked(2));
    assert!(models_with(&c, "entered").is_empty() && models_with(&c, "left").is_empty());
    assert_eq!(models_with(&c, "both"), ranked(2));
    no_drift(&c);
    // A quarter more of actuals and another p0: the 9Q changes move.
    assert!(c["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["change"].as_f64().is_some_and(|v| v != 0.0)));
}

#[test]
fn a_driver_added() {
    let c = compare("2", "3");
    assert_eq!(c["matched_by"], "spec key");
    let (a, b) = (ranked(2), ranked(3));
    let entered: BTreeSet<String> = b.difference(&a).cloned().collect();
    assert!(!entered.is_empty());
    assert!(
        entered.iter().all(|m| m.contains("tbilrate")),
        "{entered:?}"
    );
    assert_eq!(models_with(&c, "entered"), entered);
    assert!(models_with(&c, "left").is_empty());
    assert_eq!(models_with(&c, "both"), a);
    no_drift(&c);
    for row in c["scenarios"].as_array().unwrap() {
        assert_eq!(row["change"].as_f64(), Some(0.0), "{row}");
    }
    assert_eq!(input(&c, "dates")["change"], "same");
    let diff = c["config_diff"].to_string();
    assert!(
        diff.contains("+ pool = [") && diff.contains("tbilrate"),
        "{diff}"
    );
}

#[test]
fn a_threshold_changed() {
    let c = compare("3", "4");
    let conn = rusqlite::Connection::open(&runs().journal).unwrap();
    let below: i64 = conn
        .query_row(
            "SELECT count(*) FROM passed_models WHERE run_id = 3 AND r2 < 0.45",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(below > 0);
    let (a, b) = (ranked(3), ranked(4));
    assert_eq!(
        models_with(&c, "left"),
        a.difference(&b).cloned().collect::<BTreeSet<_>>()
    );
    assert_eq!(models_with(&c, "left").len() as i64, below);
    assert!(models_with(&c, "entered").is_empty());
    no_drift(&c);
    assert_eq!(
        c["config_diff"],
        serde_json::json!(["- min_r2 = 0.3", "+ min_r2 = 0.45"])
    );
    // For people: the counts line and the left models; as CSV, one table with sections.
    let r = runs();
    let human = crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("compare")
            .arg(format!("{}:3", r.config.display()))
            .arg(r.config.with_extension("specsearch"))
            .output()
            .unwrap(),
    );
    assert!(
        human.contains(&format!("0 entered, {below} left")),
        "{human}"
    );
    let csv = crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("compare")
            .arg(format!("{}:3", r.config.display()))
            .arg(":4")
            .arg("--csv")
            .output()
            .unwrap(),
    );
    assert!(csv.starts_with("section,"), "{csv}");
}
