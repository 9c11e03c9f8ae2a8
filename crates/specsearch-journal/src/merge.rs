//! Merging shard journals (`specsearch merge OUT SHARD…`): every shard must be a run of the same
//! search over the same frozen bundle; their outcomes, passed-model detail and telemetry are
//! unioned idempotently into one run of OUT, coverage is checked, and — when every spec index
//! has an outcome — the ranking is derived exactly as for a single-machine run.
//!
//! Idempotence comes from the primary keys: outcomes are keyed by (run, spec index), and a
//! shard's sessions are renumbered deterministically (`shard index × 1 000 000 + session`), so
//! merging the same shard twice inserts nothing new.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::spec::shard::{self, Shard};

use crate::blocks::OutcomeCode;
use crate::counters::Tally;
use crate::error::{JournalError, Result};
use crate::plan::PlanDecoder;
use crate::runs::{self, RunId, RunRow};
use crate::{schema, RunStatus};

/// One shard journal's run.
#[derive(Debug, Clone)]
pub struct ShardRun {
    pub path: PathBuf,
    pub run: RunRow,
    pub shard: Shard,
}

/// What a merge found and did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    pub run: RunRow,
    pub shards: Vec<ShardRun>,
    pub outcomes_added: u64,
    pub outcomes_total: u64,
    /// Spec index ranges (half-open) without an outcome, and the shards that own them.
    pub missing: Vec<(u64, u64)>,
    pub missing_shards: Vec<u32>,
    pub complete: bool,
}

fn invalid(msg: String) -> JournalError {
    JournalError::Invalid(msg)
}

/// Reads the (single, latest) run of a shard journal and its shard assignment.
pub fn read_shard(path: &Path) -> Result<ShardRun> {
    let conn = schema::open_ro(path)?;
    let e = JournalError::naming::<JournalError>(path);
    let run = runs::latest(&conn)
        .map_err(&e)?
        .ok_or_else(|| invalid(format!("{}: the journal has no run", path.display())))?;
    let shard: Option<(i64, i64)> = conn
        .query_row(
            "SELECT shard_index, shard_count FROM runs WHERE run_id = ?1 AND shard_count IS NOT NULL",
            [run.run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(JournalError::from)
        .map_err(&e)?;
    let (index, count) = shard.ok_or_else(|| {
        invalid(format!(
            "{}: run {} is not a shard (it was not run with --shard)",
            path.display(),
            run.name
        ))
    })?;
    Ok(ShardRun {
        path: path.to_path_buf(),
        run,
        shard: Shard {
            index: index as u32,
            count: count as u32,
        },
    })
}

/// Merges shard journals into `out` (created if needed). Refuses shards of another search,
/// another bundle or another shard count before writing anything. A merged run that still
/// misses shards is left `interrupted`; a complete one is for `finish` to rank and replay.
pub fn merge(out: &Path, shard_paths: &[PathBuf]) -> Result<MergeReport> {
    if shard_paths.is_empty() {
        return Err(invalid("name at least one shard journal to merge".into()));
    }
    // Merging a journal into itself would rewrite the shard it reads (and flip its run).
    let same_file = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b))
    {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(s) = shard_paths.iter().find(|s| same_file(out, s)) {
        return Err(invalid(format!(
            "the merged journal {} is also one of the shards to merge ({}); write the merge to \
             another file, e.g. the workspace's journal.sqlite",
            out.display(),
            s.display()
        )));
    }
    let shards: Vec<ShardRun> = shard_paths
        .iter()
        .map(|p| read_shard(p))
        .collect::<Result<_, _>>()?;
    let first = &shards[0];
    for s in &shards[1..] {
        let differs = |what: &str, a: &str, b: &str| {
            invalid(format!(
                "{} and {} are runs of different {what} ({} vs {}); only shards of one search \
                 can be merged",
                first.path.display(),
                s.path.display(),
                &a[..a.len().min(12)],
                &b[..b.len().min(12)]
            ))
        };
        if s.run.search_hash != first.run.search_hash {
            return Err(differs(
                "configs",
                &first.run.search_hash,
                &s.run.search_hash,
            ));
        }
        if s.run.bundle_hash != first.run.bundle_hash {
            return Err(differs(
                "frozen data",
                &first.run.bundle_hash,
                &s.run.bundle_hash,
            ));
        }
        if s.shard.count != first.shard.count {
            return Err(invalid(format!(
                "{} is shard {} but {} is shard {}: the shard counts differ",
                first.path.display(),
                first.shard,
                s.path.display(),
                s.shard
            )));
        }
    }

    let conn = schema::open_rw(out)?;
    let e = JournalError::naming::<JournalError>(out);
    let run_id = match runs::latest_for(&conn, &first.run.search_hash, &first.run.bundle_hash)
        .map_err(&e)?
    {
        Some(r) => r.run_id,
        None => create_merged_run(&conn, first)
            .map_err(JournalError::from)
            .map_err(&e)?,
    };
    let before = runs::counts(&conn, run_id)
        .map_err(JournalError::from)
        .map_err(&e)?
        .evaluated;
    for s in &shards {
        copy_shard(&conn, run_id, s)?;
    }
    let total = runs::counts(&conn, run_id)
        .map_err(JournalError::from)
        .map_err(&e)?
        .evaluated;
    let done = crate::counters::journaled_ranges(&conn, run_id)
        .map_err(JournalError::from)
        .map_err(&e)?;
    let missing = specsearch_core::spec::ranges::subtract(&[(0, first.run.spec_count)], &done);
    let mut missing_shards: Vec<u32> = Vec::new();
    for &(a, b) in &missing {
        // Walk block by block: a missing range may span several shards.
        let mut x = a;
        while x < b {
            let owner = Shard::owner(x, first.shard.count);
            if !missing_shards.contains(&owner) {
                missing_shards.push(owner);
            }
            x = (x / shard::BLOCK + 1) * shard::BLOCK;
        }
    }
    missing_shards.sort_unstable();
    let complete = missing.is_empty();
    if !complete {
        runs::set_status(
            &conn,
            run_id,
            RunStatus::Interrupted,
            Some("shards missing"),
        )
        .map_err(JournalError::from)
        .map_err(&e)?;
    }
    let run = runs::get(&conn, run_id)
        .map_err(&e)?
        .expect("the merged run exists");
    Ok(MergeReport {
        run,
        shards,
        outcomes_added: total - before,
        outcomes_total: total,
        missing,
        missing_shards,
        complete,
    })
}

/// Creates the merged run as a copy of the first shard's run row (without the shard fields).
fn create_merged_run(conn: &Connection, first: &ShardRun) -> rusqlite::Result<RunId> {
    conn.execute(
        "ATTACH DATABASE ?1 AS shard",
        [first.path.to_string_lossy().as_ref()],
    )?;
    let result = (|| {
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO runs (name, config_path, config_text, search_hash, bundle_hash, target, \
             frequency, spec_count, target_stationary, has_out_of_sample, created_at, status) \
             SELECT replace(name, '#', '-merged#'), config_path, config_text, search_hash, \
             bundle_hash, target, frequency, spec_count, target_stationary, has_out_of_sample, \
             ?2, ?3 FROM shard.runs WHERE run_id = ?1",
            params![first.run.run_id, crate::now(), RunStatus::Running],
        )?;
        let run_id = RunId(tx.last_insert_rowid());
        tx.execute(
            "INSERT OR IGNORE INTO run_features (run_id, feature_id, name, role, base, category, \
             sort_rank) SELECT ?1, feature_id, name, role, base, category, sort_rank \
             FROM shard.run_features WHERE run_id = ?2",
            params![run_id, first.run.run_id],
        )?;
        tx.execute(
            "INSERT INTO run_spec_prefixes (run_id, feature_codes) \
             SELECT ?1, feature_codes FROM shard.run_spec_prefixes WHERE run_id = ?2",
            params![run_id, first.run.run_id],
        )?;
        let features: i64 = tx.query_row(
            "SELECT count(*) FROM run_features WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?;
        runs::ensure_slots(&tx, features as usize)?;
        tx.commit()?;
        Ok(run_id)
    })();
    conn.execute("DETACH DATABASE shard", [])?;
    result
}

/// Unions one shard's rows into the merged run, in one transaction.
fn copy_shard(conn: &Connection, run_id: RunId, s: &ShardRun) -> Result<()> {
    let e = JournalError::naming::<rusqlite::Error>(&s.path);
    conn.execute(
        "ATTACH DATABASE ?1 AS shard",
        [s.path.to_string_lossy().as_ref()],
    )
    .map_err(&e)?;
    let result = copy_attached(conn, run_id, s);
    conn.execute("DETACH DATABASE shard", []).map_err(&e)?;
    result
}

fn copy_attached(conn: &Connection, run_id: RunId, s: &ShardRun) -> Result<()> {
    let e = JournalError::naming::<rusqlite::Error>(&s.path);
    // A composite built with other values on another machine: refuse before writing.
    let conflicts: Vec<String> = conn
        .prepare(
            "SELECT s.name FROM shard.mutations s JOIN mutations m \
             ON m.run_id = ?1 AND m.name = s.name WHERE s.run_id = ?2 AND m.sha256 <> s.sha256",
        )
        .and_then(|mut st| {
            st.query_map(params![run_id, s.run.run_id], |r| r.get(0))?
                .collect()
        })
        .map_err(&e)?;
    if !conflicts.is_empty() {
        return Err(invalid(format!(
            "{}: composite feature(s) {} have other values than in the shards merged before; \
             the shards did not run on the same data",
            s.path.display(),
            conflicts.join(", ")
        )));
    }
    let offset = s.shard.index as i64 * 1_000_000;
    adopt_plan(conn, run_id, s).map_err(|err| err.at(&s.path))?;
    let result = (|| -> Result<()> {
        let tx = conn.unchecked_transaction()?;
        let p = params![run_id, s.run.run_id, offset];
        tx.execute(
            "INSERT OR IGNORE INTO sessions (run_id, session_id, started_at, ended_at, executor, \
             transport, workers, specs_done, wall_seconds, cpu_seconds, status) \
             SELECT ?1, session_id + ?3, started_at, ended_at, executor, transport, workers, \
             specs_done, wall_seconds, cpu_seconds, status FROM shard.sessions WHERE run_id = ?2",
            p,
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO workers (run_id, session_id, worker, pid, started_at, ended_at, \
             specs, busy_seconds, user_cpu_seconds, sys_cpu_seconds, max_rss_kb, exit_status) \
             SELECT ?1, session_id + ?3, worker, pid, started_at, ended_at, specs, busy_seconds, \
             user_cpu_seconds, sys_cpu_seconds, max_rss_kb, exit_status FROM shard.workers \
             WHERE run_id = ?2",
            p,
        )?;
        // The shard's outcomes not merged before (a shard merged twice adds nothing), counted
        // into the merged run's counters in this same transaction.
        tx.execute_batch("DROP TABLE IF EXISTS temp.new_outcomes")?;
        // Each outcome's codes re-spelled after the merged run's prefix (the same as the
        // shard's for shards of one version; a shard journaled before schema 9 has none). A row
        // inside one of the shard's blocks is the detail of a passed or error outcome: the
        // block counts it.
        tx.execute(
            "CREATE TEMP TABLE new_outcomes AS \
             SELECT s.spec_index, s.status, s.failed_test, \
             coalesce((SELECT b.end_index FROM shard.outcome_blocks b \
                       WHERE b.run_id = s.run_id AND b.start_index <= s.spec_index \
                       ORDER BY b.start_index DESC LIMIT 1), 0) > s.spec_index AS in_block, \
             substr(sx.feature_codes || s.feature_codes, length(mx.feature_codes) + 1) \
                 AS feature_codes, \
             substr(sx.feature_codes || s.feature_codes, 1, length(mx.feature_codes)) \
                 = mx.feature_codes AS has_prefix, \
             s.r2, s.message, s.session_id + ?3 AS session_id, s.worker, s.eval_us \
             FROM shard.outcomes s \
             JOIN shard.run_spec_prefixes sx ON sx.run_id = s.run_id \
             JOIN main.run_spec_prefixes mx ON mx.run_id = ?1 \
             WHERE s.run_id = ?2 AND NOT EXISTS (SELECT 1 FROM main.outcomes o \
             WHERE o.run_id = ?1 AND o.spec_index = s.spec_index) ORDER BY s.spec_index",
            p,
        )?;
        let stray: Option<i64> = tx.query_row(
            "SELECT min(spec_index) FROM temp.new_outcomes WHERE NOT has_prefix",
            [],
            |r| r.get(0),
        )?;
        if let Some(index) = stray {
            return Err(JournalError::from(JournalError::sqlite(
                rusqlite::ffi::SQLITE_CONSTRAINT,
                format!(
                    "spec {index} of this shard does not begin with the features every spec of \
                     the merged run begins with; the shard was not journaled from the same \
                     search (nothing of it was merged)"
                ),
            )));
        }
        tx.execute(
            "INSERT INTO outcomes (run_id, spec_index, status, failed_test, feature_codes, r2, \
             message, session_id, worker, eval_us) \
             SELECT ?1, spec_index, status, failed_test, feature_codes, r2, message, \
             session_id, worker, eval_us FROM temp.new_outcomes",
            [run_id],
        )?;
        tx.execute_batch("DELETE FROM temp.new_outcomes WHERE in_block")?;
        crate::counters::add_rows(&tx, run_id, "temp.new_outcomes")?;
        tx.execute_batch("DROP TABLE temp.new_outcomes")?;
        copy_blocks(&tx, run_id, s.run.run_id, offset)?;
        tx.execute(
            "INSERT OR IGNORE INTO passed (run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, \
             is_mae, is_rmse, oos_max_abs, oos_mae, oos_rmse, cov_type, detail) \
             SELECT ?1, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse, \
             oos_max_abs, oos_mae, oos_rmse, cov_type, detail FROM shard.passed WHERE run_id = ?2",
            params![run_id, s.run.run_id],
        )?;
        // One record per composite; the first spec needing it is the minimum over all shards.
        tx.execute(
            "INSERT INTO mutations (run_id, name, definition, sha256, first_spec_index, \
             session_id, worker, recorded_at) \
             SELECT ?1, name, definition, sha256, first_spec_index, session_id + ?3, worker, \
             recorded_at FROM shard.mutations WHERE run_id = ?2 \
             ON CONFLICT (run_id, name) DO UPDATE SET \
             session_id = CASE WHEN excluded.first_spec_index < first_spec_index \
                 THEN excluded.session_id ELSE session_id END, \
             worker = CASE WHEN excluded.first_spec_index < first_spec_index \
                 THEN excluded.worker ELSE worker END, \
             first_spec_index = min(first_spec_index, excluded.first_spec_index)",
            p,
        )?;
        tx.commit()?;
        Ok(())
    })();
    result.map_err(|err| err.at(&s.path))
}

/// Gives the merged run the plan of a shard that has one (shards journaled before version 10
/// have none), refusing a shard whose plan differs from the merged run's.
fn adopt_plan(conn: &Connection, run_id: RunId, s: &ShardRun) -> Result<()> {
    let theirs: Option<String> = conn
        .query_row(
            "SELECT sha256 FROM shard.run_plans WHERE run_id = ?1",
            [s.run.run_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(theirs) = theirs else {
        return Ok(());
    };
    match crate::plan::plan_sha256(conn, run_id)? {
        Some(ours) if ours == theirs => Ok(()),
        Some(ours) => Err(invalid(format!(
            "{}: its plan of the spec space ({}) differs from the merged run's ({}); the shards \
             were not journaled from the same search",
            s.path.display(),
            &theirs[..12],
            &ours[..12]
        ))),
        None => {
            let tx = conn.unchecked_transaction()?;
            let p = params![run_id, s.run.run_id];
            tx.execute(
                "INSERT INTO run_plans (run_id, elements, combos, spec_count, sha256) \
                 SELECT ?1, elements, combos, spec_count, sha256 FROM shard.run_plans \
                 WHERE run_id = ?2",
                p,
            )?;
            for (table, columns) in [
                ("plan_elements", "element_id, name, variants"),
                ("plan_variants", "element_id, variant, feature_id"),
                ("plan_combos", "first_index, specs"),
                (
                    "plan_combo_elements",
                    "first_index, position, element_id, radix, stride",
                ),
            ] {
                tx.execute(
                    &format!(
                        "INSERT INTO {table} (run_id, {columns}) SELECT ?1, {columns} \
                         FROM shard.{table} WHERE run_id = ?2"
                    ),
                    p,
                )?;
            }
            tx.execute(
                "UPDATE run_features SET sort_rank = (SELECT f.sort_rank FROM shard.run_features f \
                 WHERE f.run_id = ?2 AND f.feature_id = run_features.feature_id) \
                 WHERE run_id = ?1",
                p,
            )?;
            tx.commit()?;
            Ok(())
        }
    }
}

/// Copies the shard's outcome blocks that the merged run does not hold yet (a shard merged
/// twice adds nothing), with their counts: codes by session, features from the run's plan.
fn copy_blocks(conn: &Connection, run_id: RunId, shard_run: RunId, offset: i64) -> Result<()> {
    let mut journaled = crate::counters::journaled_ranges(conn, run_id)?;
    let mut decoder: Option<PlanDecoder> = None;
    let mut tally = Tally::new();
    let mut features = Vec::new();
    let mut longest = 0u64;
    let mut stmt = conn.prepare(
        "SELECT start_index, end_index, codes, session_id, worker, eval_us \
         FROM shard.outcome_blocks WHERE run_id = ?1 ORDER BY start_index",
    )?;
    let mut insert = conn.prepare(
        "INSERT INTO outcome_blocks (run_id, start_index, end_index, codes, session_id, worker, \
         eval_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut rows = stmt.query([shard_run])?;
    while let Some(r) = rows.next()? {
        let (start, end) = (r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64);
        let codes = r.get_ref(2)?.as_blob()?;
        let session = r.get::<_, i64>(3)? + offset;
        let (worker, eval_us): (i64, i64) = (r.get(4)?, r.get(5)?);
        for (s, e) in crate::counters::not_journaled(&journaled, start, end) {
            let part = &codes[(s - start) as usize..(e - start) as usize];
            let share = eval_us as u64 * (e - s) / (end - start);
            insert.execute(params![
                run_id,
                s as i64,
                e as i64,
                part,
                session,
                worker,
                share as i64
            ])?;
            tally.add_codes(session, part);
            tally.add_range(s, e);
            crate::counters::mark_journaled(&mut journaled, s, e);
            longest = longest.max(e - s);
            if decoder.is_none() {
                decoder = Some(PlanDecoder::load(conn, run_id)?.ok_or_else(|| {
                    invalid(format!(
                        "the merged run {run_id} has outcome blocks but no plan"
                    ))
                })?);
            }
            let decoder = decoder.as_mut().expect("loaded above");
            for (k, index) in (s..e).enumerate() {
                let code = OutcomeCode::from_byte(part[k]).ok_or_else(|| {
                    invalid(format!(
                        "outcome {index} of a shard has the code {}",
                        part[k]
                    ))
                })?;
                decoder.spec(index, &mut features);
                for &f in &features {
                    tally.add_feature(code.kind(), f, 1);
                }
            }
        }
    }
    crate::counters::ensure_offsets(conn, longest)?;
    tally.flush(conn, run_id)?;
    Ok(())
}
