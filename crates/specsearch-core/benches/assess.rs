//! Criterion benchmarks of `Evaluator::assess` on PPNR-shaped specs: n = 213 monthly
//! observations, intercept + 7 month dummies + 4 drivers, AR(1) residuals (HAC path).
//! `failing`: one driver is irrelevant → filtered at Coefficient Significance.
//! `passing`: every filter passes (residual ADF + PP run).
//! Data come from a fixed xorshift generator, so every run measures the same specs.
//!
//! `assess_ppnr_shape`: the search of `tests/ppnr` (the `ppnr` benchmark's shape), 20,000
//! consecutive specs from the middle of its index space as a worker gets them, through the
//! reference search path (`assess_into`) and the journal path workers run (`decide_into`);
//! time per spec. 99% fail at Coefficient Significance under HAC.

#[path = "../tests/it/ppnr/mod.rs"]
mod ppnr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use specsearch_core::assess::{
    ColumnData, Evaluator, EvaluatorOptions, FilterTest, FilterThresholds, Outcome, Scratch,
    Status, TargetData,
};
use std::hint::black_box;

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn ar1(&mut self, n: usize, rho: f64, scale: f64) -> Vec<f64> {
        let mut x = vec![0.0; n];
        let mut prev = 0.0;
        for v in x.iter_mut() {
            prev = rho * prev + scale * self.normal();
            *v = prev;
        }
        x
    }
}

const N: usize = 213;
const MONTHS: [usize; 7] = [2, 3, 4, 5, 10, 11, 12];

struct Data {
    y: Vec<f64>,
    cols: Vec<Vec<f64>>,
    names: Vec<String>,
    signs: Vec<i8>,
}

/// Columns 0..7: month dummies; 7..11: relevant drivers; 11: an irrelevant driver.
fn data() -> Data {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cols = Vec::new();
    let mut names = Vec::new();
    let mut signs = Vec::new();
    for m in MONTHS {
        cols.push(
            (0..N)
                .map(|t| f64::from(u8::from(t % 12 + 1 == m)))
                .collect(),
        );
        names.push(format!("M:{m}"));
        signs.push(0);
    }
    for j in 0..5 {
        cols.push(rng.ar1(N, 0.6, 1.0));
        names.push(format!("D{j}_GR"));
        signs.push(if j % 2 == 0 { 1 } else { -1 });
    }
    let beta = [0.8, -0.6, 0.5, -0.4];
    let seasonal = [1.0, -0.8, 0.9, -1.2, 0.7, 1.1, -0.9];
    let e = rng.ar1(N, 0.5, 0.35);
    let y = (0..N)
        .map(|t| {
            let s: f64 = (0..7).map(|m| seasonal[m] * cols[m][t]).sum();
            let d: f64 = (0..4).map(|j| beta[j] * cols[7 + j][t]).sum();
            0.3 + s + d + e[t]
        })
        .collect();
    Data {
        y,
        cols,
        names,
        signs,
    }
}

fn evaluator(d: &Data) -> Evaluator {
    let cols: Vec<ColumnData> = (0..d.cols.len())
        .map(|j| ColumnData {
            name: &d.names[j],
            in_sample: &d.cols[j],
            out_of_sample: &[],
            expected_sign: d.signs[j],
            is_dummy: j < 7,
            dummy_group: None,
            unit_root: None,
        })
        .collect();
    Evaluator::new(
        TargetData {
            name: "ppnr_GR",
            in_sample: &d.y,
            out_of_sample: &[],
            stationary: true,
        },
        &cols,
        FilterThresholds::default(),
        EvaluatorOptions::default(),
    )
    .expect("evaluator")
}

fn bench(c: &mut Criterion) {
    let d = data();
    let ev = evaluator(&d);
    let mut scratch = Scratch::default();
    let failing: Vec<u32> = (0..7).chain([7, 8, 9, 11]).collect();
    let passing: Vec<u32> = (0..11).collect();

    let o = ev.assess(&failing, &mut scratch);
    assert_eq!(
        o.failed_test,
        Some(FilterTest::CoefficientSignificance),
        "{o:?}"
    );
    assert_eq!(o.cov_type, Some(specsearch_core::stats::CovType::HAC));
    let o = ev.assess(&passing, &mut scratch);
    assert_eq!(o.status, Status::Passed, "{o:?}");
    assert_eq!(o.cov_type, Some(specsearch_core::stats::CovType::HAC));
    assert!(o.resid_adf_stat.is_some() && o.resid_pp_stat.is_some());

    let mut g = c.benchmark_group("assess_ppnr_n213_k11");
    g.bench_function("failing_coef_significance", |b| {
        b.iter(|| ev.assess(black_box(&failing), &mut scratch))
    });
    g.bench_function("passing_all_filters", |b| {
        b.iter(|| ev.assess(black_box(&passing), &mut scratch))
    });
    let mut out = Outcome::default();
    g.bench_function("failing_assess_into", |b| {
        b.iter(|| ev.assess_into(black_box(&failing), &[], &mut scratch, &mut out))
    });
    g.bench_function("failing_decide_into", |b| {
        b.iter(|| ev.decide_into(black_box(&failing), &[], &mut scratch, &mut out))
    });
    g.finish();
}

fn bench_shape(c: &mut Criterion) {
    let search = ppnr::Ppnr::new(1, ppnr::Noise::Ar1);
    let ev = search.evaluator(FilterThresholds::default());
    let start = search.space.count() / 2;
    let specs: Vec<Vec<u32>> = {
        let mut it = search.space.iter_range(start, start + 20_000);
        let mut spec = Vec::new();
        let mut all = Vec::new();
        while it.next_into(&mut spec).is_some() {
            all.push(spec.clone());
        }
        all
    };
    let mut g = c.benchmark_group("assess_ppnr_shape");
    g.throughput(Throughput::Elements(specs.len() as u64));
    g.sample_size(10);
    let mut out = Outcome::default();
    for (name, journal) in [("assess_into", false), ("decide_into", true)] {
        let mut scratch = Scratch::default();
        g.bench_function(name, |b| {
            b.iter(|| {
                for spec in &specs {
                    if journal {
                        ev.decide_into(black_box(spec), &[], &mut scratch, &mut out);
                    } else {
                        ev.assess_into(black_box(spec), &[], &mut scratch, &mut out);
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_shape);
criterion_main!(benches);
