//! Every outcome of a run as rows (`export --what outcomes`), streamed in spec order with the
//! columns of `outcomes_expanded`. The view expands features with two correlated subqueries per
//! row (fine for a `WHERE spec_index = …` lookup, minutes for millions of rows); here the raw
//! rows are read in primary-key order and expanded in Rust from the run's feature table held in
//! memory, so the cost is one sequential read of `outcomes` and memory stays flat.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::blocks::OutcomeCode;
use crate::error::{JournalError, Result};
use crate::plan::PlanDecoder;
use crate::rows::{Cell, Sink};
use crate::runs::RunId;
use crate::status::OutcomeStatus;

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
    /// The variable (dummies: their set) as a small number, to count distinct ones.
    base: u32,
}

/// Streams every outcome of `run_id` into `sink` in spec order; returns the row count.
/// `progress` is called every 65,536 rows with the count so far. Rows (runs journaled before
/// version 10, passed and error outcomes after) and the filtered specs of blocks are merged by
/// spec index; a block's specs get their features from the run's plan.
pub(crate) fn stream_outcomes(
    conn: &Connection,
    run_id: RunId,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    // Indexed by feature id (ids are dense from 0): no hashing per feature per row.
    let mut features: Vec<Option<Feature>> = Vec::new();
    let mut base_ids: HashMap<String, u32> = HashMap::new();
    let rows = conn
        .prepare("SELECT feature_id, name, base FROM run_features WHERE run_id = ?1")?
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, name, base) in rows {
        let next = base_ids.len() as u32;
        let f = Feature {
            name,
            base: *base_ids.entry(base).or_insert(next),
        };
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
    let label = |map: &HashMap<i64, String>, code: Option<i64>| {
        code.and_then(|c| map.get(&c))
            .map_or(Cell::Null, |s| Cell::Text(s.clone()))
    };

    let columns: Vec<String> = OUTCOME_COLUMNS.iter().map(|c| c.to_string()).collect();
    sink.begin(&columns).map_err(JournalError::Output)?;
    let mut row_stmt = conn.prepare(
        "SELECT spec_index, status, failed_test, r2, message, feature_codes, session_id, \
         worker, eval_us FROM outcomes WHERE run_id = ?1 ORDER BY spec_index",
    )?;
    let mut block_stmt = conn.prepare(
        "SELECT start_index, codes, session_id, worker FROM outcome_blocks WHERE run_id = ?1 \
         ORDER BY start_index",
    )?;
    let prefix = crate::runs::common_prefix(conn, run_id)?;
    let mut decoder = PlanDecoder::load(conn, run_id)?;
    let mut rows = row_stmt.query([run_id])?;
    let mut blocks = block_stmt.query([run_id])?;
    let mut row: Vec<Cell> = Vec::with_capacity(columns.len());
    let mut ids: Vec<u32> = Vec::new();
    let mut bases: Vec<u32> = Vec::new();
    let mut n = 0u64;
    // The feature names of `ids`, joined, and the distinct bases (into `bases`).
    let describe = |ids: &[u32], spec_index: u64, bases: &mut Vec<u32>| -> Result<String> {
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
            if !bases.contains(&f.base) {
                bases.push(f.base);
            }
        }
        Ok(names)
    };
    let mut next_row = rows.next()?;
    let mut emit = |row: &mut Vec<Cell>, n: &mut u64| -> Result<()> {
        sink.row(row).map_err(JournalError::Output)?;
        *n += 1;
        if n.is_multiple_of(65_536) {
            progress(*n);
        }
        Ok(())
    };
    // Rows up to `limit` (exclusive) first, in spec order.
    macro_rules! rows_before {
        ($limit:expr) => {
            while let Some(r) = next_row {
                let spec_index: i64 = r.get(0)?;
                if spec_index as u64 >= $limit {
                    break;
                }
                ids.clear();
                ids.extend_from_slice(&prefix);
                crate::codes::decode(r.get_ref(5)?.as_str()?, &mut ids);
                let names = describe(&ids, spec_index as u64, &mut bases)?;
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
                emit(&mut row, &mut n)?;
                next_row = rows.next()?;
            }
        };
    }
    while let Some(b) = blocks.next()? {
        let start = b.get::<_, i64>(0)? as u64;
        let codes = b.get_ref(1)?.as_blob()?;
        let (session, worker) = (Cell::from_ref(b.get_ref(2)?), Cell::from_ref(b.get_ref(3)?));
        let decoder = decoder.as_mut().ok_or_else(|| {
            JournalError::Invalid(format!(
                "run {run_id} has outcome blocks but no plan; the journal is damaged: restore \
                 it or start a new workspace"
            ))
        })?;
        for (k, &byte) in codes.iter().enumerate() {
            let spec_index = start + k as u64;
            let code = OutcomeCode::from_byte(byte).ok_or_else(|| {
                JournalError::Invalid(format!(
                    "outcome {spec_index} of run {run_id} has the code {byte}; the journal is \
                     damaged: restore it or start a new workspace"
                ))
            })?;
            if code.status() != OutcomeStatus::Filtered {
                // Passed and error outcomes are rows: written in order below.
                continue;
            }
            rows_before!(spec_index);
            decoder.spec(spec_index, &mut ids);
            let names = describe(&ids, spec_index, &mut bases)?;
            row.clear();
            row.push(Cell::Int(run_id.0));
            row.push(Cell::Int(spec_index as i64));
            row.push(label(&statuses, Some(1)));
            row.push(label(
                &tests,
                code.failed_test().map(|t| i64::from(t.code())),
            ));
            row.push(Cell::Null);
            row.push(Cell::Null);
            row.push(Cell::Text(names));
            row.push(Cell::Int(bases.len() as i64));
            row.push(Cell::Int(ids.len() as i64));
            row.push(session.clone());
            row.push(worker.clone());
            row.push(Cell::Null);
            emit(&mut row, &mut n)?;
        }
    }
    rows_before!(u64::MAX);
    sink.finish().map_err(JournalError::Output)?;
    progress(n);
    Ok(n)
}
