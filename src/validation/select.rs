//! Which models a validation looks at: the best `validation.top_n` of the run's stored ranking
//! by default, or the ranks, spec indices and `--top N` a person named.

use anyhow::{bail, Result};

use crate::journal::{Journal, OutcomeStatus, RunRow};

/// The models to validate, as the command line names them (`RANK…`, `--spec N…`, `--top N`).
/// Empty: the best `validation.top_n`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Ranks of the stored ranking (1 = best).
    pub ranks: Vec<u64>,
    /// Spec indices of passed models (ranked or not).
    pub specs: Vec<u64>,
    /// The best N ranked models.
    pub top: Option<usize>,
}

impl Selection {
    /// The best `n` ranked models.
    pub fn top(n: usize) -> Selection {
        Selection {
            top: Some(n),
            ..Selection::default()
        }
    }

    /// Whether a person named models by rank or spec index (what cannot be done for them is
    /// then an error, not a note).
    pub fn is_explicit(&self) -> bool {
        !self.ranks.is_empty() || !self.specs.is_empty()
    }
}

/// One model to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectedModel {
    pub spec_index: u64,
    /// Its rank in the stored ranking (`None`: passed but not ranked, e.g. left out by
    /// `scenarios.require_order`).
    pub rank: Option<i64>,
}

/// The models `selection` names in `run`, each once, in the order named (the `--top` ones and
/// the default top first, best first); an error names a rank or spec index that is not a
/// passed model of the run.
pub fn select_models(
    journal: &Journal,
    run: &RunRow,
    selection: &Selection,
    default_top: usize,
) -> Result<Vec<SelectedModel>> {
    let top = match (selection.top, selection.is_explicit()) {
        (Some(n), _) => n,
        (None, false) => default_top,
        (None, true) => 0,
    };
    let deepest = selection
        .ranks
        .iter()
        .map(|&r| r as usize)
        .max()
        .unwrap_or(0)
        .max(top);
    let ranked = if deepest > 0 {
        journal.ranked_coefficients(run.run_id, Some(deepest))?
    } else {
        Vec::new()
    };
    let mut out: Vec<SelectedModel> = Vec::new();
    let mut add = |m: SelectedModel| {
        if !out.iter().any(|o| o.spec_index == m.spec_index) {
            out.push(m);
        }
    };
    for m in ranked.iter().take(top) {
        add(SelectedModel {
            spec_index: m.spec_index,
            rank: m.rank,
        });
    }
    for &r in &selection.ranks {
        if r == 0 {
            bail!("ranks start at 1 (rank 0 was given)");
        }
        let Some(m) = ranked.get(r as usize - 1) else {
            bail!(
                "run {} has {} ranked model{}; there is no rank {r}",
                run.name,
                ranked.len(),
                if ranked.len() == 1 { "" } else { "s" }
            );
        };
        add(SelectedModel {
            spec_index: m.spec_index,
            rank: m.rank,
        });
    }
    for &spec in &selection.specs {
        let Some(row) = journal.spec_row(run.run_id, spec)? else {
            bail!(
                "spec {spec} has no outcome in run {} (its spec indices run from 0 to {})",
                run.name,
                run.spec_count.saturating_sub(1)
            );
        };
        if row.status != OutcomeStatus::Passed {
            bail!(
                "spec {spec} of run {} did not pass (status {}{}): only passed models are \
                 validated",
                run.name,
                row.status.as_str(),
                row.failed_test
                    .map(|t| format!(", failed at {}", t.name()))
                    .unwrap_or_default()
            );
        }
        add(SelectedModel {
            spec_index: spec,
            rank: row.rank,
        });
    }
    Ok(out)
}
