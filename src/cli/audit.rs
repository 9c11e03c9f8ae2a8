//! `specsearch audit CONFIG [--run RUN] [--json]`: the mutation records of a run (composite
//! features workers built for passed models), the first spec that needed each, the passed
//! models using it, and what the replay into `features.duckdb` did. Everything comes from the
//! journal's `mutation_audit` view (sql/mutations.sql), so plain SQL gives the same.

use anyhow::{bail, Context, Result};
use rusqlite::Connection;

use super::WorkspaceArgs;
use crate::config::Config;
use crate::journal::{runs, schema};
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

/// One row of `mutation_audit`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub name: String,
    pub definition: String,
    pub sha256: String,
    pub first_spec_index: u64,
    pub session_id: i64,
    pub worker: i64,
    pub recorded_at: String,
    pub passed_specs: u64,
    pub ranked_models: u64,
    pub best_rank: Option<u64>,
    pub passed_spec_indices: Vec<u64>,
    pub replay_action: Option<String>,
    pub replay_detail: Option<String>,
    pub replayed_at: Option<String>,
    pub replay_attempts: u64,
}

/// The audit rows of a run, in order of first needing spec.
pub fn audit_rows(conn: &Connection, run_id: i64) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT name, definition, sha256, first_spec_index, session_id, worker, recorded_at, \
         passed_specs, ranked_models, best_rank, passed_spec_indices, replay_action, \
         replay_detail, replayed_at, replay_attempts FROM mutation_audit WHERE run_id = ?1 \
         ORDER BY first_spec_index, name",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        let indices: String = r.get(10)?;
        Ok(AuditRow {
            name: r.get(0)?,
            definition: r.get(1)?,
            sha256: r.get(2)?,
            first_spec_index: r.get::<_, i64>(3)? as u64,
            session_id: r.get(4)?,
            worker: r.get(5)?,
            recorded_at: r.get(6)?,
            passed_specs: r.get::<_, i64>(7)? as u64,
            ranked_models: r.get::<_, i64>(8)? as u64,
            best_rank: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
            passed_spec_indices: serde_json::from_str(&indices).unwrap_or_default(),
            replay_action: r.get(11)?,
            replay_detail: r.get(12)?,
            replayed_at: r.get(13)?,
            replay_attempts: r.get::<_, i64>(14)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn action_text(a: Option<&str>) -> &str {
    match a {
        Some("already_present") => "already present",
        Some(a) => a,
        None => "not replayed",
    }
}

pub fn run(args: &AuditArgs) -> Result<()> {
    let config = Config::load(&args.ws.config)?;
    let ws = Workspace::for_config(&config, args.ws.workspace.as_deref());
    let conn = schema::open_ro(&ws.journal())?;
    let run = match &args.run {
        Some(r) => runs::find(&conn, r)?
            .with_context(|| format!("no run {r:?} in {}", ws.journal().display()))?,
        None => match runs::latest(&conn)? {
            Some(r) => r,
            None => bail!("{} has no run yet", ws.journal().display()),
        },
    };
    let detail: Option<String> = conn.query_row(
        "SELECT status_detail FROM runs WHERE run_id = ?1",
        [run.run_id],
        |r| r.get(0),
    )?;
    let rows = audit_rows(&conn, run.run_id)?;
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

    let count = |a: Option<&str>| {
        rows.iter()
            .filter(|r| r.replay_action.as_deref() == a)
            .count()
    };
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
            count(Some("inserted")),
            count(Some("already_present")),
            count(Some("conflict")),
            count(None)
        );
    }
    match (run.status.as_str(), &detail) {
        ("complete", _) => println!("validation every passed model's columns match the store"),
        ("failed", Some(d)) => println!("validation FAILED: {d}"),
        (_, Some(d)) => println!("status     {d}"),
        _ => println!("validation not done yet (the run has not finished)"),
    }
    if rows.is_empty() {
        return Ok(());
    }
    let table: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
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
            let mut action = action_text(r.replay_action.as_deref()).to_string();
            if let Some(d) = &r.replay_detail {
                action.push_str(&format!(": {d}"));
            }
            [
                r.name.clone(),
                r.definition.clone(),
                r.sha256[..12].to_string(),
                format!("#{} (worker {})", r.first_spec_index, r.worker),
                format!("{} {used}", r.passed_specs),
                ranked,
                action,
            ]
        })
        .collect();
    let header = [
        "name",
        "definition",
        "sha256",
        "first needed by",
        "passed specs",
        "ranked models",
        "replay",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in &table {
        line(row.iter().map(String::as_str).collect());
    }
    Ok(())
}
