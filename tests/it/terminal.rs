//! What a person sees: `run` in a pseudo-terminal 80 columns wide, its bytes replayed through a
//! terminal emulator (vt100) — the progress line is one line that fits, with its percentage
//! and the run's overall position (also on resume), a double Ctrl-C leaves no fragment of it;
//! colour only on a terminal and never with NO_COLOR; no escape code at all into a pipe; and
//! `--version` says the version, the commit and the linked DuckDB and SQLite.
//!
//! Mid-run states are reached with the coordinator's pause point (SPECSEARCH_FAULT_PAUSE,
//! src/runtime/faults.rs), never with a sleep: the test waits for the screen to show a state.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{assert_ok, journal_of, small_search, specsearch};
use nix::pty::{openpty, Winsize};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const COLS: u16 = 80;
/// Taller than anything a run prints, so nothing scrolls out of the emulated screen.
const ROWS: u16 = 500;

/// A command whose stdout and stderr are a pseudo-terminal; everything it writes is kept.
struct Terminal {
    child: Child,
    cols: u16,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Terminal {
    fn spawn(cmd: Command) -> Terminal {
        Terminal::spawn_cols(cmd, COLS)
    }

    /// `cmd` in a terminal `cols` columns wide.
    fn spawn_cols(mut cmd: Command, cols: u16) -> Terminal {
        let size = Winsize {
            ws_row: 50,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty =
            openpty(Some(&size), None::<&nix::sys::termios::Termios>).expect("a pseudo-terminal");
        let slave_out = pty.slave.try_clone().unwrap();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(slave_out))
            .stderr(Stdio::from(pty.slave));
        let child = cmd.spawn().unwrap();
        // The parent's copies of the slave must go, or reading never ends.
        drop(cmd);
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = output.clone();
        let mut master = std::fs::File::from(pty.master);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends with EIO once every process holding the slave (workers too) has exited.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            child,
            cols,
            output,
            reader: Some(reader),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// The screen the bytes so far draw, one string per row (trailing blanks dropped).
    fn screen(&self) -> Screen {
        Screen::of_cols(&self.bytes(), self.cols)
    }

    /// Waits until the screen satisfies `ready` (the run keeps drawing while paused).
    fn wait_for(&mut self, what: &str, ready: impl Fn(&Screen) -> bool) -> Screen {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                let screen = self.screen();
                if ready(&screen) {
                    return screen;
                }
                panic!(
                    "exited ({status}) before showing {what}:\n{}",
                    screen.text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "never showed {what}:\n{}",
                screen.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }

    /// Waits for the exit; returns its code and the final screen.
    fn finish(mut self) -> (Option<i32>, Screen, Vec<u8>) {
        let status = self.child.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        let bytes = self.bytes();
        (status.code(), Screen::of_cols(&bytes, self.cols), bytes)
    }
}

struct Screen {
    rows: Vec<String>,
    wrapped: Vec<bool>,
}

impl Screen {
    /// The screen of a terminal `cols` columns wide.
    fn of_cols(bytes: &[u8], cols: u16) -> Screen {
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(ROWS).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        );
        parser.process(bytes);
        let screen = parser.screen();
        let wrapped: Vec<bool> = (0..ROWS).map(|r| screen.row_wrapped(r)).collect();
        let rows: Vec<String> = screen
            .rows(0, cols)
            .zip(&wrapped)
            .map(|(r, &w)| if w { r } else { r.trim_end().to_string() })
            .collect();
        Screen { rows, wrapped }
    }

    /// The text as written: rows a long line wrapped onto are joined back.
    fn text(&self) -> String {
        let last = self.rows.iter().rposition(|r| !r.is_empty()).unwrap_or(0);
        let mut out = String::new();
        for (row, wrapped) in self.rows[..=last].iter().zip(&self.wrapped) {
            out.push_str(row);
            if !wrapped {
                out.push('\n');
            }
        }
        out
    }

    /// Rows that are a progress line (its ETA field is in no other output).
    fn progress_rows(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.rows[i].contains(" · ETA "))
            .collect()
    }
}

/// Spec count of the latest run in a journal.
fn spec_count(journal: &Path) -> u64 {
    let conn = rusqlite::Connection::open(journal).unwrap();
    conn.query_row(
        "SELECT spec_count FROM runs ORDER BY run_id DESC LIMIT 1",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

fn journaled(journal: &Path) -> u64 {
    let conn = rusqlite::Connection::open(journal).unwrap();
    conn.query_row("SELECT count(*) FROM outcome_status", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

/// `run CONFIG -j 1` in a terminal, paused after `after` committed outcomes (pause files in
/// `signals`).
fn paused_run(config: &Path, after: u64, signals: &Path) -> Terminal {
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(config)
        .args(["-j", "1", "--batch-size", "50"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env(
            "SPECSEARCH_FAULT_PAUSE",
            format!("{after}:{}", signals.display()),
        );
    Terminal::spawn(cmd)
}

fn wait_paused(term: &mut Terminal, signals: &Path) -> u64 {
    let paused = signals.join("paused");
    term.wait_for("the pause point", |_| paused.exists());
    std::fs::read_to_string(paused)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The progress line shown for `done` of `total` (exact counts below 100,000).
fn shows_position(screen: &Screen, done: u64, total: u64) -> bool {
    let position = format!("{}/{} ", group(done), group(total));
    screen
        .progress_rows()
        .iter()
        .any(|&i| screen.rows[i].contains(&position))
}

/// 12345 → "12,345", as the progress line writes counts below 100,000.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn assert_one_unwrapped_line(screen: &Screen) {
    let rows = screen.progress_rows();
    assert_eq!(rows.len(), 1, "one progress line:\n{}", screen.text());
    let row = rows[0];
    let line = &screen.rows[row];
    assert!(
        !screen.wrapped[row] && (row == 0 || !screen.wrapped[row - 1]),
        "the progress line wraps:\n{}",
        screen.text()
    );
    assert!(line.chars().count() < COLS as usize, "{line:?}");
    let percent = line.split('%').next().unwrap().trim();
    assert!(
        percent.parse::<u32>().is_ok_and(|p| p <= 100),
        "a percentage first: {line:?}"
    );
    for field in ["/s · ", " passed · ", " error"] {
        assert!(line.contains(field), "{field:?} in {line:?}");
    }
}

#[test]
fn the_progress_line_fits_80_columns_shows_the_overall_position_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let journal = journal_of(&config);

    // A first session, paused mid-way: one line, no wrap, its position on it.
    let signals = tempfile::tempdir().unwrap();
    let mut term = paused_run(&config, 300, signals.path());
    let committed = wait_paused(&mut term, signals.path());
    let total = spec_count(&journal);
    assert!(
        committed < total,
        "{committed} of {total}: the run must pause mid-way"
    );
    let screen = term.wait_for("the paused position", |s| {
        shows_position(s, committed, total)
    });
    assert_one_unwrapped_line(&screen);

    // A double Ctrl-C: the run stops at once, and no fragment of the line is left.
    term.signal(Signal::SIGINT);
    term.signal(Signal::SIGINT);
    let (code, screen, _) = term.finish();
    assert_eq!(code, Some(130), "{}", screen.text());
    assert!(
        screen.progress_rows().is_empty(),
        "a fragment of the progress line is left:\n{}",
        screen.text()
    );
    assert!(
        screen.text().contains("interrupted by SIGINT"),
        "{}",
        screen.text()
    );
    for row in &screen.rows {
        assert!(!row.contains('█') && !row.contains('░'), "{row:?}");
    }

    // The resumed session counts what the first journaled: the line shows the run's overall
    // position, not this session's.
    let before = journaled(&journal);
    assert!(before >= committed && before < total, "{before}");
    let signals = tempfile::tempdir().unwrap();
    let mut term = paused_run(&config, 200, signals.path());
    let now = wait_paused(&mut term, signals.path());
    let screen = term.wait_for("the resumed overall position", |s| {
        shows_position(s, before + now, total)
    });
    assert_one_unwrapped_line(&screen);
    std::fs::write(signals.path().join("resume"), "").unwrap();
    let (code, screen, _) = term.finish();
    assert_eq!(code, Some(0), "{}", screen.text());
    assert!(screen.progress_rows().is_empty(), "{}", screen.text());
    let text = screen.text();
    // The summary ends with what to try next, spelt for this config.
    let config_arg = config.display().to_string();
    assert!(
        text.contains(&format!("next       specsearch show {config_arg} 1")),
        "{text}"
    );
    assert!(
        text.contains(&format!("specsearch report {config_arg} -o report.html")),
        "{text}"
    );
}

/// Whether the bytes hold an SGR (colour / style) escape sequence: ESC [ digits;… m.
fn has_colour(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.split('\x1b').skip(1).any(|seq| {
        let Some(body) = seq.strip_prefix('[') else {
            return false;
        };
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(body.len());
        body[end..].starts_with('m')
    })
}

fn quick_run(config: &Path, no_color: bool) -> Vec<u8> {
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(config)
        .args(["-j", "1", "--fresh"])
        .env_remove("RUST_LOG");
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let (code, screen, bytes) = Terminal::spawn(cmd).finish();
    assert_eq!(code, Some(0), "{}", screen.text());
    bytes
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color_and_no_escape_into_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    // On a terminal the log's levels are coloured (which shows the check below can fail)…
    assert!(has_colour(&quick_run(&config, false)));
    // …and not with NO_COLOR (the progress line itself never has colour).
    let bytes = quick_run(&config, true);
    assert!(!has_colour(&bytes), "{:?}", String::from_utf8_lossy(&bytes));

    // Into a pipe: not one escape code, and the stages are plain log lines.
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["-j", "1", "--fresh"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_ok(&out);
    for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !stream.contains(&0x1b),
            "an escape code in {name}: {:?}",
            String::from_utf8_lossy(stream)
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    for stage in [
        "planning the search…",
        "freezing the features",
        "finishing:",
    ] {
        assert!(stderr.contains(stage), "{stage:?} in {stderr}");
    }
}

#[test]
fn a_dumb_terminal_gets_no_escape_codes() {
    // TERM=dumb (Emacs shells, some CI logs) shows escape codes as text: no colour, no
    // redrawn progress line, although stderr is a terminal.
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["-j", "1"])
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env("TERM", "dumb");
    let (code, screen, bytes) = Terminal::spawn(cmd).finish();
    assert_eq!(code, Some(0), "{}", screen.text());
    assert!(
        !bytes.contains(&0x1b),
        "an escape code: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(screen.text().contains("finishing:"), "{}", screen.text());
}

fn git_commit() -> Option<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(&root)
        .output()
        .ok()?;
    let top = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    if !out.status.success() || top.canonicalize().ok()? != root.canonicalize().ok()? {
        return None;
    }
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
}

#[test]
fn version_names_the_commit_and_the_linked_duckdb_and_sqlite() {
    let out = assert_ok(&specsearch().arg("--version").output().unwrap());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines[0],
        format!("specsearch {}", env!("CARGO_PKG_VERSION"))
    );
    // The commit of this checkout (built from it), or "unknown" outside a repository.
    let commit = git_commit().unwrap_or_else(|| "unknown".into());
    assert_eq!(lines[1], format!("commit     {commit}"), "{out}");
    // The libraries as they report themselves in this process (the same bundled builds).
    let duckdb: (String, String) = duckdb::Connection::open_in_memory()
        .unwrap()
        .query_row(
            "SELECT library_version, source_id FROM pragma_version()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        duckdb.0.starts_with('v') && duckdb.0[1..].starts_with(|c: char| c.is_ascii_digit()),
        "{duckdb:?}"
    );
    assert_eq!(
        lines[2],
        format!("duckdb     {} (source id {})", duckdb.0, duckdb.1)
    );
    assert_eq!(lines[3], format!("sqlite     {}", rusqlite::version()));
    assert!(rusqlite::version().starts_with("3."));
    // The same from a subcommand and from -V.
    for args in [&["run", "--version"][..], &["-V"][..]] {
        assert_eq!(
            assert_ok(&specsearch().args(args).output().unwrap()),
            out,
            "{args:?}"
        );
    }
}

/// `specsearch ARGS` in a terminal `cols` wide: asserts it succeeds and that no line of what it
/// printed is wider than the terminal (the terminal would wrap it); returns the text.
fn fits(args: &[&std::ffi::OsStr], cols: u16) -> String {
    let mut cmd = specsearch();
    cmd.args(args).env_remove("RUST_LOG").env("NO_COLOR", "1");
    let (code, screen, _) = Terminal::spawn_cols(cmd, cols).finish();
    let what = format!("{args:?} at {cols} columns");
    assert_eq!(code, Some(0), "{what}:\n{}", screen.text());
    let progress = screen.progress_rows();
    let wrapped: Vec<&String> = (0..screen.rows.len())
        .filter(|&i| screen.wrapped[i] && !progress.contains(&i) && !progress.contains(&(i + 1)))
        .map(|i| &screen.rows[i])
        .collect();
    assert!(
        wrapped.is_empty(),
        "{what}: lines wider than the terminal: {wrapped:#?}\n{}",
        screen.text()
    );
    screen.text()
}

/// Issue 30, item 3: what `run`, `show`, `top`, `status` and `failures` print fits terminals of
/// 80 and 100 columns — long cells wrap, tables too wide become blocks, the forced items of
/// the top models are "+ 7 forced" — where `show`'s tests table alone was ~200 columns.
#[test]
fn results_fit_terminals_of_80_and_100_columns() {
    let (_demo, config) = crate::common::demo_copy();
    let dir = tempfile::tempdir().unwrap();
    let ppnr = dir.path().join("ppnr");
    assert_ok(
        &specsearch()
            .args(["synth", ppnr.to_str().unwrap(), "--preset", "ppnr"])
            .args(["--rate-drivers", "1,1,1"])
            .output()
            .unwrap(),
    );
    let ppnr = ppnr.join("search.toml");
    let c = config.as_os_str();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    for cols in [80, 100] {
        let fresh: &[&std::ffi::OsStr] = if cols == 80 { &[] } else { &[os("--fresh")] };
        let run = [&[os("run"), c, os("-j"), os("2")][..], fresh].concat();
        let text = fits(&run, cols);
        assert!(text.contains("top models"), "{text}");
        fits(&[os("show"), c, os("1")], cols);
        fits(&[os("top"), c, os("-n"), os("10")], cols);
        fits(&[os("top"), c, os("--scenario"), os("Severe")], cols);
        fits(&[os("status"), c], cols);
        fits(&[os("failures"), c], cols);
        let run = [&[os("run"), ppnr.as_os_str(), os("-j"), os("2")][..], fresh].concat();
        let text = fits(&run, cols);
        assert!(text.contains(" + 7 forced"), "{text}");
        // No composites in this search: nothing said about them (issue 30, item 5).
        assert!(
            !text.contains("composite") && !text.contains("mutation") && !text.contains("replay"),
            "{text}"
        );
        fits(&[os("show"), ppnr.as_os_str(), os("1")], cols);
    }
}
