//! `specsearch series [CONFIG] RANK` (or `--spec INDEX`): a passed model's series over the full
//! sample — per date, the actual target, the fitted (in-sample) or predicted (out-of-sample)
//! value, the residual, and each feature's value and contribution (coefficient × value) — from
//! the journaled coefficients and the run's frozen bundle.

use anyhow::{bail, Result};

use super::{JournalArgs, OutputArgs};
use crate::journal::Weights;
use crate::results::{self, model, print_table, Format};

#[derive(Debug, clap::Args)]
pub struct SeriesArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// The model: its rank in the run's ranking (1 = best), or its spec key (at least 8
    /// leading hex characters, as `top` shows them).
    #[arg(value_name = "RANK|KEY", value_parser = super::show::parse_model_ref)]
    pub rank: Option<super::show::ModelRef>,
    /// Or: the passed spec at this index.
    #[arg(long, value_name = "INDEX", conflicts_with = "rank")]
    pub spec: Option<u64>,
    /// Take RANK from a ranking with these weights of fit, in-sample and out-of-sample errors.
    #[arg(long, value_name = "FIT,IS,OOS", value_parser = results::parse_weights)]
    pub weights: Option<Weights>,
    #[command(flatten)]
    pub fit: super::show::FitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &SeriesArgs) -> Result<()> {
    let (_, run, report) = super::show::chosen_model(
        &args.journal,
        args.rank.clone(),
        args.spec,
        args.weights.as_ref(),
        model::ReportOptions::default(),
    )?;
    if report.outcome.is_none() {
        bail!(
            "spec {} of run {} did not pass ({}): the journal keeps coefficients for passed \
             models only; `specsearch show-model {} --spec {}` fits it anew",
            report.spec_index.unwrap_or(0),
            run.name,
            report.status.as_str(),
            run.config_path,
            report.spec_index.unwrap_or(0)
        );
    }
    let report = args.fit.apply(report)?;
    let series = report.series()?;
    match args.output.format() {
        Format::Json => println!("{}", serde_json::to_string_pretty(&series.to_json())?),
        format => {
            if format == Format::Human {
                println!("{}\n{}\n", report.title(), report.subtitle());
            }
            print_table(&series.table(), format)?
        }
    }
    Ok(())
}
