//! `specsearch plan CONFIG`: the spec space before running it.

use std::collections::BTreeMap;

use anyhow::Result;

use super::WorkspaceArgs;
use crate::estimate::Estimate;
use crate::freeze::pretest::exclusion_kind;
use crate::resources;
use crate::runtime::progress::Stage;
use crate::session::Session;
use crate::spec::FeatureRole;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// List the first N specs with their index (default 20).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "20")]
    pub list: Option<u64>,
    /// Show the spec at this index.
    #[arg(long, value_name = "INDEX")]
    pub at: Option<u64>,
    /// Specs sampled to estimate the run time: evaluated and journaled (into a scratch
    /// journal) as a run would, then projected to every spec.
    #[arg(long, default_value_t = 2000)]
    pub sample: u64,
}

pub fn run(args: &PlanArgs) -> Result<()> {
    let stage = Stage::start(true, "preparing the data and planning the search");
    let session = Session::open(args.ws.config()?, args.ws.workspace.as_deref())?;
    drop(stage);
    let (config, built, plan) = (&session.config, &session.built, &session.plan);
    let b = &built.bundle;
    let space = &plan.space;
    let names = |spec: &[u32]| -> String {
        spec.iter()
            .map(|&id| plan.column_name(id))
            .collect::<Vec<_>>()
            .join(", ")
    };

    if let Some(index) = args.at {
        let mut spec = Vec::new();
        space.spec_at(index, &mut spec)?;
        println!("#{index}  {}", names(&spec));
        println!("key  {}", space.key_hex(&spec));
        return Ok(());
    }
    if let Some(n) = args.list {
        let mut it = space.iter_from(0);
        let mut spec = Vec::new();
        let mut shown = 0;
        while let Some(index) = it.next_into(&mut spec) {
            if shown == n {
                break;
            }
            println!("#{index:<8} {}", names(&spec));
            shown += 1;
        }
        return Ok(());
    }

    let t = &built.target_pretest;
    println!(
        "target     {} ({}; ADF p = {:.3}, PP p = {:.3})",
        b.catalogue.columns[0].name,
        if t.stationary {
            "stationary"
        } else {
            "non-stationary"
        },
        t.adf_p,
        t.pp_p
    );
    println!(
        "sample     {} in-sample, {} out-of-sample ({} to {}, then to {})",
        b.n_fit(),
        b.sample.n_oos(),
        b.dates[b.sample.in_start],
        b.dates[b.sample.in_end],
        b.dates[b.sample.full_end]
    );
    if !b.outliers.is_empty() {
        let dates: Vec<String> = b.outliers.iter().map(|&r| b.dates[r].to_string()).collect();
        println!(
            "outliers   {} in-sample date(s) left out of every fit and test: {}",
            dates.len(),
            dates.join(", ")
        );
    }
    if let Some(exposure) = &config.file.target.exposure {
        println!(
            "ratio      the target is {} / {exposure}; levels are the ratio × {exposure}",
            config.file.target.column
        );
    }
    let variants: Vec<_> = b
        .catalogue
        .columns
        .iter()
        .filter(|c| c.role == FeatureRole::Variant)
        .collect();
    let kept = variants.iter().filter(|c| c.pretest.kept).count();
    println!(
        "variants   {} materialised, {kept} kept by the pretests",
        variants.len()
    );
    // Exclusions by their cause, each with one full reason.
    let mut reasons: BTreeMap<&str, (Vec<&str>, &str)> = BTreeMap::new();
    for c in variants.iter().filter(|c| !c.pretest.kept) {
        let reason = c.pretest.exclusion.as_deref().unwrap_or("excluded");
        let entry = reasons
            .entry(exclusion_kind(reason))
            .or_insert((Vec::new(), reason));
        entry.0.push(&c.name);
    }
    for (class, (cols, example)) in &reasons {
        let sample: Vec<&str> = cols.iter().take(4).copied().collect();
        let more = if cols.len() > 4 {
            format!(", … {} more", cols.len() - 4)
        } else {
            String::new()
        };
        println!(
            "  excluded {:>5} {class} ({}{more})",
            cols.len(),
            sample.join(", ")
        );
        if example != class {
            println!("           e.g. {}: {example}", cols[0]);
        }
    }
    for (key, item, why) in &plan.dropped {
        println!("  left out  {key} {item:?}: {why}");
    }
    for (key, item, into) in &plan.merged {
        println!(
            "  merged    {key} {item:?} into {into} (never with a plain variant of its variable)"
        );
    }
    if !plan.composites.is_empty() {
        println!(
            "composites {} columns built by the workers",
            plan.composites.len()
        );
    }
    println!(
        "pools      {} (max_vars {}, category_limit {})",
        space.pools().len(),
        config.file.search.max_vars,
        config.file.search.category_limit
    );
    for p in space.pools() {
        println!(
            "  {:<40} {:>8} options",
            p.description(space),
            p.option_count()
        );
    }
    for t in space.taken_out() {
        let what = if t.removed == t.of {
            "chosen only through".to_string()
        } else {
            format!("{} of its {} variants chosen only through", t.removed, t.of)
        };
        println!(
            "  taken out {} (from {}): {what} {}",
            t.element, t.pool, t.kept_by
        );
    }
    if !space.tracked_categories().is_empty() {
        println!(
            "  category_limit {} holds over the whole spec for {}",
            config.file.search.category_limit,
            space.tracked_categories().join(", ")
        );
    }
    let count = space.count();
    println!(
        "specs      {count} (from {} combinations)",
        space.combo_count()
    );
    match space.repeated_models() {
        None => println!("           all distinct models (no two specs share a spec key)"),
        Some(o) if o.first == o.second => println!(
            "           not all distinct models: two variants of {} have the same columns; a \
             run keeps the lowest index of each model",
            o.first
        ),
        Some(o) => println!(
            "           not all distinct models: {} and {} both hold column {}, so some specs \
             repeat a model; a run keeps the lowest index of each",
            o.first, o.second, o.column
        ),
    }

    let mut spec = Vec::new();
    let show = |label: &str, range: std::ops::Range<u64>, spec: &mut Vec<u32>| -> Result<()> {
        for i in range {
            space.spec_at(i, spec)?;
            println!("  {label} #{i:<8} {}", names(spec));
        }
        Ok(())
    };
    show("first", 0..count.min(3), &mut spec)?;
    show(
        "last ",
        count.saturating_sub(3).max(count.min(3))..count,
        &mut spec,
    )?;

    // The run time from a timed sample of real evaluations, journaled as a run would.
    if count > 0 && args.sample > 0 {
        let workers = match config.file.run.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let stage = Stage::start(
            true,
            &format!(
                "timing a sample of specs (at least {}, at least 250 ms)",
                args.sample.min(count)
            ),
        );
        // A quarter of a second of evaluations at least: long enough to show the machine's load.
        let e = Estimate::measure_for(
            &session,
            workers,
            args.sample,
            std::time::Duration::from_millis(250),
        )?;
        drop(stage);
        println!(
            "estimate   {} to evaluate the {count} specs with {} worker(s) on {} core(s): \
             {:.1} µs per spec to evaluate, {:.1} µs to journal ({} of {} sampled specs \
             passed); journal ≈ {}",
            resources::duration(e.seconds),
            e.workers,
            e.cores,
            e.eval_us,
            e.journal_us,
            e.sampled_passed,
            e.sampled,
            resources::bytes(e.journal_bytes)
        );
    }
    Ok(())
}
