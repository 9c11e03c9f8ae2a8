//! A private single-node Slurm for tests/it/slurm/mod.rs: munged, slurmctld and slurmd run in the
//! foreground (`munged -F`, `slurmctld -D`, `slurmd -D`), so their pids are those of the
//! children started here; everything they write (munge key and socket, state, spool, logs, slurm.conf) is under
//! one temporary directory; their ports are free ones picked at start. [`Cluster`]'s drop, which
//! also runs when the test panics, cancels every job, stops each daemon by its pid and removes
//! the directory. What this needs here, found by trying it in a container as root:
//! - munged refuses a socket directory that is not searchable by all (0755) and a key that is
//!   not the user's own with mode 0400 (a key of random bytes, made by the test);
//! - cgroup-free plugins (`proctrack/linuxproc`, `task/none`) let slurmd run without systemd;
//! - `SlurmdParameters=config_overrides` accepts the configured 2 CPUs whatever the hardware;
//! - `MinJobAge=4` keeps `sbatch --wait` polling every 2 s (it backs off to 8 and 32 s when
//!   the purge age allows, which would triple the test's time);
//! - `KillWait=5`: a cancelled task's processes get SIGKILL 5 s after SIGTERM, not 30.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NODE: &str = "specsearch-node";
const PARTITION: &str = "specsearch";
/// Longest wait for a daemon or a job to reach a state it reaches in seconds.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Where a Slurm or munge program is: on PATH, else the sbin directories a non-login PATH
/// may lack.
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

pub const PROGRAMS: [&str; 8] = [
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "scancel",
    "squeue",
    "sinfo",
    "scontrol",
];

fn program_path(name: &str) -> PathBuf {
    program(name).unwrap_or_else(|| panic!("{name} is not installed"))
}

/// A daemon started by the test, in the foreground: `child.id()` is its pid.
struct Daemon {
    name: &'static str,
    child: Child,
}

/// A private single-node Slurm (one node of 2 CPUs, one partition) and its munge.
pub struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
    daemons: Vec<Daemon>,
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("specsearch-slurm-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        for sub in ["munge", "state", "spool", "log"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        for searchable in [&root, &root.join("munge")] {
            std::fs::set_permissions(searchable, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let key = root.join("munge/munge.key");
        let mut bytes = vec![0u8; 1024];
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut bytes)
            .unwrap();
        std::fs::write(&key, &bytes).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
        let socket = root.join("munge/munge.socket");

        // Two free ports: both listeners are held until both are known, so they differ.
        let listeners: Vec<std::net::TcpListener> = (0..2)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        drop(listeners);
        let r = root.display();
        let conf = root.join("slurm.conf");
        std::fs::write(root.join("plugstack.conf"), "").unwrap();
        std::fs::write(
            &conf,
            format!(
                "ClusterName=specsearch-test\n\
                 SlurmctldHost=localhost(127.0.0.1)\n\
                 SlurmctldPort={ctld}\n\
                 SlurmdPort={slurmd}\n\
                 SlurmUser=root\n\
                 SlurmdUser=root\n\
                 AuthType=auth/munge\n\
                 CredType=cred/munge\n\
                 AuthInfo=socket={socket}\n\
                 StateSaveLocation={r}/state\n\
                 SlurmdSpoolDir={r}/spool\n\
                 SlurmctldPidFile={r}/slurmctld.pid\n\
                 SlurmdPidFile={r}/slurmd.pid\n\
                 SlurmctldLogFile={r}/log/slurmctld.log\n\
                 SlurmdLogFile={r}/log/slurmd.log\n\
                 PlugStackConfig={r}/plugstack.conf\n\
                 ProctrackType=proctrack/linuxproc\n\
                 TaskPlugin=task/none\n\
                 SelectType=select/cons_tres\n\
                 SelectTypeParameters=CR_CPU\n\
                 SchedulerType=sched/builtin\n\
                 JobAcctGatherType=jobacct_gather/none\n\
                 AccountingStorageType=accounting_storage/none\n\
                 JobCompType=jobcomp/none\n\
                 MpiDefault=none\n\
                 SwitchType=switch/none\n\
                 ReturnToService=2\n\
                 SlurmdParameters=config_overrides\n\
                 MinJobAge=4\n\
                 KillWait=5\n\
                 NodeName={NODE} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n\
                 PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP\n",
                ctld = ports[0],
                slurmd = ports[1],
                socket = socket.display(),
            ),
        )
        .unwrap();

        let mut cluster = Cluster {
            dir,
            conf: conf.clone(),
            daemons: Vec::new(),
        };
        cluster.spawn(
            "munged",
            &[
                "-F".into(),
                format!("--key-file={}", key.display()),
                format!("--socket={}", socket.display()),
                format!("--pid-file={r}/munge/munged.pid"),
                format!("--log-file={r}/log/munged.log"),
                format!("--seed-file={r}/munge/munged.seed"),
            ],
        );
        cluster.wait_until("munged's socket", |_| socket.exists());
        let conf_arg = conf.display().to_string();
        cluster.spawn("slurmctld", &["-D".into(), "-f".into(), conf_arg.clone()]);
        cluster.wait_until("slurmctld to answer", |c| {
            c.command("scontrol").arg("ping").output().is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).contains("UP")
            })
        });
        cluster.spawn(
            "slurmd",
            &["-D".into(), "-f".into(), conf_arg, "-N".into(), NODE.into()],
        );
        cluster.wait_until("the node to be idle", |c| {
            c.command("sinfo")
                .args(["-h", "-n", NODE, "-o", "%t"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    /// Starts a daemon in the foreground, its output in `log/NAME.out`.
    fn spawn(&mut self, name: &'static str, args: &[String]) {
        let log = std::fs::File::create(self.dir.path().join(format!("log/{name}.out"))).unwrap();
        let mut cmd = Command::new(program_path(name));
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        scrub_slurm_env(&mut cmd);
        // SAFETY: only an async-signal-safe system call runs between fork and exec. The
        // daemon is stopped by Drop; the death signal covers a test process that is killed.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                    .map_err(std::io::Error::from)
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push(Daemon { name, child });
    }

    /// Polls `ready` until it holds; fails with the logs if a daemon exits or time runs out.
    fn wait_until(&mut self, what: &str, ready: impl Fn(&Cluster) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if ready(self) {
                return;
            }
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|d| d.child.try_wait().unwrap().map(|status| (d.name, status)));
            if let Some((name, status)) = exited {
                panic!(
                    "{name} exited ({status}) while waiting for {what}\n{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "gave up waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A Slurm client command talking to this cluster only.
    pub fn command(&self, name: &str) -> Command {
        let mut cmd = Command::new(program_path(name));
        scrub_slurm_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// The end of every daemon's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("log"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            let content = std::fs::read_to_string(&f).unwrap_or_default();
            let lines: Vec<&str> = content.lines().collect();
            out += &format!("--- {} (last lines)\n", f.display());
            for l in &lines[lines.len().saturating_sub(25)..] {
                out += l;
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Jobs first: their processes belong to slurmstepd, which outlives slurmd.
        if self.daemons.len() == 3 {
            let _ = self
                .command("scancel")
                .arg(format!("--partition={PARTITION}"))
                .output();
            let deadline = Instant::now() + PATIENCE;
            while Instant::now() < deadline {
                match self.command("squeue").args(["-h", "-o", "%i"]).output() {
                    Ok(o) if o.status.success() && o.stdout.is_empty() => break,
                    Ok(o) if o.status.success() => {}
                    _ => break,
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        for d in self.daemons.iter_mut().rev() {
            let pid = nix::unistd::Pid::from_raw(d.child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(15);
            while matches!(d.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(d.child.try_wait(), Ok(None)) {
                eprintln!("{} (pid {pid}) ignored SIGTERM: killing it", d.name);
                let _ = d.child.kill();
                let _ = d.child.wait();
            }
        }
        // The TempDir field is dropped next: state, spool, logs, key and socket go with it.
    }
}

/// Removes the scheduler's variables a surrounding Slurm job (or a user's shell) may have
/// set, so the commands talk to the test's cluster with the test's options only.
fn scrub_slurm_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("SLURM_") || key.starts_with("SBATCH_") || key.starts_with("SQUEUE_") {
            cmd.env_remove(key.as_ref());
        }
    }
}
