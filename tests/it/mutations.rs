//! Composite features, mutation records, replay into `features.duckdb`, validation and audit
//! (docs/architecture.md, seed step 6), end to end.
//!
//! Every expected value is recomputed here from independent sources: composite values and their
//! sha256 from the frozen columns read back from the store, the specs that need each composite
//! from the journal's outcome feature lists, counts from the outcomes table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{assert_ok, small_search, specsearch, text};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use specsearch::config::Config;
use specsearch::store::bundle::BundleReader;

/// A small synthetic search with an interaction and a regime in its pool (the regime's base
/// variable is also in the pool, so it joins that entry), and loose enough filters that many
/// models using composites pass.
fn composite_search(dir: &Path) -> PathBuf {
    let config = small_search(dir);
    edit(&config, |t| {
        let t = t.replace(
            "\"mev005\"]",
            "\"mev005\", \"interaction(mev002_MMGR, mev003)\", \"regime(mev004, M, 12)\"]",
        );
        format!("{t}\n[filters]\nmin_r2 = 0.1\ncoef_alpha = 0.5\n")
    });
    config
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let new = f(text.clone());
    assert_ne!(new, text, "the edit changed nothing");
    std::fs::write(path, new).unwrap();
}

fn run_cli(config: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = specsearch();
    c.arg("run").arg(config).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn workspace(config: &Path) -> PathBuf {
    config.parent().unwrap().join("search.specsearch")
}

fn journal(config: &Path) -> Connection {
    Connection::open(workspace(config).join("journal.sqlite")).unwrap()
}

fn latest_run(conn: &Connection) -> i64 {
    conn.query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))
        .unwrap()
}

/// Independent sha256 of a column: little-endian IEEE bits, every NaN as `f64::NAN`.
fn sha(values: &[f64]) -> String {
    let mut h = Sha256::new();
    for v in values {
        let bits = if v.is_nan() {
            f64::NAN.to_bits()
        } else {
            v.to_bits()
        };
        h.update(bits.to_le_bytes());
    }
    hex::encode(h.finalize())
}

/// Recomputes a composite's values from its definition and the store's frozen columns.
fn recompute(store: &Path, definition: &str) -> Vec<f64> {
    let reader = BundleReader::open(store).unwrap();
    let matrix = reader.matrix().unwrap();
    let ids: BTreeMap<String, u32> = reader
        .catalogue()
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let col = |name: &str| matrix.column(ids[name]).to_vec();
    let args = |prefix: &str| -> Vec<String> {
        definition
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(')'))
            .unwrap()
            .split(", ")
            .map(str::to_string)
            .collect()
    };
    if definition.starts_with("interaction(") {
        let a = args("interaction(");
        let (x, y) = (col(&a[0]), col(&a[1]));
        x.iter().zip(&y).map(|(x, y)| x * y).collect()
    } else {
        let a = args("regime(");
        let on: f64 = a[2].parse().unwrap();
        let (f, c) = (col(&a[0]), col(&a[1]));
        // feature · 1[column = on]: the IEEE product, the indicator NaN where column is missing.
        f.iter()
            .zip(&c)
            .map(|(f, c)| {
                let indicator = if c.is_nan() {
                    f64::NAN
                } else if *c == on {
                    1.0
                } else {
                    0.0
                };
                f * indicator
            })
            .collect()
    }
}

/// The store's composite rows: name → (id, values) over every date.
fn stored_composites(store: &Path) -> BTreeMap<String, (i64, Vec<f64>)> {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(store, config).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM dates", [], |r| r.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT name, id FROM catalogue WHERE role = 'composite' ORDER BY id")
        .unwrap();
    let cols: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut out = BTreeMap::new();
    for (name, id) in cols {
        let mut stmt = conn
            .prepare("SELECT value FROM feature_values WHERE id = ? ORDER BY row_id")
            .unwrap();
        let values: Vec<f64> = stmt
            .query_map([id], |r| r.get::<_, Option<f64>>(0))
            .unwrap()
            .map(|r| r.unwrap().unwrap_or(f64::NAN))
            .collect();
        assert_eq!(values.len() as i64, rows, "{name}");
        assert!(out.insert(name, (id, values)).is_none());
    }
    out
}

/// From the journal alone: composite name → passed spec indices using it (and their workers).
fn composite_uses(conn: &Connection, run_id: i64) -> BTreeMap<String, Vec<(i64, i64)>> {
    let composites: BTreeMap<i64, String> = conn
        .prepare(
            "SELECT feature_id, name FROM run_features WHERE run_id = ?1 AND role = 'composite'",
        )
        .unwrap()
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut uses: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    let mut stmt = conn
        .prepare(
            "SELECT spec_index, feature_ids, worker FROM outcome_status \
             WHERE run_id = ?1 AND status = 'passed' ORDER BY spec_index",
        )
        .unwrap();
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })
        .unwrap();
    for row in rows {
        let (index, features, worker) = row.unwrap();
        let ids: Vec<i64> = serde_json::from_str(&features).unwrap();
        for id in ids {
            if let Some(name) = composites.get(&id) {
                uses.entry(name.clone()).or_default().push((index, worker));
            }
        }
    }
    uses
}

/// The run's mutation rows: name → (definition, sha256, first_spec_index).
fn mutations(conn: &Connection, run_id: i64) -> BTreeMap<String, (String, String, i64)> {
    conn.prepare(
        "SELECT name, definition, sha256, first_spec_index FROM mutations WHERE run_id = ?1",
    )
    .unwrap()
    .query_map([run_id], |r| {
        Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

/// The run's replays: (name, action, detail), in order.
fn replays(conn: &Connection, run_id: i64) -> Vec<(String, String, Option<String>)> {
    conn.prepare("SELECT name, action, detail FROM replays WHERE run_id = ?1 ORDER BY replay_id")
        .unwrap()
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn status(conn: &Connection, run_id: i64) -> (String, Option<String>) {
    conn.query_row(
        "SELECT status, status_detail FROM runs WHERE run_id = ?1",
        [run_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// Checks a finished run: one mutation per composite used by passed models, with the lowest
/// such spec and the hash recomputed from the frozen columns; every one replayed once and
/// stored with exactly those values.
fn check_complete_run(config: &Path) -> BTreeMap<String, (String, String, i64)> {
    let conn = journal(config);
    let run_id = latest_run(&conn);
    assert_eq!(status(&conn, run_id).0, "complete");
    let store = workspace(config).join("features.duckdb");
    let uses = composite_uses(&conn, run_id);
    let recorded = mutations(&conn, run_id);
    assert!(!uses.is_empty(), "no passed model uses a composite");
    assert_eq!(
        recorded.keys().collect::<Vec<_>>(),
        uses.keys().collect::<Vec<_>>(),
        "one mutation per composite used by a passed model"
    );
    for (name, (definition, hash, first)) in &recorded {
        assert_eq!(*first, uses[name][0].0, "first spec of {name}");
        let values = recompute(&store, definition);
        assert_eq!(*hash, sha(&values), "hash of {name} = {definition}");
    }
    // Exactly one successful replay per mutation (a conflict may have been retried before).
    let done: Vec<_> = replays(&conn, run_id)
        .into_iter()
        .filter(|(_, action, _)| action != "conflict")
        .collect();
    let replayed: BTreeSet<&String> = done.iter().map(|(n, ..)| n).collect();
    assert_eq!(done.len(), recorded.len(), "one replay per mutation");
    assert_eq!(replayed.len(), recorded.len());
    let stored = stored_composites(&store);
    for (name, (definition, hash, _)) in &recorded {
        let (_, values) = stored
            .get(name)
            .unwrap_or_else(|| panic!("{name} not replayed into the store"));
        assert_eq!(sha(values), *hash, "stored values of {name}");
        let want = recompute(&store, definition);
        let bits = |v: &[f64]| v.iter().map(|x| sha(&[*x])).collect::<Vec<_>>();
        assert_eq!(bits(values), bits(&want), "stored values of {name}");
    }
    recorded
}

#[test]
fn mutations_are_recorded_once_per_name_replayed_and_independent_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    let out = assert_ok(&run_cli(
        &config,
        &["--workers", "2", "--batch-size", "40"],
        &[],
    ));
    let recorded = check_complete_run(&config);
    let conn = journal(&config);
    let run_id = latest_run(&conn);

    // Many specs (and both workers) built the same composites, yet each is recorded once.
    let uses = composite_uses(&conn, run_id);
    let total_uses: usize = uses.values().map(Vec::len).sum();
    assert!(total_uses > 3 * recorded.len(), "{total_uses} uses");
    assert!(
        uses.values()
            .any(|u| u.iter().map(|(_, w)| w).collect::<BTreeSet<_>>().len() > 1),
        "no composite was built by two workers"
    );
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM mutations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows as usize, recorded.len());
    // Both kinds are there: interactions and regimes.
    assert!(recorded.keys().any(|n| n.ends_with("_MUL")));
    assert!(recorded.keys().any(|n| n.contains("@M_12")));

    // The summary says what happened, in the user's words (issue 30: no "mutations" or
    // "replayed" jargon). Its lines may wrap: read the paragraph.
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!(
            "composites {} composite feature(s) built by the workers; in features.duckdb: {} added",
            recorded.len(),
            recorded.len()
        )) && !text.contains("replayed"),
        "{out}"
    );

    // Replays leave the frozen part alone: same bundle hash, same frozen matrix.
    let cfg = Config::load(&config).unwrap();
    let ws = specsearch::workspace::Workspace::for_config(&cfg, None);
    let built = specsearch::freeze::build(&cfg).unwrap();
    assert_eq!(
        specsearch::freeze::current_hash(&ws).as_deref(),
        Some(built.hash.as_str())
    );
    let reader = BundleReader::open(&ws.features_duckdb()).unwrap();
    assert_eq!(
        reader.matrix().unwrap().cols(),
        built.bundle.catalogue.len()
    );
    assert_eq!(
        reader.catalogue().unwrap().len(),
        built.bundle.catalogue.len() + recorded.len()
    );
    let stored = stored_composites(&ws.features_duckdb());
    assert!(stored
        .values()
        .all(|(id, _)| *id >= built.bundle.catalogue.len() as i64));
    drop(reader);

    // The same search on one serial evaluator records exactly the same mutations.
    let dir2 = tempfile::tempdir().unwrap();
    let config2 = composite_search(dir2.path());
    assert_ok(&run_cli(&config2, &["--executor", "serial"], &[]));
    assert_eq!(mutations(&journal(&config2), 1), recorded);

    // Running again: complete, nothing replayed twice.
    let again = assert_ok(&run_cli(&config, &[], &[]));
    assert!(again.contains("is complete"), "{again}");
    assert_eq!(replays(&conn, run_id).len(), recorded.len());

    // A fresh run over the same store finds every composite already present.
    let fresh = assert_ok(&run_cli(&config, &["--fresh", "--workers", "2"], &[]));
    let run2 = latest_run(&conn);
    assert_ne!(run2, run_id);
    let done = replays(&conn, run2);
    assert_eq!(done.len(), recorded.len());
    assert!(
        done.iter().all(|(_, a, _)| a == "already_present"),
        "{done:?}"
    );
    let fresh_text = fresh.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        fresh_text.contains(&format!("0 added, {} already there", recorded.len())),
        "{fresh}"
    );
    assert_eq!(
        stored_composites(&ws.features_duckdb()).len(),
        recorded.len()
    );
}

#[test]
fn sigkill_between_workers_finished_and_replay_done_resumes_without_duplicates() {
    for fault in [
        "SPECSEARCH_FAULT_KILL_BEFORE_REPLAY",
        "SPECSEARCH_FAULT_KILL_AFTER_STORE_REPLAY",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = composite_search(dir.path());
        let out = run_cli(&config, &["--workers", "2"], &[(fault, "1")]);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(9), "{fault}: {}", text(&out));

        let conn = journal(&config);
        let run_id = latest_run(&conn);
        let (evaluated, spec_count): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM outcome_status WHERE run_id = ?1), spec_count FROM runs \
                 WHERE run_id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(evaluated, spec_count, "{fault}: every outcome is committed");
        assert_eq!(status(&conn, run_id).0, "running");
        let recorded = mutations(&conn, run_id);
        assert!(!recorded.is_empty());
        assert!(replays(&conn, run_id).is_empty(), "{fault}");
        let store = workspace(&config).join("features.duckdb");
        let before = stored_composites(&store);
        if fault.ends_with("BEFORE_REPLAY") {
            assert!(before.is_empty(), "{fault}: the store was written");
        } else {
            assert_eq!(
                before.keys().collect::<Vec<_>>(),
                recorded.keys().collect::<Vec<_>>()
            );
        }

        // Resume: nothing left to evaluate, the finish replays and validates.
        let out = assert_ok(&run_cli(&config, &["--workers", "2"], &[]));
        assert!(out.contains("(resumed)"), "{out}");
        assert!(out.contains("evaluated  0 specs"), "{out}");
        check_complete_run(&config);
        let done = replays(&conn, run_id);
        if fault.ends_with("BEFORE_REPLAY") {
            assert!(done.iter().all(|(_, a, _)| a == "inserted"), "{done:?}");
        } else {
            // The earlier finish inserted them; this one says so and inserts nothing.
            assert!(
                done.iter().all(|(_, a, d)| a == "already_present"
                    && d.as_deref().unwrap_or("").contains("interrupted finish")),
                "{done:?}"
            );
        }
        let after = stored_composites(&store);
        assert_eq!(
            after.len(),
            recorded.len(),
            "{fault}: duplicates in the store"
        );
        if !before.is_empty() {
            let digest = |m: &BTreeMap<String, (i64, Vec<f64>)>| -> Vec<(String, i64, String)> {
                m.iter()
                    .map(|(n, (id, v))| (n.clone(), *id, sha(v)))
                    .collect()
            };
            assert_eq!(
                digest(&after),
                digest(&before),
                "{fault}: the resumed replay rewrote the store"
            );
        }
        // And once more: nothing is replayed twice.
        let again = assert_ok(&run_cli(&config, &[], &[]));
        assert!(again.contains("is complete"));
        assert_eq!(replays(&conn, run_id).len(), recorded.len());
    }
}

#[test]
fn a_worker_reporting_another_hash_for_a_journaled_composite_gets_that_spec_refused() {
    // (The writer's rules for conflicting records are tested in the journal crate:
    // crates/specsearch-journal/tests/it/writer.rs.)
    // A worker that reports another hash for a composite than the one already journaled (the
    // fault corrupts the records of one later spec) gets that spec refused.
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    assert_ok(&run_cli(&config, &["--executor", "serial"], &[]));
    let conn = journal(&config);
    let uses = composite_uses(&conn, 1);
    // A passed spec whose every composite was first needed by an earlier spec, so the journal
    // already holds the true record of each when its corrupted one arrives.
    let mut by_spec: BTreeMap<i64, Vec<&String>> = BTreeMap::new();
    for (name, specs) in &uses {
        for (s, _) in specs {
            by_spec.entry(*s).or_default().push(name);
        }
    }
    let (victim, names) = by_spec
        .iter()
        .find(|(s, names)| names.iter().all(|n| uses[*n][0].0 < **s))
        .map(|(s, n)| (*s, n.clone()))
        .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let config2 = composite_search(dir2.path());
    let out = run_cli(
        &config2,
        &["--executor", "serial"],
        &[(
            "SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC",
            &victim.to_string(),
        )],
    );
    assert_ok(&out);
    let conn2 = journal(&config2);
    let (st, message): (i64, Option<String>) = conn2
        .query_row(
            "SELECT status, message FROM outcomes WHERE spec_index = ?1",
            [victim],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(st, 2);
    let message = message.unwrap();
    assert!(
        message.starts_with("mutation conflict: ") && message.contains(&"0".repeat(64)),
        "{message}"
    );
    assert!(
        names
            .iter()
            .any(|n| message.contains(&format!("conflict: {n} = "))),
        "{message}"
    );
    // The journal kept the true hash; every other outcome is as in the clean run.
    assert_eq!(mutations(&conn2, 1), mutations(&conn, 1));
    let others = |c: &Connection| -> Vec<(i64, String)> {
        c.prepare("SELECT spec_index, status FROM outcome_status WHERE spec_index <> ?1 ORDER BY 1")
            .unwrap()
            .query_map([victim], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(others(&conn2), others(&conn));
}

#[test]
fn a_tampered_store_fails_validation_and_a_busy_store_leaves_the_run_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    let out = run_cli(
        &config,
        &["--workers", "2"],
        &[("SPECSEARCH_FAULT_KILL_BEFORE_REPLAY", "1")],
    );
    assert!(!out.status.success());
    let conn = journal(&config);
    let run_id = latest_run(&conn);
    let recorded = mutations(&conn, run_id);
    let (victim, (definition, ..)) = recorded.iter().next().unwrap();
    let store = workspace(&config).join("features.duckdb");

    // Another process holding the store: the finish cannot replay, says why, stays resumable.
    {
        let ro = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap();
        let _held = duckdb::Connection::open_with_flags(&store, ro).unwrap();
        let out = run_cli(&config, &[], &[]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("open in another process"),
            "{}",
            text(&out)
        );
        let (st, detail) = status(&conn, run_id);
        assert_eq!(st, "interrupted");
        assert!(detail.unwrap().contains("replay not done"));
        assert!(replays(&conn, run_id).is_empty());
    }

    // Tamper: someone writes a column of that name with other values into the store.
    {
        let duck = duckdb::Connection::open(&store).unwrap();
        let id: i64 = duck
            .query_row("SELECT max(id) + 1 FROM catalogue", [], |r| r.get(0))
            .unwrap();
        duck.execute(
            "INSERT INTO catalogue (id, name, role, base, period, lag, expected_sign, \
             full_dummy_set, kept, definition, sha256) \
             VALUES (?, ?, 'composite', 'x', 0, 0, 0, false, true, ?, ?)",
            duckdb::params![id, victim, definition, "f".repeat(64)],
        )
        .unwrap();
        duck.execute(
            "INSERT INTO feature_values SELECT CAST(? AS INTEGER), row_id, 42.0 FROM dates",
            duckdb::params![id],
        )
        .unwrap();
        duck.execute_batch("CHECKPOINT").unwrap();
    }
    let out = run_cli(&config, &[], &[]);
    assert!(!out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("failed") && all.contains("validation failed") && all.contains(victim),
        "{all}"
    );
    let (st, detail) = status(&conn, run_id);
    assert_eq!(st, "failed");
    let detail = detail.unwrap();
    assert!(
        detail.contains(victim) && detail.contains("--fresh"),
        "{detail}"
    );
    let done = replays(&conn, run_id);
    let conflicts: Vec<_> = done.iter().filter(|(_, a, _)| a == "conflict").collect();
    assert_eq!(conflicts.len(), 1, "{done:?}");
    assert_eq!(&conflicts[0].0, victim);
    assert!(conflicts[0]
        .2
        .as_deref()
        .unwrap()
        .contains("whose values hash"));
    // Every other mutation was inserted; the tampered column was left alone.
    assert_eq!(done.len(), recorded.len());
    let stored = stored_composites(&store);
    assert!(stored[victim].1.iter().all(|v| *v == 42.0));

    // The audit shows the conflict.
    let audit = specsearch().arg("audit").arg(&config).output().unwrap();
    let audit_text = assert_ok(&audit);
    assert!(audit_text.contains("FAILED"), "{audit_text}");
    let line = audit_text
        .lines()
        .find(|l| l.starts_with(victim.as_str()))
        .unwrap();
    assert!(line.contains("conflict"), "{line}");

    // Restoring the store (here: removing the foreign column) lets the next finish retry the
    // conflict alone and complete.
    {
        let duck = duckdb::Connection::open(&store).unwrap();
        duck.execute(
            "DELETE FROM feature_values WHERE id = (SELECT id FROM catalogue WHERE name = ?)",
            duckdb::params![victim],
        )
        .unwrap();
        duck.execute(
            "DELETE FROM catalogue WHERE name = ?",
            duckdb::params![victim],
        )
        .unwrap();
        duck.execute_batch("CHECKPOINT").unwrap();
    }
    assert_ok(&run_cli(&config, &[], &[]));
    assert_eq!(status(&conn, run_id).0, "complete");
    let done = replays(&conn, run_id);
    assert_eq!(done.len(), recorded.len() + 1);
    assert_eq!(done.last().unwrap().0, *victim);
    assert_eq!(done.last().unwrap().1, "inserted");
    check_complete_run(&config);
}

#[test]
fn audit_output_matches_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    assert_ok(&run_cli(&config, &["--workers", "2"], &[]));
    let conn = journal(&config);
    let run_id = latest_run(&conn);
    let recorded = mutations(&conn, run_id);
    let uses = composite_uses(&conn, run_id);
    let ranked: BTreeMap<i64, i64> = conn
        .prepare("SELECT spec_index, rank FROM ranking WHERE run_id = ?1")
        .unwrap()
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();

    let out = specsearch()
        .args(["audit", "--json", "--run"])
        .arg(run_id.to_string())
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&assert_ok(&out)).unwrap();
    assert_eq!(doc["run"]["status"], "complete");
    let rows = doc["mutations"].as_array().unwrap();
    assert_eq!(rows.len(), recorded.len());
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let (definition, hash, first) = &recorded[name];
        assert_eq!(row["definition"], definition.as_str());
        assert_eq!(row["sha256"], hash.as_str());
        assert_eq!(row["first_spec_index"], *first);
        let specs: Vec<i64> = uses[name].iter().map(|(i, _)| *i).collect();
        let listed: Vec<i64> = row["passed_spec_indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(listed, specs, "{name}");
        assert_eq!(row["passed_specs"], specs.len());
        let ranks: Vec<i64> = specs
            .iter()
            .filter_map(|s| ranked.get(s).copied())
            .collect();
        assert_eq!(row["ranked_models"], ranks.len());
        assert_eq!(row["best_rank"].as_i64(), ranks.iter().min().copied());
        assert_eq!(row["replay_action"], "inserted");
    }
    // The text form lists every mutation with its definition, first spec and replay action.
    let out = specsearch().arg("audit").arg(&config).output().unwrap();
    let audit = assert_ok(&out);
    assert!(
        audit.contains(&format!(
            "{} recorded: {} inserted",
            recorded.len(),
            recorded.len()
        )),
        "{audit}"
    );
    for (name, (definition, hash, first)) in &recorded {
        let line = audit
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{name} missing from\n{audit}"));
        assert!(line.contains(definition.as_str()), "{line}");
        assert!(line.contains(&hash[..12]), "{line}");
        assert!(line.contains(&format!("#{first} ")), "{line}");
        assert!(
            line.contains(&format!("  {} #", uses[name].len())),
            "{line}"
        );
        assert!(line.ends_with("inserted"), "{line}");
    }
    // The view answers the same through plain SQL.
    let via_view: i64 = conn
        .query_row(
            "SELECT sum(passed_specs) FROM mutation_audit WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        via_view as usize,
        uses.values().map(Vec::len).sum::<usize>()
    );
}

/// Freeze + plan through the library, for grammar and merge-rule checks.
fn plan_of(config: &Path) -> Result<(specsearch::freeze::Built, specsearch::plan::Plan), String> {
    let cfg = Config::load(config).map_err(|e| e.to_string())?;
    let built = specsearch::freeze::build(&cfg).map_err(|e| e.to_string())?;
    let b = &built.bundle;
    let ctx = specsearch::plan::key_context(&b.catalogue, &b.dates, b.sample);
    let plan = specsearch::plan::plan(&cfg, &b.catalogue, &built.metadata, &built.search, ctx)
        .map_err(|e| e.to_string())?;
    Ok((built, plan))
}

#[test]
fn a_regime_never_shares_a_spec_with_its_base_variable_and_counts_as_one_item() {
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    let (built, plan) = plan_of(&config).unwrap();
    let cat = &built.bundle.catalogue;
    // The regime joined mev004's entry (merged), listed as such.
    assert_eq!(plan.merged.len(), 1);
    assert_eq!(plan.merged[0].0, "search.pool[7]");
    assert_eq!(plan.merged[0].2, "search.pool[4]");
    let kept_mev004: Vec<&str> = cat
        .columns
        .iter()
        .filter(|c| c.base == "mev004" && c.pretest.kept)
        .map(|c| c.name.as_str())
        .collect();
    let regimes: Vec<&str> = plan
        .composites
        .iter()
        .filter(|c| c.definition.starts_with("regime("))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(regimes.len(), kept_mev004.len());
    for (r, v) in regimes.iter().zip(&kept_mev004) {
        assert_eq!(*r, format!("{v}@M_12"));
    }
    // Composite ids follow the frozen ones, described in the space's column table.
    for (k, c) in plan.composites.iter().enumerate() {
        assert_eq!(c.id as usize, cat.len() + k);
        assert_eq!(plan.input.columns[c.id as usize].name, c.name);
    }
    // Walk every spec: never a regime of mev004 with a plain mev004 variant; at most max_vars
    // items (the forced dummy set counts one, an interaction one).
    let space = &plan.space;
    let mut spec = Vec::new();
    let mut with_regime = 0;
    let mut with_interaction = 0;
    for index in 0..space.count() {
        space.spec_at(index, &mut spec).unwrap();
        let names: Vec<&str> = spec.iter().map(|&id| plan.column_name(id)).collect();
        let regime = names.iter().any(|n| n.contains("@M_12"));
        let plain = names
            .iter()
            .any(|n| n.starts_with("mev004_") && !n.contains('@'));
        assert!(!(regime && plain), "#{index}: {names:?}");
        with_regime += usize::from(regime);
        with_interaction += usize::from(names.iter().any(|n| n.ends_with("_MUL")));
        let items = 1 + names.iter().filter(|n| !n.starts_with("M:")).count();
        assert!(items <= 3, "#{index}: {names:?}");
    }
    assert!(with_regime > 0 && with_interaction > 0);
}

#[test]
fn composite_grammar_errors_name_the_config_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "\"interaction(mev002_MMGR, mev003)\"",
            "\"interaction(mev002_MMGR, mev03)\"",
            &["search.pool[6]", "mev03", "did you mean \"mev003\""],
        ),
        (
            "\"regime(mev004, M, 12)\"",
            "\"regime(mev004, regime_flag, 1)\"",
            &["search.pool[7]", "no column \"regime_flag\""],
        ),
        (
            "\"regime(mev004, M, 12)\"",
            "\"regime(mev004, M, twelve)\"",
            &["search.pool[7]", "not a number"],
        ),
        (
            "\"regime(mev004, M, 12)\"",
            "\"regime(mev004, M, 13)\"",
            &["search.pool[7]", "never equals 13"],
        ),
        (
            "forced = [\"dummies(M, [2,3,4,5,10,11,12])\"]",
            "forced = [\"dummies(M, [2,3,4,5,10,11,12])\", \"mev004_MMGR\"]",
            &["search.pool[7]", "search.forced[1]", "never do"],
        ),
        (
            "max_vars = 3",
            "max_vars = 3\none_of = [[\"mev004\", \"mev005\"]]",
            &["search.pool[7]", "search.one_of[0][0]", "never do"],
        ),
    ];
    for (from, to, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let config = composite_search(dir.path());
        edit(&config, |t| t.replace(from, to));
        let err = match plan_of(&config) {
            Ok(_) => panic!("{to} was accepted"),
            Err(e) => e,
        };
        for e in *expected {
            assert!(err.contains(e), "expected {e:?} in: {err}");
        }
    }
    // Both in one one_of set is fine: exactly one of them per spec.
    let dir = tempfile::tempdir().unwrap();
    let config = composite_search(dir.path());
    edit(&config, |t| {
        t.replace(", \"regime(mev004, M, 12)\"]", "]")
            .replace("\"mev004\", ", "")
            .replace(
                "max_vars = 3",
                "max_vars = 3\none_of = [[\"mev004\", \"regime(mev004, M, 12)\"]]",
            )
    });
    let (_, plan) = plan_of(&config).unwrap();
    assert!(plan.merged.is_empty());
    assert!(plan.composites.iter().any(|c| c.name.ends_with("@M_12")));
}
