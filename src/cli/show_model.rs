//! `specsearch show-model CONFIG --features A,B,…`: fit one spec on the config's data and print
//! every statistic, so any model can be checked by hand.

use anyhow::{bail, Result};

use super::WorkspaceArgs;
use crate::assess::render_text_with;
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
    /// Print every number as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ShowModelArgs) -> Result<()> {
    let session = Session::load(&args.ws.config, args.ws.workspace.as_deref())?;
    let (config, plan) = (&session.config, &session.plan);
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
    let (outcome, param_names) = ctx.assess_report(&spec);
    if args.json {
        let names: Vec<&str> = spec.iter().map(|&id| plan.column_name(id)).collect();
        let doc = serde_json::json!({
            "target": b.catalogue.columns[0].name,
            "features": names,
            "param_names": param_names,
            "outcome": outcome,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let names: Vec<&str> = param_names[1..].iter().map(String::as_str).collect();
        println!("target {}", b.catalogue.columns[0].name);
        print!(
            "{}",
            render_text_with(&outcome, &names, &config.file.filters)
        );
    }
    Ok(())
}
