"""The nightly report files: CSV/XLSX content, self-containment and escaping of the HTML."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from serving_frames import NIGHT, night, scores

from forewarn.serving import svg
from forewarn.serving.outcomes import FILL_IN_COLUMNS
from forewarn.serving.render import fmt_change, fmt_hours, fmt_pct, fmt_rul
from forewarn.serving.report import (
    PLANNER_COLUMNS,
    ReportMeta,
    ReportPaths,
    guard_formulas,
    write_report,
)
from forewarn.serving.report_context import sensors_for, summary
from forewarn.serving.risklist import RiskListConfig, build_risk_list

EVIL_ID = '<script>alert("x")</script>'
EVIL_DRIVER = "<img src=x onerror=alert(1)> bearing temperature rose"
CFG = RiskListConfig(budget=0.1, top_n=3)
Written = tuple[pl.DataFrame, ReportPaths]


def _night_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    p = {"m1": 0.9, EVIL_ID: 0.8, "=HYPERLINK(1)": 0.7, "m4": 0.3, "m5": 0.01, "m6": None}
    tonight = scores(p, drivers=[EVIL_DRIVER, "Vibration is unstable"]).with_columns(
        plant=pl.when(pl.col("asset_id") == "m1").then(pl.lit("South")).otherwise("plant")
    )
    history = scores({"m1": 0.5, EVIL_ID: 0.7}, as_of=night(-1))
    return build_risk_list(tonight, history, CFG), history


def _sensors(ids: list[str]) -> pl.DataFrame:
    ts = [NIGHT - timedelta(hours=h) for h in range(48, 0, -1)]
    return pl.DataFrame(
        {
            "asset_id": [a for a in ids for _ in ts],
            "ts": ts * len(ids),
            "vibration": [float(i % 7) for i in range(len(ts) * len(ids))],
            "oil_pressure": [2.0] * (len(ts) * len(ids)),
        }
    )


class _Refs(HTMLParser):
    """Collects every URL-bearing attribute and every tag name of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in {"src", "href", "action", "xlink:href"}]


@pytest.fixture
def written(tmp_path: Path) -> Written:
    ranked, history = _night_frames()
    meta = ReportMeta(title="Night list", config=CFG, dataset="plant <b>North</b>")
    paths = write_report(ranked, history, tmp_path, _sensors(["m1", EVIL_ID]), meta)
    return ranked, paths


def test_files_are_named_after_the_night_and_no_temp_files_remain(
    written: Written, tmp_path: Path
) -> None:
    _, paths = written
    assert paths.html.name == "report_2025-03-10T020000Z.html"
    assert paths.csv.name == "risk_list_2025-03-10T020000Z.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (paths.html, paths.csv, paths.xlsx) if p is not None
    )


def test_csv_holds_the_whole_fleet_in_rank_order_with_formulas_defused(written: Written) -> None:
    ranked, paths = written
    table = pl.read_csv(paths.csv)
    assert table.columns == [*PLANNER_COLUMNS, *FILL_IN_COLUMNS]  # planners fill the last
    assert table.height == ranked.height
    assert table["asset_id"].to_list()[:3] == ["m1", EVIL_ID, "'=HYPERLINK(1)"]
    assert table["top_drivers"][0] == f"{EVIL_DRIVER} | Vibration is unstable"
    assert table["risk_rank"].to_list()[-1] is None


def test_csv_rounds_probabilities_and_hours_for_planners(tmp_path: Path) -> None:
    ranked = build_risk_list(scores({"m1": 0.16336403740124, "m2": 0.0123456789}), None, CFG)
    ranked = ranked.with_columns(rul_hours=pl.lit(1393.203014237116))
    table = pl.read_csv(write_report(ranked, None, tmp_path).csv)
    assert table["p_fail"].to_list() == [0.1634, 0.0123]
    assert table["rul_hours"].to_list() == [1393.2, 1393.2]
    text = next(tmp_path.glob("risk_list_*.csv")).read_text()  # what planners open
    assert "0.1634," in text and "0.16336" not in text and "1393.203" not in text


def test_guard_formulas_only_touches_text_that_a_spreadsheet_would_run() -> None:
    frame = pl.DataFrame({"t": ["=1+1", "+x", "-L1", "@a", "ok", None], "n": [-1, 2, 3, 4, 5, 6]})
    out = guard_formulas(frame)
    assert out["t"].to_list() == ["'=1+1", "'+x", "'-L1", "'@a", "ok", None]
    assert out["n"].to_list() == frame["n"].to_list()


def test_xlsx_holds_the_listed_rows_as_text_not_formulas(written: Written) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    ranked, paths = written
    sheet = openpyxl.load_workbook(paths.xlsx).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*PLANNER_COLUMNS, *FILL_IN_COLUMNS]
    listed = ranked.filter((pl.col("priority") != "none") | (pl.col("risk_rank") <= CFG.top_n))
    at = PLANNER_COLUMNS.index("asset_id")
    assert [r[at] for r in rows[1:]] == [
        "'" + a if a.startswith("=") else a for a in listed["asset_id"]
    ]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_html_is_self_contained(written: Written) -> None:
    _, paths = written
    html = paths.html.read_text()
    refs = _Refs()
    refs.feed(html)
    assert "link" not in refs.tags and "img" not in refs.tags and "iframe" not in refs.tags
    local = {paths.csv.name, paths.xlsx.name if paths.xlsx else ""}
    assert all(u.startswith("#") or u in local for u in refs.urls), refs.urls
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))
    assert "<script src" not in html


def test_every_value_is_escaped(written: Written) -> None:
    _, paths = written
    html = paths.html.read_text()
    assert EVIL_ID not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "plant &lt;b&gt;North&lt;/b&gt;" in html
    # Exactly one script element: the report's own filter code.
    assert html.count("<script") == 1


def test_top_table_details_and_sensor_charts(written: Written) -> None:
    _, paths = written
    html = paths.html.read_text()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr ") == CFG.top_n
    assert re.findall(r'<a class="asset" href="#asset-(\d+)">', body) == ["1", "2", "3"]
    assert body.index(">m1<") < body.index("&lt;script&gt;")
    assert 'id="asset-1"' in html and "Probability of failure by night" in html
    detail_1 = html.split('id="asset-1"')[1].split("</details>")[0]
    assert "named in the drivers" in detail_1  # vibration is named in a driver
    assert detail_1.index("vibration") < detail_1.index("oil_pressure")
    assert 'data-plant="South"' in html
    assert '<option value="South">South</option>' in html


def test_report_without_history_or_sensors(tmp_path: Path) -> None:
    ranked = build_risk_list(scores({"a": 0.6, "b": None}), None, CFG)
    paths = write_report(ranked, None, tmp_path / "new")
    html = paths.html.read_text()
    assert "Probability of failure by night" not in html
    assert ">a<" in html and "nights in trends</dt><dd>1 " in html


def test_summary_counts_match_the_list() -> None:
    ranked, _ = _night_frames()
    s = summary(ranked)
    assert sum(n for _, n in s["priority"]) == ranked.height
    assert dict(s["status"])["unscorable"] == 1
    assert s["new"] + s["still_open"] == ranked.filter(pl.col("priority") != "none").height


def test_sensors_named_in_drivers_come_first() -> None:
    drivers = ["Oil pressure dropped 20%", "Vibration is unstable"]
    got = sensors_for(["temp", "vibration", "oil_pressure", "current", "rpm"], drivers)
    assert got == [("vibration", True), ("oil_pressure", True), ("temp", False), ("current", False)]


def test_formats() -> None:
    assert fmt_pct(None) == "—" and fmt_pct(0.0004) == "<0.1 %" and fmt_pct(0.1234) == "12.3 %"
    assert fmt_hours(30) == "30 h" and fmt_hours(120) == "5.0 d"
    assert fmt_rul(120, 48, 240) == "5.0 d (48 h–10.0 d)" and fmt_rul(None, 1, 2) == "—"
    assert fmt_change(0.034) == "+3.4 pts" and fmt_change(None) == ""
    assert fmt_change(-0.00003) == fmt_change(0.0002) == "0.0 pts"  # no "-0.0 pts"
    assert fmt_change(-0.0006) == "-0.1 pts"


def test_svg_charts_draw_gaps_bins_and_escape_labels() -> None:
    spark = str(svg.sparkline([0.1, None, 0.3, 0.4]))
    assert spark.count("<polyline") == 1 and spark.count("<circle") == 2
    assert str(svg.sparkline([None, None])) == ""
    hist = str(svg.histogram([0.0, 0.5, 1.0, 1.0], per_decade=2))
    counts = [int(n) for n in re.findall(r": (\d+) assets", hist)]
    assert counts == [1, 3]  # log bands 10-32 %, 32-100 % (0 joins the lowest)
    chart = str(svg.line_chart([NIGHT, night(1)], {"<b>x</b>": [1.0, 2.0]}, "<i>t</i>"))
    assert "<b>" not in chart and "<i>" not in chart and "&lt;i&gt;t&lt;/i&gt;" in chart
