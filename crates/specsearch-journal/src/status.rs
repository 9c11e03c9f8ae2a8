//! The journal's stored codes as enums, converted at the SQL boundary (`ToSql`/`FromSql`), so
//! no code outside this crate compares status strings or bare codes.
//!
//! The stored values are the ones the CHECK constraints of `migrations/` allow: runs and
//! sessions store their status as text (one vocabulary for both), outcomes the small integer
//! code of the `outcome_statuses` lookup table, events their kind as text. Codes are written
//! out explicitly: they are in journals on disk and never change.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Declares a text-valued enum with its stored words and SQL conversions.
macro_rules! stored_words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

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

        impl ::rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> ::rusqlite::Result<::rusqlite::types::ToSqlOutput<'_>> {
                Ok(::rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl ::rusqlite::types::FromSql for $name {
            fn column_result(
                value: ::rusqlite::types::ValueRef<'_>,
            ) -> ::rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    ::rusqlite::types::FromSqlError::Other(
                        format!(concat!("unknown ", stringify!($name), " {:?}"), text).into(),
                    )
                })
            }
        }
    };
}
pub(crate) use stored_words;

stored_words! {
    /// Where a run stands (`runs.status`), and how one session of it (one invocation of `run`,
    /// `merge`'s finish or `forecast`) ended (`sessions.status`): one vocabulary for both.
    RunStatus {
        /// A coordinator is working on it, or was killed while doing so (resumable).
        Running = "running",
        /// Stopped (Ctrl-C, an error, shards missing); the same command resumes it.
        Interrupted = "interrupted",
        /// Every spec has an outcome, ranked, composites replayed and validated.
        Complete = "complete",
        /// Finished but validation failed (`status_detail` says why), or a session that
        /// could not start.
        Failed = "failed",
    }
}

/// A session's status is a run status (`sessions.status` has the same CHECK).
pub type SessionStatus = RunStatus;

impl RunStatus {
    /// Whether the run is done (nothing will change it but `--fresh` or a new finish).
    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Complete | RunStatus::Failed)
    }
}

stored_words! {
    /// Something that happened to a session besides its outcomes (`events.kind`).
    EventKind {
        /// A worker past its batch's deadline, being stopped (SIGTERM, then SIGKILL).
        WorkerStalled = "worker_stalled",
        /// A worker died or was stopped; its batches were re-queued.
        WorkerLost = "worker_lost",
        /// SIGINT or SIGTERM asked the coordinator to stop.
        StopRequested = "stop_requested",
        /// In-flight batches abandoned after `run.drain_timeout`.
        DrainTimeout = "drain_timeout",
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
    pub const ALL: [OutcomeStatus; 3] = [
        OutcomeStatus::Passed,
        OutcomeStatus::Filtered,
        OutcomeStatus::Error,
    ];

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

impl std::fmt::Display for OutcomeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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

/// A filter test as stored (`outcomes.failed_test`, the codes of `filter_tests`); the codes
/// are the core's [`FilterTest::code`](specsearch_core::assess::FilterTest::code).
pub(crate) fn filter_test_from_sql(code: Option<i64>) -> rusqlite::Result<Option<FilterTest>> {
    match code {
        None => Ok(None),
        Some(c) => u8::try_from(c)
            .ok()
            .and_then(FilterTest::from_code)
            .map(Some)
            .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, c)),
    }
}

/// A feature role as stored (`run_features.role`).
pub(crate) fn role_from_sql(text: &str) -> rusqlite::Result<FeatureRole> {
    FeatureRole::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown feature role {text:?}").into(),
        )
    })
}

use specsearch_core::assess::FilterTest;
use specsearch_core::spec::FeatureRole;
