#!/usr/bin/env python3
"""Golden values for data preparation (docs/semantics.md §1), checked by tests/it/data_prep.rs.

Regenerate from the repository root with a Python that has numpy, pandas and scipy:

    python tests/golden/gen_data.py        # writes tests/golden/data/*.json

Each JSON file holds the inputs and the expected outputs together. NaN is written as null.
The reference numerics are scipy `CubicSpline(bc_type="not-a-knot")`, `numpy.interp`, pandas
`resample("QE").mean()`, pandas `ffill` and pandas period arithmetic; the Rust code is written
independently of this script, which follows the contract text step by step.
"""
import io
import json
import os

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
EPOCH = pd.Timestamp("1970-01-01")
ZERO_MEAN_REL = 1e-12  # same "~0" rule as src/data/interpolate.rs


def js(values):
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else float(v) for v in values]


def iso(ts):
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def day_number(ts):
    return (pd.Timestamp(ts).normalize() - EPOCH).days


def knot(period, agg):
    """Knot date of a quarterly period: quarter end for `end`, first day of the middle month else."""
    if agg == "end":
        return period.to_timestamp(how="end").normalize()
    return (period.asfreq("M", how="start") + 1).to_timestamp(how="start")


def quarterly_to_monthly(q_dates, values, agg):
    """Reference quarterly → monthly conversion, following docs/semantics.md §1 literally."""
    q = pd.Series(values, index=pd.PeriodIndex([pd.Period(d, "Q") for d in q_dates]), dtype=float)
    full = q.reindex(pd.period_range(q.index.min(), q.index.max(), freq="Q"))
    months = pd.period_range(full.index[0].asfreq("M", "start"), full.index[-1].asfreq("M", "end"), freq="M")
    out = pd.Series(np.nan, index=months)
    valid = full.dropna()
    if not valid.empty:
        span = pd.period_range(valid.index[0].asfreq("M", "start"), valid.index[-1].asfreq("M", "end"), freq="M")
        mx = np.array([day_number(m.to_timestamp(how="end")) for m in span], dtype=float)
        xs = [day_number(knot(p, agg)) for p in valid.index]
        ys = list(valid.values)
        if len(valid) >= 4:
            last = valid.index[-1]
            xs += [day_number(knot(last + j, agg)) for j in range(1, 5)]
            ys += [ys[-1]] * 4
            m = CubicSpline(np.array(xs, float), np.array(ys, float), bc_type="not-a-knot")(mx)
            m = pd.Series(m, index=span)
            if agg in ("average", "sum"):
                scale = max(abs(y) for y in ys)
                for p, observed in valid.items():
                    months_p = pd.period_range(p.asfreq("M", "start"), p.asfreq("M", "end"), freq="M")
                    mean = m[months_p].mean()
                    if abs(mean) > ZERO_MEAN_REL * scale:
                        m[months_p] = m[months_p] * (observed / mean)
        else:
            m = pd.Series(np.interp(mx, np.array(xs, float), np.array(ys, float)), index=span)
        if agg == "sum":
            m = m / 3.0
        out[span] = m.values
        for p, v in full.items():
            if np.isnan(v):
                out[pd.period_range(p.asfreq("M", "start"), p.asfreq("M", "end"), freq="M")] = np.nan
    return [iso(m.to_timestamp(how="end")) for m in out.index], js(out.values)


def q_dates(start, n):
    return [iso(p.to_timestamp(how="end")) for p in pd.period_range(start, periods=n, freq="Q")]


def interpolation_cases():
    rng = np.random.default_rng(20240531)
    cases = []

    def add(name, dates, values, aggs=("average", "sum", "end")):
        for agg in aggs:
            md, mv = quarterly_to_monthly(dates, values, agg)
            cases.append({"name": f"{name}/{agg}", "aggregation": agg, "q_dates": dates,
                          "values": js(values), "m_dates": md, "expected": mv})

    trend = list(100 + np.cumsum(rng.normal(0.5, 2.0, 12)))
    add("trend12", q_dates("2000Q1", 12), trend)
    add("exactly4", q_dates("2007Q3", 4), [3.1, 2.7, 4.4, 5.0])
    hpi = list(150 * np.exp(np.cumsum(rng.normal(0.01, 0.02, 80))))
    add("hpi80_leap_years", q_dates("1995Q2", 80), hpi)
    growth = list(rng.normal(0.0, 1.0, 20))  # crosses zero: rescaling of small means
    add("growth_crosses_zero", q_dates("2010Q1", 20), growth)
    gaps = [np.nan, np.nan] + list(rng.normal(5, 1, 6)) + [np.nan] + list(rng.normal(5, 1, 5)) + [np.nan, np.nan]
    add("nan_lead_interior_trail", q_dates("2001Q4", len(gaps)), gaps)
    two_gaps = list(rng.normal(50, 5, 3)) + [np.nan, np.nan] + list(rng.normal(50, 5, 4))
    add("interior_double_gap", q_dates("2003Q1", len(two_gaps)), two_gaps)
    add("linear1", q_dates("2004Q2", 1), [7.5])
    add("linear2", q_dates("2004Q4", 2), [7.5, 9.0])
    add("linear3", q_dates("2005Q1", 3), [1.0, -2.0, 4.0])
    add("linear3_with_gaps", q_dates("2005Q1", 6), [np.nan, 1.0, np.nan, -2.0, 4.0, np.nan])
    add("three_valid_of_many", q_dates("1999Q1", 8), [np.nan, 5.0, np.nan, np.nan, 6.0, np.nan, 8.0, np.nan])
    add("all_nan", q_dates("2001Q1", 3), [np.nan] * 3)
    add("all_zero", q_dates("2001Q1", 6), [0.0] * 6)
    add("constant", q_dates("2001Q1", 6), [2.5] * 6)
    # Quarter-start dates: conversion must treat any day inside the quarter as that quarter.
    starts = [iso(p.to_timestamp(how="start")) for p in pd.period_range("2002Q1", periods=6, freq="Q")]
    add("quarter_start_dates", starts, list(rng.normal(10, 2, 6)))
    return cases


def m2q_cases():
    rng = np.random.default_rng(7)
    cases = []

    def add(name, start, values):
        idx = pd.period_range(start, periods=len(values), freq="M")
        s = pd.Series(values, index=idx.to_timestamp(how="end").normalize(), dtype=float)
        q = s.resample("QE").mean()
        cases.append({"name": name, "m_dates": [iso(d) for d in s.index], "values": js(values),
                      "q_dates": [iso(d) for d in q.index], "expected": js(q.values)})

    add("full_quarters", "2000-01", list(rng.normal(3, 1, 24)))
    add("partial_edges", "2000-02", list(rng.normal(3, 1, 13)))
    v = list(rng.normal(3, 1, 15))
    v[0] = v[4] = v[5] = np.nan
    v[6] = v[7] = v[8] = np.nan  # 2000Q3 entirely missing → NaN
    add("nan_skipping", "2000-01", v)
    add("single_month", "2011-11", [4.0])
    return cases


NA_TOKENS = ["", "NA", "N/A", "#N/A", "NaN", "nan", "."]


def ffill_cases():
    """CSV text with unsorted rows and every missing token; expected = pandas sort + ffill."""
    rng = np.random.default_rng(11)
    cases = []
    for name, dates in [
        ("monthly", [iso(p.to_timestamp(how="end")) for p in pd.period_range("2001-01", periods=14, freq="M")]),
        ("quarterly", [iso(p.to_timestamp(how="end")) for p in pd.period_range("2001Q1", periods=10, freq="Q")]),
    ]:
        n = len(dates)
        cols = {}
        for c in ["a", "b", "c"]:
            vals = [f"{x:.6g}" for x in rng.normal(10, 3, n)]
            for i in rng.choice(n, size=n // 3, replace=False):
                vals[i] = NA_TOKENS[int(rng.integers(len(NA_TOKENS)))]
            cols[c] = vals
        cols["a"][0] = "NA"  # a leading gap stays NaN
        cols["b"][-1] = ""  # a trailing gap is filled
        order = rng.permutation(n)  # rows out of order: ffill runs in date order
        lines = ["date,a,b,c"] + [",".join([dates[i]] + [cols[c][i] for c in "abc"]) for i in order]
        csv_text = "\n".join(lines) + "\n"
        df = pd.read_csv(io.StringIO(csv_text), index_col="date", parse_dates=["date"],
                         na_values=NA_TOKENS, keep_default_na=False)
        df = df.sort_index()
        cases.append({"name": name, "csv": csv_text, "dates": [iso(d) for d in df.index],
                      "raw": {c: js(df[c].values) for c in "abc"},
                      "ffill": {c: js(df[c].ffill().values) for c in "abc"}})
    return cases


def date_cases():
    """Every accepted format, produced from random days; expected values from pandas periods."""
    rng = np.random.default_rng(3)
    days = pd.to_datetime("1990-01-01") + pd.to_timedelta(rng.integers(0, 15000, 40), unit="D")
    days = list(days) + [pd.Timestamp("2000-02-29"), pd.Timestamp("2004-12-31"), pd.Timestamp("2001-01-01")]
    parse = []
    for d in days:
        m_end = iso(pd.Period(d, "M").to_timestamp(how="end"))
        q_end = iso(pd.Period(d, "Q").to_timestamp(how="end"))
        q = (d.month - 1) // 3 + 1
        for text, exp in [
            (d.strftime("%Y-%m-%d"), iso(d)),
            (d.strftime("%Y/%m/%d"), iso(d)),
            (d.strftime("%m/%d/%Y"), iso(d)),
            (f"{d.month}/{d.day}/{d.year}", iso(d)),
            (f"{d.year}-{d.month}-{d.day}", iso(d)),
            (d.strftime("%Y-%m-%d %H:%M:%S").replace("00:00:00", "13:45:07"), iso(d)),
            (d.strftime("%Y-%m-%dT00:00:00"), iso(d)),
            (d.strftime("%Y-%m-%d 00:00"), iso(d)),
            (d.strftime("%Y-%m"), m_end),
            (d.strftime("%Y/%m"), m_end),
            (d.strftime("%YM%m"), m_end),
            (f"{d.year}-M{d.month}", m_end),
            (f"{d.year}m{d.month:02d}", m_end),
            (f"{d.year}Q{q}", q_end),
            (f"{d.year}-Q{q}", q_end),
            (f"{d.year} Q{q}", q_end),
            (f"{d.year}q{q}", q_end),
            (f"  {d.year}Q{q} ", q_end),
        ]:
            parse.append({"text": text, "expected": exp})
    for bad in ["", "2005", "200503", "20050331", "31/03/2005", "2005-02-30", "2005-13", "2005Q0", "2005Q5",
                "2005-03-31 noon", "Mar 2005", "38442", "2005-03-31-01", "05-03-31", "2005M13", "2005--Q1",
                "1/2/05", "2005/3/31/1", "2005-03-31 25:00"]:
        parse.append({"text": bad, "expected": None})
    snap = []
    for d in days:
        snap.append({"date": iso(d),
                     "month_end": iso(d + pd.offsets.MonthEnd(0)),
                     "quarter_end": iso(d + pd.offsets.QuarterEnd(0))})
    return {"parse": parse, "snap": snap}


def align_cases():
    """End-to-end: CSV texts for a target and MEV tables, expected panel from the reference code."""
    rng = np.random.default_rng(5)
    cases = []

    # Monthly target 2001-01..2003-12; quarterly MEVs over a wider range; a monthly MEV with a code
    # also present quarterly (so the quarterly copy becomes GDP_Q) and a shorter range.
    t_months = pd.period_range("2001-01", "2003-12", freq="M")
    y = rng.normal(0, 1, len(t_months))
    q_per = pd.period_range("2000Q1", "2004Q2", freq="Q")
    gdp_q = 100 + np.cumsum(rng.normal(1, 1, len(q_per)))
    unemp_q = 5 + rng.normal(0, 0.3, len(q_per))
    unemp_q[3] = np.nan
    m_per = pd.period_range("2001-06", "2004-03", freq="M")
    gdp_m = 100 + np.cumsum(rng.normal(0.3, 0.5, len(m_per)))
    hpi_m = 200 + np.cumsum(rng.normal(0.3, 0.5, len(m_per)))

    def month_iso(p):
        return iso(p.to_timestamp(how="end"))

    target_csv = "date,y\n" + "".join(f"{month_iso(p)},{float(v)!r}\n" for p, v in zip(t_months, y))
    q_csv = "Date,GDP,UNEMP\n" + "".join(
        f"{p.year}Q{p.quarter},{float(g)!r},{'' if np.isnan(u) else repr(float(u))}\n" for p, g, u in zip(q_per, gdp_q, unemp_q))
    m_csv = "DATE,GDP,HPI\n" + "".join(f"{month_iso(p)},{float(g)!r},{float(h)!r}\n" for p, g, h in zip(m_per, gdp_m, hpi_m))
    aggs = {"GDP": "sum", "UNEMP": "average"}
    qd = [month_iso(p.asfreq("M", "end")) for p in q_per]

    def on_target(m_dates, values):
        s = pd.Series(values, index=m_dates, dtype=float)
        return js([s.get(month_iso(p), np.nan) for p in t_months])

    cols = {"y": js(y)}
    cols["GDP_Q"] = on_target(*quarterly_to_monthly(qd, list(gdp_q), aggs["GDP"]))
    cols["UNEMP"] = on_target(*quarterly_to_monthly(qd, list(unemp_q), aggs["UNEMP"]))
    cols["GDP"] = on_target([month_iso(p) for p in m_per], gdp_m)
    cols["HPI"] = on_target([month_iso(p) for p in m_per], hpi_m)
    cols["M"] = [float(p.month) for p in t_months]
    cols["Q"] = [float(p.quarter) for p in t_months]
    cases.append({"name": "monthly_target", "target": target_csv, "mevs": [q_csv, m_csv], "aggregation": aggs,
                  "dates": [month_iso(p) for p in t_months],
                  "columns": ["y", "GDP_Q", "UNEMP", "GDP", "HPI", "M", "Q"], "expected": cols})

    # Quarterly target; the monthly MEV shares a code with the quarterly one (→ GDP_M).
    t_q = pd.period_range("2001Q1", "2004Q1", freq="Q")
    yq = rng.normal(0, 1, len(t_q))
    target_csv = "date,y,GDP\n" + "".join(
        f"{iso(p.to_timestamp(how='start'))},{float(v)!r},{float(g)!r}\n" for p, v, g in zip(t_q, yq, gdp_q[4:4 + len(t_q)]))
    hpi_nan = hpi_m.copy()
    hpi_nan[[0, 10, 11, 12]] = np.nan  # 2001-06 (the only month of 2001Q2) and all of 2002Q2 → NaN quarters
    m_csv2 = "date,GDP,HPI\n" + "".join(
        f"{month_iso(p)},{float(g)!r},{'NA' if np.isnan(h) else repr(float(h))}\n" for p, g, h in zip(m_per, gdp_m, hpi_nan))
    ms = pd.DataFrame({"GDP": gdp_m, "HPI": hpi_nan}, index=m_per.to_timestamp(how="end").normalize())
    qm = ms.resample("QE").mean()

    def q_on_target(series):
        return js([series.get(pd.Timestamp(p.to_timestamp(how="end").normalize()), np.nan) for p in t_q])

    cols = {"y": js(yq), "GDP": js(gdp_q[4:4 + len(t_q)]), "GDP_M": q_on_target(qm["GDP"]),
            "HPI": q_on_target(qm["HPI"]), "M": [float(p.asfreq("M", "end").month) for p in t_q],
            "Q": [float(p.quarter) for p in t_q]}
    cases.append({"name": "quarterly_target", "target": target_csv, "mevs": [m_csv2], "aggregation": {},
                  "dates": [iso(p.to_timestamp(how="end")) for p in t_q],
                  "columns": ["y", "GDP", "GDP_M", "HPI", "M", "Q"], "expected": cols})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "interpolation.json": interpolation_cases(),
        "monthly_to_quarterly.json": m2q_cases(),
        "ffill.json": ffill_cases(),
        "dates.json": date_cases(),
        "align.json": align_cases(),
    }
    for name, content in files.items():
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(content, f, indent=1)
            f.write("\n")
        print("wrote", os.path.join(OUT, name))


if __name__ == "__main__":
    main()
