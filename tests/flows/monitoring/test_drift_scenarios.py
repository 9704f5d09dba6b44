"""Both drift detectors on the simulator's scenarios: silent without drift, and each drift
found within a few nights of its start, on the right asset types / plants and sensors."""

from __future__ import annotations

import numpy as np
import pytest

from forewarn.flows.monitoring.drift_stats import normed_wasserstein


def first_alarm(verdicts) -> int:
    return min(k for k, night in verdicts.items() if night.alarm)


def test_quantile_wasserstein_matches_scipy() -> None:
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(1)
    a, b = rng.gamma(2.0, size=5000), rng.gamma(2.3, size=700)
    exact = wasserstein_distance(a, b) / np.std(a)
    assert normed_wasserstein(a, b) == pytest.approx(exact, rel=0.03)


def test_no_drift_scenario_raises_no_alarm_over_30_nights(verdicts) -> None:
    nights, _ = verdicts("none", 30)
    assert len(nights) == 30
    assert {k: n for k, n in nights.items() if n.alarm} == {}


def test_recalibration_found_within_two_nights_on_spindles_and_pumps(verdicts) -> None:
    nights, meta = verdicts("recalibration", 6)
    first = first_alarm(nights)
    assert first <= 2
    affected_types = {f"asset_type={t}" for t in meta["asset_types"]}
    assert affected_types == {"asset_type=cnc_spindle", "asset_type=paint_pump"}
    for k in range(first, 6):  # every night until the step has settled into the recent past
        night = nights[k]
        assert night.step, k
        assert night.sensors() == {"temperature_c"}, k
        types = {s for s in night.scopes() if s.startswith("asset_type=")}
        assert types and types <= affected_types, k
    # Plants are named only where many spindles and pumps stand (Songjiang: 40 % spindles).
    plants = {s for n in nights.values() for s in n.scopes() if s.startswith("plant=")}
    assert plants <= {"plant=Songjiang", "plant=Pudong"}


def test_seasonal_found_within_two_nights_on_the_warm_plants(verdicts) -> None:
    nights, meta = verdicts("seasonal", 6)
    first = first_alarm(nights)
    assert first <= 2
    warm = {f"plant={p}" for p in meta["plants"]}
    assert warm == {"plant=Baoshan", "plant=Jiading"}
    for k in range(first, 6):
        night = nights[k]
        plants = {s for s in night.scopes() if s.startswith("plant=")}
        assert plants == warm, k
        assert night.sensors() <= set(meta["sensors"]), k
        assert "temperature_c" in night.sensors(), k


def test_supplier_found_within_three_nights_on_conveyors_and_compressors(verdicts) -> None:
    nights, meta = verdicts("supplier", 6)
    first = first_alarm(nights)
    assert first <= 3
    types = {s for s in nights[first].scopes() if s.startswith("asset_type=")}
    assert types and types <= {f"asset_type={t}" for t in meta["asset_types"]}
    assert nights[first].sensors() & set(meta["sensors"])
