//! The freeze step: `prepare` the data (load, align, target, sample), `resolve` the search's
//! items against it, `materialise` every column a spec can use, `pretest` them, and write the
//! bundle (DuckDB store of record + mmap matrix) unless an identical one is already there.

mod inputs;
pub mod materialise;
pub mod prepare;
pub mod pretest;
pub mod resolve;

use std::time::Instant;

use self::prepare::PrepareError;
use self::resolve::ResolvedSearch;
use crate::config::Config;
use crate::spec::FeatureRole;
use crate::store::{self, bundle, mmap, FrozenBundle};
use crate::workspace::Workspace;

#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    #[error(transparent)]
    Bundle(#[from] bundle::BundleError),
    #[error(transparent)]
    Mmap(#[from] mmap::MmapError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The bundle built in memory, with the resolved search it was built for.
pub struct Built {
    pub bundle: FrozenBundle,
    pub hash: String,
    pub search: ResolvedSearch,
    pub target_pretest: pretest::TargetPretest,
    pub metadata: crate::features::metadata::Metadata,
}

/// Builds the bundle in memory from the config's inputs; writes nothing.
pub fn build(config: &Config) -> Result<Built, FreezeError> {
    let prepared = prepare::prepare(config)?;
    let search = resolve::resolve_search(config, &prepared)?;
    let mut catalogue = materialise::build(config, &prepared, &search)?;
    inputs::check_target(config, &catalogue, &search, &prepared.fit_rows())?;
    let target_pretest = pretest::run(&mut catalogue, &prepared.fit_rows(), &prepared.panel.dates);
    let base_series = prepared
        .panel
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.values.clone()))
        .collect();
    let bundle = FrozenBundle {
        frequency: prepared.frequency(),
        dates: prepared.panel.dates.clone(),
        sample: prepared.sample,
        outliers: prepared.outliers.clone(),
        catalogue,
        base_series,
        sources: prepared.sources,
    };
    let hash = bundle.hash();
    Ok(Built {
        bundle,
        hash,
        search,
        target_pretest,
        metadata: prepared.metadata,
    })
}

/// What a freeze did.
#[derive(Debug, Clone)]
pub struct FreezeReport {
    pub hash: String,
    /// False when an identical bundle was already in place.
    pub written: bool,
    /// Stores found damaged or stale despite a current header, and rewritten.
    pub repairs: Vec<String>,
    pub frequency: String,
    pub rows: usize,
    pub in_sample_rows: usize,
    pub out_of_sample_rows: usize,
    pub variables: usize,
    pub variants: usize,
    pub dummies: usize,
    pub seconds: f64,
}

/// The hash of the bundle currently in the workspace, if both transports are present and agree.
pub fn current_hash(ws: &Workspace) -> Option<String> {
    let duck = bundle::BundleReader::open(&ws.features_duckdb()).ok()?;
    let hash = duck.bundle_hash().ok()?;
    let header = mmap::read_header(&ws.features_f64()).ok()?;
    (header.bundle_sha256 == hash).then_some(hash)
}

/// Freezes the config's data into the workspace; a no-op when the bundle is unchanged.
pub fn freeze(config: &Config, ws: &Workspace) -> Result<FreezeReport, FreezeError> {
    let started = Instant::now();
    let built = build(config)?;
    let mut report = write_built(&built, ws, started)?;
    if !report.written {
        // An unchanged header is not enough: check every value of both stores.
        report.repairs.extend(verify_f64(&built, ws)?);
        report.repairs.extend(verify_duckdb(&built, ws)?);
    }
    Ok(report)
}

/// Removes what a killed freeze left in `dir`: its temporary stores (`.features.*.tmp`) and
/// DuckDB's write-ahead logs of them (`.features.*.tmp.wal`); the paths removed. The caller
/// holds `freeze.lock` of `dir`, as every writer of the stores does, so none is being written.
pub fn remove_stale_temporaries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = name.starts_with(".features.")
            && (name.ends_with(".tmp") || name.ends_with(".tmp.wal"));
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// Writes a bundle already built in memory (by `run`, which needs it anyway) unless an
/// identical one is in place; `started` dates the report's elapsed time. The caller holds the
/// workspace's `freeze.lock`; what a killed freeze left behind is removed first.
pub fn write_built(
    built: &Built,
    ws: &Workspace,
    started: Instant,
) -> Result<FreezeReport, FreezeError> {
    for path in remove_stale_temporaries(&ws.dir) {
        tracing::info!(
            "removed {}, left by a freeze that did not finish",
            path.display()
        );
    }
    let b = &built.bundle;
    let written = if current_hash(ws).as_deref() == Some(built.hash.as_str()) {
        false
    } else {
        check_disk(built, ws)?;
        ws.create()?;
        // The mmap file first: the DuckDB manifest is the commit point that makes the pair
        // current, and `current_hash` requires both to carry the same hash.
        mmap::write(&ws.features_f64(), b, &built.hash)?;
        bundle::write(&ws.features_duckdb(), b, &built.hash)?;
        true
    };
    let columns = &b.catalogue.columns;
    let role_count = |r| columns.iter().filter(|c| c.role == r).count();
    let variables = {
        let mut bases: Vec<&str> = columns
            .iter()
            .filter(|c| c.role == FeatureRole::Variant)
            .map(|c| c.base.as_str())
            .collect();
        bases.dedup();
        bases.len()
    };
    Ok(FreezeReport {
        hash: built.hash.clone(),
        written,
        repairs: Vec::new(),
        frequency: b.frequency.to_string(),
        rows: b.n_rows(),
        in_sample_rows: b.n_fit(),
        out_of_sample_rows: b.sample.n_oos(),
        variables,
        variants: role_count(FeatureRole::Variant),
        dummies: role_count(FeatureRole::Dummy),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Checks the values of the workspace's `features.f64` against the bundle built from the
/// inputs (header, size, content checksum) and re-exports it when they differ; returns what
/// was wrong when it had to. A changed value can never reach an evaluator.
pub fn verify_f64(built: &Built, ws: &Workspace) -> Result<Option<String>, FreezeError> {
    let path = ws.features_f64();
    let expected = built.bundle.values_checksum();
    let problem = match mmap::open(&path) {
        Err(err) => err.to_string(),
        Ok((header, _)) if header.bundle_sha256 != built.hash => format!(
            "it belongs to bundle {}, the data make {}",
            &header.bundle_sha256[..header.bundle_sha256.len().min(12)],
            &built.hash[..12]
        ),
        Ok((_, matrix)) => {
            let found = matrix.checksum();
            if found == expected {
                return Ok(None);
            }
            format!(
                "its values differ from the frozen data (checksum {found}, expected {expected})"
            )
        }
    };
    mmap::write(&path, &built.bundle, &built.hash)?;
    Ok(Some(format!(
        "{} was damaged or stale ({problem}); re-exported it from the frozen bundle",
        path.display()
    )))
}

/// Checks the values of the workspace's `features.duckdb` the same way and rewrites the store
/// when they differ (composites replayed into it before are replayed again by the next finish).
pub fn verify_duckdb(built: &Built, ws: &Workspace) -> Result<Option<String>, FreezeError> {
    let path = ws.features_duckdb();
    let expected = built.bundle.values_checksum();
    let found = bundle::BundleReader::open(&path)
        .and_then(|r| Ok((r.bundle_hash()?, r.matrix()?.checksum())));
    let problem = match found {
        Ok((hash, sum)) if hash == built.hash && sum == expected => return Ok(None),
        Ok((hash, _)) if hash != built.hash => format!(
            "it holds bundle {}, the data make {}",
            &hash[..hash.len().min(12)],
            &built.hash[..12]
        ),
        Ok((_, sum)) => {
            format!("its values differ from the frozen data (checksum {sum}, expected {expected})")
        }
        Err(err) => err.to_string(),
    };
    bundle::write(&path, &built.bundle, &built.hash)?;
    Ok(Some(format!(
        "{} was damaged or stale ({problem}); rewrote it from the frozen data",
        path.display()
    )))
}

/// Refuses to write a bundle that would not fit: features.f64 plus about as much again for
/// features.duckdb, against the free space where the workspace lives.
fn check_disk(built: &Built, ws: &Workspace) -> Result<(), FreezeError> {
    let b = &built.bundle;
    let need = (b.n_rows() * b.catalogue.len() * 8) as u64 * 3;
    match crate::resources::free_disk(&ws.dir) {
        Some(free) if need > free => Err(FreezeError::Io(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!(
                "the frozen bundle needs about {} in {} and only {} is free: free some space \
                 or choose another --workspace",
                crate::resources::bytes(need),
                ws.dir.display(),
                crate::resources::bytes(free)
            ),
        ))),
        _ => Ok(()),
    }
}

/// Reads the frozen matrix through the chosen transport (used by workers and tests).
pub fn open_matrix(ws: &Workspace, via_mmap: bool) -> Result<store::FeatureMatrix, FreezeError> {
    if via_mmap {
        let (header, matrix) = mmap::open(&ws.features_f64())?;
        let duck_hash = bundle::BundleReader::open(&ws.features_duckdb())?.bundle_hash()?;
        if header.bundle_sha256 != duck_hash {
            return Err(mmap::MmapError::Invalid {
                path: ws.features_f64(),
                message: format!(
                    "bundle hash {} does not match features.duckdb ({duck_hash})",
                    header.bundle_sha256
                ),
            }
            .into());
        }
        Ok(matrix)
    } else {
        Ok(bundle::BundleReader::open(&ws.features_duckdb())?.matrix()?)
    }
}
