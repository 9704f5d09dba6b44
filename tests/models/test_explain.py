"""Driver sentences: parsed feature names, fleet statistics, only the rows asked."""

from __future__ import annotations

import re

import polars as pl
import pytest

from forewarn.models.explain import describe, drivers_table, top_drivers, window_words
from forewarn.models.training import TrainingResult


def fleet(median: float, p10: float, p90: float, mean: float | None = None) -> dict:
    """Training-fleet statistics as ``FeatureProfile`` keeps them."""
    mean = median if mean is None else mean
    return {"median": median, "p10": p10, "p90": p90, "mean": mean, "std": (p90 - p10) / 2.5}


@pytest.mark.parametrize(
    ("feature", "value", "stats", "expected"),
    [
        (
            "vibration_mm_s__mean_7d",
            4.1,
            fleet(2.2, 1.8, 2.6),
            "Vibration: 7-day mean high, 4.1 mm/s (fleet usual 2.2 mm/s)",
        ),
        (
            "temperature_c__min_1d",
            41.5,
            fleet(60.0, 55.0, 65.0),
            "Temperature: 1-day minimum low, 41.5 °C (fleet usual 60 °C)",
        ),
        (
            "temperature_c__slope_7d",
            0.41,
            fleet(0.0, -0.1, 0.1),
            "Temperature: rising 0.41 °C per day over the last 7 days (fleet usual 0 °C per day)",
        ),
        (
            "vibration_mm_s__std_1d",
            0.9,
            fleet(0.3, 0.2, 0.4),
            "Vibration: 1-day variability high, 0.9 mm/s (fleet usual 0.3 mm/s)",
        ),
        (
            "power_kw__ewma_7d",
            12_400.0,
            fleet(10_000.0, 9_500.0, 10_500.0),
            "Power: 7-day recent level high, 12,400 kW (fleet usual 10,000 kW)",
        ),
        (
            "volt__max_1d",
            250.0,
            fleet(170.0, 160.0, 180.0),
            "Volt: 1-day maximum high, 250 (fleet usual 170)",
        ),
        (
            "alarms__BRG-A3_1d",
            2.0,
            fleet(0.0, 0.0, 0.0, mean=0.05),
            "Alarm BRG-A3: 2 in the last day, 40x the fleet's usual rate",
        ),
        (
            "alarms__E101_7d",
            3.0,
            fleet(0.0, 0.0, 0.0, mean=0.0),
            "Alarm E101: 3 in the last 7 days (the fleet usually has none)",
        ),
        (
            "alarms__all_7d",
            5.0,
            fleet(1.0, 0.0, 2.0, mean=1.2),
            "Alarms (all codes): 5 in the last 7 days, 4x the fleet's usual rate",
        ),
        (
            "hours_since_maintenance__bearing",
            2880.0,
            fleet(960.0, 240.0, 1900.0),
            "Bearing: last maintenance 120 days ago (fleet usual 40 days)",
        ),
        (
            "hours_since_failure",
            120.0,
            fleet(1440.0, 400.0, 3000.0),
            "Last failure 5 days ago (fleet usual 60 days)",
        ),
        (
            "age_hours",
            24000.0,
            fleet(9600.0, 2400.0, 15000.0),
            "Asset age 1000 days (fleet usual 400 days)",
        ),
        (
            "vibration_mm_s__hours_since_last",
            30.0,
            fleet(1.0, 1.0, 1.0),
            "Vibration: last reading 30 h ago (fleet usual 1 h)",
        ),
        (
            "vibration_mm_s__count_1d",
            12.0,
            fleet(24.0, 24.0, 24.0),
            "Vibration: only 12 readings in the last day (fleet usual 24)",
        ),
        ("n_failures", 3.0, fleet(0.0, 0.0, 1.0), "3 failures on record (fleet usual 0)"),
    ],
)
def test_abnormal_values_read_in_planner_units(
    feature: str, value: float, stats: dict, expected: str
) -> None:
    assert describe(feature, value, stats) == expected


def test_a_z_score_quotes_the_sensor_level_in_its_unit() -> None:
    row = {"vibration_mm_s__mean_7d": 4.1}
    got = describe("vibration_mm_s__z_baseline_7d", 2.34, fleet(0.0, -1.0, 1.0), row)
    assert got == (
        "Vibration: 7-day mean 4.1 mm/s, 2.3 standard deviations above this machine's own baseline"
    )


@pytest.mark.parametrize(
    ("feature", "value", "stats"),
    [
        ("vibration_mm_s__mean_7d", 7.67, fleet(7.67, 7.0, 8.3)),  # "7.67 vs fleet median 7.67"
        ("vibration_mm_s__z_baseline_7d", 0.0, fleet(0.0, -1.0, 1.0)),  # "0.0 sigma above"
        ("vibration_mm_s__z_regime_1d", 1.2, fleet(0.0, -1.0, 1.0)),  # within 2 sigma
        ("temperature_c__mean_30d", 61.0, fleet(60.0, 40.0, 80.0)),  # inside the fleet's band
        ("temperature_c__mean_7d", 100.5, fleet(100.0, 99.99, 100.01)),  # tight band, 0.5 % gap
        ("alarms__all_7d", 2.0, fleet(1.0, 0.0, 2.0, mean=1.2)),  # under 3x the usual rate
        ("alarms__BRG-A3_1d", 0.0, fleet(0.0, 0.0, 0.0, mean=0.0)),  # no alarm at all
        ("hours_since_maintenance__seal", None, fleet(240.0, 100.0, 500.0)),  # none on record
        ("hours_since_failure", 1500.0, fleet(1440.0, 400.0, 3000.0)),  # usual
        ("line", "L2", None),  # categorical context is never a reason
        ("plant", "North", None),
        ("asset_type", "pump", None),
        ("vibration_mm_s__mean_7d", None, fleet(2.2, 1.8, 2.6)),  # no data: not a finding
    ],
)
def test_usual_values_and_context_are_not_drivers(
    feature: str, value: object, stats: dict | None
) -> None:
    assert describe(feature, value, stats) is None


def test_window_words() -> None:
    assert [window_words(w) for w in ("7d", "24h", "2w", "life")] == [
        "7-day",
        "24-hour",
        "2-week",
        "current-life",
    ]


def test_failing_assets_are_explained_by_the_signal(trained: TrainingResult) -> None:
    val = trained.validation
    risky = val.filter(pl.col("fails_within_7d") & (pl.col("rul_hours") < 48)).head(5)
    drivers = top_drivers(trained.risk, risky, top_k=3)
    assert len(drivers) == risky.height
    for row in drivers:
        assert 1 <= len(row) <= 3
        assert row[0].feature.startswith("vibration_rms__")
        assert all(not isinstance(d.value, str) for d in row)  # never the line or plant
        assert all(d.sentence.startswith("Vibration rms") for d in row[:1])
        assert all(d.contribution > 0 for d in row)
        assert [d.contribution for d in row] == sorted((d.contribution for d in row), reverse=True)
    table = drivers_table(trained.risk, risky, top_k=3)
    assert table.columns == ["asset_id", "rank", "feature", "contribution", "sentence"]
    assert table.height == sum(len(r) for r in drivers)


def test_no_rows_no_work(trained: TrainingResult) -> None:
    assert top_drivers(trained.risk, trained.validation.head(0)) == []


def test_no_row_is_explained_by_context_or_by_a_usual_value(trained: TrainingResult) -> None:
    rows = trained.validation.sort("rul_hours", nulls_last=True).head(40)
    found = [d for row in top_drivers(trained.risk, rows, top_k=5) for d in row]
    assert found, "the riskiest validation rows have abnormal drivers"
    assert not {d.feature for d in found} & {"asset_type", "plant", "line"}
    for d in found:
        assert not re.search(r"(?<![\d.])0\.0 standard deviations", d.sentence)
        assert "fleet median" not in d.sentence
