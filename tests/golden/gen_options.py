"""Golden values for the modelling options of docs/semantics.md §9 (tests/it/options.rs),
computed independently with pandas, numpy, scipy, statsmodels and arch:

- the transform catalogue: ABSGR(p) = |x / x[t-p] - 1|, ROLLAVG(w) = pandas' rolling(w).mean(),
  DEVROLL(w) = x - ROLLAVG(x, w), the lag applied first;
- fits with the outlier dates dropped (statsmodels on the remaining in-sample rows): the
  covariance choice of §5, coefficients, (robust) standard errors, p-values and every reported
  test (R², adjusted R², Durbin-Watson, Breusch-Godfrey, Breusch-Pagan, White, Jarque-Bera,
  Cramer-von Mises, VIFs, ADF and Phillips-Perron of the residuals, in- and out-of-sample
  errors);
- the same models refitted on the full sample (in-sample and out-of-sample rows, outliers
  still dropped) with the same covariance rule;
- a ratio target converted by hand: the modelled series is the growth of realcons / pop, a
  fitted level is the fitted ratio (from the actual ratio a quarter earlier) times pop, a
  scenario level is the ratio path compounded from p0 times the scenario's pop path.

The search these come from is tests/golden/data/options/options.toml (written here), on the
bundled demo's data: a ratio target, outlier dates, the [transforms] table with a new type
(`spread`, for tbilrate), windows, a one_of set, and scenarios projected by the full-sample fit.

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels arch scipy pandas numpy
    python tests/golden/gen_options.py
Writes tests/golden/options.json and tests/golden/data/options/.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats as st
import statsmodels.api as sm
from arch.unitroot import PhillipsPerron
from statsmodels.stats.diagnostic import acorr_breusch_godfrey, het_breuschpagan, het_white
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tsa.stattools import adfuller

root = Path(__file__).resolve().parents[2]
demo = root / "examples" / "demo" / "data"
outdir = root / "tests" / "golden" / "data" / "options"
outdir.mkdir(parents=True, exist_ok=True)

IN_START, IN_END, FULL_END = "1961-03-31", "2004-12-31", "2009-09-30"
OUTLIERS = ["1980-06-30", "2001-09-30"]
P0 = "2009-09-30"
HORIZON = 8


def read(path):
    return pd.read_csv(path, parse_dates=["date"]).set_index("date")


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def nums(v):
    return [num(x) for x in np.asarray(v, dtype=float).ravel()]


# ---------------------------------------------------------------------------------------------
# the search

metadata = (demo / "metadata.csv").read_text().replace("tbilrate,rate,", "tbilrate,spread,")
(outdir / "metadata.csv").write_text(metadata)
(outdir / "options.toml").write_text(f'''# A search using every modelling option of docs/semantics.md §9, on the demo's data (written by
# tests/golden/gen_options.py; checked by tests/it/options.rs).
[data]
target_table = {{ path = "../../../../examples/demo/data/consumption.csv", date_column = "date" }}
mev_tables = [{{ path = "../../../../examples/demo/data/macro.csv" }}]
metadata = "metadata.csv"

[target]
column = "realcons"
transform = "GR"
period = 1
exposure = "pop"          # modelled: growth of consumption per head

[sample]
in_start = "{IN_START}"
in_end = "{IN_END}"
full_end = "{FULL_END}"
outliers = {json.dumps(OUTLIERS)}

[search]
pool = ["realgdp", "realinv", "unemp", "infl", "tbilrate", "realint", "dummies(Q)"]
one_of = [["tbilrate", "realint"]]
max_vars = 3
max_lag = 1
windows = [4, 6]

[transforms]
level = ["LV", "GR", "ABSGR", "ROLLAVG"]
spread = ["LV", "DF", "DEVROLL"]

[scenarios]
p0 = "{P0}"
horizon = {HORIZON}
fit = "full"
set = [
    {{ name = "Base", tables = [{{ path = "../../../../examples/demo/data/scenario_base.csv" }}] }},
    {{ name = "Adverse", tables = [{{ path = "../../../../examples/demo/data/scenario_adverse.csv" }}] }},
]
''')

cons = read(demo / "consumption.csv")
macro = read(demo / "macro.csv")
df = cons.join(macro)
dates = df.index


# ---------------------------------------------------------------------------------------------
# the transform catalogue, by pandas


def transform(x, kind, p, lag):
    """f(x[t - lag], p) as docs/semantics.md §2 and §9 define it."""
    x = x.shift(lag)
    if kind == "LV":
        return x
    if kind == "DF":
        return x - x.shift(p)
    if kind == "GR":
        return x / x.shift(p) - 1.0
    if kind == "ABSGR":
        return (x / x.shift(p) - 1.0).abs()
    if kind == "ROLLAVG":
        return x.rolling(p).mean()
    if kind == "DEVROLL":
        return x - x.rolling(p).mean()
    raise ValueError(kind)


def parse(name):
    """(base, transform, period, lag) of a variant name such as realinv_QQABSGR2_L1."""
    lag = 0
    parts = name.split("_")
    if parts[-1].startswith("L") and parts[-1][1:].isdigit():
        lag = int(parts[-1][1:])
        parts = parts[:-1]
    code = parts[-1]
    base = "_".join(parts[:-1])
    if code == "LV":
        return base, "LV", 1, lag
    body = code[2:]
    for kind in ("ABSGR", "ROLLAVG", "DEVROLL", "DF", "GR"):
        if body.startswith(kind):
            digits = body[len(kind):]
            return base, kind, int(digits) if digits else 1, lag
    raise ValueError(name)


def column(name):
    if name.startswith("Q:"):
        return pd.Series((dates.quarter == int(name[2:])).astype(float), index=dates)
    return transform(df[parse(name)[0]], *parse(name)[1:])


catalogue = [
    "realgdp_QQABSGR", "realgdp_QQABSGR2_L1", "realinv_QQABSGR_L1", "realgdp_QQROLLAVG4",
    "realinv_QQROLLAVG6_L1", "tbilrate_QQDEVROLL4", "tbilrate_QQDEVROLL6_L1", "tbilrate_QQDF",
]
golden = {
    "dates": [d.strftime("%Y-%m-%d") for d in dates],
    "transforms": {name: nums(column(name)) for name in catalogue},
}

# ---------------------------------------------------------------------------------------------
# fits with the outlier dates dropped, and on the full sample

ratio = df["realcons"] / df["pop"]
y = ratio / ratio.shift(1) - 1.0
window = (dates >= IN_START) & (dates <= IN_END)
full = (dates >= IN_START) & (dates <= FULL_END)
outlier = dates.isin(pd.to_datetime(OUTLIERS))
fit_rows = window & ~outlier
oos_rows = full & ~window
full_rows = full & ~outlier


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


def fit(features, rows, oos=None):
    """statsmodels' fit on `rows` with §5's covariance choice, and every reported test."""
    X = sm.add_constant(pd.DataFrame({f: column(f) for f in features})[rows], has_constant="add")
    yy = y[rows]
    n, p = X.shape
    plain = sm.OLS(yy, X).fit()
    resid = plain.resid.to_numpy()
    dw = durbin_watson(resid)
    bg, bg_p, _, _ = acorr_breusch_godfrey(plain, nlags=1)
    bp, bp_p, _, _ = het_breuschpagan(resid, X, robust=True)
    Xc = np.column_stack([np.ones(n), X.to_numpy()[:, 1:] - X.to_numpy()[:, 1:].mean(axis=0)])
    white, white_p, _, _ = het_white(resid, Xc)
    if not (1.5 <= dw <= 2.5) and bg_p <= 0.10:
        cov = "HAC"
        model = sm.OLS(yy, X).fit(
            cov_type="HAC", cov_kwds={"maxlags": hac_lags(n), "use_correction": False},
            use_t=True)
    elif bp_p <= 0.05 and white_p <= 0.05:
        cov = "HC1"
        model = sm.OLS(yy, X).fit(cov_type="HC1", use_t=True)
    else:
        cov = "nonrobust"
        model = plain
    jb, jb_p, _, _ = jarque_bera(resid)
    w = st.cramervonmises(resid, "norm", args=(resid.mean(), resid.std(ddof=1))).statistic
    adf = adfuller(resid, regression="c", autolag="AIC")
    pp = PhillipsPerron(resid, trend="c", test_type="tau")
    out = {
        "features": features,
        "nobs": int(n),
        "cov_type": cov,
        "params": nums(model.params),
        "bse": nums(model.bse),
        "pvalues": nums(model.pvalues),
        "r2": num(plain.rsquared),
        "adj_r2": num(plain.rsquared_adj),
        "dw": num(dw),
        "bg": [num(bg), num(bg_p)],
        "bp": [num(bp), num(bp_p)],
        "white": [num(white), num(white_p)],
        "jb": [num(jb), num(jb_p)],
        "cvm": [num(w), num(cvm_pvalue(w, n))],
        "vif": [num(variance_inflation_factor(X.to_numpy(), i)) for i in range(1, p)],
        "resid_adf": [num(adf[0]), num(adf[1])],
        "resid_pp": [num(pp.stat), num(pp.pvalue)],
        "is_mae": num(np.mean(np.abs(resid))),
        "is_rmse": num(np.sqrt(np.mean(resid**2))),
        "is_max_abs_error": num(np.max(np.abs(resid))),
    }
    if oos is not None:
        Xo = sm.add_constant(pd.DataFrame({f: column(f) for f in features})[oos],
                             has_constant="add")
        e = (y[oos] - Xo.to_numpy() @ model.params.to_numpy()).to_numpy()
        out["oos_mae"] = num(np.mean(np.abs(e)))
        out["oos_rmse"] = num(np.sqrt(np.mean(e**2)))
        out["oos_max_abs_error"] = num(np.max(np.abs(e)))
    print(f"{features}: n = {n}, {cov}, R² {plain.rsquared:.4f}")
    return out, model


models = {
    # In spec order (rule S: dummies first, then features by name), as the journal keeps them.
    "rates": ["infl_LV_L1", "realgdp_QQGR", "tbilrate_QQDEVROLL4_L1"],
    "investment": ["Q:2", "Q:3", "Q:4", "realinv_QQABSGR", "unemp_QQDF"],
}
golden["models"] = {}
for name, features in models.items():
    in_fit, in_model = fit(features, fit_rows, oos_rows)
    full_fit, full_model = fit(features, full_rows)
    # A ratio target's levels by hand: the fitted ratio (last quarter's actual ratio times one
    # plus the fitted growth) times pop, on every date of the in-sample and out-of-sample
    # windows (outliers included: the level is shown there, the row is not fitted).
    X = sm.add_constant(pd.DataFrame({f: column(f) for f in features})[full], has_constant="add")
    fitted = X.to_numpy() @ in_model.params.to_numpy()
    prior = ratio.shift(1)[full].to_numpy()
    levels = prior * (1.0 + fitted) * df["pop"][full].to_numpy()
    golden["models"][name] = {
        "in_sample": in_fit,
        "full_sample": full_fit,
        "level_dates": [d.strftime("%Y-%m-%d") for d in dates[full]],
        "level_actual": nums(df["realcons"][full]),
        "level_fitted": nums(levels),
    }

    # Scenario levels by hand, projected by the full-sample fit ([scenarios] fit = "full"):
    # features from history up to p0 and the scenario after it, the ratio compounded from its
    # actual value at p0, each level the ratio times the scenario's pop.
    p0 = pd.Timestamp(P0)
    hist = df.loc[:p0]
    scen = {}
    for s_name, path in (("Base", "scenario_base.csv"), ("Adverse", "scenario_adverse.csv")):
        s = read(demo / path)
        fdates = pd.date_range(p0 + pd.offsets.QuarterEnd(1), periods=HORIZON, freq="QE")
        fdates = fdates[fdates <= s.index.max()]
        combined = pd.concat([hist[macro.columns], s.loc[fdates, macro.columns]])
        cols = {}
        for f in features:
            if f.startswith("Q:"):
                cols[f] = (combined.index.quarter == int(f[2:])).astype(float)
            else:
                cols[f] = transform(combined[parse(f)[0]], *parse(f)[1:]).to_numpy()
        Xs = np.column_stack([np.ones(len(combined))] + [cols[f] for f in features])
        rows = [combined.index.get_loc(d) for d in fdates]
        pred = Xs[rows] @ full_model.params.to_numpy()
        r = ratio[p0]
        path_levels = []
        for g, pop in zip(pred, s.loc[fdates, "pop"]):
            r = r * (1.0 + g)
            path_levels.append(r * pop)
        scen[s_name] = {
            "dates": [d.strftime("%Y-%m-%d") for d in fdates],
            "transform": nums(pred),
            "levels": nums(path_levels),
        }
    golden["models"][name]["scenarios"] = scen

(root / "tests" / "golden" / "options.json").write_text(json.dumps(golden, indent=1) + "\n")
print("wrote tests/golden/options.json")
