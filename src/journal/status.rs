//! The journal's status columns as enums, converted at the SQL boundary (`ToSql`/`FromSql`), so
//! no code outside `journal/` compares status strings or bare codes.
//!
//! The stored values are the ones the CHECK constraints of `migrations/` allow: runs and
//! sessions store their status as text, outcomes as the small integer code of the
//! `outcome_statuses` lookup table.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Declares a text-valued status enum with its SQL conversions.
macro_rules! text_status {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored text.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    FromSqlError::Other(
                        format!(concat!("unknown ", stringify!($name), " {:?}"), text).into(),
                    )
                })
            }
        }
    };
}

text_status! {
    /// Where a run stands (`runs.status`).
    RunStatus {
        /// A coordinator is evaluating it, or was killed while doing so (resumable).
        Running = "running",
        /// Stopped (Ctrl-C, an error, shards missing); the same command resumes it.
        Interrupted = "interrupted",
        /// Every spec has an outcome, ranked, composites replayed and validated.
        Complete = "complete",
        /// Finished but validation failed; `status_detail` says why.
        Failed = "failed",
    }
}

text_status! {
    /// How one invocation of `run` on a run ended (`sessions.status`).
    SessionStatus {
        Running = "running",
        Interrupted = "interrupted",
        Complete = "complete",
        Failed = "failed",
    }
}

impl RunStatus {
    /// Whether the run is done (nothing will change it but `--fresh` or a new finish).
    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Complete | RunStatus::Failed)
    }
}

impl From<RunStatus> for SessionStatus {
    fn from(s: RunStatus) -> SessionStatus {
        match s {
            RunStatus::Running => SessionStatus::Running,
            RunStatus::Interrupted => SessionStatus::Interrupted,
            RunStatus::Complete => SessionStatus::Complete,
            RunStatus::Failed => SessionStatus::Failed,
        }
    }
}

/// The outcome of one spec (`outcomes.status`, codes of the `outcome_statuses` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutcomeStatus {
    Passed,
    Filtered,
    Error,
}

impl OutcomeStatus {
    /// The stored code.
    pub fn code(self) -> u8 {
        match self {
            OutcomeStatus::Passed => 0,
            OutcomeStatus::Filtered => 1,
            OutcomeStatus::Error => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<OutcomeStatus> {
        match code {
            0 => Some(OutcomeStatus::Passed),
            1 => Some(OutcomeStatus::Filtered),
            2 => Some(OutcomeStatus::Error),
            _ => None,
        }
    }

    /// The name in `outcome_statuses` and the views.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Passed => "passed",
            OutcomeStatus::Filtered => "filtered",
            OutcomeStatus::Error => "error",
        }
    }
}

impl ToSql for OutcomeStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(i64::from(self.code())))
    }
}

impl FromSql for OutcomeStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let code = value.as_i64()?;
        OutcomeStatus::from_code(code).ok_or(FromSqlError::OutOfRange(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for s in [
            RunStatus::Running,
            RunStatus::Interrupted,
            RunStatus::Complete,
            RunStatus::Failed,
        ] {
            let back: RunStatus = conn.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
            assert_eq!(back, s);
            let text: String = conn.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
            assert_eq!(text, s.as_str());
        }
        for s in [
            OutcomeStatus::Passed,
            OutcomeStatus::Filtered,
            OutcomeStatus::Error,
        ] {
            let back: OutcomeStatus = conn.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
            assert_eq!(back, s);
        }
        let bad: rusqlite::Result<RunStatus> = conn.query_row("SELECT 'done'", [], |r| r.get(0));
        assert!(bad.is_err());
        let bad: rusqlite::Result<OutcomeStatus> = conn.query_row("SELECT 7", [], |r| r.get(0));
        assert!(bad.is_err());
    }
}
