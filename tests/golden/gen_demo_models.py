"""Golden values for whole-pipeline checks on the bundled demo: data preparation, transforms,
dummies and the fit, computed independently with pandas and statsmodels.

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels pandas numpy
    python tests/golden/gen_demo_models.py
Writes tests/golden/demo_models.json, read by tests/it/show_model.rs.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_breusch_godfrey, het_breuschpagan, het_white
from statsmodels.stats.stattools import durbin_watson

root = Path(__file__).resolve().parents[2]
data = root / "examples" / "demo" / "data"
cons = pd.read_csv(data / "consumption.csv", parse_dates=["date"]).set_index("date")
macro = pd.read_csv(data / "macro.csv", parse_dates=["date"]).set_index("date")
df = cons.join(macro)

y = df["realcons"] / df["realcons"].shift(1) - 1.0
cols = {
    "realgdp_QQGR": df["realgdp"] / df["realgdp"].shift(1) - 1.0,
    "realdpi_QQGR4": df["realdpi"] / df["realdpi"].shift(4) - 1.0,
    "tbilrate_QQDF_L1": (df["tbilrate"] - df["tbilrate"].shift(1)).shift(1),
    "unemp_QQDF": df["unemp"] - df["unemp"].shift(1),
}
quarter = df.index.quarter
for q in (2, 3, 4):
    cols[f"Q:{q}"] = (quarter == q).astype(float)
X_all = pd.DataFrame(cols, index=df.index)
in_sample = (df.index >= "1961-03-31") & (df.index <= "2004-12-31")

models = {
    "gdp_dpi_tbill": ["realgdp_QQGR", "realdpi_QQGR4", "tbilrate_QQDF_L1"],
    "quarters_gdp_unemp": ["Q:2", "Q:3", "Q:4", "realgdp_QQGR", "unemp_QQDF"],
}
out = {}
for name, features in models.items():
    X = sm.add_constant(X_all.loc[in_sample, features])
    plain = sm.OLS(y[in_sample], X).fit()
    # The covariance choice of docs/semantics.md §5, from the non-robust fit.
    dw = float(durbin_watson(plain.resid))
    bg_p = acorr_breusch_godfrey(plain, nlags=1)[1]
    if not (1.5 <= dw <= 2.5) and bg_p <= 0.10:
        n = len(X)
        fit = sm.OLS(y[in_sample], X).fit(
            cov_type="HAC", cov_kwds={"maxlags": int(4 * (n / 100) ** (2 / 9)), "use_correction": False}, use_t=True)
        cov = "HAC"
    elif het_breuschpagan(plain.resid, X, robust=True)[1] <= 0.05 and het_white(plain.resid, X)[1] <= 0.05:
        fit = sm.OLS(y[in_sample], X).fit(cov_type="HC1", use_t=True)
        cov = "HC1"
    else:
        fit, cov = plain, "nonrobust"
    out[name] = {
        "features": features,
        "cov_type": cov,
        "nobs": int(fit.nobs),
        "params": fit.params.tolist(),
        "bse": fit.bse.tolist(),
        "pvalues": fit.pvalues.tolist(),
        "rsquared": fit.rsquared,
        "rsquared_adj": fit.rsquared_adj,
        "durbin_watson": dw,
    }
(root / "tests" / "golden" / "demo_models.json").write_text(json.dumps(out, indent=1) + "\n")
print("wrote", len(out), "models")
