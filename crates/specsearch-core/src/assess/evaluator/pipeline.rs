//! The §5 pipeline of [`Evaluator`]: Gram gather, factorisation, fit metrics, covariance
//! choice and the seven filters, stopping at the first failure (unless a full report is asked
//! for).
//!
//! Lazy statistics: on the search path ([`Evaluator::assess`], [`Evaluator::assess_into`],
//! [`Evaluator::assess_with_extra`]) a statistic that no decision needs is computed only if the
//! spec passes, because the journal keeps the full outcome of passed specs only (status, failed
//! test and R² otherwise). Concretely, before the outcome is known:
//! - coefficient p-values are not computed: filter 2 compares `|t|` with a cached critical value
//!   ([`PCut`](crate::stats::dist::PCut)), which takes exactly the decision `p < coef_alpha`
//!   (the exact p-value is evaluated only within ~1e-9 relative of the critical value);
//! - Breusch–Godfrey is computed only when Durbin–Watson is outside its range (otherwise it
//!   cannot change the covariance choice), and its p-value is replaced by a cached χ²(1) cut;
//! - the out-of-sample metrics are not computed.
//!
//! A passed spec then gets every p-value, BG and the out-of-sample metrics, with the same
//! kernels, so its outcome is bit-identical to computing everything up front.
//! [`Evaluator::assess_report`] computes everything, in order, as before.
//!
//! The journal path ([`Evaluator::decide_into`]) goes further: the residual pass sums only
//! `Σe²` (R² is journaled), the other sums follow when a decision needs them, and filter 2 is
//! decided one coefficient at a time ([`super::significance`]), before the covariance choice
//! when no choice could save the spec. Rows of the Gram and its factor that the spec's leading
//! columns share with the scratch's previous spec are kept (see `Prefix`), on every path.

use super::residuals::{abs_max, record_fit, resid_sums, residuals_into};
use super::significance::FastInputs;
use super::{
    first_bad, grow, opt, ColRef, ColumnUnitRoot, Detail, Evaluator, ExtraColumn, Scratch, SpecCols,
};
use crate::assess::{FilterTest, GroupF, Outcome, Status};
use crate::stats::covariance::{self, hac_maxlags, CovType};
use crate::stats::diagnostics::{
    bg1_from_fit, bg1_stat_with_lag_sum, bp_from_fit, cramer_von_mises_into, jarque_bera,
    vif_from_work, wald_f_into, white_centered,
};
use crate::stats::dist;
use crate::stats::linalg::{center_into, dot};
use crate::stats::ols::{t_pvalues, t_stats, Columns, LsWork};
use crate::stats::unitroot::{adf_with, pp_with, stationarity_with};

/// What the covariance choice reads and the scratch buffers it uses.
struct ChoiceParts<'c, 'a> {
    cols: &'c SpecCols<'a>,
    resid: &'c [f64],
    ls: &'c LsWork,
    buf: &'c mut [f64],
    aux: &'c mut Vec<f64>,
    aux_ls: &'c mut LsWork,
}

impl Evaluator {
    /// Validates inputs and prepares the column references; `Err` carries the message.
    fn prepare(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        s: &mut Scratch,
    ) -> Result<(), String> {
        let n = self.n;
        if let Some((row, v)) = self.y_bad {
            return Err(format!(
                "non-finite value ({v}) in target '{}' at in-sample row {row}",
                self.target_name
            ));
        }
        s.refs.clear();
        for &id in spec {
            let id = id as usize;
            let Some(m) = self.meta.get(id) else {
                return Err(format!(
                    "unknown column id {id} (the evaluator has {} columns)",
                    self.meta.len()
                ));
            };
            if let Some((row, v)) = m.bad {
                return Err(format!(
                    "non-finite value ({v}) in column '{}' at in-sample row {row}",
                    m.name
                ));
            }
            s.refs.push(ColRef::Frozen(id));
        }
        grow(&mut s.ext_xc, n * extra.len());
        grow(&mut s.ext_raw, 3 * extra.len());
        for (e, c) in extra.iter().enumerate() {
            if c.in_sample.len() != n
                || (c.out_of_sample.len() != self.n_oos && !c.out_of_sample.is_empty())
            {
                return Err(format!(
                    "column '{}' has {} in-sample / {} out-of-sample rows, expected {n} / {}",
                    c.name,
                    c.in_sample.len(),
                    c.out_of_sample.len(),
                    self.n_oos
                ));
            }
            if let Some((row, v)) = first_bad(c.in_sample) {
                return Err(format!(
                    "non-finite value ({v}) in column '{}' at in-sample row {row}",
                    c.name
                ));
            }
            let xc = &mut s.ext_xc[e * n..(e + 1) * n];
            let m = center_into(c.in_sample, xc);
            s.ext_raw[3 * e] = m;
            s.ext_raw[3 * e + 1] = dot(c.in_sample, c.in_sample);
            s.ext_raw[3 * e + 2] = abs_max(xc);
            s.refs.push(ColRef::Extra(e));
        }
        let p = s.refs.len() + 1;
        if n < p + 1 {
            return Err(format!(
                "too few observations: {n} in-sample rows for {p} parameters (need at least {})",
                p + 1
            ));
        }
        Ok(())
    }

    pub(super) fn run(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        s: &mut Scratch,
        out: &mut Outcome,
        detail: Detail,
    ) {
        let run_all = detail == Detail::Report;
        out.reset();
        out.nobs = self.n;
        if let Err(msg) = self.prepare(spec, extra, s) {
            out.status = Status::Error;
            out.message = Some(msg);
            return;
        }
        let th = &self.thresholds;
        let n = self.n;
        let k = s.refs.len();
        let p = k + 1;
        let nf = n as f64;

        // ---- Gram gather / compute (rows shared with the last spec kept) ----
        let shared = s.prefix.shared(self.id, k, &s.refs);
        let reuse = shared.min(s.prefix.factored);
        s.ls.ensure(k);
        grow(&mut s.xbar, k);
        grow(&mut s.col_max, k);
        {
            let cols = SpecCols {
                ev: self,
                refs: &s.refs,
                ext: &s.ext_xc,
            };
            for i in 0..k {
                match s.refs[i] {
                    ColRef::Frozen(id) => {
                        s.xbar[i] = self.xbar[id];
                        s.ls.raw_ss[i] = self.raw_ss[id];
                        s.ls.rhs[i] = self.xy[id];
                        s.col_max[i] = self.col_max[id];
                    }
                    ColRef::Extra(e) => {
                        s.xbar[i] = s.ext_raw[3 * e];
                        s.ls.raw_ss[i] = s.ext_raw[3 * e + 1];
                        s.ls.rhs[i] = dot(cols.col(i), &self.yc);
                        s.col_max[i] = s.ext_raw[3 * e + 2];
                    }
                }
                if i < reuse {
                    continue;
                }
                for j in 0..=i {
                    let v = match (s.refs[i], s.refs[j], &self.gram) {
                        (ColRef::Frozen(a), ColRef::Frozen(b), Some(g)) => {
                            let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
                            g[hi * (hi + 1) / 2 + lo]
                        }
                        _ => dot(cols.col(i), cols.col(j)),
                    };
                    s.ls.g[i * k + j] = v;
                    s.ls.g[j * k + i] = v;
                }
            }
        }
        let rank = s.ls.factor_solve_from(k, reuse);
        s.prefix.factored(self.id, k, &s.refs, shared);
        out.rank = rank + 1;
        if rank < k {
            let j = (0..k).find(|&j| !s.ls.kept[j]).unwrap_or(0);
            out.status = Status::Filtered;
            out.failed_test = Some(FilterTest::Multicollinearity);
            out.message = Some(format!(
                "design is rank deficient (rank {} < {p}): column '{}' is constant or a linear \
                 combination of the intercept and earlier columns",
                rank + 1,
                self.column_name_of(s.refs[j], extra)
            ));
            return;
        }
        let cols = SpecCols {
            ev: self,
            refs: &s.refs,
            ext: &s.ext_xc,
        };
        let beta = &s.ls.beta[..k];

        // ---- residuals, fit metrics ----
        grow(&mut s.resid, n);
        let journal = matches!(detail, Detail::Journal | Detail::Screen);
        let sums = if journal {
            residuals_into::<_, false>(&self.yc, beta, &cols, &mut s.resid[..n])
        } else {
            residuals_into::<_, true>(&self.yc, beta, &cols, &mut s.resid[..n])
        };
        let resid = &s.resid[..n];
        let intercept = self.ybar - dot(&s.xbar[..k], beta);
        out.params.push(intercept);
        out.params.extend_from_slice(beta);
        let ssr = sums.ssr;
        let df_resid = (n - p) as f64;
        let r2 = 1.0 - ssr / self.tss;
        out.r2 = opt(r2);
        out.adj_r2 = opt(1.0 - (nf - 1.0) / df_resid * (1.0 - r2));
        // The journal path records the other fit metrics once a decision needs them.
        let (dw, lag_sum) = if journal {
            (f64::NAN, f64::NAN)
        } else {
            record_fit(out, &sums, resid)
        };

        // ---- filter 1 ----
        let r2_ok = r2 >= th.min_r2; // NaN never passes
        if !r2_ok {
            Self::fail(out, FilterTest::InSampleR2);
            if !run_all {
                return;
            }
        }
        if detail == Detail::Screen {
            // Undecided: the later filters may still fail it (`screen_into` reads this mark).
            out.status = Status::Passed;
            return;
        }

        // ---- covariance choice, and filter 2 on the journal path ----
        grow(&mut s.buf, k.max(n));
        let mut choose = || {
            let (dw, lag_sum) = if journal {
                record_fit(out, &resid_sums(resid, ssr), resid)
            } else {
                (dw, lag_sum)
            };
            let parts = ChoiceParts {
                cols: &cols,
                resid,
                ls: &s.ls,
                buf: &mut s.buf,
                aux: &mut s.aux,
                aux_ls: &mut s.aux_ls,
            };
            self.choose_covariance(parts, dw, lag_sum, run_all, out)
        };
        let cov_type = if detail == Detail::Journal {
            let fast = FastInputs {
                cols: &cols,
                col_max: &s.col_max[..k],
                ls: &s.ls,
                resid,
                beta,
                ssr,
                inverse_start: shared.min(s.prefix.inverted),
            };
            let (fails, chosen) = self.journal_significance(&fast, &mut s.sig, choose);
            s.prefix.inverted = k; // the fast path computed every row of its `L⁻¹`
            if fails {
                // `cov_type` stays unset when no covariance could have saved the spec.
                out.cov_type = chosen;
                Self::fail(out, FilterTest::CoefficientSignificance);
                return;
            }
            chosen.expect("the covariance is chosen before filter 2 can pass")
        } else {
            choose()
        };
        // The journal path summed the lagged residuals inside the choice; again for the rest.
        let lag_sum = if journal {
            resid_sums(resid, ssr).lag_sum
        } else {
            lag_sum
        };
        out.cov_type = Some(cov_type);

        // ---- the covariance matrix ----
        s.ls.invert(k);
        grow(&mut s.cov, p * p);
        grow(&mut s.tmp, p * p);
        if cov_type == CovType::NonRobust {
            covariance::nonrobust(ssr / df_resid, &s.ls.ainv, &s.xbar, n, k, &mut s.cov);
        } else {
            grow(&mut s.z, n * p);
            grow(&mut s.meat, p * p);
            covariance::scores_into(resid, &cols, &mut s.z);
            if cov_type == CovType::HC1 {
                covariance::meat_hc0(&s.z, n, p, &mut s.meat);
                let c = nf / df_resid;
                s.meat[..p * p].iter_mut().for_each(|v| *v *= c);
            } else {
                let lags = hac_maxlags(n);
                grow(&mut s.win, (n + lags) * p);
                covariance::meat_bartlett(&s.z, n, p, lags, &mut s.meat, &mut s.win);
            }
            covariance::sandwich(&s.meat, &s.ls.ainv, &s.xbar, n, k, &mut s.cov, &mut s.tmp);
        }
        out.bse.resize(p, 0.0);
        out.tvalues.resize(p, 0.0);
        t_stats(&out.params, &s.cov, p, &mut out.bse, &mut out.tvalues);

        // ---- filter 2: coefficient significance (full dummy sets exempt) ----
        let group_of = |j: usize| match s.refs[j] {
            ColRef::Frozen(id) => self.meta[id].group,
            ColRef::Extra(_) => None,
        };
        let coef_ok = if run_all {
            out.pvalues.resize(p, 0.0);
            t_pvalues(&out.tvalues, df_resid, &mut out.pvalues);
            (0..k)
                .filter(|&j| group_of(j).is_none())
                .all(|j| out.pvalues[j + 1] < th.coef_alpha)
        } else {
            // Exactly the decision above, without evaluating the p-values.
            let cut = self.t_cut(n - p);
            (0..k)
                .filter(|&j| group_of(j).is_none())
                .all(|j| cut.t_significant(out.tvalues[j + 1], df_resid))
        };
        if !coef_ok {
            Self::fail(out, FilterTest::CoefficientSignificance);
            if !run_all {
                return;
            }
        }
        // ---- filter 3: group F per full dummy set ----
        s.groups.clear();
        for j in 0..k {
            if let Some(g) = group_of(j) {
                if !s.groups.contains(&g) {
                    s.groups.push(g);
                }
            }
        }
        let mut group_ok = true;
        for gi in 0..s.groups.len() {
            let g = s.groups[gi];
            s.idx.clear();
            s.idx
                .extend((0..k).filter(|&j| group_of(j) == Some(g)).map(|j| j + 1));
            let q = s.idx.len();
            grow(&mut s.buf, q * q + q);
            let f = wald_f_into(&out.params, &s.cov, p, &s.idx, df_resid, &mut s.buf);
            group_ok &= f.pvalue < th.group_f_alpha;
            out.group_f.push(GroupF {
                group: g,
                stat: f.stat,
                pvalue: f.pvalue,
                df_num: q as u32,
            });
        }
        if !group_ok {
            Self::fail(out, FilterTest::GroupFTest);
            if !run_all {
                return;
            }
        }

        // ---- filter 4: VIF ----
        out.vif.extend(vif_from_work(&s.ls, k));
        if !out.vif.iter().all(|v| *v <= th.max_vif) {
            Self::fail(out, FilterTest::Multicollinearity);
            if !run_all {
                return;
            }
        }

        // ---- filter 5: residual stationarity ----
        let adf = adf_with(resid, None, &mut s.ur);
        let pp = pp_with(resid, None, &mut s.ur);
        if let Ok(a) = &adf {
            out.resid_adf_stat = opt(a.stat);
            out.resid_adf_pvalue = opt(a.pvalue);
            out.resid_adf_lag = Some(a.used_lag as u32);
        }
        if let Ok(r) = &pp {
            out.resid_pp_stat = opt(r.stat);
            out.resid_pp_pvalue = opt(r.pvalue);
        }
        let adf_p = adf.map_or(f64::NAN, |a| a.pvalue);
        let pp_p = pp.map_or(f64::NAN, |r| r.pvalue);
        if !(adf_p < th.resid_stationarity_alpha || pp_p < th.resid_stationarity_alpha) {
            Self::fail(out, FilterTest::ResidualStationarity);
            if !run_all {
                return;
            }
        }

        // ---- filter 6: Y–X cointegration (non-stationary target only) ----
        if !self.target_stationary && n >= th.cointegration_min_obs {
            let a = th.cointegration_alpha;
            let mut ok = adf_p < a && pp_p < a;
            for j in 0..k {
                if !ok {
                    break;
                }
                let ur = match s.refs[j] {
                    ColRef::Frozen(id) if self.meta[id].is_dummy => continue,
                    ColRef::Frozen(id) => self.meta[id].unit_root,
                    ColRef::Extra(e) => {
                        let st = stationarity_with(extra[e].in_sample, &mut s.ur);
                        Some(ColumnUnitRoot {
                            adf_pvalue: st.adf_p(),
                            pp_pvalue: st.pp_p(),
                        })
                    }
                };
                // A column whose tests could not run is not established as non-stationary.
                ok = ur.is_some_and(|u| u.adf_pvalue >= a && u.pp_pvalue >= a);
            }
            if !ok {
                Self::fail(out, FilterTest::Cointegration);
                if !run_all {
                    return;
                }
            }
        }

        // ---- filter 7: sign check ----
        let sign_ok = (0..k).all(|j| {
            let sign = match s.refs[j] {
                ColRef::Frozen(id) => self.meta[id].sign,
                ColRef::Extra(e) => extra[e].expected_sign,
            };
            let b = out.params[j + 1];
            match sign.signum() {
                1 => b > 0.0,
                -1 => b < 0.0,
                _ => true,
            }
        });
        if !sign_ok {
            Self::fail(out, FilterTest::SignCheck);
        }

        if out.failed_test.is_none() {
            out.status = Status::Passed;
        }
        if out.status == Status::Passed || run_all {
            if !run_all {
                // Statistics the search path skipped (see the module docs).
                out.pvalues.resize(p, 0.0);
                t_pvalues(&out.tvalues, df_resid, &mut out.pvalues);
                let bg_stat = match out.bg_stat {
                    Some(stat) => stat,
                    None => bg1_stat_with_lag_sum(resid, &cols, &s.ls, &mut s.buf, lag_sum),
                };
                out.bg_stat = opt(bg_stat);
                out.bg_pvalue = opt(dist::chi2_sf(bg_stat, 1.0));
            }
            self.oos_metrics(&s.refs, extra, &mut s.pred, out);
            let jb = jarque_bera(resid);
            out.jb_stat = opt(jb.stat);
            out.jb_pvalue = opt(jb.pvalue);
            grow(&mut s.buf, n);
            let c = cramer_von_mises_into(resid, &mut s.buf);
            out.cvm_stat = opt(c.stat);
            out.cvm_pvalue = opt(c.pvalue);
        }
    }

    /// The covariance choice of §5 from the non-robust fit: HAC when Durbin–Watson is out of
    /// range and Breusch–Godfrey(1) rejects, else HC1 when Breusch–Pagan and White both
    /// reject, else non-robust. Records the statistics it computed in `out` (on the search
    /// paths only those the choice needs; everything with `run_all`).
    fn choose_covariance(
        &self,
        c: ChoiceParts<'_, '_>,
        dw: f64,
        lag_sum: f64,
        run_all: bool,
        out: &mut Outcome,
    ) -> CovType {
        let th = &self.thresholds;
        let (cols, resid) = (c.cols, c.resid);
        let dw_ok = (th.dw_lower..=th.dw_upper).contains(&dw);
        let ac_fail = if run_all {
            let bg = bg1_from_fit(resid, cols, c.ls, c.buf);
            out.bg_stat = opt(bg.stat);
            out.bg_pvalue = opt(bg.pvalue);
            !dw_ok && bg.pvalue <= th.bg_alpha
        } else if dw_ok {
            false // BG cannot change the choice; computed later if the spec passes
        } else {
            let stat = bg1_stat_with_lag_sum(resid, cols, c.ls, c.buf, lag_sum);
            out.bg_stat = opt(stat);
            self.bg_cut().chi2_rejects(stat, 1.0)
        };
        let mut het_fail = false;
        if !ac_fail || run_all {
            let bp = bp_from_fit(resid, cols, c.ls, c.buf);
            out.bp_stat = opt(bp.stat);
            out.bp_pvalue = opt(bp.pvalue);
            // White is costly (k(k+3)/2 auxiliary columns) and only decides the covariance
            // when Breusch–Pagan also rejects, so the search path evaluates it only then.
            if bp.pvalue <= th.het_alpha || run_all {
                let w = white_centered(resid, cols, c.aux, c.aux_ls);
                out.white_stat = opt(w.stat);
                out.white_pvalue = opt(w.pvalue);
                het_fail = !ac_fail && bp.pvalue <= th.het_alpha && w.pvalue <= th.het_alpha;
            }
        }
        if ac_fail {
            CovType::HAC
        } else if het_fail {
            CovType::HC1
        } else {
            CovType::NonRobust
        }
    }

    /// Out-of-sample MAE / RMSE / max |e| over rows where the target and every regressor are
    /// finite (`nobs_oos` counts them); `None` when there are no such rows.
    fn oos_metrics(
        &self,
        refs: &[ColRef],
        extra: &[ExtraColumn<'_>],
        pred: &mut Vec<f64>,
        out: &mut Outcome,
    ) {
        let params = &out.params;
        let m = self.n_oos;
        if m == 0 {
            return;
        }
        grow(pred, m);
        let pred = &mut pred[..m];
        pred.fill(params[0]);
        for (j, r) in refs.iter().enumerate() {
            let x: &[f64] = match *r {
                ColRef::Frozen(id) => &self.x_oos[id * m..(id + 1) * m],
                ColRef::Extra(e) => extra[e].out_of_sample,
            };
            if x.len() != m {
                pred.fill(f64::NAN);
                break;
            }
            let b = params[j + 1];
            for (p, v) in pred.iter_mut().zip(x) {
                *p += b * v;
            }
        }
        let (mut cnt, mut sae, mut sse, mut maxe) = (0usize, 0.0, 0.0, 0.0f64);
        for (p, y) in pred.iter().zip(&self.y_oos) {
            // Rows with a non-finite target or regressor give a non-finite error and are skipped.
            let e = y - p;
            if e.is_finite() {
                cnt += 1;
                sae += e.abs();
                sse += e * e;
                maxe = maxe.max(e.abs());
            }
        }
        out.nobs_oos = cnt;
        if cnt > 0 {
            let c = cnt as f64;
            out.oos_mae = opt(sae / c);
            out.oos_rmse = opt((sse / c).sqrt());
            out.oos_max_abs_error = opt(maxe);
        }
    }
}
