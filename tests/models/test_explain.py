"""Driver sentences: parsed feature names, fleet statistics, only the rows asked."""

from __future__ import annotations

import polars as pl
import pytest

from forewarn.models.explain import describe, drivers_table, top_drivers, window_words
from forewarn.models.training import TrainingResult


@pytest.mark.parametrize(
    ("feature", "value", "median", "expected"),
    [
        (
            "vibration_rms__z_baseline_7d",
            2.34,
            0.0,
            "vibration_rms 7-day mean 2.3 sigma above this asset's baseline",
        ),
        (
            "vibration_rms__mean_7d",
            4.1,
            2.2,
            "vibration_rms 7-day mean high: 4.1 vs fleet median 2.2",
        ),
        (
            "temperature__min_24h",
            1.5,
            20.0,
            "temperature 24-hour minimum low: 1.5 vs fleet median 20",
        ),
        (
            "current__slope_life",
            0.5,
            0.0,
            "current current-life trend high: 0.5 per day vs fleet median 0 per day",
        ),
        (
            "vibration_mm_s__slope_7d",
            -0.02,
            0.001,
            "vibration_mm_s 7-day trend low: -0.02 per day vs fleet median 0.001 per day",
        ),
        (
            "pressure__z_fleet_30d",
            -1.26,
            0.0,
            "pressure 30-day mean 1.3 sigma below the fleet (same asset type)",
        ),
        (
            "power_kw__z_regime_1d",
            3.0,
            0.0,
            "power_kw 1-day mean 3.0 sigma above "
            "this asset's baseline for the same operating regime",
        ),
        (
            "vibration_mm_s__ewma_7d",
            9.0,
            3.0,
            "vibration_mm_s 7-day recent level (EWMA) high: 9 vs fleet median 3",
        ),
        ("alarms__BRG-A3_1d", 2.0, 0.0, "alarm BRG-A3: 2 in the last day (fleet median 0)"),
        ("alarms__all_7d", 5.0, 1.0, "all alarms: 5 in the last 7 days (fleet median 1)"),
        (
            "hours_since_maintenance__bearing",
            480.0,
            240.0,
            "last bearing maintenance 20 days ago (fleet median 10 days)",
        ),
        ("hours_since_maintenance__seal", None, 240.0, "no seal maintenance on record"),
        (
            "vibration_mm_s__hours_since_last",
            30.0,
            1.0,
            "vibration_mm_s: last reading 30 hours ago (fleet median 1 hours)",
        ),
        ("age_hours", 2400.0, 4800.0, "asset age 100 days (fleet median 200 days)"),
        ("n_failures", 3.0, 1.0, "3 failures on record (fleet median 1)"),
        ("alarms__E101_7d", 3.0, 0.0, "alarm E101: 3 in the last 7 days (fleet median 0)"),
        ("hours_since_failure", 240.0, 720.0, "last failure 10 days ago (fleet median 30 days)"),
        ("hours_since_failure", None, 720.0, "no failure on record"),
        ("vibration_rms__mean_7d", None, 2.2, "vibration_rms__mean_7d: no recent data"),
        ("asset_type", "pump", None, "asset type pump"),
        ("oddly_named", 5.0, 1.0, "oddly_named high: 5 vs fleet median 1"),
    ],
)
def test_describe(feature: str, value: object, median: float | None, expected: str) -> None:
    assert describe(feature, value, median) == expected


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
        assert all(d.contribution > 0 for d in row)
        assert [d.contribution for d in row] == sorted((d.contribution for d in row), reverse=True)
    table = drivers_table(trained.risk, risky, top_k=3)
    assert table.columns == ["asset_id", "rank", "feature", "contribution", "sentence"]
    assert table.height == sum(len(r) for r in drivers)


def test_no_rows_no_work(trained: TrainingResult) -> None:
    assert top_drivers(trained.risk, trained.validation.head(0)) == []
