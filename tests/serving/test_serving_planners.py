"""What planners act on: tiers from the fleet's own risks, what to inspect, remaining life
at the cap, a histogram whose tail shows, charts that are not flat, expected failures."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from serving_frames import night, scores

from forewarn.serving import svg
from forewarn.serving.render import fmt_rul
from forewarn.serving.report import ReportMeta, write_report
from forewarn.serving.report_context import asset_row, report_context, summary
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.store import ScoreStore
from forewarn.serving.web import create_app

CAP = 60 * 24.0


def _fleet(n: int = 100, top: float = 0.16) -> dict[str, float]:
    """``n`` assets whose probabilities climb to ``top``: a calibrated 7-day fleet."""
    return {f"m{i:03d}": top * (i + 1) / n for i in range(n)}


def test_p2_and_p3_default_to_the_top_of_tonights_fleet() -> None:
    # Probabilities never reach the old 0.5 / 0.2 thresholds, yet a planner still needs
    # the next tiers after the budget: top 3 % (P2) and top 10 % (P3) of the scored fleet.
    ranked = build_risk_list(scores(_fleet()), None, RiskListConfig())
    counts = dict(ranked.group_by("priority").len().iter_rows())
    assert counts == {"P1": 1, "P2": 2, "P3": 7, "none": 90}
    top = ranked.sort("risk_rank")
    assert top["priority"].head(10).to_list() == ["P1", "P2", "P2"] + ["P3"] * 7


def test_absolute_thresholds_stay_available() -> None:
    cfg = RiskListConfig(p2_threshold=0.15, p3_threshold=0.12)
    ranked = build_risk_list(scores(_fleet()), None, cfg)
    listed = ranked.filter(pl.col("priority").is_in(["P2", "P3"]))
    assert listed.filter(pl.col("priority") == "P2")["p_fail"].min() >= 0.15
    assert listed.filter(pl.col("priority") == "P3")["p_fail"].min() >= 0.12
    with pytest.raises(ValueError, match="p3_share"):
        RiskListConfig(p2_share=0.2, p3_share=0.1)


def test_each_asset_says_what_to_inspect() -> None:
    drivers = [
        "Last failure 5 days ago (fleet usual 60 days)",
        "Vibration: 7-day mean high, 4.1 mm/s (fleet usual 2.2 mm/s)",
        "Temperature: rising 0.4 °C per day over the last 7 days (fleet usual 0 °C per day)",
    ]
    tonight = scores({"a": 0.3, "b": 0.2, "c": None}, drivers=drivers)
    tonight = tonight.with_columns(
        top_drivers=pl.when(pl.col("asset_id") == "b")
        .then(pl.lit(["Asset age 900 days (fleet usual 400 days)"]))
        .otherwise("top_drivers")
    )
    ranked = build_risk_list(tonight).sort("asset_id")
    # The first driver naming a sensor, alarm or component: history alone names none.
    assert ranked["inspect"].to_list() == ["Vibration", None, None]


def test_the_likely_component_wins_once_the_scores_carry_it() -> None:
    tonight = scores({"a": 0.3, "b": 0.2}, drivers=["Vibration: 7-day mean high, 4 mm/s"])
    tonight = tonight.with_columns(likely_component=pl.Series(["bearing", None]))
    ranked = build_risk_list(tonight).sort("asset_id")
    assert ranked["inspect"].to_list() == ["bearing", "Vibration"]


def test_remaining_life_at_the_cap_reads_more_than_the_cap() -> None:
    assert fmt_rul(CAP, 900.0, CAP, CAP) == "more than 60 d"
    assert fmt_rul(1395.0, 800.0, CAP, CAP) == "58.1 d (33.3 d–more than 60 d)"
    assert fmt_rul(120.0, 48.0, 240.0, CAP) == "5.0 d (48 h–10.0 d)"


def test_report_and_page_show_life_at_the_cap_as_more_than(tmp_path: Path) -> None:
    tonight = scores({"a": 0.3}, rul_hours={"a": CAP}, rul_high_hours={"a": CAP})
    ranked = build_risk_list(tonight)
    meta = ReportMeta(config=RiskListConfig(), rul_cap_hours=CAP)
    html = write_report(ranked, None, tmp_path / "reports", meta=meta).html.read_text()
    assert "more than 60 d" in html and "60.0 d" not in html
    store = ScoreStore(tmp_path / "store")
    store.write_night(tonight)
    client = TestClient(
        create_app(store.path, tmp_path / "reports", rul_cap_hours=CAP), base_url="http://127.0.0.1"
    )
    assert "more than 60 d" in client.get("/").text
    assert "more than 60 d" in client.get("/asset", params={"asset_id": "a"}).text


def _bar_heights(chart: str) -> dict[int, float]:
    bars = re.findall(r'height="([\d.]+)" fill="[^"]+"><title>[^<]*: (\d+) assets', chart)
    return {int(n): float(h) for h, n in bars if int(n)}


def test_histogram_shows_the_tail_of_a_quiet_fleet() -> None:
    # 300 assets below 2 % and two at 15 %: on a linear 0-100 % axis the tail is under a
    # pixel high; on the log axis every occupied band is at least a visible bar.
    values = [0.0005 + 0.02 * i / 300 for i in range(300)] + [0.15, 0.151]
    heights = _bar_heights(str(svg.histogram(values)))
    assert min(heights.values()) >= 10
    tail = str(svg.histogram(values, {"P1": 0.15}))
    assert "P1 ≥ 15%" in tail


def test_histogram_counts_every_value_once() -> None:
    values = [0.0, 0.001, 0.01, 0.5, 1.0, 1.0]
    chart = str(svg.histogram(values, per_decade=1))
    counts = [int(n) for n in re.findall(r": (\d+) assets", chart)]
    assert counts == [2, 1, 3]  # 0.1-1 %, 1-10 %, 10-100 % (0 and 1.0 in the end bands)


def _y_span(chart: str) -> float:
    points = re.search(r'<polyline points="([^"]+)"', chart)
    assert points, chart
    ys = [float(p.split(",")[1]) for p in points.group(1).split()]
    return max(ys) - min(ys)


def test_probability_chart_is_not_flat_when_history_exists() -> None:
    # Seven nights between 2 % and 5 %: on a fixed 0-100 % axis the line is 3 px high.
    p = [0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05]
    nights = pl.DataFrame({"as_of": [night(i - 6) for i in range(7)], "p_fail": p})
    row = build_risk_list(scores({"a": 0.05})).row(0, named=True)
    detail = asset_row(row, nights, None, top_p=svg.scale_top(p))
    assert _y_span(str(detail["history_chart"])) > 40  # of a 102 px plot
    assert _y_span(str(svg.sparkline(p, top=svg.scale_top(p)))) > 8  # of 18 px


def test_report_has_a_probability_chart_per_asset_with_history(tmp_path: Path) -> None:
    history = pl.concat([scores({"a": 0.02 + 0.005 * i}, as_of=night(i - 6)) for i in range(6)])
    tonight = scores({"a": 0.05, "b": 0.01})
    ranked = build_risk_list(tonight, history, RiskListConfig())
    context = report_context(ranked, history, None, ReportMeta())
    chart = next(r for r in context["rows"] if r["asset_id"] == "a")["history_chart"]
    assert chart is not None and _y_span(str(chart)) > 40


def test_report_shows_the_fleets_expected_failures(tmp_path: Path) -> None:
    tonight = scores({"a": 0.5, "b": 0.25, "c": 0.05, "d": None})
    ranked = build_risk_list(tonight)
    assert summary(ranked)["expected_failures"] == pytest.approx(0.8)
    html = write_report(ranked, None, tmp_path).html.read_text()
    card = re.search(r'id="expected-failures".*?<b>([\d.]+)</b>', html, re.S)
    assert card and card.group(1) == "0.8"


def test_report_footer_states_the_tier_rules(tmp_path: Path) -> None:
    ranked = build_risk_list(scores(_fleet()))
    html = unescape(write_report(ranked, None, tmp_path).html.read_text())
    assert "P2: the top 3 % of tonight's scored assets" in html
    assert "P3: the top 10 % of tonight's scored assets" in html
