//! What the inspection commands show of a run's benchmarks and incumbent (docs/semantics.md
//! §13): each model's out-of-sample RMSE relative to the best benchmark, models with the same
//! fit as a better-ranked one, the spec key's short form, and one line each for the incumbent
//! and the benchmarks beside the ranking.

use std::collections::HashMap;

use anyhow::Result;

use crate::journal::{BenchmarkFit, Cell, Journal, Ranking, RunId, Table, Weights};
use crate::results::table::fmt_real;

/// Characters of a spec key shown as the model's identity (`top`, `show`, `compare`); `show
/// KEY` takes any unambiguous prefix of at least [`MIN_KEY_PREFIX`].
pub const SHORT_KEY: usize = 10;
/// The shortest key prefix `show` takes (shorter ones read as ranks).
pub const MIN_KEY_PREFIX: usize = 8;

/// The short form of a spec key.
pub fn short_key(key: &str) -> &str {
    &key[..key.len().min(SHORT_KEY)]
}

/// Column names `top` adds.
pub const KEY: &str = "key";
pub const VS_BEST: &str = "oos_rmse_vs_best_benchmark";
pub const SAME_FIT: &str = "same_fit";

/// Adds to a ranking table (`passed_models` columns) the short spec key, each model's
/// out-of-sample RMSE over the best benchmark's (when the run has benchmarks with an
/// out-of-sample window) and "same fit as rank N" (when the run has models with the same fit;
/// N is the best rank among the others of its group under `ranking`). Returns whether each of
/// the last two has any value.
pub fn add_columns(
    journal: &Journal,
    run_id: RunId,
    ranking: &Ranking,
    table: &mut Table,
) -> Result<(bool, bool)> {
    let (Some(spec_col), Some(key_col)) = (table.col("spec_index"), table.col("spec_key")) else {
        return Ok((false, false));
    };
    let rmse_col = table.col("oos_rmse");
    let best = journal.best_benchmark(run_id)?;
    let same = journal.same_fits(run_id)?;
    // Ranks of every member of a group, under the ranking shown.
    let mut rank_of: HashMap<u64, i64> = HashMap::new();
    if !same.is_empty() {
        let all = journal.passed_models(run_id, ranking, None, false)?;
        for r in 0..all.rows.len() {
            let spec = all.get(r, "spec_index").as_i64().unwrap_or(-1) as u64;
            if let Some(rank) = all.get(r, "rank").as_i64() {
                rank_of.insert(spec, rank);
            }
        }
    }
    let mut members: HashMap<u64, Vec<u64>> = HashMap::new();
    for (&spec, &group) in &same {
        members.entry(group).or_default().push(spec);
    }
    table.columns.push(KEY.into());
    table.columns.push(VS_BEST.into());
    table.columns.push(SAME_FIT.into());
    let (mut any_ratio, mut any_same) = (false, false);
    for row in &mut table.rows {
        let key = row[key_col].as_str().map(|k| short_key(k).to_string());
        let spec = row[spec_col].as_i64().unwrap_or(-1) as u64;
        let ratio = match (&best, rmse_col.and_then(|c| row[c].as_f64())) {
            (Some((_, b)), Some(m)) if *b > 0.0 => Some(m / b),
            _ => None,
        };
        let same_as = same.get(&spec).and_then(|g| {
            members[g]
                .iter()
                .filter(|&&s| s != spec)
                .filter_map(|s| rank_of.get(s))
                .min()
                .map(|r| format!("same fit as rank {r}"))
        });
        any_ratio |= ratio.is_some();
        any_same |= same_as.is_some();
        row.push(key.map_or(Cell::Null, Cell::Text));
        row.push(ratio.map_or(Cell::Null, Cell::Real));
        row.push(same_as.map_or(Cell::Null, Cell::Text));
    }
    Ok((any_ratio, any_same))
}

/// One line on the incumbent beside the ranking: its score and the rank it would take, its
/// fit and out-of-sample errors, how it compares with the best benchmark and with today's
/// filters. `None` when the run has no incumbent.
pub fn incumbent_line(
    journal: &Journal,
    run_id: RunId,
    fits: &[BenchmarkFit],
    weights: &Weights,
) -> Result<Option<String>> {
    let Some(inc) = fits.iter().find(|f| f.kind() == "incumbent") else {
        return Ok(None);
    };
    let o = &inc.outcome;
    let mut parts = vec![format!("incumbent ({})", inc.features.join(", "))];
    if let Some((score, rank)) = journal.score_against_passed(run_id, inc, weights)? {
        if score.is_finite() {
            parts.push(format!("score {} (would rank {rank})", fmt_real(score)));
        }
    }
    if let Some(r2) = o.r2 {
        parts.push(format!("R² {}", fmt_real(r2)));
    }
    if let Some(rmse) = o.oos_rmse {
        let mut s = format!("oos_rmse {}", fmt_real(rmse));
        if let Some((name, best)) = journal.best_benchmark(run_id)? {
            if best > 0.0 {
                s.push_str(&format!(
                    " ({}× best benchmark, {name})",
                    fmt_real(rmse / best)
                ));
            }
        }
        parts.push(s);
    }
    parts.push(
        match (inc.coefficients_given, inc.passes, inc.failed_test) {
            (true, _, _) => "coefficients as given".into(),
            (false, Some(true), _) => "passes the filters".into(),
            (false, _, Some(t)) => format!("fails {t}"),
            (false, _, None) => format!(
                "not fitted: {}",
                o.message.clone().unwrap_or_else(|| "no detail".into())
            ),
        },
    );
    Ok(Some(parts.join("; ")))
}

/// One line on the benchmarks: each one's out-of-sample RMSE (or in-sample, without an
/// out-of-sample window), the best first. `None` when the run has none.
pub fn benchmarks_line(fits: &[BenchmarkFit]) -> Option<String> {
    let mut b: Vec<&BenchmarkFit> = fits.iter().filter(|f| f.kind() == "benchmark").collect();
    if b.is_empty() {
        return None;
    }
    let oos = b.iter().all(|f| f.outcome.oos_rmse.is_some());
    let rmse = |f: &BenchmarkFit| {
        if oos {
            f.outcome.oos_rmse
        } else {
            f.outcome.is_rmse
        }
        .unwrap_or(f64::INFINITY)
    };
    b.sort_by(|x, y| rmse(x).total_cmp(&rmse(y)));
    let list: Vec<String> = b
        .iter()
        .map(|f| format!("{} {}", f.name, fmt_real(rmse(f))))
        .collect();
    Some(format!(
        "benchmarks ({} RMSE, best first): {}",
        if oos { "out-of-sample" } else { "in-sample" },
        list.join(", ")
    ))
}

/// Appends the incumbent and the benchmarks to a ranking table (any subset of the columns of
/// `passed_models` plus those of [`add_columns`]), marked in `rank` ("incumbent",
/// "benchmark"): their score against the passed set (the incumbent's) and their fit; the
/// ranking itself is unchanged. Returns how many rows were added.
pub fn append_rows(
    journal: &Journal,
    run_id: RunId,
    weights: &Weights,
    table: &mut Table,
) -> Result<usize> {
    let fits = journal.benchmarks(run_id)?;
    let best = journal.best_benchmark(run_id)?;
    let mut added = 0;
    for f in fits
        .iter()
        .filter(|f| f.kind() == "incumbent")
        .chain(fits.iter().filter(|f| f.kind() == "benchmark"))
    {
        let o = &f.outcome;
        let score = if f.kind() == "incumbent" {
            journal
                .score_against_passed(run_id, f, weights)?
                .map(|s| s.0)
        } else {
            None
        };
        let real = |v: Option<f64>| v.filter(|x| x.is_finite()).map_or(Cell::Null, Cell::Real);
        let row = table
            .columns
            .iter()
            .map(|c| match c.as_str() {
                "rank" => Cell::Text(f.kind().into()),
                "score" => real(score),
                "r2" => real(o.r2),
                "adj_r2" => real(o.adj_r2),
                "is_mae" => real(o.is_mae),
                "is_rmse" => real(o.is_rmse),
                "is_max_abs" => real(o.is_max_abs_error),
                "oos_mae" => real(o.oos_mae),
                "oos_rmse" => real(o.oos_rmse),
                "oos_max_abs" => real(o.oos_max_abs_error),
                "cov_type" => o
                    .cov_type
                    .map_or(Cell::Null, |c| Cell::Text(c.as_str().into())),
                "features" => Cell::Text(if f.features.is_empty() {
                    format!("({})", f.method.describe())
                } else {
                    f.features.join(", ")
                }),
                "spec_key" => f.spec_key.clone().map_or(Cell::Null, Cell::Text),
                KEY => f
                    .spec_key
                    .as_deref()
                    .map_or(Cell::Text(f.name.clone()), |k| {
                        Cell::Text(short_key(k).to_string())
                    }),
                VS_BEST => match (&best, o.oos_rmse) {
                    (Some((_, b)), Some(m)) if *b > 0.0 => Cell::Real(m / b),
                    _ => Cell::Null,
                },
                "benchmark" => Cell::Text(f.name.clone()),
                _ => Cell::Null,
            })
            .collect();
        table.push(row);
        added += 1;
    }
    Ok(added)
}
