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
