//! Shards: a disjoint part of the spec index space for one machine of a batch-scheduler array
//! (`run --shard I/N`), and the index a scheduler hands each array task.
//!
//! Shard `I` of `N` owns the blocks of [`BLOCK`] consecutive indices whose block number is
//! `I mod N`. Interleaving blocks balances the work (later indices hold specs with more
//! variables, which cost more: contiguous slices leave the last shard with the most expensive
//! specs), while each block stays contiguous, so consecutive specs share columns as in an
//! unsharded run.

/// Consecutive spec indices dealt to a shard at a time.
pub const BLOCK: u64 = 4096;

/// Shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Environment variables that carry an array task's index, in the order they are consulted:
/// Slurm job arrays, Kubernetes Indexed Jobs (the Job controller sets it from the pod's
/// `batch.kubernetes.io/job-completion-index` annotation), AWS Batch array jobs.
pub const INDEX_VARS: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

impl Shard {
    /// Parses `I/N` (0 ≤ I < N), or `auto/N` taking I from the batch scheduler's environment.
    ///
    /// The scheduler's index is the shard index as it is: a re-run of some tasks (`sbatch
    /// --array=5`) is a smaller array with its own minimum and count, so neither
    /// `SLURM_ARRAY_TASK_MIN` nor `SLURM_ARRAY_TASK_COUNT` says which shard of how many a task
    /// is. N is always given.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let Some((index, count)) = text.split_once('/') else {
            return Err(format!(
                "--shard {text}: give the shard and the shard count, e.g. --shard 3/8 or \
                 --shard auto/8 (the array size is no guide: re-running some tasks submits a \
                 smaller array)"
            ));
        };
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: {count:?} is not a shard count"))?;
        if count == 0 {
            return Err(format!(
                "--shard {text}: the shard count must be at least 1"
            ));
        }
        let (index, source): (u32, Option<&str>) = if index.trim() == "auto" {
            let (var, value) = INDEX_VARS
                .iter()
                .find_map(|v| env(v).map(|x| (*v, x)))
                .ok_or_else(|| {
                    format!(
                        "--shard {text}: none of {} is set; pass the index explicitly, e.g. --shard 3/{count}",
                        INDEX_VARS.join(", ")
                    )
                })?;
            let index = value
                .trim()
                .parse()
                .map_err(|_| format!("{var}={value:?} is not a task index"))?;
            (index, Some(var))
        } else {
            let index = index
                .trim()
                .parse()
                .map_err(|_| format!("--shard {text}: {index:?} is not a shard index (0-based)"))?;
            (index, None)
        };
        if index >= count {
            let from = match source {
                Some(var) => format!(
                    " ({var}={index}; array task indices are the shard indices: \
                     submit tasks 0-{})",
                    count - 1
                ),
                None => String::new(),
            };
            return Err(format!(
                "--shard {text}: index {index} is out of range{from}; shards are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard that owns a spec index.
    pub fn owner(index: u64, count: u32) -> u32 {
        ((index / BLOCK) % count as u64) as u32
    }

    /// The half-open index ranges this shard owns in `0..spec_count`, ascending.
    pub fn ranges(&self, spec_count: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut block = self.index as u64;
        while block * BLOCK < spec_count {
            let start = block * BLOCK;
            out.push((start, (start + BLOCK).min(spec_count)));
            block += self.count as u64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn shards_partition_the_index_space() {
        let count = 5 * BLOCK + 17;
        for n in 1..=7u32 {
            let mut owned = vec![0u32; count as usize];
            for i in 0..n {
                let s = Shard { index: i, count: n };
                for (a, b) in s.ranges(count) {
                    for x in a..b {
                        owned[x as usize] += 1;
                        assert_eq!(Shard::owner(x, n), i);
                    }
                }
            }
            assert!(owned.iter().all(|&c| c == 1), "{n} shards do not partition");
        }
    }

    #[test]
    fn parses_explicit_and_scheduler_indices() {
        assert_eq!(
            Shard::parse("2/8", &no_env).unwrap(),
            Shard { index: 2, count: 8 }
        );
        assert!(Shard::parse("8/8", &no_env).unwrap_err().contains("0 to 7"));
        assert!(Shard::parse("auto/4", &no_env)
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_ID"));
        // A task's index is its shard, whatever the array's minimum and size: task 5 re-run
        // alone (`sbatch --array=5`, so MIN=5 and COUNT=1) is still shard 5 of 8.
        let rerun = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" | "SLURM_ARRAY_TASK_MIN" => Some("5".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("1".to_string()),
            _ => None,
        };
        assert_eq!(
            Shard::parse("auto/8", &rerun).unwrap(),
            Shard { index: 5, count: 8 }
        );
        assert!(Shard::parse("auto", &rerun)
            .unwrap_err()
            .contains("shard count"));
        // An array numbered from 1 has a task past the last shard: say how to submit it.
        let one_based = |k: &str| (k == "SLURM_ARRAY_TASK_ID").then(|| "8".to_string());
        let err = Shard::parse("auto/8", &one_based).unwrap_err();
        assert!(
            err.contains("SLURM_ARRAY_TASK_ID=8") && err.contains("tasks 0-7"),
            "{err}"
        );
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "5".to_string());
        assert_eq!(
            Shard::parse("auto/6", &k8s).unwrap(),
            Shard { index: 5, count: 6 }
        );
        let aws = |k: &str| (k == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "0".to_string());
        assert_eq!(
            Shard::parse("auto/2", &aws).unwrap(),
            Shard { index: 0, count: 2 }
        );
    }
}
