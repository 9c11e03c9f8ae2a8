//! One search, resolved once: config → prepared data → frozen bundle (in memory) → plan →
//! worker setup. Every command that needs more than the journal (`run`, `merge`, `plan`,
//! `show-model`, …) opens a [`Session`] and takes the pieces it needs from it, so the sequence
//! is written in one place and nothing is computed twice (the worker setup takes the plan's
//! composite table instead of recomputing it).
//!
//! Opening a session reads the inputs and writes nothing; [`Session::freeze`] writes the bundle
//! when the workspace's copy is stale.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use crate::config::Config;
use crate::freeze::{self, Built, FreezeReport};
use crate::journal::RunFeature;
use crate::plan::{self, Plan};
use crate::runtime::context::{ColumnSetup, SearchSetup, Transport};
use crate::runtime::lock;
use crate::spec::FeatureRole;
use crate::workspace::Workspace;

/// Matrices at least this large go through `mmap` when the transport is `auto`.
pub const AUTO_MMAP_BYTES: usize = 64 << 20;

/// A config with its data prepared, its bundle built and its spec space planned.
pub struct Session {
    pub config: Config,
    /// Where this search's frozen bundle lives: the workspace itself, or for a segment of a
    /// `[[segment]]` config its directory `segments/<name>/` (a bundle per segment).
    pub workspace: Workspace,
    /// The workspace: the journal (one for every segment) and the run lock.
    pub workspace_root: Workspace,
    pub built: Built,
    pub plan: Plan,
    /// How long opening took, by step.
    pub timings: OpenTimings,
}

/// Wall time of the steps of [`Session::open`], in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OpenTimings {
    /// Load and align the data, materialise and pretest every variant (the bundle in memory).
    pub build_s: f64,
    /// Plan the spec space.
    pub plan_s: f64,
}

impl Session {
    /// Prepares, builds and plans the config's search (no files are written).
    pub fn open(config: Config, workspace: Option<&Path>) -> Result<Session> {
        let workspace_root = Workspace::for_config(&config, workspace);
        let workspace = match config.segment_name() {
            Some(name) => workspace_root.segment(name),
            None => workspace_root.clone(),
        };
        let started = Instant::now();
        let built = freeze::build(&config)?;
        let build_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let b = &built.bundle;
        let key_context = plan::key_context_with(&b.catalogue, &b.dates, b.sample, &b.outliers);
        let plan = plan::plan(
            &config,
            &b.catalogue,
            &built.metadata,
            &built.search,
            key_context,
        )?;
        let timings = OpenTimings {
            build_s,
            plan_s: started.elapsed().as_secs_f64(),
        };
        Ok(Session {
            config,
            workspace,
            workspace_root,
            built,
            plan,
            timings,
        })
    }

    /// Loads the config at `path` and opens its session.
    pub fn load(path: &Path, workspace: Option<&Path>) -> Result<Session> {
        Session::open(Config::load(path)?, workspace)
    }

    /// The bundle hash: the identity of the frozen data.
    pub fn bundle_hash(&self) -> &str {
        &self.built.hash
    }

    /// Writes the bundle into the workspace unless an identical one is there. Coordinators that
    /// share a workspace (shards) take turns, so the bundle is written once.
    pub fn freeze(&self) -> Result<FreezeReport> {
        self.workspace.create()?;
        let _freezing = lock::acquire_blocking(&self.workspace.dir, "freeze.lock")?;
        Ok(freeze::write_built(
            &self.built,
            &self.workspace,
            Instant::now(),
        )?)
    }

    /// Verifies the values of the store evaluators will read through `transport` against the
    /// bundle built from the inputs, rewriting it when it is damaged or stale; returns what it
    /// repaired. Run before every session, so a changed value never reaches an evaluator.
    pub fn verify_store(&self, transport: Transport) -> Result<Option<String>> {
        // Every writer of the stores holds freeze.lock (a freeze cleans up after killed ones).
        let _freezing = lock::acquire_blocking(&self.workspace.dir, "freeze.lock")?;
        Ok(match transport {
            Transport::Mmap => freeze::verify_f64(&self.built, &self.workspace)?,
            Transport::Duckdb => freeze::verify_duckdb(&self.built, &self.workspace)?,
        })
    }

    /// The transport that `auto` resolves to for this bundle.
    pub fn resolve_transport(&self, wanted: crate::config::Transport) -> Transport {
        let b = &self.built.bundle;
        let matrix_bytes = b.n_rows() * b.catalogue.len() * 8;
        match wanted {
            crate::config::Transport::Duckdb => Transport::Duckdb,
            crate::config::Transport::Mmap => Transport::Mmap,
            crate::config::Transport::Auto if matrix_bytes >= AUTO_MMAP_BYTES => Transport::Mmap,
            crate::config::Transport::Auto => Transport::Duckdb,
        }
    }

    /// What every evaluator of this search is told (a few kilobytes; values come from the
    /// bundle through `transport`).
    pub fn setup(&self, transport: Transport) -> SearchSetup {
        let b = &self.built.bundle;
        let catalogue = &b.catalogue;
        // Full dummy sets are tested jointly: number them by their item.
        let full_sets: Vec<&str> = catalogue
            .dummy_sets
            .iter()
            .map(|(item, _)| item.as_str())
            .filter(|item| !item.contains('['))
            .collect();
        let columns = catalogue
            .columns
            .iter()
            .map(|c| ColumnSetup {
                name: c.name.clone(),
                expected_sign: c.sign,
                is_dummy: c.role == FeatureRole::Dummy,
                dummy_group: if c.role == FeatureRole::Dummy && c.full_dummy_set {
                    c.dummy_set
                        .as_deref()
                        .and_then(|s| full_sets.iter().position(|f| *f == s))
                        .map(|p| p as u32)
                } else {
                    None
                },
                adf_p: c.pretest.adf_p,
                pp_p: c.pretest.pp_p,
            })
            .collect();
        SearchSetup {
            workspace: self.workspace.dir.clone(),
            bundle_hash: self.built.hash.clone(),
            transport,
            in_start: b.sample.in_start,
            in_end: b.sample.in_end,
            full_end: b.sample.full_end,
            outliers: b.outliers.clone(),
            target_stationary: self.built.target_pretest.stationary,
            values_checksum: b.values_checksum(),
            thresholds: self.config.file.filters.clone(),
            columns,
            composites: self.plan.composites.clone(),
            space: self.plan.input.clone(),
        }
    }

    /// Every column a run of this session can name: the frozen catalogue (regime sources
    /// included, role `base`) and the composites the workers build, so the journal's views can
    /// expand any outcome's feature list.
    pub fn run_features(&self) -> Vec<RunFeature> {
        let catalogue = &self.built.bundle.catalogue;
        let frozen = catalogue
            .columns
            .iter()
            .enumerate()
            .map(|(id, c)| RunFeature {
                id: id as u32,
                name: c.name.clone(),
                role: c.role,
                base: c.base.clone(),
                category: c.category.clone(),
            });
        let composites = self.plan.composites.iter().map(|c| RunFeature {
            id: c.id,
            name: c.name.clone(),
            role: FeatureRole::Composite,
            base: c.base.clone(),
            category: c.category.clone(),
        });
        frozen.chain(composites).collect()
    }

    /// The run name's stem: `demo` for `examples/demo/search.toml` (the config's stem, or its
    /// directory's name when the stem says nothing, like `search` or `config`); a segment's
    /// name for a segment (`deposits#1`).
    pub fn run_name_stem(&self) -> String {
        let config = &self.config;
        if let Some(segment) = config.segment_name() {
            return segment.to_string();
        }
        let stem = config
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let generic = matches!(stem.as_str(), "" | "search" | "config" | "specsearch");
        let dir = std::fs::canonicalize(&config.base_dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
        match (generic, dir) {
            (true, Some(dir)) => dir,
            (true, None) => "run".into(),
            (false, _) => stem,
        }
    }
}
