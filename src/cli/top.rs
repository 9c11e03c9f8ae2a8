//! `specsearch top [CONFIG] [-n N] [--weights fit,is,oos]`: the ranked passed models of a run
//! (deduplicated by spec key). `--weights` re-ranks them with other weights of the three
//! ranking groups without re-running anything (nothing is stored); the stored rank is shown
//! alongside. A run that has not completed yet is ranked on the fly with its config's weights.

use anyhow::{bail, Result};

use crate::config::RankingConfig;
use crate::journal::derive;
use crate::journal::queries::{self, Ranking};
use crate::results::{self, Format, JournalArgs, OutputArgs};

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
    pub weights: Option<RankingConfig>,
    /// Add the JSON detail of each model (every statistic) to --json / --csv output.
    #[arg(long)]
    pub detail: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &TopArgs) -> Result<()> {
    let j = results::open(&args.journal)?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let run_weights = j.run_weights(&run);
    let stored = queries::has_stored_ranking(&j.conn, run.run_id)?;
    let counts = crate::journal::runs::counts(&j.conn, run.run_id)?;
    let (ranking, how) = match &args.weights {
        Some(w) => {
            if let Err(e) = derive::check_weights(w, run.has_out_of_sample) {
                bail!(e);
            }
            (
                Ranking::Weights(w.clone()),
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
                Ranking::Weights(run_weights.clone()),
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
        .unwrap_or(run_weights.top_n);
    let limit = (n > 0).then_some(n);
    let format = args.output.format();
    let table = queries::passed_models(
        &j.conn,
        run.run_id,
        &ranking,
        limit,
        args.detail && format != Format::Human,
    )?;
    if format != Format::Human {
        return results::print_table(&table, format);
    }
    let passed = counts.passed;
    println!(
        "run {}: {passed} passed specs, {} shown; {how}",
        run.name,
        table.rows.len()
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
        "cov_type",
        "spec_index",
        "features",
    ]);
    if !run.has_out_of_sample {
        cols.retain(|c| !c.starts_with("oos"));
    }
    results::print_table(&table.select(&cols), format)
}
