//! Every outcome of a run as rows (`export --what outcomes`), streamed in spec order with the
//! columns of `outcomes_expanded`. The view expands features with two correlated subqueries per
//! row (fine for a `WHERE spec_index = …` lookup, minutes for millions of rows); here the raw
//! rows are read in primary-key order and expanded in Rust from the run's feature table held in
//! memory, so the cost is one sequential read of `outcomes` and memory stays flat.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::error::{JournalError, Result};
use crate::rows::{Cell, Sink};
use crate::runs::RunId;

/// The columns, as `outcomes_expanded` names them.
pub const OUTCOME_COLUMNS: &[&str] = &[
    "run_id",
    "spec_index",
    "status",
    "failed_test",
    "r2",
    "message",
    "features",
    "n_variables",
    "n_columns",
    "session_id",
    "worker",
    "eval_us",
];

/// Whether each column of [`OUTCOME_COLUMNS`] holds integers, reals or text: what a Parquet
/// writer needs to know without a pass over the rows.
pub const OUTCOME_KINDS: &[CellKind] = &[
    CellKind::Int,
    CellKind::Int,
    CellKind::Text,
    CellKind::Text,
    CellKind::Real,
    CellKind::Text,
    CellKind::Text,
    CellKind::Int,
    CellKind::Int,
    CellKind::Int,
    CellKind::Int,
    CellKind::Int,
];

/// The kind of values a column holds (NULL allowed in any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Int,
    Real,
    Text,
}

struct Feature {
    name: String,
    base: String,
}

/// Streams every outcome of `run_id` into `sink` in spec order; returns the row count.
/// `progress` is called every 65,536 rows with the count so far.
pub(crate) fn stream_outcomes(
    conn: &Connection,
    run_id: RunId,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    // Indexed by feature id (ids are dense from 0): no hashing per feature per row.
    let mut features: Vec<Option<Feature>> = Vec::new();
    let rows = conn
        .prepare("SELECT feature_id, name, base FROM run_features WHERE run_id = ?1")?
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                Feature {
                    name: r.get(1)?,
                    base: r.get(2)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, f) in rows {
        let id = id as usize;
        if features.len() <= id {
            features.resize_with(id + 1, || None);
        }
        features[id] = Some(f);
    }
    let names = |table: &str| -> Result<HashMap<i64, String>> {
        Ok(conn
            .prepare(&format!("SELECT code, name FROM {table}"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let statuses = names("outcome_statuses")?;
    let tests = names("filter_tests")?;

    let columns: Vec<String> = OUTCOME_COLUMNS.iter().map(|c| c.to_string()).collect();
    sink.begin(&columns).map_err(JournalError::Output)?;
    let mut stmt = conn.prepare(
        "SELECT spec_index, status, failed_test, r2, message, feature_codes, session_id, \
         worker, eval_us FROM outcomes WHERE run_id = ?1 ORDER BY spec_index",
    )?;
    let prefix = crate::runs::common_prefix(conn, run_id)?;
    let mut rows = stmt.query([run_id])?;
    let mut row: Vec<Cell> = Vec::with_capacity(columns.len());
    let mut ids: Vec<u32> = Vec::new();
    let mut bases: Vec<&str> = Vec::new();
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let spec_index: i64 = r.get(0)?;
        ids.clear();
        ids.extend_from_slice(&prefix);
        crate::codes::decode(r.get_ref(5)?.as_str()?, &mut ids);
        let mut names = String::with_capacity(16 * ids.len());
        bases.clear();
        for (k, id) in ids.iter().enumerate() {
            let f = features
                .get(*id as usize)
                .and_then(Option::as_ref)
                .ok_or_else(|| {
                    JournalError::Invalid(format!(
                        "outcome {spec_index} of run {run_id}: feature {id} is not in the run; \
                         the journal is damaged: restore it or start a new workspace"
                    ))
                })?;
            if k > 0 {
                names.push_str(", ");
            }
            names.push_str(&f.name);
            if !bases.contains(&f.base.as_str()) {
                bases.push(&f.base);
            }
        }
        let label = |map: &HashMap<i64, String>, code: Option<i64>| {
            code.and_then(|c| map.get(&c))
                .map_or(Cell::Null, |s| Cell::Text(s.clone()))
        };
        row.clear();
        row.push(Cell::Int(run_id.0));
        row.push(Cell::Int(spec_index));
        row.push(label(&statuses, r.get(1)?));
        row.push(label(&tests, r.get(2)?));
        row.push(Cell::from_ref(r.get_ref(3)?));
        row.push(Cell::from_ref(r.get_ref(4)?));
        row.push(Cell::Text(names));
        row.push(Cell::Int(bases.len() as i64));
        row.push(Cell::Int(ids.len() as i64));
        row.push(Cell::from_ref(r.get_ref(6)?));
        row.push(Cell::from_ref(r.get_ref(7)?));
        row.push(Cell::from_ref(r.get_ref(8)?));
        sink.row(&row).map_err(JournalError::Output)?;
        n += 1;
        if n.is_multiple_of(65_536) {
            progress(n);
        }
    }
    sink.finish().map_err(JournalError::Output)?;
    progress(n);
    Ok(n)
}
