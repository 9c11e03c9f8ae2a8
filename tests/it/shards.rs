//! Shards run as separate processes and merged give the same results as one unsharded run; a
//! missing shard is reported with its re-run command; shards of another config or of other
//! data are refused; merging twice changes nothing.

use std::path::{Path, PathBuf};

use crate::common::{demo_copy, merged_results, specsearch};
use rusqlite::Connection;

fn shard_journal(config: &Path, i: u32, n: u32) -> PathBuf {
    config
        .parent()
        .unwrap()
        .join(format!("search.specsearch/journal-shard-{i}-of-{n}.sqlite"))
}

#[test]
fn shards_merged_equal_one_run_and_gaps_are_reported() {
    // The reference: one unsharded run.
    let (ref_dir, ref_config) = demo_copy();
    let out = specsearch()
        .arg("run")
        .arg(&ref_config)
        .args(["--executor", "serial"])
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let reference = merged_results(&ref_dir.path().join("search.specsearch/journal.sqlite"));

    // Three shards as three concurrent processes on one workspace (as array tasks would be on
    // three machines), one of them through the scheduler's environment.
    let (dir, config) = demo_copy();
    let children: Vec<_> = (0..3u32)
        .map(|i| {
            let mut c = specsearch();
            c.arg("run").arg(&config).args(["--workers", "1"]);
            if i == 2 {
                c.args(["--shard", "auto/3"])
                    .env("JOB_COMPLETION_INDEX", "2");
            } else {
                c.args(["--shard", &format!("{i}/3")]);
            }
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        crate::common::assert_ok(&out);
    }
    let merged = dir.path().join("merged.sqlite");

    // Two of three: incomplete, with the command that fills the gap.
    let partial = specsearch()
        .arg("merge")
        .arg(&merged)
        .arg(shard_journal(&config, 0, 3))
        .arg(shard_journal(&config, 2, 3))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&partial.stdout);
    assert_eq!(partial.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("--shard 1/3") && !stdout.contains("--shard 0/3"),
        "{stdout}"
    );

    // All three: complete and identical to the unsharded run; merging again adds nothing.
    for attempt in 0..2 {
        let all = specsearch()
            .arg("merge")
            .arg(&merged)
            .args((0..3).map(|i| shard_journal(&config, i, 3)))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&all.stdout);
        crate::common::assert_ok(&all);
        if attempt == 1 {
            assert!(stdout.contains("added      0 outcomes"), "{stdout}");
        }
        assert!(
            merged_results(&merged) == reference,
            "merged shards differ from the unsharded run"
        );
    }
}

/// Runs shard 0/2 of `config_a` and shard 1/2 of `config_b`, merges them and returns merge's
/// stderr after checking that it refused before writing anything.
fn refused_merge(dir_a: &Path, config_a: &Path, config_b: &Path) -> String {
    for (config, shard) in [(config_a, "0/2"), (config_b, "1/2")] {
        let out = specsearch()
            .arg("run")
            .arg(config)
            .args(["--shard", shard, "-j", "1"])
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
    }
    let out = specsearch()
        .arg("merge")
        .arg(dir_a.join("merged.sqlite"))
        .arg(shard_journal(config_a, 0, 2))
        .arg(shard_journal(config_b, 1, 2))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", crate::common::text(&out));
    assert!(
        !dir_a.join("merged.sqlite").exists(),
        "merge wrote before refusing"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn shards_of_another_search_are_refused() {
    let (dir_a, config_a) = demo_copy();
    let (_dir_b, config_b) = demo_copy();
    let text = std::fs::read_to_string(&config_b).unwrap();
    std::fs::write(&config_b, text.replace("max_vars = 3", "max_vars = 2")).unwrap();
    let stderr = refused_merge(dir_a.path(), &config_a, &config_b);
    assert!(
        stderr.contains("different configs") && stderr.contains("journal-shard-1-of-2.sqlite"),
        "{stderr}"
    );
}

#[test]
fn shards_of_other_data_are_refused() {
    // The same config over data that differ in one in-sample value (as when a machine reads
    // another copy of the inputs): the configs agree, the frozen bundles do not.
    let (dir_a, config_a) = demo_copy();
    let (dir_b, config_b) = demo_copy();
    let data = dir_b.path().join("data/macro.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(text.contains(",7950.164,"), "the demo data changed");
    std::fs::write(&data, text.replacen(",7950.164,", ",7950.165,", 1)).unwrap();
    let stderr = refused_merge(dir_a.path(), &config_a, &config_b);
    assert!(
        stderr.contains("different frozen data") && stderr.contains("journal-shard-1-of-2.sqlite"),
        "{stderr}"
    );
}

#[test]
fn a_killed_shard_resumes_its_own_part() {
    let (_dir, config) = demo_copy();
    let journal = shard_journal(&config, 1, 2);
    let count = |path: &Path| -> i64 {
        Connection::open(path)
            .ok()
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM outcome_status", [], |r| r.get(0))
                    .ok()
            })
            .unwrap_or(0)
    };
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["--shard", "1/2", "-j", "2", "--batch-size", "64"]);
    let run = crate::common::PausedRun::start(cmd, 200);
    run.signal(nix::sys::signal::Signal::SIGKILL);
    run.wait();
    let partial = count(&journal);
    let out = specsearch()
        .arg("run")
        .arg(&config)
        .args(["--shard", "1/2", "-j", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::common::assert_ok(&out);
    assert!(stdout.contains("(resumed)"), "{stdout}");
    // Exactly the indices shard 1 of 2 owns (blocks of 4096, odd block numbers), each once.
    let conn = Connection::open(&journal).unwrap();
    let (n, foreign, spec_count): (i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), sum((spec_index / 4096) % 2 <> 1), (SELECT spec_count FROM runs) \
             FROM outcome_status",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let owned: i64 = (0..spec_count)
        .step_by(4096)
        .enumerate()
        .filter(|(b, _)| b % 2 == 1)
        .map(|(_, start)| (spec_count - start).min(4096))
        .sum();
    assert!(partial > 0 && partial < n, "{partial} then {n}");
    assert_eq!((n, foreign), (owned, 0));
}
