//! Fault injection for the runtime's own tests (in the manner of failpoints): environment
//! variables that make a *worker process* crash at a given spec, pause the coordinator at a
//! known point until the test says go on, or kill it between two steps of the finish. Unset
//! (the normal case), each check is one relaxed load.
//!
//! - `SPECSEARCH_FAULT_PAUSE=N:DIR`: once at least N outcomes are committed, the coordinator
//!   writes `DIR/paused` (holding the committed count) and stops dispatching until `DIR/resume`
//!   exists or a stop is requested (SIGINT/SIGTERM). A test waits for `paused`, does what must
//!   happen "during" the run (kill it, kill a worker, read the journal) and creates `resume`:
//!   no timing luck. It pauses once per process; with `SPECSEARCH_FAULT_PAUSE_SEGMENT=NAME`
//!   it counts only in segment NAME of a `[[segment]]` config (N outcomes of that segment).
//! - `SPECSEARCH_FAULT_HANG_SPEC=I[,J…]`: a worker process stops answering (sleeps forever) on
//!   reaching spec I, as a deadlocked or endlessly looping evaluation would (the watchdog's
//!   test). Ignored outside worker processes. With `SPECSEARCH_FAULT_HANG_MARK_DIR=DIR` it first
//!   creates `DIR/hung-I`, so a test knows the hang has begun.
//! - `SPECSEARCH_FAULT_CRASH_SPEC=I[,J…]`: a worker process aborts (SIGABRT) on reaching spec I.
//!   Ignored by the thread and serial executors, where it would take the coordinator down.
//! - `SPECSEARCH_FAULT_KILL_BEFORE_REPLAY=1`: the *coordinator* sends itself SIGKILL once every
//!   worker has exited and every outcome is committed, right before it replays the run's
//!   mutations into `features.duckdb` (the window between "workers finished" and "replay done").
//! - `SPECSEARCH_FAULT_KILL_AFTER_STORE_REPLAY=1`: the coordinator sends itself SIGKILL after the
//!   replay's changes to `features.duckdb` are committed and before the journal records them.
//! - `SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC=I[,J…]`: an evaluator reports a wrong sha256 in the
//!   mutation records of spec I (what a worker with diverging data would do), so the journal's
//!   conflict check can be exercised.
//! - `SPECSEARCH_TEST_PEAK_RSS=FILE`: a command writes its peak resident memory (`VmHWM` of
//!   /proc/self/status, in kB) to FILE as it ends, so a test measures the command alone (a
//!   child's `ru_maxrss` also counts the test process it was spawned from).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static IN_WORKER_PROCESS: AtomicBool = AtomicBool::new(false);

struct Faults {
    crash: Vec<u64>,
    hang: Vec<u64>,
}

fn spec_list(var: &str) -> Vec<u64> {
    std::env::var(var)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_default()
}

fn faults() -> &'static Option<Faults> {
    static FAULTS: OnceLock<Option<Faults>> = OnceLock::new();
    FAULTS.get_or_init(|| {
        let crash = spec_list("SPECSEARCH_FAULT_CRASH_SPEC");
        let hang = spec_list("SPECSEARCH_FAULT_HANG_SPEC");
        (!crash.is_empty() || !hang.is_empty()).then_some(Faults { crash, hang })
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
        .get_or_init(|| spec_list("SPECSEARCH_FAULT_CORRUPT_MUTATION_SPEC"))
        .contains(&index)
}

/// The coordinator's pause point (`SPECSEARCH_FAULT_PAUSE=N:DIR`).
pub struct PausePoint {
    pub after: u64,
    dir: std::path::PathBuf,
    /// It paused already (a later segment's dispatch does not pause again).
    done: AtomicBool,
}

/// The pause point, if the test set one.
pub fn pause_point() -> Option<&'static PausePoint> {
    static POINT: OnceLock<Option<PausePoint>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let v = std::env::var("SPECSEARCH_FAULT_PAUSE").ok()?;
            let (after, dir) = v.split_once(':')?;
            Some(PausePoint {
                after: after.trim().parse().ok()?,
                dir: dir.into(),
                done: AtomicBool::new(false),
            })
        })
        .as_ref()
}

/// The pause point for the dispatch of segment `segment` (`None`: a config without segments):
/// the pause point unless `SPECSEARCH_FAULT_PAUSE_SEGMENT` names another segment, and only
/// until it has paused once.
pub fn pause_point_for(segment: Option<&str>) -> Option<&'static PausePoint> {
    let point = pause_point()?;
    if point.done.load(Ordering::Relaxed) {
        return None;
    }
    match std::env::var("SPECSEARCH_FAULT_PAUSE_SEGMENT") {
        Ok(wanted) if Some(wanted.as_str()) != segment => None,
        _ => Some(point),
    }
}

impl PausePoint {
    /// Says that `committed` outcomes are in the journal, then waits for the test's go-ahead
    /// (or a stop request).
    pub fn wait(&self, committed: u64) {
        self.done.store(true, Ordering::Relaxed);
        let paused = self.dir.join("paused");
        let tmp = self.dir.join("paused.tmp");
        // Written then renamed: the test never reads a half-written count.
        if std::fs::write(&tmp, committed.to_string()).is_ok() {
            std::fs::rename(&tmp, &paused).ok();
        }
        tracing::warn!(
            "SPECSEARCH_FAULT_PAUSE: paused after {committed} outcomes until {} exists",
            self.dir.join("resume").display()
        );
        while !self.dir.join("resume").exists() && !super::signals::stop_requested() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// Marks this process as a worker process (crash faults apply only there).
pub fn mark_worker_process() {
    IN_WORKER_PROCESS.store(true, Ordering::Relaxed);
}

/// Called before each spec is evaluated.
#[inline]
pub fn before_spec(index: u64) {
    if let Some(f) = faults() {
        if IN_WORKER_PROCESS.load(Ordering::Relaxed) {
            if f.crash.contains(&index) {
                std::process::abort();
            }
            if f.hang.contains(&index) {
                if let Some(dir) = std::env::var_os("SPECSEARCH_FAULT_HANG_MARK_DIR") {
                    let mark = std::path::Path::new(&dir).join(format!("hung-{index}"));
                    std::fs::write(mark, "").ok();
                }
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                }
            }
        }
    }
}

/// Writes this process's peak resident memory to `SPECSEARCH_TEST_PEAK_RSS`, if set (tests).
pub fn report_peak_rss() {
    let Some(path) = std::env::var_os("SPECSEARCH_TEST_PEAK_RSS") else {
        return;
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        let kb = line
            .trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim();
        std::fs::write(path, kb).ok();
    }
}
