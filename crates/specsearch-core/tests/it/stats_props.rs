//! Property tests of the statistics engine and `assess`: random designs never panic, every
//! p-value is in [0, 1], a filter never passes on NaN, the cached critical values ([`PCut`])
//! take exactly the decisions of the exact p-values, and the filtered path of
//! `Evaluator::assess_into` performs no heap allocation once warmed up.

use crate::alloc_count::allocs;
use proptest::prelude::*;
use specsearch_core::assess::{
    ColumnData, Evaluator, EvaluatorOptions, ExtraColumn, FilterTest, FilterThresholds, Outcome,
    Scratch, Status, TargetData,
};
use specsearch_core::stats::dist::{self, PCut};
use specsearch_core::stats::{diagnostics, ols, unitroot};

fn p_ok(p: Option<f64>) -> bool {
    p.is_none_or(|p| p.is_nan() || (0.0..=1.0).contains(&p))
}

fn check_outcome_invariants(o: &Outcome) {
    for p in &o.pvalues {
        assert!(p.is_nan() || (0.0..=1.0).contains(p), "p-value {p}");
    }
    for p in [
        o.bg_pvalue,
        o.bp_pvalue,
        o.white_pvalue,
        o.jb_pvalue,
        o.cvm_pvalue,
        o.resid_adf_pvalue,
        o.resid_pp_pvalue,
    ] {
        assert!(p_ok(p), "p-value {p:?}");
    }
    for g in &o.group_f {
        assert!(g.pvalue.is_nan() || (0.0..=1.0).contains(&g.pvalue));
    }
    match o.status {
        Status::Passed => {
            // Nothing NaN may have passed a filter.
            assert!(o.failed_test.is_none());
            assert!(o.r2.is_some_and(|r| r.is_finite()));
            assert!(o.pvalues.iter().skip(1).all(|p| p.is_finite()));
            assert!(o.vif.iter().all(|v| v.is_finite()));
            assert!(
                o.resid_adf_pvalue.is_some_and(f64::is_finite)
                    || o.resid_pp_pvalue.is_some_and(f64::is_finite)
            );
        }
        Status::Filtered => assert!(o.failed_test.is_some()),
        Status::Error => assert!(o.message.is_some()),
    }
}

/// Deterministic column generator from proptest-chosen parameters.
fn make_col(seed: u64, n: usize, kind: u8) -> Vec<f64> {
    let mut s = seed | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut acc = 0.0;
    (0..n)
        .map(|t| match kind % 6 {
            0 => next(),
            1 => {
                acc += next();
                acc
            }
            2 => 3.0,                              // constant
            3 => f64::from(u8::from(t % 12 == 0)), // dummy
            4 => 1e6 + next() * 1e-3,              // huge offset, tiny variation
            _ => {
                if t % 2 == 0 {
                    next() * 1e8
                } else {
                    0.0
                }
            } // wild scale
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_designs_never_panic(
        n in 3usize..80,
        k in 0usize..6,
        seeds in proptest::collection::vec(any::<u64>(), 7),
        kinds in proptest::collection::vec(0u8..6, 7),
        nan_at in proptest::option::of(0usize..80),
        stationary in any::<bool>(),
    ) {
        let mut y = make_col(seeds[6], n, kinds[6] % 2);
        if let Some(i) = nan_at {
            if i < n { y[i] = f64::NAN; }
        }
        let cols: Vec<Vec<f64>> = (0..k).map(|j| make_col(seeds[j], n, kinds[j])).collect();
        let oos: Vec<Vec<f64>> = (0..k).map(|j| make_col(seeds[j] ^ 1, 5, kinds[j])).collect();
        let y_oos = make_col(seeds[6] ^ 1, 5, 0);
        let names: Vec<String> = (0..k).map(|j| format!("c{j}")).collect();
        let data: Vec<ColumnData> = (0..k).map(|j| ColumnData {
            name: &names[j],
            in_sample: &cols[j],
            out_of_sample: &oos[j],
            expected_sign: (j as i8 % 3) - 1,
            is_dummy: kinds[j] % 6 == 3,
            dummy_group: (j % 2 == 0 && k > 2).then_some(1),
            unit_root: None,
        }).collect();
        let ev = Evaluator::new(
            TargetData { name: "y", in_sample: &y, out_of_sample: &y_oos, stationary },
            &data,
            FilterThresholds::default(),
            EvaluatorOptions::default(),
        ).expect("lengths are consistent");
        let mut scratch = Scratch::default();
        let spec: Vec<u32> = (0..k as u32).collect();
        let o = ev.assess(&spec, &mut scratch);
        check_outcome_invariants(&o);
        // Completeness rule: p-values on passed search outcomes only.
        match o.status {
            Status::Passed => prop_assert_eq!(o.pvalues.len(), o.params.len()),
            _ => prop_assert!(o.pvalues.is_empty() && o.bg_pvalue.is_none()),
        }
        if y.iter().any(|v| !v.is_finite()) {
            prop_assert_eq!(o.status, Status::Error);
            prop_assert!(o.message.as_deref().unwrap_or("").contains("'y'"));
        }
        let rep = ev.assess_report(&spec, &[], &mut scratch);
        check_outcome_invariants(&rep);
        prop_assert_eq!(rep.status, o.status);
        prop_assert_eq!(rep.failed_test, o.failed_test);
        let _ = &names;
        let _ = specsearch_core::assess::diagnostics(&rep, &specsearch_core::assess::FilterThresholds::default());

        // Standalone functions on the same data.
        let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        if let Ok(fit) = ols::fit(&y, &refs, None) {
            for ct in [
                specsearch_core::stats::CovType::NonRobust,
                specsearch_core::stats::CovType::HC1,
                specsearch_core::stats::CovType::HAC,
            ] {
                let v = specsearch_core::stats::covariance::cov(&fit, ct, None);
                let inf = fit.inference(&v);
                prop_assert!(inf.pvalues.iter().all(|p| p.is_nan() || (0.0..=1.0).contains(p)));
            }
            for t in [
                diagnostics::breusch_godfrey(&fit.resid, &refs, 2),
                diagnostics::breusch_pagan(&fit.resid, &refs),
                diagnostics::white(&fit.resid, &refs),
                diagnostics::cramer_von_mises(&fit.resid),
            ] {
                prop_assert!(t.pvalue.is_nan() || (0.0..=1.0).contains(&t.pvalue));
            }
        }
        for x in refs.iter().chain(std::iter::once(&y.as_slice())) {
            if let Ok(a) = unitroot::adf(x) {
                prop_assert!((0.0..=1.0).contains(&a.pvalue));
            }
            if let Ok(p) = unitroot::pp(x) {
                prop_assert!((0.0..=1.0).contains(&p.pvalue));
            }
            let _ = unitroot::is_stationary(x, 0.05);
        }
    }

    #[test]
    fn mackinnon_p_is_a_probability(stat in -40.0f64..10.0) {
        let p = unitroot::mackinnon_p(stat);
        prop_assert!((0.0..=1.0).contains(&p));
    }
}

/// Next representable float towards +inf (finite, non-negative or negative input).
fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// A critical value found independently: bisection in plain floats on `p(s) < α` (or `≤`).
fn crit(p: impl Fn(f64) -> f64, alpha: f64, le: bool) -> Option<f64> {
    let pass = |s: f64| if le { p(s) <= alpha } else { p(s) < alpha };
    if pass(0.0) {
        return Some(0.0);
    }
    let mut hi = 1.0;
    while !pass(hi) {
        hi *= 2.0;
        if hi > 1e300 {
            return None;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if pass(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Statistics to probe around a critical value `c`: ulp neighbours, relative offsets from
/// 1e-15 to 1e-3 (including many within 1e-12), and random values over a wide range.
fn probes(c: Option<f64>, rng: &mut impl FnMut() -> f64) -> Vec<f64> {
    let mut v = vec![0.0, -0.0, 1e-300, 0.5, 1.0, 2.0, 1e10, 1e300, f64::MAX];
    v.extend([f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -1.0, -2.5]);
    for _ in 0..40 {
        v.push(rng() * 12.0);
        v.push(-rng() * 12.0);
        v.push((rng() * 60.0).exp2());
    }
    if let Some(c) = c.filter(|c| c.is_finite()) {
        let mut x = c;
        let mut y = c;
        for _ in 0..20 {
            v.push(x);
            v.push(y);
            v.push(-x);
            x = next_up(x);
            y = next_down(y);
        }
        for rel in [
            1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 2e-9, 1e-8, 1e-6, 1e-3,
        ] {
            for _ in 0..6 {
                let u = 2.0 * rng() - 1.0;
                v.push(c * (1.0 + rel * u));
                v.push(c * (1.0 + rel));
                v.push(c * (1.0 - rel));
            }
        }
        for _ in 0..100 {
            let u = 2.0 * rng() - 1.0;
            v.push(c * (1.0 + 1e-12 * u));
        }
    }
    v
}

#[test]
fn cached_critical_values_decide_exactly_like_p_values() {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut rng = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let alphas = [
        0.10,
        0.05,
        0.01,
        0.001,
        1e-6,
        1e-12,
        0.2,
        0.5,
        0.9,
        0.999_999,
        1.0,
        1.5,
        0.0,
        -0.1,
        f64::NAN,
    ];
    let mut dfs: Vec<f64> = vec![1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 201.0, 1000.0, 1e5];
    for _ in 0..12 {
        dfs.push((1.0 + rng() * 2000.0).floor());
    }
    dfs.push(2.5); // non-integer df is valid for the distribution
    let (mut checked, mut quick_far) = (0usize, 0usize);
    for &df in &dfs {
        for &alpha in &alphas {
            let tp = |t: f64| dist::t_two_sided(t, df);
            let cut = PCut::student_t(df, alpha);
            let c = crit(tp, alpha, false);
            for t in probes(c, &mut rng) {
                let slow = dist::t_two_sided(t, df) < alpha;
                assert_eq!(
                    cut.t_significant(t, df),
                    slow,
                    "t = {t:e}, df = {df}, alpha = {alpha}, crit = {c:?}"
                );
                if let Some(q) = cut.quick(t.abs()) {
                    assert_eq!(
                        q, slow,
                        "quick decision at t = {t:e}, df = {df}, α = {alpha}"
                    );
                }
                // The band is thin: far from the critical value no p-value is computed.
                if let Some(c) = c.filter(|c| *c > 0.0 && c.is_finite()) {
                    if (t.abs() / c - 1.0).abs() > 1e-6 && t.is_finite() && alpha < 0.99 {
                        assert!(
                            cut.quick(t.abs()).is_some(),
                            "t = {t:e} df = {df} α = {alpha}"
                        );
                        quick_far += 1;
                    }
                }
                checked += 1;
            }
        }
    }
    // χ² (Breusch–Godfrey and friends), decision p ≤ α.
    for df in [1.0, 2.0, 4.0, 11.0, 60.0] {
        for &alpha in &alphas {
            let cp = |x: f64| dist::chi2_sf(x, df);
            let cut = PCut::chi2(df, alpha);
            let c = crit(cp, alpha, true);
            for x in probes(c, &mut rng) {
                let slow = dist::chi2_sf(x, df) <= alpha;
                assert_eq!(
                    cut.chi2_rejects(x, df),
                    slow,
                    "x = {x:e}, df = {df}, alpha = {alpha}, crit = {c:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
    assert!(quick_far > 10_000, "{quick_far}");
}

#[test]
fn constant_series_is_a_typed_error() {
    let x = vec![2.5; 50];
    assert_eq!(
        unitroot::adf(&x),
        Err(specsearch_core::stats::StatsError::ConstantSeries)
    );
    assert!(unitroot::pp(&x).is_err());
    assert!(unitroot::is_stationary(&x, 0.05).is_err());
}

#[test]
fn nan_in_extra_column_is_an_error_naming_it() {
    let y: Vec<f64> = (0..40).map(|t| (t as f64 * 0.7).sin()).collect();
    let x: Vec<f64> = (0..40).map(|t| (t as f64 * 1.3).cos()).collect();
    let mut bad = x.clone();
    bad[7] = f64::INFINITY;
    let data = [ColumnData {
        name: "x",
        in_sample: &x,
        out_of_sample: &[],
        expected_sign: 0,
        is_dummy: false,
        dummy_group: None,
        unit_root: None,
    }];
    let ev = Evaluator::new(
        TargetData {
            name: "y",
            in_sample: &y,
            out_of_sample: &[],
            stationary: true,
        },
        &data,
        FilterThresholds::default(),
        EvaluatorOptions::default(),
    )
    .unwrap();
    let mut s = Scratch::default();
    let extra = [ExtraColumn {
        name: "x_bad_MUL",
        in_sample: &bad,
        out_of_sample: &[],
        expected_sign: 0,
    }];
    let o = ev.assess_with_extra(&[0], &extra, &mut s);
    assert_eq!(o.status, Status::Error);
    assert!(o.message.unwrap().contains("'x_bad_MUL'"));
    // Constant regressor → rank deficient → Multicollinearity, naming it.
    let c = vec![1.0; 40];
    let extra = [ExtraColumn {
        name: "const_col",
        in_sample: &c,
        out_of_sample: &[],
        expected_sign: 0,
    }];
    let o = ev.assess_with_extra(&[0], &extra, &mut s);
    assert_eq!(o.failed_test, Some(FilterTest::Multicollinearity));
    assert!(o.message.unwrap().contains("'const_col'"));
    // Fewer observations than parameters.
    let ev_short = Evaluator::new(
        TargetData {
            name: "y",
            in_sample: &y[..2],
            out_of_sample: &[],
            stationary: true,
        },
        &[ColumnData {
            in_sample: &x[..2],
            ..data[0]
        }],
        FilterThresholds::default(),
        EvaluatorOptions::default(),
    )
    .unwrap();
    let o = ev_short.assess(&[0], &mut s);
    assert_eq!(o.status, Status::Error);
}

#[test]
fn filtered_path_does_not_allocate() {
    // PPNR-like: 7 dummies + 4 drivers, n = 213, an insignificant driver. With iid noise the
    // fit is non-robust; with AR(1) noise Durbin–Watson and Breusch–Godfrey pick HAC.
    for rho in [0.0, 0.7] {
        let n = 213;
        let mut cols: Vec<Vec<f64>> = Vec::new();
        for m in [2usize, 3, 4, 5, 10, 11, 12] {
            cols.push(
                (0..n)
                    .map(|t| f64::from(u8::from((t + 3) % 12 + 1 == m)))
                    .collect(),
            );
        }
        for j in 0..4u64 {
            cols.push(make_col(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(j + 1), n, 0));
        }
        let white = make_col(0xD1B5_4A32_D192_ED03, n, 0);
        let mut e = 0.0;
        let noise: Vec<f64> = white
            .iter()
            .map(|w| {
                e = rho * e + w;
                e
            })
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|t| 0.5 * cols[7][t] - 0.3 * cols[8][t] + 0.2 * cols[9][t] + noise[t])
            .collect();
        let names: Vec<String> = (0..cols.len()).map(|j| format!("c{j}")).collect();
        let data: Vec<ColumnData> = cols
            .iter()
            .zip(&names)
            .map(|(c, nm)| ColumnData {
                name: nm,
                in_sample: c,
                out_of_sample: &[],
                expected_sign: 0,
                is_dummy: false,
                dummy_group: None,
                unit_root: None,
            })
            .collect();
        let ev = Evaluator::new(
            TargetData {
                name: "y",
                in_sample: &y,
                out_of_sample: &[],
                stationary: true,
            },
            &data,
            FilterThresholds {
                min_r2: 0.0,
                ..FilterThresholds::default()
            },
            EvaluatorOptions::default(),
        )
        .unwrap();
        let spec: Vec<u32> = (0..cols.len() as u32).collect();
        let mut s = Scratch::default();
        let mut out = Outcome::default();
        ev.assess_into(&spec, &[], &mut s, &mut out); // warm-up (also builds the cached cuts)
        assert_eq!(
            out.failed_test,
            Some(FilterTest::CoefficientSignificance),
            "{out:?}"
        );
        let want_cov = if rho > 0.0 {
            specsearch_core::stats::CovType::HAC
        } else {
            specsearch_core::stats::CovType::NonRobust
        };
        assert_eq!(out.cov_type, Some(want_cov), "{out:?}");
        let before = allocs();
        for _ in 0..10 {
            ev.assess_into(&spec, &[], &mut s, &mut out);
        }
        assert_eq!(
            allocs() - before,
            0,
            "filtered path allocated ({:?}, {:?})",
            out.failed_test,
            out.cov_type
        );
    }
}
