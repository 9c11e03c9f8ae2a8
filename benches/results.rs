//! Looking at results at scale (`cargo bench --bench results`): every inspection command on a
//! journal of ~20 million outcomes, as a user runs them (each a fresh `specsearch` process; wall
//! time and that process's peak RSS).
//!
//! The journal comes from a real search (so `show` has a frozen bundle to refit from and the
//! re-run finds a real complete run): `specsearch synth` with 60 variables, 240 months, a pool
//! of 44 and `max_vars` 4, searched with the process executor and 2 workers. Building it takes
//! several minutes, so it is kept in `$CARGO_TARGET_DIR/specsearch-bench/results/` and reused
//! by later runs of the benchmark (`SPECSEARCH_BENCH_REBUILD=1` builds it again).
//!
//! Timed: `status`, `failures`, `top`, `show 1`, `run` of the complete run (which only has to
//! say it is complete), `export --what outcomes` to CSV and to Parquet (rows/s and peak RSS),
//! and every example of `sql/examples.sql` through `query` (those that read every outcome are
//! linear in the journal and stopped with Ctrl-C after 180 s). Markdown for BENCHMARKS.md goes to
//! stdout. Not a criterion benchmark: one run of each command is the measurement.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Time allowed to each example of sql/examples.sql.
const EXAMPLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

const EXE: &str = env!("CARGO_BIN_EXE_specsearch");

struct Timed {
    seconds: f64,
    /// Stopped (Ctrl-C) at the time limit.
    timed_out: bool,
    max_rss_mb: f64,
    stdout: String,
}

/// Runs the binary with `args`, timing it and reading its own peak RSS (wait4's rusage).
fn timed(args: &[&str]) -> Timed {
    timed_within(args, None)
}

/// As [`timed`], sending SIGINT (which `query` answers by stopping its statement) once `limit`
/// has passed.
fn timed_within(args: &[&str], limit: Option<std::time::Duration>) -> Timed {
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    // Reaped by wait4 below (which also gives its rusage), not by Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(EXE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .expect("specsearch starts");
    let mut status = 0;
    // SAFETY: plain syscall on our own child; `usage` is a valid out-pointer.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    let id = child.id() as i32;
    let mut timed_out = false;
    loop {
        // SAFETY: as above; WNOHANG returns 0 while the child runs.
        let pid = unsafe { nix::libc::wait4(id, &mut status, nix::libc::WNOHANG, &mut usage) };
        if pid == id {
            break;
        }
        assert_eq!(pid, 0, "wait4");
        if !timed_out && limit.is_some_and(|l| started.elapsed() >= l) {
            timed_out = true;
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(id), nix::sys::signal::SIGINT).ok();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let seconds = started.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(out.path()).unwrap_or_default();
    assert!(
        timed_out || (nix::libc::WIFEXITED(status) && nix::libc::WEXITSTATUS(status) == 0),
        "specsearch {} failed: {}",
        args.join(" "),
        std::fs::read_to_string(err.path()).unwrap_or_default()
    );
    Timed {
        seconds,
        timed_out,
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout,
    }
}

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("specsearch-bench").join("results")
}

fn examples() -> Vec<(String, String)> {
    let text = include_str!("../sql/examples.sql");
    let mut out = Vec::new();
    for block in text.split("-- example: ").skip(1) {
        let (title, body) = block.split_once('\n').expect("an example has a body");
        let sql: String = body
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        out.push((
            title.trim().to_string(),
            sql.trim().trim_end_matches(';').to_string(),
        ));
    }
    out
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = bench_dir();
    let config = dir.join("search.toml");
    let ws = dir.join("search.specsearch");
    let journal = ws.join("journal.sqlite");
    let rebuild = std::env::var_os("SPECSEARCH_BENCH_REBUILD").is_some();
    let config_s = config.to_string_lossy().into_owned();
    if rebuild || !journal.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("clear the old benchmark journal");
        }
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_string_lossy().into_owned();
        timed(&[
            "synth",
            &d,
            "--variables",
            "60",
            "--months",
            "240",
            "--pool",
            "44",
            "--max-vars",
            "4",
        ]);
        eprintln!("building the journal (a real search; several minutes)…");
        let t = timed(&["run", &config_s, "-j", "2", "--yes", "-q"]);
        eprintln!("search took {:.0} s", t.seconds);
    }
    let conn =
        rusqlite::Connection::open_with_flags(&journal, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the benchmark journal opens");
    let (outcomes, passed): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT sum(evaluated) FROM run_progress), (SELECT count(*) FROM passed)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let bytes = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    drop(conn);

    println!(
        "Journal: {outcomes} outcomes ({passed} passed), {:.2} GB, {:.1} bytes per outcome.\n",
        bytes as f64 / 1e9,
        bytes as f64 / outcomes.max(1) as f64
    );
    println!("| command | wall s | peak RSS MB | note |");
    println!("|---|---:|---:|---|");
    let row = |name: &str, t: &Timed, note: &str| {
        println!(
            "| {name} | {:.3} | {:.0} | {note} |",
            t.seconds, t.max_rss_mb
        );
    };
    for (name, args) in [
        ("status", vec!["status", &config_s]),
        ("failures", vec!["failures", &config_s]),
        ("top", vec!["top", &config_s]),
        ("show 1", vec!["show", &config_s, "1"]),
        ("run (complete)", vec!["run", &config_s, "-q"]),
    ] {
        let t = timed(&args);
        row(&format!("`{name}`"), &t, "");
    }
    for (format, file) in [("csv", "outcomes.csv"), ("parquet", "outcomes.parquet")] {
        let out = dir.join(file);
        let out_s = out.to_string_lossy().into_owned();
        let t = timed(&["export", &config_s, "--what", "outcomes", "-o", &out_s]);
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        row(
            &format!("`export --what outcomes` ({format})"),
            &t,
            &format!(
                "{:.0} rows/s, {:.2} GB",
                outcomes as f64 / t.seconds,
                size as f64 / 1e9
            ),
        );
        std::fs::remove_file(&out).ok();
    }
    // Examples that look at every outcome are linear in the journal (minutes here): each gets
    // at most EXAMPLE_LIMIT, then Ctrl-C.
    for (title, sql) in examples() {
        let t = timed_within(&["query", &config_s, &sql, "--csv"], Some(EXAMPLE_LIMIT));
        let rows = t.stdout.lines().count().saturating_sub(1);
        let note = if t.timed_out {
            format!("stopped after {} s", EXAMPLE_LIMIT.as_secs())
        } else {
            format!("{rows} rows")
        };
        row(&format!("query: {title}"), &t, &note);
    }
}
