//! Building the [`Panel`]: every series of the target and MEV tables on the target table's
//! calendar, with frequency conversion, naming of codes present at both frequencies, and the
//! helper columns `M` and `Q`.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};

use super::calendar::snap_to_period_end;
use super::interpolate::{monthly_to_quarterly_mean, quarterly_to_monthly};
use super::{Aggregation, Column, DataError, Frequency, Panel, Table};

/// Names of the helper columns every panel gets, with their meaning for messages.
const HELPERS: [(&str, &str); 2] = [("M", "month of the year, 1–12"), ("Q", "quarter, 1–4")];

/// Align the target table and the MEV tables onto the target's calendar.
///
/// - The panel's frequency and dates are the target table's.
/// - Columns: the target table's (all kept, including MEV-like ones), then each MEV table's in
///   table and column order, then `M` (month 1–12) and `Q` (quarter 1–4).
/// - An MEV table at the target's frequency is re-indexed onto the target dates (`NaN` where it
///   has no row). At the other frequency, each column is first converted over the MEV table's own
///   full date range, then re-indexed: quarterly → monthly by [`quarterly_to_monthly`] with
///   `aggregation(code)`, monthly → quarterly by [`monthly_to_quarterly_mean`].
/// - Naming: a code present at both frequencies keeps its plain name for the native (target
///   frequency) copy; the converted copy is named `<code>_Q` (quarterly-native, now monthly) or
///   `<code>_M` (monthly-native, now quarterly). A code only present at the other frequency keeps
///   its plain name. `aggregation` is always called with the plain code.
///
/// Errors: a name appearing in two tables of the same frequency (naming both files), a converted
/// `<code>_Q`/`<code>_M` clashing with an existing column, or a column named `M` or `Q`.
pub fn align(
    target: &Table,
    mevs: &[Table],
    aggregation: &dyn Fn(&str) -> Aggregation,
) -> Result<Panel, DataError> {
    let frequency = target.frequency;
    let tables: Vec<&Table> = std::iter::once(target).chain(mevs).collect();
    check_reserved(&tables)?;

    // Which file each plain code comes from, per frequency; a repeat within one frequency is an
    // error. The target table counts as native.
    let mut native: HashMap<&str, &PathBuf> = HashMap::new();
    let mut foreign: HashMap<&str, &PathBuf> = HashMap::new();
    for table in &tables {
        let word = table.frequency.word();
        let seen = if table.frequency == frequency {
            &mut native
        } else {
            &mut foreign
        };
        for col in &table.columns {
            if let Some(first) = seen.insert(&col.name, &table.path) {
                return Err(DataError::DuplicateAcrossTables {
                    name: col.name.clone(),
                    first: first.clone(),
                    second: table.path.clone(),
                    detail: format!("both {word}"),
                });
            }
        }
    }

    let suffix = match frequency {
        Frequency::Monthly => "_Q",
        Frequency::Quarterly => "_M",
    };
    // Output name of every column, in panel order. A renamed copy (`GDP_Q`) may collide with a
    // column that already has that name in any table, which the loop below reports.
    let mut out_names: Vec<Vec<String>> = Vec::with_capacity(tables.len());
    let mut taken: HashMap<String, (&PathBuf, &str)> = HashMap::new();
    for table in &tables {
        let mut names = Vec::with_capacity(table.columns.len());
        for col in &table.columns {
            let renamed = table.frequency != frequency && native.contains_key(col.name.as_str());
            let name = if renamed {
                format!("{}{suffix}", col.name)
            } else {
                col.name.clone()
            };
            if let Some((other_path, other_code)) =
                taken.insert(name.clone(), (&table.path, &col.name))
            {
                let code = if renamed {
                    col.name.as_str()
                } else {
                    other_code
                };
                return Err(DataError::DuplicateAcrossTables {
                    first: other_path.clone(),
                    second: table.path.clone(),
                    detail: format!(
                        "`{code}` is present at both frequencies, so its {} copy is renamed \
                         `{name}`, a name another column already has",
                        frequency.other().word(),
                    ),
                    name,
                });
            }
            names.push(name);
        }
        out_names.push(names);
    }

    let mut columns = Vec::new();
    for (table, names) in tables.iter().zip(out_names) {
        if table.frequency == frequency {
            let rows = row_lookup(&target.dates, &table.dates, frequency);
            for (col, name) in table.columns.iter().zip(names) {
                columns.push(Column {
                    name,
                    values: reindex(&rows, &col.values),
                });
            }
            continue;
        }
        // The converted grid depends only on the dates, so the row lookup is built once per table.
        let mut rows = None;
        for (col, name) in table.columns.iter().zip(names) {
            let (grid, values) = match table.frequency {
                Frequency::Quarterly => {
                    quarterly_to_monthly(&table.dates, &col.values, aggregation(&col.name))
                }
                Frequency::Monthly => monthly_to_quarterly_mean(&table.dates, &col.values),
            };
            let rows = rows.get_or_insert_with(|| row_lookup(&target.dates, &grid, frequency));
            columns.push(Column {
                name,
                values: reindex(rows, &values),
            });
        }
    }

    columns.push(Column {
        name: HELPERS[0].0.to_string(),
        values: target.dates.iter().map(|d| f64::from(d.month())).collect(),
    });
    columns.push(Column {
        name: HELPERS[1].0.to_string(),
        values: target
            .dates
            .iter()
            .map(|d| f64::from(d.month0() / 3 + 1))
            .collect(),
    });
    Ok(Panel {
        frequency,
        dates: target.dates.clone(),
        columns,
    })
}

/// Reject series columns named like a helper column.
fn check_reserved(tables: &[&Table]) -> Result<(), DataError> {
    for table in tables {
        for col in &table.columns {
            if let Some(&(name, meaning)) = HELPERS.iter().find(|(n, _)| *n == col.name) {
                return Err(DataError::ReservedColumn {
                    path: table.path.clone(),
                    name: name.to_string(),
                    meaning,
                });
            }
        }
    }
    Ok(())
}

/// For each panel date, the position of the same period in `source` (if any). Source dates are
/// snapped first so hand-built tables with mid-period dates still line up.
fn row_lookup(panel: &[NaiveDate], source: &[NaiveDate], f: Frequency) -> Vec<Option<usize>> {
    let pos: HashMap<NaiveDate, usize> = source
        .iter()
        .enumerate()
        .map(|(i, &d)| (snap_to_period_end(d, f), i))
        .collect();
    panel
        .iter()
        .map(|&d| pos.get(&snap_to_period_end(d, f)).copied())
        .collect()
}

/// Pick `values` at the looked-up rows, `NaN` where the source has none.
fn reindex(rows: &[Option<usize>], values: &[f64]) -> Vec<f64> {
    rows.iter()
        .map(|r| r.and_then(|i| values.get(i).copied()).unwrap_or(f64::NAN))
        .collect()
}
