"""Drift verdicts on synthetic snapshots, realised precision on hand-made scores, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import polars as pl
import pytest

from forewarn.flows.monitoring.config import DriftConfig, GateConfig
from forewarn.flows.monitoring.drift import calibrate, group_drift, thresholds_for, verdict
from forewarn.flows.monitoring.drift_stats import Reference, as_matrix, normed_wasserstein
from forewarn.flows.monitoring.gate import decide, drift_streak
from forewarn.flows.monitoring.performance import pooled_recall, realised_series
from forewarn.flows.monitoring.reference import calibration_nights, split_columns, stratified_sample

START = datetime(2024, 10, 20, tzinfo=UTC)  # training window and nights straddle the
DRIFT_DAY = 90  # winter trough, where the simulator's climate is flat (see README)


@cache
def snapshots(scenario: str, share: float) -> tuple[pl.DataFrame, dict]:
    from forewarn.features.snapshots import build_snapshots
    from forewarn.flows.experiment import load_experiment
    from forewarn.synthetic import FleetConfig, simulate_fleet

    cfg = FleetConfig(
        n_assets=300, days=150, seed=3, scenario=scenario, start=START, drift_share=share
    )
    fleet = simulate_fleet(cfg)
    d0 = START + timedelta(days=DRIFT_DAY)
    frame = build_snapshots(
        fleet.telemetry.lazy(),
        fleet.events.lazy(),
        fleet.assets.lazy(),
        START + timedelta(days=31),
        d0 + timedelta(days=29),
        load_experiment("default").features,
    )
    return frame, fleet.metadata["drift"]


def nightly_verdicts(scenario: str, share: float = 0.6):
    frame, meta = snapshots(scenario, share)
    cfg = DriftConfig()
    d0 = START + timedelta(days=DRIFT_DAY)
    train = frame.filter(pl.col("as_of") < d0 - timedelta(days=7))
    numeric, _ = split_columns(frame.columns, cfg.ignore)
    ref = stratified_sample(train, 20_000, 0)
    nights = train.filter(pl.col("as_of").is_in(calibration_nights(train, cfg.calibration_nights)))
    table = calibrate(ref, nights, numeric, cfg)
    out = {}
    for k in range(30):
        cur = frame.filter(pl.col("as_of") == d0 + timedelta(days=k))
        scores = Reference(as_matrix(ref, numeric)).distance(as_matrix(cur, numeric))
        fleet = verdict(
            "fleet",
            cur.height,
            numeric,
            scores,
            thresholds_for(table, "fleet", numeric, np.inf),
            cfg,
        )
        out[k] = [fleet, *group_drift(ref, cur, numeric, table, cfg)]
    return out, meta


def test_quantile_wasserstein_matches_scipy() -> None:
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(1)
    a, b = rng.gamma(2.0, size=5000), rng.gamma(2.3, size=700)
    exact = wasserstein_distance(a, b) / np.std(a)
    assert normed_wasserstein(a, b) == pytest.approx(exact, rel=0.03)


def test_no_drift_scenario_raises_no_alarm_over_30_nights() -> None:
    verdicts, _ = nightly_verdicts("none")
    alarms = [(k, s.scope, s.share) for k, v in verdicts.items() for s in v if s.alarm]
    assert alarms == []


def test_supplier_drift_found_within_three_nights_on_the_right_types() -> None:
    verdicts, meta = nightly_verdicts("supplier", share=1.0)
    first = min(k for k, v in verdicts.items() if any(s.alarm for s in v))
    assert first <= 3
    alarmed = {s.scope for s in verdicts[first] if s.alarm and s.scope != "fleet"}
    assert alarmed and alarmed <= {f"asset_type={t}" for t in meta["asset_types"]} | {
        "plant=Baoshan"
    }
    compressor = next(s for s in verdicts[first] if s.scope == "asset_type=air_compressor")
    top = [d["column"] for d in compressor.drifted[:5]]
    assert any(c.startswith(tuple(meta["sensors"])) for c in top)


def _scores(night: datetime, p: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {"asset_id": list(p), "as_of": [night] * len(p), "p_fail": list(p.values())},
        schema={"asset_id": pl.String, "as_of": pl.Datetime("us", "UTC"), "p_fail": pl.Float64},
    )


def test_realised_precision_against_hand_made_scores() -> None:
    n1, n2 = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC)
    probs = {f"A{i}": 0.01 * i for i in range(10)}  # A9, A8 highest
    failures = pl.DataFrame(
        {
            "asset_id": ["A9", "A3", "A8"],
            "ts": [n1 + timedelta(days=2), n1 + timedelta(days=3), n1 + timedelta(days=30)],
        },
        schema={"asset_id": pl.String, "ts": pl.Datetime("us", "UTC")},
    )
    nights = {n1: _scores(n1, probs), n2: _scores(n2, probs)}
    as_of = n1 + timedelta(days=7, hours=12)  # n1 matured (7d horizon), n2 not yet
    series = realised_series(nights, failures, as_of, horizon_h=168, lead_h=24, budget=0.2)
    assert series["as_of"].to_list() == [n1]
    row = series.row(0, named=True)
    assert row["flagged"] == 2 and row["positives"] == 2  # A9 and A3 fail inside 7 days
    assert row["precision_at_k"] == pytest.approx(0.5)  # A9 right, A8 a false alarm
    assert row["recall_at_k"] == pytest.approx(0.5) and row["false_alarms"] == 1
    assert row["event_recall"] == pytest.approx(0.5) and row["lead_hours_median"] == 48
    assert pooled_recall(series, 14, min_failures=2) == pytest.approx(0.5)
    assert pooled_recall(series, 14, min_failures=3) is None


def test_gate_triggers_exactly_when_its_policy_says() -> None:
    cfg = GateConfig(drift_share=0.2, drift_nights=3, min_recall=0.4, max_model_age="30d")
    now = datetime(2025, 6, 1, tzinfo=UTC)
    young = now - timedelta(days=10)
    assert drift_streak([0.3, 0.1, 0.25, 0.2], 0.2) == 2
    assert not decide(now, [0.3, 0.1, 0.25, 0.2], 0.5, young, cfg).retrain
    hit = decide(now, [0.1, 0.25, 0.2, 0.3], 0.5, young, cfg)
    assert hit.retrain and hit.drift_streak == 3 and "3 consecutive" in hit.reasons[0]
    assert decide(now, [0.0], 0.39, young, cfg).retrain
    assert not decide(now, [0.0], None, young, cfg).retrain  # too few failures: no verdict
    old = decide(now, [0.0], 0.9, now - timedelta(days=31), cfg)
    assert old.retrain and "days old" in old.reasons[0]
