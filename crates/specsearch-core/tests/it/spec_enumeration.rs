//! Enumeration contract of `specsearch_core::spec` (docs/semantics.md §4, rules P/C/S in
//! `spec/mod.rs`).
//!
//! Hand-checked spaces list every spec by hand, derived from the rules, so a change of order is
//! caught as a journal-compatibility break. Property tests compare the DP counting, unranking
//! and streaming iterator against a literal brute-force enumeration written here from the rules.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use specsearch_core::spec::{
    ColumnClass, ColumnInfo, Element, PoolEntry, PoolKind, SpaceInput, SpecError, SpecSpace,
};

// ---------------------------------------------------------------------------------------------
// helpers

fn feature(name: &str) -> ColumnInfo {
    ColumnInfo::new(name, ColumnClass::Feature)
}

fn var(element: Element, category: Option<&str>) -> PoolEntry {
    PoolEntry::Variable {
        element,
        category: category.map(str::to_owned),
    }
}

fn names_of(space: &SpecSpace, cols: &[u32]) -> Vec<String> {
    cols.iter().map(|&c| space.column(c).name.clone()).collect()
}

/// Every spec of the space by iteration, as column names.
fn listing(space: &SpecSpace) -> Vec<Vec<String>> {
    let mut it = space.iter_from(0);
    let mut out = Vec::new();
    let mut all = Vec::new();
    while let Some(i) = it.next_into(&mut out) {
        assert_eq!(i, all.len() as u64, "indices are consecutive");
        all.push(names_of(space, &out));
    }
    all
}

fn assert_listing(space: &SpecSpace, expected: &[&[&str]]) {
    let got = listing(space);
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|s| s.iter().map(|n| n.to_string()).collect())
        .collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "spec {i}");
    }
    assert_eq!(got.len(), want.len(), "number of specs");
    assert_eq!(space.count(), want.len() as u64);
    let mut out = Vec::new();
    for (i, w) in want.iter().enumerate() {
        space.spec_at(i as u64, &mut out).unwrap();
        assert_eq!(&names_of(space, &out), w, "spec_at({i})");
    }
}

// ---------------------------------------------------------------------------------------------
// hand-checked spaces

/// 3 variables × 2 variants in 2 categories, a one_of of 2, a forced month-dummy set, a repeated
/// variable and a repeated one_of set (both dropped), max_vars 3, category_limit 1.
fn space_one() -> SpecSpace {
    use ColumnClass::*;
    let columns = vec![
        ColumnInfo::new("M:10", MonthDummy),  // 0
        ColumnInfo::new("M:2", MonthDummy),   // 1
        feature("GDP_QQGR"),                  // 2
        feature("GDP_LV"),                    // 3
        feature("UNRATE_LV"),                 // 4
        feature("UNRATE_LV_L1"),              // 5
        feature("CPI_LV"),                    // 6
        feature("CPI_QQGR"),                  // 7
        feature("HPI_LV"),                    // 8
        ColumnInfo::new("Q:4", QuarterDummy), // 9
        ColumnInfo::new("Q:2", QuarterDummy), // 10
        ColumnInfo::new("Q:3", QuarterDummy), // 11
    ];
    let gdp = Element::variable("GDP", &[3, 2]);
    let unrate = Element::variable("UNRATE", &[4, 5]);
    let cpi = Element::variable("CPI", &[6, 7]);
    let hpi = Element::variable("HPI", &[8]);
    let qdum = Element::dummy_set("dummies(Q)", &[9, 10, 11]);
    SpecSpace::new(SpaceInput {
        forced: vec![Element::dummy_set("dummies(M)", &[0, 1])],
        pool: vec![
            var(gdp.clone(), Some("output")),
            var(cpi, Some("prices")),
            var(unrate, Some("output")),
            PoolEntry::OneOf(vec![hpi.clone(), qdum.clone()]),
            var(gdp, Some("output")),
            PoolEntry::OneOf(vec![qdum, hpi]),
        ],
        max_vars: 3,
        category_limit: 1,
        columns,
        key_context: "target=GR(home_price_index,1) lead 1\nin=2005-01..2019-12".into(),
    })
    .unwrap()
}

#[test]
fn hand_checked_categories_one_of_and_forced_dummies() {
    let space = space_one();
    let pools: Vec<(&str, u128)> = space
        .pools()
        .iter()
        .map(|p| (p.name(), p.option_count()))
        .collect();
    assert_eq!(
        pools,
        [("output", 2), ("prices", 1), ("one_of(HPI, dummies(Q))", 2)]
    );
    const MD: [&str; 2] = ["M:2", "M:10"];
    fn s(parts: &[&[&'static str]]) -> Vec<&'static str> {
        parts.concat()
    }
    let q: &[&str] = &["Q:2", "Q:3", "Q:4"];
    let expected: Vec<Vec<&str>> = vec![
        s(&[&MD]),                                // 0 forced only
        s(&[&MD, &["GDP_LV"]]),                   // 1 {output}: GDP
        s(&[&MD, &["GDP_QQGR"]]),                 // 2
        s(&[&MD, &["UNRATE_LV"]]),                // 3 {output}: UNRATE
        s(&[&MD, &["UNRATE_LV_L1"]]),             // 4
        s(&[&MD, &["CPI_LV"]]),                   // 5 {prices}
        s(&[&MD, &["CPI_QQGR"]]),                 // 6
        s(&[&MD, &["HPI_LV"]]),                   // 7 {one_of}: HPI
        s(&[q, &MD]),                             // 8 {one_of}: dummies(Q)
        s(&[&MD, &["CPI_LV", "GDP_LV"]]),         // 9 {output, prices}: GDP, CPI
        s(&[&MD, &["CPI_QQGR", "GDP_LV"]]),       // 10
        s(&[&MD, &["CPI_LV", "GDP_QQGR"]]),       // 11
        s(&[&MD, &["CPI_QQGR", "GDP_QQGR"]]),     // 12
        s(&[&MD, &["CPI_LV", "UNRATE_LV"]]),      // 13 UNRATE, CPI
        s(&[&MD, &["CPI_QQGR", "UNRATE_LV"]]),    // 14
        s(&[&MD, &["CPI_LV", "UNRATE_LV_L1"]]),   // 15
        s(&[&MD, &["CPI_QQGR", "UNRATE_LV_L1"]]), // 16
        s(&[&MD, &["GDP_LV", "HPI_LV"]]),         // 17 {output, one_of}: GDP, HPI
        s(&[&MD, &["GDP_QQGR", "HPI_LV"]]),       // 18
        s(&[q, &MD, &["GDP_LV"]]),                // 19 GDP, dummies(Q)
        s(&[q, &MD, &["GDP_QQGR"]]),              // 20
        s(&[&MD, &["HPI_LV", "UNRATE_LV"]]),      // 21 UNRATE, HPI
        s(&[&MD, &["HPI_LV", "UNRATE_LV_L1"]]),   // 22
        s(&[q, &MD, &["UNRATE_LV"]]),             // 23 UNRATE, dummies(Q)
        s(&[q, &MD, &["UNRATE_LV_L1"]]),          // 24
        s(&[&MD, &["CPI_LV", "HPI_LV"]]),         // 25 {prices, one_of}: CPI, HPI
        s(&[&MD, &["CPI_QQGR", "HPI_LV"]]),       // 26
        s(&[q, &MD, &["CPI_LV"]]),                // 27 CPI, dummies(Q)
        s(&[q, &MD, &["CPI_QQGR"]]),              // 28
    ];
    let expected: Vec<&[&str]> = expected.iter().map(Vec::as_slice).collect();
    assert_listing(&space, &expected);
    assert_eq!(space.combo_count(), 14);
    assert_eq!(space.level_starts(), &[0, 1, 9, 29]);
}

/// No forced items, category_limit 2, an uncategorised variable between two members of a
/// category, and a together group containing an other-dummy; max_vars 2.
fn space_two(max_vars: usize) -> SpecSpace {
    let columns = vec![
        feature("A_LV"),                                     // 0
        feature("B_LV"),                                     // 1
        feature("B_LV_L1"),                                  // 2
        feature("C_LV"),                                     // 3
        feature("D_LV"),                                     // 4
        feature("X_LV"),                                     // 5
        feature("X_LV_L1"),                                  // 6
        ColumnInfo::new("covid:1", ColumnClass::OtherDummy), // 7
    ];
    let group = Element::together(
        "together(X, covid)",
        &[
            Element::variable("X", &[5, 6]),
            Element::dummy_set("covid", &[7]),
        ],
    );
    SpecSpace::new(SpaceInput {
        forced: vec![],
        pool: vec![
            var(Element::variable("A", &[0]), Some("c")),
            var(Element::variable("B", &[1, 2]), None),
            var(Element::variable("C", &[3]), Some("c")),
            var(Element::variable("D", &[4]), Some("c")),
            PoolEntry::Single(group),
        ],
        max_vars,
        category_limit: 2,
        columns,
        key_context: String::new(),
    })
    .unwrap()
}

#[test]
fn hand_checked_category_limit_two_and_group() {
    let space = space_two(2);
    let kinds: Vec<&PoolKind> = space.pools().iter().map(|p| p.kind()).collect();
    assert_eq!(
        kinds,
        [
            &PoolKind::Category {
                category: "c".into()
            },
            &PoolKind::Variable,
            &PoolKind::Single
        ]
    );
    let expected: &[&[&str]] = &[
        &["A_LV"],                          // 0 {c}: A
        &["C_LV"],                          // 1 C
        &["D_LV"],                          // 2 D
        &["A_LV", "C_LV"],                  // 3 A+C
        &["A_LV", "D_LV"],                  // 4 A+D
        &["C_LV", "D_LV"],                  // 5 C+D
        &["B_LV"],                          // 6 {B}
        &["B_LV_L1"],                       // 7
        &["covid:1", "X_LV"],               // 8 {group}
        &["covid:1", "X_LV_L1"],            // 9
        &["A_LV", "B_LV"],                  // 10 {c, B}: only 1-options of c fit
        &["A_LV", "B_LV_L1"],               // 11
        &["B_LV", "C_LV"],                  // 12
        &["B_LV_L1", "C_LV"],               // 13
        &["B_LV", "D_LV"],                  // 14
        &["B_LV_L1", "D_LV"],               // 15
        &["covid:1", "A_LV", "X_LV"],       // 16 {c, group}
        &["covid:1", "A_LV", "X_LV_L1"],    // 17
        &["covid:1", "C_LV", "X_LV"],       // 18
        &["covid:1", "C_LV", "X_LV_L1"],    // 19
        &["covid:1", "D_LV", "X_LV"],       // 20
        &["covid:1", "D_LV", "X_LV_L1"],    // 21
        &["covid:1", "B_LV", "X_LV"],       // 22 {B, group}
        &["covid:1", "B_LV", "X_LV_L1"],    // 23
        &["covid:1", "B_LV_L1", "X_LV"],    // 24
        &["covid:1", "B_LV_L1", "X_LV_L1"], // 25
    ];
    assert_listing(&space, expected);
    assert_eq!(space.combo_count(), 15);
}

/// A 2-option that fits alone or with one more pool but not with two more: the over-budget tuple
/// is skipped inside the mixed-radix order.
#[test]
fn hand_checked_budget_skips_inside_option_product() {
    let columns = ["a", "b", "c", "e"].map(feature).to_vec();
    let space = SpecSpace::new(SpaceInput {
        forced: vec![],
        pool: vec![
            var(Element::variable("A", &[0]), Some("k")),
            var(Element::variable("B", &[1]), None),
            var(Element::variable("C", &[2]), Some("k")),
            var(Element::variable("E", &[3]), None),
        ],
        max_vars: 3,
        category_limit: 2,
        columns,
        key_context: String::new(),
    })
    .unwrap();
    let expected: &[&[&str]] = &[
        &["a"],           // 0 {k}
        &["c"],           // 1
        &["a", "c"],      // 2
        &["b"],           // 3 {B}
        &["e"],           // 4 {E}
        &["a", "b"],      // 5 {k, B}
        &["b", "c"],      // 6
        &["a", "b", "c"], // 7 A+C with B: 3 elements
        &["a", "e"],      // 8 {k, E}
        &["c", "e"],      // 9
        &["a", "c", "e"], // 10
        &["b", "e"],      // 11 {B, E}
        &["a", "b", "e"], // 12 {k, B, E}: A+C would make 4 > max_vars
        &["b", "c", "e"], // 13
    ];
    assert_listing(&space, expected);
}

#[test]
fn common_prefix_is_the_forced_columns_no_spec_puts_anything_before() {
    // space_one forces dummies(M), but its one_of can add dummies(Q), which sort first
    // (specs 8, 19, …): no column begins every spec.
    let space = space_one();
    assert!(space.common_prefix().is_empty());
    let columns: Vec<ColumnInfo> = (0..12).map(|c| space.column(c).clone()).collect();
    let input = SpaceInput {
        forced: vec![
            Element::dummy_set("dummies(M)", &[0, 1]),
            Element::variable("HPI", &[8]),
        ],
        pool: vec![
            var(Element::variable("GDP", &[3, 2]), Some("output")),
            var(Element::variable("CPI", &[6, 7]), None),
        ],
        max_vars: 4,
        category_limit: 1,
        columns,
        key_context: String::new(),
    };
    // Without Q dummies the month dummies begin every spec; HPI is in every spec too but
    // sorts after CPI_LV and GDP_LV, so it stays in each spec's own list.
    let forced_months = SpecSpace::new(input.clone()).unwrap();
    assert_eq!(
        names_of(&forced_months, &forced_months.common_prefix()),
        ["M:2", "M:10"]
    );
    let mut out = Vec::new();
    for i in 0..forced_months.count() {
        forced_months.spec_at(i, &mut out).unwrap();
        assert!(names_of(&forced_months, &out).contains(&"HPI_LV".to_string()));
    }
    // A forced variable with two variants is not common to every spec.
    let two_variants = SpecSpace::new(SpaceInput {
        forced: vec![Element::variable("GDP", &[3, 2])],
        pool: vec![],
        ..input
    })
    .unwrap();
    assert!(two_variants.common_prefix().is_empty());
}

#[test]
fn forced_only_space_and_budget_equal_to_forced() {
    let space = space_one();
    let input = SpaceInput {
        forced: vec![Element::variable("GDP", &[3, 2])],
        pool: vec![var(Element::variable("CPI", &[6, 7]), None)],
        max_vars: 1,
        category_limit: 1,
        columns: (0..12).map(|c| space.column(c).clone()).collect(),
        key_context: String::new(),
    };
    let only = SpecSpace::new(input.clone()).unwrap();
    assert_eq!(listing(&only), [vec!["GDP_LV"], vec!["GDP_QQGR"]]);
    let empty_pool = SpecSpace::new(SpaceInput {
        pool: vec![],
        max_vars: 4,
        ..input
    })
    .unwrap();
    assert_eq!(empty_pool.count(), 2);
    assert_eq!(empty_pool.combo_count(), 1);
}

#[test]
fn space_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SpecSpace>();
    assert_send_sync::<specsearch_core::spec::SpecIter<'static>>();
}

#[test]
fn elements_of_reports_picks() {
    let space = space_one();
    // Spec 24 = forced dummies(M) + UNRATE (variant 1) + dummies(Q).
    let picks = space.elements_of(24).unwrap();
    let named: Vec<(&str, usize, Option<usize>)> = picks
        .iter()
        .map(|p| (space.element(p.element).name.as_str(), p.variant, p.pool))
        .collect();
    assert_eq!(
        named,
        [
            ("dummies(M)", 0, None),
            ("UNRATE", 1, Some(0)),
            ("dummies(Q)", 0, Some(2))
        ]
    );
}

#[test]
fn month_dummies_sort_by_level_number() {
    let columns: Vec<ColumnInfo> = (2..=12)
        .rev()
        .map(|m| ColumnInfo::new(format!("M:{m}"), ColumnClass::MonthDummy))
        .chain([feature("GDP_LV")])
        .collect();
    let space = SpecSpace::new(SpaceInput {
        forced: vec![Element::dummy_set(
            "dummies(M)",
            &(0..11).collect::<Vec<_>>(),
        )],
        pool: vec![var(Element::variable("GDP", &[11]), None)],
        max_vars: 2,
        category_limit: 1,
        columns,
        key_context: String::new(),
    })
    .unwrap();
    let mut out = Vec::new();
    space.spec_at(1, &mut out).unwrap();
    let want: Vec<String> = (2..=12)
        .map(|m| format!("M:{m}"))
        .chain(["GDP_LV".to_string()])
        .collect();
    assert_eq!(names_of(&space, &out), want);
}

#[test]
fn keys_are_sha256_of_canonical_text_and_order_free() {
    let space = space_one();
    let mut out = Vec::new();
    space.spec_at(19, &mut out).unwrap();
    let text = space.canonical_text(&out);
    assert_eq!(
        text,
        "specsearch spec key v1\ncontext 56\ntarget=GR(home_price_index,1) lead 1\nin=2005-01..2019-12\n\
         columns 6\n3 Q:2\n3 Q:3\n3 Q:4\n3 M:2\n4 M:10\n6 GDP_LV\n"
    );
    let direct: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    assert_eq!(space.key(&out), direct);
    let mut shuffled = out.clone();
    shuffled.reverse();
    shuffled.push(shuffled[0]);
    assert_eq!(space.key(&shuffled), direct);
    assert_eq!(space.key_hex(&out), hex::encode(direct));
    let mut other = Vec::new();
    space.spec_at(20, &mut other).unwrap();
    assert_ne!(space.key(&other), direct);
}

// ---------------------------------------------------------------------------------------------
// errors

fn small_input() -> SpaceInput {
    SpaceInput {
        forced: vec![],
        pool: vec![var(Element::variable("A", &[0]), None)],
        max_vars: 2,
        category_limit: 1,
        columns: vec![feature("A_LV")],
        key_context: String::new(),
    }
}

#[test]
fn configuration_errors_name_the_key_to_fix() {
    let err = |input: SpaceInput| SpecSpace::new(input).unwrap_err();
    let e = err(SpaceInput {
        pool: vec![],
        ..small_input()
    });
    assert_eq!(e, SpecError::EmptySearch);
    assert!(e.to_string().contains("search.pool is empty"));

    let forced = vec![Element::variable("A", &[0]); 3];
    let e = err(SpaceInput {
        forced,
        ..small_input()
    });
    assert_eq!(
        e.to_string(),
        "search.max_vars = 2 but search.forced has 3 items"
    );

    let e = err(SpaceInput {
        category_limit: 0,
        ..small_input()
    });
    assert!(e.to_string().contains("search.category_limit"));

    let e = err(SpaceInput {
        max_vars: 0,
        ..small_input()
    });
    assert!(e.to_string().contains("search.max_vars = 0"));

    let mut input = small_input();
    input.pool.push(PoolEntry::OneOf(vec![]));
    assert_eq!(err(input), SpecError::EmptyOneOf { index: 1 });

    let mut input = small_input();
    input.forced.push(Element::new("HPI", vec![]));
    let e = err(input);
    assert_eq!(
        e.to_string(),
        "search.forced item `HPI` has no surviving variant"
    );

    let mut input = small_input();
    input
        .pool
        .push(PoolEntry::Single(Element::new("G", vec![vec![]])));
    assert!(matches!(err(input), SpecError::EmptyVariant { .. }));

    let mut input = small_input();
    input
        .pool
        .push(PoolEntry::Single(Element::variable("G", &[7])));
    assert!(err(input).to_string().contains("column id 7"));

    let space = SpecSpace::new(small_input()).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        space.spec_at(1, &mut out),
        Err(SpecError::IndexOutOfRange { index: 1, count: 1 })
    );
}

#[test]
fn spaces_beyond_u64_are_rejected() {
    // 300 variables × 20 variants, up to 10 per spec: C(300,10)·20^10 ≫ 2^64.
    let columns: Vec<ColumnInfo> = (0..6000).map(|c| feature(&format!("c{c}"))).collect();
    let pool: Vec<PoolEntry> = (0..300)
        .map(|v| {
            let cols: Vec<u32> = (v * 20..v * 20 + 20).collect();
            var(Element::variable(format!("V{v}"), &cols), None)
        })
        .collect();
    let input = SpaceInput {
        forced: vec![],
        pool,
        max_vars: 10,
        category_limit: 1,
        columns,
        key_context: String::new(),
    };
    let e = SpecSpace::new(input.clone()).unwrap_err();
    assert_eq!(e, SpecError::TooLarge);
    assert!(e.to_string().contains("more than 2^64"));
    // One category of 300 with a limit of 100: budget beyond 64.
    let pool = input
        .pool
        .iter()
        .map(|p| match p {
            PoolEntry::Variable { element, .. } => var(element.clone(), Some("all")),
            _ => unreachable!(),
        })
        .collect();
    let e = SpecSpace::new(SpaceInput {
        pool,
        max_vars: 100,
        category_limit: 100,
        ..input.clone()
    })
    .unwrap_err();
    assert_eq!(e, SpecError::TooLarge);
    // The same pool with max_vars 3 fits: C(300,1)·20 + C(300,2)·20² + C(300,3)·20³.
    let ok = SpecSpace::new(SpaceInput {
        max_vars: 3,
        ..input
    })
    .unwrap();
    assert_eq!(ok.count(), 300 * 20 + 44_850 * 400 + 4_455_100 * 8_000);
}

// ---------------------------------------------------------------------------------------------
// the realistic space of the benchmark

fn realistic() -> SpecSpace {
    let mut columns: Vec<ColumnInfo> = (2..=12)
        .map(|m| ColumnInfo::new(format!("M:{m}"), ColumnClass::MonthDummy))
        .collect();
    let mut pool = Vec::new();
    for v in 0..40u32 {
        let first = columns.len() as u32;
        for k in 0..20 {
            columns.push(feature(&format!("V{v:02}_T{k:02}")));
        }
        let cols: Vec<u32> = (first..first + 20).collect();
        pool.push(var(
            Element::variable(format!("V{v:02}"), &cols),
            Some(&format!("cat{}", v % 8)),
        ));
    }
    SpecSpace::new(SpaceInput {
        forced: vec![Element::dummy_set(
            "dummies(M)",
            &(0..11).collect::<Vec<_>>(),
        )],
        pool,
        max_vars: 5,
        category_limit: 1,
        columns,
        key_context: "ctx".into(),
    })
    .unwrap()
}

#[test]
fn realistic_space_count_and_random_access() {
    let space = realistic();
    // 1 + Σ_{r=1..4} C(8,r)·(5·20)^r
    let want: u64 = 1 + 8 * 100 + 28 * 10_000 + 56 * 1_000_000 + 70 * 100_000_000;
    assert_eq!(space.count(), want);
    assert_eq!(
        space.combo_count(),
        1 + 8 * 5 + 28 * 25 + 56 * 125 + 70 * 625
    );
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut starts: Vec<u64> = space.level_starts().to_vec();
    starts.extend([12_345, 3_000_000_017, want - 500]);
    for start in starts.into_iter().filter(|&s| s < want) {
        let mut it = space.iter_from(start);
        for _ in 0..500 {
            let Some(i) = it.next_into(&mut a) else { break };
            space.spec_at(i, &mut b).unwrap();
            assert_eq!(a, b, "index {i}");
            assert_eq!(a.len(), 11 + space.elements_of(i).unwrap().len() - 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// property tests against a literal brute-force enumeration

#[derive(Debug, Clone)]
enum ElemR {
    Var { id: u8, nvar: u8 },
    Dummy { id: u8, class: u8, levels: Vec<u8> },
    Group { id: u8, na: u8, nb: u8 },
}

#[derive(Debug, Clone)]
enum EntryR {
    Var { id: u8, nvar: u8, cat: Option<u8> },
    OneOf(Vec<ElemR>),
    Single(ElemR),
}

#[derive(Debug, Clone)]
struct Recipe {
    forced: Vec<ElemR>,
    entries: Vec<EntryR>,
    extra_vars: usize,
    limit: usize,
}

fn elem_r() -> impl Strategy<Value = ElemR> {
    prop_oneof![
        3 => (0u8..6, 1u8..=3).prop_map(|(id, nvar)| ElemR::Var { id, nvar }),
        1 => (0u8..3, 0u8..3, prop::collection::vec(1u8..=12, 1..=3))
            .prop_map(|(id, class, levels)| ElemR::Dummy { id, class, levels }),
        1 => (0u8..2, 1u8..=2, 1u8..=2).prop_map(|(id, na, nb)| ElemR::Group { id, na, nb }),
    ]
}

fn recipe() -> impl Strategy<Value = Recipe> {
    let entry = prop_oneof![
        4 => (0u8..6, 1u8..=3, prop::option::of(0u8..3))
            .prop_map(|(id, nvar, cat)| EntryR::Var { id, nvar, cat }),
        1 => prop::collection::vec(elem_r(), 1..=3).prop_map(EntryR::OneOf),
        1 => elem_r().prop_map(EntryR::Single),
    ];
    (
        prop::collection::vec(elem_r(), 0..=2),
        prop::collection::vec(entry, 0..=6),
        0usize..=3,
        1usize..=3,
    )
        .prop_map(|(forced, entries, extra_vars, limit)| Recipe {
            forced,
            entries,
            extra_vars,
            limit,
        })
}

/// Materialises recipes: one element per name (first definition wins), fresh columns with unique
/// names chosen so that name order differs from element and variant order.
#[derive(Default)]
struct Builder {
    columns: Vec<ColumnInfo>,
    elements: HashMap<String, Element>,
}

impl Builder {
    fn col(&mut self, name: String, class: ColumnClass) -> u32 {
        self.columns.push(ColumnInfo::new(name, class));
        self.columns.len() as u32 - 1
    }

    fn elem(&mut self, r: &ElemR) -> Element {
        const LETTER: [char; 6] = ['q', 'b', 'x', 'a', 'm', 'c'];
        const SUFFIX: [&str; 3] = ["L2", "A", "L10"];
        let name = match r {
            ElemR::Var { id, .. } => format!("v{id}"),
            ElemR::Dummy { id, .. } => format!("dum{id}"),
            ElemR::Group { id, .. } => format!("grp{id}"),
        };
        if let Some(e) = self.elements.get(&name) {
            return e.clone();
        }
        let e = match r {
            ElemR::Var { id, nvar } => {
                let cols: Vec<u32> = (0..*nvar as usize)
                    .map(|k| {
                        let n = format!("{}{id}_{}", LETTER[*id as usize], SUFFIX[k]);
                        self.col(n, ColumnClass::Feature)
                    })
                    .collect();
                Element::variable(name.clone(), &cols)
            }
            ElemR::Dummy { id, class, levels } => {
                let class = [
                    ColumnClass::QuarterDummy,
                    ColumnClass::MonthDummy,
                    ColumnClass::OtherDummy,
                ][*class as usize];
                let mut seen = HashSet::new();
                let cols: Vec<u32> = levels
                    .iter()
                    .filter(|l| seen.insert(**l))
                    .map(|l| self.col(format!("D{id}:{l}"), class))
                    .collect();
                Element::dummy_set(name.clone(), &cols)
            }
            ElemR::Group { id, na, nb } => {
                let a: Vec<u32> = (0..*na)
                    .map(|k| self.col(format!("g{id}a_{k}"), ColumnClass::Feature))
                    .collect();
                let b: Vec<u32> = (0..*nb)
                    .map(|k| self.col(format!("G{id}b_{k}"), ColumnClass::Feature))
                    .collect();
                Element::together(
                    name.clone(),
                    &[Element::variable("a", &a), Element::variable("b", &b)],
                )
            }
        };
        self.elements.insert(name, e.clone());
        e
    }

    fn input(recipe: &Recipe) -> SpaceInput {
        let mut b = Builder::default();
        let forced: Vec<Element> = recipe.forced.iter().map(|r| b.elem(r)).collect();
        let pool = recipe
            .entries
            .iter()
            .map(|e| match e {
                EntryR::Var { id, nvar, cat } => var(
                    b.elem(&ElemR::Var {
                        id: *id,
                        nvar: *nvar,
                    }),
                    cat.map(|c| format!("cat{c}")).as_deref(),
                ),
                EntryR::OneOf(m) => PoolEntry::OneOf(
                    m.iter()
                        .map(|r| b.elem(r).with_category(member_category(r)))
                        .collect(),
                ),
                EntryR::Single(r) => PoolEntry::Single(b.elem(r)),
            })
            .collect();
        SpaceInput {
            max_vars: forced.len() + recipe.extra_vars,
            forced,
            pool,
            category_limit: recipe.limit,
            columns: b.columns,
            key_context: "y|2000..2010".into(),
        }
    }
}

/// The category a `one_of` member counts toward (rule L): a few variables have one, so sets
/// mix categorised and uncategorised members.
fn member_category(r: &ElemR) -> Option<String> {
    match r {
        ElemR::Var { id, .. } if *id < 4 => Some(format!("cat{}", id % 3)),
        _ => None,
    }
}

/// Rule S, written independently of the library.
fn rule_s(a: &ColumnInfo, b: &ColumnInfo) -> Ordering {
    let class = |c: &ColumnInfo| c.class as u8;
    let dummy = |n: &str| -> (String, u8, u128, String) {
        match n.rsplit_once(':') {
            None => (n.into(), 0, 0, String::new()),
            Some((p, l)) if !l.is_empty() && l.bytes().all(|x| x.is_ascii_digit()) => {
                (p.into(), 1, l.parse().unwrap(), String::new())
            }
            Some((p, l)) => (p.into(), 2, 0, l.into()),
        }
    };
    class(a)
        .cmp(&class(b))
        .then_with(|| match a.class {
            ColumnClass::Feature => a.name.cmp(&b.name),
            _ => dummy(&a.name).cmp(&dummy(&b.name)),
        })
        .then_with(|| a.name.cmp(&b.name))
}

/// One expected spec: sorted column ids and (element name, variant, pool) picks.
type RefSpec = (Vec<u32>, Vec<(String, usize, Option<usize>)>);

fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    (0..n)
        .flat_map(|first| {
            combinations(n - first - 1, k - 1)
                .into_iter()
                .map(move |rest| {
                    std::iter::once(first)
                        .chain(rest.into_iter().map(|x| x + first + 1))
                        .collect::<Vec<_>>()
                })
        })
        .collect()
}

/// Literal rules P and C: returns (pools as member lists with their limit, specs, combo count).
/// A pool of the brute force: its members, the category each counts toward (rule L) and the
/// largest option size.
type RefPool = (Vec<Element>, Vec<Option<String>>, usize);

fn brute_force(input: &SpaceInput) -> (Vec<RefPool>, Vec<RefSpec>, usize) {
    // Rule P1.
    let mut seen = HashSet::new();
    let mut sets = HashSet::new();
    let mut var_pools: Vec<(Option<String>, Vec<Element>)> = Vec::new();
    let (mut one_of, mut single) = (Vec::new(), Vec::new());
    for entry in &input.pool {
        match entry {
            PoolEntry::Variable { element, category } => {
                if !seen.insert(element.name.clone()) {
                    continue;
                }
                match var_pools
                    .iter_mut()
                    .find(|(c, _)| c.is_some() && c == category)
                {
                    Some((_, members)) => members.push(element.clone()),
                    None => var_pools.push((category.clone(), vec![element.clone()])),
                }
            }
            PoolEntry::OneOf(members) => {
                let mut names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
                names.sort();
                names.dedup();
                if sets.insert(names) {
                    let mut inner = HashSet::new();
                    one_of.push(
                        members
                            .iter()
                            .filter(|m| inner.insert(m.name.clone()))
                            .cloned()
                            .collect::<Vec<Element>>(),
                    );
                }
            }
            PoolEntry::Single(e) => {
                if seen.insert(e.name.clone()) {
                    single.push(vec![e.clone()]);
                }
            }
        }
    }
    // Rule P2: forced columns, then each one_of member's in order, are taken; everything after
    // keeps only variants that share no taken column.
    let mut forced_seen = HashSet::new();
    let forced_kept: Vec<Element> = input
        .forced
        .iter()
        .filter(|e| forced_seen.insert(e.name.clone()))
        .cloned()
        .collect();
    let mut taken: HashSet<u32> = forced_kept
        .iter()
        .flat_map(|e| e.variants.iter().flatten().copied())
        .collect();
    let keep_free = |e: &Element, taken: &HashSet<u32>| -> Option<Element> {
        let mut e = e.clone();
        e.variants.retain(|v| v.iter().all(|c| !taken.contains(c)));
        (!e.variants.is_empty()).then_some(e)
    };
    let mut one_of_kept: Vec<Vec<Element>> = Vec::new();
    for set in &one_of {
        let mut kept = Vec::new();
        for m in set {
            if let Some(m) = keep_free(m, &taken) {
                taken.extend(m.variants.iter().flatten().copied());
                kept.push(m);
            }
        }
        one_of_kept.push(kept);
    }
    let mut pools: Vec<RefPool> = Vec::new();
    for (c, m) in var_pools {
        let m: Vec<Element> = m.iter().filter_map(|e| keep_free(e, &taken)).collect();
        let limit = if c.is_some() { input.category_limit } else { 1 };
        pools.push((m.clone(), vec![c; m.len()], limit));
    }
    for m in one_of_kept {
        let cats = m.iter().map(|e| e.category.clone()).collect();
        pools.push((m, cats, 1));
    }
    for m in single {
        let m: Vec<Element> = m.iter().filter_map(|e| keep_free(e, &taken)).collect();
        let cats = m.iter().map(|e| e.category.clone()).collect();
        pools.push((m, cats, 1));
    }
    pools.retain(|(m, _, _)| !m.is_empty());

    // Options: sizes ascending, each lexicographic.
    let options: Vec<Vec<Vec<usize>>> = pools
        .iter()
        .map(|(m, _, lim)| {
            (1..=(*lim).min(m.len()))
                .flat_map(|s| combinations(m.len(), s))
                .collect()
        })
        .collect();

    // Rule C.
    let mut specs = Vec::new();
    let mut combos = 0;
    let expand = |elems: &[(Element, Option<usize>)], specs: &mut Vec<RefSpec>| {
        let mut counters = vec![0usize; elems.len()];
        loop {
            let mut cols: Vec<u32> = elems
                .iter()
                .zip(&counters)
                .flat_map(|((e, _), &v)| e.variants[v].clone())
                .collect();
            cols.sort_by(|&x, &y| {
                rule_s(&input.columns[x as usize], &input.columns[y as usize]).then(x.cmp(&y))
            });
            cols.dedup();
            let picks = elems
                .iter()
                .zip(&counters)
                .map(|((e, p), &v)| (e.name.clone(), v, *p))
                .collect();
            specs.push((cols, picks));
            // first element slowest: increment from the end
            let mut k = elems.len();
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                counters[k] += 1;
                if counters[k] < elems[k].0.variants.len() {
                    break;
                }
                counters[k] = 0;
            }
        }
    };
    let forced: Vec<(Element, Option<usize>)> =
        forced_kept.iter().map(|e| (e.clone(), None)).collect();
    if !forced.is_empty() {
        combos += 1;
        expand(&forced, &mut specs);
    }
    for r in 1..=pools.len() {
        for subset in combinations(pools.len(), r) {
            // Cartesian product of options, first pool slowest.
            let mut tuples: Vec<Vec<usize>> = vec![vec![]];
            for &p in &subset {
                tuples = tuples
                    .into_iter()
                    .flat_map(|t| {
                        (0..options[p].len()).map(move |o| {
                            let mut t = t.clone();
                            t.push(o);
                            t
                        })
                    })
                    .collect();
            }
            for t in tuples {
                let chosen: usize = subset
                    .iter()
                    .zip(&t)
                    .map(|(&p, &o)| options[p][o].len())
                    .sum();
                if forced.len() + chosen > input.max_vars {
                    continue;
                }
                // Rule L: category_limit over every member the combo takes from the pools.
                let mut per_category: HashMap<&str, usize> = HashMap::new();
                for (&p, &o) in subset.iter().zip(&t) {
                    for &m in &options[p][o] {
                        if let Some(c) = &pools[p].1[m] {
                            *per_category.entry(c.as_str()).or_default() += 1;
                        }
                    }
                }
                if per_category.values().any(|&k| k > input.category_limit) {
                    continue;
                }
                combos += 1;
                let mut elems = forced.clone();
                for (&p, &o) in subset.iter().zip(&t) {
                    for &m in &options[p][o] {
                        elems.push((pools[p].0[m].clone(), Some(p)));
                    }
                }
                expand(&elems, &mut specs);
            }
        }
    }
    (pools, specs, combos)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn matches_brute_force(recipe in recipe(), picks in prop::collection::vec(any::<u64>(), 4)) {
        check_against_brute_force(&recipe, &picks)?;
    }

    /// Rule L across pools: low limits, room for several items, `one_of` sets of categorised
    /// variables beside their categories' pools.
    #[test]
    fn matches_brute_force_with_categories_across_pools(
        recipe in shared_categories(),
        picks in prop::collection::vec(any::<u64>(), 4),
    ) {
        check_against_brute_force(&recipe, &picks)?;
    }
}

fn shared_categories() -> impl Strategy<Value = Recipe> {
    let entry = prop_oneof![
        3 => (0u8..6, 1u8..=3, prop::option::of(0u8..3))
            .prop_map(|(id, nvar, cat)| EntryR::Var { id, nvar, cat }),
        2 => prop::collection::vec(
            (0u8..4, 1u8..=2).prop_map(|(id, nvar)| ElemR::Var { id, nvar }),
            1..=3,
        )
        .prop_map(EntryR::OneOf),
    ];
    (
        prop::collection::vec(elem_r(), 0..=1),
        prop::collection::vec(entry, 2..=7),
        2usize..=4,
        1usize..=2,
    )
        .prop_map(|(forced, entries, extra_vars, limit)| Recipe {
            forced,
            entries,
            extra_vars,
            limit,
        })
}

fn check_against_brute_force(recipe: &Recipe, picks: &[u64]) -> Result<(), TestCaseError> {
    let input = Builder::input(recipe);
    let built = SpecSpace::new(input.clone());
    if input.forced.is_empty() && input.max_vars == 0 {
        prop_assert_eq!(built.unwrap_err(), SpecError::MaxVarsZero);
        return Ok(());
    }
    if input.forced.is_empty() && input.pool.is_empty() {
        prop_assert_eq!(built.unwrap_err(), SpecError::EmptySearch);
        return Ok(());
    }
    let space = built.unwrap();
    let (pools, want, combos) = brute_force(&input);

    // pools and counts
    prop_assert_eq!(space.pools().len(), pools.len());
    prop_assert_eq!(space.count(), want.len() as u64);
    prop_assert_eq!(space.combo_count(), combos as u64);

    // the iterator lists exactly the brute-force order
    let mut it = space.iter_from(0);
    let mut out = Vec::new();
    let mut n = 0u64;
    while let Some(i) = it.next_into(&mut out) {
        prop_assert_eq!(i, n);
        prop_assert_eq!(&out, &want[i as usize].0, "iter at {}", i);
        n += 1;
    }
    prop_assert_eq!(n, space.count());

    // the combos (the plan a journal records) rebuild every spec: first index, then the
    // mixed-radix digits of the offset pick each element's variant, the union in rule-S
    // order
    let mut next_first = 0u64;
    let mut n_combos = 0u64;
    for combo in space.combos() {
        prop_assert_eq!(combo.first, next_first);
        let specs: u64 = combo.radices.iter().map(|&r| r as u64).product();
        for offset in 0..specs {
            let mut rest = offset;
            let mut digits = vec![0usize; combo.radices.len()];
            for k in (0..combo.radices.len()).rev() {
                digits[k] = (rest % combo.radices[k] as u64) as usize;
                rest /= combo.radices[k] as u64;
            }
            let mut cols: Vec<u32> = combo
                .elements
                .iter()
                .zip(&digits)
                .flat_map(|(&e, &d)| space.element(e).variants[d].iter().copied())
                .collect();
            cols.sort_by_key(|&c| space.column_rank(c));
            cols.dedup();
            prop_assert_eq!(&cols, &want[(combo.first + offset) as usize].0);
        }
        for (k, &e) in combo.elements.iter().enumerate() {
            prop_assert_eq!(combo.radices[k], space.variant_count(e));
        }
        next_first += specs;
        n_combos += 1;
    }
    prop_assert_eq!(next_first, space.count());
    prop_assert_eq!(n_combos, space.combo_count());

    // unranking at every index, with the picks
    for (i, (cols, wpicks)) in want.iter().enumerate() {
        space.spec_at(i as u64, &mut out).unwrap();
        prop_assert_eq!(&out, cols, "spec_at({})", i);
        let got: Vec<(String, usize, Option<usize>)> = space
            .elements_of(i as u64)
            .unwrap()
            .into_iter()
            .map(|p| (space.element(p.element).name.clone(), p.variant, p.pool))
            .collect();
        prop_assert_eq!(&got, wpicks, "elements_of({})", i);
    }

    // iter_from(k) / iter_range = suffix / slice
    let count = space.count();
    for &p in picks {
        let k = p % (count + 1);
        let end = k + (p >> 32) % (count + 1 - k);
        let suffix: Vec<Vec<u32>> = space.iter_from(k).map(|(_, c)| c).collect();
        let want_suffix: Vec<Vec<u32>> = want[k as usize..].iter().map(|w| w.0.clone()).collect();
        prop_assert_eq!(suffix, want_suffix);
        let slice: Vec<u64> = space.iter_range(k, end).map(|(i, _)| i).collect();
        prop_assert_eq!(slice, (k..end).collect::<Vec<_>>());
    }

    // per-spec invariants, from elements_of
    let one_of_pools: Vec<usize> = space
        .pools()
        .iter()
        .enumerate()
        .filter(|(_, p)| *p.kind() == PoolKind::OneOf)
        .map(|(i, _)| i)
        .collect();
    let prefix = space.common_prefix();
    // With forced items of one variant each and room for a pool pick, every other column
    // appears in some spec but not in the forced-only one: the prefix is then exactly the
    // longest prefix all specs share.
    let n_forced = space.forced_count();
    let single_forced = input.forced.iter().all(|e| e.variants.len() == 1);
    if !input.forced.is_empty() && single_forced && input.max_vars > n_forced {
        let mut longest: Vec<u32> = want[0].0.clone();
        for (cols, _) in &want {
            let n = longest.iter().zip(cols).take_while(|(a, b)| a == b).count();
            longest.truncate(n);
        }
        prop_assert_eq!(&prefix, &longest);
    }
    for i in 0..count {
        let picks = space.elements_of(i).unwrap();
        prop_assert!(picks.len() <= input.max_vars);
        let forced: Vec<usize> = picks
            .iter()
            .take_while(|p| p.pool.is_none())
            .map(|p| p.element)
            .collect();
        prop_assert_eq!(forced, (0..n_forced).collect::<Vec<_>>());
        let mut per_pool: HashMap<usize, usize> = HashMap::new();
        for p in picks.iter().filter_map(|p| p.pool) {
            *per_pool.entry(p).or_default() += 1;
        }
        for (p, k) in per_pool {
            prop_assert!(k <= space.pools()[p].limit());
            if one_of_pools.contains(&p) {
                prop_assert_eq!(k, 1);
            }
        }
        if i == 0 && !input.forced.is_empty() {
            prop_assert_eq!(picks.len(), n_forced, "forced-only first");
        }
        // sorted by rule S, no repeats
        space.spec_at(i, &mut out).unwrap();
        prop_assert!(
            out.starts_with(&prefix),
            "spec {} does not begin with {:?}",
            i,
            prefix
        );
        for w in out.windows(2) {
            prop_assert_eq!(
                rule_s(&input.columns[w[0] as usize], &input.columns[w[1] as usize]),
                Ordering::Less
            );
        }
    }

    // keys: equal iff the same column set (names are unique here); rules P2 and L leave
    // every element in one place, so all keys are distinct.
    let keys: Vec<[u8; 32]> = want.iter().map(|w| space.key(&w.0)).collect();
    let mut by_key: HashMap<[u8; 32], &Vec<u32>> = HashMap::new();
    for (k, w) in keys.iter().zip(&want) {
        if let Some(prev) = by_key.insert(*k, &w.0) {
            prop_assert_eq!(prev, &w.0);
        }
    }
    let mut places: Vec<&str> = (0..space.forced_count())
        .map(|e| space.element(e).name.as_str())
        .collect();
    places.extend(
        pools
            .iter()
            .flat_map(|(m, _, _)| m.iter().map(|e| e.name.as_str())),
    );
    let distinct: HashSet<&str> = places.iter().copied().collect();
    prop_assert_eq!(distinct.len(), places.len(), "each element in one place");
    prop_assert_eq!(space.repeated_models(), None);
    prop_assert_eq!(
        by_key.len(),
        want.len(),
        "no repeated element, no repeated key"
    );
    Ok(())
}
