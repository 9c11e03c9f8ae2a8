//! The queries behind the inspection commands, each returning a [`Table`] (or streaming into a
//! [`Sink`]): run progress, ranked passed models (stored or re-ranked with other weights),
//! failures by test, the features most common among each test's failures, errors by type and
//! message, and every outcome with its features.

use anyhow::Result;
use rusqlite::{params, Connection};

use super::table::{stream_statement, Sink, Table};
use crate::config::RankingConfig;

/// The ranking of SEARCH-SEMANTICS §7 (parameters: run, fit, in-sample, out-of-sample weights).
const RANKING_SQL: &str = include_str!("../../sql/ranking.sql");

/// `run_progress` rows: every run, or one.
pub fn run_progress(conn: &Connection, run_id: Option<i64>) -> Result<Table> {
    Table::query(
        conn,
        "SELECT * FROM run_progress WHERE ?1 IS NULL OR run_id = ?1 ORDER BY run_id",
        [run_id],
    )
}

/// Whether the run has a stored ranking (written when it completed).
pub fn has_stored_ranking(conn: &Connection, run_id: i64) -> Result<bool> {
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
    Weights(RankingConfig),
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
         (SELECT count(DISTINCT f.base) FROM json_each(o.features) j \
            JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = j.value) AS n_variables, \
         json_array_length(o.features) AS n_columns, \
         (SELECT group_concat(name, ', ') FROM (SELECT f.name FROM json_each(o.features) j \
            JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = j.value \
            ORDER BY j.key)) AS features, \
         p.spec_key, s.rank AS stored_rank, p.detail \
         FROM ({RANKING_SQL}) rk \
         JOIN passed p ON p.run_id = ?1 AND p.spec_index = rk.spec_index \
         JOIN outcomes o ON o.run_id = p.run_id AND o.spec_index = p.spec_index \
         LEFT JOIN ranking s ON s.run_id = p.run_id AND s.spec_index = p.spec_index \
         {limit_clause}"
    )
}

/// Ranked passed models of a run, best first; `limit` of `None` means all. `detail` adds the
/// JSON detail column.
pub fn passed_models(
    conn: &Connection,
    run_id: i64,
    ranking: &Ranking,
    limit: Option<usize>,
    detail: bool,
) -> Result<Table> {
    let mut table = super::table::TableSink::default();
    stream_passed(conn, run_id, ranking, limit, detail, &mut table)?;
    Ok(table.0)
}

/// As [`passed_models`], streamed into `sink`; returns the row count.
pub fn stream_passed(
    conn: &Connection,
    run_id: i64,
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

/// Every outcome of a run with its features expanded (`outcomes_expanded`), in spec order.
pub fn stream_outcomes(conn: &Connection, run_id: i64, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT run_id, spec_index, status, failed_test, r2, message, feature_names AS features, \
         n_variables, n_columns, session_id, worker, eval_us \
         FROM outcomes_expanded WHERE run_id = ?1 ORDER BY spec_index",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

/// Failed specs per filter, in filter order.
pub fn failures_by_test(conn: &Connection, run_id: i64) -> Result<Table> {
    Table::query(
        conn,
        "SELECT code, failed_test, specs, percent_of_outcomes, percent_of_filtered \
         FROM failures_by_test WHERE run_id = ?1 ORDER BY code",
        [run_id],
    )
}

/// The `top` most common features among each filter's failures.
pub fn failure_features(conn: &Connection, run_id: i64, top: usize) -> Result<Table> {
    Table::query(
        conn,
        "SELECT failed_test, rank, feature, base, failures, percent_of_test_failures, \
         specs_with_feature, failure_rate FROM failure_features \
         WHERE run_id = ?1 AND rank <= ?2 ORDER BY code, rank",
        params![run_id, top as i64],
    )
}

/// Errors by type, then by message.
pub fn errors_by_type(conn: &Connection, run_id: i64) -> Result<Table> {
    Table::query(
        conn,
        "SELECT error_type, specs, messages, first_spec_index, example FROM errors_by_type \
         WHERE run_id = ?1 ORDER BY specs DESC, error_type",
        [run_id],
    )
}

pub fn errors_by_message(conn: &Connection, run_id: i64) -> Result<Table> {
    Table::query(
        conn,
        "SELECT error_type, message, specs, first_spec_index FROM errors_by_message \
         WHERE run_id = ?1 ORDER BY specs DESC, message",
        [run_id],
    )
}

/// Sessions of a run (one per invocation of `run`).
pub fn sessions(conn: &Connection, run_id: i64) -> Result<Table> {
    Table::query(
        conn,
        "SELECT s.session_id AS session, s.started_at, s.ended_at, s.status, s.executor, \
         s.transport, s.workers, \
         (SELECT count(*) FROM outcomes o WHERE o.run_id = s.run_id \
            AND o.session_id = s.session_id) AS specs, \
         s.wall_seconds, s.cpu_seconds \
         FROM sessions s WHERE s.run_id = ?1 ORDER BY s.session_id",
        [run_id],
    )
}
