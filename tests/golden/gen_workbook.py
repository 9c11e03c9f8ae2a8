"""Golden reading of the model workbook (tests/it/workbook.rs) with openpyxl, an Excel reader
independent of the writer: runs the search of tests/golden/data/workbook/search.toml with the
specsearch binary, exports its workbook (`export --format xlsx --top 2`), and records what
openpyxl finds: the sheets, their frozen panes, their charts (type, series, title), the first
model sheet's coefficient table (values and number formats), the number formats of its scenario
statistics and of its series' dates, and the summary's outcome shares.

Regenerate from the repository root after `cargo build --release`, in a throw-away venv:
    pip install openpyxl
    python tests/golden/gen_workbook.py [path/to/specsearch]
(default binary: $CARGO_TARGET_DIR/release/specsearch, else target/release/specsearch).
Writes tests/golden/workbook.json.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

root = Path(__file__).resolve().parents[2]
config = root / "tests" / "golden" / "data" / "workbook" / "search.toml"
binary = Path(sys.argv[1]) if len(sys.argv) > 1 else \
    Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release" / "specsearch"

with tempfile.TemporaryDirectory() as tmp:
    ws_dir = Path(tmp) / "ws"
    book_path = Path(tmp) / "book.xlsx"
    subprocess.run([binary, "run", "-q", config, "--workspace", ws_dir], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([binary, "export", config, "--workspace", ws_dir, "--format", "xlsx",
                    "--top", "2", "-o", book_path], check=True)
    wb = openpyxl.load_workbook(book_path)

out = {"sheets": wb.sheetnames, "freeze_panes": {}, "charts": {}}
for ws in wb.worksheets:
    out["freeze_panes"][ws.title] = ws.freeze_panes
    out["charts"][ws.title] = [
        {"type": c.tagname, "series": len(c.series),
         "title": "".join(r.t for p in c.title.tx.rich.p for r in (p.r or []))}
        for c in ws._charts]


def table_after(ws, title):
    """(header row number, header names) of the table titled `title` in column A."""
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == title:
            r = row[0].row + 1
            names = [c.value for c in ws[r] if c.value is not None]
            return r, names
    raise KeyError(title)


m = wb["Rank1"]
r, names = table_after(m, "Coefficients")
coefs = []
row = r + 1
while m.cell(row, 1).value is not None:
    coefs.append({"term": m.cell(row, 1).value, "coef": m.cell(row, 2).value,
                  "format": m.cell(row, 2).number_format})
    row += 1
out["coefficients"] = coefs
r, names = table_after(m, "Scenario statistics")
out["scenario_formats"] = {n: m.cell(r + 1, names.index(n) + 1).number_format
                           for n in ("p9_level", "cagr_9q", "pct_change_9q")}
r, names = table_after(m, "Fitted vs actual")
date = m.cell(r + 1, 1)
out["series"] = {"columns": names, "first_date": date.value.strftime("%Y-%m-%d"),
                 "date_format": date.number_format}
s = wb["Summary"]
for row in s.iter_rows(min_row=2, max_col=2):
    if row[0].value == "pct_passed":
        out["pct_passed"] = {"value": row[1].value, "format": row[1].number_format}
(root / "tests" / "golden" / "workbook.json").write_text(json.dumps(out, indent=1))
print("wrote tests/golden/workbook.json")
