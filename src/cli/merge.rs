//! `specsearch merge OUT.sqlite SHARD.sqlite…`: union shard journals into one run and derive
//! its results (ranking, replay of composite features, validation), or say which shards still
//! have to run.

use std::path::PathBuf;

use anyhow::Result;

use super::summary;
use crate::finish;
use crate::journal::{self, JournalRw};
use crate::session::Session;

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
    refuse_non_journal(&args.out)?;
    let first = journal::read_shard(&args.shards[0])?;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(&first.run.config_path));
    let report = journal::merge(&args.out, &args.shards)?;
    println!(
        "merged     {} shard journal(s) of {} into {} (run {})",
        report.shards.len(),
        first.run.name,
        args.out.display(),
        report.run.name
    );
    println!(
        "added      {} outcomes; {} of {} specs covered",
        report.outcomes_added, report.outcomes_total, report.run.spec_count
    );
    let rw = JournalRw::open(&args.out)?;
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
        // Array task I runs shard I (`--shard auto/N`), so the same list re-submits them.
        let tasks: Vec<String> = report.missing_shards.iter().map(u32::to_string).collect();
        println!(
            "  or as array tasks, e.g. under Slurm: sbatch --array={} JOB_SCRIPT",
            tasks.join(",")
        );
        return Ok(std::process::ExitCode::from(3));
    }
    // Finish as a single machine would: rank, replay the composites, validate. The replay
    // needs the search's data; without a readable config the run is ranked only.
    let session = match Session::load(&config_path, args.workspace.as_deref()) {
        Ok(s) => Some(s),
        Err(err) => {
            eprintln!(
                "note: composite features not replayed: the config {} cannot be used ({err:#}); \
                 pass --config",
                config_path.display()
            );
            None
        }
    };
    let ranking = session
        .as_ref()
        .map(|s| s.config.file.ranking.clone())
        .unwrap_or_default();
    let (guard, _) = rw.begin_run(report.run.run_id)?;
    let finish = finish::finish(&rw, guard, &report.run, &ranking, session.as_ref())?;
    let run = rw.run(report.run.run_id)?.expect("the merged run exists");
    summary::print_digest(&rw, &run, Some(&finish), ranking.top_n)?;
    if let Some(problem) = &finish.problem {
        eprintln!("error: run {} failed: {problem}", run.name);
        return Ok(std::process::ExitCode::FAILURE);
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Merge writes a SQLite journal into OUT: an existing OUT that is something else (the frozen
/// bundle `features.duckdb`, `features.f64`, an export) is refused before anything is written.
fn refuse_non_journal(out: &std::path::Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(out) else {
        return Ok(());
    };
    let mut header = [0u8; 16];
    let n = file.read(&mut header).unwrap_or(0);
    if n == 0 || header == *b"SQLite format 3\0" {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to merge into {}: it exists and is not a SQLite journal (merge would destroy \
         it); give a new file or the workspace's journal.sqlite",
        out.display()
    )
}
