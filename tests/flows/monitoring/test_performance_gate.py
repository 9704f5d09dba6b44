"""Realised performance on hand-made scores, recall pooled over failure events, the gate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.flows.monitoring.config import GateConfig
from forewarn.flows.monitoring.gate import decide, drift_streak
from forewarn.flows.monitoring.performance import labelled_nights, pooled_recall, realised_series

N1 = datetime(2025, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def scores(night: datetime, p: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {"asset_id": list(p), "as_of": [night] * len(p), "p_fail": list(p.values())},
        schema={"asset_id": pl.String, "as_of": pl.Datetime("us", "UTC"), "p_fail": pl.Float64},
    )


def failures(events: dict[str, datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {"asset_id": list(events), "ts": list(events.values())},
        schema={"asset_id": pl.String, "ts": pl.Datetime("us", "UTC")},
    )


def test_realised_precision_against_hand_made_scores() -> None:
    n2 = N1 + DAY
    probs = {f"A{i}": 0.01 * i for i in range(10)}  # A9, A8 highest
    fails = pl.concat(
        [
            failures({"A9": N1 + 2 * DAY, "A3": N1 + 3 * DAY}),
            failures({"A8": N1 + 30 * DAY}),
        ]
    )
    nights = {N1: scores(N1, probs), n2: scores(n2, probs)}
    as_of = N1 + timedelta(days=7, hours=12)  # n1 matured (7d horizon), n2 not yet
    labelled = labelled_nights(nights, fails, as_of, horizon_h=168)
    assert list(labelled) == [N1]
    series = realised_series(labelled, horizon_h=168, lead_h=24, budget=0.2)
    row = series.row(0, named=True)
    assert row["flagged"] == 2 and row["positives"] == 2  # A9 and A3 fail inside 7 days
    assert row["precision_at_k"] == pytest.approx(0.5)  # A9 right, A8 a false alarm
    assert row["recall_at_k"] == pytest.approx(0.5) and row["false_alarms"] == 1
    assert row["event_recall"] == pytest.approx(0.5) and row["lead_hours_median"] == 48


def test_pooled_recall_counts_each_failure_event_once() -> None:
    # A fails on day 5 and is flagged on night 1 only (96 h ahead); B fails on day 4 and is
    # never flagged. Every one of nights 1-3 has both failures inside its horizon, so
    # weighting nightly recalls by their events reads 1/6 (A caught once, counted thrice);
    # as failure events: A caught, B missed, 1/2.
    fails = failures({"A": N1 + 5 * DAY, "B": N1 + 4 * DAY})
    night1 = scores(N1, {"A": 0.9, "B": 0.1, "C": 0.2, "D": 0.3})
    later = {"A": 0.1, "B": 0.2, "C": 0.9, "D": 0.3}
    nights = {
        N1: night1,
        N1 + DAY: scores(N1 + DAY, later),
        N1 + 2 * DAY: scores(N1 + 2 * DAY, later),
    }
    as_of = N1 + 10 * DAY
    labelled = labelled_nights(nights, fails, as_of, horizon_h=168)
    series = realised_series(labelled, horizon_h=168, lead_h=24, budget=0.25)
    assert series["events"].to_list() == [2.0, 2.0, 2.0]
    assert series["event_recall"].to_list() == [0.5, 0.0, 0.0]
    assert pooled_recall(labelled, 14, 2, horizon_h=168, lead_h=24, budget=0.25) == 0.5
    assert pooled_recall(labelled, 14, 3, horizon_h=168, lead_h=24, budget=0.25) is None
    # Only the last two nights: A's catch is older, so both failures are missed.
    assert pooled_recall(labelled, 2, 2, horizon_h=168, lead_h=24, budget=0.25) == 0.0


def test_pooled_recall_needs_matured_nights() -> None:
    assert pooled_recall({}, 14, 1, horizon_h=168, lead_h=24, budget=0.1) is None


def test_gate_triggers_exactly_when_its_policy_says() -> None:
    cfg = GateConfig(drift_nights=3, min_recall=0.4, max_model_age="30d")
    now = datetime(2025, 6, 1, tzinfo=UTC)
    young = now - timedelta(days=10)
    assert drift_streak([True, False, True, True]) == 2
    assert not decide(now, [True, False, True, True], 0.5, young, cfg).retrain
    hit = decide(now, [False, True, True, True], 0.5, young, cfg)
    assert hit.retrain and hit.drift_streak == 3 and "3 consecutive" in hit.reasons[0]
    assert decide(now, [False], 0.39, young, cfg).retrain
    assert not decide(now, [False], 0.4, young, cfg).retrain  # at the floor is not below it
    assert not decide(now, [False], None, young, cfg).retrain  # too few failures: no verdict
    assert not decide(now, [False], 0.9, now - timedelta(days=30), cfg).retrain
    old = decide(now, [False], 0.9, now - timedelta(days=31), cfg)
    assert old.retrain and "last trained 31 days ago" in old.reasons[0]
    assert decide(now, [False], 0.9, None, cfg).model_age_days is None
    every = decide(now, [True] * 3, 0.1, now - timedelta(days=40), cfg)
    assert len(every.reasons) == 3
    quiet = decide(now, [False], 0.9, young, cfg)
    assert quiet.reasons == ["no retraining condition met"]


def test_a_retraining_restarts_the_age_clock() -> None:
    """A losing challenger re-validated the old champion: no retraining again next night."""
    cfg = GateConfig(drift_nights=3, min_recall=0.4, max_model_age="30d")
    now = datetime(2025, 6, 1, tzinfo=UTC)
    trained = now - timedelta(days=100)
    assert decide(now, [False], 0.9, trained, cfg).retrain
    kept = decide(now, [False], 0.9, trained, cfg, last_retrained=now - timedelta(days=1))
    assert not kept.retrain and kept.model_age_days == 1.0
    again = decide(now, [False], 0.9, trained, cfg, last_retrained=now - timedelta(days=31))
    assert again.retrain and "re-validated 31 days ago" in again.reasons[0]


def test_gate_night_counts_age_from_the_last_retraining(tmp_path: Path) -> None:
    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.monitoring.paths import MonitoringPaths
    from forewarn.flows.monitoring.steps import gate_night
    from forewarn.flows.settings import load_settings

    settings = load_settings(home=str(tmp_path))
    exp = load_experiment(None)  # max_model_age = 90d
    log = MonitoringPaths(settings.home).decisions
    log.parent.mkdir(parents=True)
    night = {"drift_alarm": False, "retrained": True, "as_of": "2025-06-01T00:00:00+00:00"}
    log.write_text(json.dumps(night) + "\n")
    record = {
        "as_of": "2025-06-02T00:00:00+00:00",
        "alarm": False,
        "drift_share": 0.0,
        "pooled_recall": None,
        "trained_until": "2025-01-01T00:00:00+00:00",  # 152 days before the night
    }
    decision = gate_night(record, exp, settings)
    assert not decision["retrain"] and decision["model_age_days"] == 1.0
    log.write_text("")
    assert gate_night(record, exp, settings)["retrain"]
