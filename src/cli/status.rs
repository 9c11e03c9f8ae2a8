//! `specsearch status [CONFIG] [--workspace DIR] [--run RUN]`: the runs in a journal with their
//! progress, outcome counts and rates, and for the chosen run its sessions and, while it runs,
//! throughput and an estimated time to completion. Reads the journal read-only, so it works
//! while a run is writing.

use anyhow::Result;

use super::{JournalArgs, OutputArgs};
use crate::journal::RunStatus;
use crate::results::table::TableText;
use crate::results::{self, Format};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{:.1}s", secs.max(0.0)),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub fn run(args: &StatusArgs) -> Result<()> {
    let j = args.journal.open()?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let alive = j.coordinator_alive();
    let mut runs = j.journal.run_progress(None)?;
    // A running run with no coordinator holding the workspace lock was killed: say so.
    if let (Some(false), Some(c)) = (alive, runs.col("status")) {
        for r in &mut runs.rows {
            if r[c].as_str() == Some(RunStatus::Running.as_str()) {
                r[c] = "stopped (resumable)".into();
            }
        }
    }
    let format = args.output.format();
    if format != Format::Human {
        return results::print_table(&runs, format);
    }
    println!("journal  {}", j.path.display());
    println!("\nRuns");
    let shown = runs.select(&[
        "run_id",
        "name",
        "status",
        "spec_count",
        "evaluated",
        "percent_done",
        "passed",
        "filtered",
        "errors",
        "pass_percent",
        "created_at",
        "finished_at",
    ]);
    print!("{}", shown.render());

    let i = runs
        .rows
        .iter()
        .position(|r| r[0].as_i64() == Some(run.run_id.0))
        .unwrap_or(0);
    let get = |c: &str| runs.get(i, c).clone();
    let int = |c: &str| get(c).as_i64().unwrap_or(0);
    println!("\nRun {} (id {})", run.name, run.run_id);
    println!("  config     {}", run.config_path);
    println!(
        "  target     {} ({})",
        run.target,
        if run.target_stationary {
            "stationary"
        } else {
            "non-stationary"
        }
    );
    println!(
        "  bundle     {}",
        &run.bundle_hash[..12.min(run.bundle_hash.len())]
    );
    println!(
        "  status     {}",
        get("status").as_str().unwrap_or(run.status.as_str())
    );
    let (evaluated, passed, filtered, errors) = (
        int("evaluated"),
        int("passed"),
        int("filtered"),
        int("errors"),
    );
    let pct = |n: i64| {
        if evaluated > 0 {
            format!("{:.2}%", 100.0 * n as f64 / evaluated as f64)
        } else {
            "-".into()
        }
    };
    println!(
        "  progress   {evaluated} of {} specs ({:.2}%)",
        run.spec_count,
        get("percent_done").as_f64().unwrap_or(0.0)
    );
    println!(
        "  outcomes   {passed} passed ({}), {filtered} filtered ({}), {errors} errors ({})",
        pct(passed),
        pct(filtered),
        pct(errors)
    );
    if let Some(rate) = get("specs_per_second").as_f64() {
        println!(
            "  session    {} specs in {}: {:.0} specs/s (latest session)",
            int("session_specs"),
            duration(get("session_seconds").as_f64().unwrap_or(0.0)),
            rate
        );
    }
    if run.status == RunStatus::Running {
        let stalled = j.journal.stalled_workers(run.run_id)?;
        if alive != Some(false) && !stalled.is_empty() {
            println!(
                "  stalled    worker(s) {:?} gave no answer in time and are being stopped; \
                 their specs are re-run one by one (see Events)",
                stalled
            );
        }
        match (alive, get("eta_seconds").as_f64()) {
            (Some(false), _) => println!(
                "  note       no coordinator holds the workspace: the run was stopped; \
                 `specsearch run {} --run {}` resumes it",
                crate::search::shell_quote(&run.config_path),
                crate::search::shell_quote(&run.name)
            ),
            (_, Some(eta)) => println!(
                "  eta        {} ({} specs left)",
                duration(eta),
                run.spec_count as i64 - evaluated
            ),
            _ => println!("  eta        not yet known"),
        }
    }
    let sessions = j.journal.sessions(run.run_id)?;
    if !sessions.rows.is_empty() {
        println!("\nSessions");
        print!("{}", sessions.render());
    }
    let events = j.journal.events(run.run_id, 8)?;
    if !events.rows.is_empty() {
        println!("\nEvents (latest)");
        print!("{}", events.render());
    }
    let fails = j.journal.failures_by_test(run.run_id)?;
    if !fails.rows.is_empty() {
        println!("\nFailed at (see `specsearch failures`)");
        print!(
            "{}",
            fails
                .select(&["failed_test", "specs", "percent_of_outcomes"])
                .render()
        );
    }
    Ok(())
}
