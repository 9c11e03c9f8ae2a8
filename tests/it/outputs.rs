//! Output paths never destroy data (issue 31, item 1): `export -o` and `report -o` refuse the
//! workspace's stores (however they are named), write a symlink's target and keep the link,
//! and stream `-o -` / `-o /dev/stdout` to standard output.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::common::{assert_ok, small_search, specsearch, text};

struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    workspace: PathBuf,
}

/// One small complete run.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
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
        let workspace = dir.path().join("search.specsearch");
        Fixture {
            _dir: dir,
            config,
            workspace,
        }
    })
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn export(f: &Fixture, args: &[&str], output: &Path) -> Output {
    specsearch()
        .arg("export")
        .arg(&f.config)
        .args(args)
        .arg("-o")
        .arg(output)
        .output()
        .unwrap()
}

#[test]
fn the_workspace_stores_are_refused_as_outputs_and_left_intact() {
    let f = fixture();
    let ws = &f.workspace;
    let other = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(ws.join("journal.sqlite"), other.path().join("j.csv")).unwrap();
    let stores = ["journal.sqlite", "features.duckdb", "features.f64"];
    let before: Vec<Vec<u8>> = stores.iter().map(|s| digest(&ws.join(s))).collect();
    let cases: Vec<(PathBuf, &[&str])> = vec![
        (ws.join("journal.sqlite"), &["--format", "csv"]),
        (ws.join("journal.sqlite-wal"), &["--format", "json"]),
        (ws.join("journal.sqlite-shm"), &["--format", "csv"]),
        (ws.join("features.duckdb"), &["--format", "parquet"]),
        (ws.join("features.f64"), &["--format", "xlsx"]),
        (
            ws.join("../search.specsearch/journal.sqlite"),
            &["--format", "csv"],
        ),
        (other.path().join("j.csv"), &[]),
    ];
    for (path, args) in &cases {
        let out = export(f, args, path);
        assert!(!out.status.success(), "{}: {}", path.display(), text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("one of the workspace's stores") && err.contains(&*path.to_string_lossy()),
            "{}: {err}",
            path.display()
        );
    }
    let out = specsearch()
        .arg("report")
        .arg(&f.config)
        .arg("-o")
        .arg(ws.join("journal.sqlite"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("one of the workspace's stores"));
    let after: Vec<Vec<u8>> = stores.iter().map(|s| digest(&ws.join(s))).collect();
    assert!(before == after, "a store changed");
    assert!(std::fs::symlink_metadata(other.path().join("j.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    // Still a journal every command reads.
    assert_ok(&specsearch().arg("top").arg(&f.config).output().unwrap());
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/passed.csv"), "old").unwrap();
    let link = dir.path().join("passed.csv");
    std::os::unix::fs::symlink("real/passed.csv", &link).unwrap();
    assert_ok(&export(f, &[], &link));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let csv = std::fs::read_to_string(dir.path().join("real/passed.csv")).unwrap();
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.contains(",rank,"), "{header}");
    // A report through a dangling link creates the link's target.
    let page = dir.path().join("report.html");
    std::os::unix::fs::symlink("real/new.html", &page).unwrap();
    assert_ok(
        &specsearch()
            .arg("report")
            .arg(&f.config)
            .args(["--top", "1", "-o"])
            .arg(&page)
            .output()
            .unwrap(),
    );
    assert!(std::fs::symlink_metadata(&page)
        .unwrap()
        .file_type()
        .is_symlink());
    let html = std::fs::read_to_string(dir.path().join("real/new.html")).unwrap();
    assert!(html.contains("<html"), "{}", &html[..200.min(html.len())]);
}

#[test]
fn dash_and_dev_stdout_stream_to_standard_output() {
    let f = fixture();
    let cwd = tempfile::tempdir().unwrap();
    let file = tempfile::tempdir().unwrap();
    let reference = file.path().join("passed.csv");
    assert_ok(&export(f, &[], &reference));
    let expected = std::fs::read_to_string(&reference).unwrap();
    for (path, args) in [("-", &[][..]), ("/dev/stdout", &["--format", "csv"][..])] {
        let out = specsearch()
            .current_dir(cwd.path())
            .arg("export")
            .arg(&f.config)
            .args(args)
            .args(["-o", path])
            .output()
            .unwrap();
        assert_eq!(assert_ok(&out), expected, "{path}");
    }
    // Nothing was created next to the command, and /dev/stdout is still what it was.
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    let out = specsearch()
        .arg("report")
        .arg(&f.config)
        .args(["--top", "1", "-o", "-"])
        .output()
        .unwrap();
    assert!(assert_ok(&out).contains("<html"));
    // JSON and Parquet stream too.
    let out = specsearch()
        .arg("export")
        .arg(&f.config)
        .args(["--format", "parquet", "-o", "-"])
        .output()
        .unwrap();
    assert!(assert_ok(&out).starts_with("PAR1"));
}
