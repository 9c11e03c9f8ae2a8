//! Closed and full outputs (issue 31, items 5 and 6): no panic when stderr is a pipe whose
//! reader went away (`run … 2>&1 | head -1`) or stdout is a full device (`/dev/full`), the run's
//! state consistent whatever happens to the terminal; `query` streams its rows with bounded
//! memory (peak RSS measured on a journal of more than a million rows).

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::Stdio;

use crate::common::{assert_ok, journal_of, small_search, specsearch};

fn run_status(journal: &Path) -> String {
    rusqlite::Connection::open(journal)
        .unwrap()
        .query_row(
            "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_run_whose_reader_goes_away_ends_without_a_panic_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    // `specsearch run CONFIG 2>&1 | head -1`: one pipe for both, its reader gone after one
    // line while the run is provably still running (paused after 64 outcomes, see
    // src/runtime/faults.rs), so everything it logs from then on meets a closed pipe.
    let signals = tempfile::tempdir().unwrap();
    // Close-on-exec: no child (nor this run's workers) may hold the reader open.
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let mut child = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "64"])
        .env(
            "SPECSEARCH_FAULT_PAUSE",
            format!("64:{}", signals.path().display()),
        )
        .stdout(Stdio::from(write.try_clone().unwrap()))
        .stderr(Stdio::from(write))
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(std::fs::File::from(read));
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    while !signals.path().join("paused").exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(reader);
    std::fs::write(signals.path().join("resume"), "").unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    // Ended by SIGPIPE (or its shell code) once everything is journaled, never by a panic.
    assert!(
        status.signal() == Some(nix::libc::SIGPIPE) || matches!(status.code(), Some(0 | 141)),
        "{status:?}"
    );
    assert_eq!(run_status(&journal_of(&config)), "complete");
}

#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let full = || Stdio::from(std::fs::File::create("/dev/full").unwrap());
    // The run is journaled completely; only its summary cannot be printed.
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--workers", "2"])
        .stdout(full())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("No space left on device") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(run_status(&journal_of(&config)), "complete");
    for cmd in ["top", "status", "show", "run"] {
        let mut c = specsearch();
        c.arg(cmd).arg(&config);
        if cmd == "show" {
            c.arg("1");
        }
        let out = c.stdout(full()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains("No space left on device") && !err.contains("panicked"),
            "{cmd}: {err}"
        );
    }
}

/// The peak resident memory (kB) the command reported (`SPECSEARCH_TEST_PEAK_RSS`, see
/// src/runtime/faults.rs): its own, not the test process's it was spawned from.
fn peak_rss_kb(file: &Path) -> i64 {
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn query_streams_a_million_rows_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    assert_ok(
        &specsearch()
            .arg("run")
            .arg(&config)
            .args(["--workers", "2"])
            .output()
            .unwrap(),
    );
    // The journal, grown by a table of 1.2 M rows of about 100 bytes each (~150 MB as text).
    const ROWS: u64 = 1_200_000;
    {
        let conn = rusqlite::Connection::open(journal_of(&config)).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
             LIMIT {ROWS}) SELECT x, x * 0.5 AS half, printf('%080d', x) AS padding FROM c;"
        ))
        .unwrap();
    }
    let query = |format: Option<&str>| {
        let mut c = specsearch();
        c.arg("query").arg(&config);
        if let Some(f) = format {
            c.arg(f);
        }
        let rss = tempfile::NamedTempFile::new().unwrap();
        c.arg("SELECT * FROM big")
            .env("SPECSEARCH_TEST_PEAK_RSS", rss.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let counter = std::thread::spawn(move || {
            let mut lines = 0u64;
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = stdout.read(&mut buf).unwrap();
                if n == 0 {
                    return lines;
                }
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            }
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).unwrap();
            s
        });
        let code = child.wait().unwrap().code().unwrap_or(-1);
        (
            peak_rss_kb(rss.path()),
            code,
            counter.join().unwrap(),
            err.join().unwrap(),
        )
    };
    let (rss_kb, code, lines, err) = query(Some("--csv"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines, ROWS + 1, "{err}");
    eprintln!("query --csv of {ROWS} rows: peak RSS {} MB", rss_kb / 1024);
    assert!(rss_kb < 120 * 1024, "peak RSS {rss_kb} kB: {err}");
    let (rss_kb, code, _, err) = query(Some("--json"));
    assert_eq!(code, 0, "{err}");
    assert!(rss_kb < 120 * 1024, "peak RSS {rss_kb} kB: {err}");
    // The human table shows the first rows and says where the rest are.
    let (rss_kb, code, lines, err) = query(None);
    assert_eq!(code, 0, "{err}");
    assert!(lines < 10_100, "{lines}");
    assert!(err.contains("export --sql"), "{err}");
    assert!(rss_kb < 120 * 1024, "peak RSS {rss_kb} kB: {err}");
}
