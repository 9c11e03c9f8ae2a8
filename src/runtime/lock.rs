//! One coordinator per journal: an exclusive `flock` on `<workspace>/run.lock` (or one lock per
//! shard), released by the kernel however the coordinator ends (even on SIGKILL), so a stale
//! lock never blocks. Also the short `freeze.lock` that shards sharing a workspace take in turn.

use std::io::{Read, Seek, Write};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

/// Holds the lock until dropped.
pub struct WorkspaceLock {
    _lock: Flock<std::fs::File>,
}

fn open(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))
}

/// Waits for the lock `name` in `dir` (for short critical sections such as freezing).
pub fn acquire_blocking(dir: &Path, name: &str) -> anyhow::Result<WorkspaceLock> {
    let path = dir.join(name);
    let lock = Flock::lock(open(&path)?, FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("cannot lock {}: {e}", path.display()))?;
    Ok(WorkspaceLock { _lock: lock })
}

/// Takes the coordinator lock `name` in `dir` or explains who holds it.
pub fn acquire(dir: &Path, name: &str) -> anyhow::Result<WorkspaceLock> {
    let path = dir.join(name);
    match Flock::lock(open(&path)?, FlockArg::LockExclusiveNonblock) {
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
