//! Workbook sheets (xlsx, xlsm, xlsb, xls, ods) as input tables, read with `calamine`.
//!
//! A sheet is turned into the CSV text of its cells and parsed by the CSV loader, so a sheet
//! and a CSV file holding the same values give the same table bit for bit: numbers are written
//! in their shortest round-trip decimal form, dates as `YYYY-MM-DD`, empty cells and `#N/A` as
//! missing, any other error cell (`#DIV/0!`, …) and text as they are (a non-numeric cell is then
//! reported with its row and column). Messages name the file and the sheet.

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto_from_rs, CellErrorType, Data, Reader};
use chrono::{Duration, NaiveDate};

use super::DataError;

/// One sheet of a workbook as CSV text.
pub(crate) struct SheetText {
    /// How messages name it: `file.xlsx [sheet NAME]`.
    pub display: PathBuf,
    pub csv: Vec<u8>,
    /// 0-based row of the sheet's first used row (added to CSV line numbers, so they are the
    /// sheet's row numbers).
    pub first_row: u64,
}

/// Whether `path` names a workbook (by its extension) rather than a CSV file.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods"))
}

/// Reads sheet `sheet` (default: the first) of the workbook read from `path` (its `bytes`).
pub(crate) fn sheet_as_csv(
    path: &Path,
    bytes: Vec<u8>,
    sheet: Option<&str>,
) -> Result<SheetText, DataError> {
    let mut book =
        open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| match e {
            calamine::Error::Io(source) => DataError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => DataError::Workbook {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .ok_or_else(|| DataError::NoSheet {
                path: path.to_path_buf(),
                sheet: wanted.to_string(),
                available: names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None => names.first().cloned().ok_or_else(|| DataError::Workbook {
            path: path.to_path_buf(),
            message: "the workbook has no sheets".into(),
        })?,
    };
    let display = PathBuf::from(format!("{} [sheet {name}]", path.display()));
    let range = book
        .worksheet_range(&name)
        .map_err(|e| DataError::Workbook {
            path: display.clone(),
            message: e.to_string(),
        })?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        out.write_record(&cells).map_err(|e| DataError::Workbook {
            path: display.clone(),
            message: e.to_string(),
        })?;
    }
    let csv = out.into_inner().map_err(|e| DataError::Workbook {
        path: display.clone(),
        message: e.to_string(),
    })?;
    Ok(SheetText {
        display,
        csv,
        first_row,
    })
}

/// The text of a cell as the CSV loader reads it.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Int(i) => i.to_string(),
        // `Display` of f64 is the shortest text that parses back to the same value.
        Data::Float(f) => f.to_string(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => serial_date(dt.as_f64())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        Data::Error(CellErrorType::NA) => "#N/A".to_string(),
        Data::Error(e) => e.to_string(),
    }
}

/// The calendar date of an Excel serial date (1900 date system, whose day 0 is 1899-12-30
/// because of Excel's phantom 1900-02-29); the time of day is dropped.
fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || serial < 1.0 {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(serial.floor() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates_by_hand() {
        // Excel shows 45291 as 2023-12-31 and 36616 as 2000-03-31.
        assert_eq!(serial_date(45291.0), NaiveDate::from_ymd_opt(2023, 12, 31));
        assert_eq!(serial_date(36616.75), NaiveDate::from_ymd_opt(2000, 3, 31));
        assert_eq!(serial_date(0.5), None);
    }

    #[test]
    fn cells_as_text() {
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(1707.4)), "1707.4");
        assert_eq!(cell_text(&Data::Float(-2.5e-7)).parse::<f64>(), Ok(-2.5e-7));
        assert_eq!(cell_text(&Data::Int(3)), "3");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::Error(CellErrorType::NA)), "#N/A");
        assert!(is_workbook(Path::new("a/b.XLSX")));
        assert!(!is_workbook(Path::new("a/b.csv")));
    }
}
