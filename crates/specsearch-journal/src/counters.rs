//! The counter tables of migration 0007 (`outcome_counts`, `feature_counts`,
//! `journaled_ranges`): what the writer adds to them per transaction, how `merge` counts what
//! it copies, and how readers get a run's counts and journaled ranges without scanning the
//! outcomes.

use rusqlite::{params, Connection, OptionalExtension};

use crate::blocks::{kind_columns, KINDS};
use crate::runs::RunId;

/// What one writer transaction journaled, aggregated in memory and written to the counter
/// tables just before the transaction commits (so both land or neither does).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Outcomes per session and kind ([`crate::blocks::kind_of`]); a transaction sees one or
    /// two sessions, so a short list beats hashing.
    outcomes: Vec<(i64, [u64; KINDS])>,
    /// Specs holding each feature, per kind, indexed by feature id.
    features: Vec<Vec<u64>>,
    /// Journaled spec indices, as half-open ranges in arrival order (merged at flush).
    ranges: Vec<(u64, u64)>,
}

impl Tally {
    pub(crate) fn new() -> Self {
        Tally {
            features: vec![Vec::new(); KINDS],
            ..Tally::default()
        }
    }

    /// Counts `n` outcomes of `kind` of `session`.
    pub(crate) fn add_outcomes(&mut self, session_id: i64, kind: usize, n: u64) {
        match self.outcomes.iter_mut().find(|(s, _)| *s == session_id) {
            Some((_, counts)) => counts[kind] += n,
            None => {
                let mut counts = [0; KINDS];
                counts[kind] = n;
                self.outcomes.push((session_id, counts));
            }
        }
    }

    /// Counts the outcome codes of a block's specs.
    pub(crate) fn add_codes(&mut self, session_id: i64, codes: &[u8]) {
        // A histogram of the byte values first: no division per spec.
        let mut by_byte = [0u64; 256];
        for &b in codes {
            by_byte[usize::from(b)] += 1;
        }
        let mut by_kind = [0u64; KINDS];
        for (b, &n) in by_byte.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
            by_kind[(b - 1) % KINDS] += n;
        }
        for (kind, &n) in by_kind.iter().enumerate().filter(|(_, n)| **n > 0) {
            self.add_outcomes(session_id, kind, n);
        }
    }

    /// Adds `n` specs of `kind` holding `feature`.
    pub(crate) fn add_feature(&mut self, kind: usize, feature: u32, n: u64) {
        let counts = &mut self.features[kind];
        let f = feature as usize;
        if counts.len() <= f {
            counts.resize(f + 1, 0);
        }
        counts[f] += n;
    }

    /// Takes `n` specs of `kind` holding `feature` back (a passed spec turned into an error).
    pub(crate) fn remove_feature(&mut self, kind: usize, feature: u32, n: u64) {
        if let Some(c) = self.features[kind].get_mut(feature as usize) {
            *c = c.saturating_sub(n);
        }
    }

    /// Records `start..end` as journaled.
    pub(crate) fn add_range(&mut self, start: u64, end: u64) {
        match self.ranges.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.ranges.push((start, end)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.outcomes.is_empty() && self.ranges.is_empty()
    }

    /// Adds the tally to the counter tables of `run_id` (inside the caller's transaction) and
    /// empties it.
    pub(crate) fn flush(&mut self, conn: &Connection, run_id: RunId) -> rusqlite::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut put = conn.prepare_cached(
            "INSERT INTO outcome_counts (run_id, session_id, status, failed_test, specs) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, session_id, status, failed_test) \
             DO UPDATE SET specs = specs + excluded.specs",
        )?;
        for (session, counts) in &self.outcomes {
            for (kind, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                let (status, test) = kind_columns(kind);
                put.execute(params![run_id, session, status, test, n as i64])?;
            }
        }
        let mut put = conn.prepare_cached(
            "INSERT INTO feature_counts (run_id, status, failed_test, feature_id, specs) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, status, failed_test, feature_id) \
             DO UPDATE SET specs = specs + excluded.specs",
        )?;
        for (kind, counts) in self.features.iter_mut().enumerate() {
            let (status, test) = kind_columns(kind);
            for (feature, n) in counts.iter_mut().enumerate() {
                if *n > 0 {
                    put.execute(params![run_id, status, test, feature as i64, *n as i64])?;
                    *n = 0;
                }
            }
        }
        let ranges = coalesce(std::mem::take(&mut self.ranges));
        for (start, end) in ranges {
            add_range(conn, run_id, start, end)?;
        }
        self.outcomes.clear();
        Ok(())
    }
}

/// Sorts half-open ranges and joins the overlapping and adjacent ones.
pub(crate) fn coalesce(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
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
fn add_range(conn: &Connection, run_id: RunId, start: u64, end: u64) -> rusqlite::Result<()> {
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

/// Adds the outcomes in `table` (columns spec_index, status, failed_test, feature_codes
/// after the prefix of `run_id`, session_id; none of them journaled in `run_id` before) to the counters of `run_id`: how
/// `merge` counts a shard's rows, in the transaction that inserts them.
pub(crate) fn add_rows(conn: &Connection, run_id: RunId, table: &str) -> rusqlite::Result<()> {
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
             SELECT ?1, o.status, coalesce(o.failed_test, 0), \
             unicode(substr(x.feature_codes || o.feature_codes, s.slot, 1)) AS feature_id, \
             count(*) FROM {table} o \
             CROSS JOIN run_spec_prefixes x ON x.run_id = ?1 \
             CROSS JOIN feature_slots s \
             ON s.slot <= length(x.feature_codes) + length(o.feature_codes) \
             WHERE true GROUP BY o.status, coalesce(o.failed_test, 0), feature_id \
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
pub(crate) fn journaled_ranges(
    conn: &Connection,
    run_id: RunId,
) -> rusqlite::Result<Vec<(u64, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_index, end_index FROM journaled_ranges WHERE run_id = ?1 \
         ORDER BY start_index",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(coalesce(rows.collect::<rusqlite::Result<_>>()?))
}

/// The parts of `start..end` not in `journaled` (disjoint, ascending), ascending.
pub(crate) fn not_journaled(journaled: &[(u64, u64)], start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut at = start;
    let first = journaled.partition_point(|&(_, e)| e <= start);
    for &(s, e) in &journaled[first..] {
        if s >= end {
            break;
        }
        if s > at {
            out.push((at, s));
        }
        at = at.max(e);
        if at >= end {
            break;
        }
    }
    if at < end {
        out.push((at, end));
    }
    out
}

/// Adds `start..end` to the disjoint ascending ranges `journaled` (it does not overlap them).
pub(crate) fn mark_journaled(journaled: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    let i = journaled.partition_point(|&(s, _)| s < start);
    journaled.insert(i, (start, end));
    // Join with neighbours that touch.
    if i + 1 < journaled.len() && journaled[i].1 == journaled[i + 1].0 {
        journaled[i].1 = journaled[i + 1].1;
        journaled.remove(i + 1);
    }
    if i > 0 && journaled[i - 1].1 == journaled[i].0 {
        journaled[i - 1].1 = journaled[i].1;
        journaled.remove(i);
    }
}

/// Makes `block_offsets` number 0 .. `len`.
pub(crate) fn ensure_offsets(conn: &Connection, len: u64) -> rusqlite::Result<()> {
    conn.execute(
        "WITH RECURSIVE n (k) AS (SELECT coalesce(max(k), -1) + 1 FROM block_offsets \
         UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?1) \
         INSERT OR IGNORE INTO block_offsets (k) SELECT k FROM n WHERE k < ?1",
        [len as i64],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_journaled_yet_is_found_and_marked() {
        let j = vec![(0, 10), (20, 30)];
        assert_eq!(not_journaled(&j, 0, 10), vec![]);
        assert_eq!(not_journaled(&j, 5, 25), vec![(10, 20)]);
        assert_eq!(not_journaled(&j, 30, 40), vec![(30, 40)]);
        assert_eq!(not_journaled(&j, 8, 35), vec![(10, 20), (30, 35)]);
        let mut m = j.clone();
        mark_journaled(&mut m, 10, 20);
        assert_eq!(m, vec![(0, 30)]);
        mark_journaled(&mut m, 40, 50);
        mark_journaled(&mut m, 30, 35);
        assert_eq!(m, vec![(0, 35), (40, 50)]);
    }
}
