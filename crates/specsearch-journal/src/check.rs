//! Checking a journal against itself: the counters the writer keeps (`outcome_counts`,
//! `feature_counts`, `journaled_ranges`) must equal a scan of the outcomes they count, and no
//! row may refer to a row that does not exist (the writer does not ask SQLite to check its
//! references on the hot path). A full scan: for tests, audits and `--check`, not for every
//! command.

use rusqlite::Connection;

use crate::error::Result;

/// Every outcome once: the specs of the blocks, and the rows no block covers (runs journaled
/// before version 10; passed and error rows of later runs are in their blocks too).
const ALL_OUTCOMES: &str = "WITH all_outcomes AS (\
    SELECT run_id, spec_index, status, failed_test, session_id FROM block_outcomes \
    UNION ALL \
    SELECT o.run_id, o.spec_index, o.status, o.failed_test, o.session_id FROM outcomes o \
    WHERE coalesce((SELECT b.end_index FROM outcome_blocks b WHERE b.run_id = o.run_id \
                    AND b.start_index <= o.spec_index ORDER BY b.start_index DESC LIMIT 1), 0) \
          <= o.spec_index) ";

/// (what the counters keep, what a scan of the outcomes gives): equal in a sound journal.
const PAIRS: [(&str, &str, &str); 3] = [
    (
        "outcome counts",
        "SELECT run_id, session_id, status, failed_test, specs FROM outcome_counts \
         WHERE specs > 0 ORDER BY 1, 2, 3, 4",
        "SELECT run_id, session_id, status, coalesce(failed_test, 0), count(*) \
         FROM all_outcomes GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    ),
    (
        "feature counts",
        "SELECT run_id, status, failed_test, feature_id, specs FROM feature_counts \
         WHERE specs > 0 ORDER BY 1, 2, 3, 4",
        "SELECT run_id, status, coalesce(failed_test, 0), feature_id, count(*) \
         FROM outcome_columns GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    ),
    (
        "journaled ranges",
        "SELECT run_id, start_index, end_index FROM journaled_ranges ORDER BY 1, 2",
        "SELECT run_id, min(spec_index), max(spec_index) + 1 FROM (SELECT run_id, spec_index, \
         spec_index - row_number() OVER (PARTITION BY run_id ORDER BY spec_index) AS island \
         FROM all_outcomes) GROUP BY run_id, island ORDER BY 1, 2",
    ),
];

fn lines(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let rows = stmt.query_map([], |r| {
        let cells: rusqlite::Result<Vec<String>> = (0..n)
            .map(|i| r.get::<_, i64>(i).map(|v| v.to_string()))
            .collect();
        Ok(cells?.join(" "))
    })?;
    rows.collect()
}

/// Every way the journal's counters and references disagree with its rows (empty: sound).
pub(crate) fn mismatches(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (what, kept, scanned) in PAIRS {
        let scanned = format!("{ALL_OUTCOMES}{scanned}");
        let (kept, scanned) = (lines(conn, kept)?, lines(conn, &scanned)?);
        if kept != scanned {
            let first = kept
                .iter()
                .zip(&scanned)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("kept [{a}], scanned [{b}]"))
                .unwrap_or_else(|| format!("{} rows kept, {} scanned", kept.len(), scanned.len()));
            out.push(format!("the {what} differ from the outcomes: {first}"));
        }
    }
    let dangling: i64 =
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })?;
    if dangling > 0 {
        out.push(format!("{dangling} row(s) refer to rows that do not exist"));
    }
    Ok(out)
}
