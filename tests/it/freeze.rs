//! `freeze` end to end: the demo bundle, its two transports, concurrent read-only readers,
//! no-op re-freeze, and bad input rejected before anything is written.

use std::path::Path;
use std::process::Command;

use crate::common::{demo_copy, specsearch};
use specsearch::config::Config;
use specsearch::freeze;
use specsearch::store::bundle::BundleReader;
use specsearch::workspace::Workspace;

fn freeze_cli(config: &Path) -> std::process::Output {
    specsearch().arg("freeze").arg(config).output().unwrap()
}

#[test]
fn demo_freezes_then_refreeze_is_a_noop_and_changed_data_changes_the_hash() {
    let (dir, config) = demo_copy();
    let out = freeze_cli(&config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::common::assert_ok(&out);
    assert!(stdout.contains("frozen"), "{stdout}");
    // 203 quarters; 1961Q1..2004Q4 in-sample = 176, 2005Q1..2009Q3 out = 19.
    assert!(
        stdout.contains("203 rows (Q), 176 in-sample, 19 out-of-sample"),
        "{stdout}"
    );
    // 11 variables with 5 transforms×periods (LV + 4 periods) × 3 lags; Q:2..Q:4.
    assert!(
        stdout.contains("11 variables, 165 variants, 3 dummy columns"),
        "{stdout}"
    );
    let ws = dir.path().join("search.specsearch");
    assert!(ws.join("features.duckdb").exists());
    assert!(ws.join("features.f64").exists());
    let hash = BundleReader::open(&ws.join("features.duckdb"))
        .unwrap()
        .bundle_hash()
        .unwrap();
    assert!(stdout.contains(&hash));

    let again = freeze_cli(&config);
    let stdout2 = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert!(stdout2.contains("unchanged"), "{stdout2}");
    assert!(stdout2.contains(&hash));

    // One changed value gives a new bundle.
    let macro_csv = dir.path().join("data/macro.csv");
    let text = std::fs::read_to_string(&macro_csv).unwrap();
    std::fs::write(&macro_csv, text.replacen("2710.349", "2710.35", 1)).unwrap();
    let third = freeze_cli(&config);
    let stdout3 = String::from_utf8_lossy(&third.stdout);
    assert!(third.status.success());
    assert!(stdout3.contains("frozen"), "{stdout3}");
    assert!(!stdout3.contains(&hash), "{stdout3}");
    // No temporary files are left in the workspace.
    let leftovers: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.ends_with(".tmp") || n.ends_with(".wal"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn duckdb_and_mmap_transports_give_bit_identical_matrices() {
    let (_dir, config_path) = demo_copy();
    let config = Config::load(&config_path).unwrap();
    let ws = Workspace::for_config(&config, None);
    freeze::freeze(&config, &ws).unwrap();
    let via_duckdb = freeze::open_matrix(&ws, false).unwrap();
    let via_mmap = freeze::open_matrix(&ws, true).unwrap();
    assert!(via_mmap.is_mapped() && !via_duckdb.is_mapped());
    assert_eq!(
        (via_duckdb.rows(), via_duckdb.cols()),
        (via_mmap.rows(), via_mmap.cols())
    );
    let a: Vec<u64> = via_duckdb.as_slice().iter().map(|v| v.to_bits()).collect();
    let b: Vec<u64> = via_mmap.as_slice().iter().map(|v| v.to_bits()).collect();
    assert!(a == b, "the two transports differ");

    // And both equal the in-memory bundle the freeze computed.
    let built = freeze::build(&config).unwrap();
    for (id, c) in built.bundle.catalogue.columns.iter().enumerate() {
        let want: Vec<u64> = c
            .values
            .iter()
            .map(|&v| specsearch::store::canonical_bits(v))
            .collect();
        let got: Vec<u64> = via_mmap
            .column(id as u32)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(want, got, "column {}", c.name);
    }
    // Spot-check one variant by hand: realgdp growth over one quarter, lag 1, at row 10.
    let gdp = built
        .bundle
        .base_series
        .iter()
        .find(|(n, _)| n == "realgdp")
        .unwrap()
        .1
        .clone();
    let id = built.bundle.catalogue.id("realgdp_QQGR_L1").unwrap();
    assert_eq!(via_mmap.column(id)[10], gdp[9] / gdp[8] - 1.0);
}

/// Child half of `several_processes_read_the_bundle_at_once`, which runs it with `--ignored`
/// (so it never passes vacuously in a normal run): opens the bundle read-only, says so with a
/// marker file, and keeps it open until every reader (the other children and the parent) has
/// said the same — so the readers provably overlap — before it reads the matrix and prints its
/// hash.
#[test]
#[ignore = "the child half of several_processes_read_the_bundle_at_once, which runs it"]
fn child_reader_process() {
    let (Ok(ws), Ok(marks), Ok(readers)) = (
        std::env::var("SPECSEARCH_TEST_CHILD_WORKSPACE"),
        std::env::var("SPECSEARCH_TEST_CHILD_MARKS"),
        std::env::var("SPECSEARCH_TEST_CHILD_READERS"),
    ) else {
        panic!("run by several_processes_read_the_bundle_at_once, with its variables set");
    };
    let me = std::env::var("SPECSEARCH_TEST_CHILD_ID").unwrap();
    let reader = BundleReader::open(&Path::new(&ws).join("features.duckdb")).unwrap();
    let marks = Path::new(&marks);
    std::fs::write(marks.join(format!("open-{me}")), "").unwrap();
    let readers: usize = readers.parse().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::read_dir(marks).unwrap().count() < readers {
        assert!(
            std::time::Instant::now() < deadline,
            "the other readers never opened the bundle"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let matrix = reader.matrix().unwrap();
    println!(
        "CHILD-HASH {} {}",
        reader.bundle_hash().unwrap(),
        matrix.cols()
    );
}

#[test]
fn several_processes_read_the_bundle_at_once() {
    let (_dir, config_path) = demo_copy();
    let config = Config::load(&config_path).unwrap();
    let ws = Workspace::for_config(&config, None);
    let report = freeze::freeze(&config, &ws).unwrap();
    let marks = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    const CHILDREN: usize = 3;
    // The parent holds its own read-only handle while the children read, and counts as one of
    // the readers every child waits for.
    let parent = BundleReader::open(&ws.features_duckdb()).unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|k| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "freeze::child_reader_process",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("SPECSEARCH_TEST_CHILD_WORKSPACE", &ws.dir)
                .env("SPECSEARCH_TEST_CHILD_MARKS", marks.path())
                .env("SPECSEARCH_TEST_CHILD_READERS", (CHILDREN + 1).to_string())
                .env("SPECSEARCH_TEST_CHILD_ID", k.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(marks.path().join("open-parent"), "").unwrap();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        crate::common::assert_ok(&out);
        assert!(
            // 1 target + 165 variants + 3 dummies + the Q column a regime of the demo reads.
            stdout.contains(&format!("CHILD-HASH {} 170", report.hash)),
            "{stdout}"
        );
    }
    assert_eq!(
        std::fs::read_dir(marks.path()).unwrap().count(),
        CHILDREN + 1,
        "every reader had the bundle open at once"
    );
    assert_eq!(parent.bundle_hash().unwrap(), report.hash);
}

/// Runs freeze on a broken copy of the demo and checks the message and that nothing was written.
fn assert_rejected(edit: impl FnOnce(&Path), expected: &[&str]) {
    let (dir, config) = demo_copy();
    edit(dir.path());
    let out = freeze_cli(&config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "freeze accepted bad input");
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
    assert!(
        !dir.path()
            .join("search.specsearch/features.duckdb")
            .exists(),
        "a bundle was written despite the error"
    );
}

fn edit_file(dir: &Path, name: &str, f: impl FnOnce(String) -> String) {
    let p = dir.join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(text)).unwrap();
}

#[test]
fn bad_config_is_rejected_naming_the_key() {
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("max_lag = 2", "max_lag = 2\nmax_lags = 3")
            })
        },
        &["search.toml", "max_lags"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("\"realgdp\",", "\"realgpd\",")
            })
        },
        &["search.pool[0]", "realgpd", "did you mean \"realgdp\""],
    );
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("in_start = \"1961-03-31\"", "in_start = \"1950-03-31\"")
            })
        },
        &["sample.in_start", "outside the data"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("in_end = \"2004-12-31\"", "in_end = \"1960-12-31\"")
            })
        },
        &["sample.in_end", "in-sample window is empty"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("in_start = \"1961-03-31\"", "in_start = \"1959-03-31\"")
            })
        },
        &["sample.in_start", "realcons_QQGR", "1959-03-31"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "search.toml", |t| {
                t.replace("category_limit = 1", "category_limit = 0")
            })
        },
        &["search.category_limit"],
    );
}

#[test]
fn bad_data_and_metadata_are_rejected_naming_file_and_row() {
    assert_rejected(
        |d| std::fs::remove_file(d.join("data/macro.csv")).unwrap(),
        &["macro.csv"],
    );
    // A driver in the data and the pool but without metadata.
    assert_rejected(
        |d| {
            edit_file(d, "data/metadata.csv", |t| {
                t.replace("m1,level,money,average,\n", "")
            })
        },
        &["\"m1\"", "metadata.csv"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "data/metadata.csv", |t| {
                t.replace("m1,level", "m1,levle")
            })
        },
        &["metadata.csv", "line 8", "type", "levle"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "data/macro.csv", |t| {
                t.replacen("2710.349", "27x0.349", 1)
            })
        },
        &["macro.csv", "27x0.349"],
    );
    assert_rejected(
        |d| {
            edit_file(d, "data/consumption.csv", |t| {
                t.replacen("1959-06-30", "1959-03-31", 1)
            })
        },
        &["consumption.csv", "1959-03-31"],
    );
}
