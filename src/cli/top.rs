//! `specsearch top [CONFIG] [-n N] [--weights fit,is,oos]`: the ranked passed models of a run
//! (deduplicated by spec key). `--weights` re-ranks them with other weights of the three
//! ranking groups without re-running anything (nothing is stored); the stored rank is shown
//! alongside. A run that has not completed yet is ranked on the fly with its config's weights.
//! `--scenario NAME` adds each model's 9-quarter % change under that scenario. Each model shows
//! its spec key's short form (its identity across runs: `show KEY`), its out-of-sample RMSE
//! over the best benchmark's (below 1 beats it) and "same fit as rank N" when another model
//! fits identically; the incumbent and the benchmarks follow on lines of their own.

use anyhow::{bail, Result};

use super::{JournalArgs, OutputArgs};
use crate::journal::{Cell, Journal, Ranking, RunId, Table, Weights};
use crate::results::{self, Format};

#[derive(Debug, clap::Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// How many models (default: the config's `ranking.top_n`; 0 = all).
    #[arg(short = 'n', long = "limit", value_name = "N")]
    pub n: Option<usize>,
    /// Re-rank with these weights of fit, in-sample errors and out-of-sample errors,
    /// e.g. `--weights 1,1,0` to ignore out-of-sample performance.
    #[arg(long, value_name = "FIT,IS,OOS", value_parser = results::parse_weights)]
    pub weights: Option<Weights>,
    /// Add the JSON detail of each model (every statistic) to --json / --csv output.
    #[arg(long)]
    pub detail: bool,
    /// Add the 9-quarter % change of each model's level under this scenario
    /// (`pct_change_9q_<NAME>`; see `specsearch forecast`).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &TopArgs) -> Result<()> {
    let j = args.journal.open()?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let run_ranking = j.run_ranking(&run);
    let stored = j.journal.has_stored_ranking(run.run_id)?;
    let counts = j.journal.counts(run.run_id)?;
    let (ranking, how) = match &args.weights {
        Some(w) => {
            if let Err(e) = w.check(run.has_out_of_sample) {
                bail!(e);
            }
            (
                Ranking::Weights(*w),
                format!(
                    "re-ranked with weights fit {}, in-sample {}, out-of-sample {} (stored rank \
                     alongside)",
                    w.fit, w.in_sample, w.out_of_sample
                ),
            )
        }
        None if stored => (Ranking::Stored, "stored ranking".to_string()),
        None => {
            (
                Ranking::Weights(run_ranking.weights()),
                if counts.passed == 0 {
                    format!(
                    "no model passed{}: nothing to rank (`specsearch failures` shows where the \
                     specs failed)",
                    if counts.evaluated < run.spec_count {
                        format!(" so far ({} of {} specs evaluated)", counts.evaluated, run.spec_count)
                    } else {
                        String::new()
                    }
                )
                } else {
                    format!(
                        "ranked now over the models passed so far: the run is {} ({} of {} specs \
                     evaluated), its ranking is stored when it completes",
                        run.status, counts.evaluated, run.spec_count
                    )
                },
            )
        }
    };
    let n = args
        .n
        .or_else(|| j.config.as_ref().map(|c| c.file.ranking.top_n))
        .unwrap_or(run_ranking.top_n);
    let limit = (n > 0).then_some(n);
    let format = args.output.format();
    let mut table = j.journal.passed_models(
        run.run_id,
        &ranking,
        limit,
        args.detail && format != Format::Human,
    )?;
    let (any_ratio, any_same) =
        results::benchmarks::add_columns(&j.journal, run.run_id, &ranking, &mut table)?;
    let scenario_column = match &args.scenario {
        Some(name) => Some(add_scenario_column(
            &j.journal, run.run_id, &run.name, name, &mut table,
        )?),
        None => None,
    };
    if format != Format::Human {
        return results::print_table(&table, format);
    }
    let passed = counts.passed;
    let fit = |text: &str| results::table::fit_lines(text, results::table::output_width());
    println!(
        "{}",
        fit(&format!(
            "run {}: {passed} passed specs, {} shown; {how}",
            run.name,
            table.rows.len()
        ))
    );
    let mut cols = vec!["rank"];
    if matches!(ranking, Ranking::Weights(_)) && stored {
        cols.push("stored_rank");
    }
    cols.extend([
        "score",
        "fit_score",
        "is_score",
        "oos_score",
        "r2",
        "adj_r2",
        "is_rmse",
        "oos_rmse",
    ]);
    if any_ratio {
        cols.push(results::benchmarks::VS_BEST);
    }
    cols.extend(["cov_type", "spec_index", results::benchmarks::KEY]);
    if let Some(c) = &scenario_column {
        cols.push(c.as_str());
    }
    if any_same {
        cols.push(results::benchmarks::SAME_FIT);
    }
    cols.push("features");
    if !run.has_out_of_sample {
        cols.retain(|c| !c.starts_with("oos"));
    }
    let mut shown = table.select(&cols);
    // A short header for a narrow column (JSON and CSV keep the full name).
    if let Some(c) = shown.col(results::benchmarks::VS_BEST) {
        shown.columns[c] = "oos_vs_bench".into();
    }
    results::print_table(&shown, format)?;
    let fits = j.journal.benchmarks(run.run_id)?;
    let weights = match ranking {
        Ranking::Weights(w) => w,
        Ranking::Stored => run_ranking.weights(),
    };
    if let Some(line) =
        results::benchmarks::incumbent_line(&j.journal, run.run_id, &fits, &weights)?
    {
        println!("{}", fit(&line));
    }
    if let Some(line) = results::benchmarks::benchmarks_line(&fits) {
        println!("{}", fit(&line));
    }
    Ok(())
}

/// Appends `pct_change_9q_<scenario>` (the model's 9Q % change of the level under `scenario`,
/// empty without a forecast) to `table`; its name.
fn add_scenario_column(
    journal: &Journal,
    run_id: RunId,
    run_name: &str,
    scenario: &str,
    table: &mut Table,
) -> Result<String> {
    let Some(values) = journal.pct_change_9q(run_id, scenario)? else {
        let known = journal
            .forecast_set(run_id)?
            .map(|s| s.scenarios.join(", "))
            .unwrap_or_else(|| "none (no forecasts: see `specsearch forecast`)".into());
        bail!("run {run_name} has no scenario {scenario:?}; its scenarios: {known}");
    };
    let name = format!("pct_change_9q_{scenario}");
    let spec_col = table
        .col("spec_index")
        .expect("passed_models has spec_index");
    table.columns.push(name.clone());
    for row in &mut table.rows {
        let spec = row[spec_col].as_i64().unwrap_or(-1) as u64;
        let v = values.get(&spec).copied().flatten();
        row.push(v.map_or(Cell::Null, Cell::Real));
    }
    Ok(name)
}
