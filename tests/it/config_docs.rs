//! The README's configuration reference is a valid config, and its defaults are the real ones;
//! every time or speed the README quotes is a figure BENCHMARKS.md lists with its benchmark.

use std::path::Path;

use specsearch::assess::FilterThresholds;
use specsearch::config::{Config, RankingConfig, RunConfig, ValidationConfig};

fn readme_config() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```toml\n")
        .expect("the README has a TOML block")
        + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_string()
}

#[test]
fn readme_configuration_reference_parses_with_the_documented_defaults() {
    let config = Config::parse(Path::new("/tmp/readme/search.toml"), &readme_config())
        .unwrap_or_else(|e| panic!("README config does not parse: {e}"));
    let f = &config.file;
    // The README lists the defaults explicitly: they must equal the built-in ones.
    assert_eq!(f.filters, FilterThresholds::default());
    assert_eq!(f.ranking, RankingConfig::default());
    assert_eq!(f.run, RunConfig::default());
    assert_eq!(f.validation, ValidationConfig::default());
    assert_eq!(
        config.default_workspace(),
        Path::new("/tmp/readme/search.specsearch")
    );
}

#[test]
fn unknown_keys_are_named() {
    let text = readme_config().replace("min_r2 = 0.3", "min_rsq = 0.3");
    let err = Config::parse(Path::new("search.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("min_rsq") && err.contains("search.toml"),
        "{err}"
    );
}

/// Durations the README gives that are settings or behaviour, not measurements.
const SETTINGS: &[&str] = &[
    "every 10 s",                  // the progress line's interval into a file
    "after 5 s its",               // the watchdog's SIGTERM-to-SIGKILL grace
    "after 2 s says",              // `query`'s slow-statement notice
    "`batch_timeout` outside 1 s", // the settings' bounds
    "`drain_timeout` outside 1 s",
];

/// The timings in `text`: a number directly followed by a unit of time or speed (`1.4 s`,
/// `35 min`, `5.2 GB/s`), with the words just before it, and the unmeasured phrases people
/// write instead of a figure.
fn timings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for phrase in [
        "a few seconds",
        "half a minute",
        "about a minute",
        "a few minutes",
    ] {
        if text.contains(phrase) {
            out.push(phrase.to_string());
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !number {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || ".,–".contains(chars[i])) {
            i += 1;
        }
        let rest: String = chars[i..(i + 12).min(chars.len())].iter().collect();
        let rest = rest.strip_prefix(' ').unwrap_or(&rest);
        let unit = ["GB/s", "µs", "ms", "min", "s"].into_iter().find(|u| {
            rest.starts_with(u)
                && !rest[u.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '²')
        });
        if unit.is_some() {
            let from = start.saturating_sub(12);
            out.push(chars[from..(i + 8).min(chars.len())].iter().collect());
        }
    }
    out
}

#[test]
fn every_timing_in_the_readme_is_a_benchmarked_figure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let bench = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap();
    let section = bench
        .split("## Figures the README quotes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("BENCHMARKS.md lists the figures the README quotes");
    // `| `phrase` | figure | command |`: each phrase is in the README, with a command.
    let quoted: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(phrase, rest)| {
            assert!(
                rest.matches('|').count() >= 3,
                "a figure and its command: {rest}"
            );
            phrase
        })
        .collect();
    assert!(quoted.len() >= 5, "{quoted:?}");
    let mut rest = readme.clone();
    for phrase in quoted.iter().chain(SETTINGS) {
        assert!(
            rest.contains(phrase),
            "the README no longer says `{phrase}`"
        );
        rest = rest.replace(phrase, "");
    }
    let unlisted = timings(&rest);
    assert!(
        unlisted.is_empty(),
        "README timings not measured by a benchmark listed in BENCHMARKS.md: {unlisted:#?}"
    );
}
