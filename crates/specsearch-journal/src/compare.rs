//! What `specsearch compare` reads of a run: its ranked models with their identity (spec key,
//! feature names), coefficients and 9-quarter changes under each scenario.

use std::collections::BTreeMap;

use rusqlite::params;

use crate::error::Result;
use crate::handle::Journal;
use crate::records::PassedDetail;
use crate::runs::RunId;

/// One ranked model of a run, as `compare` matches it with another run's.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedModel {
    pub rank: i64,
    pub spec_index: u64,
    pub spec_key: String,
    /// Feature names in spec order.
    pub features: Vec<String>,
    pub r2: Option<f64>,
    pub oos_rmse: Option<f64>,
    /// Coefficient names (intercept first) and values.
    pub param_names: Vec<String>,
    pub params: Vec<f64>,
    /// The 9-quarter % change of the level under each scenario of the run's forecast set.
    pub pct_change_9q: BTreeMap<String, Option<f64>>,
}

impl Journal {
    /// Every model of the run's stored ranking, best first.
    pub fn ranked_models(&self, run_id: RunId) -> Result<Vec<RankedModel>> {
        let read = || -> Result<Vec<RankedModel>> {
            let mut stmt = self.conn().prepare(
                "SELECT rank, spec_index, spec_key, features, r2, oos_rmse, detail \
                 FROM passed_models WHERE run_id = ?1 ORDER BY rank",
            )?;
            let mut rows = stmt.query([run_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let spec_index = r.get::<_, i64>(1)? as u64;
                let features: String = r.get(3)?;
                let detail = PassedDetail::parse(
                    r.get_ref(6)?.as_str()?,
                    &format!("spec {spec_index} of run {run_id}"),
                )?;
                out.push(RankedModel {
                    rank: r.get(0)?,
                    spec_index,
                    spec_key: r.get(2)?,
                    features: features
                        .split(',')
                        .map(|f| f.trim().to_string())
                        .filter(|f| !f.is_empty())
                        .collect(),
                    r2: r.get(4)?,
                    oos_rmse: r.get(5)?,
                    param_names: detail.param_names,
                    params: detail.outcome.params,
                    pct_change_9q: BTreeMap::new(),
                });
            }
            let mut stmt = self.conn().prepare(
                "SELECT spec_index, scenario, pct_change_9q FROM scenario_stats WHERE run_id = ?1",
            )?;
            let mut changes: BTreeMap<u64, Vec<(String, Option<f64>)>> = BTreeMap::new();
            let mut rows = stmt.query(params![run_id])?;
            while let Some(r) = rows.next()? {
                changes
                    .entry(r.get::<_, i64>(0)? as u64)
                    .or_default()
                    .push((r.get(1)?, r.get(2)?));
            }
            for m in &mut out {
                if let Some(c) = changes.remove(&m.spec_index) {
                    m.pct_change_9q = c.into_iter().collect();
                }
            }
            Ok(out)
        };
        read().map_err(|e| self.err(e))
    }
}

impl Journal {
    /// The passed models of the run whose spec key starts with `prefix` (lowercase hex): each
    /// distinct key once, with its lowest spec index (the one dedup keeps), in key order.
    pub fn passed_with_key_prefix(
        &self,
        run_id: RunId,
        prefix: &str,
    ) -> Result<Vec<(u64, String)>> {
        let read = || -> rusqlite::Result<Vec<(u64, String)>> {
            // `>= prefix AND < prefix + 'g'`: a range on hex text, no LIKE escaping.
            let mut stmt = self.conn().prepare(
                "SELECT min(spec_index), spec_key FROM passed WHERE run_id = ?1 \
                 AND spec_key >= ?2 AND spec_key < ?2 || 'g' GROUP BY spec_key ORDER BY spec_key",
            )?;
            let rows = stmt.query_map(params![run_id, prefix.to_ascii_lowercase()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }
}
