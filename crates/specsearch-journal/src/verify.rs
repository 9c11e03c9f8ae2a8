//! Checking a journal before it is trusted (issue 31): SQLite's own structure check
//! (`PRAGMA quick_check`, when a run resumes: one pass over the file) and a run's invariants,
//! cheap enough for every resume and every command that reads the run's results:
//!
//! - its counters equal its outcomes: the specs `outcome_counts` counts, the specs
//!   `journaled_ranges` covers and the specs of its outcome blocks and rows are one number;
//!   the passed specs counted equal its `passed` rows;
//! - its stored ranking, when it has one, is complete: ranks 1..n over every distinct passed
//!   model (by spec key), each ranked model passed.
//!
//! A journal that fails is refused with [`JournalError::Damaged`]-style text: "the journal
//! PATH is damaged: WHAT; restore it or start a new workspace".

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::runs::RunId;

/// At most this many of quick_check's messages are quoted.
const QUOTED: usize = 3;

/// What `PRAGMA quick_check` finds wrong with the file (empty: sound).
pub(crate) fn quick_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(Vec::new());
    }
    let n = rows.len();
    let mut out: Vec<String> = rows.into_iter().take(QUOTED).collect();
    if n > QUOTED {
        out.push(format!("and {} more problem(s)", n - QUOTED));
    }
    Ok(out)
}

/// Specs of run ?1: counted by `outcome_counts`, covered by `journaled_ranges`, and present as
/// outcome blocks plus the rows no block covers (runs journaled before version 10).
const SPEC_TOTALS: &str = "SELECT \
    (SELECT coalesce(sum(specs), 0) FROM outcome_counts WHERE run_id = ?1), \
    (SELECT coalesce(sum(end_index - start_index), 0) FROM journaled_ranges WHERE run_id = ?1), \
    (SELECT coalesce(sum(end_index - start_index), 0) FROM outcome_blocks WHERE run_id = ?1) \
    + (SELECT count(*) FROM outcomes o WHERE o.run_id = ?1 \
       AND coalesce((SELECT b.end_index FROM outcome_blocks b WHERE b.run_id = o.run_id \
                     AND b.start_index <= o.spec_index ORDER BY b.start_index DESC LIMIT 1), 0) \
           <= o.spec_index), \
    (SELECT coalesce(sum(specs), 0) FROM outcome_counts WHERE run_id = ?1 AND status = 0), \
    (SELECT count(*) FROM passed WHERE run_id = ?1)";

/// The stored ranking of run ?1: its rows, its highest rank, its rows without a passed model,
/// and the distinct passed models it should rank.
const RANKING_TOTALS: &str = "SELECT \
    (SELECT count(*) FROM ranking WHERE run_id = ?1), \
    (SELECT coalesce(max(rank), 0) FROM ranking WHERE run_id = ?1), \
    (SELECT count(*) FROM ranking r WHERE r.run_id = ?1 AND NOT EXISTS \
        (SELECT 1 FROM passed p WHERE p.run_id = r.run_id AND p.spec_index = r.spec_index)), \
    (SELECT count(DISTINCT spec_key) FROM passed WHERE run_id = ?1), \
    (SELECT count(*) FROM ranking WHERE run_id = ?1 AND NOT (score = score))";

/// Every way run `run_id`'s counters, outcomes and stored ranking disagree (empty: sound). A
/// stored ranking may leave models out (the scenario ordering check does), never rank more
/// models than passed, leave a gap in its ranks, rank a model that did not pass, or hold a
/// score that is not a number.
pub(crate) fn run_invariants(conn: &Connection, run_id: RunId) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let (counted, ranged, present, passed_counted, passed_rows): (i64, i64, i64, i64, i64) =
        conn.query_row(SPEC_TOTALS, params![run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    if counted != present || ranged != present {
        out.push(format!(
            "run {run_id} counts {counted} outcomes over {ranged} journaled specs but holds \
             {present}"
        ));
    }
    if passed_counted != passed_rows {
        out.push(format!(
            "run {run_id} counts {passed_counted} passed models but holds {passed_rows}"
        ));
    }
    let (rows, top, orphans, distinct, nan): (i64, i64, i64, i64, i64) =
        conn.query_row(RANKING_TOTALS, params![run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    if rows != top {
        out.push(format!(
            "the stored ranking of run {run_id} has {rows} rows but ranks up to {top}"
        ));
    }
    if rows > distinct {
        out.push(format!(
            "the stored ranking of run {run_id} ranks {rows} models but {distinct} passed"
        ));
    }
    if orphans > 0 {
        out.push(format!(
            "the stored ranking of run {run_id} ranks {orphans} model(s) that did not pass"
        ));
    }
    if nan > 0 {
        out.push(format!(
            "the stored ranking of run {run_id} has {nan} score(s) that are not numbers"
        ));
    }
    Ok(out)
}

/// The error of a damaged journal at `path`.
pub(crate) fn damaged(path: &std::path::Path, problems: &[String]) -> crate::JournalError {
    crate::JournalError::Invalid(format!(
        "the journal {} is damaged: {}; restore it or start a new workspace",
        path.display(),
        problems.join("; ")
    ))
}
