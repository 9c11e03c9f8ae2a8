//! Loading one CSV file into a [`Table`]: header checks, date and number parsing, sorting by date,
//! frequency inference, snapping to period ends, and the optional forward fill.
//!
//! File conventions (documented here because users read errors against them):
//! - comma-separated, first line is the header; cells are trimmed; a UTF-8 byte-order mark is
//!   ignored; completely blank rows (all cells empty, as spreadsheets often append) are skipped;
//! - the date column is the configured one, else a column named `date`/`Date`/`DATE`, else the
//!   first column (which may then have an empty name, as pandas writes an unnamed index);
//! - missing values: an empty cell, `NA`, `N/A`, `#N/A`, `NaN` (any case) or `.`; any other cell
//!   must be a finite decimal number;
//! - rows may be in any order; they are sorted by date (the forward fill runs in date order).

use std::path::Path;

use chrono::NaiveDate;
use sha2::Digest as _;

use super::calendar::{self, CalendarIssue};
use super::{Column, DataError, Frequency, Table, TableSource};

/// One parsed data row, kept with its line number and date text for messages.
struct Row {
    line: u64,
    date_text: String,
    date: NaiveDate,
    values: Vec<f64>,
}

/// Read, check and normalise one CSV table (see the module documentation for the conventions).
///
/// The resulting table has strictly increasing period-end dates without gaps and, when
/// `source.ffill` is set, each column forward-filled in date order (leading gaps stay `NaN`).
pub fn load_table(source: &TableSource) -> Result<Table, DataError> {
    // A workbook sheet is read as the CSV text of its cells, so both kinds of file go through
    // one parser and give identical tables for identical values. Messages then name the sheet
    // with the file, and line numbers are the sheet's row numbers.
    if source.sheet.is_some() && !super::xlsx::is_workbook(source.path) {
        return Err(DataError::SheetOnText {
            path: source.path.to_path_buf(),
            sheet: source.sheet.unwrap_or_default().to_string(),
        });
    }
    // The file is read once: its bytes are hashed and parsed.
    let raw = std::fs::read(source.path).map_err(|e| DataError::Io {
        path: source.path.to_path_buf(),
        source: e,
    })?;
    let sha256 = hex::encode(sha2::Sha256::digest(&raw));
    let (display, bytes, line_offset) = if super::xlsx::is_workbook(source.path) {
        let sheet = super::xlsx::sheet_as_csv(source.path, raw, source.sheet)?;
        (sheet.display, sheet.csv, sheet.first_row)
    } else {
        (source.path.to_path_buf(), raw, 0)
    };
    let mut table = parse_table(
        &display,
        &bytes,
        line_offset,
        source.date_column,
        source.ffill,
    )?;
    table.sha256 = sha256;
    Ok(table)
}

/// Parses CSV text read from `path` (a file, or a workbook sheet shown as `file [sheet name]`);
/// `line_offset` is added to every line number reported.
fn parse_table(
    path: &Path,
    bytes: &[u8],
    line_offset: u64,
    date_column: Option<&str>,
    ffill: bool,
) -> Result<Table, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();

    let header = match records.next() {
        Some(rec) => rec.map_err(|e| csv_error(path, &e, 1))?,
        None => {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            })
        }
    };
    let names = header_names(path, &header)?;
    let date_idx = find_date_column(path, &names, date_column)?;
    check_names(path, &names, date_idx)?;

    let mut rows = Vec::new();
    let mut last_line = 1;
    for rec in records {
        let rec = rec.map_err(|e| csv_error(path, &e, last_line + 1))?;
        let line = rec.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        let line = line + line_offset;
        if rec.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        if rec.len() != names.len() {
            return Err(DataError::FieldCount {
                path: path.to_path_buf(),
                line,
                expected: names.len(),
                found: rec.len(),
            });
        }
        rows.push(parse_row(path, &names, date_idx, line, &rec)?);
    }
    if rows.is_empty() {
        return Err(DataError::HeaderOnly {
            path: path.to_path_buf(),
        });
    }

    // Stable sort: equal dates keep file order, so a duplicate is reported as (earlier, later).
    rows.sort_by_key(|r| r.date);
    let raw: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
    let frequency =
        calendar::infer_frequency(&raw).map_err(|issue| calendar_error(path, &rows, issue))?;
    let dates: Vec<NaiveDate> = raw
        .iter()
        .map(|&d| calendar::snap_to_period_end(d, frequency))
        .collect();

    let mut columns: Vec<Column> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != date_idx)
        .map(|(_, n)| Column {
            name: n.clone(),
            values: Vec::with_capacity(rows.len()),
        })
        .collect();
    for row in &rows {
        for (col, &v) in columns.iter_mut().zip(&row.values) {
            col.values.push(v);
        }
    }
    if ffill {
        for col in &mut columns {
            forward_fill(&mut col.values);
        }
    }
    Ok(Table {
        path: path.to_path_buf(),
        sha256: String::new(),
        frequency,
        dates,
        columns,
    })
}

/// Replace each `NaN` by the last valid value before it; leading `NaN`s stay (pandas `ffill`).
pub(crate) fn forward_fill(values: &mut [f64]) {
    let mut last = f64::NAN;
    for v in values.iter_mut() {
        if v.is_nan() {
            *v = last;
        } else {
            last = *v;
        }
    }
}

/// Decode and trim the header cells.
fn header_names(path: &Path, header: &csv::ByteRecord) -> Result<Vec<String>, DataError> {
    header
        .iter()
        .map(|f| {
            std::str::from_utf8(f)
                .map(|s| s.trim().to_string())
                .map_err(|_| DataError::HeaderNotUtf8 {
                    path: path.to_path_buf(),
                })
        })
        .collect()
}

/// Index of the date column (see [`TableSource::date_column`]).
fn find_date_column(
    path: &Path,
    names: &[String],
    wanted: Option<&str>,
) -> Result<usize, DataError> {
    match wanted {
        Some(w) => {
            names
                .iter()
                .position(|n| n == w.trim())
                .ok_or_else(|| DataError::NoDateColumn {
                    path: path.to_path_buf(),
                    wanted: w.to_string(),
                    available: names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        }
        None => Ok(["date", "Date", "DATE"]
            .iter()
            .find_map(|cand| names.iter().position(|n| n == cand))
            .unwrap_or(0)),
    }
}

/// Reject headers with no series columns, blank series names, or repeated names.
fn check_names(path: &Path, names: &[String], date_idx: usize) -> Result<(), DataError> {
    if names.len() < 2 {
        let delimiter = names.iter().any(|n| n.contains(';') || n.contains('\t'));
        return Err(DataError::NoValueColumns {
            path: path.to_path_buf(),
            date_column: names.first().cloned().unwrap_or_default(),
            hint: if delimiter {
                "; the header contains `;` or tabs, so the file is probably not comma-separated: \
                 save it as comma-separated CSV"
                    .to_string()
            } else {
                "; add at least one series column".to_string()
            },
        });
    }
    for (i, n) in names.iter().enumerate() {
        if i != date_idx && n.is_empty() {
            return Err(DataError::EmptyColumnName {
                path: path.to_path_buf(),
                column: i + 1,
            });
        }
        if let Some(j) = names[..i].iter().position(|m| m == n && !n.is_empty()) {
            return Err(DataError::DuplicateColumn {
                path: path.to_path_buf(),
                name: n.clone(),
                first: j + 1,
                second: i + 1,
            });
        }
    }
    Ok(())
}

/// Parse one data row (already known to have the header's field count).
fn parse_row(
    path: &Path,
    names: &[String],
    date_idx: usize,
    line: u64,
    rec: &csv::ByteRecord,
) -> Result<Row, DataError> {
    let mut date = None;
    let mut date_text = String::new();
    let mut values = Vec::with_capacity(names.len() - 1);
    for (i, field) in rec.iter().enumerate() {
        // Lossy decoding is safe: a valid date or number is ASCII, so a replaced byte can only turn
        // an already-invalid cell into a still-invalid one, which is then reported.
        let text = String::from_utf8_lossy(field);
        let text = text.trim();
        if i == date_idx {
            date = calendar::parse_date(text);
            date_text = text.to_string();
            if date.is_none() {
                return Err(DataError::BadDate {
                    path: path.to_path_buf(),
                    line,
                    column: names[i].clone(),
                    text: text.to_string(),
                    hint: calendar::date_hint(text),
                });
            }
        } else {
            values.push(parse_value(text).map_err(|hint| DataError::BadNumber {
                path: path.to_path_buf(),
                line,
                column: names[i].clone(),
                text: text.to_string(),
                hint,
            })?);
        }
    }
    Ok(Row {
        line,
        date_text,
        date: date.unwrap_or(NaiveDate::MIN),
        values,
    })
}

/// Parse a value cell: a missing-value token gives `NaN`, otherwise a finite decimal number.
/// The error is a hint (empty, or starting with " (") for the message.
fn parse_value(text: &str) -> Result<f64, String> {
    if text.is_empty()
        || matches!(text, "NA" | "N/A" | "#N/A" | ".")
        || text.eq_ignore_ascii_case("nan")
    {
        return Ok(f64::NAN);
    }
    // Only plain decimal notation: Rust would also accept "inf" or "infinity", which have no
    // place in a data file.
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if plain {
        if let Ok(v) = text.parse::<f64>() {
            if v.is_finite() {
                return Ok(v);
            }
            return Err(" (it is too large to be a finite number)".to_string());
        }
    }
    let hint = if text.contains(',') {
        " (remove thousands separators; use `.` as the decimal point)"
    } else if text.ends_with('%') {
        " (drop the `%` sign and store the number itself)"
    } else if text.contains(['$', '€', '£']) {
        " (drop the currency symbol)"
    } else if text.to_ascii_lowercase().contains("inf") {
        " (infinite values are not allowed)"
    } else {
        ""
    };
    Err(hint.to_string())
}

/// Turn a [`CalendarIssue`] about sorted rows into a message naming lines and dates.
fn calendar_error(path: &Path, rows: &[Row], issue: CalendarIssue) -> DataError {
    let path = path.to_path_buf();
    match issue {
        CalendarIssue::TooFewRows => DataError::TooFewRows { path },
        CalendarIssue::SamePeriod { a, b, frequency } => {
            // Sorting is stable, so `a` precedes `b` in the file unless its date is earlier.
            let (first, second) = if rows[a].line <= rows[b].line {
                (&rows[a], &rows[b])
            } else {
                (&rows[b], &rows[a])
            };
            DataError::DuplicateDate {
                path,
                first_line: first.line,
                first_text: first.date_text.clone(),
                second_line: second.line,
                second_text: second.date_text.clone(),
                period_end: calendar::snap_to_period_end(rows[a].date, frequency),
                frequency_word: frequency.word(),
            }
        }
        CalendarIssue::Gap {
            prev,
            next,
            months,
            frequency,
        } => DataError::IrregularFrequency {
            path,
            prev: calendar::snap_to_period_end(rows[prev].date, frequency),
            prev_line: rows[prev].line,
            next: calendar::snap_to_period_end(rows[next].date, frequency),
            next_line: rows[next].line,
            texts: Box::new([rows[prev].date_text.clone(), rows[next].date_text.clone()]),
            months,
            frequency_word: frequency.word(),
            unit: frequency.unit(),
        },
        CalendarIssue::Mixed { m, q } => DataError::MixedFrequency {
            path,
            m_prev: calendar::snap_to_period_end(rows[m].date, Frequency::Monthly),
            m_prev_line: rows[m].line,
            m_next: calendar::snap_to_period_end(rows[m + 1].date, Frequency::Monthly),
            m_next_line: rows[m + 1].line,
            q_prev: calendar::snap_to_period_end(rows[q].date, Frequency::Monthly),
            q_prev_line: rows[q].line,
            q_next: calendar::snap_to_period_end(rows[q + 1].date, Frequency::Monthly),
            q_next_line: rows[q + 1].line,
        },
    }
}

/// Map a CSV reader failure to a message with the best line number available.
fn csv_error(path: &Path, e: &csv::Error, fallback_line: u64) -> DataError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return DataError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    DataError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(fallback_line, |p| p.line()),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_missing_tokens() {
        assert_eq!(parse_value("1.5e-3"), Ok(1.5e-3));
        assert_eq!(parse_value("-2"), Ok(-2.0));
        for t in ["", "NA", "N/A", "#N/A", ".", "NaN", "nan", "NAN"] {
            assert!(parse_value(t).unwrap().is_nan(), "{t}");
        }
        for t in ["inf", "1,234", "5%", "$3", "abc", "1e999", "--1"] {
            assert!(parse_value(t).is_err(), "{t}");
        }
    }

    #[test]
    fn forward_fill_keeps_leading_gaps() {
        let mut v = [f64::NAN, 1.0, f64::NAN, f64::NAN, 4.0, f64::NAN];
        forward_fill(&mut v);
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], &[1.0, 1.0, 1.0, 4.0, 4.0]);
    }
}
