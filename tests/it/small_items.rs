//! The smaller items of issue 31: a freeze cleans up what a killed freeze left, `freeze` is
//! refused while a run holds the workspace, `merge` finds the shards' config from any working
//! directory and refuses to merge into a file that is not a journal.

use std::path::Path;

use crate::common::{assert_ok, small_search, specsearch, text};

#[test]
fn freeze_removes_a_killed_freezes_temporaries_and_waits_for_no_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let ws = dir.path().join("search.specsearch");
    std::fs::create_dir_all(&ws).unwrap();
    let stale = [
        ".features.Ab12Cd.duckdb.tmp",
        ".features.Ab12Cd.duckdb.tmp.wal",
        ".features.Xy34Zw.f64.tmp",
    ];
    for s in stale {
        std::fs::write(ws.join(s), "left by a killed freeze").unwrap();
    }
    std::fs::write(ws.join("notes.tmp"), "not ours").unwrap();
    // A run holds the workspace: refused, nothing touched.
    {
        let lock = std::fs::File::create(ws.join("run.lock")).unwrap();
        let _held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| e)
            .unwrap();
        let out = specsearch().arg("freeze").arg(&config).output().unwrap();
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("is using the workspace"),
            "{}",
            text(&out)
        );
        assert!(!ws.join("features.duckdb").exists());
    }
    assert_ok(&specsearch().arg("freeze").arg(&config).output().unwrap());
    for s in stale {
        assert!(!ws.join(s).exists(), "{s} is still there");
    }
    assert!(ws.join("notes.tmp").exists());
    assert!(ws.join("features.duckdb").exists() && ws.join("features.f64").exists());
}

fn shard(config: &Path, shard: &str) {
    assert_ok(
        &specsearch()
            .current_dir(config.parent().unwrap())
            .arg("run")
            .arg(config.file_name().unwrap())
            .args(["--shard", shard, "--workers", "1"])
            .output()
            .unwrap(),
    );
}

#[test]
fn merge_finds_the_config_from_anywhere_and_refuses_a_non_journal() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let ws = dir.path().join("search.specsearch");
    // A shard run with a relative config path, from the config's directory (the small search
    // fits in shard 0's first block: shard 0 of 2 holds every spec).
    shard(&config, "0/2");
    // Merged from another directory: the config (composites, ranking weights, validation) is
    // found by the absolute path the shard recorded.
    let elsewhere = tempfile::tempdir().unwrap();
    let merged = ws.join("journal.sqlite");
    let out = specsearch()
        .current_dir(elsewhere.path())
        .arg("merge")
        .arg(&merged)
        .arg(ws.join("journal-shard-0-of-2.sqlite"))
        .output()
        .unwrap();
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains("distinct passed model(s) ranked"),
        "{stdout}"
    );
    let status: String = rusqlite::Connection::open(&merged)
        .unwrap()
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "complete");
    // Merging into the frozen bundle is refused and leaves it as it was.
    let bundle = ws.join("features.duckdb");
    let before = std::fs::read(&bundle).unwrap();
    let out = specsearch()
        .arg("merge")
        .arg(&bundle)
        .arg(ws.join("journal-shard-0-of-2.sqlite"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("is not a SQLite journal"),
        "{}",
        text(&out)
    );
    assert!(std::fs::read(&bundle).unwrap() == before);
}
