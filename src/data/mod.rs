//! Input data: loading CSV tables of a target series and macro-economic variables (MEVs), and
//! aligning them onto the target's calendar (docs/semantics.md §1 "Data preparation").
//!
//! Flow: [`load_table`] reads one CSV file or workbook sheet (`xlsx`) into a [`Table`] (dates snapped to period ends,
//! frequency inferred and checked, optional forward fill); [`align`] puts the target table and the
//! MEV tables on one [`Panel`], converting quarterly MEVs to monthly
//! ([`quarterly_to_monthly`]) or monthly MEVs to quarterly ([`monthly_to_quarterly_mean`]) as the
//! target's frequency requires. Every failure is a [`DataError`] whose message tells the model
//! developer which file, line and column to fix.
//!
//! Submodules: `calendar` (date text, snapping, frequency inference), `csv_table` (loading), `xlsx` (workbook sheets as CSV text),
//! `interpolate` (frequency conversion), `align` (the panel), `error` (the error type).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod align;
mod calendar;
mod csv_table;
mod error;
mod interpolate;
mod sample;
mod xlsx;

pub use align::align;
pub use calendar::{parse_date, snap_to_period_end};
pub use csv_table::load_table;
pub use error::DataError;
pub use interpolate::{monthly_to_quarterly_mean, quarterly_to_monthly};
pub use sample::Sample;
pub use xlsx::is_workbook;

/// Observation frequency of a table or panel. Serialises as `"M"` / `"Q"`, like its `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Frequency {
    /// One row per calendar month, dated at month ends.
    #[serde(rename = "M")]
    Monthly,
    /// One row per calendar quarter, dated at quarter ends.
    #[serde(rename = "Q")]
    Quarterly,
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Frequency::Monthly => "M",
            Frequency::Quarterly => "Q",
        })
    }
}

/// How a quarterly value relates to the months inside the quarter; drives quarterly → monthly
/// interpolation (see [`quarterly_to_monthly`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// The quarterly value is the mean of its three months (e.g. an average rate or index).
    #[default]
    Average,
    /// The quarterly value is the sum of its three months (a flow, e.g. GDP in a quarter).
    Sum,
    /// The quarterly value is the value at the quarter's end (a stock or end-of-period reading).
    End,
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aggregation::Average => "average",
            Aggregation::Sum => "sum",
            Aggregation::End => "end",
        })
    }
}

/// One named series; `NaN` marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Vec<f64>,
}

/// One loaded CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file it came from, for messages.
    pub path: PathBuf,
    /// sha256 (hex) of the file's bytes as they were read (the whole workbook for a sheet):
    /// what the frozen bundle records of its sources, hashed from the one read.
    pub sha256: String,
    pub frequency: Frequency,
    /// Period ends (month-end or quarter-end dates), strictly increasing and without gaps.
    pub dates: Vec<NaiveDate>,
    /// Series columns in file order (the date column excluded), each as long as `dates`.
    pub columns: Vec<Column>,
}

/// Where and how to load one table.
#[derive(Debug, Clone, Copy)]
pub struct TableSource<'a> {
    pub path: &'a Path,
    /// Name of the date column; `None`: a column named `date`, `Date` or `DATE`, else the first.
    pub date_column: Option<&'a str>,
    /// Forward-fill missing values per column (in date order) right after loading.
    pub ffill: bool,
    /// The sheet of a workbook (xlsx, …) to read; `None`: its first sheet. Must be `None`
    /// for a CSV file.
    pub sheet: Option<&'a str>,
}

/// All series on the target table's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub frequency: Frequency,
    /// The target table's dates.
    pub dates: Vec<NaiveDate>,
    /// Target-table columns, then MEV columns in table/column order, then the helpers `M`
    /// (month 1–12) and `Q` (quarter 1–4).
    pub columns: Vec<Column>,
}

impl Panel {
    /// Values of the column with this exact name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.values.as_slice())
    }

    /// Row of this date; the date must be the exact period end (use [`snap_to_period_end`]).
    pub fn index_of_date(&self, d: NaiveDate) -> Option<usize> {
        self.dates.binary_search(&d).ok()
    }
}
