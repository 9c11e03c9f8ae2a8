//! Segments: a config with `[[segment]]` tables searched in one invocation, by one warm pool.
//!
//! - three segments run together equal the three run as configs of their own, outcome for
//!   outcome and in the ranking (and on the same frozen data);
//! - the same worker processes serve every segment (pids in the telemetry), set up cold once;
//! - a kill -9 in the middle of the second segment resumes there, the first stays complete,
//!   and the result is the same;
//! - hybrid scheduling on or off gives the same journal;
//! - per-segment knobs reach the sessions; result commands take `--segment`;
//! - bad segment input is refused with the segment and key named, before anything is written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{
    assert_ok, journal_of, run_content, small_search, specsearch, text, PausedRun,
};
use rusqlite::Connection;

/// One segment of the test config: its name and the TOML bodies of its tables.
struct Segment {
    name: &'static str,
    target: &'static str,
    /// Keys of `[search]` besides the shared `forced` and `max_vars`.
    search: String,
    /// A `[sample]` of its own (the shared one otherwise).
    sample: Option<String>,
    filters: &'static str,
    run: &'static str,
}

/// The synthetic search's `[data]` and `[sample]` tables and its forced line.
struct Base {
    dir: PathBuf,
    data: String,
    sample: String,
    forced: String,
    in_start: String,
}

fn section(text: &str, from: &str, to: &str) -> String {
    let a = text.find(from).unwrap();
    let b = a + text[a..].find(to).unwrap();
    text[a..b].trim_end().to_string()
}

fn base(dir: &Path) -> Base {
    let config = small_search(dir);
    let text = std::fs::read_to_string(config).unwrap();
    let sample = section(&text, "[sample]", "[search]");
    let in_start = sample
        .lines()
        .find_map(|l| l.strip_prefix("in_start = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    Base {
        dir: dir.to_path_buf(),
        data: section(&text, "[data]", "[target]"),
        sample,
        forced: text
            .lines()
            .find(|l| l.starts_with("forced = "))
            .unwrap()
            .to_string(),
        in_start,
    }
}

fn pool(vars: &[usize]) -> String {
    let names: Vec<String> = vars.iter().map(|v| format!("\"mev{v:03}\"")).collect();
    format!("pool = [{}]", names.join(", "))
}

/// Three segments: other targets, samples, pools and filters, on the same data.
fn segments(b: &Base) -> Vec<Segment> {
    // Two years later than the shared in-sample start.
    let (y, rest) = b.in_start.split_once('-').unwrap();
    let later_start = format!("{}-{rest}", y.parse::<i32>().unwrap() + 2);
    let gamma_sample = b
        .sample
        .lines()
        .map(|l| {
            if l.starts_with("in_start") {
                format!("in_start = \"{later_start}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        Segment {
            name: "alpha",
            target: "column = \"y\"",
            search: pool(&[0, 1, 2, 3, 4, 5]),
            sample: None,
            filters: "",
            run: "",
        },
        Segment {
            name: "beta",
            target: "column = \"y\"\ntransform = \"DF\"",
            search: format!("{}\nmax_lag = 2", pool(&[0, 1, 2, 3, 6, 7])),
            sample: None,
            filters: "min_r2 = 0.2",
            run: "",
        },
        Segment {
            name: "gamma",
            target: "column = \"y\"",
            search: pool(&[0, 2, 3, 4, 5, 6]),
            sample: Some(gamma_sample),
            filters: "min_r2 = 0.35",
            run: "",
        },
    ]
}

/// The `[[segment]]` config of `segs`, written to `DIR/NAME.toml`.
fn write_segmented(b: &Base, name: &str, segs: &[Segment], shared_run: &str) -> PathBuf {
    let mut text = format!(
        "{}\n\n{}\n\n[search]\n{}\nmax_vars = 3\n\n[run]\n{shared_run}\n",
        b.data, b.sample, b.forced
    );
    for s in segs {
        text.push_str(&format!(
            "\n[[segment]]\nname = \"{}\"\n[segment.target]\n{}\n[segment.search]\n{}\n",
            s.name, s.target, s.search
        ));
        if let Some(sample) = &s.sample {
            text.push_str(&sample.replacen("[sample]", "[segment.sample]", 1));
            text.push('\n');
        }
        if !s.filters.is_empty() {
            text.push_str(&format!("[segment.filters]\n{}\n", s.filters));
        }
        if !s.run.is_empty() {
            text.push_str(&format!("[segment.run]\n{}\n", s.run));
        }
    }
    let path = b.dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Segment `s` as a config of its own (today's format), written to `DIR/solo-NAME.toml`.
fn write_standalone(b: &Base, s: &Segment) -> PathBuf {
    let text = format!(
        "{}\n\n[target]\n{}\n\n{}\n\n[search]\n{}\nmax_vars = 3\n{}\n\n[filters]\n{}\n",
        b.data,
        s.target,
        s.sample.as_deref().unwrap_or(&b.sample),
        b.forced,
        s.search,
        s.filters
    );
    let path = b.dir.join(format!("solo-{}.toml", s.name));
    std::fs::write(&path, text).unwrap();
    path
}

/// A run's outcomes, ranking and status as text lines (`crate::common::run_content`, which also
/// checks the journal's counters; also for the screen's outcomes in hybrid runs), with its
/// bundle hash and spec count.
fn content(journal: &Path, run_id: i64) -> Vec<String> {
    let mut out = run_content(journal, run_id);
    let (bundle, count): (String, i64) = Connection::open(journal)
        .unwrap()
        .query_row(
            "SELECT bundle_hash, spec_count FROM runs WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    out.push(format!("bundle {bundle} specs {count}"));
    out
}

/// The latest run of segment `name` in a segmented journal.
fn segment_run(journal: &Path, name: &str) -> i64 {
    Connection::open(journal)
        .unwrap()
        .query_row(
            "SELECT max(run_id) FROM run_segments WHERE segment = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
}

fn latest_run(journal: &Path) -> i64 {
    Connection::open(journal)
        .unwrap()
        .query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))
        .unwrap()
}

/// Each segment run as a config of its own (serially): the reference, by segment.
fn references(b: &Base, segs: &[Segment]) -> Vec<Vec<String>> {
    segs.iter()
        .map(|s| {
            let config = write_standalone(b, s);
            assert_ok(
                &specsearch()
                    .arg("run")
                    .arg(&config)
                    .args(["--executor", "serial"])
                    .output()
                    .unwrap(),
            );
            let j = journal_of(&config);
            content(&j, latest_run(&j))
        })
        .collect()
}

fn run(config: &Path, args: &[&str]) -> std::process::Output {
    specsearch()
        .arg("run")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn three_segments_equal_three_separate_runs_and_share_one_warm_pool() {
    let dir = tempfile::tempdir().unwrap();
    let b = base(dir.path());
    let segs = segments(&b);
    let reference = references(&b, &segs);
    for (s, r) in segs.iter().zip(&reference) {
        assert!(
            r.iter().any(|l| l.starts_with("r 1 ")),
            "segment {} passes no model: the comparison would be weak",
            s.name
        );
    }
    let config = write_segmented(&b, "banks", &segs, "");
    let out = assert_ok(&run(&config, &["--workers", "2", "--batch-size", "64"]));
    for s in &segs {
        assert!(out.contains(&format!("segment {}", s.name)), "{out}");
        // Each segment's run ends with the commands to try next, naming the segment.
        let next = format!(
            "next       specsearch show {} --segment {} 1",
            config.display(),
            s.name
        );
        assert!(out.contains(&next), "no `{next}` in\n{out}");
    }
    let j = journal_of(&config);
    let mut pids = Vec::new();
    for (s, r) in segs.iter().zip(&reference) {
        let run_id = segment_run(&j, s.name);
        assert_eq!(&content(&j, run_id), r, "segment {} differs", s.name);
        let conn = Connection::open(&j).unwrap();
        let name: String = conn
            .query_row("SELECT name FROM runs WHERE run_id = ?1", [run_id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(name, format!("{}#1", s.name));
        let set: BTreeSet<i64> = conn
            .prepare("SELECT pid FROM workers WHERE run_id = ?1 AND worker < 1000")
            .unwrap()
            .query_map([run_id], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(set.len(), 2, "segment {}: {set:?}", s.name);
        pids.push(set);
        // Telemetry of this segment only: its specs are the run's outcomes.
        let (specs, outcomes, cpu): (i64, i64, f64) = conn
            .query_row(
                "SELECT (SELECT sum(specs) FROM workers WHERE run_id = ?1), \
                 (SELECT count(*) FROM outcome_status WHERE run_id = ?1), \
                 (SELECT sum(cpu_seconds) FROM segment_telemetry WHERE run_id = ?1)",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(specs, outcomes, "segment {}", s.name);
        assert!(cpu > 0.0, "segment {}: no CPU recorded", s.name);
        // Set up cold for the first segment only.
        let warm: Vec<i64> = conn
            .prepare("SELECT warm FROM worker_setups WHERE run_id = ?1 ORDER BY worker")
            .unwrap()
            .query_map([run_id], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let expected = if s.name == "alpha" { 0 } else { 1 };
        assert_eq!(warm, vec![expected; 2], "segment {}", s.name);
    }
    assert!(
        pids.windows(2).all(|w| w[0] == w[1]),
        "the workers changed between segments: {pids:?}"
    );

    // Again: every segment is complete, nothing runs.
    let again = assert_ok(&run(&config, &["--workers", "2"]));
    assert_eq!(
        again.matches("is complete: nothing to do").count(),
        3,
        "{again}"
    );

    // Result commands pick a segment; the ranking is the standalone run's.
    let top = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&assert_ok(&specsearch().args(args).output().unwrap())).unwrap()
    };
    let c = config.to_str().unwrap();
    let solo = write_standalone(&b, &segs[1]);
    let strip = |mut v: serde_json::Value| {
        for row in v.as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("run_id");
        }
        v
    };
    assert_eq!(
        strip(top(&["top", c, "--segment", "beta", "--json"])),
        strip(top(&["top", solo.to_str().unwrap(), "--json"]))
    );
    let show = assert_ok(
        &specsearch()
            .args(["show", c, "--segment", "gamma", "1"])
            .output()
            .unwrap(),
    );
    assert!(show.contains("gamma#1") || show.contains("const"), "{show}");
    // Without --segment, a command on a config with several says which run it shows.
    let status = specsearch().args(["top", c]).output().unwrap();
    assert!(
        text(&status).contains("segments alpha, beta, gamma"),
        "{}",
        text(&status)
    );
}

#[test]
fn a_kill_in_the_second_segment_resumes_there_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let b = base(dir.path());
    let segs = segments(&b);
    let reference = references(&b, &segs);
    let config = write_segmented(&b, "banks", &segs, "");
    let j = journal_of(&config);
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(&config)
        .args(["--workers", "2", "--batch-size", "32"])
        .env("SPECSEARCH_FAULT_PAUSE_SEGMENT", "beta");
    let paused = PausedRun::start(cmd, 100);
    // Paused inside beta: alpha is complete, beta has part of its outcomes, gamma no run.
    let conn = Connection::open(&j).unwrap();
    let alpha = segment_run(&j, "alpha");
    let beta = segment_run(&j, "beta");
    let status = |id: i64| -> String {
        conn.query_row("SELECT status FROM runs WHERE run_id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(status(alpha), "complete");
    assert_eq!(status(beta), "running");
    let (done, total): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM outcome_status WHERE run_id = ?1), spec_count FROM runs \
             WHERE run_id = ?1",
            [beta],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(done >= 100 && done < total, "{done} of {total}");
    let gamma: Option<i64> = conn
        .query_row(
            "SELECT max(run_id) FROM run_segments WHERE segment = 'gamma'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gamma, None);
    drop(conn);
    paused.signal(nix::sys::signal::Signal::SIGKILL);
    let killed = paused.wait();
    assert!(!killed.status.success());

    let out = assert_ok(&run(&config, &["--workers", "2", "--batch-size", "32"]));
    assert!(out.contains("run alpha#1 is complete"), "{out}");
    assert!(out.contains("beta#1 (resumed)"), "{out}");
    for (s, r) in segs.iter().zip(&reference) {
        assert_eq!(
            &content(&j, segment_run(&j, s.name)),
            r,
            "segment {} differs after the resume",
            s.name
        );
    }
    let runs: i64 = Connection::open(&j)
        .unwrap()
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 3, "the resume made a new run");
}

#[test]
fn hybrid_scheduling_gives_the_journal_of_the_pool_and_knobs_apply_per_segment() {
    let dir = tempfile::tempdir().unwrap();
    let b = base(dir.path());
    let mut segs = segments(&b);
    segs[1].run = "workers = 1\nbatch_size = 32\nprefetch = 1";
    segs[2].run = "transport = \"mmap\"";
    // Knobs on the command line would override every segment's: these come from the config.
    let plain = write_segmented(&b, "plain", &segs, "workers = 2");
    let hybrid = write_segmented(&b, "hybrid", &segs, "workers = 2\nhybrid = true");
    assert_ok(&run(&plain, &[]));
    let out = assert_ok(&run(&hybrid, &[]));
    let (jp, jh) = (journal_of(&plain), journal_of(&hybrid));
    let conn = Connection::open(&jh).unwrap();
    let mut screened_total = 0;
    for s in &segs {
        let (p, h) = (segment_run(&jp, s.name), segment_run(&jh, s.name));
        assert_eq!(content(&jp, p), content(&jh, h), "segment {}", s.name);
        let screened: i64 = conn
            .query_row(
                "SELECT count(*) FROM outcome_status WHERE run_id = ?1 AND worker = 4294967295",
                [h],
                |r| r.get(0),
            )
            .unwrap();
        screened_total += screened;
    }
    assert!(
        screened_total > 0,
        "the screen decided nothing: the comparison would be weak\n{out}"
    );
    // Per-segment knobs reach the sessions.
    let session = |seg: &str| -> (i64, String) {
        conn.query_row(
            "SELECT workers, transport FROM sessions WHERE run_id = ?1",
            [segment_run(&jh, seg)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(session("alpha"), (2, "duckdb".to_string()));
    assert_eq!(session("beta").0, 1);
    assert_eq!(session("gamma"), (2, "mmap".to_string()));
    // beta used one worker of the pool, the other waited idle and served gamma again.
    let pids = |seg: &str| -> Vec<i64> {
        conn.prepare("SELECT pid FROM workers WHERE run_id = ?1 AND worker < 1000 ORDER BY worker")
            .unwrap()
            .query_map([segment_run(&jh, seg)], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let (alpha, beta, gamma) = (pids("alpha"), pids("beta"), pids("gamma"));
    assert_eq!(alpha.len(), 2);
    assert_eq!(beta, alpha[..1]);
    assert_eq!(gamma, alpha);
}

#[test]
fn bad_segments_are_refused_naming_segment_and_key_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let b = base(dir.path());
    // (case, how the segments are broken, the shared [run], what the error must name)
    type Breaker = Box<dyn Fn(&mut Vec<Segment>)>;
    let cases: Vec<(&str, Breaker, &str, Vec<&str>)> = vec![
        (
            "duplicate",
            Box::new(|s: &mut Vec<Segment>| s[2].name = "alpha"),
            "",
            vec!["segment[2].name", "alpha", "segment[0]", "unique"],
        ),
        (
            "case",
            Box::new(|s: &mut Vec<Segment>| s[2].name = "ALPHA"),
            "",
            vec![
                "segment[2].name",
                "ALPHA",
                "segment[0] (`alpha`)",
                "ignoring case",
            ],
        ),
        (
            "missing",
            Box::new(|s: &mut Vec<Segment>| s[1].target = "column = \"nope\""),
            "",
            vec!["segment `beta`", "nope"],
        ),
        (
            "missing-driver",
            Box::new(|s: &mut Vec<Segment>| s[2].search = pool(&[2, 99])),
            "",
            vec!["segment `gamma`", "mev099"],
        ),
        (
            "conflict",
            Box::new(|s: &mut Vec<Segment>| s[0].run = "executor = \"serial\"\nworkers = 4"),
            "",
            vec!["segment `alpha`", "run.workers", "serial"],
        ),
        (
            "hybrid-thread",
            Box::new(|s: &mut Vec<Segment>| s[1].run = "executor = \"thread\""),
            "hybrid = true",
            vec!["segment `beta`", "run.hybrid"],
        ),
        (
            "typo",
            Box::new(|s: &mut Vec<Segment>| s[1].filters = "min_rsq = 0.2"),
            "",
            vec!["segment `beta`", "min_rsq"],
        ),
    ];
    for (name, break_it, shared_run, expected) in cases {
        let mut segs = segments(&b);
        break_it(&mut segs);
        let config = write_segmented(&b, name, &segs, shared_run);
        let out = run(&config, &[]);
        assert!(!out.status.success(), "{name}: accepted");
        let err = text(&out);
        for e in expected {
            assert!(err.contains(e), "{name}: {e:?} not in {err}");
        }
        assert!(
            !journal_of(&config).parent().unwrap().exists(),
            "{name}: the workspace was created"
        );
    }
    // `data` cannot be set per segment, and --segment names a segment of the file.
    let segs = segments(&b);
    let config = write_segmented(&b, "names", &segs, "");
    let text_now = std::fs::read_to_string(&config).unwrap();
    let with_data = b.dir.join("with-data.toml");
    std::fs::write(
        &with_data,
        text_now.replacen(
            "[segment.search]",
            "[segment.data]\nmetadata = \"x.csv\"\n[segment.search]",
            1,
        ),
    )
    .unwrap();
    let err = text(&run(&with_data, &[]));
    assert!(
        err.contains("segment `alpha`") && err.contains("`data`"),
        "{err}"
    );
    let err = text(&run(&config, &["--segment", "delta"]));
    assert!(
        err.contains("delta") && err.contains("alpha, beta, gamma"),
        "{err}"
    );
    assert!(!journal_of(&config).parent().unwrap().exists());
}

#[test]
fn the_readme_segments_example_is_a_valid_config() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Segments").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let configs = specsearch::config::Config::parse_all(
        Path::new("/tmp/readme/banks.toml"),
        &section[start..end],
    )
    .unwrap_or_else(|e| panic!("the README's segments example does not parse: {e}"));
    let names: Vec<_> = configs.iter().map(|c| c.segment_name().unwrap()).collect();
    assert_eq!(names, ["deposits", "fees"]);
    let (deposits, fees) = (&configs[0].file, &configs[1].file);
    assert_eq!(deposits.run.workers, 4);
    assert_eq!(fees.run.workers, 8);
    assert_eq!(deposits.search.max_vars, 4);
    assert_eq!(fees.sample.in_start, "2010-01-31");
    assert_eq!(fees.sample.in_end, "2019-12-31");
    assert_eq!(fees.filters.min_r2, 0.2);
}
