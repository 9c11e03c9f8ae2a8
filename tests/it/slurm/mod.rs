//! The README's Slurm job script, `examples/slurm/search.sbatch`, on a real single-node Slurm:
//! `sbatch --array=0-3 --wait`, `specsearch merge`, and the merged results equal an unsharded
//! run's. Then an array task cancelled (`scancel`) mid-run: `merge` reports its shard missing
//! with the commands that re-run it, `sbatch --array=K --wait` re-runs it (resuming from the
//! journal it left on the node's disk), and the merge is complete and equal again. The
//! cluster (`cluster`) is the test's own: three daemons started and stopped by pid, all
//! their state in one temporary directory.
//!
//! Without the Slurm binaries (Debian: `slurm-wlm`, `munge`; `.ci/run` installs them) the test
//! says loudly that it is skipped, and passes.

mod cluster;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{assert_ok, specsearch, text};
use cluster::{Cluster, PATIENCE};
use specsearch::synth::{self, SynthSpec};

/// Shards of the test's arrays (`--array=0-3`, the script's `SPECSEARCH_SHARDS`).
const SHARDS: u32 = 4;
/// Spec indices per block dealt to a shard.
const BLOCK: i64 = specsearch::spec::shard::BLOCK as i64;
/// The search's `run.batch_size`.
const BATCH: i64 = 256;
/// The task cancelled mid-run, and the spec its worker hangs at: in its shard's first block
/// (2 × 4096 …), after three whole batches, so exactly those are journaled when it hangs.
const VICTIM: u32 = 2;
const HUNG_SPEC: i64 = VICTIM as i64 * BLOCK + 3 * BATCH + 10;

/// A search on the "shared filesystem" (its config, data and the collected shard journals)
/// and the "node-local disk" its array tasks write their journals on.
struct Search {
    dir: tempfile::TempDir,
    scratch: tempfile::TempDir,
}

impl Search {
    /// The test's synthetic search, in a directory of its own.
    fn new() -> Search {
        let dir = tempfile::tempdir().unwrap();
        synthetic_search(dir.path());
        Search {
            dir,
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn shard_journal(&self, i: u32) -> PathBuf {
        self.path().join(format!(
            "search.specsearch/journal-shard-{i}-of-{SHARDS}.sqlite"
        ))
    }

    /// The shard's workspace on the node's disk, where the job script runs it.
    fn local_workspace(&self, i: u32) -> PathBuf {
        self.scratch
            .path()
            .join(format!("search.specsearch-shard-{i}"))
    }

    /// `specsearch COMMAND…` run where the job script runs, next to search.toml.
    fn specsearch(&self, args: &[&str]) -> Output {
        specsearch()
            .current_dir(self.path())
            .args(args)
            .output()
            .unwrap()
    }

    /// `sbatch ARGS… examples/slurm/search.sbatch` from the search's directory, with the
    /// test's binary on PATH, one CPU per task and the node-local directory.
    fn sbatch(&self, cluster: &Cluster, args: &[&str]) -> Command {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/slurm/search.sbatch");
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_specsearch"))
            .parent()
            .unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(
            std::iter::once(bin_dir.to_path_buf()).chain(std::env::split_paths(&path)),
        )
        .unwrap();
        let mut cmd = cluster.command("sbatch");
        crate::common::without_faults(&mut cmd);
        cmd.args(args)
            .arg("--cpus-per-task=1")
            .arg(script)
            .current_dir(self.path())
            .env("PATH", path)
            .env("SPECSEARCH_SHARDS", SHARDS.to_string())
            .env("SPECSEARCH_SCRATCH", self.scratch.path());
        cmd
    }

    /// `merge` of every shard journal collected so far into the workspace's journal.
    fn merge(&self) -> Output {
        let shards: Vec<String> = (0..SHARDS)
            .map(|i| self.shard_journal(i))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        let mut args = vec!["merge", "search.specsearch/journal.sqlite"];
        args.extend(shards.iter().map(String::as_str));
        self.specsearch(&args)
    }

    fn merged(&self) -> PathBuf {
        self.path().join("search.specsearch/journal.sqlite")
    }

    /// The array tasks' output files (`specsearch-JOB_TASK.out`), for failure messages.
    fn job_outputs(&self) -> String {
        let mut out = String::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "out"))
            .collect();
        files.sort();
        for f in files {
            out += &format!(
                "--- {}\n{}\n",
                f.display(),
                std::fs::read_to_string(&f).unwrap_or_default()
            );
        }
        out
    }
}

/// Writes a synthetic search of 20,079 specs (about 5 blocks: every shard of 4 has work) into
/// `dir`; a few dozen pass, one of them with a regime composite, so the merge replays one.
fn synthetic_search(dir: &Path) -> PathBuf {
    let config = synth::write(
        dir,
        &SynthSpec {
            variables: 12,
            months: 240,
            seed: 2,
            ..SynthSpec::default()
        },
    )
    .unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("pool = [", "pool = [\"regime(mev001_MMDF12, M, 6)\", ")
        .replace("max_vars = 3", "max_vars = 3\nmax_lag = 4")
        + "\n[run]\nbatch_size = 256\n";
    std::fs::write(&config, text).unwrap();
    config
}

/// The first line sbatch `--parsable` prints: the job id (`ID` or `ID;CLUSTER`).
fn job_id(stdout: &str) -> String {
    let line = stdout.lines().next().unwrap_or_default();
    let id = line.split(';').next().unwrap().trim();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "sbatch printed no job id: {stdout:?}"
    );
    id.to_string()
}

/// Outcomes in a journal (0 while it does not exist yet), read as another process would:
/// through the `outcome_status` view, since filtered specs are stored in blocks.
fn journaled(journal: &Path) -> i64 {
    rusqlite::Connection::open_with_flags(journal, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT count(*) FROM outcome_status", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[test]
fn array_shards_on_a_real_slurm_merge_to_the_unsharded_run() {
    let missing: Vec<&str> = cluster::PROGRAMS
        .into_iter()
        .filter(|p| cluster::program(p).is_none())
        .collect();
    if !missing.is_empty() {
        crate::common::skip(
            "slurm",
            &format!(
                "{} not installed (install Debian's `slurm-wlm` and `munge`, as .ci/run does)",
                missing.join(", ")
            ),
        );
        return;
    }
    let test_started = Instant::now();
    let cluster = Cluster::start();
    let slurm_start = test_started.elapsed();
    eprintln!(
        "slurm: munged, slurmctld and slurmd up in {:.1} s",
        slurm_start.as_secs_f64()
    );

    // The reference: the same search, unsharded, in a workspace of its own.
    let reference_search = Search::new();
    let reference_ws = reference_search.scratch.path().join("unsharded");
    let out = reference_search.specsearch(&[
        "run",
        "search.toml",
        "--workspace",
        &reference_ws.display().to_string(),
    ]);
    assert_ok(&out);
    let reference_journal = reference_ws.join("journal.sqlite");
    let reference = crate::common::merged_results(&reference_journal);
    let spec_count: i64 = rusqlite::Connection::open(&reference_journal)
        .unwrap()
        .query_row("SELECT spec_count FROM runs", [], |r| r.get(0))
        .unwrap();
    let owned = |shard: u32| -> i64 {
        (0..spec_count)
            .step_by(BLOCK as usize)
            .enumerate()
            .filter(|(block, _)| *block as u32 % SHARDS == shard)
            .map(|(_, start)| (spec_count - start).min(BLOCK))
            .sum()
    };
    assert!(
        owned(VICTIM) > HUNG_SPEC - VICTIM as i64 * BLOCK,
        "the synthetic search has {spec_count} specs: shard {VICTIM} does not reach spec {HUNG_SPEC}"
    );

    // 1. The whole array, then the merge: the unsharded run's results.
    let phase = Instant::now();
    let search = Search::new();
    assert_ok(&search.specsearch(&["freeze", "search.toml"]));
    let out = search
        .sbatch(&cluster, &["--array=0-3", "--wait"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sbatch --array=0-3 --wait failed: {}\n{}\n{}",
        text(&out),
        search.job_outputs(),
        cluster.logs()
    );
    let out = search.merge();
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains(&format!("{spec_count} of {spec_count} specs covered")),
        "{stdout}"
    );
    assert!(
        crate::common::merged_results(&search.merged()) == reference,
        "the merged array differs from the unsharded run"
    );
    eprintln!(
        "slurm: array of {SHARDS} and merge in {:.1} s",
        phase.elapsed().as_secs_f64()
    );

    // 2. Task 2 cancelled while it runs: its worker hangs at a known spec (the fault hook is
    //    exported to every task, but only shard 2 owns that spec); once the three batches
    //    before it are journaled, the test cancels the task.
    let phase = Instant::now();
    let search = Search::new();
    assert_ok(&search.specsearch(&["freeze", "search.toml"]));
    let marks = tempfile::tempdir().unwrap();
    let mut array = search
        .sbatch(&cluster, &["--array=0-3", "--wait", "--parsable"])
        .env("SPECSEARCH_FAULT_HANG_SPEC", HUNG_SPEC.to_string())
        .env("SPECSEARCH_FAULT_HANG_MARK_DIR", marks.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufReader::new(array.stdout.as_mut().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let array_id = job_id(&first_line);
    let local = search.local_workspace(VICTIM);
    let local_journal = local.join(format!("journal-shard-{VICTIM}-of-{SHARDS}.sqlite"));
    let hung = marks.path().join(format!("hung-{HUNG_SPEC}"));
    let deadline = Instant::now() + PATIENCE;
    while !(hung.exists() && journaled(&local_journal) == 3 * BATCH) {
        if let Some(status) = array.try_wait().unwrap() {
            panic!(
                "the array ended ({status}) before task {VICTIM} hung\n{}\n{}",
                search.job_outputs(),
                cluster.logs()
            );
        }
        assert!(
            Instant::now() < deadline,
            "task {VICTIM} never hung after 3 batches ({} journaled)\n{}",
            journaled(&local_journal),
            search.job_outputs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = cluster
        .command("scancel")
        .arg(format!("{array_id}_{VICTIM}"))
        .output()
        .unwrap();
    assert_ok(&out);
    let out = array.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "sbatch --wait succeeded with a cancelled task: {}",
        text(&out)
    );
    // The cancelled task published nothing; the other three did.
    for i in 0..SHARDS {
        assert_eq!(
            search.shard_journal(i).exists(),
            i != VICTIM,
            "shard {i}'s journal\n{}",
            search.job_outputs()
        );
    }
    let out = search.merge();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        // The journal keeps the config's absolute path, so the hint works from any directory.
        stdout.contains(&format!(
            "specsearch run {} --shard {VICTIM}/{SHARDS}",
            search.path().join("search.toml").display()
        )) && stdout.contains(&format!("sbatch --array={VICTIM} "))
            && (0..SHARDS)
                .filter(|&i| i != VICTIM)
                .all(|i| !stdout.contains(&format!("--shard {i}/"))),
        "{stdout}"
    );
    // The cancelled coordinator is gone once its lock is free (KillWait's SIGKILL ends it if
    // SIGTERM's drain waits for the hung batch); what it committed stays on the node's disk.
    let lock =
        std::fs::File::open(local.join(format!("run-shard-{VICTIM}-of-{SHARDS}.lock"))).unwrap();
    drop(nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap());
    assert_eq!(journaled(&local_journal), 3 * BATCH);

    // 3. The re-run of that one task (`sbatch --array=2`: task 2 is shard 2 although the array
    //    now starts at 2 and has one task) resumes it; the merge is complete and equal again.
    let out = search
        .sbatch(
            &cluster,
            &[&format!("--array={VICTIM}"), "--wait", "--parsable"],
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sbatch --array={VICTIM} --wait failed: {}\n{}\n{}",
        text(&out),
        search.job_outputs(),
        cluster.logs()
    );
    let rerun_id = job_id(&String::from_utf8_lossy(&out.stdout));
    let rerun_log = std::fs::read_to_string(
        search
            .path()
            .join(format!("specsearch-{rerun_id}_{VICTIM}.out")),
    )
    .unwrap();
    assert!(rerun_log.contains("(resumed)"), "{rerun_log}");
    assert_eq!(
        journaled(&search.shard_journal(VICTIM)),
        owned(VICTIM),
        "{rerun_log}"
    );
    let out = search.merge();
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains(&format!("{spec_count} of {spec_count} specs covered")),
        "{stdout}"
    );
    assert!(
        crate::common::merged_results(&search.merged()) == reference,
        "the merged array with a re-run task differs from the unsharded run"
    );
    eprintln!(
        "slurm: array with a cancelled task, merge, re-run and merge in {:.1} s",
        phase.elapsed().as_secs_f64()
    );

    drop(cluster);
    eprintln!(
        "slurm: whole test {:.1} s (cluster start {:.1} s)",
        test_started.elapsed().as_secs_f64(),
        slurm_start.as_secs_f64()
    );
}
