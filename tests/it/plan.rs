//! `plan` and the pretests on the bundled demo: the spec count recomputed independently from
//! the pretest verdicts, the keep rule checked on every variant, and bad search configs rejected
//! with the key to fix.

use std::path::Path;
use std::process::Command;

use crate::common::demo_copy;
use assert_cmd::cargo::CommandCargoExt;
use specsearch::config::Config;
use specsearch::spec::FeatureRole;

fn plan(config: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("specsearch")
        .unwrap()
        .arg("plan")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

/// Elementary symmetric sums e_0..=e_k of the weights.
fn elementary(weights: &[u64], k: usize) -> Vec<u64> {
    let mut e = vec![0u64; k + 1];
    e[0] = 1;
    for &w in weights {
        for r in (1..=k).rev() {
            e[r] += e[r - 1] * w;
        }
    }
    e
}

#[test]
fn demo_plan_count_matches_an_independent_count_and_pretests_follow_the_keep_rule() {
    let (_dir, config_path) = demo_copy();
    let config = Config::load(&config_path).unwrap();
    let built = specsearch::freeze::build(&config).unwrap();
    assert!(
        built.target_pretest.stationary,
        "quarterly consumption growth is stationary"
    );

    // Keep rule (§3): stationary target → keep valid and stationary variants, every exclusion
    // with a reason; stationarity = ADF or PP p < 0.05.
    let mut kept_by_category: std::collections::BTreeMap<String, u64> = Default::default();
    for c in built
        .bundle
        .catalogue
        .columns
        .iter()
        .filter(|c| c.role == FeatureRole::Variant)
    {
        let p = &c.pretest;
        let stationary = p.adf_p.is_some_and(|v| v < 0.05) || p.pp_p.is_some_and(|v| v < 0.05);
        assert_eq!(p.stationary, Some(stationary), "{}", c.name);
        assert_eq!(p.kept, p.valid == Some(true) && stationary, "{}", c.name);
        assert_eq!(p.exclusion.is_some(), !p.kept, "{}", c.name);
        if p.kept {
            *kept_by_category
                .entry(c.category.clone().unwrap())
                .or_default() += 1;
        }
    }
    // Levels of trending series are not stationary: excluded.
    let gdp_lv =
        &built.bundle.catalogue.columns[built.bundle.catalogue.id("realgdp_LV").unwrap() as usize];
    assert!(!gdp_lv.pretest.kept);
    assert!(gdp_lv
        .pretest
        .exclusion
        .as_deref()
        .unwrap()
        .starts_with("non-stationary"));

    // The demo's composites: `interaction(realgdp_QQGR, infl)` is one more member of its first
    // argument's category (one column per kept variant of infl), and `regime(realdpi, Q, 4)`
    // joins realdpi's entry (one column per kept variant of realdpi).
    let cat = &built.bundle.catalogue;
    let kept = |base: &str| {
        cat.columns
            .iter()
            .filter(|c| c.role == FeatureRole::Variant && c.base == base && c.pretest.kept)
            .count() as u64
    };
    let gdp_gr = &cat.columns[cat.id("realgdp_QQGR").unwrap() as usize];
    assert!(gdp_gr.pretest.kept);
    *kept_by_category.get_mut("output").unwrap() += kept("infl");
    *kept_by_category.get_mut("income").unwrap() += kept("realdpi");

    // Count by hand: with category_limit 1 every category is a pool whose options are its kept
    // variants (and composites); dummies(Q) is one more single-option pool; up to max_vars = 3
    // pools per spec.
    let mut weights: Vec<u64> = kept_by_category.values().copied().collect();
    weights.push(1);
    let e = elementary(&weights, 3);
    let expected: u64 = e[1] + e[2] + e[3];

    let out = plan(&config_path, &["--sample", "200"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::common::assert_ok(&out);
    assert!(
        stdout.contains(&format!("specs      {expected} ")),
        "expected {expected}:\n{stdout}"
    );
    // Every group of exclusions says its cause, with one full reason.
    assert!(
        stdout.contains("non-stationary, while the target is stationary (realgdp_LV"),
        "{stdout}"
    );
    for line in stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("excluded"))
    {
        let cause = line.split_whitespace().nth(2).unwrap();
        assert_ne!(cause, "invalid", "a cause, not a class: {line}");
    }
    // The estimate: from a timed sample of real evaluations, journaled.
    let estimate = stdout
        .lines()
        .find(|l| l.starts_with("estimate   "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        estimate.contains(&format!("to evaluate the {expected} specs with"))
            && estimate.contains("µs to journal"),
        "{estimate}"
    );

    // --at and --list agree, and the first spec is the first variant of the first category.
    let at = plan(&config_path, &["--at", "0"]);
    assert!(String::from_utf8_lossy(&at.stdout).starts_with("#0  realgdp_QQGR\n"));
    let list = plan(&config_path, &["--list", "3"]);
    let lines: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 3);
    let second = plan(&config_path, &["--at", "1"]);
    let second = String::from_utf8_lossy(&second.stdout);
    let name = lines[1].split_whitespace().nth(1).unwrap();
    assert!(second.contains(name), "{second} vs {name}");
}

fn assert_rejected(edit: impl FnOnce(String) -> String, expected: &[&str]) {
    let (_dir, config) = demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, edit(text)).unwrap();
    let out = plan(&config, &["--sample", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
}

#[test]
fn bad_search_configs_name_the_key() {
    let pool_start = "pool = [";
    // A forced item with no variant surviving the pretests.
    assert_rejected(
        |t| t.replace(pool_start, "forced = [\"realgdp_LV\"]\npool = ["),
        &["search.forced[0]", "realgdp_LV", "no variant survives"],
    );
    assert_rejected(
        |t| {
            let start = t.find(pool_start).unwrap();
            let end = start + t[start..].find(']').unwrap() + 1;
            format!("{}pool = []{}", &t[..start], &t[end..])
        },
        &["search.pool", "empty"],
    );
    assert_rejected(
        |t| {
            t.replace(
                pool_start,
                "forced = [\"realgdp\", \"unemp\", \"cpi\", \"m1\"]\npool = [",
            )
        },
        &["search.max_vars", "4 items"],
    );
    assert_rejected(
        |t| {
            t.replace(
                "max_vars = 3",
                "max_vars = 3\none_of = [[\"tbilrate\", \"fedfunds\"]]",
            )
        },
        &["search.one_of[0][1]", "fedfunds"],
    );
    assert_rejected(
        |t| {
            t.replace(
                "max_vars = 3",
                "max_vars = 3\none_of = [[\"rates\", \"housing\"]]",
            )
        },
        &["search.one_of[0][1]", "housing"],
    );
    // About 400 surviving variants per variable, two per category, up to 12 per spec: more
    // specs than 64 bits can index.
    let periods: Vec<String> = (1..=8).map(|p| p.to_string()).collect();
    let periods = format!("category_limit = 2\nperiods = [{}]", periods.join(", "));
    assert_rejected(
        move |t| {
            t.replace("max_vars = 3", "max_vars = 12")
                .replace("max_lag = 2", "max_lag = 8")
                .replace("in_start = \"1961-03-31\"", "in_start = \"1964-03-31\"")
                .replace("category_limit = 1", &periods)
        },
        &["2^64"],
    );
}

#[test]
fn a_together_group_is_one_pool_of_the_product_of_its_members_variants() {
    let (_dir, config_path) = demo_copy();
    let text = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(
        &config_path,
        text.replace(
            "max_lag = 2",
            "max_lag = 2\ntogether = [[\"m1_QQGR\", \"pop\"]]",
        ),
    )
    .unwrap();
    let base = |extra: &str| -> u64 {
        let out = plan(&config_path, &["--sample", "0"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        crate::common::assert_ok(&out);
        assert!(stdout.contains(extra), "{stdout}");
        let line = stdout.lines().find(|l| l.starts_with("specs ")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let with_group = base("together(m1_QQGR, pop)");
    // Without the group, the same search has the same pools but one.
    std::fs::write(&config_path, text.clone()).unwrap();
    let without = base("specs");

    // Independently: the group is one more single-option pool whose weight is the number of
    // (m1_QQGR, pop variant) pairs; adding a pool of weight w to pools P with max 3 picks adds
    // w·(e0 + e1 + e2)(P) specs.
    let config = Config::load(&config_path).unwrap();
    let built = specsearch::freeze::build(&config).unwrap();
    let cat = &built.bundle.catalogue;
    let kept_pop = cat
        .columns
        .iter()
        .filter(|c| c.role == FeatureRole::Variant && c.base == "pop" && c.pretest.kept)
        .count() as u64;
    for name in ["m1_QQGR", "m1_QQGR2"] {
        assert!(
            cat.columns[cat.id(name).unwrap() as usize].pretest.kept,
            "{name}"
        );
    }
    let w = kept_pop;
    // e0 + e1 + e2 of the other pools, recovered from the search without the group:
    // count(P) = e1 + e2 + e3; a single extra pool of weight 1 would add e0 + e1 + e2.
    std::fs::write(
        &config_path,
        text.replace(
            "max_lag = 2",
            "max_lag = 2\ntogether = [[\"m1_QQGR\", \"m1_QQGR2\"]]",
        ),
    )
    .unwrap();
    let with_unit_group = base("together(m1_QQGR, m1_QQGR2)");
    let e012 = with_unit_group - without;
    assert_eq!(with_group, without + w * e012);
}
