//! `specsearch forecast CONFIG [--run RUN]`: (re-)forecast a finished run's passed models under
//! the config's `[scenarios]` without searching again. The config's search must be the run's
//! (same search hash and frozen data); its scenarios may be new. The run's previous forecast
//! set is replaced in one transaction, and the new one records the sha256 of every scenario
//! file it came from.

use anyhow::{bail, Context, Result};

use super::{summary, WorkspaceArgs};
use crate::journal::{JournalRw, RunStatus};
use crate::runtime::lock;
use crate::session::Session;

#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// The run, by id or name (default: the latest run of the config's search).
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
}

pub fn run(args: &ForecastArgs) -> Result<()> {
    let session = Session::load(&args.ws.config, args.ws.workspace.as_deref())?;
    if session.config.file.scenarios.is_none() {
        bail!(
            "{} has no [scenarios] section: add one (see the README's configuration section) \
             to forecast its passed models",
            args.ws.config.display()
        );
    }
    let ws = &session.workspace;
    let journal = ws.journal();
    if !journal.exists() {
        bail!(
            "no journal at {}: run `specsearch run {}` first",
            journal.display(),
            args.ws.config.display()
        );
    }
    // One writer per journal: not while a run of the workspace is going on.
    let _lock = lock::acquire(&ws.dir, "run.lock")?;
    let rw = JournalRw::open(&journal)?;
    let run = match &args.run {
        Some(r) => rw
            .find_run(r)?
            .with_context(|| format!("no run {r:?} in {}", journal.display()))?,
        None => rw
            .latest_run_of_search(&session.config.search_hash())?
            .with_context(|| {
                format!(
                    "{} has no run of {} as its search is now; choose one with --run",
                    journal.display(),
                    args.ws.config.display()
                )
            })?,
    };
    // Its outcomes and ranking are what the forecasts are made from: checked first.
    rw.verify_run(run.run_id)?;
    if run.status != RunStatus::Complete {
        bail!(
            "run {} is {}: forecasts are made from the passed models of a complete run (finish \
             it with `specsearch run {}`)",
            run.name,
            run.status,
            args.ws.config.display()
        );
    }
    if run.search_hash != session.config.search_hash() || run.bundle_hash != session.bundle_hash() {
        bail!(
            "run {} searched another configuration or other data than {} has now; forecast it \
             with the config and data it used",
            run.name,
            args.ws.config.display()
        );
    }
    // Bad scenario inputs are refused before the run is touched.
    crate::scenario::check_inputs(&session)?;
    crate::benchmarks::check_incumbent(&session)?;
    let report = crate::finish::reforecast(&rw, &run, &session)?.expect("the config has scenarios");
    println!(
        "run        {} ({} specs, target {})",
        run.name, run.spec_count, run.target
    );
    summary::print_forecast_report(&report.forecast);
    summary::print_validation_report(&report.validation);
    let top: Vec<(u64, u64)> = rw
        .run_digest(run.run_id, session.config.file.ranking.top_n)?
        .top
        .iter()
        .map(|t| (t.rank, t.spec_index))
        .collect();
    summary::print_scenario_statistics(&rw, &run, &top)?;
    println!("journal    {}", journal.display());
    Ok(())
}
