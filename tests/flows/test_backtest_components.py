"""Backtest grading per component: which part failed, and did the list name it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forewarn.features.labels import LabelSpec
from forewarn.flows import backtest_grade as grade
from forewarn.flows.experiment import ExperimentConfig
from forewarn.models.config import ModelConfig
from forewarn.serving.risklist import RiskListConfig

D1 = datetime(2025, 3, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")


def test_backtest_counts_caught_failures_per_component_and_the_part_named() -> None:
    """A (bearing) and B (seal) fail on day 2 and are both on night 1's list; the list
    names a bearing for both, so one of two caught failures was named right; C's seal
    failure on day 4 is never listed."""
    d2, d3 = D1 + timedelta(days=1), D1 + timedelta(days=2)
    exp = ExperimentConfig(
        name="t",
        labels=LabelSpec(horizon="2d", downtime="1h"),
        model=ModelConfig(lead_time="24h", rul_cap=None),
        risk_list=RiskListConfig(budget=0.6, p3_threshold=0.1, p2_threshold=0.5),
    )
    rows = [
        (D1, "A", 0.9, "bearing"), (D1, "B", 0.8, "bearing"), (D1, "C", 0.01, "seal"),
        (d2, "A", 0.2, "bearing"), (d2, "B", 0.1, "seal"), (d2, "C", 0.01, "seal"),
        (d3, "A", 0.2, "bearing"), (d3, "B", 0.1, "seal"), (d3, "C", 0.01, "seal"),
    ]  # fmt: skip
    scores = pl.DataFrame(
        {
            "as_of": [r[0] for r in rows],
            "asset_id": [r[1] for r in rows],
            "p_fail": [r[2] for r in rows],
            "likely_component": [r[3] for r in rows],
            "status": ["scored"] * len(rows),
            "data_freshness_hours": [1.0] * len(rows),
            "risk_model_version": ["risk v1"] * len(rows),
        },
        schema_overrides={"as_of": UTC_US},
    )
    events = pl.DataFrame(
        {
            "asset_id": ["A", "B", "C"],
            "ts": [d2 + timedelta(hours=12), d2 + timedelta(hours=6), d3 + timedelta(hours=30)],
            "kind": ["failure"] * 3,
            "component": ["bearing", "seal", "seal"],
        },
        schema_overrides={"ts": UTC_US},
    )
    frame = grade.outcomes(scores, events, exp, data_end=D1 + timedelta(days=10))
    failures = grade.name_failures(grade.failure_table(frame, exp), frame, events, exp)
    out = grade.component_totals(failures)

    assert failures.sort("asset_id").select("asset_id", "component", "named", "caught").rows() == [
        ("A", "bearing", "bearing", True),
        ("B", "seal", "bearing", True),
        ("C", "seal", None, False),
    ]
    assert out["per_component"] == {
        "bearing": {"failures": 1, "caught": 1, "event_recall": 1.0},
        "seal": {"failures": 2, "caught": 1, "event_recall": 0.5},
    }
    assert out["named_correctly"] == 0.5


def test_training_output_states_how_often_the_part_was_named() -> None:
    from forewarn.flows.console import component_line

    metrics = {
        "risk.lightgbm.component.bearing.pr_auc": 0.61,
        "risk.lightgbm.component.seal.pr_auc": float("nan"),
        "risk.lightgbm.component_named_share": 0.875,
        "risk.lightgbm.component_caught_events": 8.0,
    }
    line = component_line(metrics)
    assert line is not None and "88% of 8 caught" in line and "bearing 0.61" in line
    assert "seal" not in line  # no seal failure in validation: nothing to grade
    assert component_line({"risk.lightgbm.pr_auc": 0.2}) is None
