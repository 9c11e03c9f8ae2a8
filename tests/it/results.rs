//! The result commands (`status`, `top`, `show`, `failures`, `query`, `export`), the views of
//! sql/views.sql and the examples of sql/examples.sql, on journals produced by small synthetic
//! runs. Every expected value is recomputed here from the journal's tables, independently of
//! the views and code under test.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{small_search, specsearch};
use rusqlite::Connection;
use serde_json::Value;

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "command failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A journal with two runs of one config: run 1 with `max_vars = 2`, run 2 (the config as it
/// is now) with `max_vars = 3` and spec 77 crashing its worker twice (journaled as an error).
struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    workspace: PathBuf,
    journal: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = small_search(dir.path());
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(text.contains("max_vars = 3"));
        std::fs::write(&config, text.replace("max_vars = 3", "max_vars = 2")).unwrap();
        ok(specsearch()
            .arg("run")
            .arg(&config)
            .args(["--workers", "2"])
            .output()
            .unwrap());
        std::fs::write(&config, &text).unwrap();
        ok(specsearch()
            .arg("run")
            .arg(&config)
            .args(["--workers", "2", "--batch-size", "50"])
            .env("SPECSEARCH_FAULT_CRASH_SPEC", "77")
            .output()
            .unwrap());
        let workspace = dir.path().join("search.specsearch");
        let journal = workspace.join("journal.sqlite");
        assert!(journal.exists(), "{}", journal.display());
        Fixture {
            _dir: dir,
            config,
            workspace,
            journal,
        }
    })
}

fn cmd(f: &Fixture, name: &str, args: &[&str]) -> String {
    ok(specsearch()
        .arg(name)
        .arg(&f.config)
        .args(args)
        .output()
        .unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn db(path: &Path) -> Connection {
    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn int(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, p, |r| r.get(0)).unwrap()
}

/// (status, failed_test, feature ids) of every outcome of a run, from the raw tables.
fn outcomes(conn: &Connection, run: i64) -> Vec<(i64, Option<i64>, Vec<i64>)> {
    crate::raw::outcomes(conn, run)
        .into_iter()
        .map(|o| (o.status, o.failed_test, o.features))
        .collect()
}

fn feature_names(conn: &Connection, run: i64) -> HashMap<i64, String> {
    let mut stmt = conn
        .prepare("SELECT feature_id, name FROM run_features WHERE run_id = ?1")
        .unwrap();
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn run_names(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM runs ORDER BY run_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn view_names() -> Vec<String> {
    include_str!("../../sql/views.sql")
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE VIEW "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

fn examples() -> Vec<(String, String)> {
    let text = include_str!("../../sql/examples.sql");
    let mut out = Vec::new();
    for block in text.split("-- example: ").skip(1) {
        let (title, sql) = block.split_once('\n').unwrap();
        out.push((title.to_string(), sql.trim().to_string()));
    }
    out
}

#[test]
fn every_view_and_example_runs_on_a_real_journal() {
    let f = fixture();
    let conn = db(&f.journal);
    let views = view_names();
    assert!(views.len() >= 11, "{views:?}");
    for v in &views {
        let n = int(
            &conn,
            &format!("SELECT count(*) FROM (SELECT * FROM {v})"),
            [],
        );
        // Every view has rows on this journal (it has passes, failures, an error, workers).
        assert!(n > 0, "view {v} is empty");
    }
    // Counts of the views against the raw tables.
    for run in [1i64, 2] {
        let raw = outcomes(&conn, run);
        let mut per_test: BTreeMap<i64, i64> = BTreeMap::new();
        for (_, t, _) in &raw {
            if let Some(t) = t {
                *per_test.entry(*t).or_default() += 1;
            }
        }
        let mut stmt = conn
            .prepare("SELECT code, specs FROM failures_by_test WHERE run_id = ?1 ORDER BY code")
            .unwrap();
        let got: BTreeMap<i64, i64> = stmt
            .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, per_test, "failures_by_test of run {run}");
        let passed = raw.iter().filter(|o| o.0 == 0).count() as i64;
        let (ev, p): (i64, i64) = conn
            .query_row(
                "SELECT evaluated, passed FROM run_progress WHERE run_id = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((ev, p), (raw.len() as i64, passed));
        // failure_features: the top feature of each test, counted here.
        let names = feature_names(&conn, run);
        for (&test, &n_fail) in &per_test {
            let mut counts: HashMap<i64, i64> = HashMap::new();
            for (_, t, feats) in &raw {
                if *t == Some(test) {
                    for id in feats {
                        *counts.entry(*id).or_default() += 1;
                    }
                }
            }
            let best = counts.values().copied().max().unwrap();
            let mut best_names: Vec<&str> = counts
                .iter()
                .filter(|(_, &c)| c == best)
                .map(|(id, _)| names[id].as_str())
                .collect();
            best_names.sort();
            let (feature, failures, pct): (String, i64, f64) = conn
                .query_row(
                    "SELECT feature, failures, percent_of_test_failures FROM failure_features \
                     WHERE run_id = ?1 AND code = ?2 AND rank = 1",
                    [run, test],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert_eq!((feature.as_str(), failures), (best_names[0], best));
            assert!(
                (pct - (100.0 * best as f64 / n_fail as f64 * 100.0).round() / 100.0).abs() < 1e-9
            );
        }
    }
    // Dedup: one ranked model per distinct spec key.
    assert_eq!(
        int(
            &conn,
            "SELECT count(*) FROM passed_models WHERE run_id = 2",
            []
        ),
        int(
            &conn,
            "SELECT count(DISTINCT spec_key) FROM passed WHERE run_id = 2",
            []
        )
    );
    assert_eq!(
        int(
            &conn,
            "SELECT specs FROM errors_by_type WHERE run_id = 2 AND error_type = 'worker crashed'",
            []
        ),
        1
    );
    // Every example executes and the ones with a known answer give it.
    for (title, sql) in examples() {
        let mut stmt = conn
            .prepare(&sql)
            .unwrap_or_else(|e| panic!("{title}: {e}"));
        assert!(stmt.readonly(), "{title}");
        let rows = stmt
            .query_map([], |r| {
                (0..r.as_ref().column_count())
                    .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{title}: {e}"));
        if title.starts_with("pass rate by number of variables") {
            let total: i64 = rows
                .iter()
                .map(|r| {
                    r[1].trim_start_matches("Integer(")
                        .trim_end_matches(')')
                        .parse::<i64>()
                        .unwrap()
                })
                .sum();
            assert_eq!(total, outcomes(&conn, 2).len() as i64, "{title}");
        }
        if title.starts_with("compare two runs side by side") {
            assert!(!rows.is_empty(), "{title}");
        }
    }
    // The same with the distribution's sqlite3 shell (users' SQLite may be as old as 3.38).
    if let Ok(out) = Command::new("sqlite3").arg("--version").output() {
        if out.status.success() {
            for v in &views {
                let out = Command::new("sqlite3")
                    .arg("-bail")
                    .arg(&f.journal)
                    .arg(format!("SELECT count(*) FROM {v};"))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "sqlite3 {}: {v}: {}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let out = Command::new("sqlite3")
                .arg("-bail")
                .arg(&f.journal)
                .stdin(
                    std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/examples.sql"))
                        .unwrap(),
                )
                .output()
                .unwrap();
            crate::common::assert_ok(&out);
        }
    }
}

#[test]
fn status_lists_runs_with_their_counts() {
    let f = fixture();
    let conn = db(&f.journal);
    let v = json(&cmd(f, "status", &["--json"]));
    let runs = v.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        let id = r["run_id"].as_i64().unwrap();
        let raw = outcomes(&conn, id);
        let count = |s: i64| raw.iter().filter(|o| o.0 == s).count() as i64;
        assert_eq!(r["status"], "complete");
        assert_eq!(r["evaluated"].as_i64().unwrap(), raw.len() as i64);
        assert_eq!(r["spec_count"].as_i64().unwrap(), raw.len() as i64);
        assert_eq!(r["passed"].as_i64().unwrap(), count(0));
        assert_eq!(r["filtered"].as_i64().unwrap(), count(1));
        assert_eq!(r["errors"].as_i64().unwrap(), count(2));
    }
    assert_eq!(runs[1]["errors"], 1);
    let names = run_names(&conn);
    let text = cmd(f, "status", &[]);
    assert!(
        text.contains(&names[0]) && text.contains(&names[1]),
        "{text}"
    );
    assert!(text.contains(&format!("Run {} (id 2)", names[1])), "{text}");
    // --workspace without a config, --run by name, CSV.
    let csv = ok(specsearch()
        .args(["status", "--csv", "--workspace"])
        .arg(&f.workspace)
        .output()
        .unwrap());
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    assert!(rd.headers().unwrap().iter().any(|h| h == "eta_seconds"));
    assert_eq!(rd.records().count(), 2);
    let text = cmd(f, "status", &["--run", &names[0]]);
    assert!(text.contains(&format!("Run {} (id 1)", names[0])), "{text}");
}

/// The ranking of docs/semantics.md §7 computed here from `passed`: (spec_index, score).
fn rank_by_hand(conn: &Connection, run: i64, w: [f64; 3]) -> Vec<(i64, f64)> {
    let mut stmt = conn
        .prepare(
            "SELECT spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse, oos_max_abs, \
             oos_mae, oos_rmse FROM passed WHERE run_id = ?1 ORDER BY spec_index",
        )
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<(i64, [f64; 8])> = stmt
        .query_map([run], |r| {
            let key: String = r.get(1)?;
            let mut m = [0.0; 8];
            for (i, x) in m.iter_mut().enumerate() {
                *x = r.get::<_, Option<f64>>(i + 2)?.unwrap_or(f64::NAN);
            }
            Ok((r.get::<_, i64>(0)?, key, m))
        })
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, k, _)| seen.insert(k.clone()))
        .map(|(i, _, m)| (i, m))
        .collect();
    let has_oos = rows.iter().all(|(_, m)| !m[7].is_nan());
    let norm = |j: usize, v: f64, invert: bool| {
        let lo = rows.iter().map(|r| r.1[j]).fold(f64::INFINITY, f64::min);
        let hi = rows
            .iter()
            .map(|r| r.1[j])
            .fold(f64::NEG_INFINITY, f64::max);
        if hi > lo {
            let x = (v - lo) / (hi - lo);
            if invert {
                1.0 - x
            } else {
                x
            }
        } else {
            0.5
        }
    };
    let mut scored: Vec<(i64, f64)> = rows
        .iter()
        .map(|(i, m)| {
            let fit = (norm(0, m[0], false) + norm(1, m[1], false)) / 2.0;
            let is = (norm(2, m[2], true) + norm(3, m[3], true) + norm(4, m[4], true)) / 3.0;
            let oos = (norm(5, m[5], true) + norm(6, m[6], true) + norm(7, m[7], true)) / 3.0;
            let (num, den) = if has_oos {
                (w[0] * fit + w[1] * is + w[2] * oos, w[0] + w[1] + w[2])
            } else {
                (w[0] * fit + w[1] * is, w[0] + w[1])
            };
            (*i, num / den)
        })
        .collect();
    scored.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
    scored
}

#[test]
fn top_shows_the_stored_ranking_and_reranks_with_other_weights() {
    let f = fixture();
    let conn = db(&f.journal);
    let stored: Vec<i64> = conn
        .prepare("SELECT spec_index FROM ranking WHERE run_id = 2 ORDER BY rank")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(stored.len() >= 3, "the fixture passes too few models");
    let v = json(&cmd(f, "top", &["-n", "3", "--json"]));
    let got: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["spec_index"].as_i64().unwrap())
        .collect();
    assert_eq!(got, stored[..3]);
    // The stored ranking (config weights 1,1,1) is the hand ranking.
    let by_hand = rank_by_hand(&conn, 2, [1.0, 1.0, 1.0]);
    assert_eq!(
        by_hand.iter().map(|r| r.0).collect::<Vec<_>>(),
        stored,
        "stored ranking differs from the hand computation"
    );
    // Re-ranking with other weights, without re-running.
    let w = [2.0, 0.5, 1.0];
    let v = json(&cmd(
        f,
        "top",
        &["-n", "0", "--weights", "2,0.5,1", "--json"],
    ));
    let rows = v.as_array().unwrap();
    let by_hand = rank_by_hand(&conn, 2, w);
    assert_eq!(rows.len(), by_hand.len());
    for (i, (r, (spec, score))) in rows.iter().zip(&by_hand).enumerate() {
        assert_eq!(r["rank"].as_i64().unwrap(), i as i64 + 1);
        assert_eq!(r["spec_index"].as_i64().unwrap(), *spec, "rank {}", i + 1);
        assert!((r["score"].as_f64().unwrap() - score).abs() < 1e-12);
        let stored_rank = stored.iter().position(|s| s == spec).unwrap() as i64 + 1;
        assert_eq!(r["stored_rank"].as_i64().unwrap(), stored_rank);
    }
    assert_ne!(
        by_hand.iter().map(|r| r.0).collect::<Vec<_>>(),
        stored,
        "these weights should change the order"
    );
    // Human and CSV output; names of the features of the best model.
    let names = feature_names(&conn, 2);
    let feats: String = conn
        .query_row(
            "SELECT feature_ids FROM outcome_status WHERE run_id = 2 AND spec_index = ?1",
            [stored[0]],
            |r| r.get(0),
        )
        .unwrap();
    let ids: Vec<i64> = serde_json::from_str(&feats).unwrap();
    let expected = ids
        .iter()
        .map(|i| names[i].clone())
        .collect::<Vec<_>>()
        .join(", ");
    let text = cmd(f, "top", &["-n", "2"]);
    assert!(text.contains(&expected), "{text}");
    let csv = cmd(f, "top", &["-n", "2", "--csv"]);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let h = rd.headers().unwrap().clone();
    let fi = h.iter().position(|c| c == "features").unwrap();
    let first = rd.records().next().unwrap().unwrap();
    assert_eq!(&first[fi], expected);
    // Weights that leave nothing to rank by are refused.
    let out = specsearch()
        .arg("top")
        .arg(&f.config)
        .args(["--weights", "0,0,0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn show_reports_a_model_from_the_journal() {
    let f = fixture();
    let conn = db(&f.journal);
    let (spec, detail): (i64, String) = conn
        .query_row(
            "SELECT r.spec_index, p.detail FROM ranking r JOIN passed p USING (run_id, spec_index) \
             WHERE r.run_id = 2 AND r.rank = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let detail = json(&detail);
    let v = json(&cmd(f, "show", &["2", "--json"]));
    assert_eq!(v["spec_index"].as_i64().unwrap(), spec);
    assert_eq!(v["rank"], 2);
    assert_eq!(v["status"], "passed");
    let coefs = v["coefficients"].as_array().unwrap();
    let params = detail["params"].as_array().unwrap();
    assert_eq!(coefs.len(), params.len());
    for (c, (p, pv)) in coefs
        .iter()
        .zip(params.iter().zip(detail["pvalues"].as_array().unwrap()))
    {
        assert_eq!(c["coef"], *p);
        assert_eq!(c["p_value"], *pv);
    }
    assert_eq!(coefs[0]["term"], "const");
    // Feature definitions agree with the names, from the bundle.
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), params.len() - 1);
    // Coefficients list frozen columns in spec order, then composite columns.
    let in_param_order = feats
        .iter()
        .filter(|f| f["role"] != "composite")
        .chain(feats.iter().filter(|f| f["role"] == "composite"));
    for (c, fd) in coefs[1..].iter().zip(in_param_order) {
        assert_eq!(c["term"], fd["feature"]);
    }
    for fd in feats {
        let name = fd["feature"].as_str().unwrap();
        if fd["role"] == "variant" {
            let t = fd["transform"].as_str().unwrap();
            assert!(name.contains(t), "{name} {t}");
            let lag = fd["lag"].as_i64().unwrap();
            assert_eq!(name.ends_with(&format!("_L{lag}")), lag > 0, "{name}");
        }
    }
    let tests = v["tests"].as_array().unwrap();
    let r2_test = tests
        .iter()
        .find(|t| t["test"] == "1 In-Sample R-sq")
        .unwrap();
    assert_eq!(r2_test["statistic"], detail["r2"]);
    assert_eq!(r2_test["verdict"], "pass");
    for t in tests
        .iter()
        .filter(|t| t["test"].as_str().unwrap().starts_with(char::is_numeric))
    {
        assert_ne!(t["verdict"], "FAIL", "{t}");
    }
    let text = cmd(f, "show", &["2"]);
    for s in [
        "Coefficients",
        "const",
        "Tests",
        "Fit",
        "features.duckdb",
        "Durbin-Watson",
    ] {
        assert!(text.contains(s), "{s}: {text}");
    }
    // A filtered spec by index, with --workspace only.
    let (fspec, ftest): (i64, String) = conn
        .query_row(
            "SELECT spec_index, failed_test FROM outcome_status WHERE run_id = 2 \
             AND status = 'filtered' ORDER BY spec_index LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let out = ok(specsearch()
        .args([
            "show",
            "--json",
            "--spec",
            &fspec.to_string(),
            "--workspace",
        ])
        .arg(&f.workspace)
        .output()
        .unwrap());
    let v = json(&out);
    assert_eq!(v["status"], "filtered");
    assert_eq!(v["failed_test"].as_str().unwrap(), ftest);
    // `show --workspace DIR RANK` and CSV sections.
    let csv = ok(specsearch()
        .args(["show", "--csv", "--workspace"])
        .arg(&f.workspace)
        .arg("1")
        .output()
        .unwrap());
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(&rd.headers().unwrap()[0], "section");
    let sections: std::collections::BTreeSet<String> =
        rd.records().map(|r| r.unwrap()[0].to_string()).collect();
    for s in ["model", "feature", "coefficient", "test", "fit"] {
        assert!(sections.contains(s), "{sections:?}");
    }
    let out = specsearch()
        .arg("show")
        .arg(&f.config)
        .arg("100000")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rank 100000"));
}

#[test]
fn failures_count_tests_features_and_errors() {
    let f = fixture();
    let conn = db(&f.journal);
    let raw = outcomes(&conn, 2);
    let v = json(&cmd(f, "failures", &["--json", "--top", "2"]));
    for t in v["tests"].as_array().unwrap() {
        let code = t["code"].as_i64().unwrap();
        let n = raw.iter().filter(|o| o.1 == Some(code)).count() as i64;
        assert_eq!(t["specs"].as_i64().unwrap(), n, "{t}");
    }
    let total: i64 = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["specs"].as_i64().unwrap())
        .sum();
    assert_eq!(total, raw.iter().filter(|o| o.0 == 1).count() as i64);
    // At most 2 features per test, and each count recomputed.
    let names = feature_names(&conn, 2);
    let ids: HashMap<&str, i64> = names.iter().map(|(k, v)| (v.as_str(), *k)).collect();
    let features = v["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for r in features {
        assert!(r["rank"].as_i64().unwrap() <= 2);
        let test: String = r["failed_test"].as_str().unwrap().into();
        let code = int(
            &conn,
            "SELECT code FROM filter_tests WHERE name = ?1",
            [&test],
        );
        let id = ids[r["feature"].as_str().unwrap()];
        let n = raw
            .iter()
            .filter(|o| o.1 == Some(code) && o.2.contains(&id))
            .count() as i64;
        assert_eq!(r["failures"].as_i64().unwrap(), n, "{r}");
    }
    // The forced month dummies are in every spec, hence in every failure: listed apart, and
    // each test's features ranked without them.
    let mut every: Vec<i64> = names
        .keys()
        .copied()
        .filter(|id| raw.iter().all(|o| o.2.contains(id)))
        .collect();
    every.sort();
    assert_eq!(every.len(), 7, "dummies(M, [2,3,4,5,10,11,12]) is forced");
    let every_names: Vec<&str> = every.iter().map(|id| names[id].as_str()).collect();
    assert_eq!(
        v["features_in_every_spec"],
        serde_json::json!(every_names),
        "{}",
        v["features_in_every_spec"]
    );
    for r in features {
        assert!(
            !every_names.contains(&r["feature"].as_str().unwrap()),
            "{r}"
        );
        if r["rank"] == 1 {
            let code = int(
                &conn,
                "SELECT code FROM filter_tests WHERE name = ?1",
                [r["failed_test"].as_str().unwrap()],
            );
            let best = names
                .keys()
                .filter(|id| !every.contains(id))
                .map(|id| {
                    raw.iter()
                        .filter(|o| o.1 == Some(code) && o.2.contains(id))
                        .count() as i64
                })
                .max()
                .unwrap();
            assert_eq!(r["failures"].as_i64().unwrap(), best, "{r}");
        }
    }
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["error_type"], "worker crashed");
    assert_eq!(errors[0]["specs"], 1);
    assert_eq!(v["error_messages"][0]["first_spec_index"], 77);
    let text = cmd(f, "failures", &[]);
    assert!(
        text.contains("worker crashed") && text.contains("Failures by test"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "(left out: {}, in every spec",
            every_names.join(", ")
        )),
        "{text}"
    );
    let csv = cmd(f, "failures", &["--csv", "--only", "tests"]);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(rd.records().count(), v["tests"].as_array().unwrap().len());
    // Run 1 has no errors.
    let v = json(&cmd(f, "failures", &["--json", "--run", "1"]));
    assert!(v["errors"].as_array().unwrap().is_empty());
}

/// Everything in the journal, for checking that nothing changed.
fn fingerprint(path: &Path) -> String {
    let conn = db(path);
    let mut s = String::new();
    for t in [
        "runs",
        "outcomes",
        "passed",
        "ranking",
        "sessions",
        "workers",
        "run_features",
    ] {
        let n = int(&conn, &format!("SELECT count(*) FROM {t}"), []);
        s.push_str(&format!("{t}={n};"));
    }
    let schema: String = conn
        .query_row(
            "SELECT group_concat(name || ':' || coalesce(sql, ''), '|') FROM \
             (SELECT name, sql FROM sqlite_schema ORDER BY name)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    s + &schema
}

#[test]
fn query_reads_and_refuses_writes() {
    let f = fixture();
    let conn = db(&f.journal);
    let n2 = int(&conn, "SELECT count(*) FROM outcomes WHERE run_id = 2", []);
    let n1 = int(&conn, "SELECT count(*) FROM outcomes WHERE run_id = 1", []);
    let sql = "SELECT count(*) AS n FROM outcomes WHERE run_id = :run";
    let v = json(&cmd(f, "query", &[sql, "--json"]));
    assert_eq!(v[0]["n"].as_i64().unwrap(), n2);
    let v = json(&cmd(f, "query", &[sql, "--json", "--run", "1"]));
    assert_eq!(v[0]["n"].as_i64().unwrap(), n1);
    let csv = ok(specsearch()
        .args(["query", "--csv", "--workspace"])
        .arg(&f.workspace)
        .arg("SELECT run_id, name FROM runs ORDER BY run_id")
        .output()
        .unwrap());
    let names = run_names(&conn);
    assert_eq!(
        csv,
        format!("run_id,name\n1,{}\n2,{}\n", names[0], names[1])
    );
    let text = cmd(f, "query", &["SELECT name FROM runs ORDER BY run_id"]);
    assert!(text.contains(&names[0]) && text.contains("----"), "{text}");

    let before = fingerprint(&f.journal);
    for (sql, word) in [
        ("DELETE FROM outcomes", "DELETE"),
        ("UPDATE runs SET name = 'x'", "UPDATE"),
        ("INSERT INTO filter_tests VALUES (9, 'x', 'x')", "INSERT"),
        ("DROP VIEW passed_models", "DROP"),
        ("CREATE TABLE t (a)", "CREATE"),
        ("-- a comment\nDROP TABLE outcomes", "DROP"),
        ("PRAGMA user_version = 7", "PRAGMA"),
        ("SELECT 1; DELETE FROM outcomes", "several"),
        ("VACUUM", ""),
    ] {
        let out = specsearch()
            .arg("query")
            .arg(&f.config)
            .arg(sql)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{sql} was not refused");
        assert!(stderr.contains(word), "{sql}: {stderr}");
    }
    let out = specsearch()
        .arg("query")
        .arg(&f.config)
        .arg("DELETE FROM outcomes")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
    assert_eq!(
        fingerprint(&f.journal),
        before,
        "query modified the journal"
    );
}

#[test]
fn export_writes_csv_json_and_parquet() {
    let f = fixture();
    let conn = db(&f.journal);
    let dir = tempfile::tempdir().unwrap();
    let ranked: Vec<(i64, i64, f64)> = conn
        .prepare("SELECT rank, spec_index, score FROM ranking WHERE run_id = 2 ORDER BY rank")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Passed models to Parquet, read back with DuckDB.
    let pq = dir.path().join("passed.parquet");
    ok(specsearch()
        .arg("export")
        .arg(&f.config)
        .arg("--output")
        .arg(&pq)
        .output()
        .unwrap());
    let duck = duckdb::Connection::open_in_memory().unwrap();
    let src = format!("read_parquet('{}')", pq.display());
    let n: i64 = duck
        .query_row(&format!("SELECT count(*) FROM {src}"), [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, ranked.len() as i64);
    let mut stmt = duck
        .prepare(&format!(
            "SELECT rank, spec_index, score, detail FROM {src} ORDER BY rank"
        ))
        .unwrap();
    let back: Vec<(i64, i64, f64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for ((r, s, sc, detail), (er, es, esc)) in back.iter().zip(&ranked) {
        assert_eq!((r, s, sc), (er, es, esc));
        assert!(json(detail)["params"].is_array());
    }
    // The Parquet file documents its JSON-text column.
    let doc: String = duck
        .query_row(
            &format!(
                "SELECT decode(value) FROM parquet_kv_metadata('{}') WHERE decode(key) = 'detail'",
                pq.display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        doc.contains("JSON object") && doc.contains("params"),
        "{doc}"
    );
    // In JSON outputs `detail` is an object, never a string holding JSON: export, query, show.
    let jpassed = dir.path().join("passed.json");
    ok(specsearch()
        .arg("export")
        .arg(&f.config)
        .arg("-o")
        .arg(&jpassed)
        .output()
        .unwrap());
    let v = json(&std::fs::read_to_string(&jpassed).unwrap());
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), ranked.len());
    for r in rows {
        assert!(r["detail"].is_object(), "{}", r["detail"]);
        assert!(r["detail"]["params"].is_array());
    }
    let q = json(&cmd(
        f,
        "query",
        &[
            "--json",
            "SELECT rank, detail FROM passed_models WHERE run_id = :run ORDER BY rank LIMIT 3",
        ],
    ));
    for r in q.as_array().unwrap() {
        assert!(r["detail"].is_object(), "{}", r["detail"]);
    }
    assert!(json(&cmd(f, "show", &["1", "--json"]))["detail"].is_object());
    // Outcomes to Parquet: counts per status.
    let pq = dir.path().join("outcomes.pq");
    ok(specsearch()
        .arg("export")
        .arg(&f.config)
        .args(["--what", "outcomes", "--format", "parquet", "-o"])
        .arg(&pq)
        .output()
        .unwrap());
    let mut stmt = duck
        .prepare(&format!(
            "SELECT status, count(*) FROM read_parquet('{}') GROUP BY status ORDER BY status",
            pq.display()
        ))
        .unwrap();
    let got: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let raw = outcomes(&conn, 2);
    let count = |s: i64| raw.iter().filter(|o| o.0 == s).count() as i64;
    assert_eq!(
        got,
        vec![
            ("error".to_string(), count(2)),
            ("filtered".to_string(), count(1)),
            ("passed".to_string(), count(0))
        ]
    );
    // Outcomes of run 1 to CSV.
    let csvp = dir.path().join("o.csv");
    ok(specsearch()
        .arg("export")
        .arg(&f.config)
        .args(["--what", "outcomes", "--run", "1", "-o"])
        .arg(&csvp)
        .output()
        .unwrap());
    let mut rd = csv::Reader::from_path(&csvp).unwrap();
    assert!(rd.headers().unwrap().iter().any(|h| h == "features"));
    assert_eq!(rd.records().count(), outcomes(&conn, 1).len());
    // A query to JSON.
    let jp = dir.path().join("q.json");
    ok(specsearch()
        .arg("export")
        .arg(&f.config)
        .args([
            "--sql",
            "SELECT code, specs FROM failures_by_test WHERE run_id = :run ORDER BY code",
            "-o",
        ])
        .arg(&jp)
        .output()
        .unwrap());
    let v = json(&std::fs::read_to_string(&jp).unwrap());
    for r in v.as_array().unwrap() {
        let code = r["code"].as_i64().unwrap();
        assert_eq!(
            r["specs"].as_i64().unwrap(),
            raw.iter().filter(|o| o.1 == Some(code)).count() as i64
        );
    }
    // A writing query is refused and leaves no file.
    let bad = dir.path().join("bad.csv");
    let out = specsearch()
        .arg("export")
        .arg(&f.config)
        .args(["--sql", "DELETE FROM outcomes", "-o"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!bad.exists());
}

#[test]
fn commands_work_while_a_run_is_writing() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "64"]);
    let paused = crate::common::PausedRun::start(cmd, 200);
    let run = |args: &[&str]| {
        ok(specsearch()
            .arg(args[0])
            .arg(&config)
            .args(&args[1..])
            .output()
            .unwrap())
    };
    let v = json(&run(&["status", "--json"]));
    assert_eq!(v[0]["status"], "running");
    let evaluated = v[0]["evaluated"].as_i64().unwrap();
    assert!(evaluated >= 200 && evaluated < v[0]["spec_count"].as_i64().unwrap());
    let text = run(&["status"]);
    assert!(text.contains("eta"), "{text}");
    let top = run(&["top", "--json", "-n", "0"]);
    let top = json(&top);
    let rows = top.as_array().unwrap();
    // Provisional ranking over what passed so far: ranks 1..=n, scores descending.
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"].as_i64().unwrap(), i as i64 + 1);
        if i > 0 {
            assert!(r["score"].as_f64().unwrap() <= rows[i - 1]["score"].as_f64().unwrap());
        }
    }
    // Said as what it is: a ranking of the models passed so far (spec #5 passes, so once the
    // first batch is in there is one), stored once the run completes.
    let text = run(&["top"]);
    let passed_so_far = text
        .contains("ranked now over the models passed so far: the run is running (")
        && text.contains("its ranking is stored when it completes");
    let none_yet = text.contains("no model passed so far (");
    assert!(passed_so_far || none_yet, "{text}");
    run(&["failures", "--json"]);
    let q = json(&run(&[
        "query",
        "SELECT count(*) AS n FROM outcome_status",
        "--json",
    ]));
    assert!(q[0]["n"].as_i64().unwrap() >= evaluated);
    // Stop the run (resumably) and make sure it is gone before the directory is removed.
    paused.signal(nix::sys::signal::Signal::SIGINT);
    let out = paused.wait();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        crate::common::text(&out)
    );
    let v = json(&run(&["status", "--json"]));
    assert!(
        v[0]["status"] == "interrupted" || v[0]["status"] == "complete",
        "{v}"
    );
}

/// Every view (selected for one run, as its documentation says to) and every example of
/// sql/examples.sql reads the journal through its indexes: SQLite's own count of full-scan
/// steps (`SQLITE_STMTSTATUS_FULLSCAN_STEP`) stays far below the number of outcomes, so no
/// statement walks a whole table of outcomes or passed models, and the cost of looking at a
/// run does not grow with the other runs in the journal. Plans are printed on failure.
#[test]
fn views_and_examples_use_indexes_not_full_scans() {
    let f = fixture();
    let conn = Connection::open(&f.journal).unwrap();
    let outcomes = int(&conn, "SELECT count(*) FROM outcome_status", []);
    assert!(outcomes > 2000, "{outcomes}");
    let mutation_views = include_str!("../../sql/mutations.sql")
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE VIEW "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(mutation_views.len() >= 2, "{mutation_views:?}");
    let mut statements: Vec<(String, String)> = view_names()
        .into_iter()
        .chain(mutation_views)
        .map(|v| {
            (
                format!("view {v}"),
                format!("SELECT * FROM {v} WHERE run_id = 2"),
            )
        })
        .collect();
    statements.extend(examples());
    for (title, sql) in statements {
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut stmt = conn.prepare(&sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while rows.next().unwrap().is_some() {}
        drop(rows);
        let steps = stmt.get_status(rusqlite::StatementStatus::FullscanStep);
        // Small tables (runs, features, counters, filter names) may be scanned; those steps
        // are a few hundred here, a scan of the outcomes alone would be > 2000.
        assert!(
            (steps as i64) < outcomes / 4,
            "{title}: {steps} full-scan steps ({outcomes} outcomes); plan:\n{}",
            plan.join("\n")
        );
        for line in &plan {
            // The one scan allowed over outcomes: the partial index that holds only errors.
            let scans_outcomes =
                line.starts_with("SCAN outcomes") && !line.contains("INDEX outcomes_errors");
            assert!(
                !scans_outcomes && !line.starts_with("SCAN passed"),
                "{title}: {line}"
            );
        }
    }
}

/// A long `query` says it is still running, and Ctrl-C (SIGINT) stops the statement cleanly:
/// the command reports the interruption and exits with an error instead of dying by signal.
/// The test sends the signal once the "still running" line has arrived on stderr (a pipe), so
/// the statement is provably executing.
#[test]
fn ctrl_c_interrupts_a_long_query() {
    use std::io::{BufRead, BufReader};
    let f = fixture();
    let mut child = specsearch()
        .arg("query")
        .arg(&f.config)
        .arg(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT count(*) FROM c",
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "stderr closed before the query said it was running: {seen}"
        );
        seen.push_str(&line);
        if line.contains("still running") {
            break;
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status:?}: {seen}{rest}");
    assert!(rest.contains("interrupted"), "{seen}{rest}");
}
