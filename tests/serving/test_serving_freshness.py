"""Freshness and status count sensor values, per sensor the model reads (issue 18, 4 and 6).

Rows whose sensors are all null (a live gateway in front of dead sensors) made assets
``scored`` with ``data_freshness_hours`` 0.0; an asset whose telemetry file lacked one of
the model's sensors was scored on all-null features. Both are now ``unscorable`` with the
reason, and a sensor silent for days makes its asset ``stale``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forewarn.serving.score import ScoringRules, assign_status, reading_stats

NIGHT = datetime(2025, 3, 31, tzinfo=UTC)
SENSORS = ("temp", "vib")
RULES = ScoringRules(lookback="30d", min_readings=3, stale_after_hours=48.0)


def _readings(asset: str, hours_back: range, temp: float | None, vib: float | None) -> dict:
    ts = [NIGHT - timedelta(hours=h) for h in hours_back]
    return {
        "asset_id": [asset] * len(ts),
        "ts": ts,
        "temp": [temp] * len(ts),
        "vib": [vib] * len(ts),
    }


def _telemetry(*parts: dict) -> pl.LazyFrame:
    frames = [
        pl.DataFrame(p, schema_overrides={"temp": pl.Float64, "vib": pl.Float64}) for p in parts
    ]
    return pl.concat(frames).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC"))).lazy()


def _statuses(telemetry: pl.LazyFrame, sensors: tuple[str, ...] = SENSORS) -> dict[str, tuple]:
    stats = reading_stats(telemetry, NIGHT, "30d", sensors)
    ids = sorted(set(telemetry.select("asset_id").collect()["asset_id"]) | {"never"})
    snapshot = pl.DataFrame(
        {"asset_id": ids, "asset_type": ["press"] * len(ids), "as_of": [NIGHT] * len(ids)}
    ).with_columns(pl.col("as_of").cast(pl.Datetime("us", "UTC")))
    out = assign_status(snapshot, stats, None, RULES)
    return {
        r[0]: r[1:]
        for r in out.select("asset_id", "status", "status_reason", "data_freshness_hours").rows()
    }


def test_rows_without_values_do_not_make_an_asset_fresh_or_scored() -> None:
    got = _statuses(
        _telemetry(
            _readings("live", range(0, 48), 40.0, 2.0),
            _readings("dead", range(0, 24 * 30), None, None),  # a month of empty rows
            _readings("dead", range(24 * 31, 24 * 32), 41.0, 2.1),  # values before the window
        )
    )
    assert got["live"] == ("scored", None, 0.0)
    status, reason, fresh = got["dead"]
    assert status == "unscorable" and fresh is None
    assert "no sensor the model reads has a value in the last 30d" in reason
    assert got["never"][0] == "unscorable" and "no telemetry" in got["never"][1]


def test_a_sensor_without_values_in_the_window_makes_its_asset_unscorable() -> None:
    got = _statuses(
        _telemetry(
            _readings("ok", range(0, 48), 40.0, 2.0),
            _readings("half", range(0, 48), 40.0, None),
        )
    )
    assert got["ok"][0] == "scored"
    assert got["half"][0] == "unscorable" and "no value of vib in the last 30d" in got["half"][1]
    assert got["half"][2] == 0.0  # hours since the values it has


def test_freshness_is_the_stalest_model_sensor() -> None:
    got = _statuses(
        _telemetry(
            _readings("quiet", range(0, 72), 40.0, None),
            _readings("quiet", range(72, 100), 40.0, 2.0),  # vib last seen 72 h ago
        )
    )
    assert got["quiet"] == ("stale", "no value of vib for 72.0 h", 72.0)
    # a sensor the model does not read is no reason: temp alone is fresh
    assert _statuses(_telemetry(_readings("quiet", range(0, 72), 40.0, None)), ("temp",))[
        "quiet"
    ] == ("scored", None, 0.0)


def test_a_file_without_the_sensor_column_counts_as_no_value() -> None:
    no_vib = _telemetry(_readings("b", range(0, 48), 40.0, None)).drop("vib")
    stats = reading_stats(no_vib, NIGHT, "30d", SENSORS)
    assert stats["silent_sensors"].to_list() == [["vib"]]
    assert stats["n_readings"].to_list() == [48]


def test_without_sensors_every_row_counts_as_before() -> None:
    stats = reading_stats(_telemetry(_readings("a", range(0, 5), None, None)), NIGHT, "30d")
    assert stats["n_readings"].to_list() == [5] and stats["silent_sensors"].to_list() == [[]]
