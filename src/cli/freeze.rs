//! `specsearch freeze CONFIG`.

use anyhow::Result;

use super::WorkspaceArgs;
use crate::config::Config;
use crate::workspace::Workspace;

pub fn run(args: &WorkspaceArgs) -> Result<()> {
    for config in args.configs()? {
        if let Some(name) = config.segment_name() {
            println!("segment    {name}");
        }
        freeze_one(&config, args)?;
    }
    Ok(())
}

fn freeze_one(config: &Config, args: &WorkspaceArgs) -> Result<()> {
    let root = Workspace::for_config(config, args.workspace.as_deref());
    let ws = match config.segment_name() {
        Some(name) => root.segment(name),
        None => root.clone(),
    };
    root.create()?;
    ws.create()?;
    // Not under a run that reads the stores; and one writer of the stores at a time.
    let _run = crate::runtime::lock::acquire(&root.dir, "run.lock")?;
    let _freezing = crate::runtime::lock::acquire_blocking(&ws.dir, "freeze.lock")?;
    let r = crate::freeze::freeze(config, &ws)?;
    for repair in &r.repairs {
        tracing::warn!("{repair}");
    }
    let verb = if r.written {
        "frozen"
    } else if !r.repairs.is_empty() {
        "repaired (the header was current but the values were not; see above)"
    } else {
        "unchanged (bundle already up to date, nothing written)"
    };
    println!("bundle     {verb}");
    println!("workspace  {}", ws.dir.display());
    println!(
        "data       {} rows ({}), {} in-sample, {} out-of-sample",
        r.rows, r.frequency, r.in_sample_rows, r.out_of_sample_rows
    );
    println!(
        "features   {} variables, {} variants, {} dummy columns",
        r.variables, r.variants, r.dummies
    );
    println!("hash       {}", r.hash);
    println!("time       {:.2}s", r.seconds);
    Ok(())
}
