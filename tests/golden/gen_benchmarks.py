"""Golden values for the benchmarks and the incumbent of docs/semantics.md §13
(tests/it/benchmarks.rs), computed independently with pandas, numpy and statsmodels on the
bundled demo's data (1961Q1-2004Q4 in sample, 2005Q1-2009Q3 out of sample, p0 2009Q3, the
demo's Base / Adverse / Severe scenarios, Severe from its CSV twin):

- no change: prediction 0 for a growth target, the previous level for a level target; its
  in-sample and out-of-sample errors, R² (1 - SSR/TSS) and Durbin-Watson; a flat level path;
- historical mean: statsmodels OLS on a constant; the mean compounded over the horizon;
- AR(1) of the target transform: statsmodels OLS of y_t on [1, y_{t-1}] with the covariance
  docs/semantics.md §5 chooses (DW / Breusch-Godfrey -> HAC, Breusch-Pagan and White -> HC1,
  else non-robust); one-step out-of-sample predictions on the actual lag; the recursive
  projection tau_k = c + phi * tau_{k-1} from the actual transform at p0, its levels and the
  scenario statistics;
- forced items only: statsmodels OLS on the quarter dummies (Q:2..Q:4);
- an incumbent with given coefficients: fitted values and scenario levels by plain arithmetic;
- §12's backtest summary of each (default jump-offs: every quarter end from 1961Q1 with nine
  quarters of actual level after it, up to 2009Q3): from each jump-off the transform path
  (the constant; the AR(1) recursively from the actual transform at the jump-off; the forced
  dummies' and the incumbent's fitted values on actual drivers; no change as a flat level),
  levels compounded from the jump-off's actual level, |predicted / actual - 1| by step
  averaged over the jump-offs (all, in-sample up to 2004Q4, out-of-sample after), the worst
  jump-off and the share whose 9-quarter change has the actual's sign.

Two targets: quarterly growth (GR) of realcons and its level (LV).

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels pandas numpy
    python tests/golden/gen_benchmarks.py
Writes tests/golden/benchmarks.json.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_breusch_godfrey, het_breuschpagan, het_white
from statsmodels.stats.stattools import durbin_watson

root = Path(__file__).resolve().parents[2]
demo = root / "examples" / "demo" / "data"


def read(path):
    return pd.read_csv(path, parse_dates=["date"]).set_index("date")


cons = read(demo / "consumption.csv")
macro = read(demo / "macro.csv")
scenarios = {
    "Base": read(demo / "scenario_base.csv"),
    "Adverse": read(demo / "scenario_adverse.csv"),
    "Severe": read(root / "tests" / "fixtures" / "scenario_severe.csv"),
}
IN = ("1961-03-31", "2004-12-31")
OOS_END = "2009-09-30"
P0 = pd.Timestamp("2009-09-30")
H = 12


def fit_with_rule(y, X):
    """statsmodels OLS with the covariance docs/semantics.md §5 chooses."""
    res = sm.OLS(y, X).fit()
    n = len(y)
    cov = "nonrobust"
    dw = durbin_watson(res.resid)
    if not (1.5 <= dw <= 2.5):
        if acorr_breusch_godfrey(res, nlags=1, result_object=False)[1] <= 0.10:
            cov = "HAC"
    # (Breusch-Pagan and White need a regressor besides the constant.)
    if cov == "nonrobust" and X.shape[1] > 1:
        bp = het_breuschpagan(res.resid, X, robust=True)[1]
        if bp <= 0.05 and het_white(res.resid, X)[1] <= 0.05:
            cov = "HC1"
    if cov == "HAC":
        lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
        res = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False},
                              use_t=True)
    elif cov == "HC1":
        res = sm.OLS(y, X).fit(cov_type="HC1", use_t=True)
    return res, cov, dw


def errors(e):
    e = np.asarray(e, dtype=float)
    e = e[np.isfinite(e)]
    return {"mae": float(np.mean(np.abs(e))), "rmse": float(np.sqrt(np.mean(e * e))),
            "max_abs": float(np.max(np.abs(e))), "n": int(len(e))}


def levels_of(kind, history, transform):
    """Level path from the transform (LV as is, GR compounded from the actual level at p0)."""
    out = []
    prior = history[-1]
    for g in transform:
        prior = g if kind == "LV" else prior * (1.0 + g)
        out.append(prior)
    return out


def stats_of(p0_level, levels):
    P = [p0_level] + list(levels)
    s = {"p0": P[0], "p9": P[9], "p12": P[12],
         "cagr_9q": (P[9] / P[0]) ** (4 / 9) - 1 if P[9] > 0 and P[0] > 0 else None, "pct_change_9q": P[9] / P[0] - 1}
    return s


def case(kind):
    y_level = cons["realcons"]
    y = y_level if kind == "LV" else y_level / y_level.shift(1) - 1.0
    ins = (y.index >= IN[0]) & (y.index <= IN[1])
    oos = (y.index > IN[1]) & (y.index <= OOS_END)
    hist_level = y_level.loc[:P0].to_numpy()
    dates = pd.date_range(P0 + pd.offsets.QuarterEnd(1), periods=H, freq="QE")
    out = {"target": {"column": "realcons", "transform": kind}}

    # No change.
    pred = y.shift(1) if kind == "LV" else pd.Series(0.0, index=y.index)
    e_in = (y - pred)[ins]
    out["no_change"] = {
        "r2": float(1 - np.sum(e_in ** 2) / np.sum((y[ins] - y[ins].mean()) ** 2)),
        "dw": float(durbin_watson(e_in)),
        "in": errors(e_in), "oos": errors((y - pred)[oos]),
        "levels": [float(hist_level[-1])] * H,
    }

    # Historical mean.
    res, cov, _ = fit_with_rule(y[ins], pd.DataFrame({"const": np.ones(ins.sum())}, index=y[ins].index))
    mu = float(res.params.iloc[0])
    out["mean"] = {
        "params": [mu], "bse": [float(res.bse.iloc[0])], "cov_type": cov,
        "in": errors(res.resid), "oos": errors((y - mu)[oos]),
        "levels": levels_of(kind, hist_level, [mu] * H),
    }

    # AR(1) of the target transform.
    lag = y.shift(1)
    X = sm.add_constant(pd.DataFrame({"lag": lag[ins]}))
    res, cov, dw = fit_with_rule(y[ins], X)
    c, phi = (float(v) for v in res.params)
    tau = [float(y.loc[P0])]
    for _ in range(H):
        tau.append(c + phi * tau[-1])
    path = tau[1:]
    levels = levels_of(kind, hist_level, path)
    out["ar1"] = {
        "params": [c, phi], "bse": [float(v) for v in res.bse],
        "pvalues": [float(v) for v in res.pvalues], "cov_type": cov,
        "r2": float(res.rsquared), "adj_r2": float(res.rsquared_adj), "dw": float(dw),
        "in": errors(res.resid), "oos": errors((y - (c + phi * lag))[oos]),
        "transform": path, "levels": levels,
        "dates": [d.strftime("%Y-%m-%d") for d in dates],
        "stats": stats_of(float(hist_level[-1]), levels),
    }

    # Forced items only: the quarter dummies Q:2..Q:4.
    q = pd.Series(y.index.quarter, index=y.index)
    D = pd.DataFrame({f"Q:{k}": (q == k).astype(float) for k in (2, 3, 4)})
    res, cov, _ = fit_with_rule(y[ins], sm.add_constant(D[ins]))
    fq = pd.Series(dates.quarter, index=dates)
    Dq = np.column_stack([np.ones(H)] + [(fq == k).astype(float) for k in (2, 3, 4)])
    out["forced_only"] = {
        "params": [float(v) for v in res.params], "cov_type": cov,
        "r2": float(res.rsquared), "in": errors(res.resid),
        "oos": errors((y - sm.add_constant(D).to_numpy() @ res.params.to_numpy())[oos]),
        "levels": levels_of(kind, hist_level, list(Dq @ res.params.to_numpy())),
    }

    # An incumbent with given coefficients, by hand: const + b1 * tbilrate + b2 * realgdp growth.
    coef = {"const": 0.004, "tbilrate_LV": -0.0003, "realgdp_QQGR": 0.55} if kind == "GR" \
        else {"const": 120.0, "tbilrate_LV": -15.0, "realgdp_QQGR": 900.0}
    gdp_gr = macro["realgdp"] / macro["realgdp"].shift(1) - 1.0
    fitted = coef["const"] + coef["tbilrate_LV"] * macro["tbilrate"] + coef["realgdp_QQGR"] * gdp_gr
    sample = ins | oos
    inc = {"coefficients": coef, "fitted": [float(v) for v in fitted[sample]],
           "in": errors((y - fitted)[ins]), "oos": errors((y - fitted)[oos]), "scenarios": {}}
    for name, frame in scenarios.items():
        combined = pd.concat([macro.loc[:P0], frame.loc[dates]])
        g = combined["realgdp"] / combined["realgdp"].shift(1) - 1.0
        pred = coef["const"] + coef["tbilrate_LV"] * combined["tbilrate"] + coef["realgdp_QQGR"] * g
        inc["scenarios"][name] = levels_of(kind, hist_level, list(pred.loc[dates]))
    out["incumbent"] = inc

    # Backtests (§12) from the default jump-offs.
    level = y_level.loc[:OOS_END]
    rows = list(level.index)
    jump_offs = [i for i, d in enumerate(rows) if d >= pd.Timestamp(IN[0]) and i + 9 < len(rows)]
    dummies = sm.add_constant(D).to_numpy() @ np.asarray(out["forced_only"]["params"])
    dummies = pd.Series(dummies, index=y.index)

    def transform_path(name, i):
        if name == "no_change":
            return [float(level.iloc[i])] * 9 if kind == "LV" else [0.0] * 9
        if name == "mean":
            return [mu] * 9
        if name == "ar1":
            t, path = float(y.loc[rows[i]]), []
            for _ in range(9):
                t = c + phi * t
                path.append(t)
            return path
        source = dummies if name == "forced_only" else fitted
        return [float(source.loc[rows[i + h]]) for h in range(1, 10)]

    def summary(paths):
        if not paths:
            return None
        errs = np.array([[p / a - 1.0 for p, a in zip(pred, act)] for _, pred, act, _ in paths])
        per_path = np.abs(errs).mean(axis=1)
        worst = int(np.argmax(per_path))
        hits = [np.sign(pred[-1] / p0 - 1) == np.sign(act[-1] / p0 - 1) for _, pred, act, p0 in paths]
        return {"jump_offs": len(paths), "mape_by_step": [float(v) for v in np.abs(errs).mean(axis=0)],
                "worst_jump_off": rows[paths[worst][0]].strftime("%Y-%m-%d"),
                "worst_mape": float(per_path[worst]), "sign_hit_rate": float(np.mean(hits))}

    out["backtests"] = {}
    for name in ["no_change", "mean", "ar1", "forced_only", "incumbent"]:
        paths = []
        for i in jump_offs:
            p0 = float(level.iloc[i])
            pred = levels_of(kind, [p0], transform_path(name, i))
            act = [float(level.iloc[i + h]) for h in range(1, 10)]
            paths.append((i, pred, act, p0))
        in_end = pd.Timestamp(IN[1])
        out["backtests"][name] = {
            "all": summary(paths),
            "in_sample": summary([p for p in paths if rows[p[0]] <= in_end]),
            "out_of_sample": summary([p for p in paths if rows[p[0]] > in_end]),
        }
    print(f"{kind}: AR(1) phi {phi:.4f} ({cov}), forced-only R² {out['forced_only']['r2']:.3f}")
    return out


golden = {"growth": case("GR"), "level": case("LV")}
(root / "tests" / "golden" / "benchmarks.json").write_text(json.dumps(golden, indent=1))
print("wrote tests/golden/benchmarks.json")
