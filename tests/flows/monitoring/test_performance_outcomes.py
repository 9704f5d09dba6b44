"""Realised precision from technicians' outcomes: before the horizon passes, and a
confirmed fault counted as a failure once it has."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from forewarn.flows.monitoring.performance import confirm, labelled_nights, realised_series
from tests.flows.monitoring.test_performance_gate import DAY, N1, failures, scores

PROBS = {f"A{i}": 0.01 * i for i in range(10)}  # A9, A8 on top: budget 0.2 flags both


def outcomes(rows: list[tuple[datetime, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"as_of": pl.Datetime("us", "UTC"), "asset_id": pl.String, "outcome": pl.String},
        orient="row",
    )


def test_a_young_night_is_graded_by_outcomes_as_soon_as_they_arrive() -> None:
    nights = {N1: scores(N1, PROBS)}
    as_of = N1 + 2 * DAY  # the 7-day horizon is far from over: no failure label yet
    answered = outcomes([(N1, "A9", "found_fault"), (N1, "A8", "no_fault"), (N1, "A1", "no_fault")])
    labelled = labelled_nights(nights, failures({}), as_of, horizon_h=168)
    assert labelled == {}
    assert realised_series(labelled, 168, 24, 0.2, nights).height == 0  # without outcomes
    row = realised_series(labelled, 168, 24, 0.2, nights, answered).row(0, named=True)
    assert row["graded_by"] == "outcomes" and row["as_of"] == N1
    assert (row["flagged"], row["inspected"], row["confirmed"]) == (2, 2, 1)  # A1 not flagged
    assert row["precision_at_k"] == pytest.approx(0.5) and row["false_alarms"] == 1
    assert row["event_recall"] is None


def test_a_confirmed_fault_counts_as_a_hit_once_the_night_matures() -> None:
    nights = {N1: scores(N1, PROBS)}
    as_of = N1 + timedelta(days=8)
    fails = failures({"A9": N1 + 2 * DAY})  # A8 was repaired after the finding: no failure
    labelled = labelled_nights(nights, fails, as_of, horizon_h=168)
    plain = realised_series(labelled, 168, 24, 0.2).row(0, named=True)
    assert plain["precision_at_k"] == pytest.approx(0.5)
    answered = outcomes([(N1, "A8", "found_fault")])
    confirmed = {t: confirm(f, answered) for t, f in labelled.items()}
    row = realised_series(confirmed, 168, 24, 0.2, nights, answered).row(0, named=True)
    assert row["graded_by"] == "failures" and row["precision_at_k"] == pytest.approx(1.0)
    assert (row["inspected"], row["confirmed"], row["false_alarms"]) == (1, 1, 0)
