//! Result tables and their three renderings: an aligned human table, CSV (csv crate) and JSON
//! (an array of objects, keys in column order).
//!
//! A [`Table`] holds rows in memory (reports, `query`); large exports stream rows through a
//! [`Sink`] instead, so memory stays flat however many outcomes a run has.

use std::io::Write;

use anyhow::Result;
use rusqlite::types::ValueRef;

/// One value of a result row (SQLite's dynamic types).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    pub fn from_ref(v: ValueRef<'_>) -> Cell {
        match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Real(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Real(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Real(_))
    }

    /// Exact text for CSV: integers as is, reals in shortest round-trip form, NULL empty.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Real(f) => f.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Blob(b) => hex::encode(b),
        }
    }

    /// JSON value: NaN and infinities become null, blobs hex strings.
    pub fn json(&self) -> serde_json::Value {
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

    /// Text for a human table: numbers rounded sensibly, long text cut.
    pub fn human(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Real(f) => fmt_real(*f),
            Cell::Text(s) => cut(s, MAX_CELL),
            Cell::Blob(b) => format!("<{} bytes>", b.len()),
        }
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Real(v)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Cell {
        v.map_or(Cell::Null, Cell::Real)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_string())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        v.map_or(Cell::Null, Cell::Text)
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

/// A real number for people: 4 decimals below 1000, 1 below 10⁶, none above; scientific when
/// tiny or huge. (Tables then drop the trailing zeros a whole column shares.)
pub fn fmt_real(f: f64) -> String {
    let a = f.abs();
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else if a == 0.0 {
        "0".into()
    } else if !(1e-4..1e9).contains(&a) {
        format!("{f:.3e}")
    } else if a < 1e3 {
        format!("{f:.4}")
    } else if a < 1e6 {
        format!("{f:.1}")
    } else {
        format!("{f:.0}")
    }
}

/// Rows with named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Runs `sql` with `params` and collects every row.
    pub fn query(
        conn: &rusqlite::Connection,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Table> {
        let mut stmt = conn.prepare(sql)?;
        Table::from_statement(&mut stmt, params)
    }

    pub fn from_statement(
        stmt: &mut rusqlite::Statement<'_>,
        params: impl rusqlite::Params,
    ) -> Result<Table> {
        let mut table = TableSink::default();
        stream_statement(stmt, params, &mut table)?;
        Ok(table.0)
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of `name` in row `row` (Null when the column does not exist).
    pub fn get(&self, row: usize, name: &str) -> &Cell {
        static NULL: Cell = Cell::Null;
        match (self.col(name), self.rows.get(row)) {
            (Some(c), Some(r)) => &r[c],
            _ => &NULL,
        }
    }

    /// The same rows with only the named columns (those that exist), in the given order.
    pub fn select(&self, names: &[&str]) -> Table {
        let idx: Vec<usize> = names.iter().filter_map(|n| self.col(n)).collect();
        Table {
            columns: idx.iter().map(|&i| self.columns[i].clone()).collect(),
            rows: self
                .rows
                .iter()
                .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
                .collect(),
        }
    }

    /// Several tables as one, for CSV: a leading `section` column, then the union of their
    /// columns in order of first appearance (cells a section does not have are empty).
    pub fn sections(parts: &[(&str, &Table)]) -> Table {
        let mut columns = vec!["section".to_string()];
        for (_, t) in parts {
            for c in &t.columns {
                if !columns.contains(c) {
                    columns.push(c.clone());
                }
            }
        }
        let mut out = Table {
            columns,
            rows: Vec::new(),
        };
        for (name, t) in parts {
            let map: Vec<usize> = t
                .columns
                .iter()
                .map(|c| out.col(c).expect("column added above"))
                .collect();
            for r in &t.rows {
                let mut row = vec![Cell::Null; out.columns.len()];
                row[0] = Cell::Text(name.to_string());
                for (v, &i) in r.iter().zip(&map) {
                    row[i] = v.clone();
                }
                out.rows.push(row);
            }
        }
        out
    }

    /// Aligned columns: numbers right-aligned, text left-aligned, a rule under the header.
    pub fn render(&self) -> String {
        let mut cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::human).collect())
            .collect();
        // Drop the trailing zeros every fixed-point real of a column has (94.2600 → 94.26),
        // keeping decimal points aligned.
        for c in 0..self.columns.len() {
            let fixed = |r: &Vec<Cell>, s: &String| {
                matches!(r[c], Cell::Real(_)) && s.contains('.') && !s.contains('e')
            };
            let common = self
                .rows
                .iter()
                .zip(&cells)
                .filter(|(r, s)| fixed(r, &s[c]))
                .map(|(_, s)| {
                    let t = &s[c];
                    let decimals = t.len() - t.find('.').unwrap_or(t.len()) - 1;
                    (t.len() - t.trim_end_matches('0').len()).min(decimals.saturating_sub(1))
                })
                .min()
                .unwrap_or(0);
            if common > 0 {
                for (r, s) in self.rows.iter().zip(cells.iter_mut()) {
                    if fixed(r, &s[c]) {
                        let n = s[c].len() - common;
                        s[c].truncate(n);
                    }
                }
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|c| {
                self.rows.iter().any(|r| r[c].is_number())
                    && self
                        .rows
                        .iter()
                        .all(|r| r[c].is_number() || r[c] == Cell::Null)
            })
            .collect();
        let width: Vec<usize> = (0..self.columns.len())
            .map(|c| {
                cells
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain(std::iter::once(self.columns[c].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, vals: &[String]| {
            let mut l = String::new();
            for (c, v) in vals.iter().enumerate() {
                if c > 0 {
                    l.push_str("  ");
                }
                let pad = width[c].saturating_sub(v.chars().count());
                if numeric[c] {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(v);
                } else {
                    l.push_str(v);
                    l.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut out, &self.columns);
        let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
        line(&mut out, &rule);
        for r in &cells {
            line(&mut out, r);
        }
        out
    }

    pub fn write_csv(&self, w: impl Write) -> Result<()> {
        let mut sink = CsvSink::new(w);
        sink.begin(&self.columns)?;
        for r in &self.rows {
            sink.row(r)?;
        }
        sink.finish()
    }

    /// An array of objects, keys in column order.
    pub fn write_json(&self, w: impl Write) -> Result<()> {
        let mut sink = JsonSink::new(w);
        sink.begin(&self.columns)?;
        for r in &self.rows {
            sink.row(r)?;
        }
        sink.finish()
    }

    /// One JSON object per row, keys in column order (for embedding in a larger document).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        self.columns
                            .iter()
                            .cloned()
                            .zip(r.iter().map(Cell::json))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// Receives a result set row by row.
pub trait Sink {
    fn begin(&mut self, columns: &[String]) -> Result<()>;
    fn row(&mut self, row: &[Cell]) -> Result<()>;
    fn finish(&mut self) -> Result<()>;
}

/// Runs a prepared statement and feeds every row to `sink`; returns the row count.
pub fn stream_statement(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    sink: &mut dyn Sink,
) -> Result<u64> {
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    sink.begin(&columns)?;
    let mut rows = stmt.query(params)?;
    let mut buf = Vec::with_capacity(columns.len());
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        buf.clear();
        for i in 0..columns.len() {
            buf.push(Cell::from_ref(r.get_ref(i)?));
        }
        sink.row(&buf)?;
        n += 1;
    }
    sink.finish()?;
    Ok(n)
}

/// Collects rows into a [`Table`].
#[derive(Default)]
pub struct TableSink(pub Table);

impl Sink for TableSink {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.0.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<()> {
        self.0.rows.push(row.to_vec());
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
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
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.w.write_record(columns)?;
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<()> {
        self.w.write_record(row.iter().map(Cell::csv_text))?;
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

/// A JSON array of objects, one per line, written as rows arrive.
pub struct JsonSink<W: Write> {
    w: std::io::BufWriter<W>,
    keys: Vec<String>,
    rows: u64,
}

impl<W: Write> JsonSink<W> {
    pub fn new(w: W) -> Self {
        JsonSink {
            w: std::io::BufWriter::new(w),
            keys: Vec::new(),
            rows: 0,
        }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.keys = columns
            .iter()
            .map(|c| serde_json::to_string(c).expect("strings serialise"))
            .collect();
        self.w.write_all(b"[")?;
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<()> {
        self.w
            .write_all(if self.rows == 0 { b"\n{" } else { b",\n{" })?;
        for (i, (k, v)) in self.keys.iter().zip(row).enumerate() {
            if i > 0 {
                self.w.write_all(b",")?;
            }
            self.w.write_all(k.as_bytes())?;
            self.w.write_all(b":")?;
            serde_json::to_writer(&mut self.w, &v.json())?;
        }
        self.w.write_all(b"}")?;
        self.rows += 1;
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.w.write_all(b"\n]\n")?;
        self.w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(fmt_real(0.419729304806643), "0.4197");
        assert_eq!(fmt_real(1.3e-8), "1.300e-8");
        assert_eq!(fmt_real(193578.3), "193578.3");
        assert_eq!(fmt_real(0.0), "0");
        assert_eq!(fmt_real(f64::NAN), "NaN");
    }

    #[test]
    fn tables_render_align_and_serialise_in_column_order() {
        let mut t = Table::new(&["name", "n", "x"]);
        t.push(vec!["a".into(), Cell::Int(10), Cell::Real(0.5)]);
        t.push(vec!["bbbb".into(), Cell::Int(2), Cell::Null]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name   n    x");
        assert_eq!(fmt_real(94.26), "94.2600");
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
