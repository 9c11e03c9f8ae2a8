//! The finish of a run, shared by `run` and `merge`: once every spec index has an outcome and
//! every worker has exited, **rank** the passed models (SQL over the journal), **replay** the
//! run's mutation records into `features.duckdb`, **validate** every passed model's columns
//! against the store, **forecast** the passed models under the config's scenarios (if any),
//! and set the run's **status** (`complete`, or `failed` with the report).
//!
//! Every step is derived from the journal and the frozen data, so a finish is idempotent: a
//! run killed anywhere in it resumes straight into it and ends as an uninterrupted run would.
//! A step that cannot be done (the store is locked, the weights leave nothing to rank by)
//! leaves the run `interrupted` with the reason, resumable.

use anyhow::{Context, Result};
use rusqlite::Connection;
use tracing::info;

use crate::config::RankingConfig;
use crate::journal::runs::{self, RunRow};
use crate::journal::{derive, RunStatus};
use crate::runtime::faults;
use crate::scenario::{self, ForecastReport};
use crate::session::Session;
use crate::store::replay::{self, ReplayReport};

/// What a finish did.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishReport {
    /// Distinct passed models ranked.
    pub ranked: usize,
    /// What this finish's replay did; `None` when there was no session to replay from.
    pub replay: Option<ReplayReport>,
    /// Composite columns of passed models checked against the store.
    pub validated: usize,
    pub status: RunStatus,
    /// The validation report of a failed run.
    pub problem: Option<String>,
    /// What the scenario forecasts did (`None` without `[scenarios]` or a session).
    pub forecast: Option<ForecastReport>,
}

/// Finishes a run whose every spec has an outcome. Without a `session` (a merge whose config
/// cannot be read) the run is ranked and marked complete, and its composites are not replayed.
pub fn finish(
    conn: &Connection,
    run: &RunRow,
    ranking: &RankingConfig,
    session: Option<&Session>,
) -> Result<FinishReport> {
    derive::check_weights(ranking, run.has_out_of_sample).map_err(anyhow::Error::msg)?;
    let ranked = derive::store_ranking(conn, run.run_id, ranking)
        .with_context(|| format!("ranking the passed models of run {}", run.name))?;
    let Some(session) = session else {
        runs::set_status(conn, run.run_id, RunStatus::Complete, None)?;
        return Ok(FinishReport {
            ranked,
            replay: None,
            validated: 0,
            status: RunStatus::Complete,
            problem: None,
            forecast: None,
        });
    };
    faults::before_replay();
    let finished = replay_and_validate(conn, run, session)
        .map_err(|e| e.context("replay not done"))
        .and_then(|(r, v, problem)| {
            let forecast = match problem {
                None => scenario::forecast_run(conn, run, session)
                    .context("scenario forecasts not done")?,
                Some(_) => None,
            };
            Ok((r, v, problem, forecast))
        });
    match finished {
        Ok((report, validated, problem, forecast)) => {
            let status = if problem.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Complete
            };
            runs::set_status(conn, run.run_id, status, problem.as_deref())?;
            Ok(FinishReport {
                ranked,
                replay: Some(report),
                validated,
                status,
                problem,
                forecast,
            })
        }
        Err(err) => {
            // The run stays resumable: the next `run` (or `merge`) goes straight to the finish.
            let detail = format!("{err:#}");
            runs::set_status(conn, run.run_id, RunStatus::Interrupted, Some(&detail))?;
            Err(err)
        }
    }
}

/// Replays the run's mutations into the session's store and validates its passed models:
/// what the replay did, the composites checked, and the failure report (if any).
fn replay_and_validate(
    conn: &Connection,
    run: &RunRow,
    session: &Session,
) -> Result<(ReplayReport, usize, Option<String>)> {
    anyhow::ensure!(
        session.bundle_hash() == run.bundle_hash,
        "the data of {} changed since run {} searched it (bundle {} vs {}); finish it with the \
         data it used",
        session.config.path.display(),
        run.name,
        &session.bundle_hash()[..12],
        &run.bundle_hash[..12]
    );
    // A merge may finish into a workspace that has no bundle yet.
    session.freeze()?;
    let store = session.workspace.features_duckdb();
    let built = &session.built;
    let report = replay::replay(
        conn,
        run.run_id,
        &run.name,
        &store,
        &built.bundle,
        &built.hash,
        &session.plan.composites,
        faults::after_store_replay,
    )
    .with_context(|| format!("replaying composites into {}", store.display()))?;
    if report.replayed() > 0 {
        info!(
            "replayed {} mutation(s) into {}: {} inserted, {} already present, {} conflicts",
            report.replayed(),
            store.display(),
            report.inserted,
            report.already_present,
            report.conflicts
        );
    }
    let (problems, checked) = replay::validate(conn, run.run_id, &store, built.bundle.n_rows())?;
    if problems.is_empty() {
        if checked > 0 {
            info!("validated {checked} composite column(s) of passed models against the store");
        }
        return Ok((report, checked, None));
    }
    let shown: Vec<String> = problems
        .iter()
        .take(10)
        .map(|p| format!("  - {p}"))
        .collect();
    let more = if problems.len() > 10 {
        format!("\n  … and {} more", problems.len() - 10)
    } else {
        String::new()
    };
    let detail = format!(
        "validation failed: {} passed-model column problem(s) in {}:\n{}{more}\n\
         The store no longer matches what the workers built (it was changed outside specsearch, \
         or a replay conflicted: see `specsearch audit`). Restore features.duckdb and run the \
         same command again, or delete it and start over with `specsearch run --fresh`.",
        problems.len(),
        store.display(),
        shown.join("\n")
    );
    Ok((report, checked, Some(detail)))
}
