//! The model report on the bundled demo (`cargo bench --bench report`): the demo is searched
//! once into a temporary workspace, then `specsearch report --top 20` is timed end to end (the
//! command as a user runs it: process start, journal and bundle reads, statistics, plots, the
//! HTML file) five times. Prints the median and fastest wall time and the page size, for
//! BENCHMARKS.md (target of issue 13: ≤ 2 s and ≤ 2 MB for 20 models).
//!
//! Not a criterion benchmark: each measurement is one complete command.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn specsearch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_specsearch"))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    for entry in std::fs::read_dir(demo.join("data")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("data").join(entry.file_name()),
        )
        .unwrap();
    }
    let config = dir.path().join("search.toml");
    std::fs::copy(demo.join("search.toml"), &config).unwrap();
    let out = specsearch()
        .args(["run", "-q"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.path().join("report.html");
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = specsearch()
            .arg("report")
            .arg(&config)
            .args(["--top", "20", "-o"])
            .arg(&page)
            .output()
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort_by(f64::total_cmp);
    let bytes = std::fs::metadata(&page).unwrap().len();
    println!("| command | median s | fastest s | page bytes |");
    println!("|---|---:|---:|---:|");
    println!(
        "| report --top 20 (demo) | {:.3} | {:.3} | {} |",
        times[2], times[0], bytes
    );
}
