//! A test that skips for a missing tool (Slurm, Chromium) must not look like a pass: its notice
//! reaches the terminal without `--nocapture`, and `.ci/run`'s closing line counts and names it
//! (`.ci/summary`).

use std::path::Path;
use std::process::Command;

/// Not a check: what `a_skip_is_seen_without_nocapture_and_counted_by_ci` runs, as a skipping
/// test would (run only with `--ignored`).
#[test]
#[ignore = "a probe for a_skip_is_seen_without_nocapture_and_counted_by_ci"]
fn skip_probe() {
    crate::common::skip("probe", "a test of the skip notice");
}

#[test]
fn a_skip_is_seen_without_nocapture_and_counted_by_ci() {
    // This test binary again, running only the probe, output captured as usual.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "skips::skip_probe",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        log.contains("*** SKIPPED probe: a test of the skip notice ***"),
        "the notice was captured: {log}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log");
    std::fs::write(&file, &log).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let summary = Command::new(root.join(".ci/summary"))
        .arg(&file)
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&summary.stdout);
    assert_eq!(
        line.trim(),
        "1 passed, 0 failed, 1 skipped (probe: a test of the skip notice)"
    );
}
