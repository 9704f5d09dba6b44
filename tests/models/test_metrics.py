"""Risk and RUL metrics against hand-counted and naive reference values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.models.metrics import (
    evaluate_risk,
    event_leads,
    event_metrics,
    false_alarm_rate,
    flag_daily_top_k,
)
from forewarn.models.rul_metrics import evaluate_rul, phm_score
from forewarn.models.selection import is_better

DAY0 = datetime(2024, 3, 1, tzinfo=UTC)


def _frame(rows: list[tuple[str, int, float, bool, float, bool]]) -> pl.DataFrame:
    """(asset, day, score, label, rul_hours, censored) rows."""
    return pl.DataFrame(
        [(a, DAY0 + timedelta(days=d), s, y, r, c) for a, d, s, y, r, c in rows],
        schema=["asset_id", "as_of", "score", "fails_within_7d", "rul_hours", "rul_censored"],
        orient="row",
    )


# Two assets, four days. A fails 2.5 days after day 1 (day 3.5); B never fails.
ROWS = [
    ("A", 0, 0.2, True, 84.0, False),
    ("B", 0, 0.6, False, 500.0, True),
    ("A", 1, 0.9, True, 60.0, False),
    ("B", 1, 0.1, False, 476.0, True),
    ("A", 2, 0.8, True, 36.0, False),
    ("B", 2, 0.3, False, 452.0, True),
    ("A", 3, 0.7, True, 12.0, False),
    ("B", 3, 0.95, False, 428.0, True),
]


def test_daily_top_k_flags_one_per_day() -> None:
    frame = _frame(ROWS)
    flagged = flag_daily_top_k(frame, "score", 0.5)
    assert flagged.to_list() == [False, True, True, False, True, False, False, True]


def test_event_recall_and_lead_times_by_hand() -> None:
    frame = _frame(ROWS)
    flagged = flag_daily_top_k(frame, "score", 0.5)
    events = event_leads(frame, flagged, horizon_h=168)
    assert events.height == 1
    # A was first flagged on day 1, 60 h before the failure.
    assert events["lead_hours"].item() == 60.0 and events["max_lead_hours"].item() == 84.0
    assert event_metrics(events, 24.0)["event_recall"] == 1.0
    assert event_metrics(events, 72.0)["event_recall"] == 0.0  # no flag >= 72 h ahead
    assert math.isnan(event_metrics(events, 100.0)["event_recall"])  # none could be flagged


def test_false_alarms_per_asset_month() -> None:
    frame = _frame(ROWS)
    flagged = flag_daily_top_k(frame, "score", 0.5)
    rate = false_alarm_rate(frame, frame["fails_within_7d"], flagged)
    # B flagged on days 0 and 3 without failing: 2 false alarms, 2 assets x 4 days.
    assert rate == pytest.approx(2 / (2 * 4 / (365.25 / 12)))


def test_evaluate_risk_precision_recall_at_k() -> None:
    m = evaluate_risk(
        _frame(ROWS), "score", "fails_within_7d", horizon_h=168, lead_h=24, budget=0.5, bins=2
    ).metrics
    assert m["precision_at_k"] == pytest.approx(2 / 4)
    assert m["recall_at_k"] == pytest.approx(2 / 4)
    assert 0.0 <= m["brier"] <= 1.0 and m["prevalence"] == 0.5


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.floats(0.01, 1.0), st.integers(0, 10_000))
def test_top_k_size_per_day(n_assets: int, n_days: int, budget: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = [
        (f"A{a}", d, float(rng.random()), bool(rng.random() < 0.3), 10.0, False)
        for d in range(n_days)
        for a in range(n_assets)
    ]
    frame = _frame(rows)
    flagged = frame.with_columns(flag_daily_top_k(frame, "score", budget))
    per_day = flagged.group_by("as_of").agg(pl.col("flagged").sum())["flagged"]
    assert (per_day == math.ceil(budget * n_assets)).all()


def test_phm_score_matches_naive_formula() -> None:
    pred, true = np.array([10.0, 0.0, 25.0]), np.array([5.0, 13.0, 25.0])
    naive = sum(
        math.exp(-(p - t) / 13) - 1 if p - t < 0 else math.exp((p - t) / 10) - 1
        for p, t in zip(pred, true, strict=True)
    )
    assert phm_score(pred, true) == pytest.approx(naive)
    assert phm_score(np.array([1.0]), np.array([0.0])) > phm_score(np.array([0.0]), np.array([1.0]))


def test_rul_metrics_cap_and_censoring() -> None:
    frame = pl.DataFrame(
        {
            "rul_hours": [100.0, 1000.0, 50.0, 300.0],
            "rul_censored": [False, False, True, True],
        }
    )
    pred = np.array([130.0, 700.0, 40.0, 700.0])
    m = evaluate_rul(frame, pred, pred - 20, pred + 20, cap_hours=720.0)
    # Known capped rows: 0 (100), 1 (min(1000,720)); censored rows are below the cap.
    # Row 0 misses its interval [110, 150]; row 1 (720) lies inside [680, 720].
    assert m["rows_capped"] == 2 and m["rows_uncapped"] == 2
    assert m["mae_capped"] == pytest.approx((30 + 20) / 2)
    assert m["mae_uncapped"] == pytest.approx((30 + 300) / 2)
    assert m["interval_coverage"] == pytest.approx(0.5)
    assert m["interval_coverage_before_cap"] == pytest.approx(0.0)  # only row 0 is below


def test_is_better_respects_direction_and_tie_break() -> None:
    assert is_better({"pr_auc": 0.5}, {"pr_auc": 0.4}, "pr_auc")
    assert is_better({"brier": 0.1}, {"brier": 0.2}, "brier")
    assert not is_better({"brier": 0.3}, {"brier": 0.2}, "brier")
    tie = ({"event_recall": 0.5, "pr_auc": 0.6}, {"event_recall": 0.5, "pr_auc": 0.5})
    assert is_better(*tie, "event_recall", "pr_auc")
    assert not is_better(*tie, "event_recall")
    assert not is_better({"pr_auc": math.nan}, {"pr_auc": 0.1}, "pr_auc")


def test_phm08_counts_errors_in_the_datas_time_unit() -> None:
    # One cycle mapped onto one hour: a prediction 10 cycles late costs exp(1) - 1, not
    # exp(10 / 24 / 10) - 1 (the old score divided hours by 24 whatever the data's step).
    frame = pl.DataFrame({"rul_hours": [20.0, 30.0], "rul_censored": [False, False]})
    pred = np.array([30.0, 17.0])
    cycles = evaluate_rul(frame, pred, None, None, cap_hours=125.0, unit_hours=1.0)
    assert cycles["phm_score"] == pytest.approx(math.expm1(1.0) + math.expm1(1.0))
    days = evaluate_rul(frame, pred, None, None, cap_hours=125.0)
    assert days["phm_score"] == pytest.approx(phm_score(pred / 24, np.array([20.0, 30.0]) / 24))


def test_intervals_collapsed_at_the_cap_are_counted() -> None:
    frame = pl.DataFrame({"rul_hours": [800.0, 100.0], "rul_censored": [True, False]})
    pred = np.array([720.0, 110.0])
    m = evaluate_rul(frame, pred, np.array([720.0, 90.0]), np.array([720.0, 130.0]), 720.0)
    assert m["interval_at_cap_share"] == pytest.approx(0.5)
