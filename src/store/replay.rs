//! Replay (docs/architecture.md, seed step 6): after every worker has exited, the coordinator
//! writes the composite features that passed models depend on into `features.duckdb`, journals
//! every replay, and validates that every passed model's columns are in the store with the values
//! the run used.
//!
//! - **Replay.** For each mutation the run journaled and has not replayed yet, the coordinator
//!   recomputes the values from its own frozen bundle and compares their sha256 with the
//!   recorded one, then looks the name up in the store: absent → insert the catalogue row (role
//!   `composite`) and the values (`inserted`); present with the same hash → `already present`;
//!   otherwise → `conflict`. Every store change is one DuckDB transaction, checkpointed before
//!   the journal records the replays, so a crash in between leaves inserted rows that the next
//!   finish finds `already present` (and says that an earlier finish of this run inserted them):
//!   nothing is ever inserted twice, and a mutation replayed successfully (inserted or already
//!   present) is never replayed again. A conflict is retried by the next finish.
//! - **Validation.** Every column of every passed model must be in the store: frozen columns by
//!   name, composites with values whose sha256 equals the run's mutation record. Any problem is
//!   reported (the coordinator marks the run failed with the report).
//!
//! The frozen part of the store (ids below the manifest's `columns`) is never written, so the
//! bundle hash, `features.f64` and every reader of the frozen matrix are unaffected.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use duckdb::{params, Connection as Duck};

use super::{column_sha256, FrozenBundle};
use crate::features::composite::CompositeDef;
use crate::journal::{Journal, JournalError, JournalRw, Replay, ReplayAction, RunId, RunRow};
use crate::spec::FeatureRole;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "{path} is open in another process ({message}); the run stays resumable: close that \
         process and run the same command again to finish the replay"
    )]
    Busy { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Duckdb {
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Invalid(String),
}

/// What one replay did (this invocation only; totals are in the journal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayReport {
    pub inserted: usize,
    pub already_present: usize,
    pub conflicts: usize,
}

impl ReplayReport {
    pub fn replayed(&self) -> usize {
        self.inserted + self.already_present + self.conflicts
    }
}

fn duck_err(path: &Path) -> impl Fn(duckdb::Error) -> ReplayError + '_ {
    move |source| ReplayError::Duckdb {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps an open error: a lock held by another process is `Busy` (the run stays resumable).
fn open_err(path: &Path) -> impl Fn(duckdb::Error) -> ReplayError + '_ {
    move |source| {
        let message = source.to_string();
        if message.to_lowercase().contains("lock") {
            ReplayError::Busy {
                path: path.to_path_buf(),
                message,
            }
        } else {
            ReplayError::Duckdb {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Opens the store read-write (only the coordinator, once every worker is gone).
fn open_rw(path: &Path) -> Result<Duck, ReplayError> {
    let config = duckdb::Config::default()
        .threads(1)
        .map_err(duck_err(path))?;
    Duck::open_with_flags(path, config).map_err(open_err(path))
}

/// Opens the store read-only (validation).
fn open_ro(path: &Path) -> Result<Duck, ReplayError> {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .and_then(|c| c.threads(1))
        .map_err(duck_err(path))?;
    Duck::open_with_flags(path, config).map_err(open_err(path))
}

/// A column of the store: id, role, and (composites) the run that replayed it.
struct StoredColumn {
    id: i64,
    role: String,
    replayed_by: Option<String>,
}

fn stored_columns(duck: &Duck, path: &Path) -> Result<HashMap<String, StoredColumn>, ReplayError> {
    let e = duck_err(path);
    let mut stmt = duck
        .prepare("SELECT name, id, role, replayed_by FROM catalogue")
        .map_err(&e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                StoredColumn {
                    id: r.get::<_, i64>(1)?,
                    role: r.get(2)?,
                    replayed_by: r.get(3)?,
                },
            ))
        })
        .map_err(&e)?;
    rows.collect::<Result<_, _>>().map_err(&e)
}

/// The values of one stored column over every date (NULL → NaN); `None` when rows are missing.
fn stored_values(
    duck: &Duck,
    path: &Path,
    id: i64,
    rows: usize,
) -> Result<Option<Vec<f64>>, ReplayError> {
    let e = duck_err(path);
    let mut stmt = duck
        .prepare("SELECT row_id, value FROM feature_values WHERE id = ? ORDER BY row_id")
        .map_err(&e)?;
    let got: Vec<(i64, Option<f64>)> = stmt
        .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    if got.len() != rows || got.iter().enumerate().any(|(i, (row, _))| *row != i as i64) {
        return Ok(None);
    }
    Ok(Some(
        got.into_iter()
            .map(|(_, v)| v.unwrap_or(f64::NAN))
            .collect(),
    ))
}

/// Replays the run's pending mutations into `store` (see the module docs), rebuilding each from
/// `bundle` (whose hash is `bundle_hash`). `after_store` runs once the store changes are
/// committed and before the journal records them (fault injection).
pub fn replay(
    journal: &JournalRw,
    run: &RunRow,
    store: &Path,
    (bundle, bundle_hash): (&FrozenBundle, &str),
    composites: &[CompositeDef],
    after_store: impl FnOnce(),
) -> Result<ReplayReport, ReplayError> {
    let (run_id, run_name) = (run.run_id, run.name.as_str());
    let pending = journal.pending_mutations(run_id)?;
    let mut report = ReplayReport::default();
    if pending.is_empty() {
        return Ok(report);
    }
    let e = duck_err(store);
    let duck = open_rw(store)?;
    let manifest_hash: String = duck
        .query_row(
            "SELECT value FROM manifest WHERE key = 'bundle_sha256'",
            [],
            |r| r.get(0),
        )
        .map_err(&e)?;
    if manifest_hash != bundle_hash {
        return Err(ReplayError::Invalid(format!(
            "{} holds bundle {manifest_hash}, the run was made on {bundle_hash}; the run stays \
             resumable: restore its bundle or start over with --fresh",
            store.display()
        )));
    }
    let by_name: HashMap<&str, &CompositeDef> =
        composites.iter().map(|c| (c.name.as_str(), c)).collect();
    let rows = bundle.n_rows();
    let fit_rows = bundle.fit_rows();
    let mut stored = stored_columns(&duck, store)?;
    let mut replays = Vec::with_capacity(pending.len());
    let tx = duck.unchecked_transaction().map_err(&e)?;
    let mut next_id: i64 = tx
        .query_row("SELECT coalesce(max(id), -1) + 1 FROM catalogue", [], |r| {
            r.get(0)
        })
        .map_err(&e)?;
    for m in &pending {
        let replay = |action: ReplayAction, detail: Option<String>| Replay {
            name: m.name.clone(),
            sha256: m.sha256.clone(),
            action,
            detail,
        };
        let Some(def) = by_name.get(m.name.as_str()) else {
            replays.push(replay(
                ReplayAction::Conflict,
                Some(format!(
                    "{} is not a composite of this run's plan, so it cannot be rebuilt",
                    m.definition
                )),
            ));
            continue;
        };
        if def.definition != m.definition {
            replays.push(replay(
                ReplayAction::Conflict,
                Some(format!(
                    "recorded as {}, but the plan defines {} as {}",
                    m.definition, m.name, def.definition
                )),
            ));
            continue;
        }
        let values = def
            .kind
            .values(|id| &bundle.catalogue.columns[id as usize].values, rows);
        let hash = column_sha256(&values);
        if hash != m.sha256 {
            replays.push(replay(
                ReplayAction::Conflict,
                Some(format!(
                    "the frozen data gives sha256 {hash}, the run recorded {}",
                    m.sha256
                )),
            ));
            continue;
        }
        if let Some(col) = stored.get(&m.name) {
            let present = match stored_values(&tx, store, col.id, rows)? {
                Some(v) => column_sha256(&v),
                None => "incomplete values".into(),
            };
            if col.role == FeatureRole::Composite.as_str() && present == m.sha256 {
                let detail = (col.replayed_by.as_deref() == Some(run_name))
                    .then(|| "inserted by an earlier, interrupted finish of this run".to_string());
                replays.push(replay(ReplayAction::AlreadyPresent, detail));
            } else {
                replays.push(replay(
                    ReplayAction::Conflict,
                    Some(format!(
                        "{} already has a {} column {} (id {}) whose values hash {present}",
                        store.display(),
                        col.role,
                        m.name,
                        col.id
                    )),
                ));
            }
            continue;
        }
        let in_sample_valid = fit_rows.iter().all(|&r| values[r].is_finite());
        tx.execute(
            "INSERT INTO catalogue (id, name, role, base, transform, period, lag, category, \
             var_type, expected_sign, dummy_set, full_dummy_set, valid, adf_pvalue, pp_pvalue, \
             stationary, kept, exclusion_reason, definition, sha256, replayed_by) \
             VALUES (?, ?, 'composite', ?, NULL, 0, 0, ?, NULL, ?, NULL, false, ?, NULL, NULL, \
             NULL, true, NULL, ?, ?, ?)",
            params![
                next_id,
                def.name,
                def.base,
                def.category,
                def.expected_sign as i32,
                in_sample_valid,
                def.definition,
                hash,
                run_name
            ],
        )
        .map_err(&e)?;
        {
            let mut app = tx.appender("feature_values").map_err(&e)?;
            for (row, &v) in values.iter().enumerate() {
                let v = (!v.is_nan()).then_some(v);
                app.append_row(params![next_id as i32, row as i32, v])
                    .map_err(&e)?;
            }
            app.flush().map_err(&e)?;
        }
        stored.insert(
            m.name.clone(),
            StoredColumn {
                id: next_id,
                role: FeatureRole::Composite.as_str().into(),
                replayed_by: Some(run_name.to_string()),
            },
        );
        next_id += 1;
        replays.push(replay(ReplayAction::Inserted, None));
    }
    tx.commit().map_err(&e)?;
    duck.execute_batch("CHECKPOINT").map_err(&e)?;
    duck.close().map_err(|(_, err)| e(err))?;
    after_store();

    journal.record_replays(run_id, &replays)?;
    for r in &replays {
        match r.action {
            ReplayAction::Inserted => report.inserted += 1,
            ReplayAction::AlreadyPresent => report.already_present += 1,
            ReplayAction::Conflict => report.conflicts += 1,
        }
    }
    Ok(report)
}

/// Checks that every column of every passed model of the run is in the store, composites with
/// the recorded hash. Returns the problems found (empty: valid) and the number of composite
/// columns checked.
pub fn validate(
    journal: &Journal,
    run_id: RunId,
    store: &Path,
    rows: usize,
) -> Result<(Vec<String>, usize), ReplayError> {
    let used = journal.passed_columns(run_id)?;
    let mut problems = Vec::new();
    let mut checked = 0;
    if used.is_empty() {
        return Ok((problems, 0));
    }
    let duck = open_ro(store)?;
    let columns = stored_columns(&duck, store)?;
    for used in &used {
        let (name, role) = (&used.name, &used.role);
        let Some(col) = columns.get(name) else {
            problems.push(format!("{name} ({role}) is not in the store"));
            continue;
        };
        if used.role != FeatureRole::Composite {
            if col.role == FeatureRole::Composite.as_str() {
                problems.push(format!(
                    "{name} is a frozen {role} column of the run but a composite in the store"
                ));
            }
            continue;
        }
        checked += 1;
        let Some(recorded) = &used.recorded_sha256 else {
            problems.push(format!(
                "{name}: passed models use it but no worker recorded its construction"
            ));
            continue;
        };
        if col.role != FeatureRole::Composite.as_str() {
            problems.push(format!(
                "{name}: the store has it as a {} column, not a composite",
                col.role
            ));
            continue;
        }
        match stored_values(&duck, store, col.id, rows)? {
            None => problems.push(format!(
                "{name}: the store has incomplete values (expected {rows} rows)"
            )),
            Some(values) => {
                let got = column_sha256(&values);
                if &got != recorded {
                    problems.push(format!(
                        "{name}: the store's values hash {got}, the run recorded {recorded}"
                    ));
                }
            }
        }
    }
    Ok((problems, checked))
}
