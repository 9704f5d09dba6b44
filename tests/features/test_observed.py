"""Training snapshots only while an asset is observed: from its first reading to its last.

A hand-built fleet checked row by row, the C-MAPSS run-to-failure engines (every engine
fails at its last cycle and is never seen again), and the guard that a kept training row
is still bit-identical to tonight's scoring row although the training frame left out
the rows of assets that were not reporting.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from cmapss_fleet import CONSTANT, SENSORS, load_cmapss
from feature_fleets import EVENT_SCHEMA, SPEC, T0, TS, make_fleet, snapshot_grid
from polars.testing import assert_frame_equal

from forewarn.features.batches import training_frame_in_batches
from forewarn.features.exact import segment_sums
from forewarn.features.observed import observed_spans
from forewarn.features.snapshots import (
    build_snapshots,
    scoring_snapshot,
    snapshot_times,
    training_frame,
)
from forewarn.features.spec import FeatureSpec, LabelSpec

DAY = timedelta(days=1)
HOURLY = FeatureSpec(sensors=("temp",), windows=("1d", "3d"), stats=("mean", "last"))


def _hourly(asset: str, first: timedelta, last: timedelta) -> pl.DataFrame:
    hours = int((last - first) / timedelta(hours=1)) + 1
    ts = [T0 + first + timedelta(hours=h) for h in range(hours)]
    return pl.DataFrame(
        {"asset_id": [asset] * hours, "ts": pl.Series(ts, dtype=TS), "temp": [1.0] * hours}
    )


def _hand_fleet() -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """``a`` reports all along; ``b`` is installed on day 0 but reports from day 3 06:00;
    ``c`` stops reporting on day 4 (no failure); ``d`` runs to failure on day 6 12:00."""
    tel = pl.concat(
        [
            _hourly("a", timedelta(0), 10 * DAY),
            _hourly("b", 3 * DAY + timedelta(hours=6), 10 * DAY),
            _hourly("c", timedelta(0), 4 * DAY),
            _hourly("d", timedelta(0), 6 * DAY + timedelta(hours=12)),
        ]
    )
    events = pl.DataFrame(
        [("d", T0 + 6 * DAY + timedelta(hours=12), "failure", None, None)],
        schema=EVENT_SCHEMA,
        orient="row",
    )
    assets = pl.DataFrame(
        {
            "asset_id": ["a", "b", "c", "d"],
            "asset_type": ["pump"] * 4,
            "installed_at": pl.Series([None, T0, None, None], dtype=TS),
        }
    )
    return tel.lazy(), events.lazy(), assets.lazy()


def test_snapshots_start_at_the_first_reading_and_end_with_the_asset() -> None:
    tables = _hand_fleet()
    labels = LabelSpec(horizon="2d", downtime="1d")
    frame, report = training_frame(*tables, T0 + DAY, T0 + 10 * DAY, HOURLY, labels, T0 + 10 * DAY)
    days = {a: sorted((t - T0).days for t in g["as_of"]) for (a,), g in frame.group_by("asset_id")}
    assert days == {
        "a": list(range(1, 11)),
        "b": list(range(4, 11)),  # known since day 0 (installed), read from day 3 06:00
        "c": list(range(1, 7)),  # last reading day 4, still observed 48 h (stale limit)
        "d": list(range(1, 7)),  # failed at its last reading on day 6: nothing after it
    }
    assert report.snapshots == 40 and report.kept == frame.height == 29
    assert report.excluded_before_first_reading == 3  # b on days 1-3
    assert report.excluded_after_last_reading == 4 + 4  # c and d on days 7-10
    assert report.excluded_downtime == 0
    assert frame.filter(pl.col("asset_id") == "d")["fails_within_2d"].to_list()[-2:] == [True] * 2
    spans = observed_spans(tables[0], tables[1])
    assert spans.filter(pl.col("asset_id") == "d")["end_ts"].item() == T0 + 6.5 * DAY


def test_the_stale_limit_is_the_tolerance_past_the_last_reading() -> None:
    tables = _hand_fleet()
    labels = LabelSpec(horizon="2d")
    frame, report = training_frame(
        *tables, T0 + DAY, T0 + 10 * DAY, HOURLY, labels, T0 + 10 * DAY, stale_after=4 * DAY
    )
    c = frame.filter(pl.col("asset_id") == "c")
    assert c["as_of"].max() == T0 + 8 * DAY  # 4 days past its last reading
    assert frame.filter(pl.col("asset_id") == "d")["as_of"].max() == T0 + 6 * DAY  # failed
    assert report.excluded_after_last_reading == 2 + 4


def test_batched_training_frame_keeps_the_same_observed_rows() -> None:
    tables = _hand_fleet()
    labels = LabelSpec(horizon="2d")
    args = (T0 + DAY, T0 + 10 * DAY, HOURLY, labels)
    whole, whole_report = training_frame(*tables, *args, T0 + 10 * DAY)
    frame, report = training_frame_in_batches(
        tables, *args, [["a", "c"], ["b"], ["d"]], T0 + 10 * DAY
    )
    assert_frame_equal(frame, whole, check_exact=True)
    assert report == whole_report


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_kept_training_rows_equal_tonights_scoring_rows(seed: int) -> None:
    # Nine assets of one type, most of them not reporting over some of the grid: the
    # training frame builds fewer rows than scoring, yet the fleet norms of a kept row
    # must come out bit for bit as tonight's (they pool the same readings).
    fleet = make_fleet(seed, n_assets=9)
    assets = fleet.assets.with_columns(asset_type=pl.lit("pump"))
    day = (pl.col("ts") - T0).dt.total_hours() / 24
    n = pl.col("asset_id").str.slice(1).cast(pl.Int32)
    # a0-a2 stop reporting on days 3-5, a3-a4 start on days 5-6, the others report all along.
    cut = pl.when(n < 3).then(day < 3 + n).when(n < 5).then(day > 2 + n).otherwise(True)
    tables = (fleet.telemetry.filter(cut).lazy(), fleet.events.lazy(), assets.lazy())
    start, end, _ = snapshot_grid()
    spec = SPEC.model_copy(update={"windows": ("1d", "3d"), "freshness": False})
    labels = LabelSpec(horizon="2d", downtime="6h")
    frame, report = training_frame(*tables, start, end, spec, labels, end, timedelta(hours=12))
    assert report.excluded_after_last_reading + report.excluded_before_first_reading > 0
    features = [c for c in frame.columns if "__" in c]
    for as_of in snapshot_times(start, end, "2d"):
        kept = frame.filter(pl.col("as_of") == as_of)
        tonight = scoring_snapshot(*tables, as_of, spec).join(
            kept.select("asset_id"), on="asset_id", how="semi"
        )
        assert_frame_equal(
            kept.select("asset_id", *features),
            tonight.select("asset_id", *features),
            check_exact=True,
        )


def test_scoring_still_reports_every_known_asset() -> None:
    tel, ev, assets = _hand_fleet()
    tonight = scoring_snapshot(tel, ev, assets, T0 + 10 * DAY, HOURLY)
    assert tonight["asset_id"].to_list() == ["a", "b", "c", "d"]  # c and d: no readings
    every = build_snapshots(tel, ev, assets, T0 + DAY, T0 + 10 * DAY, HOURLY)
    assert every.height == 40  # without observed spans: every known asset at every as_of


def test_segment_sums_skipping_zeros_ignore_rows_that_add_nothing() -> None:
    values = [0.1 * (i + 1) ** 1.7 for i in range(40)]
    with_zeros = [*values[:7], 0.0, 0.0, *values[7:20], 0.0, *values[20:]]
    sums = []
    for column in (values, with_zeros):
        frame = pl.DataFrame({"g": [1] * len(column), "x": column})
        sums.append(segment_sums(frame, ["g"], [pl.col("x")], skip_zeros=True)["x"].item())
    assert sums[0] == sums[1]
    empty = pl.DataFrame({"g": [1, 1, 2], "x": [0.0, 0.0, 2.5]})
    assert segment_sums(empty, ["g"], [pl.col("x")], skip_zeros=True)["x"].to_list() == [0.0, 2.5]


def test_cmapss_engines_are_not_snapshotted_after_they_failed() -> None:
    tel, ev, assets = load_cmapss(units=4)
    sensors = tuple(s for s in SENSORS if s not in CONSTANT)
    spec = FeatureSpec(
        sensors=sensors, windows=("6h", "24h"), stats=("mean", "last"), snapshot_every="1h"
    )
    start, end = tel["ts"].min() + timedelta(hours=1), tel["ts"].max()
    frame, report = training_frame(
        tel.lazy(), ev.lazy(), assets.lazy(), start, end, spec, LabelSpec(horizon="24h")
    )
    assert frame.height <= tel.height / 1 + assets.height  # readings / spacing + one per asset
    every = build_snapshots(tel.lazy(), ev.lazy(), assets.lazy(), start, end, spec)
    assert report.snapshots == every.height > frame.height  # the grid, as today's frame had it
    assert report.excluded_after_last_reading > 0 and report.excluded_downtime == 4
    failed = frame.join(ev.select("asset_id", failure=pl.col("ts")), on="asset_id")
    assert failed.filter(pl.col("as_of") >= pl.col("failure")).height == 0
    assert not frame["rul_censored"].any()  # every engine's failure is seen: nothing censored
    assert frame["s2__last_24h"].null_count() == 0  # no row without readings
