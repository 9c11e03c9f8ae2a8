//! `specsearch run` end to end: executor / transport / worker-count equivalence, resume after
//! SIGKILL (coordinator or a worker) and SIGINT, crash isolation, and the workspace lock.
//!
//! Every comparison is on the journal's content (outcome for outcome, and the derived ranking),
//! which is what users query.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{assert_ok, derived, journal_of, small_search, specsearch, PausedRun};
use rusqlite::Connection;

fn run_cli(config: &Path, args: &[&str]) -> std::process::Output {
    specsearch()
        .arg("run")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn integrity_ok(journal: &Path) {
    let conn = Connection::open(journal).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // The writer's counters commit with the outcomes they count: exact after every kill.
    crate::common::assert_counters_match(journal);
    // No spec twice, and no block code without its row (`raw::outcomes` panics on either).
    let runs: Vec<i64> = conn
        .prepare("SELECT run_id FROM runs")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for run in runs {
        crate::raw::outcomes(&conn, run);
    }
}

/// A reference: the same search run serially in a fresh directory.
fn serial_reference() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &["--executor", "serial"]));
    let d = derived(&journal_of(&config));
    (dir, d)
}

fn count_outcomes(journal: &Path) -> i64 {
    let Ok(conn) = Connection::open(journal) else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM outcome_status", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Starts a run in the background, paused once `at_least` outcomes are committed.
fn start_paused_run(config: &Path, at_least: u64) -> PausedRun {
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(config)
        .args(["--workers", "2", "--batch-size", "64"]);
    PausedRun::start(cmd, at_least)
}

fn child_pids(pid: u32) -> Vec<i32> {
    let mut pids = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(children) = std::fs::read_to_string(t.path().join("children")) {
                pids.extend(
                    children
                        .split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
    }
    pids
}

/// Whether a process exists and is not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

fn kill(pid: i32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
}

#[test]
fn executors_transports_and_worker_counts_give_identical_journals() {
    let (_ref_dir, reference) = serial_reference();
    assert!(
        reference.iter().any(|l| l.starts_with("r 1 ")),
        "the reference search passes no model"
    );
    for args in [
        vec!["--executor", "thread", "--workers", "2"],
        vec![
            "--executor",
            "process",
            "--workers",
            "1",
            "--transport",
            "duckdb",
        ],
        vec![
            "--executor",
            "process",
            "--workers",
            "2",
            "--transport",
            "mmap",
            "--batch-size",
            "100",
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = small_search(dir.path());
        assert_ok(&run_cli(&config, &args));
        let got = derived(&journal_of(&config));
        assert!(got == reference, "{args:?} differs from the serial run");
        integrity_ok(&journal_of(&config));
    }
}

#[test]
fn second_invocation_reports_complete_and_changed_config_starts_a_new_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &["--workers", "2"]));
    let again = assert_ok(&run_cli(&config, &[]));
    assert!(again.contains("is complete"), "{again}");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("max_vars = 3", "max_vars = 2")).unwrap();
    let out = run_cli(&config, &["--workers", "2"]);
    let stdout = assert_ok(&out);
    assert!(stdout.contains("(new)"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("changed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigkill_of_the_coordinator_then_resume_equals_an_uninterrupted_run() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    // Killed three times at growing points of the same run (each session pauses after its
    // own count of outcomes), then resumed to the end.
    let mut last = 0;
    for (session_outcomes, kill_point) in [(200, 200), (1000, 1200), (1200, 2400)] {
        let run = start_paused_run(&config, session_outcomes);
        let workers = child_pids(run.child.id());
        run.signal(nix::sys::signal::Signal::SIGKILL);
        run.wait();
        // The workers die with their coordinator (parent-death signal).
        let deadline = Instant::now() + Duration::from_secs(10);
        while workers.iter().any(|&w| alive(w)) {
            assert!(
                Instant::now() < deadline,
                "workers {workers:?} outlived their coordinator"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        integrity_ok(&journal_of(&config));
        let partial = count_outcomes(&journal_of(&config));
        assert!(
            partial >= kill_point as i64 && partial > last,
            "{partial} outcomes after the kill at {kill_point}"
        );
        last = partial;
    }
    let out = assert_ok(&run_cli(&config, &["--workers", "2"]));
    assert!(out.contains("(resumed)"), "{out}");
    assert!(
        derived(&journal_of(&config)) == reference,
        "resumed run differs"
    );
    integrity_ok(&journal_of(&config));
    // Four sessions: three killed, one that finished.
    let conn = Connection::open(journal_of(&config)).unwrap();
    let sessions: i64 = conn
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sessions, 4);
}

#[test]
fn sigkill_of_a_worker_requeues_its_specs() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let run = start_paused_run(&config, 200);
    let workers = child_pids(run.child.id());
    assert_eq!(workers.len(), 2, "worker processes: {workers:?}");
    kill(workers[0], nix::sys::signal::Signal::SIGKILL);
    run.resume();
    let out = run.wait();
    let stdout = assert_ok(&out);
    assert!(stdout.contains("crashes"), "{stdout}");
    assert!(
        derived(&journal_of(&config)) == reference,
        "run with a killed worker differs"
    );
    integrity_ok(&journal_of(&config));
    let conn = Connection::open(journal_of(&config)).unwrap();
    let statuses: Vec<String> = conn
        .prepare("SELECT exit_status FROM workers ORDER BY worker")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        statuses.iter().any(|s| s.contains("signal 9")),
        "{statuses:?}"
    );
}

#[test]
fn a_spec_that_kills_two_workers_is_journaled_as_an_error() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "50"])
        .env("SPECSEARCH_FAULT_CRASH_SPEC", "77")
        .output()
        .unwrap();
    assert_ok(&out);
    let got = derived(&journal_of(&config));
    let outcomes = |v: &[String]| v.iter().filter(|l| l.starts_with("o ")).count();
    assert_eq!(outcomes(&got), outcomes(&reference));
    let line = got.iter().find(|l| l.starts_with("o 77 ")).unwrap();
    assert!(
        line.contains(" 2 None ") && line.contains("worker crashed: signal 6"),
        "{line}"
    );
    // Every other outcome is the reference's.
    let others = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.starts_with("o ") && !l.starts_with("o 77 "))
            .cloned()
            .collect()
    };
    assert!(others(&got) == others(&reference));
}

#[test]
fn sigint_stops_resumably_and_a_second_coordinator_is_refused() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let run = start_paused_run(&config, 200);
    // While it runs, a second coordinator on the same workspace is refused.
    let second = run_cli(&config, &[]);
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another specsearch run"), "{stderr}");

    run.signal(nix::sys::signal::Signal::SIGINT);
    let out = run.wait();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("resume"));
    integrity_ok(&journal_of(&config));
    let conn = Connection::open(journal_of(&config)).unwrap();
    let status: String = conn
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "interrupted");
    drop(conn);
    assert_ok(&run_cli(&config, &["--workers", "2"]));
    assert!(
        derived(&journal_of(&config)) == reference,
        "resumed run differs"
    );
}

#[test]
fn a_run_whose_workers_keep_crashing_stops_resumably() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let crashing: Vec<String> = (100..140).map(|i| i.to_string()).collect();
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "20"])
        .env("SPECSEARCH_FAULT_CRASH_SPEC", crashing.join(","))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("worker crashes") && stderr.contains("resumes"),
        "{stderr}"
    );
    let conn = Connection::open(journal_of(&config)).unwrap();
    let (status, detail): (String, String) = conn
        .query_row("SELECT status, status_detail FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(status, "interrupted");
    assert!(detail.contains("worker crashes"), "{detail}");
    drop(conn);
    integrity_ok(&journal_of(&config));
    // Without the fault, the same command finishes the run as if nothing had happened, except
    // for the specs already journaled as crashing twice.
    assert_ok(&run_cli(&config, &["--workers", "2"]));
    let got = derived(&journal_of(&config));
    let crashed: Vec<&String> = got
        .iter()
        .filter(|l| l.contains("worker crashed"))
        .collect();
    assert!(!crashed.is_empty());
    let outcomes = |v: &[String]| v.iter().filter(|l| l.starts_with("o ")).count();
    assert_eq!(outcomes(&got), outcomes(&reference));
    for line in got
        .iter()
        .filter(|l| l.starts_with("o ") && !l.contains("worker crashed"))
    {
        assert!(
            reference.contains(line),
            "{line} differs from the serial run"
        );
    }
}

#[test]
fn workers_that_cannot_start_fall_back_to_serial_and_say_so() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let out = run_cli(
        &config,
        &["--workers", "2", "--worker-exe", "/nonexistent/specsearch"],
    );
    let stdout = assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("falling back to serial"), "{stderr}");
    assert!(stdout.contains("serial (fallback)"), "{stdout}");
    assert!(
        derived(&journal_of(&config)) == reference,
        "fallback run differs"
    );
}

/// The words of a command line printed for a POSIX shell: split at blanks, single quotes kept
/// together (what `shell_quote` writes).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut started) = (false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Issue 30, item 1: `run --fresh` interrupted prints a command that resumes *that* run (not
/// the same command, which would start yet another fresh run); running the printed command
/// resumes it, and the result equals an uninterrupted run.
#[test]
fn an_interrupted_fresh_run_resumes_with_the_printed_command() {
    let (_ref_dir, reference) = serial_reference();
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(&run_cli(&config, &["--executor", "serial"]));

    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "64", "--fresh"]);
    let run = PausedRun::start(cmd, 200);
    run.signal(nix::sys::signal::Signal::SIGINT);
    let out = run.wait();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        crate::common::text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("same command"), "{stderr}");
    let line = stderr
        .lines()
        .skip_while(|l| !l.contains("to resume run"))
        .nth(1)
        .unwrap_or_else(|| panic!("no resume command in: {stderr}"));
    let words = shell_words(line);
    assert_eq!(&words[..2], ["specsearch", "run"], "{line}");
    assert!(!words.iter().any(|w| w == "--fresh"), "{line}");
    let journal = journal_of(&config);
    let status = |run_id: i64| -> String {
        Connection::open(&journal)
            .unwrap()
            .query_row("SELECT status FROM runs WHERE run_id = ?1", [run_id], |r| {
                r.get(0)
            })
            .unwrap()
    };
    assert_eq!(status(2), "interrupted");

    // The printed command, as a person would paste it (run from the same directory).
    let resumed = specsearch().args(&words[1..]).output().unwrap();
    let stdout = assert_ok(&resumed);
    assert!(stdout.contains("(resumed)"), "{stdout}");
    let runs: i64 = Connection::open(&journal)
        .unwrap()
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        runs, 2,
        "the command started another run instead of resuming"
    );
    assert_eq!(status(2), "complete");
    assert!(
        crate::common::run_content(&journal, 2) == reference,
        "the resumed fresh run differs from an uninterrupted run"
    );

    // A run that is not of this config is refused, naming the runs that are.
    let wrong = run_cli(&config, &["--run", "nosuch#9"]);
    assert!(!wrong.status.success());
    let text = String::from_utf8_lossy(&wrong.stderr);
    assert!(text.contains("no run `nosuch#9`"), "{text}");
}
