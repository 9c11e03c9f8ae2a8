//! §12's backtest summary of the benchmarks and the incumbent
//! (`migrations/0014_benchmark_backtests.sql`): one row per benchmark and sample, the columns
//! of the validated models' `backtest_summaries`. Replaced with the run's benchmarks.

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::handle::{Journal, JournalRw};
use crate::runs::RunId;
use crate::stability::{insert_summary, summary_of_row, BacktestSummaryRecord};

fn write(
    conn: &Connection,
    run_id: RunId,
    summaries: &[(String, Vec<BacktestSummaryRecord>)],
) -> Result<u64> {
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "DELETE FROM benchmark_backtests WHERE run_id = ?1",
        [run_id],
    )?;
    let mut rows = 0;
    {
        let mut ins = tx.prepare(
            "INSERT INTO benchmark_backtests (run_id, benchmark, sample, quarters, jump_offs, \
             mape_by_step, worst_jump_off, worst_mape, sign_hit_rate) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (name, records) in summaries {
            for s in records {
                insert_summary(&mut ins, run_id, name, s)?;
                rows += 1;
            }
        }
    }
    tx.commit()?;
    Ok(rows)
}

fn read(conn: &Connection, run_id: RunId, name: &str) -> Result<Vec<BacktestSummaryRecord>> {
    let mut stmt = conn.prepare(
        "SELECT sample, quarters, jump_offs, mape_by_step, worst_jump_off, worst_mape, \
         sign_hit_rate FROM benchmark_backtests WHERE run_id = ?1 AND benchmark = ?2 \
         ORDER BY CASE sample WHEN 'all' THEN 0 WHEN 'in_sample' THEN 1 ELSE 2 END",
    )?;
    let mut rows = stmt.query(params![run_id, name])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(summary_of_row(r)?);
    }
    Ok(out)
}

impl JournalRw {
    /// Replaces the run's benchmark backtest summaries (after `write_benchmarks`, which
    /// journals the benchmarks they belong to); the rows written.
    pub fn write_benchmark_backtests(
        &self,
        run_id: RunId,
        summaries: &[(String, Vec<BacktestSummaryRecord>)],
    ) -> Result<u64> {
        write(self.conn(), run_id, summaries).map_err(|e| self.err(e))
    }
}

impl Journal {
    /// The backtest summaries of benchmark `name` (all, in-sample, out-of-sample; empty when
    /// it has none).
    pub fn benchmark_backtests(
        &self,
        run_id: RunId,
        name: &str,
    ) -> Result<Vec<BacktestSummaryRecord>> {
        read(self.conn(), run_id, name).map_err(|e| self.err(e))
    }
}
