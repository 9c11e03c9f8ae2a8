"""Golden values for stability over time and dynamic backtests end to end (tests/it/stability.rs),
computed independently with pandas, numpy and statsmodels from the data files: two of the bundled
demo's passed models (quarterly; rank 1, and rank 8 with the regime composite
`realdpi_QQGR4@Q_4`) and the best model of the synthetic monthly search of gen_scenarios.py
(12-month growth target; backtest quarters as the mean of their months), each

* refitted on the in-sample shortened by 4, 8 and 12 quarters with §5's covariance choice and
  filter sequence (crates/specsearch-core/tests/golden/gen_stats.py's `model_case`, so the
  verdicts are combined exactly as the core goldens combine them), with the pseudo
  out-of-sample errors on the cut quarters and each coefficient's change from the full fit;
* fitted on every expanding window from n0 = max(2·columns, 12) quarters (non-robust SEs);
* tested for breaks: `breaks_cusumolsresid(resid, ddof=p)`, the recursive-residual CUSUM
  (residuals from one QR fit per window, statistic and Brown–Durbin–Evans p-value),
  `breaks_hansen`, and a Chow F test (statsmodels' f_test of the interaction block) at the
  break dates;
* backtested with pandas from every quarter end of the in-sample on, 9 quarters on the actual
  drivers, the level compounded from its actual level (GR target: level_t = level_{t-p}·(1 + ŷ_t)),
  months to quarters by `resample("QE").mean()`, % errors and the summaries.

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels pandas numpy scipy
    python tests/golden/gen_stability_demo.py
Writes tests/golden/stability_demo.json.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats as st
import statsmodels.api as sm
from statsmodels.stats.diagnostic import breaks_cusumolsresid, breaks_hansen

root = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root / "crates" / "specsearch-core" / "tests" / "golden"))
from gen_stats import model_case  # noqa: E402

demo = root / "examples" / "demo" / "data"
monthly = root / "tests" / "golden" / "data" / "scenarios"
QUARTERS = 9


def transform(x, kind, period, lag):
    """f(x[t - lag], period) as docs/semantics.md §2 defines it."""
    x = x.shift(lag)
    if kind == "LV":
        return x
    if kind == "DF":
        return x - x.shift(period)
    return x / x.shift(period) - 1.0


def parse(name):
    """(base, transform, period, lag) of a variant name such as unemp_QQDF_L1."""
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


def column(df, name):
    """A variant, or a regime `feature@Q_k` (the feature where the quarter is k, else 0)."""
    if "@" in name:
        feature, regime = name.split("@")
        on = int(regime.split("_")[1])
        return column(df, feature) * (df.index.quarter == on).astype(float)
    return transform(df[parse(name)[0]], *parse(name)[1:])


def read(path):
    return pd.read_csv(path, parse_dates=["date"]).set_index("date")


class Data:
    """A search's data: the target's level and transform, the sample, the settings."""

    def __init__(self, frame, level, kind, period, sample, freq, cuts, breaks, agg="mean"):
        self.df = frame
        self.dates = frame.index
        self.level = level
        self.kind, self.period = kind, period
        self.y_all = transform(frame[level], kind, period, 0)
        self.in_start, self.in_end, self.full_end = sample
        self.ins = (self.dates >= self.in_start) & (self.dates <= self.in_end)
        self.freq, self.cuts, self.breaks, self.agg = freq, cuts, breaks, agg
        self.per_q = 3 if freq == "M" else 1
        self.min_window = 24 if freq == "M" else 12


DEMO = Data(read(demo / "consumption.csv").join(read(demo / "macro.csv")), "realcons", "GR", 1,
            ("1961-03-31", "2004-12-31", "2009-09-30"), "Q", [4, 8, 12],
            ["1980-03-31", "2001-03-31"])
MONTHLY = Data(read(monthly / "monthly_target.csv").join(read(monthly / "monthly_mevs.csv")),
               "balance", "GR", 12, ("2002-01-31", "2017-12-31", "2019-12-31"), "M", [3, 6, 12],
               ["2010-01-31"])


def nums(v):
    return [None if not np.isfinite(x) else float(x) for x in np.asarray(v, dtype=float)]


def model(d, spec, features, signs):
    df, dates, ins = d.df, d.dates, d.ins
    X_all = pd.DataFrame({f: column(df, f) for f in features})
    y = d.y_all[ins].to_numpy()
    X = X_all[ins].to_numpy()
    n, p = len(y), len(features) + 1
    cols = {f: X[:, i] for i, f in enumerate(features)}
    meta = {f: (signs[i], False, None) for i, f in enumerate(features)}
    final = model_case("final", "", y, cols, meta, n)
    base = final["expected"]["params"]
    trials = [{"trial": "final", "cut": 0, "expected": final["expected"]}]
    for i, k in enumerate(d.cuts):
        c = model_case(f"WF{i + 1}", "", y, cols, meta, n - k)
        e = c["expected"]
        e["pct_change"] = [None if b == 0 else (t - b) / b for t, b in zip(e["params"], base)]
        e["in_end"] = dates[ins][n - k - 1].strftime("%Y-%m-%d")
        trials.append({"trial": f"WF{i + 1}", "cut": k, "expected": e})

    Xc = sm.add_constant(X)
    n0 = max(2 * p, d.min_window)
    rec = {"n0": n0, "dates": [], "params": [], "bse": []}
    for m in range(n0, n + 1):
        r = sm.OLS(y[:m], Xc[:m]).fit()
        rec["dates"].append(dates[ins][m - 1].strftime("%Y-%m-%d"))
        rec["params"].append(nums(r.params))
        rec["bse"].append(nums(r.bse))

    res = sm.OLS(y, Xc).fit()
    stat, pval, _ = breaks_cusumolsresid(res.resid, ddof=p)
    w = []
    for r in range(p, n):
        q, rr = np.linalg.qr(Xc[:r])
        b = np.linalg.solve(rr, q.T @ y[:r])
        z = np.linalg.solve(rr.T, Xc[r])
        w.append((y[r] - Xc[r] @ b) / math.sqrt(1.0 + z @ z))
    w = np.array(w)
    path = np.cumsum(w) / math.sqrt(w.var(ddof=1))
    tk = n - p
    scaled = np.abs(path) / (math.sqrt(tk) * (1.0 + 2.0 * np.arange(1, tk + 1) / tk))
    s = float(scaled.max())
    h, _ = breaks_hansen(res)
    chow = []
    for when in d.breaks:
        b = int(np.where(dates[ins] == pd.Timestamp(when))[0][0])
        dummy = (np.arange(n) >= b).astype(float)
        ru = sm.OLS(y, np.column_stack([Xc, Xc * dummy[:, None]])).fit()
        R = np.zeros((p, 2 * p))
        R[:, p:] = np.eye(p)
        ft = ru.f_test(R)
        chow.append({"date": when, "statistic": float(np.squeeze(ft.fvalue)),
                     "p_value": float(np.squeeze(ft.pvalue))})
    breaks = {
        "cusum_ols": {"statistic": float(stat), "p_value": float(pval)},
        "cusum_recursive": {
            "statistic": s,
            "p_value": min(1.0, 2.0 * (st.norm.sf(3 * s) + math.exp(-4 * s * s) * st.norm.cdf(s))),
        },
        "hansen": {"statistic": float(h)},
        "chow": chow,
    }

    # Backtests from every quarter end of the in-sample on with 9 quarters of actuals.
    params = res.params
    fitted = params[0] + X_all.to_numpy() @ params[1:]
    levels = df[d.level].to_numpy()
    last = int(np.where(dates == pd.Timestamp(d.full_end))[0][0])
    first = int(np.where(dates == pd.Timestamp(d.in_start))[0][0])
    in_end = int(np.where(dates == pd.Timestamp(d.in_end))[0][0])
    h = QUARTERS * d.per_q
    paths = []
    for j in range(first, last - h + 1):
        if dates[j].month % 3 != 0:
            continue
        path = list(levels[: j + 1])
        for step in range(1, h + 1):
            prior = path[len(path) - d.period]
            path.append(prior * (1.0 + fitted[j + step]) if d.kind == "GR" else prior + fitted[j + step])
        pred = pd.Series(path[j + 1:], index=dates[j + 1: j + 1 + h])
        act = pd.Series(levels[j + 1: j + 1 + h], index=dates[j + 1: j + 1 + h])
        if d.freq == "M":
            pred = getattr(pred.resample("QE"), d.agg)()
            act = getattr(act.resample("QE"), d.agg)()
        err = pred / act - 1.0
        paths.append({
            "jump_off": dates[j].strftime("%Y-%m-%d"),
            "in_sample": bool(j <= in_end),
            "dates": [x.strftime("%Y-%m-%d") for x in pred.index],
            "predicted": nums(pred),
            "actual": nums(act),
            "pct_error": nums(err),
            "predicted_change": float(pred.iloc[-1] / levels[j] - 1.0),
            "actual_change": float(act.iloc[-1] / levels[j] - 1.0),
        })
    frame = pd.DataFrame([{"jump_off": p_["jump_off"], "in_sample": p_["in_sample"], "step": h + 1,
                           "abs_err": abs(p_["pct_error"][h])}
                          for p_ in paths for h in range(QUARTERS)])
    hits = pd.Series({p_["jump_off"]: np.sign(p_["predicted_change"]) == np.sign(p_["actual_change"])
                      for p_ in paths})
    summary = {}
    for label, keep in [("all", None), ("in_sample", True), ("out_of_sample", False)]:
        part = frame if keep is None else frame[frame["in_sample"] == keep]
        if part.empty:
            continue
        per = part.groupby("jump_off")["abs_err"].mean()
        summary[label] = {
            "jump_offs": int(per.size),
            "mape_by_step": nums(part.groupby("step")["abs_err"].mean()),
            "worst_jump_off": per.idxmax(),
            "worst_mape": float(per.max()),
            "sign_hit_rate": float(hits[per.index].mean()),
        }
    print(f"spec {spec}: {len(paths)} jump-offs, trials "
          + ", ".join(str(t["expected"]["outcome"]["failed_test"]) for t in trials))
    return {
        "spec_index": spec,
        "features": features,
        "trials": trials,
        "recursive": rec,
        "breaks": breaks,
        "backtest": {"paths": paths, "summary": summary},
    }


golden = {
    "demo": {
        "cuts": DEMO.cuts,
        "break_dates": DEMO.breaks,
        "models": [
            model(DEMO, 88873, ["realdpi_QQGR4", "realgdp_QQGR", "tbilrate_QQDF_L1"], [1, 1, -1]),
            model(DEMO, 89017, ["realgdp_QQGR", "tbilrate_QQDF_L1", "realdpi_QQGR4@Q_4"],
                  [1, -1, 1]),
        ],
    },
    # The synthetic monthly search of gen_scenarios.py (12-month growth of a balance): its best
    # model, quarters as the mean of the months.
    "monthly": {
        "cuts": MONTHLY.cuts,
        "break_dates": MONTHLY.breaks,
        "models": [model(MONTHLY, 4, ["x1_MMGR12"], [1])],
    },
}
(root / "tests" / "golden" / "stability_demo.json").write_text(json.dumps(golden, indent=1))
print("wrote tests/golden/stability_demo.json")
