//! The two connection-owning handles: [`Journal`] reads, [`JournalRw`] also writes what the
//! coordinator records outside the hot path. Every method names the journal file in its
//! errors; the SQL lives in the sibling modules.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::derive::{self, Weights};
use crate::error::{JournalError, Result};
use crate::mutations::{self, AuditRow, MutationTotals, PendingMutation, Replay, UsedColumn};
use crate::queries::{self, FailureFeatures, Ranking, RunDigest, SpecFeature, SpecRow};
use crate::rows::{Sink, Table};
use crate::runs::{self, Counts, NewRun, RunId, RunRow, WorkerRow};
use crate::scenarios::{self, ForecastSet, LevelPath, ModelCoefficients, SetInfo};
use crate::segments::{self, WorkerSetup};
use crate::user_sql::{Interrupter, UserQuery};
use crate::{outcome_rows, schema, OutcomeStatus};

/// A journal opened for reading (see the crate documentation).
pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

/// A journal opened for reading and writing; reads like a [`Journal`].
pub struct JournalRw {
    inner: Journal,
}

impl Deref for JournalRw {
    type Target = Journal;
    fn deref(&self) -> &Journal {
        &self.inner
    }
}

impl Journal {
    /// Opens an existing journal read-only, with this build's views. A journal written by an
    /// older specsearch is upgraded in place first (what any `run` would do to it).
    pub fn open(path: &Path) -> Result<Journal> {
        let conn = schema::open_ro(path)?;
        schema::install_temp_views(&conn).map_err(JournalError::naming(path))?;
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses a run whose counters disagree with its outcomes or whose stored ranking is
    /// incomplete ("the journal … is damaged: …"); cheap (aggregates over the run's blocks and
    /// passed rows), for every command that trusts the run's results.
    pub fn verify_run(&self, run_id: RunId) -> Result<()> {
        let problems =
            crate::verify::run_invariants(self.conn(), run_id).map_err(|e| self.err(e))?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::verify::damaged(self.path(), &problems))
        }
    }

    /// SQLite's structure check of the whole file (`PRAGMA quick_check`, one pass over it),
    /// then [`Journal::verify_run`] of the run to be resumed, if any: before anything is
    /// written into the journal.
    pub fn verify_for_resume(&self, run_id: Option<RunId>) -> Result<()> {
        // A file too damaged to check is damaged too.
        let problems =
            crate::verify::quick_check(self.conn()).unwrap_or_else(|e| vec![e.to_string()]);
        if !problems.is_empty() {
            return Err(crate::verify::damaged(self.path(), &problems));
        }
        match run_id {
            Some(run_id) => self.verify_run(run_id),
            None => Ok(()),
        }
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Names this journal in an error.
    pub(crate) fn err(&self, e: impl Into<JournalError>) -> JournalError {
        e.into().at(&self.path)
    }

    /// The journal's schema version (this build writes [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<i64> {
        schema::version(&self.conn).map_err(|e| self.err(e))
    }

    /// Every way the writer's counters and the rows' references disagree with the outcomes,
    /// by a full scan (empty: sound).
    pub fn counter_mismatches(&self) -> Result<Vec<String>> {
        crate::check::mismatches(&self.conn).map_err(|e| self.err(e))
    }

    // Runs.

    /// Run `run_id`, if the journal has it.
    pub fn run(&self, run_id: RunId) -> Result<Option<RunRow>> {
        runs::get(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// A run by what a person typed: its id (`3`) or its name (`demo#2`).
    pub fn find_run(&self, id_or_name: &str) -> Result<Option<RunRow>> {
        runs::find(&self.conn, id_or_name).map_err(|e| self.err(e))
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        runs::all(&self.conn).map_err(|e| self.err(e))
    }

    /// The most recent run in the journal.
    pub fn latest_run(&self) -> Result<Option<RunRow>> {
        runs::latest(&self.conn).map_err(|e| self.err(e))
    }

    /// The most recent run of a search (by its config's search hash), over any data.
    pub fn latest_run_of_search(&self, search_hash: &str) -> Result<Option<RunRow>> {
        runs::latest_of_search(&self.conn, search_hash).map_err(|e| self.err(e))
    }

    /// The most recent run of a search over one frozen bundle (the run a `run` resumes).
    pub fn latest_run_for(&self, search_hash: &str, bundle_hash: &str) -> Result<Option<RunRow>> {
        runs::latest_for(&self.conn, search_hash, bundle_hash).map_err(|e| self.err(e))
    }

    /// The config text a run recorded when it was created.
    pub fn config_text(&self, run_id: RunId) -> Result<String> {
        runs::config_text(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Outcome counts of a run (from the writer's counters: a few rows per session).
    pub fn counts(&self, run_id: RunId) -> Result<Counts> {
        runs::counts(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The spec indices that already have an outcome, as ascending half-open ranges (one for
    /// a complete run, a few for an interrupted one): resuming a run of a hundred million
    /// specs reads a handful of rows, not its outcomes.
    pub fn done_ranges(&self, run_id: RunId) -> Result<Vec<(u64, u64)>> {
        crate::counters::journaled_ranges(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The feature ids every spec of a run begins with.
    pub fn common_prefix(&self, run_id: RunId) -> Result<Vec<u32>> {
        runs::common_prefix(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The segment of a run (`None` for a run of a config without segments).
    pub fn segment_of(&self, run_id: RunId) -> Result<Option<String>> {
        segments::segment_of(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The latest run of segment `segment` whose search hash is one of `search_hashes` (any
    /// search when empty).
    pub fn latest_run_of_segment(
        &self,
        segment: &str,
        search_hashes: &[String],
    ) -> Result<Option<RunRow>> {
        let id =
            segments::latest_run_of(&self.conn, segment, search_hashes).map_err(|e| self.err(e))?;
        match id {
            Some(id) => self.run(id),
            None => Ok(None),
        }
    }

    // What the inspection commands show.

    /// `run_progress` rows: every run, or one.
    pub fn run_progress(&self, run_id: Option<RunId>) -> Result<Table> {
        queries::run_progress(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Whether the run has a stored ranking (written when it completed).
    pub fn has_stored_ranking(&self, run_id: RunId) -> Result<bool> {
        queries::has_stored_ranking(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Ranked passed models of a run, best first; `limit` of `None` means all; `detail` adds
    /// the JSON detail column.
    pub fn passed_models(
        &self,
        run_id: RunId,
        ranking: &Ranking,
        limit: Option<usize>,
        detail: bool,
    ) -> Result<Table> {
        queries::passed_models(&self.conn, run_id, ranking, limit, detail).map_err(|e| self.err(e))
    }

    /// As [`Journal::passed_models`], streamed into `sink`; returns the row count.
    pub fn stream_passed(
        &self,
        run_id: RunId,
        ranking: &Ranking,
        limit: Option<usize>,
        detail: bool,
        sink: &mut dyn Sink,
    ) -> Result<u64> {
        queries::stream_passed(&self.conn, run_id, ranking, limit, detail, sink)
            .map_err(|e| self.err(e))
    }

    /// Failed specs per filter, in filter order.
    pub fn failures_by_test(&self, run_id: RunId) -> Result<Table> {
        queries::failures_by_test(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Outcome counts by status and failed filter: `(status, failed test, specs)`.
    pub fn outcome_mix(
        &self,
        run_id: RunId,
    ) -> Result<
        Vec<(
            OutcomeStatus,
            Option<specsearch_core::assess::FilterTest>,
            u64,
        )>,
    > {
        queries::outcome_mix(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The `top` most common features among each filter's failures.
    pub fn failure_features(&self, run_id: RunId, top: usize) -> Result<FailureFeatures> {
        queries::failure_features(&self.conn, run_id, top).map_err(|e| self.err(e))
    }

    /// Errors by type.
    pub fn errors_by_type(&self, run_id: RunId) -> Result<Table> {
        queries::errors_by_type(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Errors by message.
    pub fn errors_by_message(&self, run_id: RunId) -> Result<Table> {
        queries::errors_by_message(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Sessions of a run (one per invocation of `run`).
    pub fn sessions(&self, run_id: RunId) -> Result<Table> {
        queries::sessions(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The latest `limit` events of a run's sessions (newest last).
    pub fn events(&self, run_id: RunId, limit: usize) -> Result<Table> {
        queries::events(&self.conn, run_id, limit).map_err(|e| self.err(e))
    }

    /// Workers of the run's latest session the watchdog is stopping.
    pub fn stalled_workers(&self, run_id: RunId) -> Result<Vec<i64>> {
        queries::stalled_workers(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// What the end of `run` and `merge` prints about a run, with up to `top_n` models.
    pub fn run_digest(&self, run_id: RunId, top_n: usize) -> Result<RunDigest> {
        queries::run_digest(&self.conn, run_id, top_n).map_err(|e| self.err(e))
    }

    /// The outcome of one spec of a run, if it has one.
    pub fn spec_row(&self, run_id: RunId, spec_index: u64) -> Result<Option<SpecRow>> {
        queries::spec_row(&self.conn, run_id, spec_index).map_err(|e| self.err(e))
    }

    /// The features of one spec of a run, in spec order.
    pub fn spec_features(&self, run_id: RunId, spec_index: u64) -> Result<Vec<SpecFeature>> {
        queries::spec_features(&self.conn, run_id, spec_index).map_err(|e| self.err(e))
    }

    /// Streams every outcome of a run into `sink` in spec order (the columns of
    /// `outcomes_expanded`); `progress` is called every 65,536 rows with the count so far.
    pub fn stream_outcomes(
        &self,
        run_id: RunId,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        outcome_rows::stream_outcomes(&self.conn, run_id, sink, progress).map_err(|e| self.err(e))
    }

    /// Runs `read` inside one read transaction, so that everything it reads sees one snapshot
    /// of the journal (even while a run writes).
    pub fn in_snapshot<T, E: From<JournalError>>(
        &self,
        read: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("BEGIN")
            .map_err(|e| E::from(self.err(e)))?;
        let result = read();
        self.conn.execute_batch("COMMIT").ok();
        result
    }

    // A person's SQL.

    /// Prepares one read-only SQL statement of a person's (`query`, `export --sql`); anything
    /// that could write is refused with a message that says so.
    pub fn user_query(&self, sql: &str) -> Result<UserQuery<'_>> {
        UserQuery::prepare(self, sql)
    }

    /// A handle that stops the statement running on this journal (Ctrl-C in `query`).
    pub fn interrupter(&self) -> Interrupter {
        Interrupter::new(self.conn.get_interrupt_handle())
    }

    // Mutations.

    /// The run's mutations without a successful replay, in order of first needing spec.
    pub fn pending_mutations(&self, run_id: RunId) -> Result<Vec<PendingMutation>> {
        mutations::pending(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Every distinct column of the run's passed models.
    pub fn passed_columns(&self, run_id: RunId) -> Result<Vec<UsedColumn>> {
        mutations::passed_columns(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The audit rows of a run (`mutation_audit`), in order of first needing spec.
    pub fn mutation_audit(&self, run_id: RunId) -> Result<Vec<AuditRow>> {
        mutations::audit(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// Mutation records of a run and what their latest replays did.
    pub fn mutation_totals(&self, run_id: RunId) -> Result<MutationTotals> {
        mutations::totals(&self.conn, run_id).map_err(|e| self.err(e))
    }

    // Scenario forecasts.

    /// The ranked passed models of a run, best first (`limit` of them, or all), with their
    /// coefficients.
    pub fn ranked_coefficients(
        &self,
        run_id: RunId,
        limit: Option<usize>,
    ) -> Result<Vec<ModelCoefficients>> {
        scenarios::ranked_coefficients(&self.conn, run_id, limit).map_err(|e| self.err(e))
    }

    /// The run's forecast set, if it has one.
    pub fn forecast_set(&self, run_id: RunId) -> Result<Option<SetInfo>> {
        scenarios::set_info(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The scenario statistics of one model, one row per scenario in display order.
    pub fn scenario_stats(&self, run_id: RunId, spec_index: u64) -> Result<Table> {
        scenarios::model_stats(&self.conn, run_id, spec_index).map_err(|e| self.err(e))
    }

    /// One model's level path per scenario at the search's frequency (p0 first).
    pub fn scenario_paths(&self, run_id: RunId, spec_index: u64) -> Result<Vec<LevelPath>> {
        scenarios::model_paths(&self.conn, run_id, spec_index).map_err(|e| self.err(e))
    }

    /// The target's actual levels up to p0 of the run's forecast set.
    pub fn scenario_history(&self, run_id: RunId) -> Result<Vec<(String, f64)>> {
        scenarios::history(&self.conn, run_id).map_err(|e| self.err(e))
    }

    /// The 9Q % change (a fraction) of every model under `scenario`; `None` when the run has
    /// no such scenario.
    pub fn pct_change_9q(
        &self,
        run_id: RunId,
        scenario: &str,
    ) -> Result<Option<std::collections::HashMap<u64, Option<f64>>>> {
        scenarios::pct_change_9q(&self.conn, run_id, scenario).map_err(|e| self.err(e))
    }

    /// Every forecast row of a run (`export --what forecasts`).
    pub fn stream_forecasts(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        scenarios::stream_forecasts(&self.conn, run_id, sink).map_err(|e| self.err(e))
    }
}

impl JournalRw {
    /// Opens (creating if needed) a journal for writing and brings its schema up to date.
    pub fn open(path: &Path) -> Result<JournalRw> {
        Ok(JournalRw {
            inner: Journal {
                conn: schema::open_rw(path)?,
                path: path.to_path_buf(),
            },
        })
    }

    /// Creates a run named `<stem>#<n>` with its features; its id.
    pub fn create_run(&self, run: &NewRun<'_>) -> Result<RunId> {
        runs::create_run(self.conn(), run).map_err(|e| self.err(e))
    }

    /// Records the plan of a run journaled before this version, so that it can be resumed
    /// (outcomes are journaled in blocks); whether it had none.
    pub fn ensure_plan(
        &self,
        run: &RunRow,
        space: &specsearch_core::spec::SpecSpace,
    ) -> Result<bool> {
        runs::ensure_plan(self.conn(), run, space).map_err(|e| self.err(e))
    }

    /// Records that a run is shard `index` of `count`.
    pub fn set_shard(&self, run_id: RunId, index: u32, count: u32) -> Result<()> {
        runs::set_shard(self.conn(), run_id, index, count).map_err(|e| self.err(e))
    }

    /// Records that a run is the run of segment `segment`.
    pub fn set_segment(&self, run_id: RunId, segment: &str) -> Result<()> {
        segments::set_segment(self.conn(), run_id, segment).map_err(|e| self.err(e))
    }

    /// A worker's telemetry for a session.
    pub fn record_worker(&self, run_id: RunId, session_id: i64, w: &WorkerRow) -> Result<()> {
        runs::record_worker(self.conn(), run_id, session_id, w).map_err(|e| self.err(e))
    }

    /// What setting a worker up for a session cost.
    pub fn record_setup(&self, run_id: RunId, session_id: i64, s: &WorkerSetup) -> Result<()> {
        segments::record_setup(self.conn(), run_id, session_id, s).map_err(|e| self.err(e))
    }

    /// Recomputes and stores the run's ranking (replacing any earlier one) in one
    /// transaction, after checking that the weights leave something to rank by.
    pub fn store_ranking(&self, run: &RunRow, weights: &Weights) -> Result<usize> {
        derive::check_weights(weights, run.has_out_of_sample).map_err(JournalError::Invalid)?;
        derive::store_ranking(self.conn(), run.run_id, weights).map_err(|e| self.err(e))
    }

    /// Journals a finish's replays in one transaction.
    pub fn record_replays(&self, run_id: RunId, replays: &[Replay]) -> Result<()> {
        mutations::record_replays(self.conn(), run_id, replays).map_err(|e| self.err(e))
    }

    /// Replaces the run's forecast set with `set` in one transaction; the periods written.
    pub fn write_forecast_set(&self, run_id: RunId, set: &ForecastSet<'_>) -> Result<u64> {
        scenarios::write_forecast_set(self.conn(), run_id, set).map_err(|e| self.err(e))
    }

    /// Deletes the run's forecast set (every scenario table), in one transaction.
    pub fn delete_forecast_set(&self, run_id: RunId) -> Result<()> {
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| self.err(e))?;
        scenarios::delete_forecast_set(&tx, run_id).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Leaves the models whose ordering check failed out of the run's stored ranking; how
    /// many were left out.
    pub fn exclude_out_of_order(&self, run_id: RunId) -> Result<usize> {
        scenarios::exclude_out_of_order(self.conn(), run_id).map_err(|e| self.err(e))
    }

    /// Copies the WAL into the main file (the file alone is then the whole journal).
    pub fn checkpoint(&self) -> Result<()> {
        schema::checkpoint(self.conn()).map_err(|e| self.err(e))
    }
}
