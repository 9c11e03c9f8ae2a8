//! Mutation records and replays (docs/architecture.md, seed step 6) as the journal keeps them: the
//! mutations still to replay, the replays done, the columns every passed model depends on (what the
//! validation checks against the store), and the audit of it all (`mutation_audit`).

use rusqlite::{params, Connection};
use serde::Serialize;
use specsearch_core::spec::FeatureRole;

use crate::runs::RunId;
use crate::status::{role_from_sql, stored_words};

stored_words! {
    /// What a replay did with one mutation (`replays.action`).
    ReplayAction {
        /// Values and catalogue row written into the store.
        Inserted = "inserted",
        /// The store already had the same name with the same values.
        AlreadyPresent = "already_present",
        /// The store (or the frozen data) disagrees; retried by the next finish.
        Conflict = "conflict",
    }
}

impl ReplayAction {
    /// For people: `already present`.
    pub fn label(self) -> &'static str {
        match self {
            ReplayAction::Inserted => "inserted",
            ReplayAction::AlreadyPresent => "already present",
            ReplayAction::Conflict => "conflict",
        }
    }
}

/// A mutation of a run not yet replayed successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMutation {
    pub name: String,
    pub definition: String,
    pub sha256: String,
}

/// The run's mutations without a successful replay, in order of first needing spec.
pub(crate) fn pending(conn: &Connection, run_id: RunId) -> rusqlite::Result<Vec<PendingMutation>> {
    let mut stmt = conn.prepare(
        "SELECT name, definition, sha256 FROM mutations m WHERE run_id = ?1 AND NOT EXISTS \
         (SELECT 1 FROM replays r WHERE r.run_id = m.run_id AND r.name = m.name \
         AND r.action <> 'conflict') \
         ORDER BY first_spec_index, name",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok(PendingMutation {
            name: r.get(0)?,
            definition: r.get(1)?,
            sha256: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// One replay, as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub name: String,
    pub sha256: String,
    pub action: ReplayAction,
    pub detail: Option<String>,
}

/// Journals a finish's replays in one transaction.
pub(crate) fn record_replays(
    conn: &Connection,
    run_id: RunId,
    replays: &[Replay],
) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO replays (run_id, name, sha256, action, detail, replayed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in replays {
            stmt.execute(params![
                run_id,
                r.name,
                r.sha256,
                r.action,
                r.detail,
                crate::now()
            ])?;
        }
    }
    tx.commit()
}

/// A column some passed model of the run uses, with the recorded hash of a composite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedColumn {
    pub name: String,
    /// The role the run recorded.
    pub role: FeatureRole,
    /// The mutation record's sha256 (composites; `None` when no worker recorded one).
    pub recorded_sha256: Option<String>,
}

/// Every distinct column of the run's passed models.
pub(crate) fn passed_columns(
    conn: &Connection,
    run_id: RunId,
) -> rusqlite::Result<Vec<UsedColumn>> {
    let mut stmt = conn.prepare(
        // CROSS JOIN fixes the order: passed models drive, each one's feature list is read
        // once (from its row: passed models always have one), features are looked up by id. Left to itself SQLite may loop over every
        // feature of the run and re-read each passed model's list for each (seconds with
        // thousands of passes).
        "SELECT f.name, f.role, m.sha256 \
         FROM (SELECT DISTINCT c.feature_id FROM passed p \
               CROSS JOIN row_columns c ON c.run_id = p.run_id \
               AND c.spec_index = p.spec_index WHERE p.run_id = ?1) u \
         CROSS JOIN run_features f ON f.run_id = ?1 AND f.feature_id = u.feature_id \
         LEFT JOIN mutations m ON m.run_id = f.run_id AND m.name = f.name \
         ORDER BY f.role, f.name",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok(UsedColumn {
            name: r.get(0)?,
            role: role_from_sql(&r.get::<_, String>(1)?)?,
            recorded_sha256: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// One row of `mutation_audit` (sql/mutations.sql).
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub name: String,
    pub definition: String,
    pub sha256: String,
    pub first_spec_index: u64,
    pub session_id: i64,
    pub worker: i64,
    pub recorded_at: String,
    pub passed_specs: u64,
    pub ranked_models: u64,
    pub best_rank: Option<u64>,
    pub passed_spec_indices: Vec<u64>,
    pub replay_action: Option<ReplayAction>,
    pub replay_detail: Option<String>,
    pub replayed_at: Option<String>,
    pub replay_attempts: u64,
}

/// The audit rows of a run, in order of first needing spec.
pub(crate) fn audit(conn: &Connection, run_id: RunId) -> rusqlite::Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT name, definition, sha256, first_spec_index, session_id, worker, recorded_at, \
         passed_specs, ranked_models, best_rank, passed_spec_indices, replay_action, \
         replay_detail, replayed_at, replay_attempts FROM mutation_audit WHERE run_id = ?1 \
         ORDER BY first_spec_index, name",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        let indices: String = r.get(10)?;
        let action: Option<ReplayAction> = r.get(11)?;
        Ok(AuditRow {
            name: r.get(0)?,
            definition: r.get(1)?,
            sha256: r.get(2)?,
            first_spec_index: r.get::<_, i64>(3)? as u64,
            session_id: r.get(4)?,
            worker: r.get(5)?,
            recorded_at: r.get(6)?,
            passed_specs: r.get::<_, i64>(7)? as u64,
            ranked_models: r.get::<_, i64>(8)? as u64,
            best_rank: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
            passed_spec_indices: serde_json::from_str(&indices).unwrap_or_default(),
            replay_action: action,
            replay_detail: r.get(12)?,
            replayed_at: r.get(13)?,
            replay_attempts: r.get::<_, i64>(14)? as u64,
        })
    })?;
    rows.collect()
}

/// Mutation records of a run and what their latest replays did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutationTotals {
    pub recorded: u64,
    pub inserted: u64,
    pub already_present: u64,
    pub conflicts: u64,
    pub not_replayed: u64,
}

pub(crate) fn totals(conn: &Connection, run_id: RunId) -> rusqlite::Result<MutationTotals> {
    conn.query_row(
        "SELECT count(*), coalesce(sum(replay_action = 'inserted'), 0), \
         coalesce(sum(replay_action = 'already_present'), 0), \
         coalesce(sum(replay_action = 'conflict'), 0), \
         coalesce(sum(replay_action IS NULL), 0) FROM mutation_audit WHERE run_id = ?1",
        [run_id],
        |r| {
            Ok(MutationTotals {
                recorded: r.get::<_, i64>(0)? as u64,
                inserted: r.get::<_, i64>(1)? as u64,
                already_present: r.get::<_, i64>(2)? as u64,
                conflicts: r.get::<_, i64>(3)? as u64,
                not_replayed: r.get::<_, i64>(4)? as u64,
            })
        },
    )
}
