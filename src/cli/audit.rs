//! `specsearch audit CONFIG [--run RUN] [--json]`: the mutation records of a run (composite
//! features workers built for passed models), the first spec that needed each, the passed
//! models using it, and what the replay into `features.duckdb` did. Everything comes from the
//! journal's `mutation_audit` view (sql/mutations.sql), so plain SQL gives the same.

use anyhow::{bail, Context, Result};

use super::WorkspaceArgs;
use crate::journal::{Journal, ReplayAction, RunStatus};
use crate::results::table::TableText;
use crate::results::{Cell, Table};
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// The run, by id or name (default: the latest run in the workspace's journal).
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// Print everything as JSON (with every passed spec index using each mutation).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &AuditArgs) -> Result<()> {
    let config = args.ws.config()?;
    let root = Workspace::for_config(&config, args.ws.workspace.as_deref());
    let journal = Journal::open(&root.journal())?;
    let latest = match config.segment_name() {
        Some(name) => journal.latest_run_of_segment(name, &[])?,
        None => journal.latest_run()?,
    };
    let run = match &args.run {
        Some(r) => journal
            .find_run(r)?
            .with_context(|| format!("no run {r:?} in {}", root.journal().display()))?,
        None => match latest {
            Some(r) => r,
            None => bail!("{} has no run yet", root.journal().display()),
        },
    };
    // The store of the run's segment (a `[[segment]]` config keeps a bundle per segment).
    let ws = match journal.segment_of(run.run_id)? {
        Some(name) => root.segment(&name),
        None => root.clone(),
    };
    let detail = run.status_detail.clone();
    let rows = journal.mutation_audit(run.run_id)?;
    if args.json {
        let doc = serde_json::json!({
            "run": {
                "run_id": run.run_id,
                "name": run.name,
                "status": run.status,
                "status_detail": detail,
                "bundle_sha256": run.bundle_hash,
                "store": ws.features_duckdb(),
            },
            "mutations": rows,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }

    let count = |a: Option<ReplayAction>| rows.iter().filter(|r| r.replay_action == a).count();
    println!(
        "run        {} ({}), store {}",
        run.name,
        run.status,
        ws.features_duckdb().display()
    );
    if rows.is_empty() {
        println!("mutations  none: no passed model of this run uses a composite feature");
    } else {
        println!(
            "mutations  {} recorded: {} inserted, {} already present, {} conflicts, {} not \
             replayed yet",
            rows.len(),
            count(Some(ReplayAction::Inserted)),
            count(Some(ReplayAction::AlreadyPresent)),
            count(Some(ReplayAction::Conflict)),
            count(None)
        );
    }
    match (run.status, &detail) {
        (RunStatus::Complete, _) => {
            println!("validation every passed model's columns match the store")
        }
        (RunStatus::Failed, Some(d)) => println!("validation FAILED: {d}"),
        (_, Some(d)) => println!("status     {d}"),
        _ => println!("validation not done yet (the run has not finished)"),
    }
    if rows.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(&[
        "name",
        "definition",
        "sha256",
        "first needed by",
        "passed specs",
        "ranked models",
        "replay",
    ]);
    for r in &rows {
        let used = {
            let shown: Vec<String> = r
                .passed_spec_indices
                .iter()
                .take(3)
                .map(|i| format!("#{i}"))
                .collect();
            let more = r.passed_spec_indices.len().saturating_sub(3);
            if more > 0 {
                format!("{} +{more}", shown.join(" "))
            } else {
                shown.join(" ")
            }
        };
        let ranked = match r.best_rank {
            Some(best) => format!("{} (best rank {best})", r.ranked_models),
            None => "0".into(),
        };
        let mut action = r
            .replay_action
            .map_or("not replayed", ReplayAction::label)
            .to_string();
        if let Some(d) = &r.replay_detail {
            action.push_str(&format!(": {d}"));
        }
        table.push(vec![
            r.name.clone().into(),
            r.definition.clone().into(),
            r.sha256[..12].into(),
            format!("#{} (worker {})", r.first_spec_index, r.worker).into(),
            format!("{} {used}", r.passed_specs).into(),
            Cell::Text(ranked),
            Cell::Text(action),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}
