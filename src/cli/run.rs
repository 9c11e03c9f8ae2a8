//! `specsearch run CONFIG` and its summary.

use std::path::PathBuf;

use anyhow::Result;
use rusqlite::Connection;

use super::WorkspaceArgs;
use crate::config::{self, Config};
use crate::journal::{derive, runs, schema};
use crate::runtime::{self, RunOptions, RunSummary};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Where specs are evaluated (default: the config's `run.executor`, else `process`).
    #[arg(long, value_enum)]
    pub executor: Option<config::Executor>,
    /// Number of workers (default: the config's `run.workers`, else every core).
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// How workers read the frozen features (default: the config's, else `auto`).
    #[arg(long, value_enum)]
    pub transport: Option<config::Transport>,
    /// Spec indices per batch sent to a worker.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Start a new run even when one of the same config and data exists.
    #[arg(long)]
    pub fresh: bool,
    /// Worker binary (default: this executable).
    #[arg(long, hide = true)]
    pub worker_exe: Option<PathBuf>,
    /// Evaluate only shard I (0-based) of N of the spec space, into its own journal
    /// (`journal-shard-I-of-N.sqlite`); `auto/N` (or `auto` under Slurm) takes I from
    /// SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX. Combine the
    /// shards with `specsearch merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

pub fn run(args: &RunArgs) -> Result<std::process::ExitCode> {
    let config = Config::load(&args.ws.config)?;
    let shard = args
        .shard
        .as_deref()
        .map(|text| crate::runtime::shard::Shard::parse(text, &|k| std::env::var(k).ok()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = RunOptions {
        workspace: args.ws.workspace.clone(),
        executor: args.executor,
        transport: args.transport,
        workers: args.workers,
        batch_size: args.batch_size,
        fresh: args.fresh,
        worker_exe: args.worker_exe.clone(),
        progress: true,
        shard,
    };
    let summary = runtime::run(&config, &opts)?;
    let conn = schema::open_ro(&summary.journal)?;
    print_summary(&conn, &summary, config.file.ranking.top_n)?;
    if summary.run.status == "failed" {
        let detail: Option<String> = conn.query_row(
            "SELECT status_detail FROM runs WHERE run_id = ?1",
            [summary.run.run_id],
            |r| r.get(0),
        )?;
        eprintln!(
            "error: run {} failed: {}",
            summary.run.name,
            detail.as_deref().unwrap_or("see the journal")
        );
        return Ok(std::process::ExitCode::FAILURE);
    }
    if let Some(signal) = summary.interrupted {
        eprintln!(
            "interrupted by {signal}: every finished spec is journaled; run the same command \
             again to resume"
        );
        return Ok(std::process::ExitCode::from(130));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// One line: mutation records of the run and what their replays did (latest per mutation).
fn print_mutations(conn: &Connection, run_id: i64) -> Result<()> {
    let (recorded, inserted, present, conflicts, pending): (i64, i64, i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(replay_action = 'inserted'), 0), \
             coalesce(sum(replay_action = 'already_present'), 0), \
             coalesce(sum(replay_action = 'conflict'), 0), \
             coalesce(sum(replay_action IS NULL), 0) FROM mutation_audit WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    if recorded == 0 {
        return Ok(());
    }
    let pending = if pending > 0 {
        format!(", {pending} not replayed yet")
    } else {
        String::new()
    };
    println!(
        "mutations  {recorded} composite feature(s) recorded, {} replayed into features.duckdb \
         ({inserted} inserted, {present} already present, {conflicts} conflicts){pending}",
        inserted + present + conflicts
    );
    Ok(())
}

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / total as f64)
    }
}

/// Prints the run summary (also used for an already complete run).
pub fn print_summary(conn: &Connection, s: &RunSummary, top_n: usize) -> Result<()> {
    let run = &s.run;
    let (evaluated, passed, filtered, errors) = runs::counts(conn, run.run_id)?;
    if s.already_complete {
        println!(
            "run {} is complete: nothing to do ({} specs)",
            run.name, run.spec_count
        );
    } else {
        let how = if s.resumed { "resumed" } else { "new" };
        println!(
            "run        {} ({how}), {} specs, target {}",
            run.name, run.spec_count, run.target
        );
        if let Some(shard) = s.shard {
            let owned: u64 = shard
                .ranges(run.spec_count)
                .iter()
                .map(|(a, b)| b - a)
                .sum();
            println!(
                "shard      {shard}: {owned} of the specs; combine the shard journals with \
                 `specsearch merge OUT.sqlite {}/journal-shard-*-of-{}.sqlite`",
                s.journal
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                shard.count
            );
        }
        if s.froze_bundle {
            println!(
                "bundle     frozen for this run ({})",
                &run.bundle_hash[..12]
            );
        }
        let rate = s.evaluated_now as f64 / s.wall_seconds.max(1e-9);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        println!(
            "evaluated  {} specs in {:.2}s: {:.0} specs/s ({} executor, {} worker{}, {} transport)",
            s.evaluated_now,
            s.wall_seconds,
            rate,
            s.executor,
            s.workers,
            if s.workers == 1 { "" } else { "s" },
            s.transport
        );
        println!(
            "cpu        {:.2}s, {:.0}% of {cores} cores over the wall time",
            s.cpu_seconds,
            100.0 * s.cpu_seconds / (s.wall_seconds.max(1e-9) * cores as f64)
        );
        if s.crashes > 0 {
            println!("crashes    {} worker(s) died and were replaced", s.crashes);
        }
    }
    println!(
        "outcomes   {evaluated} of {}: {passed} passed ({}), {filtered} filtered ({}), {errors} errors",
        run.spec_count,
        pct(passed, evaluated),
        pct(filtered, evaluated),
    );
    let mut stmt = conn.prepare(
        "SELECT failed_test, specs FROM failures_by_test WHERE run_id = ?1 ORDER BY specs DESC LIMIT 4",
    )?;
    let fails: Vec<(String, u64)> = stmt
        .query_map([run.run_id], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<_, _>>()?;
    if !fails.is_empty() {
        let parts: Vec<String> = fails
            .iter()
            .map(|(t, n)| format!("{t} {}", pct(*n, evaluated)))
            .collect();
        println!("failed at  {}", parts.join(" · "));
    }
    print_mutations(conn, run.run_id)?;
    if errors > 0 {
        let (message, n): (String, i64) = conn.query_row(
            "SELECT message, specs FROM errors_by_message WHERE run_id = ?1 LIMIT 1",
            [run.run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        println!("errors     most frequent ({n}×): {message}");
    }
    if run.status == "complete" {
        let ranked: Vec<derive::Ranked> = {
            let mut stmt = conn.prepare(
                "SELECT rank, spec_index, score, fit_score, is_score, oos_score FROM ranking \
                 WHERE run_id = ?1 ORDER BY rank LIMIT ?2",
            )?;
            let rows = stmt.query_map(rusqlite::params![run.run_id, top_n as i64], |r| {
                Ok(derive::Ranked {
                    rank: r.get::<_, i64>(0)? as u64,
                    spec_index: r.get::<_, i64>(1)? as u64,
                    score: r.get(2)?,
                    fit_score: r.get(3)?,
                    is_score: r.get(4)?,
                    oos_score: r.get(5)?,
                })
            })?;
            rows.collect::<Result<_, _>>()?
        };
        if !ranked.is_empty() {
            println!("top models (rank · score · R² · spec · features)");
            let mut feats = conn.prepare(
                "SELECT p.r2, (SELECT group_concat(feature, ', ') FROM (SELECT feature \
                 FROM outcome_features f WHERE f.run_id = p.run_id \
                 AND f.spec_index = p.spec_index ORDER BY position)) \
                 FROM passed p WHERE p.run_id = ?1 AND p.spec_index = ?2",
            )?;
            for r in &ranked {
                let (r2, names): (f64, String) = feats
                    .query_row(rusqlite::params![run.run_id, r.spec_index as i64], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })?;
                println!(
                    "  {:>3}  {:.4}  {:.3}  #{:<8} {names}",
                    r.rank, r.score, r2, r.spec_index
                );
            }
        }
    }
    println!("journal    {}", s.journal.display());
    Ok(())
}
