"""Shared simulated fleets, built once per session so the folder stays fast."""

from __future__ import annotations

import pytest

from forewarn.synthetic import Fleet, FleetConfig, simulate_fleet

YEAR = FleetConfig(n_assets=400, days=365, freq="1d", seed=11)
"""Big enough for rates and oracle calibration; daily telemetry keeps it cheap."""

HOURLY = FleetConfig(n_assets=40, days=90, freq="1h", seed=5, failures_per_asset_year=3.0)
"""Hourly telemetry with many failures, for downtime gaps and failure signatures."""


@pytest.fixture(scope="session")
def year_fleet() -> Fleet:
    return simulate_fleet(YEAR)


@pytest.fixture(scope="session")
def hourly_fleet() -> Fleet:
    return simulate_fleet(HOURLY)
