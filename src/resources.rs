//! What the machine has: free disk space where a workspace lives and memory available to a
//! new allocation, for the guards that refuse a search before it spends them, and sizes for
//! people.

use std::path::Path;

/// Bytes free for an unprivileged writer on the file system holding `path` (or the nearest
/// existing ancestor: the workspace may not exist yet). `None` when it cannot be told.
pub fn free_disk(path: &Path) -> Option<u64> {
    let mut p = Some(path);
    while let Some(dir) = p {
        if dir.as_os_str().is_empty() {
            p = Some(Path::new("."));
            continue;
        }
        if dir.exists() {
            let st = nix::sys::statvfs::statvfs(dir).ok()?;
            return Some(st.blocks_available() as u64 * st.fragment_size() as u64);
        }
        p = dir.parent();
    }
    None
}

/// Memory available to new allocations (`MemAvailable` of /proc/meminfo), in bytes.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `1.5 GB`, `312 MB`, `4.0 kB`: decimal units, three significant digits.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else if v >= 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

/// `4.2 s`, `3 min 20 s`, `2 h 05 min`, `3.5 days`, `1.2e9 years`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else if s < 86400.0 * 2.0 {
        format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    } else if s < 86400.0 * 730.0 {
        format!("{:.1} days", s / 86400.0)
    } else {
        let years = s / (86400.0 * 365.25);
        if years < 1e4 {
            format!("{years:.0} years")
        } else {
            format!("{years:.1e} years")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1_500_000_000), "1.50 GB");
        assert_eq!(bytes(312_400_000), "312 MB");
        assert_eq!(duration(4.21), "4.2 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(7500.0), "2 h 05 min");
        assert_eq!(duration(86400.0 * 3.5), "3.5 days");
        assert_eq!(duration(86400.0 * 365.25 * 2.0e9), "2.0e9 years");
        assert!(free_disk(Path::new("/nonexistent/dir/below")).is_some());
    }
}
