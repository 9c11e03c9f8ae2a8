//! The README's configuration reference is a valid config, and its defaults are the real ones.

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
