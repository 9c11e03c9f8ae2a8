//! Writing a result set to a file: CSV, JSON (array of objects) or Parquet.
//!
//! CSV and JSON stream rows straight to the file. Parquet goes through the bundled DuckDB: the
//! rows go through an Appender into a table of a temporary DuckDB database file next to the
//! output, with a memory limit (DuckDB spills to that file), which `COPY … (FORMAT PARQUET)`
//! streams out in row groups; memory stays bounded whatever the number of rows. Column types
//! come from the caller when it knows them (`export --what outcomes`), otherwise from a first
//! pass over the rows; both passes run inside one read transaction of the journal (a consistent
//! snapshot even while a run writes). Every format is written to a temporary file renamed into
//! place, so a failed export leaves no partial file.

use std::path::Path;

use anyhow::{Context, Result};

use super::table::{Cell, CsvSink, JsonSink, Sink};
use crate::journal::outcome_rows::CellKind;

/// DuckDB's memory for a Parquet export (beyond it, the temporary database spills to disk).
const PARQUET_MEMORY_LIMIT: &str = "128MB";

/// What a `detail` column holds, recorded in Parquet files (key/value metadata) and in the
/// README; JSON exports embed the object itself.
pub const DETAIL_DOC: &str = "JSON object (as text) with every statistic of the passed model: \
    status, nobs, nobs_oos, rank, cov_type, r2, adj_r2, params, bse, tvalues, pvalues \
    (intercept first, in the order of param_names), vif, group_f, dw, bg_*, bp_*, white_*, jb_*, \
    cvm_*, resid_adf_*, resid_pp_*, is_/oos_ mae, rmse, max_abs_error; absent keys were not \
    computed. See `specsearch show`.";

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Csv,
    Json,
    Parquet,
}

impl FileFormat {
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Json => "JSON",
            FileFormat::Parquet => "Parquet",
        }
    }

    /// The format implied by a file name's extension.
    pub fn from_extension(path: &Path) -> Option<FileFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "parquet" | "pq" => Some(FileFormat::Parquet),
            _ => None,
        }
    }
}

/// Writes the rows `produce` feeds to its sink into `output`; `produce` may be called twice
/// (Parquet without `kinds`) and must give the same rows each time. `kinds`, when the caller
/// knows what each column holds, spares Parquet that first pass. Returns the row count. A `note` (e.g. that
/// the run is still running, so the file is partial) goes into the file where the format has a
/// place for it: a leading `# …` comment line in CSV (`pandas.read_csv(comment="#")` skips it),
/// the key `specsearch_note` of the Parquet file's key-value metadata.
pub fn write(
    conn: &rusqlite::Connection,
    output: &Path,
    format: FileFormat,
    produce: &dyn Fn(&mut dyn Sink) -> Result<u64>,
    note: Option<&str>,
    kinds: Option<&[CellKind]>,
) -> Result<u64> {
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".specsearch-export.")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    // One read transaction: both Parquet passes see the same snapshot.
    let rows = crate::journal::queries::in_snapshot(conn, || match format {
        FileFormat::Csv => {
            if let Some(note) = note {
                use std::io::Write;
                writeln!(tmp.as_file(), "# {}", note.replace('\n', " "))?;
            }
            produce(&mut CsvSink::new(tmp.as_file()))
        }
        FileFormat::Json => produce(&mut JsonSink::new(tmp.as_file())),
        FileFormat::Parquet => write_parquet(dir, tmp.path(), produce, note, kinds),
    })?;
    // Temporary files are private (0600); an export is an ordinary file.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).ok();
    }
    tmp.persist(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(rows)
}

/// DuckDB column type of a result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColType {
    Unknown,
    BigInt,
    Double,
    Varchar,
    Blob,
}

impl ColType {
    fn widen(self, c: &Cell) -> ColType {
        use ColType::*;
        match (self, c) {
            (t, Cell::Null) => t,
            (Unknown | BigInt, Cell::Int(_)) => BigInt,
            (Unknown | BigInt | Double, Cell::Int(_) | Cell::Real(_)) => Double,
            (Unknown | Blob, Cell::Blob(_)) => Blob,
            _ => Varchar,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            ColType::BigInt => "BIGINT",
            ColType::Double => "DOUBLE",
            ColType::Blob => "BLOB",
            ColType::Varchar | ColType::Unknown => "VARCHAR",
        }
    }
}

struct TypeSink {
    columns: Vec<String>,
    types: Vec<ColType>,
}

impl Sink for TypeSink {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.columns = unique_names(columns);
        self.types = vec![ColType::Unknown; columns.len()];
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<()> {
        for (t, c) in self.types.iter_mut().zip(row) {
            *t = t.widen(c);
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Column names made unique (`x`, `x_2`, …): SQL results may repeat names, tables may not.
fn unique_names(columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let mut name = c.clone();
        let mut k = 2;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            name = format!("{c}_{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

impl From<CellKind> for ColType {
    fn from(k: CellKind) -> ColType {
        match k {
            CellKind::Int => ColType::BigInt,
            CellKind::Real => ColType::Double,
            CellKind::Text => ColType::Varchar,
        }
    }
}

/// Rows per Arrow batch appended to the export table (bounded memory, few appender calls).
const BATCH_ROWS: usize = 65_536;

/// One column of the batch being built, typed as the export table's column.
enum ColumnBuilder {
    Int(duckdb::arrow::array::Int64Builder),
    Real(duckdb::arrow::array::Float64Builder),
    Text(duckdb::arrow::array::StringBuilder),
    Blob(duckdb::arrow::array::BinaryBuilder),
}

impl ColumnBuilder {
    fn new(t: ColType) -> ColumnBuilder {
        use duckdb::arrow::array::*;
        match t {
            ColType::BigInt => ColumnBuilder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            ColType::Double => ColumnBuilder::Real(Float64Builder::with_capacity(BATCH_ROWS)),
            ColType::Blob => ColumnBuilder::Blob(BinaryBuilder::new()),
            ColType::Varchar | ColType::Unknown => {
                ColumnBuilder::Text(StringBuilder::with_capacity(BATCH_ROWS, 16 * BATCH_ROWS))
            }
        }
    }

    /// Appends a cell (the column's type was widened to hold every cell, see `ColType`).
    fn push(&mut self, c: &Cell) {
        match (self, c) {
            (ColumnBuilder::Int(b), Cell::Int(i)) => b.append_value(*i),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Real(b), Cell::Real(f)) => b.append_value(*f),
            (ColumnBuilder::Real(b), Cell::Int(i)) => b.append_value(*i as f64),
            (ColumnBuilder::Real(b), _) => b.append_null(),
            (ColumnBuilder::Blob(b), Cell::Blob(v)) => b.append_value(v),
            (ColumnBuilder::Blob(b), _) => b.append_null(),
            (ColumnBuilder::Text(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Text(b), Cell::Text(t)) => b.append_value(t),
            (ColumnBuilder::Text(b), c) => b.append_value(c.csv_text()),
        }
    }

    fn finish(&mut self) -> duckdb::arrow::array::ArrayRef {
        use duckdb::arrow::array::ArrayBuilder;
        match self {
            ColumnBuilder::Int(b) => ArrayBuilder::finish(b),
            ColumnBuilder::Real(b) => ArrayBuilder::finish(b),
            ColumnBuilder::Text(b) => ArrayBuilder::finish(b),
            ColumnBuilder::Blob(b) => ArrayBuilder::finish(b),
        }
    }
}

/// Appends rows to the table `export` of `db`, created with the given types when the columns
/// are known, in Arrow batches of [`BATCH_ROWS`].
struct AppendSink<'a> {
    db: &'a duckdb::Connection,
    app: Option<duckdb::Appender<'a>>,
    types: Vec<ColType>,
    columns: Vec<String>,
    schema: Option<std::sync::Arc<duckdb::arrow::datatypes::Schema>>,
    builders: Vec<ColumnBuilder>,
    pending: usize,
}

impl AppendSink<'_> {
    fn append_pending(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays = self.builders.iter_mut().map(|b| b.finish()).collect();
        let schema = self.schema.clone().expect("begin() sets the schema");
        let batch = duckdb::arrow::record_batch::RecordBatch::try_new(schema, arrays)?;
        self.app
            .as_mut()
            .expect("begin() creates the appender")
            .append_record_batch(batch)?;
        self.pending = 0;
        Ok(())
    }
}

impl Sink for AppendSink<'_> {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        use duckdb::arrow::datatypes::{DataType, Field, Schema};
        self.columns = unique_names(columns);
        anyhow::ensure!(
            self.columns.len() == self.types.len(),
            "internal: {} column types for {} columns",
            self.types.len(),
            self.columns.len()
        );
        let cols: Vec<String> = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(c, t)| format!("{} {}", quote_ident(c), t.sql()))
            .collect();
        self.db
            .execute_batch(&format!("CREATE TABLE export ({})", cols.join(", ")))?;
        let fields: Vec<Field> = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(c, t)| {
                let dt = match t {
                    ColType::BigInt => DataType::Int64,
                    ColType::Double => DataType::Float64,
                    ColType::Blob => DataType::Binary,
                    ColType::Varchar | ColType::Unknown => DataType::Utf8,
                };
                Field::new(c, dt, true)
            })
            .collect();
        self.schema = Some(std::sync::Arc::new(Schema::new(fields)));
        self.builders = self.types.iter().map(|&t| ColumnBuilder::new(t)).collect();
        self.app = Some(self.db.appender("export")?);
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<()> {
        for (b, c) in self.builders.iter_mut().zip(row) {
            b.push(c);
        }
        self.pending += 1;
        if self.pending == BATCH_ROWS {
            self.append_pending()?;
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.append_pending()?;
        if let Some(app) = self.app.as_mut() {
            app.flush()?;
        }
        Ok(())
    }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn write_parquet(
    dir: &Path,
    path: &Path,
    produce: &dyn Fn(&mut dyn Sink) -> Result<u64>,
    note: Option<&str>,
    kinds: Option<&[CellKind]>,
) -> Result<u64> {
    let types: Vec<ColType> = match kinds {
        Some(k) => k.iter().map(|&k| k.into()).collect(),
        None => {
            let mut pass = TypeSink {
                columns: Vec::new(),
                types: Vec::new(),
            };
            produce(&mut pass)?;
            pass.types
        }
    };
    // A database file, not memory: DuckDB spills the table to it beyond its memory limit.
    let scratch = tempfile::Builder::new()
        .prefix(".specsearch-export.")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let db = duckdb::Connection::open(scratch.path().join("export.duckdb"))?;
    db.execute_batch(&format!(
        "SET memory_limit = '{PARQUET_MEMORY_LIMIT}'; SET threads = 2; \
         SET preserve_insertion_order = true; SET temp_directory = '{}';",
        scratch.path().to_string_lossy().replace('\'', "''")
    ))?;
    let mut sink = AppendSink {
        db: &db,
        app: None,
        types,
        columns: Vec::new(),
        schema: None,
        builders: Vec::new(),
        pending: 0,
    };
    let rows = produce(&mut sink)?;
    let columns = std::mem::take(&mut sink.columns);
    drop(sink);
    let target = path.to_string_lossy().replace('\'', "''");
    // The file says what its JSON-text columns are, and whether it is partial (Parquet
    // key/value metadata).
    let mut entries: Vec<String> = columns
        .iter()
        .filter(|c| super::table::JSON_COLUMNS.contains(&c.as_str()))
        .map(|c| format!("{}: '{}'", c, DETAIL_DOC.replace('\'', "''")))
        .collect();
    if let Some(n) = note {
        entries.push(format!("specsearch_note: '{}'", n.replace('\'', "''")));
    }
    let metadata = if entries.is_empty() {
        String::new()
    } else {
        format!(", KV_METADATA {{{}}}", entries.join(", "))
    };
    db.execute_batch(&format!(
        "COPY export TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD{metadata})"
    ))
    .context("writing Parquet with DuckDB")?;
    Ok(rows)
}
