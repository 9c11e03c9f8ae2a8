"""Golden values for stability over time and dynamic backtests on the bundled demo
(tests/it/stability.rs), computed independently with pandas, numpy and statsmodels from the demo's
CSV files: two of the demo run's passed models (rank 1, and rank 8 with the regime composite
`realdpi_QQGR4@Q_4`), each

* refitted on the in-sample shortened by 4, 8 and 12 quarters with §5's covariance choice and
  filter sequence (crates/specsearch-core/tests/golden/gen_stats.py's `model_case`, so the
  verdicts are combined exactly as the core goldens combine them), with the pseudo
  out-of-sample errors on the cut quarters and each coefficient's change from the full fit;
* fitted on every expanding window from n0 = max(2·columns, 12) quarters (non-robust SEs);
* tested for breaks: `breaks_cusumolsresid(resid, ddof=p)`, the recursive-residual CUSUM
  (residuals from one QR fit per window, statistic and Brown–Durbin–Evans p-value),
  `breaks_hansen`, and a Chow F test (statsmodels' f_test of the interaction block) at
  1980-03-31 and 2001-03-31;
* backtested with pandas from every quarter end of the in-sample on, 9 quarters on the actual
  drivers, realcons compounded from its actual level (GR target), % errors and the summaries.

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
IN_START, IN_END, FULL_END = "1961-03-31", "2004-12-31", "2009-09-30"
CUTS = [4, 8, 12]
BREAKS = ["1980-03-31", "2001-03-31"]
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


df = read(demo / "consumption.csv").join(read(demo / "macro.csv"))
dates = df.index
ins = (dates >= IN_START) & (dates <= IN_END)
y_all = transform(df["realcons"], "GR", 1, 0)


def nums(v):
    return [None if not np.isfinite(x) else float(x) for x in np.asarray(v, dtype=float)]


def model(spec, features, signs):
    X_all = pd.DataFrame({f: column(df, f) for f in features})
    y = y_all[ins].to_numpy()
    X = X_all[ins].to_numpy()
    n, p = len(y), len(features) + 1
    cols = {f: X[:, i] for i, f in enumerate(features)}
    meta = {f: (signs[i], False, None) for i, f in enumerate(features)}
    final = model_case("final", "", y, cols, meta, n)
    base = final["expected"]["params"]
    trials = [{"trial": "final", "cut": 0, "expected": final["expected"]}]
    for i, k in enumerate(CUTS):
        c = model_case(f"WF{i + 1}", "", y, cols, meta, n - k)
        e = c["expected"]
        e["pct_change"] = [None if b == 0 else (t - b) / b for t, b in zip(e["params"], base)]
        e["in_end"] = dates[ins][n - k - 1].strftime("%Y-%m-%d")
        trials.append({"trial": f"WF{i + 1}", "cut": k, "expected": e})

    Xc = sm.add_constant(X)
    n0 = max(2 * p, 12)
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
    for d in BREAKS:
        b = int(np.where(dates[ins] == pd.Timestamp(d))[0][0])
        dummy = (np.arange(n) >= b).astype(float)
        ru = sm.OLS(y, np.column_stack([Xc, Xc * dummy[:, None]])).fit()
        R = np.zeros((p, 2 * p))
        R[:, p:] = np.eye(p)
        ft = ru.f_test(R)
        chow.append({"date": d, "statistic": float(np.squeeze(ft.fvalue)),
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
    levels = df["realcons"].to_numpy()
    last = int(np.where(dates == pd.Timestamp(FULL_END))[0][0])
    first = int(np.where(dates == pd.Timestamp(IN_START))[0][0])
    in_end = int(np.where(dates == pd.Timestamp(IN_END))[0][0])
    paths = []
    for j in range(first, last - QUARTERS + 1):
        level = levels[j]
        pred = []
        for step in range(1, QUARTERS + 1):
            level = level * (1.0 + fitted[j + step])
            pred.append(level)
        act = levels[j + 1: j + 1 + QUARTERS]
        err = np.array(pred) / act - 1.0
        paths.append({
            "jump_off": dates[j].strftime("%Y-%m-%d"),
            "in_sample": bool(j <= in_end),
            "predicted": nums(pred),
            "actual": nums(act),
            "pct_error": nums(err),
            "predicted_change": pred[-1] / levels[j] - 1.0,
            "actual_change": act[-1] / levels[j] - 1.0,
        })
    frame = pd.DataFrame([{"jump_off": p_["jump_off"], "in_sample": p_["in_sample"], "step": h + 1,
                           "abs_err": abs(p_["pct_error"][h])}
                          for p_ in paths for h in range(QUARTERS)])
    hits = pd.Series({p_["jump_off"]: np.sign(p_["predicted_change"]) == np.sign(p_["actual_change"])
                      for p_ in paths})
    summary = {}
    for label, keep in [("all", None), ("in_sample", True), ("out_of_sample", False)]:
        part = frame if keep is None else frame[frame["in_sample"] == keep]
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
    "cuts": CUTS,
    "break_dates": BREAKS,
    "models": [
        model(88873, ["realdpi_QQGR4", "realgdp_QQGR", "tbilrate_QQDF_L1"], [1, 1, -1]),
        model(89017, ["realgdp_QQGR", "tbilrate_QQDF_L1", "realdpi_QQGR4@Q_4"], [1, -1, 1]),
    ],
}
(root / "tests" / "golden" / "stability_demo.json").write_text(json.dumps(golden, indent=1))
print("wrote tests/golden/stability_demo.json")
