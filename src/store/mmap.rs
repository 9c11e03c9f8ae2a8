//! `features.f64`: the frozen matrix as one dense column-major little-endian f64 array that
//! every worker maps, so large bundles are in memory once, whatever the worker count.
//!
//! Layout: an 8-byte magic `SPECF64\0`, a u32 format version, a u32 header length, a JSON header
//! (`layout`, `dtype`, `rows`, `cols`, `data_offset`, `bundle_sha256`, `values_xxh3`, `names`),
//! zero padding to
//! `data_offset` (a multiple of 4096, so the data is page- and f64-aligned), then the values.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{canonical_bits, FeatureMatrix, FrozenBundle};

const MAGIC: &[u8; 8] = b"SPECF64\0";
const VERSION: u32 = 1;
const PAGE: usize = 4096;

/// The JSON header of `features.f64`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub layout: String,
    pub dtype: String,
    pub rows: usize,
    pub cols: usize,
    pub data_offset: usize,
    pub bundle_sha256: String,
    /// Content checksum of the values ([`super::FeatureMatrix::checksum`]); empty in files
    /// written before it existed (they are re-exported on first use).
    #[serde(default)]
    pub values_xxh3: String,
    /// Catalogue names in column order (column i = catalogue id i).
    pub names: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MmapError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}; re-run `specsearch freeze` to rebuild it")]
    Invalid { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> MmapError + '_ {
    move |source| MmapError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the matrix atomically (temporary file, fsync, rename).
pub fn write(path: &Path, bundle: &FrozenBundle, hash: &str) -> Result<(), MmapError> {
    let e = io_err(path);
    let rows = bundle.n_rows();
    let cols = bundle.catalogue.len();
    let mut header = Header {
        layout: "column-major".into(),
        dtype: "f64le".into(),
        rows,
        cols,
        data_offset: 0,
        bundle_sha256: hash.to_string(),
        values_xxh3: bundle.values_checksum(),
        names: bundle
            .catalogue
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect(),
    };
    // The offset depends on the header's length, which depends on the offset's digits: settle
    // it by computing with the final offset, which is at most one page larger.
    let mut json = serde_json::to_vec(&header).expect("header serialises");
    header.data_offset = (16 + json.len() + 32).div_ceil(PAGE) * PAGE;
    json = serde_json::to_vec(&header).expect("header serialises");
    assert!(16 + json.len() <= header.data_offset);

    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".features.")
        .suffix(".f64.tmp")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(MAGIC).map_err(&e)?;
        w.write_all(&VERSION.to_le_bytes()).map_err(&e)?;
        w.write_all(&(json.len() as u32).to_le_bytes())
            .map_err(&e)?;
        w.write_all(&json).map_err(&e)?;
        w.write_all(&vec![0u8; header.data_offset - 16 - json.len()])
            .map_err(&e)?;
        for c in &bundle.catalogue.columns {
            for &v in &c.values {
                w.write_all(&canonical_bits(v).to_le_bytes()).map_err(&e)?;
            }
        }
        w.flush().map_err(&e)?;
    }
    // Temporary files are created owner-only; the bundle is as readable as features.duckdb.
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(&e)?;
    }
    tmp.as_file().sync_all().map_err(&e)?;
    tmp.persist(path).map_err(|p| MmapError::Io {
        path: path.to_path_buf(),
        source: p.error,
    })?;
    Ok(())
}

/// Reads only the header (cheap: used to check freshness).
pub fn read_header(path: &Path) -> Result<Header, MmapError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    // SAFETY: the bundle files are written once, atomically, and never modified in place.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err(path))?;
    parse_header(path, &map)
}

fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header, MmapError> {
    let invalid = |message: String| MmapError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(invalid("not a specsearch features.f64 file".into()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(invalid(format!(
            "format version {version}, this build reads {VERSION}"
        )));
    }
    let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let json = bytes
        .get(16..16 + len)
        .ok_or_else(|| invalid("truncated header".into()))?;
    let header: Header =
        serde_json::from_slice(json).map_err(|err| invalid(format!("bad header: {err}")))?;
    if header.layout != "column-major" || header.dtype != "f64le" {
        return Err(invalid(format!(
            "unsupported layout {} / {}",
            header.layout, header.dtype
        )));
    }
    if !header.data_offset.is_multiple_of(PAGE) || header.names.len() != header.cols {
        return Err(invalid("inconsistent header".into()));
    }
    let need = header.data_offset + header.rows * header.cols * 8;
    if bytes.len() != need {
        return Err(invalid(format!(
            "file is {} bytes, the header describes {need}",
            bytes.len()
        )));
    }
    Ok(header)
}

/// Maps the matrix; the pages are shared with every other process that maps the same file.
pub fn open(path: &Path) -> Result<(Header, FeatureMatrix), MmapError> {
    if cfg!(target_endian = "big") {
        return Err(MmapError::Invalid {
            path: path.to_path_buf(),
            message: "the mmap transport needs a little-endian machine; use --transport duckdb"
                .into(),
        });
    }
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    // SAFETY: as in `read_header`; the file is never modified after its atomic rename.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err(path))?;
    let header = parse_header(path, &map)?;
    let matrix = FeatureMatrix {
        rows: header.rows,
        cols: header.cols,
        storage: super::Storage::Mapped {
            map,
            offset: header.data_offset,
        },
    };
    Ok((header, matrix))
}
