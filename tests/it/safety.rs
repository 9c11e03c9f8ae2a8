//! Safe to leave overnight (issue 16): a damaged store is never used, a misspelt metadata
//! column or an out-of-range threshold is refused, a stopped or hanging worker cannot stall a
//! run, a stop has a deadline, runaway searches are refused before anything is written, and
//! the small things (broken pipes, merging into a shard, partial exports) behave.
//!
//! Every fault waits for a signal the test gives (`PausedRun`) or is permanent (a worker that
//! hangs forever, a stopped process): nothing relies on a sleep being long enough.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use crate::common::{assert_ok, derived, journal_of, small_search, specsearch, text, PausedRun};
use nix::sys::signal::Signal;
use rusqlite::Connection;

fn run_cli(config: &Path, args: &[&str]) -> std::process::Output {
    specsearch()
        .arg("run")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn append_run_settings(config: &Path, settings: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    let text = if text.contains("[run]") {
        text.replace("[run]", &format!("[run]\n{settings}"))
    } else {
        format!("{text}\n[run]\n{settings}\n")
    };
    std::fs::write(config, text).unwrap();
}

/// The reference: the small search run serially in a fresh directory.
fn reference() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &["--executor", "serial"]));
    let d = derived(&journal_of(&config));
    (dir, d)
}

fn worker_pids(pid: u32) -> Vec<i32> {
    let mut pids = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        if let Ok(children) = std::fs::read_to_string(t.path().join("children")) {
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    pids
}

fn kill(pid: i32, sig: Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
}

fn open_sessions(journal: &Path) -> i64 {
    Connection::open(journal)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sessions WHERE status = 'running' OR ended_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A damaged or stale store is never used.

/// Overwrites the f64 at value position `k` (0-based, after the header) of features.f64.
fn poke_f64(ws: &Path, k: usize, value: f64) {
    let path = ws.join("features.f64");
    let mut bytes = std::fs::read(&path).unwrap();
    let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[16..16 + len]).unwrap();
    let offset = header["data_offset"].as_u64().unwrap() as usize;
    let at = offset + 8 * k;
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_damaged_f64_is_detected_and_re_exported_before_any_evaluation() {
    let (_r, reference) = reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let ws = dir.path().join("search.specsearch");
    assert_ok(&specsearch().arg("freeze").arg(&config).output().unwrap());

    // One changed value: `freeze` no longer calls the bundle unchanged.
    poke_f64(&ws, 300, 12345.0);
    let out = specsearch().arg("freeze").arg(&config).output().unwrap();
    let stdout = assert_ok(&out);
    assert!(stdout.contains("repaired"), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("values differ from the frozen data"),
        "{}",
        text(&out)
    );

    // Changed again, then a run through mmap: repaired first, results those of a clean run.
    poke_f64(&ws, 300, -1.0);
    let out = run_cli(&config, &["--transport", "mmap", "-j", "2"]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("re-exported"),
        "{}",
        text(&out)
    );
    assert!(derived(&journal_of(&config)) == reference);

    // Truncated, and a bad header: the pair no longer matches, so the next session freezes
    // the bundle again before evaluating.
    let f64 = ws.join("features.f64");
    let size = std::fs::metadata(&f64).unwrap().len();
    let bytes = std::fs::read(&f64).unwrap();
    std::fs::write(&f64, &bytes[..bytes.len() - 8]).unwrap();
    let out = run_cli(&config, &["--transport", "mmap", "--fresh"]);
    assert!(
        assert_ok(&out).contains("bundle     frozen"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::metadata(&f64).unwrap().len(), size);
    assert!(derived(&journal_of(&config)) == reference);
    let mut bytes = std::fs::read(&f64).unwrap();
    bytes[0] = b'X';
    std::fs::write(&f64, &bytes).unwrap();
    let out = run_cli(&config, &["--transport", "mmap", "--fresh"]);
    assert!(
        assert_ok(&out).contains("bundle     frozen"),
        "{}",
        text(&out)
    );
    assert!(derived(&journal_of(&config)) == reference);
}

#[test]
fn a_changed_value_in_features_duckdb_is_detected_and_the_store_rewritten() {
    let (_r, reference) = reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let ws = dir.path().join("search.specsearch");
    assert_ok(&specsearch().arg("freeze").arg(&config).output().unwrap());
    {
        let db = duckdb::Connection::open(ws.join("features.duckdb")).unwrap();
        let n = db
            .execute(
                "UPDATE feature_values SET value = value + 1 WHERE id = 5 AND row_id = 100",
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    let out = run_cli(&config, &["--transport", "duckdb", "-j", "2"]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("features.duckdb was damaged or stale"),
        "{}",
        text(&out)
    );
    assert!(derived(&journal_of(&config)) == reference);
}

// ---------------------------------------------------------------------------------------------
// Inputs that would silently change the search are refused, naming what to fix; nothing is
// written for them.

#[test]
fn misspelt_metadata_columns_are_refused_naming_file_and_column() {
    for (wrong, right) in [("catgory", "category"), ("sgn", "sign")] {
        let (dir, config) = crate::common::demo_copy();
        let meta = dir.path().join("data/metadata.csv");
        let text = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(&meta, text.replacen(right, wrong, 1)).unwrap();
        let out = run_cli(&config, &[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("metadata.csv")
                && err.contains(&format!("unknown column `{wrong}`"))
                && err.contains(&format!("did you mean `{right}`"))
                && err.contains("variable, type, category, aggregation, sign"),
            "{err}"
        );
        assert!(
            !dir.path().join("search.specsearch").exists(),
            "a workspace was created for a rejected input"
        );
    }
}

#[test]
fn out_of_range_thresholds_are_refused_naming_the_key() {
    for (setting, key, words) in [
        ("coef_alpha = -3", "filters.coef_alpha", "between 0 and 1"),
        ("min_r2 = 5.0", "filters.min_r2", "below 1"),
        ("max_vif = nan", "filters.max_vif", "above 1"),
        (
            "dw_lower = 3.0\ndw_upper = 1.0",
            "filters.dw_lower",
            "dw_lower < dw_upper",
        ),
        ("het_alpha = 1.0", "filters.het_alpha", "between 0 and 1"),
    ] {
        let (dir, config) = crate::common::demo_copy();
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, format!("{text}\n[filters]\n{setting}\n")).unwrap();
        let out = run_cli(&config, &[]);
        assert!(!out.status.success(), "{setting} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key) && err.contains(words), "{setting}: {err}");
        assert!(!dir.path().join("search.specsearch").exists());
    }
}

#[test]
fn runaway_searches_are_refused_before_anything_is_written() {
    // A typo: far more lag than the data has history.
    let (dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("max_lag = 2", "max_lag = 100000")).unwrap();
    let out = run_cli(&config, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("search.max_lag") && err.contains("100000") && err.contains("at most 8"),
        "{err}"
    );
    assert!(!dir.path().join("search.specsearch").exists());

    // 4 × 10^17 specs: refused with the figures and the way to override.
    let (dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace("max_vars = 3", "max_vars = 12")
        .replace("max_lag = 2", "max_lag = 8")
        .replace("category_limit = 1", "category_limit = 5");
    std::fs::write(&config, text).unwrap();
    let out = run_cli(&config, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to start")
            && err.contains("396790965883891199 specs")
            && err.contains("run.max_hours")
            && err.contains("--yes"),
        "{err}"
    );
    assert!(!dir.path().join("search.specsearch").exists());
}

#[test]
fn the_time_guard_is_a_limit_the_user_can_set_and_override() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    append_run_settings(&config, "max_hours = 0.0000001");
    let out = run_cli(&config, &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("longer than run.max_hours = 0.0000001"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("search.specsearch").exists());
    let out = run_cli(&config, &["--yes"]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("starting anyway (--yes)"),
        "{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// The watchdog: no worker can stall a run.

#[test]
fn a_stopped_worker_is_stopped_and_the_run_completes_as_a_clean_one() {
    let (_r, reference) = reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    append_run_settings(&config, "batch_timeout = 1.0");
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "64"]);
    let run = PausedRun::start(cmd, 200);
    let workers = worker_pids(run.child.id());
    assert_eq!(workers.len(), 2, "{workers:?}");
    // SIGSTOP: the worker neither answers nor dies. Its next batch can never finish.
    kill(workers[0], Signal::SIGSTOP);
    run.resume();
    let out = run.wait();
    let stdout = assert_ok(&out);
    assert!(stdout.contains("crashes"), "{}", text(&out));
    let journal = journal_of(&config);
    assert!(
        derived(&journal) == reference,
        "the run differs from a clean run"
    );
    let conn = Connection::open(&journal).unwrap();
    let stalled: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'worker_stalled'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stalled >= 1, "no stall was journaled");
    let timed_out: String = conn
        .query_row(
            "SELECT group_concat(exit_status, ' | ') FROM workers",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(timed_out.contains("timed out after"), "{timed_out}");
    assert_eq!(open_sessions(&journal), 0);
}

#[test]
fn a_spec_that_hangs_twice_is_journaled_as_a_timeout() {
    let (_r, reference) = reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    append_run_settings(&config, "batch_timeout = 1.0");
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "50"])
        .env("SPECSEARCH_FAULT_HANG_SPEC", "77")
        .output()
        .unwrap();
    assert_ok(&out);
    let got = derived(&journal_of(&config));
    let line = got.iter().find(|l| l.starts_with("o 77 ")).unwrap();
    assert!(line.contains("worker timed out after 1 s"), "{line}");
    let others = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.starts_with("o ") && !l.starts_with("o 77 "))
            .cloned()
            .collect()
    };
    assert!(others(&got) == others(&reference));
}

/// A timeout is not the spec's verdict: running the config again evaluates the spec anew
/// (here without the hang), and the journal is then the clean run's, counters included.
#[test]
fn a_timed_out_spec_is_evaluated_again_by_the_next_run() {
    let (_r, reference) = reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    append_run_settings(&config, "batch_timeout = 1.0");
    let run = |hang: bool| {
        let mut cmd = specsearch();
        cmd.arg("run")
            .arg(&config)
            .args(["--workers", "2", "--batch-size", "50"]);
        if hang {
            cmd.env("SPECSEARCH_FAULT_HANG_SPEC", "77");
        }
        cmd.output().unwrap()
    };
    assert_ok(&run(true));
    let journal = journal_of(&config);
    let timed_out = |journal: &Path| -> i64 {
        Connection::open(journal)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM outcome_status WHERE message LIKE 'worker timed out%'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(timed_out(&journal), 1);
    let out = run(false);
    assert_ok(&out);
    assert!(
        text(&out).contains("1 spec(s) of run") && text(&out).contains("evaluating them again"),
        "{}",
        text(&out)
    );
    assert_eq!(timed_out(&journal), 0);
    assert!(
        derived(&journal) == reference,
        "the run after the retry differs from a clean run"
    );
    // The counters agree with a scan, and the result commands trust the journal again.
    let status = specsearch().arg("status").arg(&config).output().unwrap();
    assert_ok(&status);
    let conn = Connection::open(&journal).unwrap();
    let (errors, status): (i64, String) = conn
        .query_row(
            "SELECT (SELECT coalesce(sum(specs), 0) FROM outcome_counts WHERE status = 2), \
             (SELECT status FROM runs)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((errors, status.as_str()), (0, "complete"));
}

#[test]
fn ctrl_c_with_a_hanging_worker_stops_within_the_drain_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    // The watchdog would take a minute; the drain deadline is one second.
    append_run_settings(&config, "drain_timeout = 1.0");
    let marks = tempfile::tempdir().unwrap();
    let mut child = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "50"])
        .env("SPECSEARCH_FAULT_HANG_SPEC", "77")
        .env("SPECSEARCH_FAULT_HANG_MARK_DIR", marks.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The worker says when it hangs.
    let mark = marks.path().join("hung-77");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !mark.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        assert!(
            std::time::Instant::now() < deadline,
            "spec 77 was never reached"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let asked = std::time::Instant::now();
    kill(child.id() as i32, Signal::SIGINT);
    let out = child.wait_with_output().unwrap();
    let took = asked.elapsed();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        took < std::time::Duration::from_secs(20),
        "the stop took {took:?} despite drain_timeout = 1"
    );
    let journal = journal_of(&config);
    assert_eq!(open_sessions(&journal), 0);
    let conn = Connection::open(&journal).unwrap();
    let (status, drained): (String, i64) = conn
        .query_row(
            "SELECT (SELECT status FROM runs), \
             (SELECT count(*) FROM events WHERE kind = 'drain_timeout')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "interrupted");
    assert_eq!(drained, 1);
}

#[test]
fn a_killed_coordinators_session_is_closed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut cmd = specsearch();
    cmd.arg("run").arg(&config).args(["--workers", "2"]);
    let run = PausedRun::start(cmd, 100);
    run.signal(Signal::SIGKILL);
    run.wait();
    let journal = journal_of(&config);
    assert_eq!(open_sessions(&journal), 1);
    assert_ok(&run_cli(&config, &[]));
    assert_eq!(open_sessions(&journal), 0);
}

// ---------------------------------------------------------------------------------------------
// Small things that bite.

#[test]
fn a_closed_stdout_ends_run_quietly_after_the_journal_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut child = specsearch()
        .arg("run")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(first.starts_with("run "), "{first}");
    let conn = Connection::open(journal_of(&config)).unwrap();
    let status: String = conn
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "complete");
}

#[test]
fn merge_refuses_to_write_into_one_of_its_shards() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &["--shard", "0/2", "-j", "1"]));
    let shard = dir
        .path()
        .join("search.specsearch/journal-shard-0-of-2.sqlite");
    let before = std::fs::read(&shard).unwrap();
    let out = specsearch()
        .arg("merge")
        .arg(&shard)
        .arg(&shard)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is also one of the shards"),
        "{}",
        text(&out)
    );
    let conn = Connection::open(&shard).unwrap();
    let status: String = conn
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "complete", "the shard's run was changed");
    drop(conn);
    assert!(!before.is_empty());
}

#[test]
fn query_allows_read_only_pragmas_and_refuses_writing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &[]));
    let out = specsearch()
        .args(["query"])
        .arg(&config)
        .args(["pragma journal_mode", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&assert_ok(&out)).unwrap();
    assert_eq!(v[0]["journal_mode"], "wal");
    let out = specsearch()
        .args(["query"])
        .arg(&config)
        .arg("pragma journal_mode = delete")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
}

#[test]
fn an_export_of_an_unfinished_run_says_it_is_partial() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut cmd = specsearch();
    cmd.arg("run").arg(&config).args(["--workers", "2"]);
    let run = PausedRun::start(cmd, 100);
    let csv = dir.path().join("partial.csv");
    let out = specsearch()
        .arg("export")
        .arg(&config)
        .args(["--what", "outcomes", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("partial"));
    let first = std::fs::read_to_string(&csv).unwrap();
    let first = first.lines().next().unwrap();
    assert!(
        first.starts_with("# partial: run") && first.contains("is running"),
        "{first}"
    );
    run.resume();
    assert_ok(&run.wait());
}

#[test]
fn a_copy_of_the_journal_file_alone_has_the_schema_while_a_run_writes() {
    // The journal alone (no WAL next to it) is a journal from the first moment of a run.
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut cmd = specsearch();
    cmd.arg("run").arg(&config).args(["--workers", "2"]);
    let run = PausedRun::start(cmd, 100);
    let copy = dir.path().join("copy.sqlite");
    std::fs::copy(journal_of(&config), &copy).unwrap();
    let tables: i64 = Connection::open(&copy)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('runs', 'outcomes')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 2, "a copy of journal.sqlite alone has no schema");
    run.resume();
    assert_ok(&run.wait());
}

// ---------------------------------------------------------------------------------------------
// Messages that name the cause.

#[test]
fn a_changed_data_value_is_called_a_data_change() {
    let (dir, config) = crate::common::demo_copy();
    let small = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_vars = 3", "max_vars = 1");
    std::fs::write(&config, small).unwrap();
    assert_ok(&run_cli(&config, &[]));
    let data = dir.path().join("data/consumption.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, text.replacen("1751.8", "1751.9", 1)).unwrap();
    let out = run_cli(&config, &[]);
    assert_ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the data changed since run") && !err.contains("config changed"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_reported_once() {
    let (dir, config) = crate::common::demo_copy();
    std::fs::remove_file(dir.path().join("data/macro.csv")).unwrap();
    let out = run_cli(&config, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("macro.csv"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn a_constant_column_is_excluded_as_constant() {
    let (dir, config) = crate::common::demo_copy();
    let mac = dir.path().join("data/macro.csv");
    let text = std::fs::read_to_string(&mac).unwrap();
    let with_flat: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},flat")
            } else {
                format!("{l},5.0")
            }
        })
        .collect();
    std::fs::write(&mac, with_flat.join("\n") + "\n").unwrap();
    let meta = dir.path().join("data/metadata.csv");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(&meta, format!("{text}flat,rate,flatness,average,\n")).unwrap();
    let cfg = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"pop\",", "\"pop\", \"flat\",");
    std::fs::write(&config, cfg).unwrap();
    let out = specsearch()
        .arg("plan")
        .arg(&config)
        .args(["--sample", "0"])
        .output()
        .unwrap();
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains("constant (5) on every in-sample date"),
        "{stdout}"
    );
    assert!(!stdout.contains("ADF p = n/a"), "{stdout}");
}

#[test]
fn a_damaged_journal_is_named_with_a_way_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &[]));
    let journal = journal_of(&config);
    // Garble the pages after the header: SQLite opens it and then finds it malformed.
    let mut bytes = std::fs::read(&journal).unwrap();
    for b in bytes.iter_mut().skip(4096).take(64 * 1024) {
        *b = 0x5a;
    }
    std::fs::write(&journal, bytes).unwrap();
    std::fs::remove_file(journal.with_extension("sqlite-wal")).ok();
    let out = specsearch().arg("status").arg(&config).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("journal.sqlite") && err.contains(".recover"),
        "{err}"
    );
}
