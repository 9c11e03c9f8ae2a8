//! Outcomes of today's kernel on a sample of the PPNR-shaped search, as the journal keeps them
//! (spec index, status, failed test, R² bits; for a passed spec a hash of its whole outcome),
//! recorded in `tests/fixtures/kernel_reference.txt` by the kernel *before* the fast
//! Coefficient Significance decision was introduced. Every entry point must reproduce it
//! exactly: the journal of the old kernel and the journal of the new one agree on the sample.
//!
//! Regenerate (only when the statistical contract itself changes, never to make a kernel
//! change pass): `SPECSEARCH_WRITE_KERNEL_REFERENCE=1 cargo test --release -p specsearch-core
//! --test kernel_reference`.

use crate::ppnr::{Noise, Ppnr};
use sha2::{Digest, Sha256};
use specsearch_core::assess::{FilterThresholds, Outcome, Scratch, Status};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/kernel_reference.txt"
);

/// The sampled spec indices: the first 600 (the forced-only spec and the small specs, where
/// most passes are), then 2,400 spread over the whole space (one pseudo-random index in each of
/// 2,400 equal strides).
fn sample(count: u64) -> Vec<u64> {
    let mut out: Vec<u64> = (0..600.min(count)).collect();
    let strides = 2400u64;
    let stride = count / strides;
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    for i in 0..strides {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let index = i * stride + s % stride.max(1);
        if index >= 600 && index < count {
            out.push(index);
        }
    }
    out
}

/// One fixture line: what the journal keeps of an outcome.
fn line(index: u64, o: &Outcome) -> String {
    let status = o.status.code();
    let failed = o.failed_test.map_or("-", |f| f.as_str());
    let r2 =
        o.r2.map_or("-".to_string(), |r| format!("{:016x}", r.to_bits()));
    let detail = if o.status == Status::Passed {
        // serde_json writes every f64 in its shortest round-trip form: the hash covers every
        // statistic bit for bit.
        let json = serde_json::to_string(o).expect("outcomes serialise");
        hex::encode(&Sha256::digest(json.as_bytes())[..8])
    } else {
        "-".to_string()
    };
    format!("{index} {status} {failed} {r2} {detail}")
}

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(FIXTURE)
        .expect("the kernel reference fixture exists")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn kernel_reproduces_the_reference_outcomes() {
    let search = Ppnr::new(1, Noise::Ar1);
    let ev = search.evaluator(FilterThresholds::default());
    let indices = sample(search.space.count());
    let mut scratch = Scratch::default();
    let mut spec = Vec::new();
    let mut got = Vec::with_capacity(indices.len());
    let mut mix = std::collections::BTreeMap::<String, usize>::new();
    for &index in &indices {
        search.space.spec_at(index, &mut spec).unwrap();
        let o = ev.assess(&spec, &mut scratch);
        let what = format!(
            "{}/{}",
            o.failed_test.map_or(o.status.code(), |f| f.as_str()),
            o.cov_type.map_or("-", |c| c.as_str())
        );
        *mix.entry(what).or_default() += 1;
        got.push(line(index, &o));
    }
    if std::env::var_os("SPECSEARCH_WRITE_KERNEL_REFERENCE").is_some() {
        let mut text = format!(
            "# Kernel reference: PPNR-shaped search (tests/ppnr/mod.rs, seed 1, AR(1) noise), \
             {} specs, {} sampled.\n# spec_index status failed_test r2_bits \
             passed_outcome_sha256_prefix\n# mix (outcome/covariance): {mix:?}\n",
            search.space.count(),
            indices.len()
        );
        for l in &got {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::create_dir_all(std::path::Path::new(FIXTURE).parent().unwrap()).unwrap();
        std::fs::write(FIXTURE, text).unwrap();
        return;
    }
    let want = fixture_lines();
    assert_eq!(got.len(), want.len(), "sample size");
    compare("assess", &got, &want);
    // The journal path (what workers run).
    let mut out = Outcome::default();
    let journal: Vec<String> = indices
        .iter()
        .map(|&index| {
            search.space.spec_at(index, &mut spec).unwrap();
            ev.decide_into(&spec, &[], &mut scratch, &mut out);
            line(index, &out)
        })
        .collect();
    compare("decide_into", &journal, &want);
}

fn compare(what: &str, got: &[String], want: &[String]) {
    let mismatches: Vec<String> = got
        .iter()
        .zip(want)
        .filter(|(g, w)| g != w)
        .map(|(g, w)| format!("got  {g}\nwant {w}"))
        .take(10)
        .collect();
    assert!(
        mismatches.is_empty(),
        "{what}: {} outcomes differ from the reference:\n{}",
        got.iter().zip(want).filter(|(g, w)| g != w).count(),
        mismatches.join("\n")
    );
}
