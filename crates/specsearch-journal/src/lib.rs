//! `journal.sqlite`: runs, one outcome per spec, passed-model detail, mutation records and
//! replays, scenario forecasts and their sensitivity, stability and backtests of validated
//! models, sessions and telemetry — the product's memory.
//!
//! This crate is the only code that speaks SQL to a journal. The schema is the workspace's
//! `migrations/` (numbered, append-only), the views are `sql/`; both are embedded at build time.
//! Three handles, and no `rusqlite` connection, statement or SQL text leaves the crate:
//!
//! - [`Journal`]: read-only (status, top, show, report, export, query). Safe while a run writes
//!   (WAL readers see the last commit); this build's views are installed as TEMP views, so a
//!   journal written by another build reads exactly like a fresh one.
//! - [`JournalRw`]: read-write, for what the coordinator does outside the hot path: create and
//!   resume runs, keep sessions ([`RunGuard`]), rank, record replays, write forecast sets.
//!   It reads like a [`Journal`] (`Deref`).
//! - [`JournalWriter`]: the single writer thread that commits outcomes in batches.
//!
//! Every stored code is a typed value with explicit numbers or words ([`RunStatus`],
//! [`OutcomeStatus`], [`ReplayAction`], [`EventKind`], [`FilterTest`] codes, [`FeatureRole`]),
//! converted at this boundary. Inserts are idempotent by (run, spec index), so re-committing a
//! batch after a crash changes nothing.

mod benchmark_backtests;
mod benchmarks;
mod blocks;
mod check;
mod codes;
mod compare;
mod counters;
mod derive;
mod error;
mod guard;
mod handle;
mod merge;
mod mutations;
mod outcome_rows;
mod plan;
mod queries;
mod records;
mod rows;
mod runs;
mod scenarios;
mod schema;
mod segments;
mod sensitivity;
mod stability;
mod status;
mod timeouts;
mod user_sql;
mod verify;
mod writer;

pub use benchmarks::{BenchmarkFit, BenchmarkForecasts, BenchmarkMethod, RunInputs};
pub use blocks::{BlockBuilder, BlockRange, FeatureCount, OutcomeBlock, OutcomeCode, KINDS};
pub use codes::MAX_FEATURE_ID;
pub use compare::RankedModel;
pub use derive::Weights;
pub use error::{JournalError, Result, StorageFailure};
pub use guard::{RunGuard, SessionTotals};
pub use handle::{Journal, JournalRw};
pub use merge::{merge, read_shard, MergeReport, ShardRun};
pub use mutations::{AuditRow, MutationTotals, PendingMutation, Replay, ReplayAction, UsedColumn};
pub use outcome_rows::{CellKind, OUTCOME_COLUMNS, OUTCOME_KINDS};
pub use plan::PlanDecoder;
pub use queries::{
    FailureFeatures, Ranking, RunDigest, SpecFeature, SpecRow, TopModel, PASSED_COLUMNS,
};
pub use records::{MutationRecord, OutcomeRecord, PassedDetail, PassedRecord, INTERCEPT};
pub use rows::{BoxError, Cell, Sink, Table, TableSink};
pub use runs::{Counts, NewRun, RunFeature, RunId, RunRow, WorkerRow};
pub use scenarios::{ForecastSet, LevelPath, ModelCoefficients, ScenarioRow, SetInfo};
pub use schema::SCHEMA_VERSION;
pub use segments::WorkerSetup;
pub use sensitivity::{
    AttributionTerm, BandLevels, DriverLevels, DriverPath, ModelSensitivity, ScenarioAttribution,
    ScenarioBand, SensitivityFeature, SensitivityLevels, SensitivitySet,
};
pub use stability::{
    BacktestSample, BacktestSummaryRecord, BreakTest, BreakTestRecord, BreakVerdict, CusumRecord,
    JumpOffRecord, ModelBacktest, ModelStability, RecursiveRecord, RecursiveSeries,
    StabilityAnalysis, TrialCoefficient, TrialRecord,
};
pub use status::{EventKind, OutcomeStatus, RunStatus, SessionStatus};
pub use timeouts::TIMEOUT_MESSAGE_PREFIX;
pub use user_sql::{Interrupter, UserQuery};
pub use writer::JournalWriter;
pub use writer::{FlushPolicy, SessionEvent, WriterStats};

pub use specsearch_core::assess::FilterTest;
pub use specsearch_core::spec::FeatureRole;

/// UTC timestamp as stored in the journal (ISO 8601, millisecond precision).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The SQLite library linked in (`specsearch --version`).
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}
