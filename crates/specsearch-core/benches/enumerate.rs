//! Enumeration throughput of the spec space, in specs per second.
//!
//! Space: 40 variables × 20 variants in 8 categories, category_limit 1, one forced month-dummy
//! set (11 columns), max_vars 5: 7,056,280,801 specs. Measured: streaming with `iter_from` at
//! the start and deep inside the largest level, and unranking (`spec_at`) at random indices.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use specsearch_core::spec::{ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecSpace};
use std::hint::black_box;

fn realistic() -> SpecSpace {
    let mut columns: Vec<ColumnInfo> = (2..=12)
        .map(|m| ColumnInfo::new(format!("M:{m}"), ColumnClass::MonthDummy))
        .collect();
    let mut pool = Vec::new();
    for v in 0..40u32 {
        let first = columns.len() as u32;
        for k in 0..20 {
            columns.push(ColumnInfo::new(
                format!("V{v:02}_T{k:02}"),
                ColumnClass::Feature,
            ));
        }
        let cols: Vec<u32> = (first..first + 20).collect();
        pool.push(PoolEntry::Variable {
            element: Element::variable(format!("V{v:02}"), &cols),
            category: Some(format!("cat{}", v % 8)),
        });
    }
    SpecSpace::new(SpaceInput {
        forced: vec![Element::dummy_set(
            "dummies(M)",
            &(0..11).collect::<Vec<u32>>(),
        )],
        pool,
        max_vars: 5,
        category_limit: 1,
        columns,
        key_context: "bench".into(),
    })
    .expect("realistic space builds")
}

fn bench(c: &mut Criterion) {
    let space = realistic();
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("spec_space");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    for (label, start) in [("iter_from_0", 0), ("iter_from_mid", space.count() / 2)] {
        g.bench_function(label, |b| {
            let mut out = Vec::with_capacity(32);
            b.iter(|| {
                let mut it = space.iter_range(start, start + N);
                let mut acc = 0u64;
                while let Some(i) = it.next_into(&mut out) {
                    acc = acc.wrapping_add(i ^ out[out.len() - 1] as u64);
                }
                black_box(acc)
            })
        });
    }

    const M: u64 = 10_000;
    g.throughput(Throughput::Elements(M));
    let count = space.count();
    g.bench_function("spec_at_random", |b| {
        let mut out = Vec::with_capacity(32);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        b.iter_batched(
            || {
                // xorshift64*: reproducible pseudo-random indices without a rand dependency.
                (0..M)
                    .map(|_| {
                        state ^= state >> 12;
                        state ^= state << 25;
                        state ^= state >> 27;
                        state.wrapping_mul(0x2545_F491_4F6C_DD1D) % count
                    })
                    .collect::<Vec<u64>>()
            },
            |indices| {
                for &i in &indices {
                    space.spec_at(i, &mut out).expect("index in range");
                    black_box(&out);
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
