//! `specsearch validate CONFIG [RANK…] [--spec N]… [--top N] [--run RUN]`: the validation
//! analyses (docs/semantics.md §10: sensitivity, attribution, uncertainty bands) of a complete
//! run's models, journaled next to the run. The config's search must be the run's (same search
//! hash and frozen data); its `[scenarios]` must be the ones the run was forecast with.

use anyhow::{bail, Context, Result};

use super::{summary, WorkspaceArgs};
use crate::journal::{JournalRw, RunStatus};
use crate::runtime::lock;
use crate::session::Session;
use crate::validation::{self, Selection};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Ranks of the models to validate (1 = the best); default: the best `validation.top_n`
    /// (10 unless the config says otherwise).
    #[arg(value_name = "RANK")]
    pub ranks: Vec<u64>,
    /// A passed model by spec index (repeat for more; ranked or not).
    #[arg(long = "spec", value_name = "N")]
    pub specs: Vec<u64>,
    /// The best N ranked models (with RANKs and --spec: these too).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// The run, by id or name (default: the latest run of the config's search).
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
}

pub fn run(args: &ValidateArgs) -> Result<()> {
    if args.top == Some(0) {
        bail!("--top 0 names no model: give at least 1");
    }
    let session = Session::open(args.ws.config()?, args.ws.workspace.as_deref())?;
    let ws = &session.workspace_root;
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
            "run {} is {}: models are validated once their run is complete (finish it with \
             `specsearch run {}`)",
            run.name,
            run.status,
            args.ws.config.display()
        );
    }
    if run.search_hash != session.config.search_hash() || run.bundle_hash != session.bundle_hash() {
        bail!(
            "run {} searched another configuration or other data than {} has now; validate it \
             with the config and data it used",
            run.name,
            args.ws.config.display()
        );
    }
    let selection = Selection {
        ranks: args.ranks.clone(),
        specs: args.specs.clone(),
        top: args.top,
    };
    let report = validation::validate_run(&rw, &run, &session, &selection)?;
    println!(
        "run        {} ({} specs, target {})",
        run.name, run.spec_count, run.target
    );
    summary::print_validation_report(&report);
    println!("journal    {}", journal.display());
    Ok(())
}
