//! `specsearch show-model CONFIG --features A,B,…` (or `--spec INDEX`): fit one spec on the
//! config's data now and print its full report — the same report `show` prints for a model
//! from the journal (coefficients, intervals, summary statistics, tests, fit, features), so any
//! model can be checked by hand.

use anyhow::{bail, Result};

use super::show::ReportArgs;
use super::WorkspaceArgs;
use crate::results::model;
use crate::results::table::TableText;
use crate::runtime::context::{EvalContext, Transport};
use crate::session::Session;

#[derive(Debug, clap::Args)]
pub struct ShowModelArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Comma-separated column names (variants such as `unemp_QQDF_L1`, dummies such as `Q:2`).
    #[arg(long, value_delimiter = ',', required_unless_present = "spec")]
    pub features: Vec<String>,
    /// Or: the spec at this index of the planned space.
    #[arg(long, conflicts_with = "features")]
    pub spec: Option<u64>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub fit: super::show::FitArgs,
    /// Print the report as one JSON document (`detail` holds every statistic of the fit).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the report as one CSV table with a `section` column.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(args: &ShowModelArgs) -> Result<()> {
    let session = Session::open(args.ws.config()?, args.ws.workspace.as_deref())?;
    let plan = &session.plan;
    let b = &session.built.bundle;
    let mut spec: Vec<u32> = Vec::new();
    if let Some(index) = args.spec {
        plan.space.spec_at(index, &mut spec)?;
    } else {
        for name in &args.features {
            let name = name.trim();
            match b.catalogue.id(name) {
                Some(0) => bail!("{name} is the target, not a regressor"),
                Some(id) => spec.push(id),
                None => bail!(
                    "{name:?} is not a frozen column of this search; use a variant of a variable \
                     in search.pool or search.forced (see `specsearch plan {} --list`)",
                    args.ws.config.display()
                ),
            }
        }
    }
    let ctx = EvalContext::from_matrix(&session.setup(Transport::Duckdb), &b.matrix())?;
    // Composite ids (from --spec) are built like a worker builds them; coefficients come as
    // const, frozen columns, composites.
    let report = model::from_session(&session, &ctx, &spec, args.spec, args.report.options())?;
    let report = args.fit.apply(report)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(args.report.cov))?
        );
    } else if args.csv {
        report
            .csv_table(args.report.cov)
            .write_csv(std::io::stdout().lock())?;
    } else {
        print!(
            "{}",
            crate::results::table::fit_lines(
                &report.render(args.report.cov),
                crate::results::table::output_width()
            )
        );
    }
    Ok(())
}
