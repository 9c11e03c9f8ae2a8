"""Convert statsmodels' US macro dataset into the demo's CSV inputs.

Source: `statsmodels.datasets.macrodata` (US quarterly macroeconomic data, 1959Q1-2009Q3,
compiled by statsmodels from the Federal Reserve Bank of St. Louis (FRED), the Bureau of
Economic Analysis and the Bureau of Labor Statistics). statsmodels documents the dataset's
copyright as "This is public domain."

Run once from the repository root (needs statsmodels and pandas):
    python examples/demo/make_demo_data.py
It writes examples/demo/data/consumption.csv (the target table) and
examples/demo/data/macro.csv (the drivers). The CSVs are committed; this script is kept so the
conversion can be checked and repeated.
"""

from pathlib import Path

import pandas as pd
from statsmodels.datasets import macrodata

out = Path(__file__).resolve().parent / "data"
out.mkdir(exist_ok=True)

df = macrodata.load_pandas().data
# Quarter-end dates, ISO formatted.
dates = pd.PeriodIndex.from_fields(year=df["year"].astype(int), quarter=df["quarter"].astype(int), freq="Q")
df.insert(0, "date", dates.to_timestamp(how="end").strftime("%Y-%m-%d"))
df = df.drop(columns=["year", "quarter"])

df[["date", "realcons"]].to_csv(out / "consumption.csv", index=False)
drivers = ["date", "realgdp", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate",
           "unemp", "pop", "infl", "realint"]
df[drivers].to_csv(out / "macro.csv", index=False)
print(f"wrote {len(df)} quarters to {out}")


# --- Scenario tables ---------------------------------------------------------------------------
# ILLUSTRATIVE PATHS, NOT OFFICIAL SCENARIOS: three deterministic paths of the demo's drivers for
# the 12 quarters after the data's last quarter (2009Q3), made up to show what
# `[scenarios]` does: a recovery (Base), a second dip (Adverse) and a deep, long recession
# (Severe). Each table repeats the last four actual quarters (ignored by specsearch: history
# comes from macro.csv) and then gives the scenario. Base and Adverse are CSV; Severe is an xlsx
# workbook (sheet "severe", dates as Excel dates), as bank users keep scenarios, with a CSV twin
# under tests/fixtures/ holding the same values (the xlsx-equals-CSV test).


def scenario_paths(last, quarters=12):
    """Quarter-on-quarter paths per scenario, from the last actual values `last` (a row of
    macro.csv). Growth rates are per quarter; rates move towards a target level linearly."""
    shapes = {
        # name: (gdp, inv, dpi, govt, m1, unemp target, tbill target, annual inflation %)
        "Base": ([0.6] * 12, [2.0] * 12, [0.5] * 12, [0.4] * 12, [1.2] * 12, 8.0, 1.5, 2.0),
        "Adverse": (
            [-0.8] * 4 + [0.4] * 8,
            [-4.0] * 4 + [1.5] * 8,
            [-0.5] * 4 + [0.4] * 8,
            [0.3] * 12,
            [0.8] * 12,
            11.0,
            0.1,
            1.0,
        ),
        "Severe": (
            [-1.8] * 5 + [0.2] * 7,
            [-8.0] * 5 + [1.0] * 7,
            [-1.2] * 5 + [0.2] * 7,
            [0.2] * 12,
            [0.4] * 12,
            13.0,
            0.05,
            0.0,
        ),
    }
    out = {}
    for name, (gdp, inv, dpi, govt, m1, unemp_to, tbill_to, infl) in shapes.items():
        rows = []
        level = {k: float(last[k]) for k in ["realgdp", "realinv", "realdpi", "realgovt", "m1", "pop", "cpi"]}
        unemp, tbill = float(last["unemp"]), float(last["tbilrate"])
        for q in range(quarters):
            level["realgdp"] *= 1 + gdp[q] / 100
            level["realinv"] *= 1 + inv[q] / 100
            level["realdpi"] *= 1 + dpi[q] / 100
            level["realgovt"] *= 1 + govt[q] / 100
            level["m1"] *= 1 + m1[q] / 100
            level["pop"] *= 1.0023
            cpi_prev = level["cpi"]
            level["cpi"] *= (1 + infl / 100) ** 0.25
            # Rates reach their target after 8 quarters and stay there.
            step = min(q + 1, 8) / 8
            u = unemp + (unemp_to - unemp) * step
            t = tbill + (tbill_to - tbill) * step
            i = 400 * np.log(level["cpi"] / cpi_prev)
            rows.append({
                "realgdp": level["realgdp"], "realinv": level["realinv"],
                "realgovt": level["realgovt"], "realdpi": level["realdpi"], "cpi": level["cpi"],
                "m1": level["m1"], "tbilrate": t, "unemp": u, "pop": level["pop"], "infl": i,
                "realint": t - i,
            })
        out[name] = pd.DataFrame(rows).round(3)
    return out


macro = pd.read_csv(out / "macro.csv")
history = macro.tail(4).reset_index(drop=True)
last_date = pd.Timestamp(history["date"].iloc[-1])
future = pd.date_range(last_date + pd.offsets.QuarterEnd(1), periods=12, freq="QE")
tables = {}
for name, path in scenario_paths(history.iloc[-1]).items():
    path.insert(0, "date", future.strftime("%Y-%m-%d"))
    tables[name] = pd.concat([history, path[history.columns]], ignore_index=True)
tables["Base"].to_csv(out / "scenario_base.csv", index=False)
tables["Adverse"].to_csv(out / "scenario_adverse.csv", index=False)
severe = tables["Severe"]
fixtures = out.parents[2] / "tests" / "fixtures"
severe.to_csv(fixtures / "scenario_severe.csv", index=False)
with pd.ExcelWriter(out / "scenario_severe.xlsx", engine="openpyxl") as xl:
    sheet = severe.copy()
    sheet["date"] = pd.to_datetime(sheet["date"])
    sheet.to_excel(xl, sheet_name="severe", index=False)
print(f"wrote illustrative Base/Adverse/Severe scenario tables to {out}")
