//! The result commands on an old journal: `tests/fixtures/journal-v3.sqlite` was written by
//! specsearch 0.1.0 (schema version 3; the search in `tests/fixtures/journal-v3.toml`). The
//! upgrade itself, row by row, is tested in the journal crate (`crates/specsearch-journal/
//! tests/it/upgrade.rs`).

use std::path::{Path, PathBuf};

use crate::common::{assert_ok, specsearch};

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v3.sqlite"),
        &path,
    )
    .unwrap();
    (dir, path)
}

#[test]
fn result_commands_read_an_old_journal_after_upgrading_it() {
    let (dir, _path) = fixture_copy();
    let ws = dir.path().to_str().unwrap();
    let status = assert_ok(
        &specsearch()
            .args(["status", "--workspace", ws, "--json"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v[0]["status"], "complete");
    assert_eq!(v[0]["evaluated"], v[0]["spec_count"]);
    let top = assert_ok(
        &specsearch()
            .args(["top", "--workspace", ws, "--json", "-n", "3"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&top).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["rank"], 1);
    let journal = specsearch_journal::Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    assert_eq!(
        journal.schema_version().unwrap(),
        specsearch_journal::SCHEMA_VERSION
    );
}
