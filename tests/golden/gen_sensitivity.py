"""Golden values for the sensitivity, attribution and prediction intervals of a model's scenario
forecasts (tests/it/sensitivity.rs; docs/semantics.md §10), computed independently with pandas,
numpy and statsmodels:

- fit the model with statsmodels (`OLS(...).fit(cov_type=..., use_t=True)`; HAC with statsmodels'
  Bartlett kernel, maxlags floor(4 (n/100)^(2/9)), no small-sample correction);
- build its scenario features from history up to p0 and the scenario after it (lags, differences
  and growth rates reaching back into history), predict the transform (drivers `lead` periods
  before each forecast date);
- shock each feature alone in every scenario: the coefficient by ±k·SE (k in [1]), the feature by
  ±k·σ (k in [1, 2, 3], σ = the in-sample column's std with ddof 1), recompute the level path
  (LV as is, DF accumulated, GR compounded from the actual levels), the quarterly path (mean of
  the months for a monthly target, P0 = the quarter of p0) and the statistics;
- attribution: each term's contribution β·x per period, and per feature the outcome at P9 (PH
  when shorter) with the feature held at its p0 value after p0, minus the scenario's;
- prediction intervals: `get_prediction(X_future).summary_frame(alpha=0.10)` `obs_ci_lower` and
  `obs_ci_upper` (the 5% and 95% quantiles of the transform's prediction, Student-t, with the
  fit's covariance).

Three cases: a monthly growth target with a lead of 1 (HAC), on the synthetic monthly data of
tests/golden/data/scenarios/ (written by gen_scenarios.py); a quarterly difference target (HC1)
and a quarterly level target (nonrobust) on the bundled demo. The JSON carries each case's
settings (target, sample, p0, horizon, features, covariance) so the Rust test builds the same
search, and statsmodels' coefficients and SEs, which the test uses (the forecast chain is
compared at 1e-10; specsearch's own fit is checked against them separately).

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels pandas numpy
    python tests/golden/gen_sensitivity.py
Writes tests/golden/sensitivity.json.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

root = Path(__file__).resolve().parents[2]
demo = root / "examples" / "demo" / "data"
monthly_dir = root / "tests" / "golden" / "data" / "scenarios"

COEFFICIENT_SHOCKS = [1.0]
DRIVER_SHOCKS = [1.0, 2.0, 3.0]
ALPHA = 0.10  # the 5% and 95% quantiles


def transform(x, kind, period, lag):
    """f(x[t - lag], period) as docs/semantics.md §2 defines it."""
    x = x.shift(lag)
    if kind == "LV":
        return x
    if kind == "DF":
        return x - x.shift(period)
    return x / x.shift(period) - 1.0


def parse(name):
    """(base, transform, period, lag) of a variant name such as unemp_QQDF_L1, x1_MMGR12."""
    lag = 0
    parts = name.split("_")
    if parts[-1].startswith("L") and parts[-1][1:].isdigit():
        lag = int(parts[-1][1:])
        parts = parts[:-1]
    code = parts[-1]
    base = "_".join(parts[:-1])
    if code == "LV":
        return base, "LV", 1, lag
    kind = code[2:4]
    period = int(code[4:]) if len(code) > 4 else 1
    return base, kind, period, lag


def hac_lags(n):
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def to_levels(kind, period, history, pred):
    levels = []
    for g in pred:
        series = history + levels
        if kind == "LV":
            levels.append(g)
        elif kind == "DF":
            levels.append(series[len(series) - period] + g)
        else:
            levels.append(series[len(series) - period] * (1.0 + g))
    return levels


def quarterly_of(freq, history, levels):
    if freq == "M":
        months = history[-3:] + levels
        k = len(months) // 3
        return np.array(months[: 3 * k]).reshape(k, 3).mean(axis=1).tolist()
    return [history[-1]] + levels


def statistics(P):
    stats = {"p0": P[0], "last": P[-1]}
    for q in (4, 9, 12):
        if q < len(P):
            stats[f"p{q}"] = P[q]
            stats[f"cagr_{q}q"] = (P[q] / P[0]) ** (4.0 / q) - 1.0 if P[q] > 0 and P[0] > 0 else None
    if 9 < len(P):
        stats["change_9q"] = P[9] - P[0]
        stats["pct_change_9q"] = P[9] / P[0] - 1.0
    stats["outcome_9q"] = P[9] if 9 < len(P) else P[-1]
    return stats


def case(name, target_frame, mevs, scenarios, target, features, sample, p0, horizon, freq,
         cov, base="Base"):
    col, kind, period, lead = target
    df = target_frame.join(mevs)
    y = transform(df[col], kind, period, 0).shift(-lead)
    X = pd.DataFrame({f: transform(df[parse(f)[0]], *parse(f)[1:]) for f in features})
    ins = (df.index >= sample[0]) & (df.index <= sample[1])
    exog = sm.add_constant(X[ins])
    n = int(ins.sum())
    kw = {}
    if cov == "HAC":
        kw = {"cov_kwds": {"maxlags": hac_lags(n), "use_correction": False}}
    fit = sm.OLS(y[ins], exog).fit(cov_type=cov, use_t=True, **kw)
    params = fit.params.to_numpy()
    bse = fit.bse.to_numpy()
    sigma = X[ins].std(ddof=1).to_numpy()

    p0 = pd.Timestamp(p0)
    hist = df.loc[:p0]
    history = list(hist[col].to_numpy())
    step = pd.offsets.MonthEnd(1) if freq == "M" else pd.offsets.QuarterEnd(1)
    periods = horizon * (3 if freq == "M" else 1)
    designs = {}
    for s_name, s_frame in scenarios.items():
        last = min(p0 + periods * step, s_frame.index.max())
        dates = pd.date_range(p0 + step, last, freq="ME" if freq == "M" else "QE")
        combined = pd.concat([hist[mevs.columns], s_frame.loc[dates, mevs.columns]])
        Xs = pd.DataFrame(
            {f: transform(combined[parse(f)[0]], *parse(f)[1:]) for f in features})
        rows = [combined.index.get_loc(d) - lead for d in dates]
        designs[s_name] = (dates, Xs, rows)

    def path(pred):
        levels = to_levels(kind, period, history, list(pred))
        quarterly = quarterly_of(freq, history, levels)
        return {"transform": list(map(float, pred)), "levels": levels, "quarterly": quarterly,
                "stats": statistics(quarterly)}

    def predict(Xs, rows):
        return params[0] + Xs.iloc[rows].to_numpy() @ params[1:]

    out = {
        "target": {"column": col, "transform": kind, "period": period, "lead": lead},
        "frequency": freq, "sample": list(sample), "p0": p0.strftime("%Y-%m-%d"),
        "horizon": horizon, "scenarios_order": list(scenarios), "base": base, "cov_type": cov,
        "features": features, "params": params.tolist(), "bse": bse.tolist(),
        "sigma": sigma.tolist(), "nobs": n, "df_resid": float(fit.df_resid),
        "scale": float(fit.scale), "scenarios": {}, "shocked": [],
    }
    unshocked = {}
    for s_name, (dates, Xs, rows) in designs.items():
        yhat = predict(Xs, rows)
        p = path(yhat)
        unshocked[s_name] = p
        # Prediction intervals of the transform with the fit's covariance.
        exog_f = sm.add_constant(Xs.iloc[rows], has_constant="add")
        frame = fit.get_prediction(exog_f).summary_frame(alpha=ALPHA)
        # Attribution: contributions and the frozen-feature effects.
        terms = [{"feature": "const", "contribution": [float(params[0])] * len(rows)}]
        for i, f in enumerate(features):
            x = Xs[f].iloc[rows].to_numpy()
            frozen = Xs.copy()
            frozen.loc[frozen.index > p0, f] = Xs.loc[p0, f]
            pf = path(predict(frozen, rows))
            terms.append({
                "feature": f,
                "values": x.tolist(),
                "contribution": (params[i + 1] * x).tolist(),
                "effect_9q": pf["stats"]["outcome_9q"] - p["stats"]["outcome_9q"],
            })
        out["scenarios"][s_name] = {
            "dates": [d.strftime("%Y-%m-%d") for d in dates],
            "path": p,
            "interval_05": frame["obs_ci_lower"].tolist(),
            "interval_95": frame["obs_ci_upper"].tolist(),
            "mean_se": frame["mean_se"].tolist(),
            "attribution": terms,
        }
    for s in out["scenarios"].values():
        s["path"]["pct_diff_base"] = (
            s["path"]["stats"]["outcome_9q"] / unshocked[base]["stats"]["outcome_9q"] - 1.0)

    signed = lambda ks: [-k for k in sorted(ks, reverse=True)] + sorted(ks)
    for i, f in enumerate(features):
        shocks = [("coefficient", k) for k in signed(COEFFICIENT_SHOCKS)]
        if sigma[i] > 0:
            shocks += [("driver", k) for k in signed(DRIVER_SHOCKS)]
        for kind_, k in shocks:
            group = {}
            for s_name, (dates, Xs, rows) in designs.items():
                yhat = np.array(unshocked[s_name]["transform"])
                x = Xs[f].iloc[rows].to_numpy()
                if kind_ == "coefficient":
                    shocked = yhat + k * bse[i + 1] * x
                else:
                    shocked = yhat + params[i + 1] * k * sigma[i]
                group[s_name] = path(shocked)
            for s_name, p in group.items():
                p["pct_diff_base"] = (p["stats"]["outcome_9q"]
                                      / group[base]["stats"]["outcome_9q"] - 1.0)
                out["shocked"].append(
                    {"feature": f, "shock": kind_, "k": k, "scenario": s_name, "path": p})
    print(f"{name}: R² {fit.rsquared:.3f}, cov {cov}, {len(out['shocked'])} shocked paths")
    return out


def read(path):
    return pd.read_csv(path, parse_dates=["date"]).set_index("date")


golden = {}
golden["monthly_gr_lead"] = case(
    "monthly_gr_lead", read(monthly_dir / "monthly_target.csv"),
    read(monthly_dir / "monthly_mevs.csv"),
    {k: read(monthly_dir / f"monthly_{k.lower()}.csv") for k in ("Base", "Stress")},
    ("balance", "GR", 12, 1), ["x1_MMGR12", "r1_MMDF3_L1"], ("2002-01-31", "2017-12-31"),
    "2019-12-31", 12, "M", "HAC")

cons = read(demo / "consumption.csv")
macro = read(demo / "macro.csv")
demo_scen = {
    "Base": read(demo / "scenario_base.csv"),
    "Adverse": read(demo / "scenario_adverse.csv"),
    "Severe": read(root / "tests" / "fixtures" / "scenario_severe.csv"),
}
sample = ("1961-03-31", "2004-12-31")
golden["quarterly_df"] = case(
    "quarterly_df", cons, macro, demo_scen, ("realcons", "DF", 1, 0),
    ["realgdp_QQGR", "unemp_LV_L1"], sample, "2009-09-30", 12, "Q", "HC1")
golden["quarterly_lv"] = case(
    "quarterly_lv", cons, macro, {k: demo_scen[k] for k in ("Base", "Severe")},
    ("realcons", "LV", 1, 0), ["realdpi_LV", "unemp_QQDF2_L1"], sample, "2009-09-30", 9, "Q",
    "nonrobust")

(root / "tests" / "golden" / "sensitivity.json").write_text(json.dumps(golden, indent=1))
print("wrote tests/golden/sensitivity.json")
