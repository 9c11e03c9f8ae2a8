//! Reading results back from a journal, for the inspection commands (`status`, `top`, `show`,
//! `failures`, `query`, `export`): locating the journal (from a config or `--workspace`),
//! opening it read-only (safe while a run writes: WAL readers see the last commit), choosing a
//! run, and the shared output formats of [`table`].
//!
//! Everything here reads through the journal crate's read-only [`Journal`] handle, which
//! installs this build's views as TEMP views, so a journal written by an older specsearch (or
//! copied from elsewhere) reads exactly like a fresh one, without being modified.

pub mod benchmarks;
pub mod compare;
pub mod export;
pub mod model;
pub mod output;
pub mod report;
pub mod series;
pub mod table;
pub mod workbook;
mod wrap;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use crate::config::{Config, RankingConfig};
use crate::journal::{Journal, RunRow, Weights};
use crate::results::table::TableText;
use crate::store::bundle::BundleReader;
use crate::workspace::Workspace;

pub use table::{Cell, Table};

/// Which journal and which run: a config and/or a workspace directory, a run, a segment (the
/// command line's `CONFIG`, `--workspace`, `--run`, `--segment`).
#[derive(Debug, Clone, Default)]
pub struct JournalChoice {
    /// The search's TOML config (optional with a workspace).
    pub config: Option<PathBuf>,
    /// Directory of the stores; default `<config dir>/<config stem>.specsearch/`.
    pub workspace: Option<PathBuf>,
    /// The run to read, by id or name; default: the latest run of the config.
    pub run: Option<String>,
    /// The segment of a config with `[[segment]]` tables.
    pub segment: Option<String>,
}

/// Output format of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Csv,
    Json,
}

/// Writes one table to stdout in the chosen format.
pub fn print_table(t: &Table, format: Format) -> Result<()> {
    let out = std::io::stdout().lock();
    match format {
        Format::Human => {
            use std::io::Write;
            let mut out = out;
            if t.rows.is_empty() {
                writeln!(out, "(no rows)")?;
            } else {
                write!(out, "{}", t.render())?;
            }
        }
        Format::Csv => t.write_csv(out)?,
        Format::Json => t.write_json(out)?,
    }
    Ok(())
}

/// An open journal and what it was found from.
pub struct OpenJournal {
    pub path: PathBuf,
    pub workspace: Workspace,
    pub journal: Journal,
    /// The config given on the command line, if any (the `--segment` one of a config with
    /// segments; `None` when it has several and none was chosen).
    pub config: Option<Config>,
    /// Every search of that config (its segments), for choosing a run.
    configs: Vec<Config>,
    /// `--segment`.
    segment: Option<String>,
    /// The workspace's frozen bundle, opened on first need (by run bundle hash).
    bundle: std::cell::OnceCell<Result<(BundleReader, String), String>>,
}

/// Opens the journal named by `args` read-only, with the views of this specsearch installed.
pub fn open(args: &JournalChoice) -> Result<OpenJournal> {
    let configs = match args.config.as_deref() {
        Some(path) => crate::config::select(
            path,
            Config::load_all(path)?,
            args.segment.clone().map(|s| vec![s]),
        )?,
        None => Vec::new(),
    };
    let config = (configs.len() == 1).then(|| configs[0].clone());
    let workspace = match configs.first() {
        Some(c) => Workspace::for_config(c, args.workspace.as_deref()),
        None => Workspace {
            dir: args
                .workspace
                .clone()
                .ok_or_else(|| anyhow!("give a CONFIG or --workspace DIR"))?,
        },
    };
    let path = workspace.journal();
    let journal = Journal::open(&path)?;
    Ok(OpenJournal {
        path,
        workspace,
        journal,
        config,
        configs,
        segment: args.segment.clone(),
        bundle: std::cell::OnceCell::new(),
    })
}

impl OpenJournal {
    /// The run named by `--run`, else the latest run of the config, else the latest run.
    /// Its counters and stored ranking are checked (`Journal::verify_run`) before any result
    /// of it is shown.
    pub fn select_run(&self, run: Option<&str>) -> Result<RunRow> {
        let row = self
            .find_run(run)
            .with_context(|| format!("reading {}", self.path.display()))?;
        self.journal.verify_run(row.run_id)?;
        Ok(row)
    }

    fn find_run(&self, run: Option<&str>) -> Result<RunRow> {
        if let Some(r) = run {
            return self.journal.find_run(r)?.ok_or_else(|| {
                let known: Vec<String> = self
                    .journal
                    .runs()
                    .map(|v| {
                        v.iter()
                            .map(|r| format!("{} ({})", r.run_id, r.name))
                            .collect()
                    })
                    .unwrap_or_default();
                anyhow!(
                    "no run {r:?} in {}; runs: {}",
                    self.path.display(),
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )
            });
        }
        if let Some(segment) = &self.segment {
            return self.latest_of_segment(segment);
        }
        if self.configs.len() > 1 {
            return self.latest_of_segments();
        }
        if let Some(config) = &self.config {
            if let Some(run) = self.journal.latest_run_of_search(&config.search_hash())? {
                return Ok(run);
            }
            if let Some(latest) = self.journal.latest_run()? {
                eprintln!(
                    "note: no run of {} as it is now (it changed since its last run); showing \
                     the latest run, {} (choose another with --run)",
                    config.path.display(),
                    latest.name
                );
                return Ok(latest);
            }
        }
        match self.journal.latest_run()? {
            Some(r) => Ok(r),
            None => bail!(
                "the journal {} has no runs yet: run `specsearch run CONFIG` first",
                self.path.display()
            ),
        }
    }

    /// The latest run of `--segment NAME`: of the config's segment as it is now, else any run
    /// of a segment of that name (with a note).
    fn latest_of_segment(&self, segment: &str) -> Result<RunRow> {
        let hashes: Vec<String> = self.configs.iter().map(|c| c.search_hash()).collect();
        let mut run = self.journal.latest_run_of_segment(segment, &hashes)?;
        if run.is_none() && !hashes.is_empty() {
            run = self.journal.latest_run_of_segment(segment, &[])?;
            if run.is_some() {
                eprintln!(
                    "note: no run of segment {segment} as the config is now (it changed since); \
                     showing its latest run"
                );
            }
        } else if run.is_none() {
            run = self.journal.latest_run_of_segment(segment, &[])?;
        }
        match run {
            Some(run) => Ok(run),
            None => bail!(
                "the journal {} has no run of segment {segment}: run `specsearch run CONFIG \
                 --segment {segment}` first",
                self.path.display()
            ),
        }
    }

    /// The latest run of any segment of a config with several, saying which it is.
    fn latest_of_segments(&self) -> Result<RunRow> {
        let mut latest: Option<RunRow> = None;
        for c in &self.configs {
            if let Some(r) = self.journal.latest_run_of_search(&c.search_hash())? {
                if latest.as_ref().is_none_or(|l| r.run_id > l.run_id) {
                    latest = Some(r);
                }
            }
        }
        let names: Vec<&str> = self
            .configs
            .iter()
            .filter_map(|c| c.segment_name())
            .collect();
        match latest {
            Some(run) => {
                eprintln!(
                    "note: the config has segments {}; showing run {} (choose with --segment \
                     NAME or --run RUN)",
                    names.join(", "),
                    run.name
                );
                Ok(run)
            }
            None => bail!(
                "the journal {} has no run of the segments {} yet: run `specsearch run CONFIG` \
                 first",
                self.path.display(),
                names.join(", ")
            ),
        }
    }

    /// The config the run was created with (parsed from the journal's copy of its text; the
    /// run's segment of a `[[segment]]` config), for its ranking weights and filter
    /// thresholds.
    pub fn run_config(&self, run: &RunRow) -> Option<Config> {
        let text = self.journal.config_text(run.run_id).ok()?;
        let all = Config::parse_all(Path::new(&run.config_path), &text).ok()?;
        let segment = self.journal.segment_of(run.run_id).ok()?;
        all.into_iter()
            .find(|c| c.segment_name() == segment.as_deref())
    }

    /// The workspace directory holding the run's frozen bundle (a segment's own directory for
    /// a run of a `[[segment]]` config).
    pub fn run_store(&self, run: &RunRow) -> Workspace {
        match self.journal.segment_of(run.run_id).ok().flatten() {
            Some(name) => self.workspace.segment(&name),
            None => self.workspace.clone(),
        }
    }

    /// The ranking section of the run's config (defaults if it cannot be read).
    pub fn run_ranking(&self, run: &RunRow) -> RankingConfig {
        self.run_config(run)
            .map(|c| c.file.ranking)
            .unwrap_or_default()
    }

    /// The ranking weights of the run's config (defaults if it cannot be read).
    pub fn run_weights(&self, run: &RunRow) -> Weights {
        self.run_ranking(run).weights()
    }

    /// The workspace's `features.duckdb` when it is the bundle `run` used (opened once per
    /// journal and shared by every report); otherwise why not.
    pub fn run_bundle(&self, run: &RunRow) -> Result<&BundleReader, String> {
        let store = self.run_store(run);
        let opened = self.bundle.get_or_init(|| {
            let path = store.features_duckdb();
            let reader = BundleReader::open(&path).map_err(|e| e.to_string())?;
            let hash = reader.bundle_hash().map_err(|e| e.to_string())?;
            Ok((reader, hash))
        });
        match opened {
            Ok((reader, hash)) if *hash == run.bundle_hash => Ok(reader),
            Ok((_, hash)) => Err(format!(
                "{} holds other data (bundle {}) than run {} used ({}); re-run `specsearch \
                 freeze` on the run's config and data",
                store.features_duckdb().display(),
                &hash[..hash.len().min(12)],
                run.name,
                &run.bundle_hash[..run.bundle_hash.len().min(12)]
            )),
            Err(e) => Err(e.clone()),
        }
    }

    /// Whether a coordinator holds the workspace lock now (`None`: cannot tell, e.g. not Linux
    /// or no lock file). A `running` run without one was killed and resumes on the next `run`.
    pub fn coordinator_alive(&self) -> Option<bool> {
        coordinator_alive(&self.workspace.dir)
    }
}

/// Looks for a `flock` on `<dir>/run.lock` in /proc/locks (by inode), without taking it.
pub fn coordinator_alive(dir: &Path) -> Option<bool> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(dir.join("run.lock")).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    Some(locks.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 7030 00:2f:1234 0 EOF"
        f.get(1) == Some(&"FLOCK")
            && f.get(5)
                .and_then(|dev| dev.rsplit(':').next())
                .and_then(|i| i.parse::<u64>().ok())
                == Some(inode)
    }))
}

/// Parses `--weights fit,is,oos` (three non-negative numbers).
pub fn parse_weights(s: &str) -> Result<Weights, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(format!(
            "{s:?}: give three weights fit,in_sample,out_of_sample, e.g. 1,1,0"
        ));
    }
    let mut w = [0.0; 3];
    for (slot, p) in w.iter_mut().zip(&parts) {
        let v: f64 = p.parse().map_err(|_| {
            format!("{p:?} is not a number (weights are fit,in_sample,out_of_sample)")
        })?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!("{p}: weights must be finite and non-negative"));
        }
        if v > crate::config::MAX_WEIGHT {
            return Err(format!(
                "{p}: weights are relative (e.g. 1,1,0.5) and at most {:e}",
                crate::config::MAX_WEIGHT
            ));
        }
        *slot = v;
    }
    Ok(Weights {
        fit: w[0],
        in_sample: w[1],
        out_of_sample: w[2],
    })
}
