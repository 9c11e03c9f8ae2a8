//! The frozen feature bundle: its in-memory form, its canonical hash, and its two on-disk
//! transports (`features.duckdb`, the store of record, and `features.f64`, a dense column-major
//! matrix workers can map).
//!
//! The bundle hash is computed from the in-memory content before anything is written, so an
//! unchanged freeze is detected without touching the files, and both transports carry the same
//! hash: a reader can check that the pair belongs together.
//!
//! After a run, `replay` adds the composite columns passed models depend on to
//! `features.duckdb` (catalogue role `composite`, ids ≥ the manifest's `columns`). The bundle
//! hash, the mmap file and [`bundle::BundleReader::matrix`] cover the frozen columns only, so
//! replays never invalidate a resume.

pub mod bundle;
pub mod catalogue;
pub mod mmap;
pub mod replay;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use self::catalogue::{Catalogue, FrozenColumn};
use crate::data::Frequency;
use crate::data::Sample;

/// Bumped whenever the bundle's layout or hashing changes.
/// v2: catalogue role `base` (regime source columns), composite rows replayed after runs.
pub const BUNDLE_FORMAT: &str = "specsearch-bundle-v2";

/// An input file and the sha256 of its bytes, recorded in the bundle's manifest.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: std::path::PathBuf,
    pub sha256: String,
}

/// Everything `freeze` writes.
#[derive(Debug)]
pub struct FrozenBundle {
    pub frequency: Frequency,
    pub dates: Vec<NaiveDate>,
    pub sample: Sample,
    /// In-sample rows left out of every fit (`sample.outliers`, §9), ascending.
    pub outliers: Vec<usize>,
    pub catalogue: Catalogue,
    /// The aligned input columns, by name, in panel order.
    pub base_series: Vec<(String, Vec<f64>)>,
    /// Input files and their sha256 (recorded, not hashed: the content is).
    pub sources: Vec<SourceFile>,
}

/// A missing value in a frozen column: one canonical NaN, so both transports and the hash agree
/// bit for bit.
pub const MISSING: f64 = f64::NAN;

/// Canonical bits of a value: every NaN maps to the one canonical NaN.
#[inline]
pub fn canonical_bits(v: f64) -> u64 {
    if v.is_nan() {
        MISSING.to_bits()
    } else {
        v.to_bits()
    }
}

/// sha256 (hex) of one column's values: the little-endian [`canonical_bits`] of every value, in
/// row order, nothing else. The identity of a composite column in mutation records, replays and
/// validation (over every date of the frozen calendar).
pub fn column_sha256(values: &[f64]) -> String {
    let mut h = Sha256::new();
    for &v in values {
        h.update(canonical_bits(v).to_le_bytes());
    }
    hex::encode(h.finalize())
}

fn hash_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn hash_values(h: &mut Sha256, values: &[f64]) {
    h.update((values.len() as u64).to_le_bytes());
    for &v in values {
        h.update(canonical_bits(v).to_le_bytes());
    }
}

fn hash_opt_f64(h: &mut Sha256, v: Option<f64>) {
    match v {
        None => h.update([0u8]),
        Some(v) => {
            h.update([1u8]);
            h.update(canonical_bits(v).to_le_bytes());
        }
    }
}

fn hash_column(h: &mut Sha256, c: &FrozenColumn) {
    hash_str(h, &c.name);
    hash_str(h, c.role.as_str());
    hash_str(h, &c.base);
    hash_str(h, c.transform.map(|t| t.code()).unwrap_or(""));
    h.update(c.period.to_le_bytes());
    h.update(c.lag.to_le_bytes());
    hash_str(h, c.category.as_deref().unwrap_or("\u{0}"));
    hash_str(h, c.var_type.as_ref().map(|t| t.as_str()).unwrap_or(""));
    h.update([c.sign as u8]);
    hash_str(h, c.dummy_set.as_deref().unwrap_or("\u{0}"));
    h.update([u8::from(c.full_dummy_set)]);
    let p = &c.pretest;
    h.update([match p.valid {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }]);
    hash_opt_f64(h, p.adf_p);
    hash_opt_f64(h, p.pp_p);
    h.update([match p.stationary {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }]);
    h.update([u8::from(p.kept)]);
    hash_str(h, p.exclusion.as_deref().unwrap_or("\u{0}"));
    hash_values(h, &c.values);
}

impl FrozenBundle {
    pub fn n_rows(&self) -> usize {
        self.dates.len()
    }

    /// sha256 (hex) over the canonical content: format, calendar, sample, every catalogue
    /// entry with its values, every base series. Length-prefixed fields make it unambiguous.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        hash_str(&mut h, BUNDLE_FORMAT);
        hash_str(&mut h, &self.frequency.to_string());
        h.update((self.dates.len() as u64).to_le_bytes());
        for d in &self.dates {
            hash_str(&mut h, &d.to_string());
        }
        for i in [
            self.sample.in_start,
            self.sample.in_end,
            self.sample.full_end,
        ] {
            h.update((i as u64).to_le_bytes());
        }
        // Outlier rows only when there are any, so a bundle without them hashes as before.
        if !self.outliers.is_empty() {
            hash_str(&mut h, "outliers");
            h.update((self.outliers.len() as u64).to_le_bytes());
            for &r in &self.outliers {
                h.update((r as u64).to_le_bytes());
            }
        }
        h.update((self.catalogue.columns.len() as u64).to_le_bytes());
        for c in &self.catalogue.columns {
            hash_column(&mut h, c);
        }
        h.update((self.base_series.len() as u64).to_le_bytes());
        for (name, values) in &self.base_series {
            hash_str(&mut h, name);
            hash_values(&mut h, values);
        }
        hex::encode(h.finalize())
    }

    /// Whether `row` is an outlier date.
    pub fn is_outlier(&self, row: usize) -> bool {
        self.outliers.binary_search(&row).is_ok()
    }

    /// The rows of the in-sample fit: the window without the outliers.
    pub fn fit_rows(&self) -> Vec<usize> {
        self.sample.fit_rows(&self.outliers)
    }

    /// The rows of a full-sample fit: in-sample and out-of-sample, without the outliers.
    pub fn full_fit_rows(&self) -> Vec<usize> {
        self.sample.full_fit_rows(&self.outliers)
    }

    /// Rows of the in-sample fit.
    pub fn n_fit(&self) -> usize {
        self.sample.n_in() - self.outliers.len()
    }

    /// The frozen matrix in memory, exactly as both transports would return it.
    pub fn matrix(&self) -> FeatureMatrix {
        let rows = self.n_rows();
        let mut data = Vec::with_capacity(rows * self.catalogue.len());
        for c in &self.catalogue.columns {
            data.extend(c.values.iter().map(|&v| f64::from_bits(canonical_bits(v))));
        }
        FeatureMatrix::from_owned(rows, self.catalogue.len(), data)
    }

    /// Where each date sits relative to the sample: `before`, `in`, `outlier` (an in-sample
    /// date left out of the fit), `out`, `after`.
    pub fn sample_label(&self, row: usize) -> &'static str {
        if row < self.sample.in_start {
            "before"
        } else if self.is_outlier(row) {
            "outlier"
        } else if row <= self.sample.in_end {
            "in"
        } else if row <= self.sample.full_end {
            "out"
        } else {
            "after"
        }
    }
}

/// The checksum of [`FeatureMatrix::checksum`] over columns given one at a time.
pub fn values_checksum<'a>(columns: impl IntoIterator<Item = &'a [f64]>) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf: Vec<u8> = Vec::new();
    for column in columns {
        if column
            .iter()
            .all(|v| !v.is_nan() || v.to_bits() == MISSING.to_bits())
        {
            // Already canonical: hash the memory as it is (the fast path: no copy).
            // SAFETY: any initialised f64 slice may be viewed as bytes; LE checked below.
            let bytes = unsafe {
                std::slice::from_raw_parts(column.as_ptr() as *const u8, column.len() * 8)
            };
            if cfg!(target_endian = "little") {
                h.update(bytes);
                continue;
            }
        }
        buf.clear();
        for &v in column {
            buf.extend_from_slice(&canonical_bits(v).to_le_bytes());
        }
        h.update(&buf);
    }
    format!("{:032x}", h.digest128())
}

impl FrozenBundle {
    /// The checksum of the frozen matrix this bundle writes ([`FeatureMatrix::checksum`]),
    /// computed from the catalogue without building the matrix.
    pub fn values_checksum(&self) -> String {
        values_checksum(self.catalogue.columns.iter().map(|c| c.values.as_slice()))
    }
}

/// A dense column-major matrix of every catalogue column over every date, owned or mapped.
pub struct FeatureMatrix {
    rows: usize,
    cols: usize,
    storage: Storage,
}

enum Storage {
    Owned(Vec<f64>),
    Mapped { map: memmap2::Mmap, offset: usize },
}

impl FeatureMatrix {
    pub fn from_owned(rows: usize, cols: usize, data: Vec<f64>) -> FeatureMatrix {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix data has rows × cols values"
        );
        FeatureMatrix {
            rows,
            cols,
            storage: Storage::Owned(data),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, column after column.
    pub fn as_slice(&self) -> &[f64] {
        match &self.storage {
            Storage::Owned(v) => v,
            Storage::Mapped { map, offset } => {
                let bytes = &map[*offset..*offset + self.rows * self.cols * 8];
                // SAFETY: the offset is a multiple of 4096 inside a page-aligned mapping, so the
                // pointer is 8-byte aligned; the length was checked against the file size when
                // the mapping was opened; every bit pattern is a valid f64; the file is
                // little-endian and `mmap::open` refuses big-endian targets.
                unsafe {
                    std::slice::from_raw_parts(bytes.as_ptr() as *const f64, self.rows * self.cols)
                }
            }
        }
    }

    pub fn column(&self, id: u32) -> &[f64] {
        let start = id as usize * self.rows;
        &self.as_slice()[start..start + self.rows]
    }

    /// Content checksum of the values (xxh3-128 over their little-endian bits, column after
    /// column, every NaN canonical), in hex: what every session verifies before evaluating,
    /// so that a changed value in a store can never go unnoticed.
    pub fn checksum(&self) -> String {
        values_checksum(self.as_slice().chunks(self.rows.max(1)))
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self.storage, Storage::Mapped { .. })
    }
}
