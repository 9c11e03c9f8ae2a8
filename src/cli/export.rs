//! `specsearch export [CONFIG] --output FILE [--format csv|json|parquet|xlsx]
//! [--what passed|outcomes|forecasts|sensitivity|attribution|bands|stability|recursive|
//! break-tests|backtests|backtest-summary] [--sql QUERY]`: a run's ranked passed models
//! (default), every outcome with its features, the scenario forecasts, the sensitivity,
//! attribution and bands of its validated models, their stability and backtests, or the
//! result of any read-only query, to CSV, JSON (array of objects), Parquet (through the
//! bundled DuckDB) or Excel. The format defaults to the output file's extension. `--format
//! xlsx` of the passed models is the model workbook (summary, ranking, a sheet per model with
//! charts); any other export to xlsx is one sheet.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::JournalArgs;
use crate::journal::{Ranking, RunStatus, Sink, Weights, OUTCOME_KINDS};
use crate::results;
use crate::results::export::{self, FileFormat};
use crate::results::output::Destination;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Ranked passed models (deduplicated), with `detail`: every statistic of the model, a
    /// JSON object in JSON files, that object as text in CSV and Parquet (whose key/value
    /// metadata says so).
    Passed,
    /// Every outcome of the run, features expanded.
    Outcomes,
    /// The scenario forecasts: one row per model, scenario, path (M / Q) and period, with
    /// the predicted transform and the level (see `specsearch forecast`).
    Forecasts,
    /// The sensitivity of the validated models (`specsearch validate`): one row per model,
    /// scenario, shocked feature, shock (coefficient ± k·SE, driver: the feature ± k·σ), k,
    /// path (M / Q) and period, the unshocked path first (view sensitivity_paths).
    Sensitivity,
    /// The attribution of the validated models: one row per model, scenario, term and period
    /// with the regressor's value, its contribution coef × value and its frozen-at-p0 effect
    /// on the level at P9 (view scenario_attribution).
    Attribution,
    /// The uncertainty bands of the validated models: one row per model, scenario, path,
    /// quantile and period with the prediction interval's bound of the transform and the
    /// simulated level (view scenario_bands).
    Bands,
    /// The walk-forward trials of the validated models (§11): one row per model, trial and
    /// coefficient, with the trial's window, fit, pseudo-out-of-sample errors and verdict.
    Stability,
    /// The recursive (expanding-window) coefficients: one row per model, coefficient and
    /// window, with the ±2 SE band.
    Recursive,
    /// The break tests (CUSUMs, Hansen, Chow): one row per model and test.
    BreakTests,
    /// The dynamic backtests (§12): one row per model, jump-off and quarter after it, with
    /// the predicted and actual level and the % error.
    Backtests,
    /// The backtest summaries: one row per model, sample of jump-offs and step.
    BacktestSummary,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// File to write (replaced if it exists; a symlink's target is); `-` (or /dev/stdout)
    /// writes to standard output (CSV unless --format says otherwise). The workspace's stores
    /// (journal, features.duckdb, features.f64) are refused.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// File format (default: from the output's extension: .csv, .json, .parquet, .xlsx).
    /// `xlsx` with `--what passed` writes the model workbook: a summary sheet, the ranking
    /// (with the incumbent and benchmarks), and a sheet per model of the best `--top` (its
    /// coefficients, tests, fit, scenario statistics and charts of fitted vs actual and the
    /// scenario paths); with anything else, one sheet.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// With the model workbook: how many of the best models get a sheet of their own.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// What to export (ignored with --sql).
    #[arg(long, value_enum, default_value = "passed", conflicts_with = "sql")]
    pub what: What,
    /// Export the result of this read-only SQL instead (`:run` is bound to the run's id).
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,
    /// With --what passed: rank with these weights of fit, in-sample and out-of-sample errors.
    #[arg(long, value_name = "FIT,IS,OOS", value_parser = results::parse_weights)]
    pub weights: Option<Weights>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Json,
    Parquet,
    Xlsx,
}

pub fn run(args: &ExportArgs) -> Result<()> {
    let format = match args.format {
        Some(FormatArg::Csv) => FileFormat::Csv,
        Some(FormatArg::Json) => FileFormat::Json,
        Some(FormatArg::Parquet) => FileFormat::Parquet,
        Some(FormatArg::Xlsx) => FileFormat::Xlsx,
        // Standard output is CSV unless said otherwise.
        None if args.output.as_os_str() == "-" => FileFormat::Csv,
        None => FileFormat::from_extension(&args.output).ok_or_else(|| {
            anyhow!(
                "cannot tell the format of {} from its extension: add --format csv|json|parquet|xlsx",
                args.output.display()
            )
        })?,
    };
    let j = args.journal.open()?;
    // Before anything is written: never over one of the workspace's stores.
    let output = &Destination::resolve(&args.output, &j.workspace.dir)?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let journal = &j.journal;
    // An export of a run that is not complete holds only what was journaled so far: say so,
    // on the terminal and in the file.
    let note = (run.status != RunStatus::Complete).then(|| {
        let evaluated = journal.counts(run.run_id).map(|c| c.evaluated).unwrap_or(0);
        format!(
            "partial: run {} is {}, with {evaluated} of {} specs evaluated when this was \
             exported; ranks are provisional",
            run.name, run.status, run.spec_count
        )
    });
    if let Some(n) = &note {
        eprintln!("note: {n}");
    }
    let (rows, what) = if let Some(sql) = &args.sql {
        // Checked once up front; each pass prepares its own statement.
        journal.user_query(sql)?;
        let produce = |sink: &mut dyn Sink| -> Result<u64> {
            Ok(journal.user_query(sql)?.stream(Some(run.run_id), sink)?)
        };
        (
            export::write(journal, output, format, &produce, note.as_deref(), None)?,
            "rows",
        )
    } else {
        match args.what {
            What::Passed if format == FileFormat::Xlsx => {
                let book = crate::results::workbook::write_model_workbook(
                    &j,
                    &run,
                    args.top,
                    crate::results::model::ReportOptions::default(),
                    output,
                )?;
                eprintln!(
                    "wrote {} (Excel): run {}, sheets {} ({} charts)",
                    args.output.display(),
                    run.name,
                    book.sheets.join(", "),
                    book.charts
                );
                return Ok(());
            }
            What::Passed => {
                let ranking = match &args.weights {
                    Some(w) => {
                        w.check(run.has_out_of_sample).map_err(|e| anyhow!(e))?;
                        Ranking::Weights(*w)
                    }
                    None if journal.has_stored_ranking(run.run_id)? => Ranking::Stored,
                    None => Ranking::Weights(j.run_weights(&run)),
                };
                let produce = |sink: &mut dyn Sink| -> Result<u64> {
                    Ok(journal.stream_passed(run.run_id, &ranking, None, true, sink)?)
                };
                (
                    export::write(journal, output, format, &produce, note.as_deref(), None)?,
                    "passed models",
                )
            }
            What::Outcomes => {
                let total = journal.counts(run.run_id)?.evaluated;
                let bar = progress_bar(total);
                let produce = |sink: &mut dyn Sink| -> Result<u64> {
                    if let Some(b) = &bar {
                        b.reset();
                    }
                    Ok(journal.stream_outcomes(run.run_id, sink, &mut |n| {
                        if let Some(b) = &bar {
                            b.set_position(n);
                        }
                    })?)
                };
                let rows = export::write(
                    journal,
                    output,
                    format,
                    &produce,
                    note.as_deref(),
                    Some(OUTCOME_KINDS),
                )?;
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                (rows, "outcomes")
            }
            What::Forecasts => {
                if journal.forecast_set(run.run_id)?.is_none() {
                    anyhow::bail!(
                        "run {} has no scenario forecasts: add [scenarios] to its config and run \
                         `specsearch forecast CONFIG`",
                        run.name
                    );
                }
                let produce = |sink: &mut dyn Sink| -> Result<u64> {
                    Ok(journal.stream_forecasts(run.run_id, sink)?)
                };
                (
                    export::write(journal, output, format, &produce, note.as_deref(), None)?,
                    "forecast rows",
                )
            }
            What::Sensitivity | What::Attribution | What::Bands => {
                if journal.validated_models(run.run_id)?.is_empty() {
                    anyhow::bail!(
                        "run {} has no validated models: run `specsearch validate CONFIG` (the \
                         config needs [scenarios] and the run its forecasts)",
                        run.name
                    );
                }
                let what = args.what;
                let produce = |sink: &mut dyn Sink| -> Result<u64> {
                    Ok(match what {
                        What::Sensitivity => journal.stream_sensitivity(run.run_id, sink)?,
                        What::Attribution => journal.stream_attribution(run.run_id, sink)?,
                        _ => journal.stream_bands(run.run_id, sink)?,
                    })
                };
                (
                    export::write(journal, output, format, &produce, note.as_deref(), None)?,
                    match what {
                        What::Sensitivity => "sensitivity rows",
                        What::Attribution => "attribution rows",
                        _ => "band rows",
                    },
                )
            }
            what => validation_rows(journal, &run, what, output, format, note.as_deref())?,
        }
    };
    eprintln!(
        "wrote {rows} {what} of run {} to {} ({})",
        run.name,
        args.output.display(),
        format.name()
    );
    Ok(())
}

/// The rows of a validation table (`--what stability|recursive|break-tests|backtests|
/// backtest-summary`); an error when the run has none.
fn validation_rows(
    journal: &crate::journal::Journal,
    run: &crate::journal::RunRow,
    what: What,
    output: &Destination,
    format: FileFormat,
    note: Option<&str>,
) -> Result<(u64, &'static str)> {
    let backtests = matches!(what, What::Backtests | What::BacktestSummary);
    let validated = if backtests {
        journal.backtest_models(run.run_id)?
    } else {
        journal.stability_models(run.run_id)?
    };
    if validated.is_empty() {
        anyhow::bail!(
            "run {} has no {}: `specsearch validate CONFIG` computes them for its best models \
             (the end of `run` does for validation.top_n of them)",
            run.name,
            if backtests {
                "backtests"
            } else {
                "stability results"
            }
        );
    }
    let id = run.run_id;
    let produce = |sink: &mut dyn Sink| -> Result<u64> {
        Ok(match what {
            What::Stability => journal.stream_stability(id, sink)?,
            What::Recursive => journal.stream_recursive(id, sink)?,
            What::BreakTests => journal.stream_break_tests(id, sink)?,
            What::Backtests => journal.stream_backtests(id, sink)?,
            _ => journal.stream_backtest_summary(id, sink)?,
        })
    };
    let rows = export::write(journal, output, format, &produce, note, None)?;
    Ok((
        rows,
        match what {
            What::Stability => "trial coefficients",
            What::Recursive => "recursive coefficients",
            What::BreakTests => "break tests",
            What::Backtests => "backtest steps",
            _ => "backtest summary rows",
        },
    ))
}

/// A progress bar over `total` rows on a terminal (none when stderr is not one).
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (std::io::stderr().is_terminal() && !crate::runtime::progress::dumb_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "exporting {percent:>3}% {human_pos}/{human_len} rows, {per_sec}, {elapsed} (ETA {eta})",
            )
            .expect("valid template"),
        );
        bar
    })
}
