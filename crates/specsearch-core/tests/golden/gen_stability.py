#!/usr/bin/env python3
"""Golden values for stability over time and dynamic backtests (docs/semantics.md §11, §12):
crates/specsearch-core's `stats::stability`, `walk_forward` and `backtest`.

Regenerate (from the repository root), in a throw-away virtual environment:

    python3 -m venv /tmp/golden-venv
    /tmp/golden-venv/bin/pip install statsmodels scipy numpy pandas
    /tmp/golden-venv/bin/python crates/specsearch-core/tests/golden/gen_stability.py

Writes crates/specsearch-core/tests/golden/stats/stability.json; tests/it/stability_golden.rs
reads it and needs no Python. Inputs are generated here from fixed numpy seeds.

Where every expected number comes from:
* walk-forward trials: statsmodels refits on the shortened in-sample, with the §5 covariance
  choice and filter sequence exactly as gen_stats.py's `model_case` combines library numbers
  (imported from it, so both scripts judge a fit the same way); the pseudo out-of-sample is the
  cut rows, predicted with the trial's coefficients; the coefficient change is
  (b_trial - b) / b against the full in-sample fit;
* recursive coefficients: one statsmodels OLS per expanding window (non-robust SEs);
* CUSUM of OLS residuals: `breaks_cusumolsresid(resid, ddof=p)` (statistic, p-value), its path
  by the same formula;
* CUSUM of recursive residuals: `recursive_olsresiduals(res, skip=p, alpha=0.95)`, its
  residuals recomputed by one QR fit per window (statsmodels' row-by-row updates of (X'X)^-1
  drift by ~1e-10 relative; the script checks that it agrees to 1e-8); the boundary
  crossing probability of Brown, Durbin and Evans (1975), 2·(1 − Φ(3a) + exp(−4a²)·Φ(a)), with
  scipy's normal distribution;
* Hansen (1992): `breaks_hansen`; the 5 % critical values are Hansen's Table 1 (the tests
  check them against the table itself, not against this file);
* Chow: statsmodels' F test that the interaction block of y ~ [X, D·X] is zero, D = 1 from the
  break row on (non-robust; df k and n − 2k);
* backtests: pandas (levels compounded step by step, months to quarters by `resample("QE")`,
  summaries by `groupby`).
"""

import json
import math
import os
import sys

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.diagnostic import (
    breaks_cusumolsresid,
    breaks_hansen,
    recursive_olsresiduals,
)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_stats import ar1, feat, model_case, month_dummies, num, nums  # noqa: E402

OUT = os.path.join(HERE, "stats", "stability.json")

# Brown, Durbin and Evans (1975): the 5 % boundary constant.
BDE_A = 0.948


def bde_pvalue(a):
    p = 2.0 * (st.norm.sf(3.0 * a) + math.exp(-4.0 * a * a) * st.norm.cdf(a))
    return min(p, 1.0)


def design(y, cols):
    names = list(cols)
    X = np.column_stack([cols[c] for c in names]) if names else np.zeros((len(y), 0))
    return names, sm.add_constant(X, has_constant="add")


def walk_forward(y, cols, meta, cuts):
    """The final fit and one trial per cut, judged by §5 (gen_stats.model_case)."""
    n = len(y)
    p = len(cols) + 1
    final = model_case("final", "", y, cols, meta, n)
    base = final["expected"]["params"]
    ts = final["target_stationary"]
    trials = [{"label": "final", "cut": 0, "expected": final["expected"]}]
    for i, k in enumerate(cuts):
        label = f"WF{i + 1}"
        if n - k < p + 2:
            trials.append({"label": label, "cut": k, "skipped": True})
            continue
        c = model_case(label, "", y, cols, meta, n - k)
        # The trial keeps the search's verdict on the target (§3 runs once, at planning):
        # cases are chosen so the shortened target gets the same verdict.
        assert c["target_stationary"] == ts, (label, "target verdict changed")
        e = c["expected"]
        e["pct_change"] = [
            None if b == 0 else (t - b) / b for t, b in zip(e["params"], base)
        ]
        trials.append({"label": label, "cut": k, "skipped": False, "expected": e})
    return ts, trials


def recursive_coefficients(y, X, n0):
    out = {"n0": n0, "params": [], "bse": []}
    for m in range(n0, len(y) + 1):
        r = sm.OLS(y[:m], X[:m]).fit()
        out["params"].append(nums(r.params))
        out["bse"].append(nums(r.bse))
    return out


def break_tests(y, X, chow_rows):
    n, p = X.shape
    res = sm.OLS(y, X).fit()
    e = res.resid
    stat, pval, crit = breaks_cusumolsresid(e, ddof=p)
    path = np.cumsum(e) / math.sqrt((e**2).sum() / (n - p) * n)
    assert abs(np.abs(path).max() - stat) < 1e-12
    cusum_ols = {
        "statistic": num(stat),
        "p_value": num(pval),
        "argmax": int(np.argmax(np.abs(path))),
        "path": nums(path),
        "crit": crit,
    }

    rr = recursive_olsresiduals(res, skip=p, alpha=0.95)
    rresid, rparams, rypred, rstd, rscaled, rcusum, rcusumci = rr
    # statsmodels updates (X'X)^-1 one row at a time from the exactly determined first window,
    # which carries that window's rounding along (~1e-10 relative here; an exact rational
    # evaluation agrees with the direct fits below to ~1e-15). The expected values are the
    # same residuals from one QR fit per window; statsmodels must agree with them to 1e-8.
    direct = []
    for r in range(p, n):
        q, rr_ = np.linalg.qr(X[:r])
        beta = np.linalg.solve(rr_, q.T @ y[:r])
        z = np.linalg.solve(rr_.T, X[r])
        direct.append((y[r] - X[r] @ beta) / math.sqrt(1.0 + z @ z))
    direct = np.array(direct)
    assert np.allclose(direct, rscaled[p:], rtol=1e-8, atol=1e-12), "recursive residuals"
    sigma = math.sqrt(direct.var(ddof=1))
    w_path = np.cumsum(direct) / sigma
    # statsmodels' cusum starts with the (zero up to rounding) residual of the exactly
    # determined first fit; the Brown-Durbin-Evans path W_r, r = p+1..n, is what follows it.
    assert abs(rcusum[0]) < 1e-8, rcusum[0]
    assert np.allclose(w_path, rcusum[1:] - rcusum[0], rtol=1e-8, atol=1e-7), "cusum path"
    T_k = n - p
    r_k = np.arange(1, T_k + 1)
    scaled = np.abs(w_path) / (math.sqrt(T_k) * (1.0 + 2.0 * r_k / T_k))
    s = float(scaled.max())
    recursive = {
        "scaled_residuals": nums(direct),
        "sigma": num(sigma),
        "path": nums(w_path),
        # statsmodels' upper boundary, one point short (r = p .. n-1); the test checks the
        # last point, 3a·sqrt(n - p), by hand.
        "upper": nums(rcusumci[1]),
        "statistic": num(s),
        "argmax": int(np.argmax(scaled)),
        "p_value": num(bde_pvalue(s)),
        "crosses": bool(s > BDE_A),
    }

    h, crit95 = breaks_hansen(res)
    hansen = {"statistic": num(h), "parameters": p + 1}

    chow = []
    for b in chow_rows:
        d = (np.arange(n) >= b).astype(float)
        Xu = np.column_stack([X, X * d[:, None]])
        ru = sm.OLS(y, Xu).fit()
        R = np.zeros((p, 2 * p))
        R[:, p:] = np.eye(p)
        ft = ru.f_test(R)
        chow.append(
            {
                "row": int(b),
                "statistic": num(np.squeeze(ft.fvalue)),
                "p_value": num(np.squeeze(ft.pvalue)),
                "df_num": int(ft.df_num),
                "df_denom": int(ft.df_denom),
            }
        )
    return {
        "cusum_ols": cusum_ols,
        "recursive_cusum": recursive,
        "hansen": hansen,
        "chow": chow,
    }


def stability_case(name, desc, y, cols, meta, cuts, min_window, chow_rows):
    names, X = design(y, cols)
    n, p = X.shape
    ts, trials = walk_forward(y, cols, meta, cuts)
    n0 = max(2 * p, min_window)
    print(
        f"{name:24s} n={n} p={p} final={trials[0]['expected']['outcome']} "
        + " ".join(
            f"{t['label']}:{'skip' if t.get('skipped') else t['expected']['outcome']['failed_test'] or 'pass'}"
            for t in trials[1:]
        )
    )
    return {
        "name": name,
        "description": desc,
        "y": nums(y),
        "columns": [
            {
                "name": c,
                "values": nums(cols[c]),
                "sign": meta[c][0],
                "is_dummy": meta[c][1],
                "group": meta[c][2],
            }
            for c in names
        ],
        "target_stationary": ts,
        "cuts": cuts,
        "min_window": min_window,
        "trials": trials,
        "recursive": recursive_coefficients(y, X, n0) if n0 <= n else None,
        "breaks": break_tests(y, X, chow_rows),
    }


def build_stability():
    cases = []

    # Monthly, iid errors, three drivers: the non-robust path on every trial.
    rng = np.random.default_rng(2701)
    n = 120
    X = rng.standard_normal((n, 3))
    y = 1.0 + X @ np.array([0.8, -0.5, 0.05]) + 0.5 * rng.standard_normal(n)
    cols = {"a_LV": X[:, 0], "b_LV": X[:, 1], "c_LV": X[:, 2]}
    meta = {"a_LV": feat(1), "b_LV": feat(-1), "c_LV": feat(0)}
    cases.append(stability_case("iid", "monthly, iid errors", y, cols, meta, [3, 6, 12], 24, [60, 100]))

    # PPNR shape: a partial month dummy set and four AR drivers, AR residuals (HAC), with a
    # coefficient that shifts in the last third (the break tests should see it).
    rng = np.random.default_rng(2702)
    n = 213
    d = month_dummies(n, 3, [2, 3, 4, 5, 10, 11, 12])
    X = np.column_stack([ar1(rng, n, 0.6) for _ in range(4)])
    seas = sum(0.3 * (1 + k % 3) * d[f"M:{k}"] for k in [2, 3, 4, 5, 10, 11, 12])
    shift = np.where(np.arange(n) >= 140, 0.35, 0.0)
    y = 0.2 + X @ np.array([0.5, -0.4, 0.3, 0.035]) + shift * X[:, 0] + seas + ar1(rng, n, 0.5, 0.3)
    cols = dict(d)
    cols.update({"g1": X[:, 0], "g2": X[:, 1], "g3": X[:, 2], "g4": X[:, 3]})
    meta = {k: feat(0, True, None) for k in d}
    meta.update({"g1": feat(1), "g2": feat(-1), "g3": feat(1), "g4": feat(1)})
    cases.append(
        stability_case("ppnr_shape", "partial dummies, AR errors, a shift at row 140", y, cols, meta,
                       [3, 6, 12], 24, [140, 60]))

    # Heteroscedastic errors: HC1.
    rng = np.random.default_rng(2703)
    n = 200
    X = rng.standard_normal((n, 2))
    e = rng.standard_normal(n) * np.exp(0.9 * X[:, 0])
    y = 2.0 + X @ np.array([1.5, -1.0]) + e
    cols = {"h1": X[:, 0], "h2": X[:, 1]}
    meta = {"h1": feat(1), "h2": feat(-1)}
    cases.append(stability_case("het", "heteroscedastic errors", y, cols, meta, [3, 6, 12], 24, [100]))

    # A full month dummy set (group F) with two drivers, levels far from zero.
    rng = np.random.default_rng(2704)
    n = 144
    d = month_dummies(n, 0, range(2, 13))
    X = rng.standard_normal((n, 2))
    seas = sum(0.5 * np.sin(k) * d[f"M:{k}"] for k in range(2, 13))
    y = 1.0 + X @ np.array([0.9, -0.7]) + seas + 0.5 * rng.standard_normal(n)
    cols = dict(d)
    cols.update({"f1": 100.0 + X[:, 0], "f2": X[:, 1]})
    meta = {k: feat(0, True, 1) for k in d}
    meta.update({"f1": feat(1), "f2": feat(-1)})
    cases.append(stability_case("full_dummies", "full month dummy set, group F", y, cols, meta,
                                [3, 6, 12], 24, [72]))

    # Quarterly, non-stationary target cointegrated with a random walk (filter 6 applies).
    rng = np.random.default_rng(2705)
    n = 80
    x = np.cumsum(rng.standard_normal(n)) + 50.0
    y = 3.0 + 0.9 * x + 0.8 * rng.standard_normal(n)
    cols = {"rw_QQ": x}
    meta = {"rw_QQ": feat(1)}
    cases.append(stability_case("quarterly_coint", "quarterly, cointegrated random walks", y, cols, meta,
                                [4, 8, 12], 12, [40]))

    # Short: the last cut leaves fewer rows than columns + 2 (skipped, labels kept).
    rng = np.random.default_rng(2706)
    n = 24
    X = rng.standard_normal((n, 2))
    y = 0.3 + X @ np.array([1.2, 0.7]) + 0.4 * rng.standard_normal(n)
    cols = {"s1": X[:, 0], "s2": X[:, 1]}
    meta = {"s1": feat(1), "s2": feat(1)}
    cases.append(stability_case("short", "n = 24, one cut too deep", y, cols, meta,
                                [3, 20, 12], 24, [12]))
    return cases


# ---------------------------------------------------------------------------------------------
# Dynamic backtests (§12), recomputed with pandas.


def quarter_end(d):
    return d.month % 3 == 0


def backtest_case(name, dates, levels, fitted, link, period, lead, freq, agg, in_start, in_end,
                  full_end, quarters):
    """levels: actual target levels; fitted: x_t·b per date (drivers at t)."""
    s = pd.Series(levels, index=dates)
    f = pd.Series(fitted, index=dates)
    per_q = 3 if freq == "M" else 1
    h_rows = quarters * per_q
    in_start, in_end, full_end = map(pd.Timestamp, (in_start, in_end, full_end))
    actual = s[s.index <= full_end]
    candidates = [d for d in dates if d >= in_start and quarter_end(d) and d <= full_end]
    jump_offs = []
    paths = []
    for j in candidates:
        row = dates.get_loc(j)
        if row + h_rows >= len(actual):
            continue
        jump_offs.append(j)
        hist = list(s.iloc[: row + 1])
        levels_path = []
        for i in range(1, h_rows + 1):
            yhat = f.iloc[row + i - lead]
            series = hist + levels_path
            if link == "LV":
                levels_path.append(yhat)
            elif link == "DF":
                levels_path.append(series[len(series) - period] + yhat)
            else:
                levels_path.append(series[len(series) - period] * (1.0 + yhat))
        idx = dates[row + 1: row + 1 + h_rows]
        pred = pd.Series(levels_path, index=idx)
        act = s.iloc[row + 1: row + 1 + h_rows]
        if freq == "M":
            how = {"mean": "mean", "sum": "sum", "end": "last"}[agg]
            pq = getattr(pred.resample("QE"), how)()
            aq = getattr(act.resample("QE"), how)()
        else:
            pq, aq = pred, act
        p0 = s.iloc[row]
        err = pq / aq - 1.0
        paths.append(
            {
                "jump_off": j.strftime("%Y-%m-%d"),
                "row": int(row),
                "in_sample": bool(j <= in_end),
                "dates": [d.strftime("%Y-%m-%d") for d in pq.index],
                "monthly": nums(levels_path),
                "predicted": nums(pq),
                "actual": nums(aq),
                "pct_error": nums(err),
                "p0": num(p0),
                "predicted_change": num(pq.iloc[-1] / p0 - 1.0),
                "actual_change": num(aq.iloc[-1] / p0 - 1.0),
            }
        )
    frame = pd.DataFrame(
        [
            {"jump_off": p["jump_off"], "sample": "in_sample" if p["in_sample"] else "out_of_sample",
             "step": h + 1, "abs_err": abs(p["pct_error"][h])}
            for p in paths
            for h in range(quarters)
        ]
    )
    hits = pd.DataFrame(
        [
            {"jump_off": p["jump_off"], "sample": "in_sample" if p["in_sample"] else "out_of_sample",
             "hit": np.sign(p["predicted_change"]) == np.sign(p["actual_change"])}
            for p in paths
        ]
    )
    summary = {}
    for label, part, hit in (
        ["all", frame, hits],
        ["in_sample", frame[frame["sample"] == "in_sample"], hits[hits["sample"] == "in_sample"]],
        ["out_of_sample", frame[frame["sample"] == "out_of_sample"],
         hits[hits["sample"] == "out_of_sample"]],
    ):
        if part.empty:
            continue
        per_jump = part.groupby("jump_off")["abs_err"].mean()
        summary[label] = {
            "jump_offs": int(part["jump_off"].nunique()),
            "mean_abs_pct_error": nums(part.groupby("step")["abs_err"].mean()),
            "worst_jump_off": per_jump.idxmax(),
            "worst_mean_abs_pct_error": num(per_jump.max()),
            "sign_hit_rate": num(hit["hit"].mean()),
        }
    print(f"{name:24s} {len(paths)} jump-offs, summary {summary['all']['mean_abs_pct_error'][-1]:.4f}")
    return {
        "name": name,
        "dates": [d.strftime("%Y-%m-%d") for d in dates],
        "levels": nums(levels),
        "fitted": nums(fitted),
        "link": link,
        "period": period,
        "lead": lead,
        "frequency": freq,
        "aggregation": agg,
        "in_start_row": int(dates.get_loc(in_start)),
        "in_end_row": int(dates.get_loc(in_end)),
        "full_end_row": int(dates.get_loc(full_end)),
        "quarters": quarters,
        "candidates": [int(dates.get_loc(d)) for d in candidates],
        "paths": paths,
        "summary": summary,
    }


def build_backtests():
    out = []
    # Monthly balance, 12-month growth target with a lead of one month, two drivers.
    rng = np.random.default_rng(2711)
    dates = pd.date_range("2000-01-31", "2016-12-31", freq="ME")
    n = len(dates)
    x1 = 100 * np.exp(np.cumsum(0.003 + 0.01 * rng.standard_normal(n)))
    r1 = 3 + np.cumsum(0.05 * rng.standard_normal(n))
    g = 0.002 + 0.4 * np.r_[0, np.diff(np.log(x1))] - 0.003 * np.r_[0, np.diff(r1)] \
        + 0.002 * rng.standard_normal(n)
    balance = 500 * np.exp(np.cumsum(g))
    frame = pd.DataFrame({"b": balance, "x1": x1, "r1": r1}, index=dates)
    target = (frame["b"] / frame["b"].shift(12) - 1.0).shift(-1)
    X = pd.DataFrame({"x1_MMGR12": frame["x1"] / frame["x1"].shift(12) - 1.0,
                      "r1_MMDF3": frame["r1"] - frame["r1"].shift(3)})
    ins = (dates >= "2002-01-31") & (dates <= "2012-12-31")
    fit = sm.OLS(target[ins], sm.add_constant(X[ins])).fit()
    fitted = fit.params["const"] + X.to_numpy() @ fit.params[1:].to_numpy()
    out.append(backtest_case("monthly_gr12_lead1", dates, balance, fitted, "GR", 12, 1, "M", "mean",
                             "2002-01-31", "2012-12-31", "2016-12-31", 9))

    # The same series at quarter ends, quarterly DF target, sum aggregation not applicable.
    q = frame.resample("QE").last()
    qd = q.index
    tq = q["b"].diff()
    Xq = pd.DataFrame({"x1_QQGR": q["x1"].pct_change(), "r1_LV": q["r1"]})
    insq = (qd >= "2001-03-31") & (qd <= "2012-12-31")
    fq = sm.OLS(tq[insq], sm.add_constant(Xq[insq])).fit()
    fittedq = fq.params["const"] + Xq.to_numpy() @ fq.params[1:].to_numpy()
    out.append(backtest_case("quarterly_df", qd, q["b"].to_numpy(), fittedq, "DF", 1, 0, "Q", "mean",
                             "2001-03-31", "2012-12-31", "2016-12-31", 9))

    # Monthly level target, quarter sums, 4-quarter horizon.
    lv = frame["b"]
    Xl = pd.DataFrame({"x1_LV": frame["x1"]})
    insl = (dates >= "2001-01-31") & (dates <= "2010-12-31")
    fl = sm.OLS(lv[insl], sm.add_constant(Xl[insl])).fit()
    fittedl = fl.params["const"] + Xl.to_numpy() @ fl.params[1:].to_numpy()
    out.append(backtest_case("monthly_lv_sum", dates, balance, fittedl, "LV", 1, 0, "M", "sum",
                             "2001-01-31", "2010-12-31", "2014-12-31", 4))
    return out


def main():
    versions = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "statsmodels": statsmodels.__version__,
    }
    data = {
        "versions": versions,
        "bde_a": BDE_A,
        "stability": build_stability(),
        "backtests": build_backtests(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
