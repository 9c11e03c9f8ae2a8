#!/usr/bin/env python3
"""Golden fixtures for specsearch's statistics engine (crates/specsearch-core: stats/, assess/).

Regenerate (from the repository root), in a throw-away virtual environment:

    python3 -m venv /tmp/golden-venv
    /tmp/golden-venv/bin/pip install statsmodels arch scipy numpy pandas
    /tmp/golden-venv/bin/python crates/specsearch-core/tests/golden/gen_stats.py

Writes crates/specsearch-core/tests/golden/stats/*.json. Inputs are generated here deterministically (numpy seeds) and
stored next to the expected values, so tests/it/stats_golden.rs needs nothing else. Every expected
number comes from statsmodels / arch / scipy; the only hand-written logic is (a) the filter
sequence of docs/semantics.md §5, which combines library numbers into the expected outcome,
and (b) the Cramér–von Mises p-value (Stephens' modified statistic with the D'Agostino–Stephens
table formulas, as in R nortest::cvm.test), for which no Python reference library exists; its
statistic is scipy's.
"""

import json
import math
import os
import sys

import arch
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from arch.unitroot import PhillipsPerron
from statsmodels.stats.diagnostic import (
    acorr_breusch_godfrey,
    het_breuschpagan,
    het_white,
)
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tsa.adfvalues import mackinnoncrit, mackinnonp
from statsmodels.tsa.stattools import adfuller

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats")

# Default thresholds of docs/semantics.md §5 (assess::FilterThresholds::default()).
R2_MIN = 0.3
COEF_P = 0.10
GROUP_P = 0.10
VIF_MAX = 10.0
RESID_P = 0.05
COINT_ALPHA = 0.05
DW_LO, DW_HI = 1.5, 2.5
BG_P = 0.10
HET_P = 0.05


def num(x):
    """JSON-safe float (NaN/inf become null / strings the Rust side understands)."""
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def nums(v):
    return [num(x) for x in np.asarray(v, dtype=float).ravel()]


def hac_lags(n):
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def cvm_pvalue(w, n):
    ww = (1 + 0.5 / n) * w
    if ww < 0.0275:
        p = 1 - math.exp(-13.953 + 775.5 * ww - 12542.61 * ww**2)
    elif ww < 0.051:
        p = 1 - math.exp(-5.903 + 179.546 * ww - 1515.29 * ww**2)
    elif ww < 0.092:
        p = math.exp(0.886 - 31.62 * ww + 10.897 * ww**2)
    elif ww < 1.1:
        p = math.exp(1.111 - 34.242 * ww + 12.832 * ww**2)
    else:
        p = 7.37e-10
    return min(max(p, 0.0), 1.0)


def adf_dict(x):
    stat, p, lag, nobs, crit, icbest = adfuller(x, regression="c", autolag="AIC", result_object=False)
    return {
        "stat": num(stat),
        "pvalue": num(p),
        "used_lag": int(lag),
        "nobs": int(nobs),
        "crit": [num(crit["1%"]), num(crit["5%"]), num(crit["10%"])],
        "icbest": num(icbest),
    }


def pp_dict(x):
    t = PhillipsPerron(np.asarray(x, dtype=float), trend="c", test_type="tau")
    cv = t.critical_values
    return {
        "stat": num(t.stat),
        "pvalue": num(t.pvalue),
        "lags": int(t.lags),
        "nobs": int(t.nobs),
        "crit": [num(cv["1%"]), num(cv["5%"]), num(cv["10%"])],
    }


def safe(f, x):
    try:
        return f(x), None
    except Exception as e:  # noqa: BLE001 - the error itself is the fixture
        return None, str(e)


def month_dummies(n, start_month, months):
    m = (np.arange(n) + start_month) % 12 + 1
    return {f"M:{k}": (m == k).astype(float) for k in months}


def ar1(rng, n, rho, scale=1.0):
    e = rng.standard_normal(n) * scale
    out = np.zeros(n)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = rho * out[t - 1] + e[t]
    return out


def fit_all(y, X):
    """statsmodels fits for every covariance path; X includes the constant first."""
    n = len(y)
    base = sm.OLS(y, X).fit()
    fits = {
        "nonrobust": base,
        "HC1": sm.OLS(y, X).fit(cov_type="HC1", use_t=True),
        "HAC": sm.OLS(y, X).fit(
            cov_type="HAC",
            cov_kwds={"maxlags": hac_lags(n), "use_correction": False},
            use_t=True,
        ),
    }
    return base, fits


def model_case(name, desc, y, cols, meta, n_in, group=None):
    """cols: dict name -> full-length array; meta: name -> (sign, is_dummy, group id or None).
    The first n_in rows are in-sample, the rest out-of-sample."""
    names = list(cols)
    Xfull = np.column_stack([cols[c] for c in names]) if names else np.zeros((len(y), 0))
    y_in, y_oos = y[:n_in], y[n_in:]
    X_in, X_oos = Xfull[:n_in], Xfull[n_in:]
    X = sm.add_constant(X_in, has_constant="add")
    n, p = X.shape
    base, fits = fit_all(y_in, X)
    resid = base.resid

    out = {
        "name": name,
        "description": desc,
        "target": "y",
        "y": nums(y_in),
        "y_oos": nums(y_oos),
        "columns": [
            {
                "name": c,
                "values": nums(X_in[:, i]),
                "oos": nums(X_oos[:, i]),
                "sign": meta[c][0],
                "is_dummy": meta[c][1],
                "group": meta[c][2],
            }
            for i, c in enumerate(names)
        ],
    }
    exp = {
        "nobs": int(n),
        "rank": int(np.linalg.matrix_rank(X)),
        "params": nums(base.params),
        "resid": nums(resid),
        "ssr": num(base.ssr),
        "r2": num(base.rsquared),
        "adj_r2": num(base.rsquared_adj),
        "cov": {},
    }
    for k, f in fits.items():
        exp["cov"][k] = {
            "bse": nums(f.bse),
            "tvalues": nums(f.tvalues),
            "pvalues": nums(f.pvalues),
            "cov_params": nums(f.cov_params()),
        }
    exp["hac_lags"] = hac_lags(n)
    exp["dw"] = num(durbin_watson(resid))
    for lags in (1, 3):
        lm, lmp, _, _ = acorr_breusch_godfrey(base, nlags=lags)
        exp[f"bg{lags}"] = {"stat": num(lm), "pvalue": num(lmp)}
    lm, lmp, _, _ = het_breuschpagan(resid, X, robust=True)
    exp["bp"] = {"stat": num(lm), "pvalue": num(lmp), "df": p - 1}
    lm, lmp, _, _ = het_white(resid, X)
    i0, i1 = np.triu_indices(p)
    exp["white"] = {
        "stat": num(lm),
        "pvalue": num(lmp),
        "df": int(np.linalg.matrix_rank(X[:, i0] * X[:, i1]) - 1),
    }
    # White's LM is invariant to centering the regressors (the product columns span the same
    # space), and statsmodels' raw-scale products lose rank numerically when columns have large
    # level offsets (case "offsets"). The centered-design value is the well-conditioned reference.
    Xc = np.column_stack([np.ones(n), X[:, 1:] - X[:, 1:].mean(axis=0)])
    lm, lmp, _, _ = het_white(resid, Xc)
    exp["white_centered"] = {
        "stat": num(lm),
        "pvalue": num(lmp),
        "df": int(np.linalg.matrix_rank(Xc[:, i0] * Xc[:, i1]) - 1),
    }
    jb, jbp, sk, ku = jarque_bera(resid)
    exp["jb"] = {"stat": num(jb), "pvalue": num(jbp), "skew": num(sk), "kurtosis": num(ku)}
    w = st.cramervonmises(resid, "norm", args=(resid.mean(), resid.std(ddof=1))).statistic
    exp["cvm"] = {"stat": num(w), "pvalue": num(cvm_pvalue(w, n))}
    exp["vif"] = [num(variance_inflation_factor(X, i)) for i in range(1, p)]
    exp["resid_adf"], exp["resid_adf_error"] = safe(adf_dict, resid)
    exp["resid_pp"], exp["resid_pp_error"] = safe(pp_dict, resid)

    # Group F per full dummy set, for every covariance path.
    groups = sorted({meta[c][2] for c in names if meta[c][2] is not None})
    exp["group_f"] = {}
    for g in groups:
        idx = [i + 1 for i, c in enumerate(names) if meta[c][2] == g]
        R = np.zeros((len(idx), p))
        for r, i in enumerate(idx):
            R[r, i] = 1.0
        exp["group_f"][str(g)] = {}
        for k, f in fits.items():
            ft = f.f_test(R)
            exp["group_f"][str(g)][k] = {
                "stat": num(np.squeeze(ft.fvalue)),
                "pvalue": num(np.squeeze(ft.pvalue)),
                "df": len(idx),
            }

    # Target and column stationarity (target decides filter 6; columns enter it).
    ty_adf, _ = safe(adf_dict, y_in)
    ty_pp, _ = safe(pp_dict, y_in)
    tp = [d["pvalue"] for d in (ty_adf, ty_pp) if d is not None]
    target_stationary = any(v < 0.05 for v in tp)
    out["target_stationary"] = target_stationary
    col_ur = {}
    for i, c in enumerate(names):
        a, _ = safe(adf_dict, X_in[:, i])
        b, _ = safe(pp_dict, X_in[:, i])
        col_ur[c] = (a["pvalue"] if a else None, b["pvalue"] if b else None)
    exp["column_unit_root"] = {c: {"adf_p": v[0], "pp_p": v[1]} for c, v in col_ur.items()}

    # Out-of-sample errors.
    if len(y_oos):
        pred = sm.add_constant(X_oos, has_constant="add") @ base.params
        err = y_oos - pred
        exp["oos"] = {
            "mae": num(np.mean(np.abs(err))),
            "rmse": num(np.sqrt(np.mean(err**2))),
            "max_abs": num(np.max(np.abs(err))),
        }
    else:
        exp["oos"] = None
    exp["is"] = {
        "mae": num(np.mean(np.abs(resid))),
        "rmse": num(np.sqrt(np.mean(resid**2))),
        "max_abs": num(np.max(np.abs(resid))),
    }

    # ---- §5 filter sequence with the library numbers ----
    a = exp
    if a["rank"] < p:
        outcome = {"status": "filtered", "failed_test": "multicollinearity", "cov_type": None}
    else:
        dw = a["dw"]
        ac_fail = (dw < DW_LO or dw > DW_HI) and a["bg1"]["pvalue"] <= BG_P
        if ac_fail:
            cov = "HAC"
        elif a["bp"]["pvalue"] <= HET_P and a["white"]["pvalue"] <= HET_P:
            cov = "HC1"
        else:
            cov = "nonrobust"
        pv = a["cov"][cov]["pvalues"]
        failed = None
        if not (a["r2"] >= R2_MIN):
            failed = "in_sample_r2"
        if failed is None:
            for i, c in enumerate(names):
                if meta[c][2] is None and not (pv[i + 1] < COEF_P):
                    failed = "coefficient_significance"
                    break
        if failed is None:
            for g in groups:
                if not (a["group_f"][str(g)][cov]["pvalue"] < GROUP_P):
                    failed = "group_f_test"
                    break
        if failed is None and not all(v <= VIF_MAX for v in a["vif"]):
            failed = "multicollinearity"
        ra = a["resid_adf"]["pvalue"] if a["resid_adf"] else None
        rp = a["resid_pp"]["pvalue"] if a["resid_pp"] else None
        if failed is None:
            if not ((ra is not None and ra < RESID_P) or (rp is not None and rp < RESID_P)):
                failed = "residual_stationarity"
        if failed is None and not target_stationary and n >= 10:
            ok = ra is not None and rp is not None and ra < COINT_ALPHA and rp < COINT_ALPHA
            for c in names:
                if meta[c][1]:
                    continue
                ca, cp = col_ur[c]
                if not (ca is not None and cp is not None and ca >= COINT_ALPHA and cp >= COINT_ALPHA):
                    ok = False
            if not ok:
                failed = "cointegration"
        if failed is None:
            for i, c in enumerate(names):
                s = meta[c][0]
                b = a["params"][i + 1]
                if (s > 0 and not b > 0) or (s < 0 and not b < 0):
                    failed = "sign_check"
                    break
        outcome = {
            "status": "passed" if failed is None else "filtered",
            "failed_test": failed,
            "cov_type": cov,
        }
    exp["outcome"] = outcome
    out["expected"] = exp
    return out


def feat(sign=0, dummy=False, group=None):
    return (sign, dummy, group)


def build_models():
    cases = []

    # 1. iid errors, three drivers, OOS rows -> non-robust path, passes.
    rng = np.random.default_rng(101)
    n, m = 120, 12
    X = rng.standard_normal((n + m, 3))
    y = 1.0 + X @ np.array([0.8, -0.5, 0.3]) + 0.5 * rng.standard_normal(n + m)
    cols = {"a_LV": X[:, 0], "b_LV": X[:, 1], "c_LV": X[:, 2]}
    meta = {"a_LV": feat(1), "b_LV": feat(-1), "c_LV": feat(0)}
    cases.append(model_case("iid", "random errors, non-robust path", y, cols, meta, n))

    # 2. AR(1) errors rho=0.8 -> HAC path.
    rng = np.random.default_rng(202)
    n, m = 213, 24
    X = rng.standard_normal((n + m, 2))
    e = ar1(rng, n + m, 0.8, 0.4)
    y = 0.5 + X @ np.array([1.0, 0.6]) + e
    cols = {"x1": X[:, 0], "x2": X[:, 1]}
    meta = {"x1": feat(1), "x2": feat(1)}
    cases.append(model_case("ar1_hac", "autocorrelated errors, HAC path", y, cols, meta, n))

    # 3. Heteroscedastic errors -> HC1 path.
    rng = np.random.default_rng(303)
    n = 200
    X = rng.standard_normal((n, 2))
    e = rng.standard_normal(n) * np.exp(0.9 * X[:, 0])
    y = 2.0 + X @ np.array([1.5, -1.0]) + e
    cols = {"h1": X[:, 0], "h2": X[:, 1]}
    meta = {"h1": feat(1), "h2": feat(-1)}
    cases.append(model_case("het_hc1", "heteroscedastic errors, HC1 path", y, cols, meta, n))

    # 4. Near-collinear columns -> fails multicollinearity (VIF), significant coefficients.
    rng = np.random.default_rng(404)
    n = 150
    x1 = rng.standard_normal(n)
    x2 = x1 + 0.15 * rng.standard_normal(n)
    y = 1.0 + 2.0 * x1 - 1.0 * x2 + 0.2 * rng.standard_normal(n)
    cols = {"n1": x1, "n2": x2}
    meta = {"n1": feat(), "n2": feat()}
    cases.append(model_case("near_collinear", "near-collinear columns, VIF failure", y, cols, meta, n))

    # 5. Very near collinear (VIF ~ 1e5): conditioning stress for coefficients and SEs.
    rng = np.random.default_rng(505)
    n = 100
    x1 = rng.standard_normal(n)
    x2 = x1 + 0.003 * rng.standard_normal(n)
    x3 = rng.standard_normal(n)
    y = 1.0 + x1 + x2 + 0.5 * x3 + 0.3 * rng.standard_normal(n)
    cols = {"v1": x1, "v2": x2, "v3": x3}
    meta = {"v1": feat(), "v2": feat(), "v3": feat()}
    cases.append(model_case("very_collinear", "VIF ~ 1e5, conditioning stress", y, cols, meta, n))

    # 6. Short sample.
    rng = np.random.default_rng(606)
    n, m = 24, 6
    X = rng.standard_normal((n + m, 2))
    y = 0.3 + X @ np.array([1.2, 0.7]) + 0.4 * rng.standard_normal(n + m)
    cols = {"s1": X[:, 0], "s2": X[:, 1]}
    meta = {"s1": feat(1), "s2": feat(1)}
    cases.append(model_case("short", "short sample n=24", y, cols, meta, n))

    # 7. Trending, cointegrated: random-walk driver, stationary residual, non-stationary target.
    rng = np.random.default_rng(707)
    n, m = 160, 12
    x = np.cumsum(rng.standard_normal(n + m)) + 50.0
    y = 3.0 + 0.9 * x + 0.8 * rng.standard_normal(n + m)
    cols = {"rw_LV": x}
    meta = {"rw_LV": feat(1)}
    cases.append(model_case("cointegrated", "random walks, cointegrated, filter 6 passes", y, cols, meta, n))

    # 8. Trending, spurious: independent random walks -> residual non-stationary.
    rng = np.random.default_rng(808)
    n = 160
    x = np.cumsum(rng.standard_normal(n))
    y = np.cumsum(rng.standard_normal(n)) + 0.5 * x
    cols = {"sp_LV": x}
    meta = {"sp_LV": feat(0)}
    cases.append(model_case("spurious", "independent random walks, residual stationarity fails", y, cols, meta, n))

    # 9. Stationary target, stationary drivers with large level offsets (conditioning).
    rng = np.random.default_rng(909)
    n = 180
    x1 = 1.0e4 + ar1(rng, n, 0.5)
    x2 = 250.0 + 0.01 * ar1(rng, n, 0.3)
    y = -40.0 + 0.004 * x1 + 30.0 * (x2 - 250.0) + 0.05 * rng.standard_normal(n)
    cols = {"big_LV": x1, "tiny_LV": x2}
    meta = {"big_LV": feat(1), "tiny_LV": feat(1)}
    cases.append(model_case("offsets", "large level offsets and scale differences", y, cols, meta, n))

    # 10. Full month dummy set (tested jointly) + 2 drivers, OOS rows.
    rng = np.random.default_rng(1010)
    n, m = 144, 12
    d = month_dummies(n + m, 0, range(2, 13))
    X = rng.standard_normal((n + m, 2))
    seas = sum(0.3 * np.sin(k) * d[f"M:{k}"] for k in range(2, 13))
    y = 1.0 + X @ np.array([0.9, -0.7]) + seas + 0.5 * rng.standard_normal(n + m)
    cols = dict(d)
    cols.update({"f1": X[:, 0], "f2": X[:, 1]})
    meta = {k: feat(0, True, 1) for k in d}
    meta.update({"f1": feat(1), "f2": feat(-1)})
    cases.append(model_case("full_dummies", "full month dummy set, group F", y, cols, meta, n))

    # 11. PPNR shape: 7 month dummies (partial set) + 4 drivers, AR residuals, n=213.
    rng = np.random.default_rng(1111)
    n, m = 213, 27
    d = month_dummies(n + m, 3, [2, 3, 4, 5, 10, 11, 12])
    X = np.column_stack([ar1(rng, n + m, 0.6) for _ in range(4)])
    seas = sum(0.4 * (k % 3 - 1) * d[f"M:{k}"] for k in [2, 3, 4, 5, 10, 11, 12])
    y = 0.2 + X @ np.array([0.5, -0.4, 0.3, 0.02]) + seas + ar1(rng, n + m, 0.5, 0.3)
    cols = dict(d)
    cols.update({"g1": X[:, 0], "g2": X[:, 1], "g3": X[:, 2], "g4": X[:, 3]})
    meta = {k: feat(0, True, None) for k in d}
    meta.update({"g1": feat(1), "g2": feat(-1), "g3": feat(1), "g4": feat(1)})
    cases.append(model_case("ppnr_partial_dummies", "PPNR shape, partial dummy set", y, cols, meta, n))

    # 12. Weak signal -> fails In-Sample R-sq.
    rng = np.random.default_rng(1212)
    n = 100
    x = rng.standard_normal(n)
    y = 0.1 * x + rng.standard_normal(n)
    cols = {"w1": x}
    meta = {"w1": feat(1)}
    cases.append(model_case("weak", "low R2", y, cols, meta, n))

    # 13. Wrong expected sign -> fails Sign Check.
    rng = np.random.default_rng(1313)
    n = 120
    X = rng.standard_normal((n, 2))
    y = X @ np.array([1.0, 0.8]) + 0.5 * rng.standard_normal(n)
    cols = {"ok": X[:, 0], "bad": X[:, 1]}
    meta = {"ok": feat(1), "bad": feat(-1)}
    cases.append(model_case("wrong_sign", "expected sign violated", y, cols, meta, n))

    # 14. Full dummy set with no seasonality -> fails Group Driver F-Test.
    rng = np.random.default_rng(1415)
    n = 96
    d = month_dummies(n, 0, range(2, 13))
    x = rng.standard_normal(n)
    y = 1.0 + 1.0 * x + 0.3 * rng.standard_normal(n)
    cols = dict(d)
    cols["x"] = x
    meta = {k: feat(0, True, 7) for k in d}
    meta["x"] = feat(1)
    cases.append(model_case("group_f_fail", "full dummy set without seasonality", y, cols, meta, n))

    # 15. Exact collinearity (x3 = x1 + x2) -> rank deficient -> Multicollinearity.
    rng = np.random.default_rng(1515)
    n = 80
    X = rng.standard_normal((n, 2))
    y = 1.0 + X @ np.array([1.0, 1.0]) + 0.3 * rng.standard_normal(n)
    cols = {"r1": X[:, 0], "r2": X[:, 1], "r3": X[:, 0] + X[:, 1]}
    meta = {"r1": feat(), "r2": feat(), "r3": feat()}
    cases.append(model_case("rank_deficient", "exact linear dependence", y, cols, meta, n))

    # 16. Non-stationary target, a stationary driver next to a random walk -> Y-X Cointegration fails.
    rng = np.random.default_rng(1617)
    n = 160
    x = np.cumsum(rng.standard_normal(n)) + 20.0
    z = rng.standard_normal(n)
    y = 1.0 + 1.1 * x + 0.8 * z + 0.5 * rng.standard_normal(n)
    cols = {"rw2_LV": x, "st_LV": z}
    meta = {"rw2_LV": feat(1), "st_LV": feat(1)}
    cases.append(model_case("coint_fail", "stationary driver with non-stationary target", y, cols, meta, n))

    return cases


def build_unitroot():
    series = []
    rng = np.random.default_rng(42)
    series.append(("random_walk", np.cumsum(rng.standard_normal(200))))
    series.append(("ar1_stationary", ar1(rng, 213, 0.5)))
    series.append(("ar1_near_unit", ar1(rng, 150, 0.95)))
    series.append(("trend_noise", 0.05 * np.arange(120) + rng.standard_normal(120)))
    series.append(("white_noise_short", rng.standard_normal(30)))
    series.append(("tiny_12", rng.standard_normal(12)))
    t = np.arange(240)
    series.append(("smooth_seasonal", np.sin(t / 7.0) + 0.01 * rng.standard_normal(240)))
    series.append(("large_level", 1.0e5 + np.cumsum(rng.standard_normal(100))))
    series.append(("ma_errors", np.convolve(rng.standard_normal(301), [1, 0.8, 0.5], "valid")[:300]))
    out = []
    for name, x in series:
        a, ae = safe(adf_dict, x)
        p, pe = safe(pp_dict, x)
        out.append(
            {
                "name": name,
                "x": nums(x),
                "adf": a,
                "adf_error": ae,
                "pp": p,
                "pp_error": pe,
            }
        )
    stats = [-25.0, -18.0, -6.0, -4.1, -3.3, -2.86, -1.61, -1.6, -1.0, 0.0, 1.5, 2.7, 3.0]
    mp = [{"stat": s, "pvalue": num(mackinnonp(s, regression="c", N=1))} for s in stats]
    crit = [{"nobs": T, "crit": nums(mackinnoncrit(N=1, regression="c", nobs=T))} for T in (10, 25, 100, 197, 500)]
    return {"series": out, "mackinnonp": mp, "mackinnoncrit": crit}


def main():
    os.makedirs(OUT, exist_ok=True)
    versions = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "arch": arch.__version__,
    }
    models = build_models()
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump({"versions": versions, "cases": models}, f, indent=1)
    with open(os.path.join(OUT, "unitroot.json"), "w") as f:
        json.dump({"versions": versions, **build_unitroot()}, f, indent=1)
    for c in models:
        e = c["expected"]
        print(f"{c['name']:24s} {e['outcome']}  dw={e['dw']:.3f} bg={e['bg1']['pvalue']:.3g} "
              f"bp={e['bp']['pvalue']:.3g} white={e['white']['pvalue']:.3g} ts={c['target_stationary']}")


if __name__ == "__main__":
    main()
