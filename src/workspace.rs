//! Where a config's stores live: `<config dir>/<config stem>.specsearch/` unless `--workspace`
//! says otherwise.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// The files of one workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
}

impl Workspace {
    /// The workspace given on the command line, or the config's default.
    pub fn for_config(config: &Config, explicit: Option<&Path>) -> Workspace {
        Workspace {
            dir: explicit
                .map(Path::to_path_buf)
                .unwrap_or_else(|| config.default_workspace()),
        }
    }

    /// Where segment `name` of a `[[segment]]` config keeps its frozen bundle
    /// (`segments/<name>/`); the journal stays in the workspace itself.
    pub fn segment(&self, name: &str) -> Workspace {
        Workspace {
            dir: self.dir.join("segments").join(name),
        }
    }

    pub fn features_duckdb(&self) -> PathBuf {
        self.dir.join("features.duckdb")
    }

    pub fn features_f64(&self) -> PathBuf {
        self.dir.join("features.f64")
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.sqlite")
    }

    /// The journal of shard `index` of `count` (`run --shard`), merged later by `merge`.
    pub fn shard_journal(&self, index: u32, count: u32) -> PathBuf {
        self.dir
            .join(format!("journal-shard-{index}-of-{count}.sqlite"))
    }

    /// Creates the directory if needed, naming it in the error.
    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot create workspace {}: {e}", self.dir.display()),
            )
        })
    }
}
