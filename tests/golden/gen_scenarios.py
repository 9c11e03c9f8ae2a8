"""Golden values for scenario forecasts (tests/it/scenarios.rs), computed independently with pandas,
numpy and statsmodels: fit a model, build its scenario features with the same lags, differences
and growth rates reaching back into history, predict the target transform, convert it to the
level (LV as is, DF accumulated, GR compounded from the actual level at p0, a lead shifting the
mapping), aggregate monthly levels to quarters, and compute the statistics (levels at P0..PH,
4Q/9Q/12Q CAGR, 9Q change and % change, % difference from Base at P9, the ordering check).

Four cases: the bundled demo (quarterly, GR target) with its illustrative scenarios; quarterly
DF with a lead of 1; quarterly LV with a 9-quarter horizon; and a synthetic monthly search
(12-month growth target, monthly scenario tables, quarterly aggregation by the mean), whose
data and config this script writes under tests/golden/data/scenarios/.

The forecasts are computed with statsmodels' coefficients, which the JSON carries: the Rust test
forecasts with those same coefficients (so the forecast chain is compared at 1e-10) and checks
its own fit against them separately (1e-8).

Regenerate from the repository root in a throw-away venv:
    pip install statsmodels pandas numpy
    python tests/golden/gen_scenarios.py
Writes tests/golden/scenarios.json and the files under tests/golden/data/scenarios/.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

root = Path(__file__).resolve().parents[2]
demo = root / "examples" / "demo" / "data"
outdir = root / "tests" / "golden" / "data" / "scenarios"
outdir.mkdir(parents=True, exist_ok=True)


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


def case(name, target_frame, mevs, scenarios, target, features, sample, p0, horizon, freq,
         order, base="Base", agg="mean"):
    """Fit, forecast and summarise one case."""
    col, kind, period, lead = target
    df = target_frame.join(mevs)
    y = transform(df[col], kind, period, 0).shift(-lead)
    X = pd.DataFrame({f: transform(df[parse(f)[0]], *parse(f)[1:]) for f in features})
    ins = (df.index >= sample[0]) & (df.index <= sample[1])
    fit = sm.OLS(y[ins], sm.add_constant(X[ins])).fit()
    params = fit.params.to_numpy()

    p0 = pd.Timestamp(p0)
    hist = df.loc[:p0]
    step = pd.offsets.MonthEnd(1) if freq == "M" else pd.offsets.QuarterEnd(1)
    n = horizon * (3 if freq == "M" else 1)
    out = {"features": features, "params": params.tolist(), "scenarios": {}}
    for s_name, s_frame in scenarios.items():
        # The scenario's own last date bounds the horizon too.
        last = min(p0 + n * step, s_frame.index.max())
        dates = pd.date_range(p0 + step, last, freq="ME" if freq == "M" else "QE")
        combined = pd.concat([hist[mevs.columns], s_frame.loc[dates, mevs.columns]])
        Xs = pd.DataFrame(
            {f: transform(combined[parse(f)[0]], *parse(f)[1:]) for f in features})
        # The transform on date d comes from the drivers `lead` periods earlier.
        rows = [combined.index.get_loc(d) - lead for d in dates]
        pred = params[0] + Xs.iloc[rows].to_numpy() @ params[1:]
        levels_hist = list(hist[col].to_numpy())
        levels = []
        for j, g in enumerate(pred):
            series = levels_hist + levels
            prior = series[len(series) - period] if kind != "LV" else None
            if kind == "LV":
                levels.append(g)
            elif kind == "DF":
                levels.append(prior + g)
            else:
                levels.append(prior * (1.0 + g))
        if freq == "M":
            months = levels_hist[-3:] + levels
            k = len(months) // 3
            grouped = np.array(months[: 3 * k]).reshape(k, 3)
            quarterly = {"mean": grouped.mean(axis=1), "sum": grouped.sum(axis=1),
                         "end": grouped[:, 2]}[agg].tolist()
        else:
            quarterly = [levels_hist[-1]] + levels
        P = quarterly
        stats = {"p0": P[0]}
        for q in (4, 9, 12):
            if q < len(P):
                stats[f"p{q}"] = P[q]
                stats[f"cagr_{q}q"] = (P[q] / P[0]) ** (4.0 / q) - 1.0 if P[q] > 0 and P[0] > 0 else None
        if 9 < len(P):
            stats["change_9q"] = P[9] - P[0]
            stats["pct_change_9q"] = P[9] / P[0] - 1.0
        stats["outcome_9q"] = P[9] if 9 < len(P) else P[-1]
        out["scenarios"][s_name] = {
            "dates": [d.strftime("%Y-%m-%d") for d in dates],
            "transform": pred.tolist(),
            "levels": levels,
            "quarterly": quarterly,
            "stats": stats,
        }
    b = out["scenarios"][base]["stats"]["outcome_9q"]
    for s in out["scenarios"].values():
        s["pct_diff_base"] = s["stats"]["outcome_9q"] / b - 1.0
    if order:
        o = [out["scenarios"][s]["stats"]["outcome_9q"] for s in order]
        out["in_order"] = all(o[i + 1] <= o[i] for i in range(len(o) - 1))
    print(f"{name}: R² {fit.rsquared:.3f}, {len(dates)} forecast periods")
    return out


def read(path):
    return pd.read_csv(path, parse_dates=["date"]).set_index("date")


cons = read(demo / "consumption.csv")
macro = read(demo / "macro.csv")
demo_scen = {
    "Base": read(demo / "scenario_base.csv"),
    "Adverse": read(demo / "scenario_adverse.csv"),
    "Severe": read(root / "tests" / "fixtures" / "scenario_severe.csv"),
}
sample = ("1961-03-31", "2004-12-31")
golden = {}
golden["demo_gr"] = case(
    "demo_gr", cons, macro, demo_scen, ("realcons", "GR", 1, 0),
    ["realdpi_QQGR", "unemp_QQDF_L1", "tbilrate_LV"], sample, "2009-09-30", 12, "Q",
    ["Base", "Adverse", "Severe"])
golden["quarterly_df_lead"] = case(
    "quarterly_df_lead", cons, macro, {k: demo_scen[k] for k in ("Base", "Severe")},
    ("realcons", "DF", 1, 1), ["realgdp_QQGR", "unemp_LV_L1"], sample, "2009-09-30", 12, "Q",
    ["Base", "Severe"])
golden["quarterly_lv"] = case(
    "quarterly_lv", cons, macro, {k: demo_scen[k] for k in ("Base", "Adverse")},
    ("realcons", "LV", 1, 0), ["realdpi_LV", "unemp_QQDF2_L1"], sample, "2009-09-30", 9, "Q",
    [])

# The synthetic monthly case: a balance growing with a level driver and falling with a rate.
rng = np.random.default_rng(12)
dates = pd.date_range("2000-01-31", "2019-12-31", freq="ME")
n = len(dates)
x1 = 100 * np.exp(np.cumsum(0.003 + 0.01 * rng.standard_normal(n)))
r1 = 3 + np.cumsum(0.05 * rng.standard_normal(n))
g = 0.002 + 0.4 * np.r_[0, np.diff(np.log(x1))] - 0.003 * np.r_[0, np.diff(r1)] \
    + 0.002 * rng.standard_normal(n)
balance = 500 * np.exp(np.cumsum(g))
target = pd.DataFrame({"date": dates, "balance": balance.round(6)})
mevs = pd.DataFrame({"date": dates, "x1": x1.round(6), "r1": r1.round(6)})
target.to_csv(outdir / "monthly_target.csv", index=False, date_format="%Y-%m-%d")
mevs.to_csv(outdir / "monthly_mevs.csv", index=False, date_format="%Y-%m-%d")
(outdir / "monthly_metadata.csv").write_text(
    "variable,type,category,aggregation,sign\nx1,level,activity,average,+1\n"
    "r1,rate,rates,average,-1\n")
future = pd.date_range("2020-01-31", periods=36, freq="ME")
t = np.arange(1, 37)
scen = {
    "Base": pd.DataFrame({"date": future, "x1": (x1[-1] * 1.003 ** t).round(6),
                          "r1": (r1[-1] + 0.02 * t).round(6)}),
    "Stress": pd.DataFrame({"date": future,
                            "x1": (x1[-1] * np.where(t <= 12, 0.99 ** t, 0.99 ** 12 * 1.002 ** (t - 12))).round(6),
                            "r1": (r1[-1] + np.minimum(t, 12) * 0.15).round(6)}),
}
for k, v in scen.items():
    v.to_csv(outdir / f"monthly_{k.lower()}.csv", index=False, date_format="%Y-%m-%d")
(outdir / "monthly.toml").write_text('''# Synthetic monthly search for tests/it/scenarios.rs (written by tests/golden/gen_scenarios.py).
[data]
target_table = { path = "monthly_target.csv" }
mev_tables = [{ path = "monthly_mevs.csv" }]
metadata = "monthly_metadata.csv"

[target]
column = "balance"
transform = "GR"
period = 12

[sample]
in_start = "2002-01-31"
in_end = "2017-12-31"
full_end = "2019-12-31"

[search]
pool = ["x1", "r1"]
max_vars = 2
max_lag = 1
periods = [1, 3, 12]

[scenarios]
p0 = "2019-12-31"
horizon = 12
order = ["Base", "Stress"]
set = [
    { name = "Base", tables = [{ path = "monthly_base.csv" }] },
    { name = "Stress", tables = [{ path = "monthly_stress.csv" }] },
]
''')
read_m = lambda p: read(outdir / p)
golden["monthly_gr12"] = case(
    "monthly_gr12", read_m("monthly_target.csv"), read_m("monthly_mevs.csv"),
    {k: read_m(f"monthly_{k.lower()}.csv") for k in ("Base", "Stress")},
    ("balance", "GR", 12, 0), ["x1_MMGR12", "r1_MMDF3_L1"], ("2002-01-31", "2017-12-31"),
    "2019-12-31", 12, "M", ["Base", "Stress"])

(root / "tests" / "golden" / "scenarios.json").write_text(json.dumps(golden, indent=1))
print("wrote tests/golden/scenarios.json")

# The demo's data tables as one workbook (sheets "consumption" and "macro", dates as Excel
# dates): tests/it/scenarios.rs checks that data.target_table / data.mev_tables read from it give
# the same frozen data as the CSV files.
fixtures = root / "tests" / "fixtures"
with pd.ExcelWriter(fixtures / "demo_tables.xlsx", engine="openpyxl") as xl:
    for sheet, frame in (("consumption", cons), ("macro", macro)):
        frame.reset_index().to_excel(xl, sheet_name=sheet, index=False)
print("wrote tests/fixtures/demo_tables.xlsx")
