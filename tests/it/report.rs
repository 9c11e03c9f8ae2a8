//! `specsearch report` on the demo: a complete run (every section, self-contained, under 2 MB
//! for 20 models), a run still running (the page says it is partial), a run where no model
//! passed, and a run without scenarios (each says so in the page).

use std::path::Path;

fn report(config: &Path, args: &[&str]) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("report.html");
    crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("report")
            .arg(config)
            .args(args)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap(),
    );
    std::fs::read_to_string(&out).unwrap()
}

fn run(config: &Path) {
    crate::common::assert_ok(
        &crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(config)
            .output()
            .unwrap(),
    );
}

/// The page needs nothing from outside: no script, no external style sheet, image or font.
fn assert_self_contained(html: &str) {
    for bad in ["<script", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!html.contains(bad), "the page contains {bad}");
    }
    for attr in ["src=", "href=\"http", "href='http"] {
        assert!(
            !html.contains(attr),
            "the page refers to something outside: {attr}"
        );
    }
}

#[test]
fn a_complete_run_gives_every_section() {
    let (_dir, config) = crate::common::demo_copy();
    run(&config);
    let html = report(&config, &["--top", "20"]);
    assert_self_contained(&html);
    // 20 model sections; the ten the end of `run` validated also carry their validation plots
    // (sensitivity ~0.7 MB, stability and backtests ~0.9 MB of SVG for the ten).
    assert!(html.len() <= 3 << 20, "{} bytes for 20 models", html.len());
    for s in [
        "<!DOCTYPE html>",
        "1. The run",
        "Failures by test",
        "2. Ranking",
        "3. Models",
        "3.20 Rank 20",
        "F-statistic",
        "Cond. No.",
        "not applicable (the target is stationary)",
        "Scenario forecasts",
        "Scenario fan",
        "from p0 2009-09-30 over 12 quarter(s)",
        "pct change 9q",
        "pct diff base 9q",
        "@page",
        "macro.csv",
    ] {
        assert!(html.contains(s), "{s}");
    }
    assert!(!html.contains("Partial report"));
    assert!(!html.contains("no scenarios in this run"));
    // Four plots and the scenario fan per model, one failures chart.
    assert_eq!(html.matches("<figure class=\"plot\"").count(), 20 * 5 + 1);
    assert_eq!(html.matches("data-kind=\"scenarios\"").count(), 20);
    // Selected specs instead of the top N.
    let top = crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("show")
            .arg(&config)
            .args(["3", "--json"])
            .output()
            .unwrap(),
    );
    let spec = serde_json::from_str::<serde_json::Value>(&top).unwrap()["spec_index"]
        .as_u64()
        .unwrap();
    let html = report(&config, &["--spec", &spec.to_string()]);
    assert_eq!(html.matches("class=\"model\"").count(), 1);
    assert!(html.contains(&format!("id=\"model-{spec}\"")));
}

#[test]
fn a_run_without_scenarios_says_so() {
    let (_dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    let cut = text.find("[scenarios]").expect("the demo has scenarios");
    std::fs::write(&config, &text[..cut]).unwrap();
    run(&config);
    let html = report(&config, &["--top", "3"]);
    assert_self_contained(&html);
    assert_eq!(html.matches("no scenarios in this run").count(), 3);
    assert_eq!(html.matches("<figure class=\"plot\"").count(), 3 * 4 + 1);
}

#[test]
fn a_run_where_nothing_passed_says_so() {
    let (_dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[filters]\nmin_r2 = 0.999\n")).unwrap();
    run(&config);
    let html = report(&config, &[]);
    assert_self_contained(&html);
    assert!(html.contains("No model passed."), "banner");
    assert!(html.contains("No ranked model"));
    assert!(html.contains("no model has passed"));
    assert!(html.contains("Failures by test"));
    assert_eq!(
        html.matches("<figure class=\"plot\"").count(),
        1,
        "only the failures chart"
    );
}

#[test]
fn a_run_still_running_is_reported_as_partial() {
    let (_dir, config) = crate::common::demo_copy();
    let mut cmd = crate::common::specsearch();
    cmd.args(["run", "-j", "1"]).arg(&config);
    let paused = crate::common::PausedRun::start(cmd, 2000);
    let html = report(&config, &["--top", "3"]);
    paused.resume();
    crate::common::assert_ok(&paused.wait());
    assert_self_contained(&html);
    assert!(html.contains("Partial report."), "banner");
    assert!(html.contains("The run is still running"), "state");
    assert!(html.contains("ranked now with the run's weights"));
    // After the run the same command gives the complete report.
    let done = report(&config, &["--top", "3"]);
    assert!(!done.contains("Partial report."));
}
