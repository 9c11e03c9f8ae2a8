//! The counter tables of migration 0007 (`outcome_counts`, `feature_counts`,
//! `journaled_ranges`): what the writer adds to them per transaction, how `merge` recomputes
//! them, and how readers get a run's counts and journaled ranges without scanning `outcomes`.

use rusqlite::{params, Connection, OptionalExtension};

use crate::runs::RunId;

/// What one writer transaction added to `outcomes`, aggregated in memory and written to the
/// counter tables just before the transaction commits (so both land or neither does).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// The run's common prefix: in every outcome, counted once per outcome at flush.
    prefix: Vec<u32>,
    /// Outcomes per session and kind ([`kind_slot`]); a transaction sees one or two
    /// sessions, so a short list beats hashing every row.
    outcomes: Vec<(i64, [u64; KINDS])>,
    /// Outcomes containing each feature (beyond the prefix), per outcome kind
    /// ([`kind_slot`]), indexed by feature id: two array increments per feature on the hot
    /// path instead of a hash lookup.
    features: Vec<Vec<u64>>,
    /// Journaled spec indices, as half-open ranges in arrival order (merged at flush).
    ranges: Vec<(u64, u64)>,
}

/// Outcome kinds: passed, filtered at test 1..=7, error.
const KINDS: usize = 9;

/// The slot of (status, failed test or 0) in [`Tally::features`], and back.
fn kind_slot(status: u8, test: u8) -> usize {
    match status {
        0 => 0,
        1 => test as usize,
        _ => KINDS - 1,
    }
}

fn slot_kind(slot: usize) -> (u8, u8) {
    match slot {
        0 => (0, 0),
        s if s < KINDS - 1 => (1, s as u8),
        _ => (2, 0),
    }
}

impl Tally {
    /// A tally for a run whose outcomes all begin with `prefix` (stored once per run).
    pub(crate) fn new(prefix: Vec<u32>) -> Self {
        Tally {
            prefix,
            features: vec![Vec::new(); KINDS],
            ..Tally::default()
        }
    }

    /// Counts one outcome that was inserted (not one ignored as already journaled);
    /// `own_features` are its features after the run's prefix.
    pub(crate) fn add(
        &mut self,
        session_id: i64,
        status: u8,
        failed_test: Option<u8>,
        own_features: &[u32],
        spec_index: u64,
    ) {
        let test = failed_test.unwrap_or(0);
        let slot = kind_slot(status, test);
        match self.outcomes.iter_mut().find(|(s, _)| *s == session_id) {
            Some((_, counts)) => counts[slot] += 1,
            None => {
                let mut counts = [0; KINDS];
                counts[slot] = 1;
                self.outcomes.push((session_id, counts));
            }
        }
        let counts = &mut self.features[slot];
        for &f in own_features {
            let f = f as usize;
            if counts.len() <= f {
                counts.resize(f + 1, 0);
            }
            counts[f] += 1;
        }
        match self.ranges.last_mut() {
            Some(last) if last.1 == spec_index => last.1 += 1,
            _ => self.ranges.push((spec_index, spec_index + 1)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
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
        let mut per_kind = [0u64; KINDS];
        for (session, counts) in &self.outcomes {
            for (slot, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                let (status, test) = slot_kind(slot);
                put.execute(params![run_id, session, status, test, n as i64])?;
                per_kind[slot] += n;
            }
        }
        // Every outcome holds the prefix.
        for (slot, &n) in per_kind.iter().enumerate() {
            let counts = &mut self.features[slot];
            for &f in &self.prefix {
                let f = f as usize;
                if counts.len() <= f {
                    counts.resize(f + 1, 0);
                }
                counts[f] += n;
            }
        }
        let mut put = conn.prepare_cached(
            "INSERT INTO feature_counts (run_id, status, failed_test, feature_id, specs) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, status, failed_test, feature_id) \
             DO UPDATE SET specs = specs + excluded.specs",
        )?;
        for (slot, counts) in self.features.iter_mut().enumerate() {
            let (status, test) = slot_kind(slot);
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
