//! The journal path ([`Evaluator::decide_into`], filter 2 one coefficient at a time) takes
//! exactly the decisions of computing everything ([`Evaluator::assess_report`]): same status,
//! same failed test, same R² bits, and a passed outcome identical to [`Evaluator::assess`]'s in
//! every statistic. Checked on 110,000 random specs of the PPNR-shaped search under each
//! covariance path, with composites and full dummy sets, and on specs made to sit on the
//! threshold on purpose (the significance level set to a coefficient's own p-value and within
//! a few ulps, 1e-12, 1e-9 and 1e-6 of it), where the fast decision must step aside. The
//! journal path also allocates nothing once warm.

use crate::alloc_count::allocs;
use crate::ppnr::{Noise, Ppnr};
use specsearch_core::assess::{
    ColumnData, Evaluator, EvaluatorOptions, ExtraColumn, FilterTest, FilterThresholds, Outcome,
    Scratch, SignificanceStats, Status, TargetData,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What must agree between the journal path and the full computation.
fn key(o: &Outcome) -> (Status, Option<FilterTest>, Option<u64>) {
    (o.status, o.failed_test, o.r2.map(f64::to_bits))
}

/// Every statistic, bit for bit (serde_json writes each f64 in its shortest round-trip form).
fn all_bits(o: &Outcome) -> String {
    serde_json::to_string(o).expect("outcomes serialise")
}

#[derive(Default)]
struct Tally {
    specs: usize,
    passed: usize,
    by_cov: std::collections::BTreeMap<String, usize>,
    stats: SignificanceStats,
}

/// Compares the journal path with the full report (and, for passed specs, with `assess`) on
/// `spec` (+ `extra`); returns a mismatch description.
fn compare(
    ev: &Evaluator,
    spec: &[u32],
    extra: &[ExtraColumn<'_>],
    fast: &mut Scratch,
    slow: &mut Scratch,
    out: &mut Outcome,
    tally: &mut Tally,
) -> Option<String> {
    ev.decide_into(spec, extra, fast, out);
    let report = ev.assess_report(spec, extra, slow);
    tally.specs += 1;
    *tally
        .by_cov
        .entry(format!("{:?}", report.cov_type))
        .or_default() += 1;
    if key(out) != key(&report) {
        return Some(format!(
            "spec {spec:?} + {} extra: journal {:?}, report {:?}",
            extra.len(),
            key(out),
            key(&report)
        ));
    }
    if out.status == Status::Passed {
        tally.passed += 1;
        let mut reached = Outcome::default();
        ev.assess_into(spec, extra, slow, &mut reached);
        if all_bits(out) != all_bits(&reached) {
            return Some(format!("spec {spec:?}: passed outcome differs from assess"));
        }
    }
    None
}

#[test]
fn journal_path_decides_like_the_full_report_on_random_specs() {
    let mut failures = Vec::new();
    let mut total = Tally::default();
    // (noise, seed, specs, full dummy set, share with a composite column in 1/x)
    let plan = [
        (Noise::Ar1, 1, 60_000, false, 20),
        (Noise::Iid, 2, 25_000, false, 20),
        (Noise::Heteroscedastic, 3, 20_000, false, 20),
        (Noise::Ar1, 4, 5_000, true, 10),
    ];
    for (noise, seed, count, full_set, extra_every) in plan {
        let search = Ppnr::new(seed, noise);
        let ev = search.evaluator_with(FilterThresholds::default(), full_set);
        let n_specs = search.space.count();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let (mut fast, mut slow) = (Scratch::default(), Scratch::default());
        let mut out = Outcome::default();
        let mut spec = Vec::new();
        let mut tally = Tally::default();
        let mut i = 0;
        while i < count {
            // Runs of consecutive indices (as workers get them) from random starting points;
            // first the smallest specs, where most passes are.
            let start = if i < 1000 {
                i as u64
            } else {
                rng.next() % n_specs
            };
            for index in start..(start + 8).min(n_specs) {
                search.space.spec_at(index, &mut spec).unwrap();
                let with_extra = spec.len() > 8 && i % extra_every == 0;
                let mismatch = if with_extra {
                    // The last driver as a per-spec column (as composites are passed).
                    let last = *spec.last().unwrap() as usize;
                    let c = &search.columns[last];
                    let extra = [ExtraColumn {
                        name: &c.name,
                        in_sample: Ppnr::in_sample(&c.values),
                        out_of_sample: Ppnr::out_of_sample(&c.values),
                        expected_sign: c.sign,
                    }];
                    let frozen = &spec[..spec.len() - 1];
                    compare(
                        &ev, frozen, &extra, &mut fast, &mut slow, &mut out, &mut tally,
                    )
                } else {
                    compare(&ev, &spec, &[], &mut fast, &mut slow, &mut out, &mut tally)
                };
                failures.extend(mismatch);
                i += 1;
            }
        }
        let st = fast.significance_stats();
        eprintln!(
            "{noise:?} (full set {full_set}): {} specs, {} passed, covariances {:?}, {st:?}",
            tally.specs, tally.passed, tally.by_cov
        );
        // The fast decision does the work: most specs are failed by it, without the matrix.
        assert!(
            st.specs > 0 && st.full * 5 < st.specs,
            "{noise:?}: the fast path decided too little: {st:?}"
        );
        total.specs += tally.specs;
        total.passed += tally.passed;
        total.stats.choice_skipped += st.choice_skipped;
        for (k, v) in tally.by_cov {
            *total.by_cov.entry(k).or_default() += v;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} specs differ:\n{}",
        failures.len(),
        total.specs,
        failures[..failures.len().min(10)].join("\n")
    );
    assert!(total.specs >= 100_000);
    assert!(
        total.passed > 100,
        "too few passes exercised: {}",
        total.passed
    );
    for cov in ["Some(HAC)", "Some(HC1)", "Some(NonRobust)"] {
        assert!(
            total.by_cov.get(cov).copied().unwrap_or(0) > 100,
            "{cov} barely exercised: {:?}",
            total.by_cov
        );
    }
    assert!(total.stats.choice_skipped > 0);
}

/// An evaluator over exactly `cols` of `search` (spec = all of them) with `alpha` as the
/// significance level.
fn small_evaluator(search: &Ppnr, cols: &[u32], alpha: f64) -> Evaluator {
    let data: Vec<ColumnData<'_>> = cols
        .iter()
        .map(|&id| {
            let c = &search.columns[id as usize];
            ColumnData {
                name: &c.name,
                in_sample: Ppnr::in_sample(&c.values),
                out_of_sample: Ppnr::out_of_sample(&c.values),
                expected_sign: c.sign,
                is_dummy: c.is_dummy,
                dummy_group: None,
                unit_root: None,
            }
        })
        .collect();
    Evaluator::new(
        TargetData {
            name: "y",
            in_sample: Ppnr::in_sample(&search.target),
            out_of_sample: Ppnr::out_of_sample(&search.target),
            stationary: true,
        },
        &data,
        FilterThresholds {
            coef_alpha: alpha,
            ..FilterThresholds::default()
        },
        EvaluatorOptions::default(),
    )
    .unwrap()
}

#[test]
fn journal_path_steps_aside_at_the_threshold() {
    let factors = [
        1.0,
        1.0 + 2.0 * f64::EPSILON,
        1.0 - 2.0 * f64::EPSILON,
        1.0 + 1e-12,
        1.0 - 1e-12,
        1.0 + 2e-9,
        1.0 - 2e-9,
        1.0 + 5e-9,
        1.0 - 5e-9,
        1.0 + 1e-6,
        1.0 - 1e-6,
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut near_cut = 0;
    let mut by_cov = std::collections::BTreeMap::<String, usize>::new();
    for (noise, seed) in [
        (Noise::Ar1, 11),
        (Noise::Iid, 12),
        (Noise::Heteroscedastic, 13),
    ] {
        let search = Ppnr::new(seed, noise);
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ seed);
        let mut spec = Vec::new();
        for _ in 0..60 {
            search
                .space
                .spec_at(rng.next() % search.space.count(), &mut spec)
                .unwrap();
            let base = small_evaluator(&search, &spec, 0.10);
            let all: Vec<u32> = (0..spec.len() as u32).collect();
            let report = base.assess_report(&all, &[], &mut Scratch::default());
            if report.pvalues.is_empty() {
                continue; // stopped before the covariance (R²)
            }
            // Put the cut on the coefficient with the smallest p-value (the others then fall
            // clearly on one side) and on the one with the largest (it decides alone).
            let slopes = 1..report.pvalues.len();
            let lowest = slopes
                .clone()
                .min_by(|&a, &b| report.pvalues[a].total_cmp(&report.pvalues[b]));
            let highest = slopes.max_by(|&a, &b| report.pvalues[a].total_cmp(&report.pvalues[b]));
            for j in [lowest, highest].into_iter().flatten() {
                let p = report.pvalues[j];
                if !(p > 1e-200 && p < 1.0) {
                    continue;
                }
                for f in factors {
                    let ev = small_evaluator(&search, &spec, p * f);
                    let mut fast = Scratch::default();
                    let mut out = Outcome::default();
                    ev.decide_into(&all, &[], &mut fast, &mut out);
                    let want = ev.assess_report(&all, &[], &mut Scratch::default());
                    cases += 1;
                    near_cut += fast.significance_stats().near_cut;
                    *by_cov.entry(format!("{:?}", want.cov_type)).or_default() += 1;
                    if key(&out) != key(&want) {
                        failures.push(format!(
                            "{noise:?} spec {spec:?}, alpha = p{j} × {f}: journal {:?}, report {:?}",
                            key(&out),
                            key(&want)
                        ));
                    }
                }
            }
        }
    }
    eprintln!("{cases} threshold cases, {near_cut} forms left to the full covariance, {by_cov:?}");
    assert!(
        failures.is_empty(),
        "{} of {cases} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    assert!(cases > 1000, "{cases}");
    // The construction really lands on the cut: the fast path had to step aside.
    assert!(near_cut > 50, "{near_cut}");
}

#[test]
fn journal_path_does_not_allocate_once_warm() {
    let search = Ppnr::new(1, Noise::Ar1);
    let ev = search.evaluator(FilterThresholds::default());
    let mut s = Scratch::default();
    let mut out = Outcome::default();
    let mut spec = Vec::new();
    // Warm up on two stretches of specs (buffers sized, cuts cached): small specs at the
    // start of the space, large ones in the middle ...
    let mid = search.space.count() / 2;
    for (a, b) in [(0, 4000), (mid, mid + 2000)] {
        let mut warm = search.space.iter_range(a, b);
        while warm.next_into(&mut spec).is_some() {
            ev.decide_into(&spec, &[], &mut s, &mut out);
        }
    }
    // ... then evaluate the next stretches: filtered outcomes, through both the skipped and
    // the computed covariance choice, allocate nothing.
    let before_stats = s.significance_stats();
    let mut allocated = 0;
    let mut filtered = 0;
    for (a, b) in [(4000, 8000), (mid + 2000, mid + 4000)] {
        let mut it = search.space.iter_range(a, b);
        while it.next_into(&mut spec).is_some() {
            let before = allocs();
            ev.decide_into(&spec, &[], &mut s, &mut out);
            if out.status == Status::Filtered {
                filtered += 1;
                allocated += allocs() - before;
            }
        }
    }
    let st = s.significance_stats();
    assert!(filtered > 5000, "{filtered}");
    assert!(st.choice_skipped > before_stats.choice_skipped);
    assert!(st.specs - st.choice_skipped > before_stats.specs - before_stats.choice_skipped);
    assert_eq!(allocated, 0, "the filtered journal path allocated");
}

/// The coordinator's screen ([`Evaluator::screen_into`], hybrid scheduling) decides a spec
/// exactly as the journal path would — same outcome, bit for bit — and leaves undecided only
/// specs the journal path does not fail at rank, error or R². The screen's scratch sees every
/// spec and the pool's only the undecided ones (as in a hybrid run), so Gram-prefix reuse
/// across different spec sequences is exercised too. `min_r2` is set at the median R² of the
/// sample so that both sides of the threshold are well represented.
#[test]
fn screen_decides_like_the_journal_path() {
    let search = Ppnr::new(5, Noise::Iid);
    let n_specs = search.space.count();
    let mut rng = Rng(0xA076_1D64_78BD_642F);
    let starts: Vec<u64> = (0..400).map(|_| rng.next() % n_specs).collect();
    let mut spec = Vec::new();
    // The median R² of the sample.
    let probe = search.evaluator(FilterThresholds::default());
    let (mut scratch, mut out) = (Scratch::default(), Outcome::default());
    let mut r2s = Vec::new();
    for &s in &starts {
        for index in s..(s + 16).min(n_specs) {
            search.space.spec_at(index, &mut spec).unwrap();
            probe.decide_into(&spec, &[], &mut scratch, &mut out);
            r2s.extend(out.r2);
        }
    }
    r2s.sort_by(f64::total_cmp);
    let median = r2s[r2s.len() / 2];
    let ev = search.evaluator(FilterThresholds {
        min_r2: median,
        ..FilterThresholds::default()
    });
    let (mut screen, mut pool, mut reference) =
        (Scratch::default(), Scratch::default(), Scratch::default());
    let (mut screened, mut by_pool, mut expected) =
        (Outcome::default(), Outcome::default(), Outcome::default());
    let (mut decided, mut undecided) = (0, 0);
    let mut failures = Vec::new();
    for &s in &starts {
        for index in s..(s + 16).min(n_specs) {
            search.space.spec_at(index, &mut spec).unwrap();
            ev.decide_into(&spec, &[], &mut reference, &mut expected);
            if ev.screen_into(&spec, &[], &mut screen, &mut screened) {
                decided += 1;
                if all_bits(&screened) != all_bits(&expected) {
                    failures.push(format!("spec {index}: the screen's outcome differs"));
                }
            } else {
                undecided += 1;
                ev.decide_into(&spec, &[], &mut pool, &mut by_pool);
                if all_bits(&by_pool) != all_bits(&expected) {
                    failures.push(format!("spec {index}: the pool's outcome differs"));
                }
                if expected.failed_test == Some(FilterTest::InSampleR2)
                    || expected.status == Status::Error
                {
                    failures.push(format!("spec {index}: left undecided but fails filter 1"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}",
        failures[..failures.len().min(10)].join("\n")
    );
    assert!(
        decided > 1000 && undecided > 1000,
        "both sides of min_r2 must be exercised: {decided} decided, {undecided} not"
    );
}
