//! `specsearch merge OUT.sqlite SHARD.sqlite…`: union shard journals into one run and derive
//! its results (ranking, replay of composite features, validation), or say which shards still
//! have to run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::Config;
use crate::journal::{merge, runs, schema};
use crate::store::replay;
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The merged journal (created if missing; merging again adds only what is new).
    pub out: PathBuf,
    /// Shard journals written by `specsearch run CONFIG --shard I/N`.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The search's config (default: the path the shards recorded); needed to replay composite
    /// features and for the ranking weights.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Workspace whose features.duckdb receives the replayed composites (default: the config's).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

pub fn run(args: &MergeArgs) -> Result<std::process::ExitCode> {
    let first = merge::read_shard(&args.shards[0])?;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(&first.run.config_path));
    let config = Config::load(&config_path).ok();
    let ranking = config
        .as_ref()
        .map(|c| c.file.ranking.clone())
        .unwrap_or_default();
    let report = merge::merge(&args.out, &args.shards, &ranking)?;
    println!(
        "merged     {} shard journal(s) of {} into {} (run {})",
        report.shards.len(),
        first.run.name,
        args.out.display(),
        report.run.name
    );
    println!(
        "outcomes   {} added, {} of {} specs covered",
        report.outcomes_added, report.outcomes_total, report.run.spec_count
    );
    if !report.complete {
        let shown: Vec<String> = report
            .missing
            .iter()
            .take(5)
            .map(|(a, b)| format!("{a}..{}", b - 1))
            .collect();
        println!(
            "missing    {} range(s) of spec indices without an outcome: {}{}",
            report.missing.len(),
            shown.join(", "),
            if report.missing.len() > 5 {
                ", …"
            } else {
                ""
            }
        );
        println!("re-run     the shards that own them, then merge again:");
        for s in &report.missing_shards {
            println!(
                "  specsearch run {} --shard {s}/{}",
                config_path.display(),
                first.shard.count
            );
        }
        return Ok(std::process::ExitCode::from(3));
    }
    let Some(config) = config else {
        println!(
            "status     complete, ranking derived; composite features not replayed: the config \
             {} cannot be read (pass --config)",
            config_path.display()
        );
        return Ok(std::process::ExitCode::SUCCESS);
    };
    match replay_merged(&config, args.workspace.as_deref(), &args.out, &report.run)? {
        None => {
            println!("status     complete: ranking derived, composites replayed and validated");
            Ok(std::process::ExitCode::SUCCESS)
        }
        Some(problem) => {
            eprintln!("{problem}");
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

/// Replays the merged run's composite features into the workspace's store and validates its
/// passed models, as a single-machine run's finish does; returns the failure report, if any.
fn replay_merged(
    config: &Config,
    workspace: Option<&Path>,
    out: &Path,
    run: &runs::RunRow,
) -> Result<Option<String>> {
    let built = crate::freeze::build(config)?;
    anyhow::ensure!(
        built.hash == run.bundle_hash,
        "the data of {} changed since the shards ran (bundle {} vs {}); merge with the data \
         the shards used",
        config.path.display(),
        &built.hash[..12],
        &run.bundle_hash[..12]
    );
    let ws = Workspace::for_config(config, workspace);
    let b = &built.bundle;
    let key_context = crate::plan::key_context(&b.catalogue, &b.dates, b.sample);
    let plan = crate::plan::plan(
        config,
        &b.catalogue,
        &built.metadata,
        &built.search,
        key_context,
    )?;
    let conn = schema::open_rw(out)?;
    let store = ws.features_duckdb();
    if !store.exists() {
        crate::freeze::write_built(&built, &ws, std::time::Instant::now())?;
    }
    let report = replay::replay(
        &conn,
        run.run_id,
        &run.name,
        &store,
        b,
        &built.hash,
        &plan.composites,
        || {},
    )
    .with_context(|| format!("replaying composites into {}", store.display()))?;
    println!(
        "mutations  {} replayed into {} ({} inserted, {} already present, {} conflicts)",
        report.replayed(),
        store.display(),
        report.inserted,
        report.already_present,
        report.conflicts
    );
    let (problems, _) = replay::validate(&conn, run.run_id, &store, b.n_rows())?;
    if problems.is_empty() {
        return Ok(None);
    }
    let detail = format!(
        "validation failed: {} passed-model column problem(s) in {}: {}",
        problems.len(),
        store.display(),
        problems.join("; ")
    );
    runs::set_status(&conn, run.run_id, "failed", Some(&detail))?;
    Ok(Some(detail))
}
