"""Data-quality checks on hand-built telemetry: missing, frozen, out-of-range, silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forewarn.flows.monitoring.config import QualityConfig
from forewarn.flows.monitoring.quality import quality_report

AS_OF = datetime(2025, 3, 2, tzinfo=UTC)
CFG = QualityConfig(window="1d", frozen_min_readings=6, out_of_range_share=0.01, silent_after="48h")
RANGES = {"temp": [10.0, 50.0], "vib": [0.5, 5.0]}


def readings(asset: str, hours: int, temp, vib, end: datetime = AS_OF) -> list[tuple]:
    """Hourly rows ending at ``end``; ``temp``/``vib`` are functions of the hour index."""
    return [(asset, end - timedelta(hours=h), temp(h), vib(h)) for h in range(hours)]


def telemetry(rows: list[tuple]) -> pl.LazyFrame:
    schema = {
        "asset_id": pl.String,
        "ts": pl.Datetime("us", "UTC"),
        "temp": pl.Float64,
        "vib": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def healthy(asset: str) -> list[tuple]:
    return readings(asset, 24, lambda h: 30.0 + 0.1 * h, lambda h: 2.0 + 0.01 * h)


def report(rows: list[tuple], assets: list[str], sensors=("temp", "vib")) -> dict:
    return quality_report(telemetry(rows), assets, list(sensors), RANGES, AS_OF, CFG)


def test_clean_night_raises_no_alert() -> None:
    out = report(healthy("a") + healthy("b"), ["a", "b"])
    assert out["alerts"] == []
    assert out["readings"] == 48 and out["missing"]["null_share"] == {"temp": 0.0, "vib": 0.0}


def test_missing_sensor_absent_or_mostly_null() -> None:
    gaps = readings("b", 24, lambda h: None if h % 4 else 30.0, lambda h: 2.0 + 0.01 * h)
    out = report(healthy("a") + gaps, ["a", "b"], sensors=("temp", "vib", "pressure"))
    assert out["missing"]["absent"] == ["pressure"]
    assert out["missing"]["alerts"] == {"temp": 0.375}  # 18 of 48 readings null
    assert "sensor pressure absent from the data" in out["alerts"]
    assert "sensor temp: 37.5% null" in out["alerts"]


def test_frozen_transmitter_found_per_asset_and_sensor() -> None:
    stuck = readings("b", 24, lambda h: 30.0 + 0.1 * h, lambda h: 2.5)
    short = readings("c", 5, lambda h: 30.0, lambda h: 2.0 + h)  # 5 equal readings: too few
    out = report(healthy("a") + stuck + short, ["a", "b", "c"])
    assert out["frozen"]["count"] == 1 and out["frozen"]["by_sensor"] == {"vib": 1}
    assert out["frozen"]["examples"][0] == {"asset_id": "b", "sensor": "vib", "value": 2.5, "n": 24}
    assert "sensor vib: 1 frozen transmitter(s)" in out["alerts"]


def test_readings_outside_the_training_range() -> None:
    hot = readings("b", 24, lambda h: 60.0 if h < 3 else 30.0, lambda h: 2.0)
    out = report(healthy("a") + hot, ["a", "b"])
    assert out["out_of_range"]["share"] == {"temp": 0.0625, "vib": 0.0}  # 3 of 48
    assert out["out_of_range"]["alerts"] == {"temp": 0.0625}
    assert "sensor temp: 6.2% of readings outside the training range" in out["alerts"]


def test_silent_assets_have_no_reading_in_the_silence_window() -> None:
    old = readings("b", 24, lambda h: 30.0, lambda h: 2.0, end=AS_OF - timedelta(hours=60))
    out = report(healthy("a") + old, ["a", "b", "never"])
    assert out["silent"]["assets"] == ["b", "never"] and out["silent"]["count"] == 2
    assert out["silent"]["share"] == round(2 / 3, 4)
    assert "2 asset(s) silent" in out["alerts"]
    # b's old readings are outside tonight's window, so they count nowhere else either.
    assert out["readings"] == 24
