//! `specsearch show [CONFIG] RANK|KEY|incumbent|BENCHMARK` (or `--spec INDEX`): the full report
//! of one model from the journal — by rank, by its spec key (the identity that survives a
//! change of the pool, as `top` and `compare` print it), or the run's incumbent or a
//! benchmark — coefficients, standard errors, t and p-values, confidence intervals, covariance
//! type, the summary statistics of statsmodels (F, log-likelihood, AIC, BIC, residual moments,
//! condition number; recomputed from the frozen bundle, which must reproduce the journaled
//! coefficients), every filter and diagnostic with its statistic, p-value and verdict (judged
//! with the run's own thresholds), in- and out-of-sample fit, sample dates and the definitions
//! of its features. The coefficients are the journal's (`show-model` fits any spec anew and
//! prints the same report).

use anyhow::{bail, Result};

use super::{JournalArgs, OutputArgs};
use crate::journal::{Ranking, RunRow, Weights};
use crate::results::benchmarks::MIN_KEY_PREFIX;
use crate::results::table::TableText;
use crate::results::{self, model, Format};

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// The model: its rank in the run's ranking (1 = best); its spec key (at least 8 leading
    /// hex characters, as `top` and `compare` show them); `incumbent` (the model of
    /// [incumbent]); or a benchmark: `no_change`, `mean`, `ar1`, `forced_only`.
    #[arg(value_name = "RANK|KEY|incumbent|BENCHMARK", value_parser = parse_model_ref)]
    pub rank: Option<ModelRef>,
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

/// How a command names one model of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// Its rank (1 = best).
    Rank(usize),
    /// A prefix of its spec key (hex, at least [`MIN_KEY_PREFIX`] characters).
    Key(String),
    /// The incumbent or a benchmark, by name.
    Benchmark(String),
}

/// Parses a model reference: digits (fewer than [`MIN_KEY_PREFIX`]) are a rank, a longer hex
/// string a spec key prefix, a benchmark's name (`incumbent`, `no_change`, `mean`, `ar1`,
/// `forced_only`, `forced_only#2` …) that benchmark.
pub fn parse_model_ref(s: &str) -> Result<ModelRef, String> {
    let s = s.trim();
    let hex = !s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit());
    if s.bytes().all(|c| c.is_ascii_digit()) && s.len() < MIN_KEY_PREFIX {
        return s
            .parse()
            .map(ModelRef::Rank)
            .map_err(|_| format!("{s:?} is not a rank"));
    }
    if hex && s.len() >= MIN_KEY_PREFIX && s.len() <= 64 {
        return Ok(ModelRef::Key(s.to_ascii_lowercase()));
    }
    let name = s.split('#').next().unwrap_or(s);
    if crate::journal::BenchmarkMethod::parse(name).is_some() {
        return Ok(ModelRef::Benchmark(s.to_string()));
    }
    Err(format!(
        "{s:?}: give a rank (1 = best), a spec key ({MIN_KEY_PREFIX}+ hex characters, as `top` \
         shows it), `incumbent`, or a benchmark (no_change, mean, ar1, forced_only)"
    ))
}

pub fn run(args: &ShowArgs) -> Result<()> {
    let (_, _, report) = chosen_model(
        &args.journal,
        args.rank.clone(),
        args.spec,
        args.weights.as_ref(),
        args.report.options(),
    )?;
    let report = args.fit.apply(report)?;
    match args.output.format() {
        Format::Human => print!(
            "{}",
            crate::results::table::fit_lines(
                &report.render(args.report.cov),
                crate::results::table::output_width()
            )
        ),
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
    rank: Option<ModelRef>,
    spec: Option<u64>,
    weights: Option<&Weights>,
    options: model::ReportOptions,
) -> Result<(results::OpenJournal, RunRow, model::ModelReport)> {
    let mut journal = journal.clone();
    let mut rank = rank;
    if rank.is_none() && spec.is_none() && journal.workspace.is_some() {
        if let Some(c) = &journal.config {
            if let (Ok(r), false) = (parse_model_ref(&c.to_string_lossy()), c.exists()) {
                rank = Some(r);
                journal.config = None;
            }
        }
    }
    let j = journal.open()?;
    let run = j.select_run(journal.run.as_deref())?;
    let by_rank = |rank: usize| -> Result<model::ModelReport> {
        let ranking = match weights {
            Some(w) => Ranking::Weights(*w),
            None if j.journal.has_stored_ranking(run.run_id)? => Ranking::Stored,
            None => Ranking::Weights(j.run_weights(&run)),
        };
        let (index, score) = model::spec_at_rank(&j, &run, rank, &ranking)?;
        model::load(&j, &run, index, Some((rank as i64, score)), options)
    };
    let report = match (spec, rank) {
        (Some(index), _) => model::load(&j, &run, index, None, options)?,
        (None, Some(ModelRef::Rank(rank))) => by_rank(rank)?,
        (None, Some(ModelRef::Key(prefix))) => {
            let found = j.journal.passed_with_key_prefix(run.run_id, &prefix)?;
            match found.as_slice() {
                [(index, _)] => {
                    // Its rank in the stored ranking, when it has one.
                    model::load(&j, &run, *index, None, options)?
                }
                [] => bail!(
                    "run {} has no passed model whose spec key starts with {prefix} (`specsearch \
                     top` shows each model's key; keys of another run differ when its sample \
                     does)",
                    run.name
                ),
                many => bail!(
                    "{prefix} is the start of {} spec keys in run {} ({}…): give more characters",
                    many.len(),
                    run.name,
                    many.iter()
                        .take(3)
                        .map(|(_, k)| results::benchmarks::short_key(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        (None, Some(ModelRef::Benchmark(name))) => model::load_benchmark(&j, &run, &name, options)?,
        (None, None) => bail!("give a RANK, a spec KEY, `incumbent` or --spec INDEX"),
    };
    Ok((j, run, report))
}
