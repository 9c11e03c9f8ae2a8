//! A person's SQL (`specsearch query`, `export --sql`): one read-only statement, refused before
//! it runs when it could write (the connection is read-only anyway), with `:run` bound to the
//! selected run, rows streamed into a [`Sink`], and a handle to interrupt it (Ctrl-C).

use rusqlite::Statement;

use crate::error::{JournalError, Result};
use crate::rows::{stream_statement, Sink};
use crate::runs::RunId;
use crate::Journal;

/// The statement without its leading comments and blanks.
fn strip_leading_comments(sql: &str) -> &str {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            return s;
        }
    }
}

/// The first keyword of a statement, for the refusal message.
fn verb(sql: &str) -> String {
    strip_leading_comments(sql)
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Pragmas that only report (SQLite marks some of them as possibly writing because the same
/// pragma with `= value` sets something); the connection is read-only in any case.
const INSPECTION_PRAGMAS: &[&str] = &[
    "application_id",
    "auto_vacuum",
    "collation_list",
    "compile_options",
    "database_list",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "foreign_keys",
    "freelist_count",
    "function_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "journal_mode",
    "page_count",
    "page_size",
    "pragma_list",
    "quick_check",
    "schema_version",
    "table_info",
    "table_list",
    "table_xinfo",
    "user_version",
];

/// Inspection pragmas whose argument (`PRAGMA name(value)`) sets what they report.
const SETTING_PRAGMAS: &[&str] = &[
    "application_id",
    "auto_vacuum",
    "encoding",
    "foreign_keys",
    "journal_mode",
    "page_size",
    "schema_version",
    "user_version",
];

/// The pragma's name (lowercase, without a schema) and whether it has an argument.
fn pragma_parts(sql: &str) -> Option<(String, bool)> {
    if verb(sql) != "PRAGMA" {
        return None;
    }
    let rest = strip_leading_comments(sql)["PRAGMA".len()..].trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let argument = rest[name.len()..].trim_start().starts_with(['(', '=']);
    let name = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    Some((name, argument))
}

/// `PRAGMA name` or `PRAGMA name(argument)` of an inspection pragma (never `= value`, never
/// the argument of a pragma that sets what it reports).
fn is_inspection_pragma(sql: &str) -> bool {
    match pragma_parts(sql) {
        Some((name, argument)) if !sql.contains('=') => {
            INSPECTION_PRAGMAS.contains(&name.as_str())
                && !(argument && SETTING_PRAGMAS.contains(&name.as_str()))
        }
        _ => false,
    }
}

/// The refusal of a pragma that would set something (`PRAGMA journal_mode(delete)`,
/// `PRAGMA user_version = 3`), naming it; `None` for anything else.
fn setting_pragma(sql: &str) -> Option<String> {
    let (name, argument) = pragma_parts(sql)?;
    (argument && (SETTING_PRAGMAS.contains(&name.as_str()) || sql.contains('='))).then(|| {
        format!(
            "refused: PRAGMA {name} with a value would change the journal, and `query` only \
             reads it{}",
            if INSPECTION_PRAGMAS.contains(&name.as_str()) {
                format!(" (`PRAGMA {name}` alone reports the current value)")
            } else {
                String::new()
            }
        )
    })
}

/// One read-only statement of a person's, prepared on a [`Journal`].
pub struct UserQuery<'j> {
    journal: &'j Journal,
    stmt: Statement<'j>,
    binds_run: bool,
}

impl<'j> UserQuery<'j> {
    /// Prepares `sql`, refusing anything that is not a single read-only statement and any
    /// parameter other than `:run`.
    pub(crate) fn prepare(journal: &'j Journal, sql: &str) -> Result<UserQuery<'j>> {
        if strip_leading_comments(sql)
            .trim_end_matches([';', ' ', '\n', '\t', '\r'])
            .is_empty()
        {
            return Err(JournalError::Invalid(
                "the SQL is empty: give one statement, e.g. \"SELECT * FROM run_progress\"".into(),
            ));
        }
        if let Some(refusal) = setting_pragma(sql) {
            return Err(JournalError::Invalid(refusal));
        }
        let stmt = match journal.conn().prepare(sql) {
            Ok(s) => s,
            Err(rusqlite::Error::MultipleStatement) => {
                return Err(JournalError::Invalid(
                    "give one SQL statement at a time (this text has several)".into(),
                ))
            }
            Err(e) => return Err(JournalError::Invalid(e.to_string())),
        };
        if !stmt.readonly() && !is_inspection_pragma(sql) {
            return Err(JournalError::Invalid(format!(
                "refused: `query` only reads the journal, and this {} statement would modify \
                 it; the journal is changed only by `specsearch run` (copy the file if you \
                 want to experiment)",
                verb(sql)
            )));
        }
        let binds_run = stmt
            .parameter_index(":run")
            .map_err(|e| journal.err(e))?
            .is_some();
        if stmt.parameter_count() > usize::from(binds_run) {
            return Err(JournalError::Invalid(
                "the SQL has parameters other than :run; write values into the SQL instead".into(),
            ));
        }
        Ok(UserQuery {
            journal,
            stmt,
            binds_run,
        })
    }

    /// Whether the statement uses `:run` (so a run must be chosen to bind it).
    pub fn binds_run(&self) -> bool {
        self.binds_run
    }

    /// Runs the statement (with `:run` bound to `run`) and feeds every row to `sink`; the
    /// row count.
    pub fn stream(&mut self, run: Option<RunId>, sink: &mut dyn Sink) -> Result<u64> {
        let result = match (self.binds_run, run) {
            (true, Some(id)) => {
                stream_statement(&mut self.stmt, rusqlite::named_params! {":run": id}, sink)
            }
            (true, None) => Err(JournalError::Invalid(
                "the SQL uses :run but no run was chosen".into(),
            )),
            (false, _) => stream_statement(&mut self.stmt, [], sink),
        };
        result.map_err(|e| self.journal.err(e))
    }
}

/// Stops the statement running on a journal's connection (from another thread); the
/// statement returns an error for which [`JournalError::is_interrupted`] holds, and the
/// connection stays sound.
pub struct Interrupter(rusqlite::InterruptHandle);

impl Interrupter {
    pub(crate) fn new(handle: rusqlite::InterruptHandle) -> Interrupter {
        Interrupter(handle)
    }

    pub fn interrupt(&self) {
        self.0.interrupt();
    }
}
