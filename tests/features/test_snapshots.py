"""Output contract and awkward inputs: missing sensors, tiny histories, no events."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from feature_fleets import EVENT_SCHEMA, SPEC, T0, TS, make_fleet, snapshot_grid

from forewarn.features import buckets
from forewarn.features.events import assert_sorted, is_sorted, top_alarm_codes
from forewarn.features.history import read_history, write_history
from forewarn.features.inputs import absent_columns
from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS
from forewarn.features.snapshots import (
    build_snapshots,
    feature_names,
    label_columns,
    scoring_snapshot,
    summarize_history,
    training_frame,
)
from forewarn.features.spec import FeatureSpec, LabelSpec

EMPTY_EVENTS = pl.DataFrame(schema=EVENT_SCHEMA).lazy()


def _tiny() -> tuple[pl.LazyFrame, pl.LazyFrame]:
    tel = pl.DataFrame(
        {
            "asset_id": ["x", "x", "x"],
            "ts": pl.Series([T0 + timedelta(hours=h) for h in (30, 5, 50)], dtype=TS),
            "temp": [1.0, None, 3.0],
            "mode": pl.Series([1, 2, 1], dtype=pl.Int8),
        }
    )
    assets = pl.DataFrame(
        {
            "asset_id": ["x", "y"],
            "asset_type": ["pump", "pump"],
            "installed_at": pl.Series([None, T0 + timedelta(days=2)], dtype=TS),
        }
    )
    return tel.lazy(), assets.lazy()


def test_output_columns_follow_the_contract() -> None:
    fleet = make_fleet(11, n_assets=2)
    start, end, _ = snapshot_grid()
    out = build_snapshots(*fleet.lazy(), start, end, SPEC)
    names = feature_names(SPEC)
    assert out.columns == [*ID_COLUMNS, *CONTEXT_COLUMNS, *names]
    assert out.schema["as_of"] == TS
    assert all(out.schema[c] == pl.String for c in ("asset_id", *CONTEXT_COLUMNS))
    assert all(out.schema[n] == pl.Float64 for n in names)
    assert out.select(pl.struct(ID_COLUMNS).is_unique().all()).item()


def test_missing_sensor_tiny_history_no_events_and_no_telemetry() -> None:
    tel, assets = _tiny()
    spec = FeatureSpec(sensors=("temp", "pressure"), windows=("1d", "2d"), regime_column="mode")
    out = build_snapshots(
        tel, EMPTY_EVENTS, assets, T0 + timedelta(days=1), T0 + timedelta(days=3), spec
    )
    x = out.filter(pl.col("asset_id") == "x").sort("as_of")
    # x is known from its first reading (5h); y from its install (day 2), with no readings at all.
    assert x["as_of"].to_list() == [T0 + timedelta(days=d) for d in (1, 2, 3)]
    assert out.filter(pl.col("asset_id") == "y")["as_of"].to_list() == [
        T0 + timedelta(days=d) for d in (2, 3)
    ]
    assert x["temp__count_2d"].to_list() == [0.0, 1.0, 2.0]
    assert x["temp__mean_2d"].to_list() == [None, 1.0, 2.0]
    assert x["temp__last_2d"].to_list() == [None, 1.0, 3.0]
    assert x["temp__slope_2d"].to_list()[2] == pytest.approx((3.0 - 1.0) / (20 / 24))
    assert (
        x["pressure__mean_1d"].null_count() == 3 and x["pressure__count_1d"].to_list() == [0.0] * 3
    )
    assert x["n_failures"].to_list() == [0.0] * 3 and x["hours_since_failure"].null_count() == 3
    assert out.filter(pl.col("asset_id") == "y")["age_hours"].to_list() == [0.0, 24.0]


def test_scoring_gives_one_row_per_known_asset() -> None:
    tel, assets = _tiny()
    spec = FeatureSpec(sensors=("temp",), windows=("1d",))
    out = scoring_snapshot(tel, EMPTY_EVENTS, assets, T0 + timedelta(days=1), spec)
    assert out["asset_id"].to_list() == ["x"]
    assert out["as_of"].to_list() == [T0 + timedelta(days=1)]


def test_regime_column_named_but_absent_gives_null_regime_features() -> None:
    tel, assets = _tiny()
    spec = FeatureSpec(sensors=("temp",), windows=("1d",), regime_column="shift")
    out = build_snapshots(
        tel, EMPTY_EVENTS, assets, T0 + timedelta(days=1), T0 + timedelta(days=3), spec
    )
    assert out["temp__z_regime_1d"].null_count() == out.height


def test_absent_columns_names_listed_sensors_and_regime_the_data_lacks() -> None:
    spec = FeatureSpec(sensors=("temp", "vib"), windows=("1d",), regime_column="shift")
    assert absent_columns(["asset_id", "ts", "temp"], spec) == ["vib", "shift"]
    assert absent_columns(["asset_id", "ts", "temp", "vib", "shift"], spec) == []
    assert absent_columns(["asset_id", "ts"], FeatureSpec(sensors=None)) == []  # all: none


def test_training_frame_adds_labels_and_report() -> None:
    fleet = make_fleet(5, n_assets=3)
    start, end, _ = snapshot_grid()
    labels = LabelSpec(horizon="2d")
    frame, report = training_frame(*fleet.lazy(), start, end, SPEC, labels)
    assert frame.columns[-len(label_columns(labels)) :] == list(label_columns(labels))
    assert frame.schema["fails_within_2d"] == pl.Boolean and frame.schema["rul_hours"] == pl.Float64
    excluded = report.excluded_downtime + report.excluded_after_last_reading
    assert report.snapshots - excluded - report.excluded_before_first_reading == frame.height
    assert report.kept == frame.height
    assert report.unknown_label == frame["fails_within_2d"].null_count() > 0


def test_history_round_trips_through_parquet(tmp_path) -> None:
    fleet = make_fleet(4, n_assets=3)
    tel, ev, assets = fleet.lazy()
    as_of = T0 + timedelta(days=11)
    history = summarize_history(tel, ev, assets, as_of - timedelta(days=1), SPEC)
    write_history(history, tmp_path / "history")
    again = read_history(tmp_path / "history")
    assert again.until == history.until
    assert again.partials.equals(history.partials) and again.first_seen.equals(history.first_seen)
    assert history.running is not None and history.running.height > 0
    direct = scoring_snapshot(tel, ev, assets, as_of, SPEC, history=history)
    assert direct.equals(scoring_snapshot(tel, ev, assets, as_of, SPEC, history=again))
    trimmed = read_history(tmp_path / "history", SPEC, as_of)
    assert trimmed.partials.height < history.partials.height
    assert direct.equals(scoring_snapshot(tel, ev, assets, as_of, SPEC, history=trimmed))
    full = build_snapshots(tel, ev, assets, as_of, as_of, SPEC)
    assert direct.equals(full)


def test_asof_guard_rejects_unsorted_frames() -> None:
    frame = pl.DataFrame({"asset_id": ["a", "a", "b"], "as_of": [2, 1, 0]})
    assert not is_sorted(frame, ["asset_id"], "as_of")
    assert is_sorted(frame.sort("asset_id", "as_of"), ["asset_id"], "as_of")
    with pytest.raises(AssertionError, match="join_asof"):
        assert_sorted(frame, ["asset_id"], "as_of")


def test_chunked_stage_one_gives_identical_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Partials are computed in chunks of whole buckets; chunk size must not change a bit."""
    fleet = make_fleet(8, n_assets=3)
    start, end, _ = snapshot_grid()
    whole = build_snapshots(*fleet.lazy(), start, end, SPEC)
    monkeypatch.setattr(buckets, "_CHUNK_ROWS", 7)
    assert whole.equals(build_snapshots(*fleet.lazy(), start, end, SPEC))


def test_top_alarm_codes_counts_only_alarms_up_to_until() -> None:
    rows = [
        ("a", T0 + timedelta(hours=h), kind, None, code)
        for h, kind, code in [
            (1, "alarm", "E2"),
            (2, "alarm", "E1"),
            (3, "alarm", "E2"),
            (4, "failure", "E1"),
            (5, "alarm", None),
            (99, "alarm", "E9"),
            (100, "alarm", "E9"),
            (101, "alarm", "E9"),
        ]
    ]
    events = pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row").lazy()
    assert top_alarm_codes(events, T0 + timedelta(hours=10), 5) == ("E2", "E1")
    assert top_alarm_codes(events, T0 + timedelta(days=30), 1) == ("E9",)
