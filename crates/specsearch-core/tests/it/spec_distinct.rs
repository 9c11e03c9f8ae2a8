//! No duplicate specs (docs/semantics.md §4, rules P2 and L of `spec/mod.rs`): a variable named
//! in a `one_of` set is chosen only through that set, forced columns only as forced, and
//! `category_limit` holds over every member a spec takes from its pools, so no two spec
//! indices share a spec key. Next to the brute force of `spec_enumeration`, which checks the
//! order these rules give.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use specsearch_core::spec::{
    ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecSpace, TakenOut,
};

fn names(space: &SpecSpace, index: u64) -> Vec<String> {
    let mut out = Vec::new();
    space.spec_at(index, &mut out).unwrap();
    out.iter().map(|&c| space.column(c).name.clone()).collect()
}

fn all_specs(space: &SpecSpace) -> Vec<Vec<String>> {
    (0..space.count()).map(|i| names(space, i)).collect()
}

/// The example: four rates in one category, three of them also in a `one_of` set.
fn rates(category_limit: usize) -> SpecSpace {
    let columns: Vec<ColumnInfo> = [
        "ff_LV",
        "ff_LV_L1",
        "t10y_LV",
        "mort30_LV",
        "prime_LV",
        "prime_LV_L1",
    ]
    .iter()
    .map(|n| ColumnInfo::new(*n, ColumnClass::Feature))
    .collect();
    let ff = Element::variable("ff", &[0, 1]);
    let t10y = Element::variable("t10y", &[2]);
    let mort30 = Element::variable("mort30", &[3]);
    let prime = Element::variable("prime", &[4, 5]);
    let rate = |e: &Element| PoolEntry::Variable {
        element: e.clone(),
        category: Some("rates".into()),
    };
    let member = |e: &Element| e.clone().with_category(Some("rates".into()));
    SpecSpace::new(SpaceInput {
        forced: vec![],
        pool: vec![
            rate(&ff),
            rate(&t10y),
            rate(&mort30),
            rate(&prime),
            PoolEntry::OneOf(vec![member(&ff), member(&t10y), member(&mort30)]),
        ],
        max_vars: 3,
        category_limit,
        columns,
        key_context: "ctx".into(),
    })
    .unwrap()
}

#[test]
fn a_one_of_member_leaves_its_category_pool_and_the_limit_holds_over_the_spec() {
    let space = rates(1);
    let pools: Vec<(&str, usize)> = space
        .pools()
        .iter()
        .map(|p| (p.name(), p.members().len()))
        .collect();
    assert_eq!(pools, [("rates", 1), ("one_of(ff, t10y, mort30)", 3)]);
    let taken: Vec<(&str, usize, &str)> = space
        .taken_out()
        .iter()
        .map(|t: &TakenOut| (t.element.as_str(), t.removed, t.kept_by.as_str()))
        .collect();
    assert_eq!(
        taken,
        [
            ("ff", 2, "one_of(ff, t10y, mort30)"),
            ("t10y", 1, "one_of(ff, t10y, mort30)"),
            ("mort30", 1, "one_of(ff, t10y, mort30)"),
        ]
    );
    assert_eq!(space.tracked_categories(), ["rates"]);
    // One rate per spec: prime from the category, or one member of the set; never two.
    let want: Vec<Vec<&str>> = vec![
        vec!["prime_LV"],
        vec!["prime_LV_L1"],
        vec!["ff_LV"],
        vec!["ff_LV_L1"],
        vec!["t10y_LV"],
        vec!["mort30_LV"],
    ];
    assert_eq!(all_specs(&space), want);
    assert_eq!(space.repeated_models(), None);

    // With room for two rates, prime joins each member of the set, once.
    let space = rates(2);
    let specs = all_specs(&space);
    assert_eq!(specs.len(), 6 + 2 * 4);
    assert_eq!(
        specs[6..8],
        [["ff_LV", "prime_LV"], ["ff_LV_L1", "prime_LV"]]
    );
    let distinct: HashSet<&Vec<String>> = specs.iter().collect();
    assert_eq!(distinct.len(), specs.len());
}

#[test]
fn repeated_models_names_what_still_overlaps() {
    // A together group holding a pool variable: rules P2 and L leave it (a group is its own
    // item), and the space says which specs may repeat.
    let columns: Vec<ColumnInfo> = ["a_LV", "b_LV"]
        .iter()
        .map(|n| ColumnInfo::new(*n, ColumnClass::Feature))
        .collect();
    let a = Element::variable("a", &[0]);
    let b = Element::variable("b", &[1]);
    let space = SpecSpace::new(SpaceInput {
        forced: vec![],
        pool: vec![
            PoolEntry::Variable {
                element: a.clone(),
                category: None,
            },
            PoolEntry::Variable {
                element: b.clone(),
                category: None,
            },
            PoolEntry::Single(Element::together("together(a, b)", &[a, b])),
        ],
        max_vars: 2,
        category_limit: 1,
        columns,
        key_context: String::new(),
    })
    .unwrap();
    let overlap = space.repeated_models().unwrap();
    assert_eq!(
        (overlap.first.as_str(), overlap.second.as_str()),
        ("a", "together(a, b)")
    );
    // Indeed: {a, b} from the two variables, from the group, and from the group with either.
    let specs = all_specs(&space);
    assert_eq!(specs.iter().filter(|s| *s == &["a_LV", "b_LV"]).count(), 4);
}

// ---------------------------------------------------------------------------------------------
// the property: random configs never yield two indices with one spec key

#[derive(Debug, Clone, Copy)]
enum ItemR {
    Var(u8),
    Dummy(u8),
}

#[derive(Debug, Clone)]
struct ConfigR {
    /// Category and variant count of variables 0..8.
    vars: Vec<(Option<u8>, u8)>,
    forced: Vec<ItemR>,
    pool: Vec<ItemR>,
    one_of: Vec<Vec<ItemR>>,
    /// Groups of variables (ids ≥ 5 by default: groups of their own variables).
    together: Vec<Vec<u8>>,
    extra_vars: usize,
    limit: usize,
}

fn item() -> impl Strategy<Value = ItemR> {
    prop_oneof![5 => (0u8..6).prop_map(ItemR::Var), 1 => (0u8..2).prop_map(ItemR::Dummy)]
}

fn config() -> impl Strategy<Value = ConfigR> {
    (
        prop::collection::vec((prop::option::of(0u8..2), 1u8..=3), 8),
        prop::collection::vec(item(), 0..=2),
        prop::collection::vec(item(), 0..=7),
        prop::collection::vec(prop::collection::vec(item(), 1..=3), 0..=2),
        prop::collection::vec(prop::collection::vec(0u8..8, 2..=2), 0..=1),
        1usize..=3,
        1usize..=2,
    )
        .prop_map(
            |(vars, forced, pool, one_of, together, extra_vars, limit)| ConfigR {
                vars,
                forced,
                pool,
                one_of,
                together,
                extra_vars,
                limit,
            },
        )
}

/// The planner's translation of a config: one element per variable (its surviving variants,
/// fresh columns), its category on its pool entry and on its `one_of` memberships.
struct Built {
    input: SpaceInput,
    /// Whether a together group shares a variable with another place (or another group).
    group_overlap: bool,
}

fn build(c: &ConfigR) -> Built {
    let mut columns = Vec::new();
    let mut variables = Vec::new();
    for (v, &(_, nvar)) in c.vars.iter().enumerate() {
        let ids: Vec<u32> = (0..nvar)
            .map(|k| {
                columns.push(ColumnInfo::new(format!("v{v}_L{k}"), ColumnClass::Feature));
                columns.len() as u32 - 1
            })
            .collect();
        variables.push(Element::variable(format!("v{v}"), &ids));
    }
    let dummies: Vec<Element> = (0..2)
        .map(|d| {
            let ids: Vec<u32> = (2..=3)
                .map(|l| {
                    columns.push(ColumnInfo::new(
                        format!("D{d}:{l}"),
                        ColumnClass::OtherDummy,
                    ));
                    columns.len() as u32 - 1
                })
                .collect();
            Element::dummy_set(format!("dummies(D{d})"), &ids)
        })
        .collect();
    let category = |v: u8| c.vars[v as usize].0.map(|k| format!("cat{k}"));
    let element = |i: &ItemR| match *i {
        ItemR::Var(v) => variables[v as usize].clone(),
        ItemR::Dummy(d) => dummies[d as usize].clone(),
    };
    let mut pool: Vec<PoolEntry> = c
        .pool
        .iter()
        .map(|i| match *i {
            ItemR::Var(v) => PoolEntry::Variable {
                element: element(i),
                category: category(v),
            },
            ItemR::Dummy(_) => PoolEntry::Single(element(i)),
        })
        .collect();
    for set in &c.one_of {
        pool.push(PoolEntry::OneOf(
            set.iter()
                .map(|i| match *i {
                    ItemR::Var(v) => element(i).with_category(category(v)),
                    ItemR::Dummy(_) => element(i),
                })
                .collect(),
        ));
    }
    let mut elsewhere: HashSet<u8> = HashSet::new();
    for i in c
        .forced
        .iter()
        .chain(&c.pool)
        .chain(c.one_of.iter().flatten())
    {
        if let ItemR::Var(v) = i {
            elsewhere.insert(*v);
        }
    }
    let mut group_overlap = false;
    for g in &c.together {
        let members: Vec<Element> = g.iter().map(|&v| variables[v as usize].clone()).collect();
        let name = format!(
            "together({})",
            g.iter()
                .map(|v| format!("v{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let distinct: HashSet<u8> = g.iter().copied().collect();
        group_overlap |= distinct.len() < g.len() || g.iter().any(|v| !elsewhere.insert(*v));
        pool.push(PoolEntry::Single(Element::together(name, &members)));
    }
    let forced: Vec<Element> = c.forced.iter().map(element).collect();
    Built {
        input: SpaceInput {
            max_vars: forced.len() + c.extra_vars,
            forced,
            pool,
            category_limit: c.limit,
            columns,
            key_context: "target=y\nin_start=2000-03-31".into(),
        },
        group_overlap,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_two_indices_share_a_spec_key(c in config()) {
        let built = build(&c);
        let input = built.input;
        let Ok(space) = SpecSpace::new(input.clone()) else {
            // Only a search without any pool or forced item is refused here.
            prop_assert!(input.pool.is_empty() && input.forced.is_empty());
            return Ok(());
        };
        if !built.group_overlap {
            prop_assert_eq!(space.repeated_models(), None);
        }
        if space.repeated_models().is_none() {
            let mut keys = HashSet::new();
            let mut out = Vec::new();
            let mut it = space.iter_from(0);
            while let Some(i) = it.next_into(&mut out) {
                prop_assert!(keys.insert(space.key(&out)), "spec {} repeats a model", i);
            }
            prop_assert_eq!(keys.len() as u64, space.count());
        }
        // Rule L: no spec takes more than category_limit members of a category from its pools.
        for i in 0..space.count() {
            let mut per: HashMap<&str, usize> = HashMap::new();
            for pick in space.elements_of(i).unwrap() {
                let Some(p) = pick.pool else { continue };
                let pool = &space.pools()[p];
                let at = pool.members().iter().position(|&e| e == pick.element).unwrap();
                if let Some(cat) = &pool.member_categories()[at] {
                    *per.entry(cat.as_str()).or_default() += 1;
                }
            }
            prop_assert!(per.values().all(|&k| k <= c.limit), "spec {}: {:?}", i, per);
        }
    }
}
