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

    /// The kind of network or cluster filesystem the workspace is on, if it is on one: a
    /// SQLite journal must not be written there (its locking is unreliable over NFS and the
    /// like, and its write-ahead log needs memory shared on one host), so `run` warns.
    pub fn network_filesystem(&self) -> Option<&'static str> {
        let fs = nix::sys::statfs::statfs(&self.dir).ok()?;
        network_filesystem_name(fs.filesystem_type())
    }

    /// Warns that `journal` must not be written where it is, if the workspace is on a
    /// network filesystem.
    pub fn warn_if_on_network_filesystem(&self, journal: &Path) {
        if let Some(fs) = self.network_filesystem() {
            tracing::warn!(
                "the journal {} is on a network filesystem ({fs}), where SQLite's locking is \
                 unreliable: give run a --workspace on a local disk (README: shard journals \
                 are local files)",
                journal.display()
            );
        }
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

/// The network and cluster filesystems among statfs(2)'s magic numbers (linux/magic.h and
/// the filesystems' own headers).
fn network_filesystem_name(fs: nix::sys::statfs::FsType) -> Option<&'static str> {
    Some(match fs.0 {
        0x6969 => "NFS",
        0x517B => "SMB",
        0xFF53_4D42 => "CIFS",
        0xFE53_4D42 => "SMB2",
        0x0BD0_0BD0 => "Lustre",
        0x4750_4653 => "GPFS",
        0x00C3_6400 => "CephFS",
        0x1983_0326 => "BeeGFS",
        0x0102_1997 => "9p",
        0x5346_414F | 0x6B41_4653 => "AFS",
        0x7461_636F => "OCFS2",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_directory_is_local_and_nfs_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace {
            dir: dir.path().to_path_buf(),
        };
        // The test machines keep their temporary directories on local disks (or tmpfs).
        assert_eq!(ws.network_filesystem(), None);
        assert_eq!(
            network_filesystem_name(nix::sys::statfs::NFS_SUPER_MAGIC),
            Some("NFS")
        );
        assert_eq!(
            network_filesystem_name(nix::sys::statfs::EXT4_SUPER_MAGIC),
            None
        );
    }
}
