//! Results derived from the journal by SQL: dedup and ranking of passed models (the ranking of
//! docs/semantics.md §7, `sql/ranking.sql`).
//!
//! Nothing here depends on the order outcomes arrived in, so the result is the same for an
//! uninterrupted run, a resumed run, and any worker count.

use rusqlite::{params, Connection};

use crate::runs::RunId;

pub(crate) const RANKING_SQL: &str = include_str!("../../../sql/ranking.sql");

/// The weights of the three ranking groups (fit, in-sample errors, out-of-sample errors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub fit: f64,
    pub in_sample: f64,
    pub out_of_sample: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            fit: 1.0,
            in_sample: 1.0,
            out_of_sample: 1.0,
        }
    }
}

/// Checks that the weights leave something to rank by for this run.
pub(crate) fn check_weights(w: &Weights, has_out_of_sample: bool) -> Result<(), String> {
    let total = w.fit
        + w.in_sample
        + if has_out_of_sample {
            w.out_of_sample
        } else {
            0.0
        };
    if !total.is_finite() {
        return Err(format!(
            "the ranking weights ({}, {}, {}) sum to more than a number can hold: weights are \
             relative, give smaller ones (e.g. 1, 1, 0.5)",
            w.fit, w.in_sample, w.out_of_sample
        ));
    }
    if total.is_nan() || total <= 0.0 {
        return Err(
            "the ranking weights sum to zero for this run (it has no out-of-sample window, so \
             `out_of_sample` does not count); give `fit` or `in_sample` a positive weight"
                .into(),
        );
    }
    Ok(())
}

impl Weights {
    /// Checks that the weights leave something to rank by for a run with (or without) an
    /// out-of-sample window.
    pub fn check(&self, has_out_of_sample: bool) -> Result<(), String> {
        check_weights(self, has_out_of_sample)
    }
}

/// Recomputes and stores the run's ranking (replacing any earlier one) in one transaction.
pub(crate) fn store_ranking(
    conn: &Connection,
    run_id: RunId,
    w: &Weights,
) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM ranking WHERE run_id = ?1", [run_id])?;
    let n = tx.execute(
        &format!(
            "INSERT INTO ranking (run_id, rank, spec_index, score, fit_score, is_score, oos_score) \
             SELECT ?1, rank, spec_index, score, fit_score, is_score, oos_score FROM ({RANKING_SQL})"
        ),
        params![run_id, w.fit, w.in_sample, w.out_of_sample],
    )?;
    tx.commit()?;
    Ok(n)
}
