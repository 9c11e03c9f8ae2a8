#!/usr/bin/env python3
"""Golden values for the model report's summary statistics (stats/summary.rs): what
statsmodels' OLSResults.summary() prints beyond the search's own statistics.

Regenerate (from the repository root), in a throw-away virtual environment:

    python3 -m venv /tmp/golden-venv
    /tmp/golden-venv/bin/pip install statsmodels scipy numpy
    /tmp/golden-venv/bin/python crates/specsearch-core/tests/golden/gen_report_stats.py

Writes crates/specsearch-core/tests/golden/stats/report.json: for each case its inputs (y and
the columns of X, generated here from fixed numpy seeds) and, for each covariance type, the
numbers of `sm.OLS(y, sm.add_constant(X)).fit(cov_type=..., use_t=True)`: fvalue, f_pvalue,
llf, aic, bic, df_resid, df_model, conf_int(alpha) at 0.05 and 0.10, cov_params(),
condition_number, and the residuals' skew, kurtosis and omnibus (statsmodels' jarque_bera and
omni_normtest, exactly what summary() prints).
"""

import json
import math
import os

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.stattools import jarque_bera, omni_normtest

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats", "report.json")


def hac_lags(n):
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def fit_case(y, X):
    exog = sm.add_constant(np.column_stack(X)) if X else np.ones((len(y), 1))
    out = {}
    for cov in ["nonrobust", "HC1", "HAC"]:
        kw = {}
        if cov == "HAC":
            kw = {"cov_kwds": {"maxlags": hac_lags(len(y)), "use_correction": False}}
        r = sm.OLS(y, exog).fit(cov_type=cov, use_t=True, **kw)
        jb, jbp, skew, kurt = jarque_bera(r.resid)
        omni, omnip = omni_normtest(r.resid)
        out[cov] = {
            "params": r.params.tolist(),
            "bse": r.bse.tolist(),
            "fvalue": float(r.fvalue) if X else None,
            "f_pvalue": float(r.f_pvalue) if X else None,
            "llf": float(r.llf),
            "aic": float(r.aic),
            "bic": float(r.bic),
            "df_resid": float(r.df_resid),
            "df_model": float(r.df_model),
            "conf_int_05": r.conf_int(0.05).tolist(),
            "conf_int_10": r.conf_int(0.10).tolist(),
            "cov": r.cov_params().tolist(),
            "condition_number": float(r.condition_number),
            "skew": float(skew),
            "kurtosis": float(kurt),
            "omnibus": float(omni),
            "omnibus_pvalue": float(omnip),
        }
    return out


def main():
    cases = {}
    rng = np.random.default_rng(20240613)
    # A macro-like design: three drivers, AR(1) errors (so HAC matters), n = 120.
    n = 120
    x1 = rng.standard_normal(n).cumsum() * 0.1
    x2 = rng.standard_normal(n)
    x3 = 0.5 * x2 + rng.standard_normal(n)
    e = np.zeros(n)
    for t in range(1, n):
        e[t] = 0.5 * e[t - 1] + rng.standard_normal()
    y = 1.0 + 0.8 * x1 - 0.3 * x2 + 0.2 * x3 + e * 0.5
    cases["three_drivers"] = {"y": y.tolist(), "x": [x1.tolist(), x2.tolist(), x3.tolist()]}
    # Heteroscedastic errors with skewed (chi-squared) shocks and different column scales.
    n = 60
    z1 = rng.uniform(0, 10, n)
    z2 = rng.standard_normal(n) * 100.0 + 1000.0
    u = (rng.chisquare(3, n) - 3.0) * (0.2 + 0.1 * z1)
    y = 2.0 + 0.5 * z1 + 0.01 * z2 + u
    cases["skewed_hetero"] = {"y": y.tolist(), "x": [z1.tolist(), z2.tolist()]}
    # One driver, small sample (the omnibus test's minimum is 8).
    n = 12
    w = np.arange(n, dtype=float) + rng.standard_normal(n) * 0.3
    y = 0.5 * w + rng.standard_normal(n)
    cases["one_driver_small"] = {"y": y.tolist(), "x": [w.tolist()]}

    for c in cases.values():
        c["expected"] = fit_case(np.array(c["y"]), [np.array(x) for x in c["x"]])
        c["hac_lags"] = hac_lags(len(c["y"]))
    doc = {
        "generator": "gen_report_stats.py",
        "versions": {
            "statsmodels": statsmodels.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
        },
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
