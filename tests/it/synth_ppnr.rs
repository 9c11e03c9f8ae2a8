//! `specsearch synth --preset ppnr` writes the `ppnr` benchmark's workload: the shape of
//! issue 14 (2,163,980 specs, 213 + 24 months, 7 partial month dummies forced, 9 rate
//! drivers in 5 categories of sizes 1, 2, 2, 2, 2) with the outcome mix of real PPNR work
//! (nearly every spec fails at Coefficient Significance under HAC, a few in a thousand pass);
//! the options it is made of work on their own and refuse to be misused.

use specsearch::assess::{CovType, FilterTest, Scratch, Status};
use specsearch::runtime::context::{EvalContext, Transport};
use specsearch::session::Session;
use specsearch::spec::PoolKind;
use specsearch::synth::ppnr::PRESET_SPECS;

fn synth(args: &[&str]) -> std::process::Output {
    crate::common::specsearch()
        .arg("synth")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn ppnr_preset_is_the_benchmark_shape_with_its_outcome_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = synth(&[dir.path().to_str().unwrap(), "--preset", "ppnr"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2163980 specs"));
    let session = Session::load(&dir.path().join("search.toml"), None).unwrap();

    // The shape.
    let space = &session.plan.space;
    assert_eq!(space.count(), PRESET_SPECS);
    let sample = session.built.bundle.sample;
    assert_eq!((sample.n_in(), sample.n_oos()), (213, 24));
    assert!(session.built.target_pretest.stationary);
    let sizes: Vec<usize> = space
        .pools()
        .iter()
        .map(|p| {
            assert!(
                matches!(p.kind(), PoolKind::Category { .. }),
                "{:?}",
                p.kind()
            );
            p.members().len()
        })
        .collect();
    assert_eq!(sizes, [1, 2, 2, 2, 2]);
    assert_eq!(space.forced_count(), 1);
    let mut spec = Vec::new();
    space.spec_at(0, &mut spec).unwrap();
    let names: Vec<&str> = spec
        .iter()
        .map(|&c| space.column(c).name.as_str())
        .collect();
    assert_eq!(names, ["M:2", "M:3", "M:4", "M:5", "M:10", "M:11", "M:12"]);

    // The mix, on 4,000 specs spread over the space (the reference search path gives each
    // filtered spec's covariance too).
    let ctx = EvalContext::from_matrix(
        &session.setup(Transport::Duckdb),
        &session.built.bundle.matrix(),
    )
    .unwrap();
    let mut scratch = Scratch::default();
    let (mut at_significance, mut hac, mut passed) = (0, 0, 0);
    let n = 4000u64;
    for i in 0..n {
        space
            .spec_at(i * (PRESET_SPECS / n) + i % 7, &mut spec)
            .unwrap();
        let o = ctx.evaluator.assess(&spec, &mut scratch);
        at_significance += u32::from(o.failed_test == Some(FilterTest::CoefficientSignificance));
        hac += u32::from(o.cov_type == Some(CovType::HAC));
        passed += u32::from(o.status == Status::Passed);
    }
    assert!(
        at_significance as f64 >= 0.98 * n as f64,
        "{at_significance}"
    );
    assert!(hac as f64 >= 0.97 * n as f64, "{hac}");
    assert!(passed as f64 <= 0.01 * n as f64, "{passed}");
    // Passes exist (the first specs, one or two drivers, are where they are).
    let passes = (0..3000)
        .filter(|&i| {
            space.spec_at(i, &mut spec).unwrap();
            ctx.evaluator.assess(&spec, &mut scratch).status == Status::Passed
        })
        .count();
    assert!(passes >= 5, "{passes}");
}

#[test]
fn ppnr_options_build_other_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = synth(&[
        d,
        "--rate-drivers",
        "2,1",
        "--forced-months",
        "none",
        "--in-sample",
        "120",
        "--out-of-sample",
        "0",
        "--max-vars",
        "2",
        "--noise-ar",
        "0",
    ]);
    assert!(out.status.success(), "{out:?}");
    let session = Session::load(&dir.path().join("search.toml"), None).unwrap();
    let space = &session.plan.space;
    assert_eq!(space.forced_count(), 0);
    let sizes: Vec<usize> = space.pools().iter().map(|p| p.members().len()).collect();
    assert_eq!(sizes, [2, 1]);
    let sample = session.built.bundle.sample;
    assert_eq!((sample.n_in(), sample.n_oos()), (120, 0));
    // Every variant a driver with full history has: random walks keep their 16 changes, the
    // stationary fourth-driver kind (none here) would keep its levels too.
    assert!(space.count() > 16 * 3);
}

#[test]
fn ppnr_options_refuse_misuse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, says) in [
        (
            vec![d, "--in-sample", "100"],
            "--in-sample applies to a PPNR-shaped search",
        ),
        (
            vec![d, "--preset", "ppnr", "--forced-months", "2,13"],
            "--forced-months: `13` is not a month number",
        ),
        (
            vec![d, "--rate-drivers", "2,0"],
            "--rate-drivers takes category sizes",
        ),
        (
            vec![d, "--preset", "ppnr", "--noise-ar", "1.5"],
            "--noise-ar must be in [0, 1)",
        ),
    ] {
        let out = synth(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
