//! Rendering result tables: an aligned human table (comfy-table), CSV (csv crate) and JSON (an
//! array of objects, keys in column order), whole or streamed row by row through a [`Sink`].

use std::io::Write;

use anyhow::Result;

use super::wrap::wrapped;
pub use super::wrap::{fit_lines, output_width};
pub use crate::journal::{BoxError, Cell, Sink, Table, TableSink};

/// Columns whose text is a JSON document (a passed model's `detail`): JSON outputs embed the
/// document itself, never a string holding JSON; CSV and Parquet keep the text.
pub const JSON_COLUMNS: &[&str] = &["detail"];

/// The JSON value of `cell` in column `column`: a JSON column's text that parses as an object
/// or array is embedded as that value.
pub fn json_in_column(column: &str, cell: &Cell) -> serde_json::Value {
    if let Cell::Text(text) = cell {
        if JSON_COLUMNS.contains(&column) {
            if let Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) =
                serde_json::from_str::<serde_json::Value>(text)
            {
                return v;
            }
        }
    }
    cell.json()
}

/// How a result cell is written for people, CSV and JSON (the cell type is the journal's).
pub trait CellText {
    /// Exact text for CSV: integers as is, reals in shortest round-trip form, NULL empty.
    fn csv_text(&self) -> String;
    /// JSON value: NaN and infinities become null, blobs hex strings.
    fn json(&self) -> serde_json::Value;
    /// Text for a human table: numbers rounded sensibly, long text cut.
    fn human(&self) -> String;
}

impl CellText for Cell {
    fn csv_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Real(f) => f.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Blob(b) => hex::encode(b),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Int(i) => (*i).into(),
            Cell::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Cell::Text(s) => s.clone().into(),
            Cell::Blob(b) => hex::encode(b).into(),
        }
    }

    fn human(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Real(f) => fmt_real(*f),
            Cell::Text(s) => cut(s, MAX_CELL),
            Cell::Blob(b) => format!("<{} bytes>", b.len()),
        }
    }
}

/// Longest cell of a human table; CSV and JSON are never cut.
const MAX_CELL: usize = 100;

fn cut(s: &str, max: usize) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// A real number for people: four significant digits (trailing zeros dropped), whole numbers
/// from 10⁴, scientific when tiny or huge. CSV and JSON keep full precision.
pub fn fmt_real(f: f64) -> String {
    let a = f.abs();
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-4..1e9).contains(&a) {
        let text = format!("{f:.3e}");
        let (mantissa, exponent) = text.split_once('e').expect("scientific format");
        let mantissa = trim_zeros(mantissa);
        return format!("{mantissa}e{exponent}");
    }
    if a >= 1e4 {
        return format!("{f:.0}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    trim_zeros(&format!("{f:.decimals$}")).to_string()
}

/// `0.5000` → `0.5`, `12.00` → `12`; integers are left alone.
fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Whether column `column` holds a fraction that people read as a percentage (`0.1575` is
/// `+15.75%`): `pct_*` (changes), `*_pct_*` (e.g. a backtest's mean |% error|), `cagr_*`,
/// `share`, `sign_hit_rate` and `*_frac`. JSON, CSV, Parquet and SQL keep the fraction; human
/// tables, the HTML report and the workbook's number format show the percentage.
pub fn is_fraction_column(column: &str) -> bool {
    column.starts_with("pct_")
        || column.contains("_pct_")
        || column.starts_with("cagr_")
        || column.ends_with("_frac")
        || column == "share"
        || column == "sign_hit_rate"
}

/// Whether column `column` already holds a percentage (0–100): `percent_*` and `*_percent`.
pub fn is_percent_column(column: &str) -> bool {
    column.starts_with("percent_") || column.ends_with("_percent")
}

/// A fraction as a percentage for people, with four significant digits: `0.1575` → `15.75%`,
/// `0.000352` → `0.0352%`; `signed` writes `+` on positive changes.
pub fn fmt_percent(fraction: f64, signed: bool) -> String {
    let text = fmt_real(100.0 * fraction);
    if signed && fraction > 0.0 && fraction.is_finite() {
        format!("+{text}%")
    } else if fraction.is_finite() {
        format!("{text}%")
    } else {
        text
    }
}

/// `n` of `total` as a percentage for people (four significant digits, so a rate below 0.05%
/// is not `0.0%`); `0%` when `total` is 0.
pub fn fmt_share(n: u64, total: u64) -> String {
    if total == 0 || n == 0 {
        "0%".into()
    } else {
        fmt_percent(n as f64 / total as f64, false)
    }
}

/// A cell of column `column` for people: fractions as percentages ([`is_fraction_column`]),
/// percentages with their `%` ([`is_percent_column`]), anything else as [`CellText::human`].
pub fn human_in_column(column: &str, cell: &Cell, fraction: bool) -> String {
    match cell {
        Cell::Real(_) | Cell::Int(_) => {
            let v = cell.as_f64().unwrap_or(f64::NAN);
            if fraction || is_fraction_column(column) {
                fmt_percent(v, column.starts_with("pct_"))
            } else if is_percent_column(column) {
                format!("{}%", fmt_real(v))
            } else {
                cell.human()
            }
        }
        _ => cell.human(),
    }
}

/// How a result table is written for people, CSV and JSON (the table type is the journal's).
pub trait TableText {
    /// Aligned columns (comfy-table): numbers right-aligned, text left-aligned, a rule under
    /// the header, two spaces between columns, no borders, no trailing blanks.
    fn render(&self) -> String;
    /// [`TableText::render`], with the columns named in `fractions` shown as percentages too
    /// (e.g. a sensitivity table's one column per scenario).
    fn render_fractions(&self, fractions: &[&str]) -> String;
    /// [`TableText::render_fractions`] for a screen `width` columns wide (`None`: any width):
    /// a table wider than that wraps its widest text cells onto more lines.
    fn render_within(&self, fractions: &[&str], width: Option<usize>) -> String;
    /// CSV with a header row.
    fn write_csv(&self, w: impl Write) -> Result<()>;
    /// An array of objects, keys in column order.
    fn write_json(&self, w: impl Write) -> Result<()>;
    /// One JSON object per row, keys in column order (for embedding in a larger document).
    fn to_json(&self) -> serde_json::Value;
}

impl TableText for Table {
    fn render(&self) -> String {
        self.render_fractions(&[])
    }

    fn render_fractions(&self, fractions: &[&str]) -> String {
        self.render_within(fractions, output_width())
    }

    fn render_within(&self, fractions: &[&str], width: Option<usize>) -> String {
        if let Some(width) = width {
            if let Some(text) = wrapped(self, fractions, width) {
                return text;
            }
        }
        use comfy_table::{CellAlignment, ColumnConstraint};
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::NOTHING);
        t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        t.set_header(self.columns.clone());
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&self.columns)
                    .map(|(v, c)| human_in_column(c, v, fractions.contains(&c.as_str())))
                    .collect()
            })
            .collect();
        for r in &cells {
            t.add_row(r.clone());
        }
        let last = self.columns.len().saturating_sub(1);
        for (c, column) in t.column_iter_mut().enumerate() {
            let numeric = self.rows.iter().any(|r| r[c].is_number())
                && self
                    .rows
                    .iter()
                    .all(|r| r[c].is_number() || r[c] == Cell::Null);
            column.set_padding((0, if c == last { 0 } else { 2 }));
            column.set_constraint(ColumnConstraint::ContentWidth);
            if numeric {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        // The rule under the header spans each column's content, not the gap between them.
        let rule: Vec<String> = (0..self.columns.len())
            .map(|c| {
                let width = cells
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain(std::iter::once(self.columns[c].chars().count()))
                    .max()
                    .unwrap_or(0);
                "-".repeat(width)
            })
            .collect();
        let mut out = String::new();
        for (i, line) in t.lines().enumerate() {
            out.push_str(line.trim_end());
            out.push('\n');
            if i == 0 {
                out.push_str(&rule.join("  "));
                out.push('\n');
            }
        }
        out
    }

    fn write_csv(&self, w: impl Write) -> Result<()> {
        write_all(self, &mut CsvSink::new(w))
    }

    fn write_json(&self, w: impl Write) -> Result<()> {
        write_all(self, &mut JsonSink::new(w))
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        self.columns
                            .iter()
                            .zip(r)
                            .map(|(c, v)| (c.clone(), json_in_column(c, v)))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// Every row of `table` into `sink`.
fn write_all(table: &Table, sink: &mut dyn Sink) -> Result<()> {
    sink.begin(&table.columns)
        .map_err(anyhow::Error::from_boxed)?;
    for r in &table.rows {
        sink.row(r).map_err(anyhow::Error::from_boxed)?;
    }
    sink.finish().map_err(anyhow::Error::from_boxed)
}

/// CSV with a header row.
pub struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    pub fn new(w: W) -> Self {
        CsvSink {
            w: csv::Writer::from_writer(w),
        }
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        self.w.write_record(columns)?;
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        self.w.write_record(row.iter().map(Cell::csv_text))?;
        Ok(())
    }
    fn finish(&mut self) -> Result<(), BoxError> {
        self.w.flush()?;
        Ok(())
    }
}

/// A JSON array of objects, one per line, written as rows arrive.
pub struct JsonSink<W: Write> {
    w: std::io::BufWriter<W>,
    columns: Vec<String>,
    keys: Vec<String>,
    rows: u64,
}

impl<W: Write> JsonSink<W> {
    pub fn new(w: W) -> Self {
        JsonSink {
            w: std::io::BufWriter::new(w),
            columns: Vec::new(),
            keys: Vec::new(),
            rows: 0,
        }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        self.columns = columns.to_vec();
        self.keys = columns
            .iter()
            .map(|c| serde_json::to_string(c).expect("strings serialise"))
            .collect();
        self.w.write_all(b"[")?;
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        self.w
            .write_all(if self.rows == 0 { b"\n{" } else { b",\n{" })?;
        for (i, ((k, c), v)) in self.keys.iter().zip(&self.columns).zip(row).enumerate() {
            if i > 0 {
                self.w.write_all(b",")?;
            }
            self.w.write_all(k.as_bytes())?;
            self.w.write_all(b":")?;
            serde_json::to_writer(&mut self.w, &json_in_column(c, v))?;
        }
        self.w.write_all(b"}")?;
        self.rows += 1;
        Ok(())
    }
    fn finish(&mut self) -> Result<(), BoxError> {
        self.w.write_all(b"\n]\n")?;
        self.w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_read_as_percentages_with_enough_digits() {
        assert_eq!(fmt_percent(0.1575, true), "+15.75%");
        assert_eq!(fmt_percent(-0.04004, true), "-4.004%");
        assert_eq!(fmt_share(136, 386_184), "0.03522%");
        assert_eq!(fmt_share(0, 10), "0%");
        let mut t = Table::new(&["scenario", "pct_change_9q", "percent_done", "r2"]);
        t.push(vec!["Base".into(), 0.1575.into(), 64.4.into(), 0.5.into()]);
        let text = t.render_within(&[], None);
        assert!(text.contains("+15.75%") && text.contains("64.4%") && text.contains("0.5"));
        // JSON and CSV keep the fraction.
        assert_eq!(t.to_json()[0]["pct_change_9q"], 0.1575);
    }

    #[test]
    fn a_table_wider_than_the_screen_wraps_and_splits_into_blocks() {
        let mut t = Table::new(&["term", "a_number", "another", "verdict"]);
        t.push(vec![
            "realdpi_QQGR4".into(),
            1234.5.into(),
            0.001.into(),
            "significant (p < 0.1), sign ok".into(),
        ]);
        for width in [30, 40, 60] {
            let text = t.render_within(&[], Some(width));
            assert!(
                text.lines().all(|l| l.chars().count() <= width),
                "{width}:\n{text}"
            );
            // Names and numbers are never cut.
            assert!(
                text.contains("realdpi_QQGR4") && text.contains("1234"),
                "{text}"
            );
        }
        assert_eq!(t.render_within(&[], Some(200)), t.render_within(&[], None));
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(fmt_real(0.419729304806643), "0.4197");
        assert_eq!(fmt_real(0.05), "0.05");
        assert_eq!(fmt_real(-0.000123456), "-0.0001235");
        assert_eq!(fmt_real(12.3456), "12.35");
        assert_eq!(fmt_real(2.0), "2");
        assert_eq!(fmt_real(1.3e-8), "1.3e-8");
        assert_eq!(fmt_real(2.5e12), "2.5e12");
        assert_eq!(fmt_real(193578.3), "193578");
        assert_eq!(fmt_real(0.0), "0");
        assert_eq!(fmt_real(f64::NAN), "NaN");
    }

    #[test]
    fn a_detail_column_is_a_json_object_in_json_and_text_in_csv() {
        let mut t = Table::new(&["rank", "detail", "note"]);
        t.push(vec![
            Cell::Int(1),
            Cell::Text(r#"{"params":[1.5,2]}"#.into()),
            Cell::Text(r#"{"not":"embedded"}"#.into()),
        ]);
        t.push(vec![
            Cell::Int(2),
            Cell::Text("not json".into()),
            Cell::Null,
        ]);
        let mut json = Vec::new();
        t.write_json(&mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v[0]["detail"]["params"][0], 1.5);
        assert!(v[0]["note"].is_string(), "only detail columns are embedded");
        assert_eq!(v[1]["detail"], "not json");
        assert_eq!(v, t.to_json());
        let mut csv = Vec::new();
        t.write_csv(&mut csv).unwrap();
        assert!(String::from_utf8(csv)
            .unwrap()
            .contains(r#""{""params"":[1.5,2]}""#));
    }

    #[test]
    fn tables_render_align_and_serialise_in_column_order() {
        let mut t = Table::new(&["name", "n", "x"]);
        t.push(vec!["a".into(), Cell::Int(10), Cell::Real(0.5)]);
        t.push(vec!["bbbb".into(), Cell::Int(2), Cell::Null]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name   n    x");
        assert_eq!(lines[1], "----  --  ---");
        assert_eq!(lines[2], "a     10  0.5");
        assert_eq!(lines[3], "bbbb   2");
        let mut json = Vec::new();
        t.write_json(&mut json).unwrap();
        let json = String::from_utf8(json).unwrap();
        assert!(json.contains(r#"{"name":"a","n":10,"x":0.5}"#), "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v, t.to_json());
        let mut csv = Vec::new();
        t.write_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "name,n,x\na,10,0.5\nbbbb,2,\n"
        );
        let s = Table::sections(&[("one", &t), ("two", &t.select(&["x", "name"]))]);
        assert_eq!(s.columns, ["section", "name", "n", "x"]);
        assert_eq!(s.rows.len(), 4);
        assert_eq!(s.rows[2][2], Cell::Null);
    }
}
