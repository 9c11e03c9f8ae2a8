//! Fault injection for the runtime's own tests (in the manner of failpoints): environment
//! variables that make a *worker process* crash at a given spec, or slow every spec down so a
//! test can interrupt a run midway. Unset (the normal case), each check is one relaxed load.
//!
//! - `SPECSEARCH_FAULT_CRASH_SPEC=I[,J…]`: a worker process aborts (SIGABRT) on reaching spec I.
//!   Ignored by the thread and serial executors, where it would take the coordinator down.
//! - `SPECSEARCH_FAULT_SPEC_DELAY_US=N`: every evaluator sleeps N µs per spec.
//! - `SPECSEARCH_FAULT_KILL_BEFORE_REPLAY=1`: the *coordinator* sends itself SIGKILL once every
//!   worker has exited and every outcome is committed, right before it replays the run's
//!   mutations into `features.duckdb` (the window between "workers finished" and "replay done").
//! - `SPECSEARCH_FAULT_KILL_AFTER_STORE_REPLAY=1`: the coordinator sends itself SIGKILL after the
//!   replay's changes to `features.duckdb` are committed and before the journal records them.
//! - `SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC=I[,J…]`: an evaluator reports a wrong sha256 in the
//!   mutation records of spec I (what a worker with diverging data would do), so the journal's
//!   conflict check can be exercised.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static IN_WORKER_PROCESS: AtomicBool = AtomicBool::new(false);

struct Faults {
    crash: Vec<u64>,
    delay_us: u64,
}

fn faults() -> &'static Option<Faults> {
    static FAULTS: OnceLock<Option<Faults>> = OnceLock::new();
    FAULTS.get_or_init(|| {
        let crash: Vec<u64> = std::env::var("SPECSEARCH_FAULT_CRASH_SPEC")
            .ok()
            .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
            .unwrap_or_default();
        let delay_us = std::env::var("SPECSEARCH_FAULT_SPEC_DELAY_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        (!crash.is_empty() || delay_us > 0).then_some(Faults { crash, delay_us })
    })
}

/// SIGKILLs this process if `var` is set to `1` (coordinator-side faults, read when reached).
fn kill_if(var: &str) {
    if std::env::var(var).as_deref() == Ok("1") {
        tracing::warn!("{var}: killing the coordinator");
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL).ok();
        std::process::abort();
    }
}

/// Called by the coordinator right before the replay.
pub fn before_replay() {
    kill_if("SPECSEARCH_FAULT_KILL_BEFORE_REPLAY");
}

/// Called by the coordinator between the store's commit and the journal's record of a replay.
pub fn after_store_replay() {
    kill_if("SPECSEARCH_FAULT_KILL_AFTER_STORE_REPLAY");
}

/// Whether the mutation records of spec `index` must be corrupted (tests only).
pub fn corrupt_mutation(index: u64) -> bool {
    static SPECS: OnceLock<Vec<u64>> = OnceLock::new();
    SPECS
        .get_or_init(|| {
            std::env::var("SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC")
                .ok()
                .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
                .unwrap_or_default()
        })
        .contains(&index)
}

/// Marks this process as a worker process (crash faults apply only there).
pub fn mark_worker_process() {
    IN_WORKER_PROCESS.store(true, Ordering::Relaxed);
}

/// Called before each spec is evaluated.
#[inline]
pub fn before_spec(index: u64) {
    if let Some(f) = faults() {
        if f.delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(f.delay_us));
        }
        if IN_WORKER_PROCESS.load(Ordering::Relaxed) && f.crash.contains(&index) {
            std::process::abort();
        }
    }
}
