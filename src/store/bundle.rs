//! `features.duckdb`: writing the frozen bundle once (to a temporary file, renamed into place
//! after a checkpoint) and reading it back read-only.
//!
//! DuckDB allows many read-only processes or one writer, never both; workers therefore open it
//! with `access_mode = READ_ONLY`, one thread and a memory limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use duckdb::arrow::array::{Array, ArrayRef, Float64Array, Int32Array, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{params, AccessMode, Connection};

use super::{FeatureMatrix, FrozenBundle, BUNDLE_FORMAT, MISSING};

const SCHEMA: &str = include_str!("../../sql/bundle.sql");

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Duckdb {
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

fn db_err(path: &Path) -> impl Fn(duckdb::Error) -> BundleError + '_ {
    move |source| BundleError::Duckdb {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the bundle to `path` atomically: a temporary file in the same directory, checkpointed
/// and closed, then renamed. On error nothing is left behind.
pub fn write(path: &Path, bundle: &FrozenBundle, hash: &str) -> Result<(), BundleError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".features.")
        .suffix(".duckdb.tmp")
        .tempfile_in(dir)
        .map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    // DuckDB wants to create the file itself: keep the unique name, drop the empty file.
    let tmp_path = tmp.into_temp_path();
    let tmp_buf = tmp_path.to_path_buf();
    std::fs::remove_file(&tmp_buf).ok();
    let result = write_to(&tmp_buf, bundle, hash);
    let wal = wal_path(&tmp_buf);
    if let Err(e) = result {
        std::fs::remove_file(&tmp_buf).ok();
        std::fs::remove_file(&wal).ok();
        tmp_path.keep().ok();
        return Err(e);
    }
    std::fs::remove_file(&wal).ok();
    std::fs::rename(&tmp_buf, path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tmp_path.keep().ok();
    std::fs::remove_file(wal_path(path)).ok();
    Ok(())
}

fn wal_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

fn write_to(path: &Path, b: &FrozenBundle, hash: &str) -> Result<(), BundleError> {
    let e = db_err(path);
    let conn = Connection::open(path).map_err(&e)?;
    conn.execute_batch(SCHEMA).map_err(&e)?;
    let tx = conn.unchecked_transaction().map_err(&e)?;
    {
        let mut manifest = tx
            .prepare("INSERT INTO manifest (key, value) VALUES (?, ?)")
            .map_err(&e)?;
        for (k, v) in manifest_entries(b, hash) {
            manifest.execute(params![k, v]).map_err(&e)?;
        }
        let mut dates = tx
            .prepare("INSERT INTO dates (row_id, date, sample) VALUES (?, CAST(? AS DATE), ?)")
            .map_err(&e)?;
        for (i, d) in b.dates.iter().enumerate() {
            dates
                .execute(params![i as i32, d.to_string(), b.sample_label(i)])
                .map_err(&e)?;
        }
        // Appended, not inserted one statement at a time: DuckDB's per-statement overhead made
        // a 6,000-column catalogue the slowest part of a freeze.
        let mut cat = tx.appender("catalogue").map_err(&e)?;
        let none: Option<&str> = None;
        for (id, c) in b.catalogue.columns.iter().enumerate() {
            let p = &c.pretest;
            // Columns in table order (sql/bundle.sql); frozen columns have no definition,
            // hash or replay.
            cat.append_row(params![
                id as i32,
                c.name,
                c.role.as_str(),
                c.base,
                c.transform.map(|t| t.code()),
                c.period as i32,
                c.lag as i32,
                c.category,
                c.var_type.as_ref().map(|t| t.as_str()),
                c.sign as i32,
                c.dummy_set,
                c.full_dummy_set,
                p.valid,
                p.adf_p,
                p.pp_p,
                p.stationary,
                p.kept,
                p.exclusion,
                none,
                none,
                none,
            ])
            .map_err(&e)?;
        }
        cat.flush().map_err(&e)?;
    }
    {
        // Columnar batches through the Arrow appender: an order of magnitude faster than one
        // `append_row` per value for bundles of millions of values.
        let mut app = tx.appender("feature_values").map_err(&e)?;
        for chunk in b.catalogue.columns.chunks(VALUE_BATCH_COLUMNS).enumerate() {
            let (first, columns) = chunk;
            let ids = columns.iter().enumerate().flat_map(|(k, c)| {
                let id = (first * VALUE_BATCH_COLUMNS + k) as i32;
                std::iter::repeat_n(id, c.values.len())
            });
            let batch = value_batch(
                Arc::new(Int32Array::from_iter_values(ids)) as ArrayRef,
                columns.iter().map(|c| c.values.as_slice()),
                DataType::Int32,
                "id",
            );
            app.append_record_batch(batch).map_err(&e)?;
        }
        app.flush().map_err(&e)?;
        let mut app = tx.appender("base_series").map_err(&e)?;
        for series in b.base_series.chunks(VALUE_BATCH_COLUMNS) {
            let names = series
                .iter()
                .flat_map(|(name, values)| std::iter::repeat_n(name.as_str(), values.len()));
            let batch = value_batch(
                Arc::new(StringArray::from_iter_values(names)) as ArrayRef,
                series.iter().map(|(_, values)| values.as_slice()),
                DataType::Utf8,
                "name",
            );
            app.append_record_batch(batch).map_err(&e)?;
        }
        app.flush().map_err(&e)?;
    }
    tx.commit().map_err(&e)?;
    conn.execute_batch("CHECKPOINT").map_err(&e)?;
    conn.close().map_err(|(_, err)| e(err))?;
    Ok(())
}

/// Columns appended per Arrow batch (a batch holds their values for every date).
const VALUE_BATCH_COLUMNS: usize = 256;

/// One batch of long-format values: a key column (`id` or `name`), `row_id`, and `value` with
/// missing values as NULL.
fn value_batch<'a>(
    keys: ArrayRef,
    columns: impl Iterator<Item = &'a [f64]> + Clone,
    key_type: DataType,
    key_name: &str,
) -> RecordBatch {
    let rows = columns.clone().flat_map(|values| 0..values.len() as i32);
    let values = columns.flat_map(|values| values.iter().map(|&v| (!v.is_nan()).then_some(v)));
    let schema = Schema::new(vec![
        Field::new(key_name, key_type, false),
        Field::new("row_id", DataType::Int32, false),
        Field::new("value", DataType::Float64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            keys,
            Arc::new(Int32Array::from_iter_values(rows)),
            Arc::new(values.collect::<Float64Array>()),
        ],
    )
    .expect("the batch's columns have equal lengths and match the schema")
}

fn manifest_entries(b: &FrozenBundle, hash: &str) -> Vec<(String, String)> {
    let mut m = vec![
        ("format".to_string(), BUNDLE_FORMAT.to_string()),
        ("bundle_sha256".to_string(), hash.to_string()),
        ("frequency".to_string(), b.frequency.to_string()),
        ("rows".to_string(), b.n_rows().to_string()),
        ("columns".to_string(), b.catalogue.len().to_string()),
        (
            "in_start".to_string(),
            b.dates[b.sample.in_start].to_string(),
        ),
        ("in_end".to_string(), b.dates[b.sample.in_end].to_string()),
        (
            "full_end".to_string(),
            b.dates[b.sample.full_end].to_string(),
        ),
        (
            "specsearch_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        (
            "created_at".to_string(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ];
    for (i, s) in b.sources.iter().enumerate() {
        m.push((
            format!("source.{i}"),
            format!("{} sha256:{}", s.path.display(), s.sha256),
        ));
    }
    m
}

/// A catalogue column's definition and pretest verdicts, as `show` lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDefinition {
    pub transform: Option<String>,
    pub period: Option<i64>,
    pub lag: Option<i64>,
    pub category: Option<String>,
    pub expected_sign: Option<i64>,
    pub full_dummy_set: Option<bool>,
    pub adf_pvalue: Option<f64>,
    pub pp_pvalue: Option<f64>,
    pub stationary: Option<bool>,
}

/// A read-only handle on `features.duckdb`.
pub struct BundleReader {
    path: PathBuf,
    conn: Connection,
    /// The calendar, read once.
    dates: std::cell::OnceCell<Vec<(chrono::NaiveDate, String)>>,
}

/// Catalogue metadata as read back (values are read separately as a matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueRow {
    pub id: u32,
    pub name: String,
    pub role: String,
    pub base: String,
    pub category: Option<String>,
    pub expected_sign: i8,
    pub dummy_set: Option<String>,
    pub full_dummy_set: bool,
    pub kept: bool,
    pub exclusion_reason: Option<String>,
}

impl BundleReader {
    /// Opens the bundle read-only with one DuckDB thread and a memory limit, as workers do.
    pub fn open(path: &Path) -> Result<BundleReader, BundleError> {
        let e = db_err(path);
        if !path.exists() {
            return Err(BundleError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no frozen bundle here; run `specsearch freeze CONFIG` first",
                ),
            });
        }
        let config = duckdb::Config::default()
            .access_mode(AccessMode::ReadOnly)
            .and_then(|c| c.threads(1))
            .and_then(|c| c.max_memory("512MB"))
            .map_err(&e)?;
        let conn = Connection::open_with_flags(path, config).map_err(&e)?;
        Ok(BundleReader {
            path: path.to_path_buf(),
            conn,
            dates: std::cell::OnceCell::new(),
        })
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn manifest(&self) -> Result<BTreeMap<String, String>, BundleError> {
        let e = db_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM manifest")
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(&e)?;
        rows.collect::<Result<_, _>>().map_err(&e)
    }

    pub fn bundle_hash(&self) -> Result<String, BundleError> {
        self.manifest()?
            .remove("bundle_sha256")
            .ok_or_else(|| BundleError::Corrupt {
                path: self.path.clone(),
                message: "the manifest has no bundle_sha256; re-run `specsearch freeze`".into(),
            })
    }

    pub fn catalogue(&self) -> Result<Vec<CatalogueRow>, BundleError> {
        let e = db_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, role, base, category, expected_sign, dummy_set, \
                 full_dummy_set, kept, exclusion_reason FROM catalogue ORDER BY id",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CatalogueRow {
                    id: r.get::<_, i32>(0)? as u32,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    base: r.get(3)?,
                    category: r.get(4)?,
                    expected_sign: r.get::<_, i32>(5)? as i8,
                    dummy_set: r.get(6)?,
                    full_dummy_set: r.get(7)?,
                    kept: r.get(8)?,
                    exclusion_reason: r.get(9)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<Result<_, _>>().map_err(&e)
    }

    /// Number of frozen columns (the manifest's `columns`; composites replayed after runs have
    /// ids at or above it).
    pub fn frozen_columns(&self) -> Result<usize, BundleError> {
        self.manifest()?
            .get("columns")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| BundleError::Corrupt {
                path: self.path.clone(),
                message: "the manifest has no column count; re-run `specsearch freeze`".into(),
            })
    }

    /// The definitions and pretest verdicts of the catalogue columns named `names`, in the
    /// order asked (`None` for a name the catalogue does not have); one query for all.
    pub fn definitions(
        &self,
        names: &[&str],
    ) -> Result<Vec<Option<ColumnDefinition>>, BundleError> {
        let e = db_err(&self.path);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; names.len()].join(", ");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT name, transform, period, lag, category, expected_sign, full_dummy_set, \
                 adf_pvalue, pp_pvalue, stationary FROM catalogue WHERE name IN ({marks})"
            ))
            .map_err(&e)?;
        let rows = stmt
            .query_map(duckdb::params_from_iter(names), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ColumnDefinition {
                        transform: r.get(1)?,
                        period: r.get::<_, Option<i32>>(2)?.map(i64::from),
                        lag: r.get::<_, Option<i32>>(3)?.map(i64::from),
                        category: r.get(4)?,
                        expected_sign: r.get::<_, Option<i32>>(5)?.map(i64::from),
                        full_dummy_set: r.get(6)?,
                        adf_pvalue: r.get(7)?,
                        pp_pvalue: r.get(8)?,
                        stationary: r.get(9)?,
                    },
                ))
            })
            .map_err(&e)?;
        let mut found: std::collections::HashMap<String, ColumnDefinition> = Default::default();
        for row in rows {
            let (name, def) = row.map_err(&e)?;
            found.insert(name, def);
        }
        Ok(names.iter().map(|n| found.get(*n).cloned()).collect())
    }

    /// The calendar: every date with where it sits relative to the sample (`before`, `in`,
    /// `out`, `after`), in row order.
    pub fn dates(&self) -> Result<Vec<(chrono::NaiveDate, String)>, BundleError> {
        if let Some(d) = self.dates.get() {
            return Ok(d.clone());
        }
        let e = db_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT CAST(date AS VARCHAR), sample FROM dates ORDER BY row_id")
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            let (date, sample) = row.map_err(&e)?;
            let date = date.parse().map_err(|_| BundleError::Corrupt {
                path: self.path.clone(),
                message: format!("dates has an unreadable date {date:?}"),
            })?;
            out.push((date, sample));
        }
        Ok(self.dates.get_or_init(|| out).clone())
    }

    /// The values of the catalogue columns named `names` over every date (missing as NaN), in
    /// the order asked; `None` for a name the catalogue does not have (e.g. a composite not
    /// replayed yet). One query reads only those columns, whatever the size of the bundle.
    pub fn named_columns(&self, names: &[&str]) -> Result<Vec<Option<Vec<f64>>>, BundleError> {
        let e = db_err(&self.path);
        let rows = self.dates()?.len();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; names.len()].join(", ");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT c.name, v.row_id, v.value FROM catalogue c \
                 LEFT JOIN feature_values v ON v.id = c.id WHERE c.name IN ({marks})"
            ))
            .map_err(&e)?;
        let mut found: std::collections::HashMap<String, Vec<f64>> = Default::default();
        let mut r = stmt.query(duckdb::params_from_iter(names)).map_err(&e)?;
        while let Some(row) = r.next().map_err(&e)? {
            let name: String = row.get(0).map_err(&e)?;
            let column = found
                .entry(name.clone())
                .or_insert_with(|| vec![MISSING; rows]);
            let Some(row_id) = row.get::<_, Option<i32>>(1).map_err(&e)? else {
                continue;
            };
            let v: Option<f64> = row.get(2).map_err(&e)?;
            let slot = column
                .get_mut(row_id as usize)
                .ok_or_else(|| BundleError::Corrupt {
                    path: self.path.clone(),
                    message: format!(
                        "column {name} has a value for row {row_id} beyond the calendar"
                    ),
                })?;
            *slot = v.unwrap_or(MISSING);
        }
        Ok(names.iter().map(|n| found.get(*n).cloned()).collect())
    }

    /// The aligned input series named `names` (the bundle's `base_series`: every column of
    /// every input table) over every date, missing as NaN; `None` for a name it lacks.
    pub fn base_columns(&self, names: &[&str]) -> Result<Vec<Option<Vec<f64>>>, BundleError> {
        let e = db_err(&self.path);
        let rows = self.dates()?.len();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; names.len()].join(", ");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT name, row_id, value FROM base_series WHERE name IN ({marks})"
            ))
            .map_err(&e)?;
        let mut found: std::collections::HashMap<String, Vec<f64>> = Default::default();
        let mut r = stmt.query(duckdb::params_from_iter(names)).map_err(&e)?;
        while let Some(row) = r.next().map_err(&e)? {
            let name: String = row.get(0).map_err(&e)?;
            let row_id: i32 = row.get(1).map_err(&e)?;
            let v: Option<f64> = row.get(2).map_err(&e)?;
            let column = found.entry(name).or_insert_with(|| vec![MISSING; rows]);
            if let Some(slot) = column.get_mut(row_id as usize) {
                *slot = v.unwrap_or(MISSING);
            }
        }
        Ok(names.iter().map(|n| found.get(*n).cloned()).collect())
    }

    /// Every frozen catalogue column over every date, read into private memory (replayed
    /// composites are not part of it).
    pub fn matrix(&self) -> Result<FeatureMatrix, BundleError> {
        let e = db_err(&self.path);
        let count = |sql: &str| -> Result<usize, BundleError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v as usize)
                .map_err(&e)
        };
        let rows = count("SELECT count(*) FROM dates")?;
        let cols = self.frozen_columns()?;
        let listed = count(&format!("SELECT count(*) FROM catalogue WHERE id < {cols}"))?;
        if listed != cols {
            return Err(BundleError::Corrupt {
                path: self.path.clone(),
                message: format!(
                    "the catalogue lists {listed} frozen columns, the manifest {cols}"
                ),
            });
        }
        let mut data = vec![MISSING; rows * cols];
        let mut seen = 0usize;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, row_id, value FROM feature_values WHERE id < {cols}"
            ))
            .map_err(&e)?;
        for batch in stmt.query_arrow([]).map_err(&e)? {
            let ids = batch.column(0).as_any().downcast_ref::<Int32Array>();
            let row_ids = batch.column(1).as_any().downcast_ref::<Int32Array>();
            let values = batch.column(2).as_any().downcast_ref::<Float64Array>();
            let (Some(ids), Some(row_ids), Some(values)) = (ids, row_ids, values) else {
                return Err(BundleError::Corrupt {
                    path: self.path.clone(),
                    message: "feature_values has unexpected column types".into(),
                });
            };
            for i in 0..batch.num_rows() {
                let (id, row) = (ids.value(i) as usize, row_ids.value(i) as usize);
                if id >= cols || row >= rows {
                    return Err(BundleError::Corrupt {
                        path: self.path.clone(),
                        message: format!("feature_values has a value for column {id}, row {row} outside the catalogue"),
                    });
                }
                if !values.is_null(i) {
                    data[id * rows + row] = values.value(i);
                }
                seen += 1;
            }
        }
        if seen != rows * cols {
            return Err(BundleError::Corrupt {
                path: self.path.clone(),
                message: format!("feature_values has {seen} values, expected {}", rows * cols),
            });
        }
        Ok(FeatureMatrix::from_owned(rows, cols, data))
    }
}

/// The DuckDB library this binary is linked with, as it reports itself (`--version`).
pub fn duckdb_version() -> Result<String, duckdb::Error> {
    Connection::open_in_memory()?.query_row(
        "SELECT library_version, source_id FROM pragma_version()",
        [],
        |r| {
            Ok(format!(
                "{} (source id {})",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        },
    )
}
