"""The budget curve and the most the budget could catch, against hand-counted cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forewarn.models.budget import budget_curve, budget_summary, most_catchable
from forewarn.models.training import TrainingResult

DAY0 = datetime(2024, 3, 1, tzinfo=UTC)


def _frame(rows: list[tuple[str, int, float, float | None, bool]]) -> pl.DataFrame:
    """(asset, day, score, hours to the next failure, censored) rows."""
    return pl.DataFrame(
        [(a, DAY0 + timedelta(days=d), s, r, c) for a, d, s, r, c in rows],
        schema=["asset_id", "as_of", "score", "rul_hours", "rul_censored"],
        orient="row",
    )


# Four assets, three nights. A and B fail 84 h after night 0, C 54 h after it; D never
# fails and always scores highest (a model that wastes the first slot every night).
ROWS = [
    *[("A", d, 0.5, 84.0 - 24 * d, False) for d in range(3)],
    *[("B", d, 0.4, 84.0 - 24 * d, False) for d in range(3)],
    ("C", 0, 0.3, 54.0, False),
    ("C", 1, 0.3, 30.0, False),
    ("C", 2, 0.3, None, True),
    *[("D", d, 0.9, 900.0, True) for d in range(3)],
]


def test_curve_counts_failures_caught_at_n_inspections_a_night() -> None:
    got = budget_curve(_frame(ROWS), "score", horizon_h=168, lead_h=24, per_night=(1, 2, 5))
    assert got["caught_at_1_per_night"] == 0  # D takes the only slot every night
    assert got["caught_at_2_per_night"] == 1  # A
    assert got["caught_at_5_per_night"] == 3  # everyone inspected
    assert got["event_recall_at_5_per_night"] == 1.0


def test_one_slot_a_night_could_catch_all_three_with_a_perfect_order() -> None:
    # C's window closes first (nights 0-1), so a perfect planner takes C, then A, then B.
    assert most_catchable(_frame(ROWS), 168, 24, budget=0.25) == 3


def test_the_budget_caps_the_catch_when_failures_crowd_one_night() -> None:
    # Only night 1 is inside every failure's warning window: one slot, one catch.
    rows = [(a, 1, 0.5, 30.0, False) for a in "ABC"] + [
        (a, d, 0.1, 500.0, True) for a in "ABC" for d in (0, 2)
    ]
    frame = _frame(rows + [("D", d, 0.9, 900.0, True) for d in range(3)])
    assert most_catchable(frame, 168, 24, budget=0.25) == 1
    summary = budget_summary(frame, "score", 168, 24, budget=0.25)
    assert summary["inspections_per_day"] == 1.0
    assert summary["failing_assets_per_day"] == 1.0  # three failing rows over three nights


def test_validation_reports_the_budget_curve(trained: TrainingResult) -> None:
    m = trained.metrics
    curve = [m[f"risk.lightgbm.caught_at_{n}_per_night"] for n in (1, 2, 5, 10)]
    assert curve == sorted(curve) and curve[-1] <= m["risk.lightgbm.events"]
    assert m["risk.lightgbm.most_catchable_at_budget"] <= m["risk.lightgbm.events"]
    assert m["risk.oracle.most_catchable_at_budget"] == m["risk.lightgbm.most_catchable_at_budget"]
    caught = m["risk.lightgbm.event_recall"] * m["risk.lightgbm.events"]
    assert round(caught) <= m["risk.lightgbm.most_catchable_at_budget"]
