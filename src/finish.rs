//! The finish of a run, shared by `run` and `merge`: once every spec index has an outcome and
//! every worker has exited, **rank** the passed models (SQL over the journal), **replay** the
//! run's mutation records into `features.duckdb`, **validate** every passed model's columns
//! against the store, **forecast** the passed models under the config's scenarios (if any),
//! derive the **benchmarks** and the incumbent (`benchmarks::derive`: fitted, projected, the
//! same-fit groups and the run's inputs), run the **validation** analyses of the best models
//! (`validation::validate_run`), and set the run's **status** (`complete`, or `failed` with
//! the report).
//!
//! Every step is derived from the journal and the frozen data, so a finish is idempotent: a
//! run killed anywhere in it resumes straight into it and ends as an uninterrupted run would.
//! A step that cannot be done (the store is locked, the weights leave nothing to rank by)
//! leaves the run `interrupted` with the reason, resumable: the finish ends the caller's
//! [`RunGuard`] with the run's status, whatever happens.

use anyhow::{Context, Result};
use tracing::debug;

use crate::benchmarks::{self, BenchmarkReport};
use crate::config::RankingConfig;
use crate::journal::{JournalRw, RunGuard, RunRow, RunStatus};
use crate::runtime::faults;
use crate::scenario::{self, ForecastReport};
use crate::session::Session;
use crate::store::replay::{self, ReplayReport};
use crate::validation::{self, Selection, ValidationReport};

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
    /// What deriving the benchmarks did (`None` without a session, or for a failed run).
    pub benchmarks: Option<BenchmarkReport>,
    /// What the validation of the best models did (`None` without a session or when the run
    /// failed).
    pub validation: Option<ValidationReport>,
}

/// Finishes a run whose every spec has an outcome, and ends `guard` with the run's status.
/// Without a `session` (a merge whose config cannot be read) the run is ranked and marked
/// complete, and its composites are not replayed.
pub fn finish(
    journal: &JournalRw,
    guard: RunGuard<'_>,
    run: &RunRow,
    ranking: &RankingConfig,
    session: Option<&Session>,
) -> Result<FinishReport> {
    let ranked = match journal
        .store_ranking(run, &ranking.weights())
        .with_context(|| format!("ranking the passed models of run {}", run.name))
    {
        Ok(n) => n,
        Err(err) => {
            guard.end(RunStatus::Interrupted, Some(&format!("{err:#}")))?;
            return Err(err);
        }
    };
    let Some(session) = session else {
        guard.end(RunStatus::Complete, None)?;
        return Ok(FinishReport {
            ranked,
            replay: None,
            validated: 0,
            status: RunStatus::Complete,
            problem: None,
            forecast: None,
            benchmarks: None,
            validation: None,
        });
    };
    faults::before_replay();
    let finished = replay_and_validate(journal, run, session)
        .map_err(|e| e.context("replay not done"))
        .and_then(|(r, v, problem)| {
            let (forecast, benchmarks, validation) = match problem {
                None => {
                    let forecast = scenario::forecast_run(journal, run, session)
                        .context("scenario forecasts not done")?;
                    let benchmarks =
                        benchmarks::derive(journal, run, session).context("benchmarks not done")?;
                    let validation =
                        validation::validate_run(journal, run, session, &Selection::default())
                            .context("validation of the best models not done")?;
                    (forecast, Some(benchmarks), Some(validation))
                }
                Some(_) => (None, None, None),
            };
            Ok((r, v, problem, forecast, benchmarks, validation))
        });
    match finished {
        Ok((report, validated, problem, forecast, benchmarks, validation)) => {
            let status = if problem.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Complete
            };
            guard.end(status, problem.as_deref())?;
            Ok(FinishReport {
                ranked,
                replay: Some(report),
                validated,
                status,
                problem,
                forecast,
                benchmarks,
                validation,
            })
        }
        Err(err) => {
            // The run stays resumable: the next `run` (or `merge`) goes straight to the finish.
            guard.end(RunStatus::Interrupted, Some(&format!("{err:#}")))?;
            Err(err)
        }
    }
}

/// Replays the run's mutations into the session's store and validates its passed models:
/// what the replay did, the composites checked, and the failure report (if any).
fn replay_and_validate(
    journal: &JournalRw,
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
        journal,
        run,
        &store,
        (&built.bundle, &built.hash),
        &session.plan.composites,
        faults::after_store_replay,
    )
    .with_context(|| format!("replaying composites into {}", store.display()))?;
    if report.replayed() > 0 {
        // Debug: the run's summary says it in the user's words (`composites …`).
        debug!(
            "replayed {} mutation(s) into {}: {} inserted, {} already present, {} conflicts",
            report.replayed(),
            store.display(),
            report.inserted,
            report.already_present,
            report.conflicts
        );
    }
    let (problems, checked) = replay::validate(journal, run.run_id, &store, built.bundle.n_rows())?;
    if problems.is_empty() {
        if checked > 0 {
            debug!("validated {checked} composite column(s) of passed models against the store");
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

/// What forecasting a complete run again did: the new forecast set and the validation of the
/// best models on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reforecast {
    pub forecast: ForecastReport,
    pub validation: ValidationReport,
}

/// Forecasts a complete run again (`specsearch forecast`, or `run` on a complete run whose
/// scenario inputs changed), as one more piece of work on the run: with
/// `scenarios.require_order` every passed model is ranked afresh first (through the same
/// weight check as a finish), so the ordering exclusion is judged on the new forecasts; the
/// best models are then validated again on the new forecasts. A failure leaves the run
/// `interrupted` with the reason (the next `run` finishes it again).
pub fn reforecast(
    journal: &JournalRw,
    run: &RunRow,
    session: &Session,
) -> Result<Option<Reforecast>> {
    let (guard, _) = journal.begin_run(run.run_id)?;
    let config = &session.config.file;
    let done = (|| {
        if config.scenarios.as_ref().is_some_and(|s| s.require_order) {
            journal.store_ranking(run, &config.ranking.weights())?;
        }
        let forecast = scenario::forecast_run(journal, run, session)?;
        // The benchmarks' and the incumbent's forecasts belong to the forecast set (and a
        // changed [incumbent] is taken in here).
        benchmarks::derive(journal, run, session)?;
        let Some(forecast) = forecast else {
            return Ok(None);
        };
        let validation = validation::validate_run(journal, run, session, &Selection::default())
            .context("validation of the best models not done")?;
        Ok(Some(Reforecast {
            forecast,
            validation,
        }))
    })();
    match done {
        Ok(report) => {
            guard.end(RunStatus::Complete, None)?;
            Ok(report)
        }
        Err(err) => {
            let detail = format!("forecast not done: {err:#}");
            guard.end(RunStatus::Interrupted, Some(&detail))?;
            Err(err)
        }
    }
}
