//! The model workbook (`export --format xlsx`): one Excel file of a run for validators and
//! model-risk teams — a summary sheet (the run, its config, data files with their sha256, the
//! outcome mix), the ranking (with the incumbent and the benchmarks, marked), and a sheet per
//! selected model (the coefficients as `show` prints them, the tests, the fit, the scenario
//! statistics, the fitted-vs-actual series and the scenario paths, each series with a native
//! Excel line chart), plus the incumbent's sheet. Numbers are written as numbers (percentages
//! formatted as %, dates as dates), header rows are frozen. Any other export goes to one sheet
//! ([`write_table`]).
//!
//! A model sheet is a column of tables laid out by [`ModelSheet::table`]: adding a table (the
//! sensitivity, stability or backtest tables of a run that has them) is one call.

use anyhow::{anyhow, Context, Result};
use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Workbook, Worksheet};

use super::model::{self, ModelReport, ReportOptions, StabilityTables};
use super::table::{Cell, Table};
use super::OpenJournal;
use crate::journal::{Ranking, RunRow, RunStatus};

/// Excel's last row (1,048,576 rows, one of them the header).
const MAX_ROWS: usize = 1_048_575;

/// What a workbook holds.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookReport {
    pub sheets: Vec<String>,
    pub models: usize,
    pub charts: usize,
}

/// The formats of a workbook.
struct Formats {
    header: Format,
    title: Format,
    percent: Format,
    date: Format,
    timestamp: Format,
    real: Format,
    int: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(13),
            percent: Format::new().set_num_format("0.00%"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            timestamp: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            real: Format::new().set_num_format("0.000000"),
            int: Format::new().set_num_format("0"),
        }
    }
}

/// Columns holding fractions shown as percentages: the rule of the terminal and the report.
fn is_percent(column: &str) -> bool {
    crate::results::table::is_fraction_column(column)
}

/// A journal timestamp (`2026-01-31T12:00:00.000Z`, UTC).
fn timestamp_of(text: &str) -> Option<ExcelDateTime> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3fZ").ok()?;
    use chrono::{Datelike, Timelike};
    ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
        .ok()?
        .and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64)
        .ok()
}

fn date_of(text: &str) -> Option<ExcelDateTime> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}

/// Writes one cell: numbers as numbers (percent columns as %), ISO dates as dates, text as
/// text; a missing value stays empty.
fn write_cell(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    column: &str,
    cell: &Cell,
) -> Result<()> {
    match cell {
        Cell::Null => {}
        Cell::Int(i) => {
            ws.write_number_with_format(row, col, *i as f64, &f.int)?;
        }
        Cell::Real(v) if v.is_finite() => {
            let format = if is_percent(column) {
                &f.percent
            } else {
                &f.real
            };
            ws.write_number_with_format(row, col, *v, format)?;
        }
        Cell::Real(_) => {}
        Cell::Text(t) => match (date_of(t), timestamp_of(t)) {
            (Some(d), _) => {
                ws.write_datetime_with_format(row, col, d, &f.date)?;
            }
            (None, Some(d)) => {
                ws.write_datetime_with_format(row, col, d, &f.timestamp)?;
            }
            (None, None) => {
                ws.write_string(row, col, t)?;
            }
        },
        Cell::Blob(b) => {
            ws.write_string(row, col, hex::encode(b))?;
        }
    }
    Ok(())
}

/// Writes `t` with its header at `first`; the row after its last.
fn write_rows(ws: &mut Worksheet, f: &Formats, first: u32, t: &Table) -> Result<u32> {
    for (c, name) in t.columns.iter().enumerate() {
        ws.write_string_with_format(first, c as u16, name, &f.header)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        // A (field, value) table names each value's meaning in its first cell.
        let field = row.first().and_then(|c| c.as_str()).unwrap_or_default();
        for (c, cell) in row.iter().enumerate() {
            let column = match t.columns[c].as_str() {
                "value" if is_percent(field) => field,
                name => name,
            };
            write_cell(ws, f, first + 1 + r as u32, c as u16, column, cell)?;
        }
    }
    Ok(first + 1 + t.rows.len() as u32)
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    cleaned.chars().take(31).collect()
}

/// Writes the workbook to `file` (the destination's temporary file, renamed into place once
/// complete, or a stream).
fn save(book: &mut Workbook, file: &std::fs::File) -> Result<()> {
    use std::io::Write;
    let bytes = book.save_to_buffer().context("writing the workbook")?;
    (&*file).write_all(&bytes).context("writing the workbook")?;
    Ok(())
}

/// One table as a workbook of one sheet `sheet` (any `export --what` but the model workbook),
/// with a frozen header row and `note` (e.g. that the run is partial) in a second sheet.
pub fn write_table(
    t: &Table,
    sheet: &str,
    note: Option<&str>,
    output: &std::fs::File,
) -> Result<u64> {
    if t.rows.len() > MAX_ROWS {
        return Err(anyhow!(
            "{} rows do not fit in one Excel sheet (at most {MAX_ROWS}): export them as CSV or \
             Parquet, or select fewer with --sql",
            t.rows.len()
        ));
    }
    let f = Formats::new();
    let mut book = Workbook::new();
    {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(sheet))?;
        write_rows(ws, &f, 0, t)?;
        ws.set_freeze_panes(1, 0)?;
    }
    if let Some(note) = note {
        let ws = book.add_worksheet();
        ws.set_name("note")?;
        ws.write_string(0, 0, note)?;
    }
    save(&mut book, output)?;
    Ok(t.rows.len() as u64)
}

/// A model's sheet: tables one below the other, charts to their right.
pub struct ModelSheet<'a> {
    ws: &'a mut Worksheet,
    name: String,
    f: &'a Formats,
    next: u32,
    charts: usize,
}

impl ModelSheet<'_> {
    /// A bold title line.
    pub fn line(&mut self, text: &str, bold: bool) -> Result<()> {
        if bold {
            self.ws
                .write_string_with_format(self.next, 0, text, &self.f.title)?;
        } else {
            self.ws.write_string(self.next, 0, text)?;
        }
        self.next += 1;
        Ok(())
    }

    /// A titled table below the last one; the (header row, last data row) it took. Empty tables
    /// are left out.
    pub fn table(&mut self, title: &str, t: &Table) -> Result<Option<(u32, u32)>> {
        if t.rows.is_empty() {
            return Ok(None);
        }
        self.next += 1;
        self.ws
            .write_string_with_format(self.next, 0, title, &self.f.title)?;
        let header = self.next + 1;
        let end = write_rows(self.ws, self.f, header, t)?;
        self.next = end;
        Ok(Some((header, end - 1)))
    }

    /// A line chart of columns `values` of a table written at `rows` (header, last row) with
    /// its first column as categories, placed to the right of the tables.
    pub fn chart(
        &mut self,
        title: &str,
        rows: (u32, u32),
        values: &[(u16, &str)],
        y_axis: &str,
    ) -> Result<()> {
        let (header, last) = rows;
        let mut chart = Chart::new(ChartType::Line);
        for &(col, name) in values {
            chart
                .add_series()
                .set_name(name)
                .set_categories((self.name.as_str(), header + 1, 0, last, 0))
                .set_values((self.name.as_str(), header + 1, col, last, col));
        }
        chart.title().set_name(title);
        chart.y_axis().set_name(y_axis);
        chart.x_axis().set_name("date");
        self.ws
            .insert_chart(1 + 22 * self.charts as u32, 14, &chart)?;
        self.charts += 1;
        Ok(())
    }
}

/// Writes a model's sheet: its report's tables, its series with the fitted-vs-actual chart and
/// its scenario paths with their chart.
fn model_sheet(
    book: &mut Workbook,
    f: &Formats,
    name: &str,
    report: &ModelReport,
    paths: &[crate::journal::LevelPath],
    series: Option<Table>,
) -> Result<usize> {
    let ws = book.add_worksheet();
    let name = sheet_name(name);
    ws.set_name(&name)?;
    ws.set_column_width(0, 22)?;
    let mut sheet = ModelSheet {
        ws,
        name,
        f,
        next: 0,
        charts: 0,
    };
    sheet.line(&report.title(), true)?;
    sheet.line(&report.subtitle().replace('\n', "; "), false)?;
    sheet.ws.set_freeze_panes(2, 0)?;
    sheet.table("Coefficients", &report.coefficients())?;
    sheet.table("Model", &report.model_statistics())?;
    sheet.table("Tests", &report.tests())?;
    sheet.table("Fit", &report.fit())?;
    sheet.table("Features", &report.features_table())?;
    if let Some(t) = &report.scenarios {
        sheet.table("Scenario statistics", t)?;
    }
    // The validation's tables, when the run validated this model (§10–§12).
    if let Some(t) = &report.sensitivity {
        sheet.table("Sensitivity (9Q change of the level)", t)?;
    }
    if let Some(t) = &report.attribution {
        sheet.table("Attribution (9Q change with the feature held at p0)", t)?;
    }
    if let Some(stability) = &report.stability {
        for (part, t) in stability.parts() {
            sheet.table(StabilityTables::title(part), &t)?;
        }
    }
    if let Some(series) = series {
        if let Some(rows) = sheet.table("Fitted vs actual", &series)? {
            sheet.chart(
                "Fitted vs actual",
                rows,
                &[(1, "actual"), (2, "fitted")],
                &report.target,
            )?;
        }
    }
    if !paths.is_empty() {
        let mut t = Table::new(
            &std::iter::once("date")
                .chain(paths.iter().map(|(s, _)| s.as_str()))
                .collect::<Vec<_>>(),
        );
        for (i, (date, _)) in paths[0].1.iter().enumerate() {
            let mut row = vec![Cell::Text(date.clone())];
            row.extend(
                paths
                    .iter()
                    .map(|(_, p)| p.get(i).map_or(Cell::Null, |v| Cell::Real(v.1))),
            );
            t.push(row);
        }
        if let Some(rows) = sheet.table("Scenario paths (level)", &t)? {
            let values: Vec<(u16, &str)> = paths
                .iter()
                .enumerate()
                .map(|(k, (s, _))| (k as u16 + 1, s.as_str()))
                .collect();
            sheet.chart("Scenario paths", rows, &values, "level")?;
        }
    }
    Ok(sheet.charts)
}

/// The series table of a model (date, actual, fitted or predicted, in-sample flag).
fn series_table(report: &ModelReport) -> Option<Table> {
    let s = report.series().ok()?;
    let full = s.table();
    let keep: Vec<&str> = ["date", "actual", "fitted", "sample"]
        .into_iter()
        .filter(|c| full.col(c).is_some())
        .collect();
    (keep.len() >= 3).then(|| full.select(&keep))
}

/// The incumbent's series from its journaled fit: its dates and fitted values, the actual
/// target from the run's bundle when it is there.
fn journaled_series(j: &OpenJournal, run: &RunRow, fit: &crate::journal::BenchmarkFit) -> Table {
    let actual = j.run_bundle(run).ok().and_then(|b| {
        super::series::ModelData::from_store(b, &run.target, &[])
            .ok()
            .map(|d| (d.dates, d.actual))
    });
    let mut t = Table::new(&["date", "actual", "fitted"]);
    for (date, fitted) in fit.dates.iter().zip(&fit.fitted) {
        let a = actual.as_ref().and_then(|(dates, values)| {
            dates
                .iter()
                .position(|d| d.format("%Y-%m-%d").to_string() == *date)
                .map(|i| values[i])
        });
        t.push(vec![
            Cell::Text(date.clone()),
            a.map_or(Cell::Null, Cell::Real),
            Cell::Real(*fitted),
        ]);
    }
    t
}

/// Writes the model workbook of `run`: summary, ranking, the best `top` models (or `specs`)
/// and the incumbent.
pub fn write_model_workbook(
    j: &OpenJournal,
    run: &RunRow,
    top: usize,
    options: ReportOptions,
    output: &super::output::Destination,
) -> Result<WorkbookReport> {
    let journal = &j.journal;
    let f = Formats::new();
    let mut book = Workbook::new();
    let mut sheets = Vec::new();

    // Summary.
    {
        let ws = book.add_worksheet();
        ws.set_name("Summary")?;
        ws.set_column_width(0, 24)?;
        ws.set_column_width(1, 70)?;
        let counts = journal.counts(run.run_id)?;
        let mut t = Table::new(&["field", "value"]);
        let mut add = |k: &str, v: Cell| t.push(vec![Cell::Text(k.into()), v]);
        add(
            "run",
            Cell::Text(format!("{} (id {})", run.name, run.run_id)),
        );
        add("status", Cell::Text(run.status.to_string()));
        add("config", Cell::Text(run.config_path.clone()));
        add("target", Cell::Text(run.target.clone()));
        add("created", Cell::Text(run.created_at.clone()));
        add(
            "finished",
            run.finished_at.clone().map_or(Cell::Null, Cell::Text),
        );
        add("search hash", Cell::Text(run.search_hash.clone()));
        add("bundle hash", Cell::Text(run.bundle_hash.clone()));
        add("specs", Cell::Int(run.spec_count as i64));
        add("evaluated", Cell::Int(counts.evaluated as i64));
        let share = |n: u64| {
            if counts.evaluated > 0 {
                Cell::Real(n as f64 / counts.evaluated as f64)
            } else {
                Cell::Null
            }
        };
        add("passed", Cell::Int(counts.passed as i64));
        add("pct_passed", share(counts.passed));
        add("filtered", Cell::Int(counts.filtered as i64));
        add("pct_filtered", share(counts.filtered));
        add("errors", Cell::Int(counts.errors as i64));
        add("pct_errors", share(counts.errors));
        let mut next = write_rows(ws, &f, 0, &t)?;
        ws.set_freeze_panes(1, 0)?;
        if let Some(inputs) = journal.run_inputs(run.run_id)? {
            let mut d = Table::new(&["data file", "sha256"]);
            for (p, h) in &inputs.sources {
                d.push(vec![Cell::Text(p.clone()), Cell::Text(h.clone())]);
            }
            next = write_rows(ws, &f, next + 1, &d)?;
            let mut s = Table::new(&["sample", "date"]);
            for (k, v) in [
                ("first date", &inputs.first_date),
                ("in_start", &inputs.in_start),
                ("in_end", &inputs.in_end),
                ("full_end", &inputs.full_end),
                ("last date", &inputs.last_date),
            ] {
                s.push(vec![Cell::Text(k.into()), Cell::Text(v.clone())]);
            }
            next = write_rows(ws, &f, next + 1, &s)?;
        }
        let mix = journal.failures_by_test(run.run_id)?;
        if !mix.rows.is_empty() {
            let mut m = mix.clone();
            // Percent columns of the view are in percent units: as fractions for Excel's %.
            for name in ["percent_of_outcomes", "percent_of_filtered"] {
                if let Some(c) = m.col(name) {
                    m.columns[c] = name.replace("percent_", "pct_");
                    for row in &mut m.rows {
                        if let Some(v) = row[c].as_f64() {
                            row[c] = Cell::Real(v / 100.0);
                        }
                    }
                }
            }
            next = write_rows(ws, &f, next + 1, &m)?;
        }
        let config = journal.config_text(run.run_id)?;
        ws.write_string_with_format(next + 1, 0, "config", &f.header)?;
        for (i, line) in config.lines().enumerate() {
            ws.write_string(next + 2 + i as u32, 0, line)?;
        }
        sheets.push("Summary".to_string());
    }

    // Ranking.
    let ranking = if journal.has_stored_ranking(run.run_id)? {
        Ranking::Stored
    } else {
        Ranking::Weights(j.run_weights(run))
    };
    let mut all = journal.passed_models(run.run_id, &ranking, None, false)?;
    super::benchmarks::add_columns(journal, run.run_id, &ranking, &mut all)?;
    super::benchmarks::append_rows(journal, run.run_id, &j.run_weights(run), &mut all)?;
    let ranked: Vec<u64> = (0..all.rows.len())
        .filter(|&r| all.get(r, "rank").as_i64().is_some())
        .filter_map(|r| all.get(r, "spec_index").as_i64())
        .map(|s| s as u64)
        .collect();
    {
        let ws = book.add_worksheet();
        ws.set_name("Ranking")?;
        write_rows(ws, &f, 0, &all)?;
        ws.set_freeze_panes(1, 0)?;
        sheets.push("Ranking".to_string());
    }

    // The models.
    let mut charts = 0;
    let mut models = 0;
    for (k, &spec) in ranked.iter().take(top).enumerate() {
        let report = model::load(j, run, spec, None, options)?;
        let paths = journal.scenario_paths(run.run_id, spec)?;
        let name = format!("Rank{}", k + 1);
        charts += model_sheet(&mut book, &f, &name, &report, &paths, series_table(&report))?;
        sheets.push(name);
        models += 1;
    }
    let fits = journal.benchmarks(run.run_id)?;
    if let Some(inc) = fits.iter().find(|b| b.kind() == "incumbent") {
        let report = model::load_benchmark(j, run, &inc.name, options)?;
        let paths = journal.benchmark_paths(run.run_id, &inc.name)?;
        let series = series_table(&report).or_else(|| Some(journaled_series(j, run, inc)));
        charts += model_sheet(&mut book, &f, "Incumbent", &report, &paths, series)?;
        sheets.push("Incumbent".to_string());
    }
    if run.status != RunStatus::Complete {
        let ws = book.add_worksheet();
        ws.set_name("note")?;
        ws.write_string(
            0,
            0,
            format!(
                "partial: run {} is {}; ranks are provisional",
                run.name, run.status
            ),
        )?;
        sheets.push("note".to_string());
    }
    output.write(|file| save(&mut book, file))?;
    Ok(WorkbookReport {
        sheets,
        models,
        charts,
    })
}
