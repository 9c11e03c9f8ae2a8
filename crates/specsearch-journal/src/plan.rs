//! The plan of a run (migration 0010): the spec space's elements, variants and combos, recorded
//! once so that every spec's columns follow from its index — in SQL (the views of
//! `sql/views.sql`) and here ([`PlanDecoder`], for the writer's rare recounts, `merge`, `show`
//! and exports). Decoding is checked against the core's `SpecSpace::spec_at` by the crate's tests.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use specsearch_core::spec::SpecSpace;

use crate::error::Result;
use crate::runs::RunId;

/// Records the plan of `space` for `run_id` (inside the caller's transaction): elements,
/// variants, combos with their elements, and each column's rule-S rank.
pub(crate) fn record(conn: &Connection, run_id: RunId, space: &SpecSpace) -> Result<()> {
    let mut digest = Sha256::new();
    {
        let mut element = conn.prepare_cached(
            "INSERT INTO plan_elements (run_id, element_id, name, variants) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut variant = conn.prepare_cached(
            "INSERT OR IGNORE INTO plan_variants (run_id, element_id, variant, feature_id) \
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        conn.execute(
            // The digest is known at the end (the rows below refer to this one first).
            "INSERT INTO run_plans (run_id, elements, combos, spec_count, sha256) \
             VALUES (?1, ?2, ?3, ?4, printf('%064d', 0))",
            params![
                run_id,
                space.elements().len() as i64,
                space.combo_count() as i64,
                space.count() as i64
            ],
        )?;
        for (id, e) in space.elements().iter().enumerate() {
            element.execute(params![run_id, id as i64, e.name, e.variants.len() as i64])?;
            digest.update(format!("e{id}:{}:", e.name).as_bytes());
            for (v, cols) in e.variants.iter().enumerate() {
                for &c in cols {
                    variant.execute(params![run_id, id as i64, v as i64, c])?;
                    digest.update(format!("{v}.{c},").as_bytes());
                }
            }
        }
        let mut combo = conn.prepare_cached(
            "INSERT INTO plan_combos (run_id, first_index, specs) VALUES (?1, ?2, ?3)",
        )?;
        let mut member = conn.prepare_cached(
            "INSERT INTO plan_combo_elements (run_id, first_index, position, element_id, radix, \
             stride) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for c in space.combos() {
            let specs: u64 = c.radices.iter().map(|&r| r as u64).product();
            combo.execute(params![run_id, c.first as i64, specs as i64])?;
            let mut stride = specs;
            for (k, (&e, &radix)) in c.elements.iter().zip(&c.radices).enumerate() {
                stride /= radix as u64;
                member.execute(params![
                    run_id,
                    c.first as i64,
                    k as i64,
                    e as i64,
                    radix as i64,
                    stride as i64
                ])?;
                digest.update(format!("c{}:{e},", c.first).as_bytes());
            }
        }
        let mut rank = conn.prepare_cached(
            "UPDATE run_features SET sort_rank = ?3 WHERE run_id = ?1 AND feature_id = ?2",
        )?;
        let columns: Vec<u32> = conn
            .prepare("SELECT feature_id FROM run_features WHERE run_id = ?1 ORDER BY feature_id")?
            .query_map([run_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in columns {
            // The target (id 0) and any column a spec never holds still get their rank: the
            // order is total over the catalogue.
            if (id as usize) < space.column_count() {
                let r = space.column_rank(id);
                rank.execute(params![run_id, id, r])?;
                digest.update(format!("r{id}:{r},").as_bytes());
            }
        }
    }
    conn.execute(
        "UPDATE run_plans SET sha256 = ?2 WHERE run_id = ?1",
        params![run_id, hex::encode(digest.finalize())],
    )?;
    Ok(())
}

/// Whether a run has its plan recorded.
pub(crate) fn has_plan(conn: &Connection, run_id: RunId) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM run_plans WHERE run_id = ?1)",
        [run_id],
        |r| r.get(0),
    )
}

/// The digest of a run's plan, if it has one.
pub(crate) fn plan_sha256(conn: &Connection, run_id: RunId) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT sha256 FROM run_plans WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )
    .optional()
}

/// One combo as the decoder keeps it.
#[derive(Debug, Clone)]
struct DecodedCombo {
    first: u64,
    /// (element id, radix, stride), first slowest.
    elements: Vec<(u32, u64, u64)>,
}

/// A run's plan in memory: turns spec indices into their columns (rule-S order), as the views
/// do in SQL. Combos are looked up by binary search; consecutive indices reuse the last combo.
#[derive(Debug, Clone)]
pub struct PlanDecoder {
    combos: Vec<DecodedCombo>,
    /// Columns of variant v of element e: `variant_cols[variant_start[e] + v]`.
    variant_start: Vec<usize>,
    variant_cols: Vec<Vec<u32>>,
    /// Rule-S rank by column id.
    rank: Vec<u32>,
    last: usize,
}

impl PlanDecoder {
    /// Loads the plan of `run_id`; `None` when the run has none (journaled before version 10).
    pub(crate) fn load(conn: &Connection, run_id: RunId) -> rusqlite::Result<Option<PlanDecoder>> {
        if !has_plan(conn, run_id)? {
            return Ok(None);
        }
        let mut variant_start = Vec::new();
        let mut counts: Vec<(u32, u64)> = conn
            .prepare(
                "SELECT element_id, variants FROM plan_elements WHERE run_id = ?1 ORDER BY element_id",
            )?
            .query_map([run_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<_>>()?;
        counts.sort_unstable();
        let mut total = 0usize;
        for &(_, n) in &counts {
            variant_start.push(total);
            total += n as usize;
        }
        let mut variant_cols = vec![Vec::new(); total];
        let mut stmt = conn.prepare(
            "SELECT element_id, variant, feature_id FROM plan_variants WHERE run_id = ?1",
        )?;
        let mut rows = stmt.query([run_id])?;
        while let Some(r) = rows.next()? {
            let e: usize = r.get::<_, i64>(0)? as usize;
            let v: usize = r.get::<_, i64>(1)? as usize;
            variant_cols[variant_start[e] + v].push(r.get(2)?);
        }
        let mut rank = Vec::new();
        let mut stmt = conn.prepare(
            "SELECT feature_id, sort_rank FROM run_features WHERE run_id = ?1 \
             AND sort_rank IS NOT NULL",
        )?;
        let mut rows = stmt.query([run_id])?;
        while let Some(r) = rows.next()? {
            let id: u32 = r.get(0)?;
            if rank.len() <= id as usize {
                rank.resize(id as usize + 1, u32::MAX);
            }
            rank[id as usize] = r.get(1)?;
        }
        for cols in &mut variant_cols {
            cols.sort_by_key(|&c| rank.get(c as usize).copied().unwrap_or(u32::MAX));
        }
        let mut combos: Vec<DecodedCombo> = Vec::new();
        let mut stmt = conn.prepare(
            "SELECT first_index, element_id, radix, stride FROM plan_combo_elements \
             WHERE run_id = ?1 ORDER BY first_index, position",
        )?;
        let mut rows = stmt.query([run_id])?;
        while let Some(r) = rows.next()? {
            let first = r.get::<_, i64>(0)? as u64;
            let element = (
                r.get::<_, i64>(1)? as u32,
                r.get::<_, i64>(2)? as u64,
                r.get::<_, i64>(3)? as u64,
            );
            match combos.last_mut() {
                Some(c) if c.first == first => c.elements.push(element),
                _ => combos.push(DecodedCombo {
                    first,
                    elements: vec![element],
                }),
            }
        }
        Ok(Some(PlanDecoder {
            combos,
            variant_start,
            variant_cols,
            rank,
            last: 0,
        }))
    }

    /// The columns of spec `index` in rule-S order, written into `out`.
    pub fn spec(&mut self, index: u64, out: &mut Vec<u32>) {
        let c = &self.combos[self.last];
        let next_first = self.combos.get(self.last + 1).map_or(u64::MAX, |n| n.first);
        if !(c.first <= index && index < next_first) {
            self.last = self
                .combos
                .partition_point(|c| c.first <= index)
                .saturating_sub(1);
        }
        let c = &self.combos[self.last];
        let offset = index - c.first;
        out.clear();
        for &(e, radix, stride) in &c.elements {
            let v = ((offset / stride) % radix) as usize;
            out.extend_from_slice(&self.variant_cols[self.variant_start[e as usize] + v]);
        }
        let rank = &self.rank;
        out.sort_unstable_by_key(|&c| rank.get(c as usize).copied().unwrap_or(u32::MAX));
        out.dedup();
    }
}
