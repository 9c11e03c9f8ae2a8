//! `journal.sqlite`: runs, one outcome per spec, passed-model detail, mutation records and
//! replays, sessions and telemetry.
//!
//! The coordinator owns the journal (one writer thread, see [`writer`]); readers (`status`,
//! `query`, …) open it read-only and may do so while a run writes (WAL). Inserts are idempotent
//! by (run, spec index), so re-committing a batch after a crash changes nothing.
//!
//! This module is the only code that speaks SQL to `journal.sqlite` (the schema is in
//! `migrations/`, the views in `sql/`): `schema` opens and upgrades, `writer` commits outcomes,
//! `runs` keeps runs, sessions and telemetry, `derive` ranks, `mutations` records replays and
//! audits them, `scenarios` keeps scenario forecasts, `queries` reads what the inspection
//! commands show, `merge` unions shards, `segments` records the segment of each run and the
//! workers' setups, and `status` and `rows` are the typed boundary (status enums; dynamically
//! typed result rows); `codes` spells the feature lists of outcomes compactly.

pub mod codes;
pub mod counters;
pub mod derive;
pub mod merge;
pub mod mutations;
pub mod outcome_rows;
pub mod queries;
pub mod rows;
pub mod runs;
pub mod scenarios;
pub mod schema;
pub mod segments;
pub mod status;
pub mod writer;

pub use status::{OutcomeStatus, RunStatus, SessionStatus};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no journal at {0}: run `specsearch run CONFIG` first")]
    Missing(PathBuf),
    #[error("{0}")]
    Invalid(String),
}

impl JournalError {
    /// Maps a SQLite error to one naming the journal file.
    pub fn at(path: &Path) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
        move |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// UTC timestamp as stored in the journal (ISO 8601, millisecond precision).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The stored code of a filter (`filter_tests.code`: 1..=7 in the order of SEARCH-SEMANTICS §5).
pub fn filter_code(test: crate::assess::FilterTest) -> u8 {
    test as u8 + 1
}

/// What is journaled for one spec: compact for filtered specs, full detail for passed ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    pub spec_index: u64,
    pub status: OutcomeStatus,
    /// Filter code 1..=7 (table `filter_tests`) when filtered.
    pub failed_test: Option<u8>,
    /// The spec's column ids, sorted as the spec is (all of them: the writer leaves out the
    /// run's common prefix).
    pub features: Vec<u32>,
    pub r2: Option<f64>,
    pub message: Option<String>,
    pub eval_us: u32,
    pub passed: Option<Box<PassedRecord>>,
    /// Composite features the spec built and depends on (passed specs only; empty otherwise).
    pub mutations: Vec<MutationRecord>,
}

/// A feature a worker constructed that is not in the frozen catalogue (a composite), reported
/// by every passed spec that depends on it. The journal keeps one per run and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationRecord {
    pub name: String,
    /// Canonical definition, e.g. `interaction(a_QQGR, b_LV)`.
    pub definition: String,
    /// sha256 of the values over every date ([`crate::store::column_sha256`]).
    pub sha256: String,
}

/// The detail of a passed model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassedRecord {
    pub spec_key: String,
    pub r2: f64,
    pub adj_r2: f64,
    pub is_max_abs: f64,
    pub is_mae: f64,
    pub is_rmse: f64,
    pub oos_max_abs: Option<f64>,
    pub oos_mae: Option<f64>,
    pub oos_rmse: Option<f64>,
    pub cov_type: String,
    /// Every statistic as JSON (coefficients, SEs, p-values, tests).
    pub detail_json: String,
}
