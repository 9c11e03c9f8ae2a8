//! The journal writer alone (`cargo bench -p specsearch-journal --bench journal`; no DuckDB): 1,000,000 PPNR-shaped outcomes
//! (7 forced month dummies in every spec plus one to four drivers, 0.3% passed with a 2 kB
//! detail, R² on every row) sent through the real `JournalWriter` in batches of 2,048, two
//! "workers" interleaved, into a fresh journal. Reports the writer's wall time, CPU and time
//! inside SQLite per row, and the journal's bytes per outcome (file + WAL, and the `outcomes`
//! table alone per filtered outcome, from SQLite's `dbstat`). Not a criterion benchmark: one big run is the measurement.

use std::time::Instant;

use specsearch_journal::{
    FeatureRole, FilterTest, FlushPolicy, JournalRw, JournalWriter, NewRun, OutcomeRecord,
    OutcomeStatus, PassedRecord, RunFeature, RunStatus,
};

/// Rows written (`SPECSEARCH_BENCH_ROWS` overrides, e.g. for a profiler).
fn rows() -> u64 {
    std::env::var("SPECSEARCH_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}
const BATCH: u64 = 2048;

/// SplitMix64, for a stable synthetic workload.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn record(index: u64, rng: &mut Rng, detail: &str) -> OutcomeRecord {
    // Columns 181..=187 are the forced dummies (sorted first), 1..=180 the drivers' variants.
    let mut features: Vec<u32> = (181..=187).collect();
    let k = 1 + (rng.next() % 4) as usize;
    let mut drivers: Vec<u32> = (0..k).map(|_| 1 + (rng.next() % 180) as u32).collect();
    drivers.sort_unstable();
    drivers.dedup();
    features.extend(drivers);
    let r2 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let passed = rng.next() % 1000 < 3;
    OutcomeRecord {
        spec_index: index,
        status: if passed {
            OutcomeStatus::Passed
        } else {
            OutcomeStatus::Filtered
        },
        failed_test: (!passed).then_some(FilterTest::CoefficientSignificance),
        features,
        r2: Some(r2),
        message: None,
        eval_us: 3 + (rng.next() % 5) as u32,
        passed: passed.then(|| {
            Box::new(PassedRecord {
                spec_key: format!("{:064x}", index),
                r2,
                adj_r2: r2 * 0.9,
                is_max_abs: 1.0,
                is_mae: 0.5,
                is_rmse: 0.6,
                oos_max_abs: Some(1.1),
                oos_mae: Some(0.55),
                oos_rmse: Some(0.65),
                cov_type: "HAC".into(),
                detail_json: detail.to_string(),
            })
        }),
        mutations: Vec::new(),
    }
}

fn main() {
    let n_rows = rows();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let features: Vec<RunFeature> = (0..=187u32)
        .map(|id| RunFeature {
            id,
            name: if id == 0 {
                "target".into()
            } else if id > 180 {
                format!("M:{}", id - 179)
            } else {
                format!("x{}_MMDF", id)
            },
            role: if id == 0 {
                FeatureRole::Target
            } else if id > 180 {
                FeatureRole::Dummy
            } else {
                FeatureRole::Variant
            },
            base: if id > 180 {
                "M".into()
            } else {
                format!("x{id}")
            },
            category: None,
        })
        .collect();
    let run_id = journal
        .create_run(&NewRun {
            name_stem: "bench",
            config_path: "bench.toml",
            config_text: "",
            search_hash: &"0".repeat(64),
            bundle_hash: &"1".repeat(64),
            target: "target",
            frequency: "M",
            spec_count: n_rows,
            target_stationary: true,
            has_out_of_sample: true,
            features: &features,
            // As SpecSpace::common_prefix gives it for forced month dummies.
            common_prefix: &(181..=187).collect::<Vec<u32>>(),
        })
        .unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("process", "duckdb", 2).unwrap();
    let detail = format!(
        "{{\"params\":[{}]}}",
        vec!["0.1234567890123"; 120].join(",")
    );
    // Batches of two workers arrive interleaved, the second worker's a little ahead.
    let mut rng = Rng(7);
    let batches: Vec<Vec<OutcomeRecord>> = (0..n_rows.div_ceil(BATCH))
        .map(|b| {
            (b * BATCH..((b + 1) * BATCH).min(n_rows))
                .map(|i| record(i, &mut rng, &detail))
                .collect()
        })
        .collect();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let started = Instant::now();
    let mut it = batches.into_iter().enumerate().peekable();
    while let Some((b, batch)) = it.next() {
        if b % 2 == 0 {
            if let Some((_, next)) = it.next() {
                writer.send(session, 1, next).unwrap();
            }
        }
        writer.send(session, (b % 2) as u32, batch).unwrap();
    }
    let stats = writer.finish().unwrap();
    guard.end(RunStatus::Complete, None).unwrap();
    let wall = started.elapsed().as_secs_f64();
    let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(path.with_extension("sqlite-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let detail_bytes: i64 = conn
        .query_row(
            "SELECT coalesce(sum(length(detail)), 0) FROM passed",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Pages of the `outcomes` table itself (its B-tree, payload and free space alike), per
    // filtered outcome: what the 40-byte budget is about.
    let (outcome_bytes, filtered): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT sum(pgsize) FROM dbstat WHERE name = 'outcomes'), \
             (SELECT count(*) FROM outcomes WHERE status = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    println!(
        "| rows | wall s | µs/row wall | writer CPU µs/row | SQLite µs/row | bytes/outcome \
         (file + WAL) | without passed detail | `outcomes` table per filtered outcome |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {n_rows} | {wall:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} |",
        wall * 1e6 / n_rows as f64,
        stats.cpu.as_secs_f64() * 1e6 / n_rows as f64,
        stats.busy.as_secs_f64() * 1e6 / n_rows as f64,
        (file + wal) as f64 / n_rows as f64,
        (file + wal) as f64 / n_rows as f64 - detail_bytes as f64 / n_rows as f64,
        outcome_bytes as f64 / filtered.max(1) as f64
    );
}
