//! Journals built for tests: a run of a real spec space (so that every spec's columns follow
//! from its index, as the journal stores them), outcomes of every kind written through the
//! writer, and a raw connection to look at what was stored.

use std::path::Path;

use specsearch_core::spec::{ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecSpace};
use specsearch_journal::{
    BlockBuilder, FeatureRole, FilterTest, FlushPolicy, JournalRw, JournalWriter, NewRun,
    OutcomeCode, OutcomeRecord, OutcomeStatus, PassedRecord, RunFeature, RunId,
};

/// A raw connection to look at what the API stored (tests only).
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// One integer from a query.
pub fn int(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A spec space over columns `0..=n_columns` (0 the target, `M:k` names for the forced dummy
/// set's columns, `f{id}` for the rest) and its run features.
pub struct TestSpace {
    pub space: SpecSpace,
    pub features: Vec<RunFeature>,
}

impl TestSpace {
    /// Pool variables with the given variants (one column each), forced items first (each a
    /// dummy set of the given columns), at most `max_vars` items per spec.
    pub fn new(
        n_columns: u32,
        variables: &[Vec<u32>],
        forced: &[Vec<u32>],
        max_vars: usize,
    ) -> Self {
        let dummies: Vec<u32> = forced.iter().flatten().copied().collect();
        let name = |id: u32| -> String {
            match dummies.iter().position(|&d| d == id) {
                Some(k) => format!("M:{}", k + 2),
                None => format!("f{id}"),
            }
        };
        let columns = (0..=n_columns)
            .map(|id| {
                let class = if dummies.contains(&id) {
                    ColumnClass::MonthDummy
                } else {
                    ColumnClass::Feature
                };
                ColumnInfo::new(name(id), class)
            })
            .collect();
        let input = SpaceInput {
            forced: forced
                .iter()
                .enumerate()
                .map(|(k, cols)| Element::dummy_set(format!("dummies{k}"), cols))
                .collect(),
            pool: variables
                .iter()
                .enumerate()
                .map(|(k, cols)| PoolEntry::Variable {
                    element: Element::variable(format!("v{k}"), cols),
                    category: None,
                })
                .collect(),
            max_vars,
            category_limit: 1,
            columns,
            key_context: "test".into(),
        };
        let features = (0..=n_columns)
            .map(|id| RunFeature {
                id,
                name: name(id),
                role: if id == 0 {
                    FeatureRole::Target
                } else if dummies.contains(&id) {
                    FeatureRole::Dummy
                } else {
                    FeatureRole::Variant
                },
                base: format!("b{}", id % 50),
                category: None,
            })
            .collect();
        TestSpace {
            space: SpecSpace::new(input).unwrap(),
            features,
        }
    }

    /// Ten variables of four variants (columns 1..=40), up to two per spec: 760 specs.
    pub fn small() -> Self {
        let vars: Vec<Vec<u32>> = (0..10).map(|v| (1 + 4 * v..5 + 4 * v).collect()).collect();
        TestSpace::new(40, &vars, &[], 2)
    }

    /// The columns of spec `index`.
    pub fn spec(&self, index: u64) -> Vec<u32> {
        let mut out = Vec::new();
        self.space.spec_at(index, &mut out).unwrap();
        out
    }

    /// Spec `index`'s outcome: every 50th passed, every 70th an error, the rest filtered at
    /// filters 2..=4.
    pub fn record(&self, index: u64) -> OutcomeRecord {
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
            features: self.spec(index),
            r2: Some(index as f64 / 1000.0),
            message,
            eval_us: 3,
            passed: (status == OutcomeStatus::Passed)
                .then(|| passed_detail(format!("{index:064x}"))),
            mutations: Vec::new(),
        }
    }
}

/// A run of `space`.
pub fn create(journal: &JournalRw, space: &TestSpace) -> specsearch_journal::Result<RunId> {
    journal.create_run(&NewRun {
        name_stem: "p",
        config_path: "/w/p.toml",
        config_text: "[search]\n",
        search_hash: &"3".repeat(64),
        bundle_hash: &"4".repeat(64),
        target: "f0",
        frequency: "M",
        target_stationary: true,
        has_out_of_sample: false,
        features: &space.features,
        space: &space.space,
        record_plan: true,
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

/// Records as a worker sends them: one block (full records for passed and error outcomes).
pub fn block(records: &[OutcomeRecord]) -> specsearch_journal::OutcomeBlock {
    let mut b = BlockBuilder::default();
    for r in records {
        let code = OutcomeCode::new(r.status, r.failed_test, None);
        let detail = (r.status != OutcomeStatus::Filtered).then(|| r.clone());
        b.push(r.spec_index, code, &r.features, r.eval_us, detail);
    }
    b.finish()
}

/// Writes `records` into `run_id` through the journal writer in blocks of 64, in a session of
/// its own; the session id.
pub fn write(path: &Path, run_id: RunId, records: Vec<OutcomeRecord>) -> i64 {
    let journal = JournalRw::open(path).unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(path, run_id, FlushPolicy::default()).unwrap();
    for batch in records.chunks(64) {
        writer.send(session, 0, block(batch)).unwrap();
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
