//! Every threshold bounded and every impossible input refused (issue 31, items 3 and 4): each
//! refusal names its key and comes before anything is written (no workspace appears).

use std::path::Path;

use crate::common::{small_search, specsearch, text};

/// `run` on `config`: must be refused with every one of `wanted` in its message, and nothing
/// written.
fn assert_refused(config: &Path, wanted: &[&str]) {
    let out = specsearch()
        .arg("run")
        .arg(config)
        .args(["--workers", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {}", text(&out));
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    let ws = config.parent().unwrap().join("search.specsearch");
    assert!(
        !ws.join("journal.sqlite").exists(),
        "something was written: {err}"
    );
}

/// A fresh small search whose config `edit` changes.
fn case(edit: impl FnOnce(&Path, String) -> String) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = edit(dir.path(), text);
    std::fs::write(&config, text).unwrap();
    (dir, config)
}

fn with_section(section: &str, line: &str) -> impl FnOnce(&Path, String) -> String {
    let (section, line) = (section.to_string(), line.to_string());
    move |_, text| format!("{text}\n[{section}]\n{line}\n")
}

fn with_pool_item(item: &str) -> impl FnOnce(&Path, String) -> String {
    let item = item.to_string();
    move |_, text| text.replacen("pool = [", &format!("pool = [{item}, "), 1)
}

#[test]
fn settings_out_of_range_are_refused_by_key() {
    for (section, line, key) in [
        (
            "filters",
            "cointegration_min_obs = 100000",
            "filters.cointegration_min_obs",
        ),
        ("ranking", "fit = 1e308", "ranking.fit"),
        ("ranking", "out_of_sample = 1e7", "ranking.out_of_sample"),
        ("run", "batch_timeout = 1e-9", "run.batch_timeout"),
        ("run", "batch_timeout = 1e30", "run.batch_timeout"),
        ("run", "drain_timeout = 1e30", "run.drain_timeout"),
        ("run", "drain_timeout = 0.001", "run.drain_timeout"),
        ("run", "max_hours = 1e30", "run.max_hours"),
    ] {
        let (_dir, config) = case(with_section(section, line));
        assert_refused(&config, &[key]);
    }
    // The cointegration bound says why.
    let (_dir, config) = case(with_section("filters", "cointegration_min_obs = 100000"));
    assert_refused(&config, &["in-sample observations", "never apply"]);
    // Re-ranking weights on the command line too (refused before any journal is read).
    let out = specsearch()
        .args([
            "top",
            "--workspace",
            "/nonexistent",
            "--weights",
            "1e308,1e308,1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("at most"), "{}", text(&out));
}

#[test]
fn dummy_levels_absent_from_the_data_are_refused() {
    for (forced, wanted) in [
        (
            "dummies(M, [2,13])",
            "level 13 never occurs in column \"M\"",
        ),
        ("dummies(M, [2,2])", "level 2 is listed twice"),
    ] {
        let (_dir, config) = case(|_, text| {
            text.replace(
                "forced = [\"dummies(M, [2,3,4,5,10,11,12])\"]",
                &format!("forced = [\"{forced}\"]"),
            )
        });
        assert_refused(&config, &["search.forced[0]", wanted]);
    }
}

#[test]
fn the_target_or_a_copy_of_it_as_a_driver_is_refused() {
    // The target's own column, given a metadata row.
    let (dir, config) = case(|dir, text| {
        let meta = dir.join("metadata.csv");
        let m = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(&meta, format!("{m}y,level,rates,average,\n")).unwrap();
        with_pool_item("\"y\"")(dir, text)
    });
    assert_refused(&config, &["search.pool[0]", "is the target"]);
    drop(dir);
    // A driver whose values are the target's.
    let (_dir, config) = case(|dir, text| {
        let target = std::fs::read_to_string(dir.join("target.csv")).unwrap();
        let mevs = std::fs::read_to_string(dir.join("mevs_monthly.csv")).unwrap();
        let joined: Vec<String> = mevs
            .lines()
            .zip(target.lines())
            .map(|(m, t)| {
                let y = t.split(',').nth(1).unwrap();
                format!("{m},{}", if y == "y" { "ycopy" } else { y })
            })
            .collect();
        std::fs::write(dir.join("mevs_monthly.csv"), joined.join("\n") + "\n").unwrap();
        let meta = dir.join("metadata.csv");
        let m = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(&meta, format!("{m}ycopy,level,rates,average,\n")).unwrap();
        with_pool_item("\"ycopy\"")(dir, text)
    });
    assert_refused(&config, &["search.pool[0]", "equals the target"]);
}

#[test]
fn repeated_items_and_a_constant_target_are_refused() {
    let forced = "\"dummies(M, [2,3,4,5,10,11,12])\"";
    let (_dir, config) = case(with_pool_item(forced));
    assert_refused(&config, &["search.pool[0]", "also search.forced[0]"]);
    let (_dir, config) = case(|_, text| {
        let first = text
            .split("pool = [")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .trim_end_matches(']')
            .to_string();
        format!("{text}one_of = [[{first}, {first}]]\n")
    });
    assert_refused(
        &config,
        &["search.one_of[0][1]", "also search.one_of[0][0]"],
    );
    let (_dir, config) = case(|dir, text| {
        let target = std::fs::read_to_string(dir.join("target.csv")).unwrap();
        let constant: Vec<String> = target
            .lines()
            .map(|l| {
                let date = l.split(',').next().unwrap();
                if date == "date" {
                    l.to_string()
                } else {
                    format!("{date},5")
                }
            })
            .collect();
        std::fs::write(dir.join("target.csv"), constant.join("\n") + "\n").unwrap();
        text
    });
    assert_refused(&config, &["target.column", "constant"]);
}
