//! The journal's one error type: every failure names the journal file, and says what the
//! machine (not the input) did wrong when that is the cause — a full disk, a damaged file.

use std::path::{Path, PathBuf};

use crate::rows::BoxError;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// SQLite refused or failed; `path` is the journal (empty only inside the crate, before a
    /// handle names it).
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no journal at {}: run `specsearch run CONFIG` first", .0.display())]
    Missing(PathBuf),
    /// A journal whose content is not what the schema promises, or a request that cannot be
    /// met; the text says which and what to do.
    #[error("{0}")]
    Invalid(String),
    /// A sink (a CSV, JSON or Parquet writer) failed while rows streamed into it.
    #[error(transparent)]
    Output(BoxError),
}

pub type Result<T, E = JournalError> = std::result::Result<T, E>;

/// A failure of the machine rather than of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFailure {
    /// The disk (or the file system's quota) is full: everything committed before is kept.
    DiskFull,
    /// The file is not a SQLite database, or SQLite found it damaged.
    Damaged,
}

impl From<rusqlite::Error> for JournalError {
    fn from(source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: PathBuf::new(),
            source,
        }
    }
}

impl From<rusqlite::types::FromSqlError> for JournalError {
    fn from(e: rusqlite::types::FromSqlError) -> JournalError {
        JournalError::from(rusqlite::Error::from(e))
    }
}

impl From<serde_json::Error> for JournalError {
    fn from(e: serde_json::Error) -> JournalError {
        JournalError::Invalid(format!("unreadable JSON in the journal: {e}"))
    }
}

impl JournalError {
    /// Names the journal file in a SQLite error that does not name one yet.
    pub(crate) fn at(self, path: &Path) -> JournalError {
        match self {
            JournalError::Sqlite { path: p, source } if p.as_os_str().is_empty() => {
                JournalError::Sqlite {
                    path: path.to_path_buf(),
                    source,
                }
            }
            other => other,
        }
    }

    /// A closure naming `path` in errors (`map_err(JournalError::naming(path))`).
    pub(crate) fn naming<E: Into<JournalError>>(path: &Path) -> impl Fn(E) -> JournalError + '_ {
        move |e| e.into().at(path)
    }

    /// Whether SQLite failed because the disk is full or the file is damaged.
    pub fn storage_failure(&self) -> Option<StorageFailure> {
        use rusqlite::ErrorCode;
        let JournalError::Sqlite {
            source: rusqlite::Error::SqliteFailure(e, _),
            ..
        } = self
        else {
            return None;
        };
        match e.code {
            ErrorCode::DiskFull => Some(StorageFailure::DiskFull),
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(StorageFailure::Damaged),
            _ => None,
        }
    }

    /// A SQLite failure with `code` and a message of our own (refusals inside transactions).
    pub(crate) fn sqlite(code: i32, message: String) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message))
    }

    /// The error of a statement stopped by [`crate::Interrupter::interrupt`].
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            JournalError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } if e.code == rusqlite::ErrorCode::OperationInterrupted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_and_a_damaged_file_are_told_apart_from_other_failures() {
        let fail = |code| JournalError::from(JournalError::sqlite(code, "x".into()));
        assert_eq!(
            fail(rusqlite::ffi::SQLITE_FULL).storage_failure(),
            Some(StorageFailure::DiskFull)
        );
        assert_eq!(
            fail(rusqlite::ffi::SQLITE_CORRUPT).storage_failure(),
            Some(StorageFailure::Damaged)
        );
        assert_eq!(
            fail(rusqlite::ffi::SQLITE_NOTADB).storage_failure(),
            Some(StorageFailure::Damaged)
        );
        assert_eq!(fail(rusqlite::ffi::SQLITE_BUSY).storage_failure(), None);
        assert_eq!(JournalError::Invalid("x".into()).storage_failure(), None);
    }

    #[test]
    fn errors_name_the_journal_once() {
        let e = JournalError::from(JournalError::sqlite(
            rusqlite::ffi::SQLITE_BUSY,
            "busy".into(),
        ))
        .at(Path::new("/w/journal.sqlite"))
        .at(Path::new("/other"));
        assert!(e.to_string().starts_with("/w/journal.sqlite: "), "{e}");
    }
}
