//! `specsearch series [CONFIG] RANK` (or `--spec INDEX`): a passed model's series over the full
//! sample — per date, the actual target, the fitted (in-sample) or predicted (out-of-sample)
//! value, the residual, and each feature's value and contribution (coefficient × value) — from
//! the journaled coefficients and the run's frozen bundle.

use anyhow::{bail, Result};

use crate::config::RankingConfig;
use crate::journal::queries::{self, Ranking};
use crate::results::{self, model, print_table, Format, JournalArgs, OutputArgs};

#[derive(Debug, clap::Args)]
pub struct SeriesArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Rank of the model in the run's ranking (1 = best).
    #[arg(value_name = "RANK")]
    pub rank: Option<usize>,
    /// Or: the passed spec at this index.
    #[arg(long, value_name = "INDEX", conflicts_with = "rank")]
    pub spec: Option<u64>,
    /// Take RANK from a ranking with these weights of fit, in-sample and out-of-sample errors.
    #[arg(long, value_name = "FIT,IS,OOS", value_parser = results::parse_weights)]
    pub weights: Option<RankingConfig>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &SeriesArgs) -> Result<()> {
    let mut journal = args.journal.clone();
    let mut rank = args.rank;
    // `series --workspace DIR 3`: the lone positional is the rank, not a config.
    if rank.is_none() && args.spec.is_none() && journal.workspace.is_some() {
        if let Some(c) = &journal.config {
            if let (Ok(r), false) = (c.to_string_lossy().parse::<usize>(), c.exists()) {
                rank = Some(r);
                journal.config = None;
            }
        }
    }
    let j = results::open(&journal)?;
    let run = j.select_run(journal.run.as_deref())?;
    let options = model::ReportOptions::default();
    let report = match (args.spec, rank) {
        (Some(index), _) => model::load(&j, &run, index, None, options)?,
        (None, Some(rank)) => {
            let ranking = match &args.weights {
                Some(w) => Ranking::Weights(w.clone()),
                None if queries::has_stored_ranking(&j.conn, run.run_id)? => Ranking::Stored,
                None => Ranking::Weights(j.run_weights(&run)),
            };
            let (index, score) = model::spec_at_rank(&j, &run, rank, &ranking)?;
            model::load(&j, &run, index, Some((rank as i64, score)), options)?
        }
        (None, None) => bail!("give a RANK or --spec INDEX"),
    };
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
