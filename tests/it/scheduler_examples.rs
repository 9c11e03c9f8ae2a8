//! The README's batch-scheduler examples are the files under `examples/`, quoted verbatim, and
//! those files agree with what `run --shard auto/N` reads: the Slurm job script's array and
//! shard count, the Kubernetes Indexed Job's completions, parallelism and index variable, and
//! both keep the shard's journal on the node's own disk. The Slurm script itself runs on a
//! real Slurm in `tests/it/slurm/mod.rs`.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use specsearch::spec::shard::{Shard, INDEX_VARS};

const SLURM_SCRIPT: &str = "examples/slurm/search.sbatch";
const KUBERNETES_JOB: &str = "examples/kubernetes/indexed-job.yaml";

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn readme_quotes_the_example_files_verbatim() {
    let readme = read("README.md");
    for (path, lang) in [(SLURM_SCRIPT, "bash"), (KUBERNETES_JOB, "yaml")] {
        let block = format!("```{lang}\n{}```\n", read(path));
        assert!(
            readme.contains(&block),
            "the README must quote {path} whole in a ```{lang} block: copy the file into it"
        );
    }
}

/// The value of `VAR=${ENV:-DEFAULT}` in a shell script: the default.
fn shell_default<'a>(script: &'a str, var: &str) -> &'a str {
    let line = script
        .lines()
        .find(|l| l.starts_with(&format!("{var}=")))
        .unwrap_or_else(|| panic!("the script sets no {var}"));
    let start = line.find(":-").expect("a ${ENV:-DEFAULT}") + 2;
    &line[start..start + line[start..].find('}').unwrap()]
}

#[test]
fn the_slurm_script_runs_shard_i_of_n_as_array_task_i() {
    let script = read(SLURM_SCRIPT);
    // Slurm reads #SBATCH lines only before the first command.
    let first_command = script
        .lines()
        .position(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap();
    let directives: Vec<&str> = script
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("#SBATCH"))
        .map(|(i, l)| {
            assert!(
                i < first_command,
                "{l:?} comes after a command: Slurm ignores it"
            );
            l
        })
        .collect();
    let array = directives
        .iter()
        .find_map(|d| d.strip_prefix("#SBATCH --array="))
        .expect("an #SBATCH --array line");
    let shards: u32 = shell_default(&script, "shards").parse().unwrap();
    assert_eq!(
        array,
        format!("0-{}", shards - 1),
        "the array is not 0-(N-1)"
    );
    assert!(script.contains("--shard \"auto/$shards\""), "{script}");
    // The journal is written on the node's disk and copied to the shared directory whole.
    assert!(script.contains("--workspace \"$scratch\""), "{script}");
    assert!(
        shell_default(&script, "scratch").contains("TMPDIR"),
        "{script}"
    );
    assert!(script.contains("mv \"$shared/$journal.part\" \"$shared/$journal\""));
    // Every task of the array, and a re-run of one task alone, is the shard of its index.
    for task in 0..shards {
        for (min, count) in [(0, shards), (task, 1)] {
            let env = |k: &str| match k {
                "SLURM_ARRAY_TASK_ID" => Some(task.to_string()),
                "SLURM_ARRAY_TASK_MIN" => Some(min.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some(count.to_string()),
                _ => None,
            };
            assert_eq!(
                Shard::parse(&format!("auto/{shards}"), &env).unwrap(),
                Shard {
                    index: task,
                    count: shards
                }
            );
        }
    }
}

// The fields of a Kubernetes Job that the shard detection depends on (batch/v1).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    api_version: String,
    kind: String,
    spec: JobSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobSpec {
    completion_mode: String,
    completions: u32,
    parallelism: u32,
    template: PodTemplate,
}

#[derive(Deserialize)]
struct PodTemplate {
    spec: PodSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    restart_policy: String,
    containers: Vec<Container>,
    volumes: Vec<Volume>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    command: Vec<String>,
    args: Vec<String>,
    env: Vec<EnvVar>,
    volume_mounts: Vec<VolumeMount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvVar {
    name: String,
    value_from: Option<EnvSource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvSource {
    field_ref: FieldRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldRef {
    field_path: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeMount {
    name: String,
    mount_path: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    name: String,
    empty_dir: Option<serde_norway::Value>,
    persistent_volume_claim: Option<serde_norway::Value>,
}

/// The number after `flag` in a shell command line (`--shard auto/32` → "auto/32").
fn argument_after<'a>(script: &'a str, flag: &str) -> &'a str {
    let start = script
        .find(&format!("{flag} "))
        .unwrap_or_else(|| panic!("no {flag} in {script}"))
        + flag.len()
        + 1;
    script[start..].split_whitespace().next().unwrap()
}

#[test]
fn the_kubernetes_indexed_job_runs_shard_i_of_n_as_completion_index_i() {
    let job: Job = serde_norway::from_str(&read(KUBERNETES_JOB)).unwrap();
    assert_eq!(
        (job.api_version.as_str(), job.kind.as_str()),
        ("batch/v1", "Job")
    );
    // Only an Indexed Job gives each pod its own index (a NonIndexed one gives none).
    assert_eq!(job.spec.completion_mode, "Indexed");
    let pod = &job.spec.template.spec;
    assert_eq!(pod.restart_policy, "OnFailure", "a restarted pod resumes");
    let [container] = &pod.containers[..] else {
        panic!("one container per pod")
    };
    assert_eq!(container.command, ["/bin/sh", "-c"]);
    let script = container.args.join("\n");

    // --shard auto/N with N = completions: indices 0..completions-1 are the N shards.
    let shard = argument_after(&script, "--shard");
    let n: u32 = shard
        .strip_prefix("auto/")
        .unwrap_or_else(|| panic!("--shard {shard}: not auto/N"))
        .parse()
        .unwrap();
    assert_eq!(
        job.spec.completions, n,
        "completions differ from --shard auto/{n}"
    );
    assert!(job.spec.parallelism >= 1 && job.spec.parallelism <= n);
    assert!(script.contains(&format!(
        "journal-shard-$JOB_COMPLETION_INDEX-of-{n}.sqlite"
    )));

    // The index variable: the one the Job controller sets in every container of an Indexed
    // Job (JOB_COMPLETION_INDEX, from the pod's batch.kubernetes.io/job-completion-index
    // annotation; kubernetes pkg/controller/job, addCompletionIndexEnvVariable), declared
    // here the same way, and one that the shard detection reads.
    let index_var = container
        .env
        .iter()
        .find(|e| e.name == "JOB_COMPLETION_INDEX")
        .expect("the container declares JOB_COMPLETION_INDEX");
    assert_eq!(
        index_var
            .value_from
            .as_ref()
            .map(|v| v.field_ref.field_path.as_str()),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    );
    assert!(INDEX_VARS.contains(&"JOB_COMPLETION_INDEX"));
    // No other scheduler's variable can shadow it (the detection takes the first one set).
    assert!(container
        .env
        .iter()
        .all(|e| e.name == "JOB_COMPLETION_INDEX" || !INDEX_VARS.contains(&e.name.as_str())));
    for index in 0..n {
        let env = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| index.to_string());
        assert_eq!(
            Shard::parse(shard, &env).unwrap(),
            Shard { index, count: n }
        );
    }

    // The journal lives on the pod's emptyDir (the node's disk), the results on the claim.
    let volumes: HashMap<&str, &Volume> =
        pod.volumes.iter().map(|v| (v.name.as_str(), v)).collect();
    let mount_of = |kind: &dyn Fn(&Volume) -> bool| -> &str {
        container
            .volume_mounts
            .iter()
            .find(|m| volumes.get(m.name.as_str()).is_some_and(|v| kind(v)))
            .map(|m| m.mount_path.as_str())
            .expect("a mount of that kind")
    };
    let local = mount_of(&|v| v.empty_dir.is_some());
    let shared = mount_of(&|v| v.persistent_volume_claim.is_some());
    let workspace = argument_after(&script, "--workspace");
    assert!(
        workspace.starts_with(&format!("{local}/")),
        "--workspace {workspace} is not on the emptyDir {local}"
    );
    let config = argument_after(&script, "run");
    assert!(config.starts_with(&format!("{shared}/")), "{config}");
    assert!(script.contains(&format!(
        "{shared}/search.specsearch/$journal.part {shared}/search.specsearch/$journal"
    )));
}
