//! Where `export -o` and `report -o` write, so that no output path ever destroys data:
//!
//! - `-`, `/dev/stdout` or any path that *is* the process's standard output (the same file)
//!   streams to standard output; nothing is created or renamed.
//! - A character device, FIFO or socket (`/dev/null`, a named pipe) is opened and written in
//!   place: renaming a file over it would replace the device node.
//! - Anything else is a regular file, written to a temporary file in its directory and renamed
//!   into place (no partial file on failure). A symlink is followed first: the rename replaces
//!   the link's target and the link stays a link.
//!
//! A destination that is one of a workspace's stores (the journal, its `-wal`/`-shm`, the
//! shard journals, `features.duckdb` and its `.wal`, `features.f64`, also under `segments/`) is
//! refused before anything is written, whatever path (symlink, `..`, hard link) names it.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// A resolved output destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The process's standard output.
    Stdout,
    /// A device, FIFO or socket, written in place.
    Special(PathBuf),
    /// A regular file (existing or not), symlinks resolved.
    File(PathBuf),
}

/// The file names of a workspace's stores (`journal.sqlite*`, `journal-shard-*.sqlite*`,
/// `features.duckdb*`, `features.f64`).
fn is_store_name(name: &str) -> bool {
    let journal = |base: &str| {
        base == "journal.sqlite"
            || (base.starts_with("journal-shard-") && base.ends_with(".sqlite"))
    };
    let base = name
        .strip_suffix("-wal")
        .or_else(|| name.strip_suffix("-shm"))
        .or_else(|| name.strip_suffix("-journal"))
        .unwrap_or(name);
    journal(base)
        || name == "features.f64"
        || name == "features.duckdb"
        || name == "features.duckdb.wal"
}

/// Follows `path`'s symlinks (even a dangling one's) to the file they name, as an absolute
/// path with a canonical directory.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = std::path::absolute(path)
        .with_context(|| format!("cannot resolve the output path {}", path.display()))?;
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read the symlink {}", p.display()))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => {
                return std::fs::canonicalize(&p)
                    .with_context(|| format!("cannot resolve the output path {}", p.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
                    bail!("{} is not a file name", path.display());
                };
                let dir = std::fs::canonicalize(dir).with_context(|| {
                    format!(
                        "cannot write {}: its directory {} does not exist",
                        path.display(),
                        dir.display()
                    )
                })?;
                return Ok(dir.join(name));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot write {}", path.display()));
            }
        }
    }
    bail!(
        "cannot write {}: too many levels of symlinks",
        path.display()
    )
}

/// Whether `path` (resolved) is the same file as standard output.
fn is_stdout(meta: &std::fs::Metadata) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    File::from(fd)
        .metadata()
        .is_ok_and(|s| s.dev() == meta.dev() && s.ino() == meta.ino())
}

impl Destination {
    /// Resolves `path`, refusing one of the stores of `workspace` (a workspace directory).
    pub fn resolve(path: &Path, workspace: &Path) -> Result<Destination> {
        if path.as_os_str() == "-" {
            return Ok(Destination::Stdout);
        }
        if let Ok(meta) = std::fs::metadata(path) {
            if is_stdout(&meta) {
                return Ok(Destination::Stdout);
            }
            let t = meta.file_type();
            if t.is_dir() {
                bail!("cannot write {}: it is a directory", path.display());
            }
            if !t.is_file() {
                return Ok(Destination::Special(path.to_path_buf()));
            }
        }
        let file = resolve_links(path)?;
        refuse_store(path, &file, workspace)?;
        Ok(Destination::File(file))
    }

    /// Writes through `write` (given the open file) to the destination; a regular file only
    /// appears, complete, once `write` succeeded.
    pub fn write<T>(&self, write: impl FnOnce(&File) -> Result<T>) -> Result<T> {
        match self {
            Destination::Stdout => {
                use std::os::fd::AsFd;
                let fd = std::io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .context("cannot write to standard output")?;
                let file = File::from(fd);
                write(&file)
            }
            Destination::Special(path) => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                write(&file)
            }
            Destination::File(path) => {
                let dir = path.parent().unwrap_or(Path::new("."));
                let tmp = tempfile::Builder::new()
                    .prefix(".specsearch-output.")
                    .tempfile_in(dir)
                    .with_context(|| format!("cannot write in {}", dir.display()))?;
                let value = write(tmp.as_file())?;
                tmp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                // Temporary files are private (0600); an output keeps the mode of the file it
                // replaces, or is an ordinary file.
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path)
                        .map(|m| m.permissions().mode())
                        .unwrap_or(0o644);
                    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
                        .ok();
                }
                tmp.persist(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(value)
            }
        }
    }

    /// Whether the output goes to standard output.
    pub fn is_stdout(&self) -> bool {
        *self == Destination::Stdout
    }
}

/// Refuses `file` (resolved from `given`) when it is one of the stores of the workspace
/// `workspace` or of any workspace (a store's name in a directory holding a journal).
fn refuse_store(given: &Path, file: &Path, workspace: &Path) -> Result<()> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let dir = file.parent().unwrap_or(Path::new("/"));
    let ws = std::fs::canonicalize(workspace).ok();
    let in_workspace = ws.as_deref().is_some_and(|ws| {
        dir == ws || dir.parent().and_then(Path::parent).is_some_and(|p| p == ws)
    });
    // A store's name next to a journal is a workspace's store too (another workspace's).
    let next_to_journal = dir.join("journal.sqlite").exists();
    let mut store = is_store_name(name) && (in_workspace || next_to_journal);
    // A hard link to (or another name of) one of this workspace's stores.
    if let (Some(ws), Ok(meta)) = (&ws, std::fs::metadata(file)) {
        use std::os::unix::fs::MetadataExt;
        let same = |p: PathBuf| {
            std::fs::metadata(p).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
        };
        store |= ["journal.sqlite", "features.duckdb", "features.f64"]
            .iter()
            .any(|n| same(ws.join(n)));
    }
    if store {
        return Err(anyhow!(
            "refusing to write {}{}: it is one of the workspace's stores, which the output \
             would replace (and destroy); write the output to another file",
            given.display(),
            if given != file {
                format!(" (which is {})", file.display())
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_are_recognised() {
        for n in [
            "journal.sqlite",
            "journal.sqlite-wal",
            "journal.sqlite-shm",
            "journal-shard-1-of-4.sqlite",
            "journal-shard-1-of-4.sqlite-wal",
            "features.duckdb",
            "features.duckdb.wal",
            "features.f64",
        ] {
            assert!(is_store_name(n), "{n}");
        }
        for n in ["journal.csv", "features.csv", "out.sqlite", "report.html"] {
            assert!(!is_store_name(n), "{n}");
        }
    }

    #[test]
    fn a_symlink_resolves_to_its_target_and_a_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("segments/a")).unwrap();
        std::fs::write(ws.join("journal.sqlite"), "j").unwrap();
        std::fs::write(dir.path().join("real.csv"), "x").unwrap();
        std::os::unix::fs::symlink("real.csv", dir.path().join("link.csv")).unwrap();
        std::os::unix::fs::symlink("missing.csv", dir.path().join("dangling.csv")).unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            Destination::resolve(&dir.path().join("link.csv"), &ws).unwrap(),
            Destination::File(real.join("real.csv"))
        );
        assert_eq!(
            Destination::resolve(&dir.path().join("dangling.csv"), &ws).unwrap(),
            Destination::File(real.join("missing.csv"))
        );
        std::os::unix::fs::symlink("ws/journal.sqlite", dir.path().join("j.csv")).unwrap();
        std::fs::hard_link(ws.join("journal.sqlite"), dir.path().join("hard.csv")).unwrap();
        for bad in [
            ws.join("journal.sqlite"),
            ws.join("journal.sqlite-wal"),
            ws.join("features.duckdb"),
            ws.join("features.f64"),
            ws.join("segments/a/features.duckdb"),
            ws.join("segments/../journal.sqlite-shm"),
            dir.path().join("j.csv"),
            dir.path().join("hard.csv"),
        ] {
            let err = Destination::resolve(&bad, &ws).unwrap_err().to_string();
            assert!(err.contains("one of the workspace's stores"), "{err}");
        }
        assert_eq!(
            Destination::resolve(Path::new("-"), &ws).unwrap(),
            Destination::Stdout
        );
        // (Standard output itself when the test's output goes to /dev/null.)
        assert!(matches!(
            Destination::resolve(Path::new("/dev/null"), &ws).unwrap(),
            Destination::Special(_) | Destination::Stdout
        ));
    }
}
