//! Resuming a run by name (`run --run NAME`) and the command lines printed for it.

use anyhow::Result;
use tracing::info;

use crate::journal::{JournalRw, RunRow, RunStatus};
use crate::session::Session;

/// The run `name` (id or name) to resume with `run --run NAME`: it must be a run of this
/// config's search on this frozen data, with the plan's spec count (else nothing is written).
pub(super) fn resumable_run(journal: &JournalRw, session: &Session, name: &str) -> Result<RunRow> {
    let config = &session.config;
    let Some(r) = journal.find_run(name)? else {
        let known: Vec<String> = journal
            .runs()?
            .into_iter()
            .filter(|r| r.search_hash == config.search_hash())
            .map(|r| format!("{} ({})", r.name, r.status))
            .collect();
        anyhow::bail!(
            "no run `{name}` in the journal; the runs of this config: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    anyhow::ensure!(
        r.search_hash == config.search_hash(),
        "run {} is not a run of {} (its search differs: another config, or the config changed \
         since); nothing was written",
        r.name,
        config.path.display()
    );
    anyhow::ensure!(
        r.bundle_hash == session.bundle_hash(),
        "run {} searched other data (frozen bundle {} → now {}): it cannot be resumed on this \
         data; `specsearch run {}` starts a new run",
        r.name,
        &r.bundle_hash[..12.min(r.bundle_hash.len())],
        &session.bundle_hash()[..12],
        config.path.display()
    );
    let spec_count = session.plan.space.count();
    anyhow::ensure!(
        r.spec_count == spec_count,
        "run {} has {} specs but the plan now has {spec_count}",
        r.name,
        r.spec_count
    );
    if r.status != RunStatus::Complete {
        record_plan(journal, session, &r)?;
    }
    Ok(r)
}

/// `text` as one word of a POSIX shell (and zsh): as is when it holds only characters no shell
/// treats specially, else in single quotes (run names hold `#`).
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Records the plan of a run journaled before outcome blocks, which is about to get new
/// outcomes (its old ones stay rows; the new ones are blocks).
pub(super) fn record_plan(journal: &JournalRw, session: &Session, run: &RunRow) -> Result<()> {
    if journal.ensure_plan(run, &session.plan.space)? {
        info!(
            "recorded the plan of run {} to journal its outcomes in blocks",
            run.name
        );
    }
    Ok(())
}
