//! The counter tables of migration 0007 (`outcome_counts`, `feature_counts`,
//! `journaled_ranges`): what the writer adds to them per transaction, how `merge` recomputes
//! them, and how readers get a run's counts and journaled ranges without scanning `outcomes`.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

/// What one writer transaction added to `outcomes`, aggregated in memory and written to the
/// counter tables just before the transaction commits (so both land or neither does).
#[derive(Debug, Default)]
pub struct Tally {
    /// (session, status, failed test or 0) → outcomes.
    outcomes: HashMap<(i64, u8, u8), u64>,
    /// (status, failed test or 0, feature id) → outcomes containing the feature.
    features: HashMap<(u8, u8, u32), u64>,
    /// Journaled spec indices, as half-open ranges in arrival order (merged at flush).
    ranges: Vec<(u64, u64)>,
}

impl Tally {
    /// Counts one outcome that was inserted (not one ignored as already journaled).
    pub fn add(
        &mut self,
        session_id: i64,
        status: u8,
        failed_test: Option<u8>,
        features: &[u32],
        spec_index: u64,
    ) {
        let test = failed_test.unwrap_or(0);
        *self.outcomes.entry((session_id, status, test)).or_default() += 1;
        for &f in features {
            *self.features.entry((status, test, f)).or_default() += 1;
        }
        match self.ranges.last_mut() {
            Some(last) if last.1 == spec_index => last.1 += 1,
            _ => self.ranges.push((spec_index, spec_index + 1)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Adds the tally to the counter tables of `run_id` (inside the caller's transaction) and
    /// empties it.
    pub fn flush(&mut self, conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut put = conn.prepare_cached(
            "INSERT INTO outcome_counts (run_id, session_id, status, failed_test, specs) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, session_id, status, failed_test) \
             DO UPDATE SET specs = specs + excluded.specs",
        )?;
        for (&(session, status, test), &n) in &self.outcomes {
            put.execute(params![run_id, session, status, test, n as i64])?;
        }
        let mut put = conn.prepare_cached(
            "INSERT INTO feature_counts (run_id, status, failed_test, feature_id, specs) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, status, failed_test, feature_id) \
             DO UPDATE SET specs = specs + excluded.specs",
        )?;
        for (&(status, test, feature), &n) in &self.features {
            put.execute(params![run_id, status, test, feature, n as i64])?;
        }
        let ranges = coalesce(std::mem::take(&mut self.ranges));
        for (start, end) in ranges {
            add_range(conn, run_id, start, end)?;
        }
        self.outcomes.clear();
        self.features.clear();
        Ok(())
    }
}

/// Sorts half-open ranges and joins the overlapping and adjacent ones.
pub fn coalesce(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Records [start, end) as journaled, joined with the stored ranges it touches (the writer
/// only adds indices that were not journaled, so ranges never overlap).
fn add_range(conn: &Connection, run_id: i64, start: u64, end: u64) -> rusqlite::Result<()> {
    let left: Option<i64> = conn
        .prepare_cached(
            "DELETE FROM journaled_ranges WHERE run_id = ?1 AND end_index = ?2 \
             RETURNING start_index",
        )?
        .query_row(params![run_id, start as i64], |r| r.get(0))
        .optional()?;
    let right: Option<i64> = conn
        .prepare_cached(
            "DELETE FROM journaled_ranges WHERE run_id = ?1 AND start_index = ?2 \
             RETURNING end_index",
        )?
        .query_row(params![run_id, end as i64], |r| r.get(0))
        .optional()?;
    conn.prepare_cached(
        "INSERT INTO journaled_ranges (run_id, start_index, end_index) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        run_id,
        left.unwrap_or(start as i64),
        right.unwrap_or(end as i64)
    ])?;
    Ok(())
}

/// Adds the outcomes in `table` (columns spec_index, status, failed_test, features,
/// session_id; none of them journaled in `run_id` before) to the counters of `run_id`: how
/// `merge` counts a shard's rows, in the transaction that inserts them.
pub fn add_rows(conn: &Connection, run_id: i64, table: &str) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO outcome_counts (run_id, session_id, status, failed_test, specs) \
             SELECT ?1, session_id, status, coalesce(failed_test, 0), count(*) FROM {table} \
             WHERE true GROUP BY session_id, status, coalesce(failed_test, 0) \
             ON CONFLICT (run_id, session_id, status, failed_test) \
             DO UPDATE SET specs = specs + excluded.specs"
        ),
        [run_id],
    )?;
    conn.execute(
        &format!(
            "INSERT INTO feature_counts (run_id, status, failed_test, feature_id, specs) \
             SELECT ?1, o.status, coalesce(o.failed_test, 0), j.value, count(*) \
             FROM {table} o, json_each(o.features) j \
             WHERE true GROUP BY o.status, coalesce(o.failed_test, 0), j.value \
             ON CONFLICT (run_id, status, failed_test, feature_id) \
             DO UPDATE SET specs = specs + excluded.specs"
        ),
        [run_id],
    )?;
    let islands: Vec<(u64, u64)> = conn
        .prepare(&format!(
            "SELECT min(spec_index), max(spec_index) + 1 \
             FROM (SELECT spec_index, spec_index - row_number() OVER (ORDER BY spec_index) \
                   AS island FROM {table}) GROUP BY island ORDER BY 1"
        ))?
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (start, end) in islands {
        add_range(conn, run_id, start, end)?;
    }
    Ok(())
}

/// The journaled spec indices of a run as ascending, disjoint half-open ranges (adjacent ones
/// joined): one row for a complete run.
pub fn journaled_ranges(conn: &Connection, run_id: i64) -> rusqlite::Result<Vec<(u64, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_index, end_index FROM journaled_ranges WHERE run_id = ?1 \
         ORDER BY start_index",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(coalesce(rows.collect::<rusqlite::Result<_>>()?))
}
