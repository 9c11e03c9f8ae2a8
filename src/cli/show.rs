//! `specsearch show [CONFIG] RANK` (or `--spec INDEX`): the full report of one model from the
//! journal — coefficients, standard errors, t and p-values, confidence intervals, covariance
//! type, the summary statistics of statsmodels (F, log-likelihood, AIC, BIC, residual moments,
//! condition number; recomputed from the frozen bundle, which must reproduce the journaled
//! coefficients), every filter and diagnostic with its statistic, p-value and verdict (judged
//! with the run's own thresholds), in- and out-of-sample fit, sample dates and the definitions
//! of its features. The coefficients are the journal's (`show-model` fits any spec anew and
//! prints the same report).

use anyhow::{bail, Result};

use super::{JournalArgs, OutputArgs};
use crate::journal::{Ranking, RunRow, Weights};
use crate::results::table::TableText;
use crate::results::{self, model, Format};

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
    pub weights: Option<Weights>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub fit: FitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of a model report (`show`, `show-model`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ReportArgs {
    /// Significance level of the coefficients' confidence intervals (0.05 gives 95%
    /// intervals).
    #[arg(long, value_name = "ALPHA", default_value_t = model::DEFAULT_ALPHA,
          value_parser = model::parse_alpha)]
    pub alpha: f64,
    /// Also print the coefficients' covariance matrix (with the model's covariance type).
    #[arg(long)]
    pub cov: bool,
}

/// `--fit in|full` of the commands that show one model's numbers.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FitArgs {
    /// Which fit: `in` (the in-sample fit the search judged) or `full` (refitted on the
    /// in-sample and out-of-sample rows with the same covariance rule; filters and ranking
    /// always use the in-sample fit).
    #[arg(long, value_name = "in|full", default_value = "in", value_parser = parse_fit)]
    pub fit: model::FitChoice,
}

impl FitArgs {
    /// The report of the chosen fit.
    pub fn apply(&self, report: model::ModelReport) -> Result<model::ModelReport> {
        match self.fit {
            model::FitChoice::In => Ok(report),
            model::FitChoice::Full => report.full_fit(),
        }
    }
}

/// Parses `--fit in|full`.
pub fn parse_fit(s: &str) -> Result<model::FitChoice, String> {
    match s {
        "in" => Ok(model::FitChoice::In),
        "full" => Ok(model::FitChoice::Full),
        _ => Err(format!(
            "{s:?}: give `in` (the in-sample fit) or `full` (the full-sample refit)"
        )),
    }
}

impl ReportArgs {
    pub fn options(&self) -> model::ReportOptions {
        model::ReportOptions { alpha: self.alpha }
    }
}

pub fn run(args: &ShowArgs) -> Result<()> {
    let (_, _, report) = chosen_model(
        &args.journal,
        args.rank,
        args.spec,
        args.weights.as_ref(),
        args.report.options(),
    )?;
    let report = args.fit.apply(report)?;
    match args.output.format() {
        Format::Human => print!("{}", report.render(args.report.cov)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(args.report.cov))?
        ),
        Format::Csv => report
            .csv_table(args.report.cov)
            .write_csv(std::io::stdout().lock())?,
    }
    Ok(())
}

/// The model a `show`-like command names: `RANK` in the run's stored ranking (or ranked now with
/// `weights`), or `--spec INDEX`; with `--workspace DIR` and no CONFIG, a lone positional that
/// is a number and not a file is the rank (`show --workspace DIR 3`). Returns the journal, the
/// run and the model's report.
pub(super) fn chosen_model(
    journal: &JournalArgs,
    rank: Option<usize>,
    spec: Option<u64>,
    weights: Option<&Weights>,
    options: model::ReportOptions,
) -> Result<(results::OpenJournal, RunRow, model::ModelReport)> {
    let mut journal = journal.clone();
    let mut rank = rank;
    if rank.is_none() && spec.is_none() && journal.workspace.is_some() {
        if let Some(c) = &journal.config {
            if let (Ok(r), false) = (c.to_string_lossy().parse::<usize>(), c.exists()) {
                rank = Some(r);
                journal.config = None;
            }
        }
    }
    let j = journal.open()?;
    let run = j.select_run(journal.run.as_deref())?;
    let report = match (spec, rank) {
        (Some(index), _) => model::load(&j, &run, index, None, options)?,
        (None, Some(rank)) => {
            let ranking = match weights {
                Some(w) => Ranking::Weights(*w),
                None if j.journal.has_stored_ranking(run.run_id)? => Ranking::Stored,
                None => Ranking::Weights(j.run_weights(&run)),
            };
            let (index, score) = model::spec_at_rank(&j, &run, rank, &ranking)?;
            model::load(&j, &run, index, Some((rank as i64, score)), options)?
        }
        (None, None) => bail!("give a RANK or --spec INDEX"),
    };
    Ok((j, run, report))
}
