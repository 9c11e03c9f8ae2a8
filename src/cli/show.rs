//! `specsearch show [CONFIG] RANK` (or `--spec INDEX`): the full report of one model from the
//! journal — coefficients, standard errors, t and p-values, covariance type, every filter and
//! diagnostic with its statistic, p-value and verdict (judged with the run's own thresholds),
//! in- and out-of-sample fit, and the definitions of its features. Nothing is re-fitted
//! (`show-model` does that for any spec).

use anyhow::{bail, Result};

use crate::config::RankingConfig;
use crate::journal::queries::{self, Ranking};
use crate::results::{self, model, Format, JournalArgs, OutputArgs};

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Rank of the model in the run's ranking (1 = best).
    #[arg(value_name = "RANK")]
    pub rank: Option<usize>,
    /// Or: the spec at this index (any outcome: passed, filtered or error).
    #[arg(long, value_name = "INDEX", conflicts_with = "rank")]
    pub spec: Option<u64>,
    /// Take RANK from a ranking with these weights of fit, in-sample and out-of-sample errors.
    #[arg(long, value_name = "FIT,IS,OOS", value_parser = results::parse_weights)]
    pub weights: Option<RankingConfig>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &ShowArgs) -> Result<()> {
    let mut journal = args.journal.clone();
    let mut rank = args.rank;
    // `show --workspace DIR 3`: the lone positional is the rank, not a config.
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
    let report = match (args.spec, rank) {
        (Some(index), _) => model::load(&j, &run, index, None)?,
        (None, Some(rank)) => {
            let ranking = match &args.weights {
                Some(w) => Ranking::Weights(w.clone()),
                None if queries::has_stored_ranking(&j.conn, run.run_id)? => Ranking::Stored,
                None => Ranking::Weights(j.run_weights(&run)),
            };
            let (index, score) = model::spec_at_rank(&j, &run, rank, &ranking)?;
            model::load(&j, &run, index, Some((rank as i64, score)))?
        }
        (None, None) => bail!("give a RANK or --spec INDEX"),
    };
    match args.output.format() {
        Format::Human => print!("{}", report.render()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        Format::Csv => report.csv_table().write_csv(std::io::stdout().lock())?,
    }
    Ok(())
}
