//! Result rows as SQLite returns them: a dynamically typed [`Cell`], a [`Table`] of rows with
//! named columns, and a [`Sink`] that large result sets stream into row by row. The typed
//! boundary of every query whose columns are not known in advance (`query`, views, exports);
//! the main crate's `results::table` renders them for people, CSV and JSON.

use rusqlite::types::ValueRef;

use crate::error::{JournalError, Result};

/// The error a [`Sink`] may fail with (an I/O error, a Parquet writer's error, …).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
    pub(crate) fn from_ref(v: ValueRef<'_>) -> Cell {
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

    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Real(_))
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
    pub(crate) fn query(
        conn: &rusqlite::Connection,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Table> {
        let mut stmt = conn.prepare(sql)?;
        Table::from_statement(&mut stmt, params)
    }

    pub(crate) fn from_statement(
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
}

/// Receives a result set row by row.
pub trait Sink {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError>;
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError>;
    fn finish(&mut self) -> Result<(), BoxError>;
}

/// Runs a prepared statement and feeds every row to `sink`; returns the row count.
pub(crate) fn stream_statement(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    sink: &mut dyn Sink,
) -> Result<u64> {
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    sink.begin(&columns).map_err(JournalError::Output)?;
    let mut rows = stmt.query(params)?;
    let mut buf = Vec::with_capacity(columns.len());
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        buf.clear();
        for i in 0..columns.len() {
            buf.push(Cell::from_ref(r.get_ref(i)?));
        }
        sink.row(&buf).map_err(JournalError::Output)?;
        n += 1;
    }
    sink.finish().map_err(JournalError::Output)?;
    Ok(n)
}

/// Collects rows into a [`Table`].
#[derive(Default)]
pub struct TableSink(pub Table);

impl Sink for TableSink {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        self.0.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        self.0.rows.push(row.to_vec());
        Ok(())
    }
    fn finish(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}
