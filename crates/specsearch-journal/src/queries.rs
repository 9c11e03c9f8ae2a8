//! The queries behind the inspection commands, each returning a [`Table`] (or streaming into a
//! [`Sink`]): run progress, ranked passed models (stored or re-ranked with other weights),
//! failures by test, the features most common among each test's failures, errors by type and
//! message, and every outcome with its features.

use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::assess::FilterTest;

use crate::blocks::OutcomeCode;
use crate::derive::{Weights, RANKING_SQL};
use crate::error::Result;
use crate::rows::{stream_statement, Sink, Table, TableSink};
use crate::runs::RunId;
use crate::status::{filter_test_from_sql, role_from_sql};
use crate::OutcomeStatus;
use specsearch_core::spec::FeatureRole;

/// `run_progress` rows: every run, or one.
pub(crate) fn run_progress(conn: &Connection, run_id: Option<RunId>) -> Result<Table> {
    Table::query(
        conn,
        "SELECT * FROM run_progress WHERE ?1 IS NULL OR run_id = ?1 ORDER BY run_id",
        [run_id],
    )
}

/// Whether the run has a stored ranking (written when it completed).
pub(crate) fn has_stored_ranking(conn: &Connection, run_id: RunId) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM ranking WHERE run_id = ?1)",
        [run_id],
        |r| r.get(0),
    )?)
}

/// How to rank passed models.
#[derive(Debug, Clone)]
pub enum Ranking {
    /// The stored ranking (`passed_models` view).
    Stored,
    /// Ranked now with these weights (nothing is stored); adds a `stored_rank` column.
    Weights(Weights),
}

/// Columns of [`passed_models`] without `detail` (shown by `top`, exported by default).
pub const PASSED_COLUMNS: &str = "run_id, rank, spec_index, score, fit_score, is_score, \
    oos_score, r2, adj_r2, is_mae, is_rmse, is_max_abs, oos_mae, oos_rmse, oos_max_abs, \
    cov_type, n_variables, n_columns, features, spec_key";

fn reranked_sql(limit_clause: &str) -> String {
    format!(
        "SELECT p.run_id, rk.rank, p.spec_index, rk.score, rk.fit_score, rk.is_score, \
         rk.oos_score, p.r2, p.adj_r2, p.is_mae, p.is_rmse, p.is_max_abs, p.oos_mae, \
         p.oos_rmse, p.oos_max_abs, p.cov_type, \
         l.n_variables, l.n_columns, l.features, \
         p.spec_key, s.rank AS stored_rank, p.detail \
         FROM ({RANKING_SQL}) rk \
         JOIN passed p ON p.run_id = ?1 AND p.spec_index = rk.spec_index \
         JOIN passed_feature_lists l ON l.run_id = p.run_id AND l.spec_index = p.spec_index \
         LEFT JOIN ranking s ON s.run_id = p.run_id AND s.spec_index = p.spec_index \
         {limit_clause}"
    )
}

/// Ranked passed models of a run, best first; `limit` of `None` means all. `detail` adds the
/// JSON detail column.
pub(crate) fn passed_models(
    conn: &Connection,
    run_id: RunId,
    ranking: &Ranking,
    limit: Option<usize>,
    detail: bool,
) -> Result<Table> {
    let mut table = TableSink::default();
    stream_passed(conn, run_id, ranking, limit, detail, &mut table)?;
    Ok(table.0)
}

/// As [`passed_models`], streamed into `sink`; returns the row count.
pub(crate) fn stream_passed(
    conn: &Connection,
    run_id: RunId,
    ranking: &Ranking,
    limit: Option<usize>,
    detail: bool,
    sink: &mut dyn Sink,
) -> Result<u64> {
    let limit = limit.map_or(-1, |n| n as i64);
    let detail_col = if detail { ", detail" } else { "" };
    match ranking {
        Ranking::Stored => {
            let sql = format!(
                "SELECT {PASSED_COLUMNS}{detail_col} FROM passed_models WHERE run_id = ?1 \
                 ORDER BY rank LIMIT ?2"
            );
            let mut stmt = conn.prepare(&sql)?;
            stream_statement(&mut stmt, params![run_id, limit], sink)
        }
        Ranking::Weights(w) => {
            let sql = format!(
                "SELECT {PASSED_COLUMNS}, stored_rank{detail_col} FROM ({}) ORDER BY rank",
                reranked_sql("ORDER BY rk.rank LIMIT ?5")
            );
            let mut stmt = conn.prepare(&sql)?;
            stream_statement(
                &mut stmt,
                params![run_id, w.fit, w.in_sample, w.out_of_sample, limit],
                sink,
            )
        }
    }
}

/// Failed specs per filter, in filter order.
pub(crate) fn failures_by_test(conn: &Connection, run_id: RunId) -> Result<Table> {
    Table::query(
        conn,
        "SELECT code, failed_test, specs, percent_of_outcomes, percent_of_filtered \
         FROM failures_by_test WHERE run_id = ?1 ORDER BY code",
        [run_id],
    )
}

/// Outcome counts of a run by status and failed filter (from `outcome_counts`):
/// `(status, failed filter, specs)`, filters in order. What `report` shows as
/// the outcome mix and failures by test (the `failures_by_test` view gives the same numbers).
pub(crate) fn outcome_mix(
    conn: &Connection,
    run_id: RunId,
) -> Result<Vec<(OutcomeStatus, Option<FilterTest>, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT status, nullif(failed_test, 0), sum(specs) FROM outcome_counts \
         WHERE run_id = ?1 GROUP BY status, failed_test ORDER BY status, failed_test",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((
            r.get::<_, OutcomeStatus>(0)?,
            filter_test_from_sql(r.get(1)?)?,
            r.get::<_, i64>(2)? as u64,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The `top` most common features among each filter's failures.
pub(crate) fn failure_features(
    conn: &Connection,
    run_id: RunId,
    top: usize,
) -> Result<FailureFeatures> {
    // A feature in every spec (a forced item) is in every failure too: it says nothing about
    // why specs fail, so it is listed apart and the others are ranked without it. One scan of
    // the writer's counters gives both (the view's `in_every_spec`).
    let all = Table::query(
        conn,
        "WITH ff AS MATERIALIZED (SELECT * FROM failure_features WHERE run_id = ?1), \
         informative AS (SELECT ff.*, row_number() OVER (PARTITION BY code \
             ORDER BY failures DESC, feature) AS informative_rank \
           FROM ff WHERE NOT in_every_spec) \
         SELECT 0 AS in_every_spec, code, informative_rank AS rank, 0 AS feature_id, \
           failed_test, feature, base, failures, percent_of_test_failures, \
           specs_with_feature, failure_percent \
         FROM informative WHERE informative_rank <= ?2 \
         UNION ALL \
         SELECT DISTINCT 1, NULL, NULL, (SELECT feature_id FROM run_features r \
             WHERE r.run_id = ?1 AND r.name = ff.feature), \
           NULL, feature, base, NULL, NULL, specs_with_feature, NULL \
         FROM ff WHERE in_every_spec \
         ORDER BY in_every_spec, code, rank, feature_id",
        params![run_id, top as i64],
    )?;
    let (every, informative): (Vec<_>, Vec<_>) = all
        .rows
        .iter()
        .cloned()
        .partition(|row| row[0].as_i64() == Some(1));
    let feature = all.col("feature").expect("selected");
    let table = Table {
        columns: all.columns.clone(),
        rows: informative,
    };
    Ok(FailureFeatures {
        table: table.select(&[
            "failed_test",
            "rank",
            "feature",
            "base",
            "failures",
            "percent_of_test_failures",
            "specs_with_feature",
            "failure_percent",
        ]),
        in_every_spec: every
            .iter()
            .filter_map(|row| row[feature].as_str().map(String::from))
            .collect(),
    })
}

/// The features most common among each filter's failures, and those in every spec.
#[derive(Debug, Clone)]
pub struct FailureFeatures {
    /// Per filter, its `top` features by failures, features in every spec left out.
    pub table: Table,
    /// Features in every evaluated spec (the forced items), in catalogue order.
    pub in_every_spec: Vec<String>,
}

/// Errors by type, then by message.
pub(crate) fn errors_by_type(conn: &Connection, run_id: RunId) -> Result<Table> {
    Table::query(
        conn,
        "SELECT error_type, specs, messages, first_spec_index, example FROM errors_by_type \
         WHERE run_id = ?1 ORDER BY specs DESC, error_type",
        [run_id],
    )
}

pub(crate) fn errors_by_message(conn: &Connection, run_id: RunId) -> Result<Table> {
    Table::query(
        conn,
        "SELECT error_type, message, specs, first_spec_index FROM errors_by_message \
         WHERE run_id = ?1 ORDER BY specs DESC, message",
        [run_id],
    )
}

/// Sessions of a run (one per invocation of `run`).
pub(crate) fn sessions(conn: &Connection, run_id: RunId) -> Result<Table> {
    Table::query(
        conn,
        "SELECT s.session_id AS session, s.started_at, s.ended_at, s.status, s.executor, \
         s.transport, s.workers, \
         (SELECT coalesce(sum(c.specs), 0) FROM outcome_counts c WHERE c.run_id = s.run_id \
            AND c.session_id = s.session_id) AS specs, \
         s.wall_seconds, s.cpu_seconds \
         FROM sessions s WHERE s.run_id = ?1 ORDER BY s.session_id",
        [run_id],
    )
}

/// A passed model as the run summary lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopModel {
    pub rank: u64,
    pub spec_index: u64,
    pub score: f64,
    pub r2: f64,
    /// Feature names, spec order.
    pub features: String,
}

/// What the end of `run` and `merge` prints about a run: outcome counts, the filters most
/// specs failed at, the most frequent error, mutation records and replays, the best models.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDigest {
    pub counts: crate::runs::Counts,
    /// The four filters most specs failed at, with how many specs failed there.
    pub failed_at: Vec<(FilterTest, u64)>,
    /// The most frequent error message and how many specs had it.
    pub top_error: Option<(String, u64)>,
    pub mutations: crate::mutations::MutationTotals,
    /// The stored ranking's first models (empty until the run is ranked).
    pub top: Vec<TopModel>,
}

/// The digest of a run, with up to `top_n` ranked models.
pub(crate) fn run_digest(conn: &Connection, run_id: RunId, top_n: usize) -> Result<RunDigest> {
    let counts = crate::runs::counts(conn, run_id)?;
    let failed_at = conn
        .prepare(
            "SELECT code, specs FROM failures_by_test WHERE run_id = ?1 \
             ORDER BY specs DESC, code LIMIT 4",
        )?
        .query_map([run_id], |r| {
            let test = filter_test_from_sql(r.get(0)?)?.expect("failures have a filter");
            Ok((test, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let top_error = if counts.errors > 0 {
        Some(conn.query_row(
            "SELECT message, specs FROM errors_by_message WHERE run_id = ?1 LIMIT 1",
            [run_id],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
        )?)
    } else {
        None
    };
    let top = conn
        .prepare(
            "SELECT r.rank, r.spec_index, r.score, p.r2, \
             coalesce((SELECT group_concat(name, ', ') FROM (SELECT f.name \
              FROM row_columns c CROSS JOIN run_features f ON f.run_id = c.run_id \
              AND f.feature_id = c.feature_id \
              WHERE c.run_id = r.run_id AND c.spec_index = r.spec_index \
              ORDER BY c.position)), '') \
             FROM ranking r JOIN passed p ON p.run_id = r.run_id AND p.spec_index = r.spec_index \
             WHERE r.run_id = ?1 ORDER BY r.rank LIMIT ?2",
        )?
        .query_map(params![run_id, top_n as i64], |r| {
            Ok(TopModel {
                rank: r.get::<_, i64>(0)? as u64,
                spec_index: r.get::<_, i64>(1)? as u64,
                score: r.get(2)?,
                r2: r.get(3)?,
                features: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(RunDigest {
        counts,
        failed_at,
        top_error,
        mutations: crate::mutations::totals(conn, run_id)?,
        top,
    })
}

/// What the journal keeps about one spec of a run (`show`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpecRow {
    pub status: OutcomeStatus,
    pub failed_test: Option<FilterTest>,
    pub message: Option<String>,
    pub r2: Option<f64>,
    pub spec_key: Option<String>,
    /// The passed model's detail (JSON text), when it passed.
    pub detail: Option<String>,
    pub rank: Option<i64>,
    pub score: Option<f64>,
}

/// The outcome of spec `spec_index` of a run, if it has one: its row (every outcome of runs
/// journaled before version 10; passed and error outcomes of later runs), else its code in the
/// block that holds it.
pub(crate) fn spec_row(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> Result<Option<SpecRow>> {
    let row = conn
        .query_row(
            "SELECT o.status, o.failed_test, o.message, o.r2, p.spec_key, p.detail, r.rank, \
             r.score FROM outcomes o \
             LEFT JOIN passed p ON p.run_id = o.run_id AND p.spec_index = o.spec_index \
             LEFT JOIN ranking r ON r.run_id = o.run_id AND r.spec_index = o.spec_index \
             WHERE o.run_id = ?1 AND o.spec_index = ?2",
            params![run_id, spec_index as i64],
            |r| {
                Ok(SpecRow {
                    status: r.get(0)?,
                    failed_test: filter_test_from_sql(r.get(1)?)?,
                    message: r.get(2)?,
                    r2: r.get(3)?,
                    spec_key: r.get(4)?,
                    detail: r.get(5)?,
                    rank: r.get(6)?,
                    score: r.get(7)?,
                })
            },
        )
        .optional()?;
    if row.is_some() {
        return Ok(row);
    }
    Ok(block_code(conn, run_id, spec_index)?.map(|code| SpecRow {
        status: code.status(),
        failed_test: code.failed_test(),
        message: None,
        r2: None,
        spec_key: None,
        detail: None,
        rank: None,
        score: None,
    }))
}

/// The code of spec `spec_index` in the block that holds it, if one does.
pub(crate) fn block_code(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> rusqlite::Result<Option<OutcomeCode>> {
    let block: Option<(i64, i64, Vec<u8>)> = conn
        .query_row(
            "SELECT start_index, end_index, codes FROM outcome_blocks \
             WHERE run_id = ?1 AND start_index <= ?2 ORDER BY start_index DESC LIMIT 1",
            params![run_id, spec_index as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(block.and_then(|(start, end, codes)| {
        let i = spec_index as i64;
        (i < end)
            .then(|| codes.get((i - start) as usize).copied())
            .flatten()
            .and_then(OutcomeCode::from_byte)
    }))
}

/// A feature of a spec as the run recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFeature {
    pub name: String,
    pub role: FeatureRole,
    pub base: String,
    pub category: Option<String>,
}

/// The features of spec `spec_index` of a run, in spec order: from its row when it has one,
/// else from the run's plan (its combo, each element's variant at its digit, rule-S order).
pub(crate) fn spec_features(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> Result<Vec<SpecFeature>> {
    let from_row = "SELECT f.name, f.role, f.base, f.category FROM row_columns c \
         CROSS JOIN run_features f ON f.run_id = c.run_id AND f.feature_id = c.feature_id \
         WHERE c.run_id = ?1 AND c.spec_index = ?2 ORDER BY c.position";
    let from_plan = "WITH c AS (SELECT first_index FROM plan_combos \
             WHERE run_id = ?1 AND first_index <= ?2 ORDER BY first_index DESC LIMIT 1) \
         SELECT DISTINCT f.name, f.role, f.base, f.category, f.sort_rank FROM c \
         JOIN plan_combo_elements e ON e.run_id = ?1 AND e.first_index = c.first_index \
         JOIN plan_variants v ON v.run_id = ?1 AND v.element_id = e.element_id \
              AND v.variant = ((?2 - c.first_index) / e.stride) % e.radix \
         JOIN run_features f ON f.run_id = ?1 AND f.feature_id = v.feature_id \
         ORDER BY f.sort_rank";
    for sql in [from_row, from_plan] {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(params![run_id, spec_index as i64], |r| {
            Ok(SpecFeature {
                name: r.get(0)?,
                role: role_from_sql(&r.get::<_, String>(1)?)?,
                base: r.get(2)?,
                category: r.get(3)?,
            })
        })?;
        let features: Vec<SpecFeature> = rows.collect::<rusqlite::Result<_>>()?;
        if !features.is_empty() {
            return Ok(features);
        }
    }
    Ok(Vec::new())
}

/// The latest `limit` events of a run's sessions (newest last): stalled and lost workers,
/// stop requests, abandoned drains.
pub(crate) fn events(conn: &Connection, run_id: RunId, limit: usize) -> Result<Table> {
    Table::query(
        conn,
        "SELECT * FROM (SELECT session_id AS session, at, worker, kind, detail FROM events \
         WHERE run_id = ?1 ORDER BY event_id DESC LIMIT ?2) ORDER BY at",
        params![run_id, limit as i64],
    )
}

/// Workers of the run's latest session the watchdog is stopping (stalled and not yet lost).
pub(crate) fn stalled_workers(conn: &Connection, run_id: RunId) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT s.worker FROM events s \
         WHERE s.run_id = ?1 AND s.kind = 'worker_stalled' \
         AND s.session_id = (SELECT max(session_id) FROM sessions WHERE run_id = ?1) \
         AND NOT EXISTS (SELECT 1 FROM events l WHERE l.run_id = s.run_id \
             AND l.session_id = s.session_id AND l.worker = s.worker \
             AND l.kind = 'worker_lost' AND l.event_id > s.event_id) \
         ORDER BY s.worker",
    )?;
    let rows = stmt.query_map([run_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
