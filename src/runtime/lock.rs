//! One coordinator per workspace: an exclusive `flock` on `<workspace>/run.lock`, released by
//! the kernel however the coordinator ends (even on SIGKILL), so a stale lock never blocks.

use std::io::{Read, Seek, Write};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

/// Holds the lock until dropped.
pub struct WorkspaceLock {
    _lock: Flock<std::fs::File>,
}

/// Takes the workspace lock or explains who holds it.
pub fn acquire(dir: &Path) -> anyhow::Result<WorkspaceLock> {
    let path = dir.join("run.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut lock) => {
            lock.set_len(0).ok();
            lock.rewind().ok();
            write!(lock, "{}", std::process::id()).ok();
            lock.flush().ok();
            Ok(WorkspaceLock { _lock: lock })
        }
        Err((mut file, _)) => {
            let mut holder = String::new();
            file.read_to_string(&mut holder).ok();
            let holder = holder.trim();
            anyhow::bail!(
                "another specsearch run{} is using the workspace {}; wait for it to finish or \
                 stop it (Ctrl-C stops it resumably)",
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {holder})")
                },
                dir.display()
            )
        }
    }
}
