//! `specsearch plan CONFIG`: the spec space before running it.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;

use super::WorkspaceArgs;
use crate::runtime::context::{EvalContext, EvalScratch, Transport};
use crate::session::Session;
use crate::store::catalogue::Role;

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
    /// Specs sampled to estimate the run time.
    #[arg(long, default_value_t = 2000)]
    pub sample: u64,
}

pub fn run(args: &PlanArgs) -> Result<()> {
    let session = Session::open(args.ws.config()?, args.ws.workspace.as_deref())?;
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
        b.sample.n_in(),
        b.sample.n_oos(),
        b.dates[b.sample.in_start],
        b.dates[b.sample.in_end],
        b.dates[b.sample.full_end]
    );
    let variants: Vec<_> = b
        .catalogue
        .columns
        .iter()
        .filter(|c| c.role == Role::Variant)
        .collect();
    let kept = variants.iter().filter(|c| c.pretest.kept).count();
    println!(
        "variants   {} materialised, {kept} kept by the pretests",
        variants.len()
    );
    // Exclusions by kind (the reason up to its first ':' or '('), each with one full reason.
    let mut reasons: BTreeMap<&str, (Vec<&str>, &str)> = BTreeMap::new();
    for c in variants.iter().filter(|c| !c.pretest.kept) {
        let reason = c.pretest.exclusion.as_deref().unwrap_or("excluded");
        let class = reason.split([':', '(']).next().unwrap_or(reason).trim();
        let entry = reasons.entry(class).or_insert((Vec::new(), reason));
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
        if example.len() > class.len() {
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
    let count = space.count();
    println!(
        "specs      {count} (from {} combinations)",
        space.combo_count()
    );

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

    // Estimate the run time from a sample of assessments spread over the space.
    if count > 0 && args.sample > 0 {
        let ctx = EvalContext::from_matrix(&session.setup(Transport::Duckdb), &b.matrix())?;
        let n = args.sample.min(count);
        let stride = (count / n).max(1);
        let mut scratch = EvalScratch::default();
        let mut records = Vec::new();
        let started = Instant::now();
        let ranges: Vec<(u64, u64)> = (0..n).map(|k| (k * stride, k * stride + 1)).collect();
        ctx.evaluate(&ranges, &mut scratch, &mut records)?;
        let per_spec = started.elapsed().as_secs_f64() / n as f64;
        let cores = std::thread::available_parallelism()
            .map(|c| c.get())
            .unwrap_or(1);
        let passed = records
            .iter()
            .filter(|r| r.status == crate::journal::OutcomeStatus::Passed)
            .count();
        println!(
            "estimate   {:.1} µs per spec on one core ({passed} of {n} sampled specs passed): \
             ≈ {} on {cores} cores",
            per_spec * 1e6,
            human_duration(per_spec * count as f64 / cores as f64)
        );
    }
    Ok(())
}

fn human_duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}
