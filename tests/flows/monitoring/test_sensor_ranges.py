"""The drift reference's sensor ranges of a big fleet: batch by batch, bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forewarn.features.dataset import load_dataset
from forewarn.flows.monitoring import saving
from forewarn.flows.monitoring.reference import sensor_ranges
from forewarn.flows.settings import Settings
from forewarn.flows.steps import cut_at

SENSORS = ["temperature_c", "vibration_mm_s", "pressure_bar", "not_a_sensor"]
UNTIL = datetime(2025, 1, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> str:
    from forewarn.synthetic import FleetConfig, write_fleet

    root = tmp_path_factory.mktemp("ranges") / "fleet"
    start = datetime(2025, 1, 1, tzinfo=UTC)
    write_fleet(FleetConfig(n_assets=12, days=30, freq="1h", seed=4, start=start), root)
    return str(root)


def _exact(fleet: str) -> dict:
    return sensor_ranges(cut_at(load_dataset(fleet), UNTIL).telemetry, SENSORS, 0.01)


def test_batches_holding_every_reading_give_the_exact_ranges(fleet: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, batch_assets=3)  # four batches
    assert len(saving.plan_feature_batches(fleet, settings)) == 4
    assert saving.training_ranges(fleet, UNTIL, SENSORS, 0.01, settings) == _exact(fleet)


def test_a_sample_of_each_batch_estimates_the_ranges(
    fleet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saving, "RANGE_SAMPLE_ROWS", 2_000)  # ~30 % of the readings
    got = saving.training_ranges(
        fleet, UNTIL, SENSORS, 0.01, Settings(home=tmp_path, batch_assets=3)
    )
    exact = _exact(fleet)
    assert set(got) == set(exact) == set(SENSORS[:3])
    for sensor, (lo, hi) in exact.items():
        assert got[sensor] != exact[sensor] or sensor == "pressure_bar"  # really a sample
        width = hi - lo
        assert abs(got[sensor][0] - lo) < 0.1 * width and abs(got[sensor][1] - hi) < 0.1 * width
