//! Journals built for tests: a run of a small catalogue, records of every kind, and a raw
//! connection to look at what was stored.

use std::path::Path;

use specsearch_journal::{
    FeatureRole, FilterTest, FlushPolicy, JournalRw, JournalWriter, NewRun, OutcomeRecord,
    OutcomeStatus, PassedRecord, RunFeature, RunId,
};

/// A raw connection to look at what the API stored (tests only).
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// One integer from a query.
pub fn int(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Features 0..=n: the target and variants of 50 bases.
pub fn catalogue(n: u32) -> Vec<RunFeature> {
    (0..=n)
        .map(|id| RunFeature {
            id,
            name: format!("f{id}"),
            role: if id == 0 {
                FeatureRole::Target
            } else {
                FeatureRole::Variant
            },
            base: format!("b{}", id % 50),
            category: None,
        })
        .collect()
}

/// A run of `spec_count` specs over `features`, every spec beginning with `prefix`.
pub fn create(
    journal: &JournalRw,
    spec_count: u64,
    prefix: &[u32],
    features: &[RunFeature],
) -> specsearch_journal::Result<RunId> {
    journal.create_run(&NewRun {
        name_stem: "p",
        config_path: "/w/p.toml",
        config_text: "[search]\n",
        search_hash: &"3".repeat(64),
        bundle_hash: &"4".repeat(64),
        target: "f0",
        frequency: "M",
        spec_count,
        target_stationary: true,
        has_out_of_sample: false,
        features,
        common_prefix: prefix,
    })
}

/// The passed-model detail of a journal-level test record (the numbers are arbitrary; only
/// the spec key matters to dedup).
pub fn passed_detail(spec_key: String) -> Box<PassedRecord> {
    Box::new(PassedRecord {
        spec_key,
        r2: 0.5,
        adj_r2: 0.4,
        is_max_abs: 1.0,
        is_mae: 0.5,
        is_rmse: 0.6,
        oos_max_abs: None,
        oos_mae: None,
        oos_rmse: None,
        cov_type: "nonrobust".into(),
        detail_json: "{}".into(),
    })
}

/// SplitMix64.
pub fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Spec `index`: `prefix`, then 0..=5 other ids below `n` (of every code length when `n`
/// passes 2048); every 50th passed, every 70th an error, the rest filtered at tests 2..=4.
pub fn record(index: u64, prefix: &[u32], n: u32) -> OutcomeRecord {
    let mut state = index;
    let mut features = prefix.to_vec();
    for _ in 0..next(&mut state) % 6 {
        let id = 1 + (next(&mut state) % u64::from(n - 1)) as u32;
        if !features.contains(&id) {
            features.push(id);
        }
    }
    let (status, failed_test, message) = match index {
        i if i % 50 == 0 => (OutcomeStatus::Passed, None, None),
        i if i % 70 == 0 => (OutcomeStatus::Error, None, Some("singular".to_string())),
        _ => (
            OutcomeStatus::Filtered,
            FilterTest::from_code(2 + (index % 3) as u8),
            None,
        ),
    };
    OutcomeRecord {
        spec_index: index,
        status,
        failed_test,
        features,
        r2: Some(index as f64 / 1000.0),
        message,
        eval_us: 3,
        passed: (status == OutcomeStatus::Passed).then(|| passed_detail(format!("{index:064x}"))),
        mutations: Vec::new(),
    }
}

/// Writes `records` into `run_id` through the journal writer in batches of 64 (so both the
/// 32-row chunks and the row-by-row path run), in a session of its own; the session id.
pub fn write(path: &Path, run_id: RunId, records: Vec<OutcomeRecord>) -> i64 {
    let journal = JournalRw::open(path).unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(path, run_id, FlushPolicy::default()).unwrap();
    for batch in records.chunks(64) {
        writer.send(session, 0, batch.to_vec()).unwrap();
    }
    writer.finish().unwrap();
    guard
        .end(specsearch_journal::RunStatus::Interrupted, None)
        .unwrap();
    session
}

/// Asserts that the writer's counters equal a scan of the outcomes and no row dangles.
pub fn assert_sound(path: &Path) {
    let journal = specsearch_journal::Journal::open(path).unwrap();
    let problems = journal.counter_mismatches().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
}
