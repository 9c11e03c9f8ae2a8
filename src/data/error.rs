//! The one error type of data preparation, [`DataError`].
//!
//! Every message is written for the model developer who has to fix an input file: it names the
//! file, the 1-based line (as a text editor shows it; the header is line 1), the column and the
//! offending text, and ends with what to do about it.

use std::path::PathBuf;

use super::calendar::ACCEPTED_DATE_FORMATS;
use super::Frequency;

/// Text listing the cell values read as missing, used in several messages.
pub(crate) const MISSING_TOKENS: &str = "an empty cell, NA, N/A, #N/A, NaN, nan or .";

/// Everything that can go wrong while loading or aligning input tables.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error(
        "cannot read `{path}`: {source}; check that the path is right and the file is readable"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A workbook (xlsx, …) that cannot be read as one.
    #[error("cannot read the workbook `{path}`: {message}; save it again as .xlsx, or as CSV")]
    Workbook { path: PathBuf, message: String },

    /// The configured sheet is not in the workbook.
    #[error(
        "`{path}` has no sheet `{sheet}` (its sheets are: {available}); set the table's \
         `sheet` to one of these names"
    )]
    NoSheet {
        path: PathBuf,
        sheet: String,
        available: String,
    },

    /// A `sheet` given for a file that is not a workbook.
    #[error(
        "`{path}` is not a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods), so it has no sheet \
         `{sheet}`; remove the table's `sheet` key or point `path` at the workbook"
    )]
    SheetOnText { path: PathBuf, sheet: String },

    /// The CSV reader itself failed (e.g. an unterminated quote).
    #[error("`{path}` line {line}: malformed CSV ({message}); fix the quoting on that line")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// Nothing at all in the file.
    #[error(
        "`{path}` is empty; expected a header line (a date column, then one column per series) \
         followed by one row per period"
    )]
    Empty { path: PathBuf },

    /// A header line but not a single data row.
    #[error(
        "`{path}` has a header line but no data rows; add one row per period below the header"
    )]
    HeaderOnly { path: PathBuf },

    /// The header is not valid UTF-8 (typically a Latin-1 export from Excel).
    #[error("`{path}` line 1: the header is not valid UTF-8; save the file as \"CSV UTF-8\"")]
    HeaderNotUtf8 { path: PathBuf },

    /// A header cell other than the date column is blank.
    #[error(
        "`{path}` line 1: column {column} has an empty name; give every series column a name \
         (or delete the stray column)"
    )]
    EmptyColumnName { path: PathBuf, column: usize },

    /// The same name twice in one header.
    #[error(
        "`{path}` line 1: column `{name}` appears twice (columns {first} and {second}); rename or \
         remove one of them"
    )]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        first: usize,
        second: usize,
    },

    /// The configured date column is not in the header.
    #[error(
        "`{path}` has no date column `{wanted}` (its columns are: {available}); set the table's \
         date column to one of these names"
    )]
    NoDateColumn {
        path: PathBuf,
        wanted: String,
        available: String,
    },

    /// Only a date column.
    #[error("`{path}` has no series columns besides the date column `{date_column}`{hint}")]
    NoValueColumns {
        path: PathBuf,
        date_column: String,
        /// Extra advice, e.g. about a semicolon delimiter; empty or starting with "; ".
        hint: String,
    },

    /// A data row whose field count differs from the header's.
    #[error(
        "`{path}` line {line}: {found} fields but the header has {expected}; look for an \
         unquoted comma inside a number (write 1234.5, not 1,234.5) or a missing/extra delimiter"
    )]
    FieldCount {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },

    /// A date cell that none of the accepted formats matches.
    #[error(
        "`{path}` line {line}, column `{column}`: cannot read `{text}` as a date{hint}; accepted \
         formats: {formats}",
        formats = ACCEPTED_DATE_FORMATS
    )]
    BadDate {
        path: PathBuf,
        line: u64,
        column: String,
        text: String,
        /// Extra advice for recognisable mistakes; empty or starting with " (".
        hint: String,
    },

    /// A value cell that is neither a finite number nor a missing-value token.
    #[error(
        "`{path}` line {line}, column `{column}`: `{text}` is not a number{hint}; write plain \
         decimal numbers (1234.5, -0.02, 1e-3); a missing value may be {tokens}",
        tokens = MISSING_TOKENS
    )]
    BadNumber {
        path: PathBuf,
        line: u64,
        column: String,
        text: String,
        /// Extra advice for recognisable mistakes; empty or starting with " (".
        hint: String,
    },

    /// Two rows that fall into the same period once snapped to period ends.
    #[error(
        "`{path}`: lines {first_line} (`{first_text}`) and {second_line} (`{second_text}`) both \
         fall in the {frequency_word} period ending {period_end}; keep exactly one row per period"
    )]
    DuplicateDate {
        path: PathBuf,
        first_line: u64,
        first_text: String,
        second_line: u64,
        second_text: String,
        period_end: chrono::NaiveDate,
        frequency_word: &'static str,
    },

    /// Fewer than two rows: the frequency cannot be inferred.
    #[error(
        "`{path}` has only one data row; at least two consecutive periods are needed to tell \
         monthly from quarterly data"
    )]
    TooFewRows { path: PathBuf },

    /// A gap in an otherwise regular calendar.
    #[error(
        "`{path}` line {next_line}: the date `{next_text}` (the {unit} ending {next}) comes \
         {months} months after line {prev_line} (`{prev_text}`, the {unit} ending {prev}); \
         {frequency_word} data must have one row for every {unit} with no gaps: correct the date \
         on line {next_line}, or add the missing {unit}s between them (their values may be left \
         empty)",
        prev_text = .texts[0],
        next_text = .texts[1]
    )]
    IrregularFrequency {
        path: PathBuf,
        prev: chrono::NaiveDate,
        prev_line: u64,
        next: chrono::NaiveDate,
        next_line: u64,
        /// The two dates as written on their lines (boxed: errors stay small).
        texts: Box<[String; 2]>,
        months: i32,
        frequency_word: &'static str,
        unit: &'static str,
    },

    /// Both one-month and three-month steps in one table.
    #[error(
        "`{path}` mixes frequencies: {m_prev} (line {m_prev_line}) to {m_next} (line \
         {m_next_line}) is one month, but {q_prev} (line {q_prev_line}) to {q_next} (line \
         {q_next_line}) is three months; a table must be entirely monthly or entirely quarterly \
         (if it is monthly, two months are missing after {q_prev}; put quarterly series in a \
         separate table)"
    )]
    MixedFrequency {
        path: PathBuf,
        m_prev: chrono::NaiveDate,
        m_prev_line: u64,
        m_next: chrono::NaiveDate,
        m_next_line: u64,
        q_prev: chrono::NaiveDate,
        q_prev_line: u64,
        q_next: chrono::NaiveDate,
        q_next_line: u64,
    },

    /// The same output column name produced by two tables.
    #[error(
        "column `{name}` appears in both `{first}` and `{second}` ({detail}); rename it in one \
         of the files or remove one copy"
    )]
    DuplicateAcrossTables {
        name: String,
        first: PathBuf,
        second: PathBuf,
        detail: String,
    },

    /// A series column uses a name the panel reserves for its helper columns.
    #[error(
        "`{path}`: column `{name}` clashes with the helper column `{name}` ({meaning}) that every \
         panel gets; rename the column"
    )]
    ReservedColumn {
        path: PathBuf,
        name: String,
        meaning: &'static str,
    },
}

impl Frequency {
    /// "monthly" / "quarterly", for messages.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
        }
    }

    /// The other frequency.
    pub(crate) fn other(self) -> Frequency {
        match self {
            Frequency::Monthly => Frequency::Quarterly,
            Frequency::Quarterly => Frequency::Monthly,
        }
    }

    /// "month" / "quarter", for messages.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Frequency::Monthly => "month",
            Frequency::Quarterly => "quarter",
        }
    }
}
