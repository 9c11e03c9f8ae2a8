//! From a config to aligned data: load the tables and metadata, align them on the target's
//! calendar, build the target series and locate the sample windows (§1 of docs/semantics.md).
//!
//! Every check against the data happens here, before anything is written.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::config::Config;
use crate::data::{self, DataError, Frequency, Panel, Sample, TableSource};
use crate::features::{self, metadata, Transform};
use crate::store::SourceFile;

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Metadata(#[from] metadata::MetadataError),
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything the freeze needs, checked.
#[derive(Debug)]
pub struct Prepared {
    pub panel: Panel,
    pub metadata: metadata::Metadata,
    /// Name of the target series, e.g. `realcons_QQGR` or `hpi_MMGR_LEAD1`.
    pub target_name: String,
    pub target: Vec<f64>,
    pub sample: Sample,
    /// In-sample rows left out of every fit (`sample.outliers`, §9), ascending.
    pub outliers: Vec<usize>,
    pub sources: Vec<SourceFile>,
}

impl Prepared {
    pub fn frequency(&self) -> Frequency {
        self.panel.frequency
    }
    pub fn dates(&self) -> &[NaiveDate] {
        &self.panel.dates
    }
    /// The rows of the in-sample fit: the window without the outliers.
    pub fn fit_rows(&self) -> Vec<usize> {
        self.sample.fit_rows(&self.outliers)
    }
}

/// Loads and aligns the data of a config.
pub fn prepare(config: &Config) -> Result<Prepared, PrepareError> {
    let invalid = |key: &str, message: String| PrepareError::Invalid {
        path: config.path.clone(),
        key: key.to_string(),
        message,
    };
    let d = &config.file.data;
    let metadata_path = config.resolve(&d.metadata);
    let (metadata, metadata_sha256) =
        metadata::load_metadata_typed(&metadata_path, &config.type_map())?;
    let mut sources = vec![SourceFile {
        path: metadata_path.clone(),
        sha256: metadata_sha256,
    }];

    let load = |t: &crate::config::TableConfig| -> Result<data::Table, PrepareError> {
        let path = config.resolve(&t.path);
        let table = data::load_table(&TableSource {
            path: &path,
            date_column: t.date_column.as_deref(),
            ffill: t.ffill,
            sheet: t.sheet.as_deref(),
        })?;
        Ok(table)
    };
    // Each file's bytes are hashed from the one read (a workbook's whole file for a sheet).
    let source_of = |t: &crate::config::TableConfig, table: &data::Table| SourceFile {
        path: config.resolve(&t.path),
        sha256: table.sha256.clone(),
    };
    let target_table = load(&d.target_table)?;
    sources.push(source_of(&d.target_table, &target_table));
    let mut mevs = Vec::with_capacity(d.mev_tables.len());
    for t in &d.mev_tables {
        let table = load(t)?;
        sources.push(source_of(t, &table));
        mevs.push(table);
    }
    let panel = data::align(&target_table, &mevs, &|name: &str| {
        metadata.aggregation(name)
    })?;

    let tc = &config.file.target;
    let raw = panel.column(&tc.column).ok_or_else(|| {
        invalid(
            "target.column",
            format!(
                "{:?} is not a column of the target table {}",
                tc.column,
                target_table.path.display()
            ),
        )
    })?;
    let freq = panel.frequency;
    let (sample, outliers) = locate_sample(config, &panel, &invalid)?;
    // A ratio target (§9): the modelled series is target / exposure, then the transform.
    let (modelled, modelled_name) = match &tc.exposure {
        None => (raw.to_vec(), tc.column.clone()),
        Some(exposure) => {
            let ratio = ratio_series(&panel, raw, exposure, sample.full_end, &invalid)?;
            (ratio, ratio_name(&tc.column, exposure))
        }
    };
    let transformed = features::apply(&modelled, tc.transform, tc.period, 0);
    let target = features::lead(&transformed, tc.lead);
    let mut target_name = if tc.transform == Transform::Lv {
        modelled_name
    } else {
        features::variant_name(&modelled_name, tc.transform, tc.period, 0, freq)
    };
    if tc.lead > 0 {
        target_name.push_str(&format!("_LEAD{}", tc.lead));
    }

    if let Some(row) = sample
        .fit_rows(&outliers)
        .into_iter()
        .find(|&r| !target[r].is_finite())
    {
        return Err(invalid(
            "sample.in_start",
            format!(
                "the target {target_name} has no value on in-sample date {} (the transform or \
                 lead needs history the data does not have, or the column is missing there); \
                 move sample.in_start/in_end inside the target's valid span",
                panel.dates[row]
            ),
        ));
    }
    Ok(Prepared {
        panel,
        metadata,
        target_name,
        target,
        sample,
        outliers,
        sources,
    })
}

fn locate_sample(
    config: &Config,
    panel: &Panel,
    invalid: &dyn Fn(&str, String) -> PrepareError,
) -> Result<(Sample, Vec<usize>), PrepareError> {
    let s = &config.file.sample;
    let freq = panel.frequency;
    let first = panel.dates[0];
    let last = *panel.dates.last().expect("a panel has at least one date");
    let find = |key: &str, text: &str| -> Result<usize, PrepareError> {
        let date = data::parse_date(text)
            .ok_or_else(|| invalid(key, format!("{text:?} is not a date (use YYYY-MM-DD)")))?;
        let snapped = data::snap_to_period_end(date, freq);
        panel.index_of_date(snapped).ok_or_else(|| {
            invalid(
                key,
                format!("{snapped} is outside the data, which runs from {first} to {last}"),
            )
        })
    };
    let in_start = find("sample.in_start", &s.in_start)?;
    let in_end = find("sample.in_end", &s.in_end)?;
    let full_end = match &s.full_end {
        Some(text) => find("sample.full_end", text)?,
        None => in_end,
    };
    if in_end < in_start {
        return Err(invalid(
            "sample.in_end",
            format!(
                "{} is before sample.in_start {}: the in-sample window is empty",
                panel.dates[in_end], panel.dates[in_start]
            ),
        ));
    }
    if full_end < in_end {
        return Err(invalid(
            "sample.full_end",
            format!(
                "{} is before sample.in_end {}",
                panel.dates[full_end], panel.dates[in_end]
            ),
        ));
    }
    let mut outliers: Vec<usize> = Vec::with_capacity(s.outliers.len());
    for (i, text) in s.outliers.iter().enumerate() {
        let key = format!("sample.outliers[{i}]");
        let row = find(&key, text)?;
        if !(in_start..=in_end).contains(&row) {
            return Err(invalid(
                &key,
                format!(
                    "{} is outside the in-sample window {} to {}: an outlier date is an \
                     in-sample date left out of the fit",
                    panel.dates[row], panel.dates[in_start], panel.dates[in_end]
                ),
            ));
        }
        if outliers.contains(&row) {
            return Err(invalid(
                &key,
                format!("{} is listed twice", panel.dates[row]),
            ));
        }
        outliers.push(row);
    }
    outliers.sort_unstable();
    Ok((
        Sample {
            in_start,
            in_end,
            full_end,
        },
        outliers,
    ))
}

/// The name of a ratio target's modelled series: `<column>_per_<exposure>`.
pub fn ratio_name(column: &str, exposure: &str) -> String {
    format!("{column}_per_{exposure}")
}

/// `target / exposure` on every date; a zero exposure up to `last` (full_end) where the target
/// has a value is an error naming the date.
fn ratio_series(
    panel: &Panel,
    target: &[f64],
    exposure: &str,
    last: usize,
    invalid: &dyn Fn(&str, String) -> PrepareError,
) -> Result<Vec<f64>, PrepareError> {
    let e = panel.column(exposure).ok_or_else(|| {
        invalid(
            "target.exposure",
            format!("{exposure:?} is not a column of the data tables"),
        )
    })?;
    if let Some(row) = (0..=last).find(|&r| e[r] == 0.0 && target[r].is_finite()) {
        return Err(invalid(
            "target.exposure",
            format!(
                "{exposure} is zero on {}: the ratio target / exposure has no value there",
                panel.dates[row]
            ),
        ));
    }
    Ok(target.iter().zip(e).map(|(t, e)| t / e).collect())
}
