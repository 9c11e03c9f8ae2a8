//! Writing a result set to a file: CSV, JSON (array of objects), Parquet or one Excel sheet
//! (the model workbook of a run is `results::workbook`).
//!
//! CSV and JSON stream rows straight to the file. Parquet is written with the `parquet` crate's
//! Arrow writer, in Arrow batches and row groups of bounded size (ZSTD), so memory stays
//! bounded whatever the number of rows. Column types
//! come from the caller when it knows them (`export --what outcomes`), otherwise from a first
//! pass over the rows; both passes run inside one read transaction of the journal (a consistent
//! snapshot even while a run writes). Every format is written to a temporary file renamed into
//! place, so a failed export leaves no partial file.

use std::path::Path;

use anyhow::{Context, Result};

use super::output::Destination;

use super::table::{CsvSink, JsonSink};
use crate::journal::{BoxError, Cell, CellKind, Journal, Sink};
use crate::results::table::CellText;

/// What a `detail` column holds, recorded in Parquet files (key/value metadata) and in the
/// README; JSON exports embed the object itself.
pub const DETAIL_DOC: &str = "JSON object (as text) with every statistic of the passed model: \
    status, nobs, nobs_oos, rank, cov_type, r2, adj_r2, params, bse, tvalues, pvalues \
    (intercept first, in the order of param_names), vif, group_f, dw, bg_*, bp_*, white_*, jb_*, \
    cvm_*, resid_adf_*, resid_pp_*, is_/oos_ mae, rmse, max_abs_error; absent keys were not \
    computed. See `specsearch show`.";

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Json,
    Parquet,
    /// An Excel workbook (one sheet; the model workbook for `--what passed`).
    Xlsx,
}

impl FileFormat {
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Json => "JSON",
            FileFormat::Parquet => "Parquet",
            FileFormat::Xlsx => "Excel",
        }
    }

    /// The format implied by a file name's extension.
    pub fn from_extension(path: &Path) -> Option<FileFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "parquet" | "pq" => Some(FileFormat::Parquet),
            "xlsx" => Some(FileFormat::Xlsx),
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
    journal: &Journal,
    output: &Destination,
    format: FileFormat,
    produce: &dyn Fn(&mut dyn Sink) -> Result<u64>,
    note: Option<&str>,
    kinds: Option<&[CellKind]>,
) -> Result<u64> {
    output.write(|file| {
        // One read transaction: both Parquet passes see the same snapshot.
        journal.in_snapshot(|| match format {
            FileFormat::Csv => {
                if let Some(note) = note {
                    use std::io::Write;
                    writeln!(&*file, "# {}", note.replace('\n', " "))?;
                }
                produce(&mut CsvSink::new(file))
            }
            FileFormat::Json => produce(&mut JsonSink::new(file)),
            FileFormat::Parquet => write_parquet(file, produce, note, kinds),
            FileFormat::Xlsx => {
                let mut sink = super::table::TableSink::default();
                let rows = produce(&mut sink)?;
                super::workbook::write_table(&sink.0, "export", note, file)?;
                Ok(rows)
            }
        })
    })
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
}

struct TypeSink {
    columns: Vec<String>,
    types: Vec<ColType>,
}

impl Sink for TypeSink {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        self.columns = unique_names(columns);
        self.types = vec![ColType::Unknown; columns.len()];
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        for (t, c) in self.types.iter_mut().zip(row) {
            *t = t.widen(c);
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<(), BoxError> {
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

/// Writes rows to a Parquet file in Arrow batches of [`BATCH_ROWS`] (the `parquet` crate's
/// `ArrowWriter`: row groups of at most [`ROW_GROUP_ROWS`] rows, ZSTD), so memory holds one
/// row group whatever the number of rows.
struct ParquetSink {
    file: Option<std::fs::File>,
    writer: Option<parquet::arrow::ArrowWriter<std::fs::File>>,
    types: Vec<ColType>,
    note: Option<String>,
    schema: Option<std::sync::Arc<duckdb::arrow::datatypes::Schema>>,
    builders: Vec<ColumnBuilder>,
    pending: usize,
}

/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 262_144;

impl ParquetSink {
    fn write_pending(&mut self) -> Result<(), BoxError> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays = self.builders.iter_mut().map(|b| b.finish()).collect();
        let schema = self.schema.clone().expect("begin() sets the schema");
        let batch = duckdb::arrow::record_batch::RecordBatch::try_new(schema, arrays)?;
        self.writer
            .as_mut()
            .expect("begin() creates the writer")
            .write(&batch)?;
        self.pending = 0;
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        use duckdb::arrow::datatypes::{DataType, Field, Schema};
        use parquet::basic::{Compression, ZstdLevel};
        use parquet::file::metadata::KeyValue;
        use parquet::file::properties::WriterProperties;
        let columns = unique_names(columns);
        if columns.len() != self.types.len() {
            return Err(format!(
                "internal: {} column types for {} columns",
                self.types.len(),
                columns.len()
            )
            .into());
        }
        let fields: Vec<Field> = columns
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
        let schema = std::sync::Arc::new(Schema::new(fields));
        // The file says what its JSON-text columns are, and whether it is partial (Parquet
        // key/value metadata).
        let mut kv: Vec<KeyValue> = columns
            .iter()
            .filter(|c| super::table::JSON_COLUMNS.contains(&c.as_str()))
            .map(|c| KeyValue::new(c.clone(), DETAIL_DOC.to_string()))
            .collect();
        if let Some(n) = &self.note {
            kv.push(KeyValue::new("specsearch_note".to_string(), n.clone()));
        }
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_key_value_metadata((!kv.is_empty()).then_some(kv))
            .build();
        let file = self.file.take().expect("begin() runs once");
        self.writer = Some(parquet::arrow::ArrowWriter::try_new(
            file,
            schema.clone(),
            Some(props),
        )?);
        self.schema = Some(schema);
        self.builders = self.types.iter().map(|&t| ColumnBuilder::new(t)).collect();
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        for (b, c) in self.builders.iter_mut().zip(row) {
            b.push(c);
        }
        self.pending += 1;
        if self.pending == BATCH_ROWS {
            self.write_pending()?;
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<(), BoxError> {
        self.write_pending()?;
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(())
    }
}

fn write_parquet(
    file: &std::fs::File,
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
    let mut sink = ParquetSink {
        file: Some(file.try_clone()?),
        writer: None,
        types,
        note: note.map(str::to_string),
        schema: None,
        builders: Vec::new(),
        pending: 0,
    };
    produce(&mut sink).context("writing Parquet")
}
