"""Control characters in asset ids (issue 18, item 7): the night's report is still written.

An asset id with a BEL or ESC from a broken export crashed the XLSX writer (openpyxl
refuses control characters), so the night ended without its workbook or its HTML page.
The CSV keeps the id verbatim (it is the data); the workbook shows the character as text.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from serving_frames import scores

from forewarn.serving.report import write_report
from forewarn.serving.risklist import build_risk_list

IDS = ("pump\x07bell", "\x1b[31mred", "ok")


def test_a_control_character_in_an_asset_id_still_gives_every_report_file(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    ranked = build_risk_list(scores(dict(zip(IDS, (0.9, 0.8, 0.1), strict=True))), None, None)
    paths = write_report(ranked, None, tmp_path, meta=None)
    assert paths.html.is_file() and paths.csv.is_file() and paths.xlsx is not None
    sheet = openpyxl.load_workbook(paths.xlsx).active
    rows = list(sheet.iter_rows(values_only=True))
    at = rows[0].index("asset_id")
    shown = [row[at] for row in rows[1:]]
    assert "pump\\x07bell" in shown and "\\x1b[31mred" in shown
    assert set(pl.read_csv(paths.csv)["asset_id"]) == set(IDS)  # the data, verbatim
    assert "[31mred" in paths.html.read_text(encoding="utf-8")
