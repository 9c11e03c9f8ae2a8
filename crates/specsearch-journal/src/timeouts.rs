//! Timeouts are not a spec's verdict: a spec journaled as "worker timed out after N s" (it hung
//! a worker twice) is evaluated again when its run is run again. [`JournalRw::forget_timeouts`]
//! takes such outcomes out of the journal in one transaction — the error row, the spec's byte
//! of its outcome block (the block split around it), its counters and its place in the
//! journaled ranges — so the run's pending work has the spec again and every derived result
//! stays consistent (`verify`'s invariants hold after it).

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
use crate::handle::JournalRw;
use crate::runs::RunId;
use crate::status::{OutcomeStatus, RunStatus};

/// The message the coordinator journals for a spec that timed out twice (`dispatch.rs`).
pub const TIMEOUT_MESSAGE_PREFIX: &str = "worker timed out after ";

/// The error code of `outcome_counts`/`feature_counts` (`failed_test` is 0 for errors).
const NO_FILTER: i64 = 0;

fn forget(conn: &Connection, run_id: RunId) -> Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let error = OutcomeStatus::Error;
    let specs: Vec<(i64, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT spec_index, session_id FROM outcomes \
             WHERE run_id = ?1 AND status = ?2 AND substr(message, 1, ?3) = ?4 \
             ORDER BY spec_index",
        )?;
        let rows = stmt.query_map(
            params![
                run_id,
                error,
                TIMEOUT_MESSAGE_PREFIX.len() as i64,
                TIMEOUT_MESSAGE_PREFIX
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for &(spec, session) in &specs {
        tx.execute(
            "UPDATE feature_counts SET specs = specs - 1 \
             WHERE run_id = ?1 AND status = ?2 AND failed_test = ?3 AND feature_id IN \
               (SELECT feature_id FROM row_columns WHERE run_id = ?1 AND spec_index = ?4)",
            params![run_id, error, NO_FILTER, spec],
        )?;
        tx.execute(
            "UPDATE outcome_counts SET specs = specs - 1 \
             WHERE run_id = ?1 AND session_id = ?2 AND status = ?3 AND failed_test = ?4",
            params![run_id, session, error, NO_FILTER],
        )?;
        split_block(&tx, run_id, spec)?;
        split_range(&tx, run_id, spec)?;
        tx.execute(
            "DELETE FROM outcomes WHERE run_id = ?1 AND spec_index = ?2",
            params![run_id, spec],
        )?;
    }
    if !specs.is_empty() {
        tx.execute(
            "DELETE FROM feature_counts WHERE run_id = ?1 AND specs = 0",
            [run_id],
        )?;
        tx.execute(
            "DELETE FROM outcome_counts WHERE run_id = ?1 AND specs = 0",
            [run_id],
        )?;
        // The run has work again: a complete run is resumed like an interrupted one.
        tx.execute(
            "UPDATE runs SET status = ?2 WHERE run_id = ?1 AND status = ?3",
            params![run_id, RunStatus::Interrupted, RunStatus::Complete],
        )?;
    }
    tx.commit()?;
    Ok(specs.len() as u64)
}

/// An `outcome_blocks` row.
struct Block {
    id: i64,
    start: i64,
    end: i64,
    codes: Vec<u8>,
    session: i64,
    worker: i64,
    eval_us: i64,
}

/// Removes `spec`'s byte from the outcome block holding it (runs journaled before blocks have
/// none): the block is replaced by the parts before and after the spec, the first keeping the
/// block's evaluation time.
fn split_block(tx: &Connection, run_id: RunId, spec: i64) -> rusqlite::Result<()> {
    let block: Option<Block> = tx
        .query_row(
            "SELECT block_id, start_index, end_index, codes, session_id, worker, eval_us \
             FROM outcome_blocks WHERE run_id = ?1 AND start_index <= ?2 \
             ORDER BY start_index DESC LIMIT 1",
            params![run_id, spec],
            |r| {
                Ok(Block {
                    id: r.get(0)?,
                    start: r.get(1)?,
                    end: r.get(2)?,
                    codes: r.get(3)?,
                    session: r.get(4)?,
                    worker: r.get(5)?,
                    eval_us: r.get(6)?,
                })
            },
        )
        .optional()?;
    let Some(Block {
        id,
        start,
        end,
        codes,
        session,
        worker,
        eval_us,
    }) = block
    else {
        return Ok(());
    };
    if end <= spec {
        return Ok(());
    }
    tx.execute("DELETE FROM outcome_blocks WHERE block_id = ?1", [id])?;
    let at = (spec - start) as usize;
    let mut insert = tx.prepare(
        "INSERT INTO outcome_blocks (run_id, start_index, end_index, codes, session_id, \
         worker, eval_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut time = eval_us;
    for (from, to, part) in [
        (start, spec, &codes[..at]),
        (spec + 1, end, &codes[at + 1..]),
    ] {
        if from < to {
            insert.execute(params![run_id, from, to, part, session, worker, time])?;
            time = 0;
        }
    }
    Ok(())
}

/// Takes `spec` out of the journaled range holding it.
fn split_range(tx: &Connection, run_id: RunId, spec: i64) -> rusqlite::Result<()> {
    let range: Option<(i64, i64)> = tx
        .query_row(
            "SELECT start_index, end_index FROM journaled_ranges \
             WHERE run_id = ?1 AND start_index <= ?2 AND end_index > ?2",
            params![run_id, spec],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((start, end)) = range else {
        return Ok(());
    };
    tx.execute(
        "DELETE FROM journaled_ranges WHERE run_id = ?1 AND start_index = ?2",
        params![run_id, start],
    )?;
    for (from, to) in [(start, spec), (spec + 1, end)] {
        if from < to {
            tx.execute(
                "INSERT INTO journaled_ranges (run_id, start_index, end_index) \
                 VALUES (?1, ?2, ?3)",
                params![run_id, from, to],
            )?;
        }
    }
    Ok(())
}

impl JournalRw {
    /// Takes the run's timed-out specs out of the journal so that they are evaluated again
    /// (see the module docs); how many. A complete run that had some becomes interrupted.
    pub fn forget_timeouts(&self, run_id: RunId) -> Result<u64> {
        forget(self.conn(), run_id).map_err(|e| self.err(e))
    }
}
