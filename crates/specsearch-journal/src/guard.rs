//! One run lifecycle for every command that works on a run (`run`'s search and finish,
//! `merge`'s finish, `forecast`): a [`RunGuard`] marks the run `running` (closing sessions a
//! killed coordinator left open), may open a session, and on every exit path — an error, a
//! Ctrl-C, a panic unwinding — leaves the run `interrupted` with the reason, never `running`
//! without a coordinator, unless the work said how it ended ([`RunGuard::end`],
//! [`RunGuard::fail`]).

use crate::error::Result;
use crate::runs::{self, RunId};
use crate::{JournalRw, RunStatus, SessionStatus};

/// What a session did, for its row in `sessions`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SessionTotals {
    pub specs_done: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
}

/// A run being worked on; see the module documentation.
#[must_use = "a guard ends the run's work when it is dropped"]
pub struct RunGuard<'j> {
    journal: &'j JournalRw,
    run_id: RunId,
    session_id: Option<i64>,
    totals: SessionTotals,
    ended: bool,
}

impl JournalRw {
    /// Marks `run_id` running until the guard ends. Sessions still marked running belong to a
    /// coordinator that was killed (the caller holds the workspace lock): they are closed
    /// first, and how many is returned with the guard.
    pub fn begin_run(&self, run_id: RunId) -> Result<(RunGuard<'_>, usize)> {
        let stale = runs::close_stale_sessions(self.conn(), run_id).map_err(|e| self.err(e))?;
        runs::set_status(self.conn(), run_id, RunStatus::Running, None).map_err(|e| self.err(e))?;
        Ok((
            RunGuard {
                journal: self,
                run_id,
                session_id: None,
                totals: SessionTotals::default(),
                ended: false,
            },
            stale,
        ))
    }
}

impl RunGuard<'_> {
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// Opens a session (one invocation evaluating specs) of the run; its id.
    pub fn start_session(
        &mut self,
        executor: &str,
        transport: &str,
        workers: usize,
    ) -> Result<i64> {
        let j = self.journal;
        let id = runs::start_session(j.conn(), self.run_id, executor, transport, workers)
            .map_err(|e| j.err(e))?;
        self.session_id = Some(id);
        Ok(id)
    }

    /// The open session, if one was started.
    pub fn session_id(&self) -> Option<i64> {
        self.session_id
    }

    /// What the session did so far (written when it ends, however it ends).
    pub fn record_totals(&mut self, totals: SessionTotals) {
        self.totals = totals;
    }

    /// Ends the work: the run gets `status` (and why), the session the same status.
    pub fn end(mut self, status: RunStatus, detail: Option<&str>) -> Result<()> {
        self.ended = true;
        self.close(status, status, detail)
    }

    /// Ends after a failure: the run stays resumable (`interrupted`, with `detail`), the
    /// session is `failed`.
    pub fn fail(mut self, detail: &str) -> Result<()> {
        self.ended = true;
        self.close(RunStatus::Interrupted, SessionStatus::Failed, Some(detail))
    }

    fn close(&self, run: RunStatus, session: SessionStatus, detail: Option<&str>) -> Result<()> {
        let j = self.journal;
        if let Some(id) = self.session_id {
            runs::end_session(j.conn(), self.run_id, id, session, &self.totals)
                .map_err(|e| j.err(e))?;
        }
        runs::set_status(j.conn(), self.run_id, run, detail).map_err(|e| j.err(e))
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let (session, detail) = if std::thread::panicking() {
            (
                SessionStatus::Failed,
                "stopped by an internal error (a panic: please report it); the same command \
                 resumes the run",
            )
        } else {
            (
                SessionStatus::Interrupted,
                "stopped before it finished; the same command resumes the run",
            )
        };
        if let Err(e) = self.close(RunStatus::Interrupted, session, Some(detail)) {
            tracing::warn!("could not mark run {} interrupted: {e}", self.run_id);
        }
    }
}
