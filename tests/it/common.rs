//! Helpers shared by the integration tests: the CLI binary without fault injection, a private
//! copy of the bundled demo, and a small synthetic search.
// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use specsearch::synth::{self, SynthSpec};

/// The fault-injection variables (src/runtime/faults.rs) that a test must not pass on by
/// accident.
pub const FAULT_VARS: [&str; 8] = [
    "SPECSEARCH_FAULT_CRASH_SPEC",
    "SPECSEARCH_FAULT_HANG_SPEC",
    "SPECSEARCH_FAULT_HANG_MARK_DIR",
    "SPECSEARCH_FAULT_KILL_BEFORE_REPLAY",
    "SPECSEARCH_FAULT_KILL_AFTER_STORE_REPLAY",
    "SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC",
    "SPECSEARCH_FAULT_PAUSE",
    "SPECSEARCH_FAULT_PAUSE_SEGMENT",
];

/// Unsets every fault-injection variable in `cmd`'s environment.
pub fn without_faults(cmd: &mut Command) -> &mut Command {
    for var in FAULT_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The `specsearch` binary, with every fault-injection variable unset.
pub fn specsearch() -> Command {
    let mut c = Command::cargo_bin("specsearch").unwrap();
    without_faults(&mut c);
    c
}

/// Says that test `name` is skipped and why, on the process's real stderr: libtest captures
/// `eprintln!` (shown only with `--nocapture` or on failure), so a skipped test would look like
/// a pass. The line's form, `*** SKIPPED NAME: why ***`, is what `.ci/summary` counts for the
/// suite's closing line.
pub fn skip(name: &str, why: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    // Written through the handle, not `eprintln!`, which the test harness captures.
    let _ = writeln!(err, "\n*** SKIPPED {name}: {why} ***");
    let _ = err.flush();
}

/// The bundled demo's directory.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

/// A private copy of the demo (config + data) to run, freeze or break; never the source tree.
pub fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    // Every data file, scenario tables included.
    for entry in std::fs::read_dir(demo_dir().join("data")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("data").join(entry.file_name()),
        )
        .unwrap();
    }
    let config = dir.path().join("search.toml");
    std::fs::copy(demo_dir().join("search.toml"), &config).unwrap();
    (dir, config)
}

/// A small synthetic monthly search (a few thousand specs, some passing) written into `dir`.
pub fn small_search(dir: &Path) -> PathBuf {
    synth::write(
        dir,
        &SynthSpec {
            variables: 8,
            months: 240,
            seed: 7,
            pool: 6,
            max_vars: 3,
            quarterly_share: 0.2,
            ..SynthSpec::default()
        },
    )
    .unwrap()
}

pub fn journal_of(config: &Path) -> PathBuf {
    let stem = config.file_stem().unwrap().to_string_lossy().into_owned();
    config
        .parent()
        .unwrap()
        .join(format!("{stem}.specsearch/journal.sqlite"))
}

/// Asserts that the counters the writer keeps (`outcome_counts`, `feature_counts`,
/// `journaled_ranges`, migration 0007) equal what a full scan of `outcomes` gives, for every
/// run of the journal. Called by [`derived`], so every test that compares results also checks
/// the counters (after kills, resumes, merges).
pub fn assert_counters_match(journal: &Path) {
    let problems = specsearch_journal::Journal::open(journal)
        .unwrap()
        .counter_mismatches()
        .unwrap();
    assert!(problems.is_empty(), "{}: {problems:#?}", journal.display());
}

/// What a merge of shard journals must reproduce of an unsharded run, as comparable lines:
/// every outcome, the ranking with each passed model's detail, the composite features
/// (recorded once, first needed by the lowest spec, replayed once) and the run's status.
pub fn merged_results(journal: &Path) -> Vec<String> {
    assert_counters_match(journal);
    let conn = rusqlite::Connection::open(journal).unwrap();
    let run_id: i64 = conn
        .query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))
        .unwrap();
    crate::raw::assert_view_agrees(&conn, run_id);
    let mut out = crate::raw::lines(&conn, run_id);
    out.extend(
        conn.prepare(
            "SELECT r.rank || ' ' || r.spec_index || ' ' || quote(r.score) || ' ' || p.detail \
             FROM ranking r JOIN passed p USING (run_id, spec_index) WHERE r.run_id = ?1 ORDER BY r.rank",
        )
        .unwrap()
        .query_map([run_id], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap()),
    );
    out.extend(
        conn.prepare(
            "SELECT m.name || ' ' || m.definition || ' ' || m.sha256 || ' ' || m.first_spec_index \
             || ' ' || (SELECT count(*) FROM replays r WHERE r.run_id = m.run_id AND r.name = m.name \
             AND r.action <> 'conflict') FROM mutations m WHERE m.run_id = ?1 ORDER BY m.name",
        )
        .unwrap()
        .query_map([run_id], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap()),
    );
    let status: String = conn
        .query_row("SELECT status FROM runs WHERE run_id = ?1", [run_id], |r| {
            r.get(0)
        })
        .unwrap();
    out.push(status);
    out
}

/// The user-visible content of the latest run: every outcome and the ranking, as text lines.
/// Also checks the journal's counters against its outcomes ([`assert_counters_match`]).
pub fn derived(journal: &Path) -> Vec<String> {
    let run_id: i64 = rusqlite::Connection::open(journal)
        .unwrap()
        .query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))
        .unwrap();
    run_content(journal, run_id)
}

/// Run `run_id`'s outcomes, ranking (with each model's detail) and status as text lines, after
/// checking the journal's counters ([`assert_counters_match`]).
pub fn run_content(journal: &Path, run_id: i64) -> Vec<String> {
    assert_counters_match(journal);
    let conn = rusqlite::Connection::open(journal).unwrap();
    crate::raw::assert_view_agrees(&conn, run_id);
    let mut out = crate::raw::lines(&conn, run_id);
    let mut stmt = conn
        .prepare(
            "SELECT rank, spec_index, quote(score), p.spec_key, p.detail FROM ranking r \
             JOIN passed p USING (run_id, spec_index) WHERE run_id = ?1 ORDER BY rank",
        )
        .unwrap();
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(format!(
                "r {} {} {} {} {}",
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?
            ))
        })
        .unwrap();
    out.extend(rows.map(|r| r.unwrap()));
    let status: String = conn
        .query_row("SELECT status FROM runs WHERE run_id = ?1", [run_id], |r| {
            r.get(0)
        })
        .unwrap();
    out.push(format!("status {status}"));
    out
}

/// stdout and stderr of a finished command, for failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts the command succeeded; returns its stdout.
pub fn assert_ok(out: &Output) -> String {
    assert!(out.status.success(), "command failed: {}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A run started with the coordinator's pause point (`SPECSEARCH_FAULT_PAUSE`, see
/// src/runtime/faults.rs): `start` returns once at least `after` outcomes are committed and
/// the coordinator waits for [`PausedRun::resume`]. What a test does "during" the run happens
/// while it is provably running, without any sleep being long enough.
pub struct PausedRun {
    pub child: std::process::Child,
    signals: tempfile::TempDir,
}

impl PausedRun {
    /// Spawns `cmd` (stdout and stderr piped) paused after `after` committed outcomes.
    pub fn start(mut cmd: Command, after: u64) -> PausedRun {
        let signals = tempfile::tempdir().unwrap();
        cmd.env(
            "SPECSEARCH_FAULT_PAUSE",
            format!("{after}:{}", signals.path().display()),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let paused = signals.path().join("paused");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while !paused.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "the run ended ({status}) before reaching its pause point after {after} \
                     outcomes: {}",
                    text(&out)
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the run did not reach its pause point"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        PausedRun { child, signals }
    }

    /// Outcomes this session had committed when it paused.
    pub fn committed(&self) -> u64 {
        std::fs::read_to_string(self.signals.path().join("paused"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Lets the coordinator go on.
    pub fn resume(&self) {
        std::fs::write(self.signals.path().join("resume"), "").unwrap();
    }

    /// Sends `signal` to the coordinator.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }

    /// Waits for the coordinator to exit and returns its output.
    pub fn wait(self) -> Output {
        self.child.wait_with_output().unwrap()
    }
}

/// The passed-model detail of a journal-level test record (the numbers are arbitrary; only the
/// spec key matters to dedup).
pub fn passed_detail(spec_key: String) -> Box<specsearch_journal::PassedRecord> {
    Box::new(specsearch_journal::PassedRecord {
        spec_key,
        r2: 0.5,
        adj_r2: 0.4,
        is_max_abs: 1.0,
        is_mae: 0.5,
        is_rmse: 0.6,
        oos_max_abs: None,
        oos_mae: None,
        oos_rmse: None,
        cov_type: "nonrobust".into(),
        detail_json: "{}".into(),
    })
}

/// A JSON array of numbers as floats (panics on anything else: a test's expectation).
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
