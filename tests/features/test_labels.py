"""Hand-made label cases: horizon boundaries, several failures, censoring, downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from benchmarks.reference_features import reference_labels
from forewarn.features.labels import attach_labels, label_frame
from forewarn.features.naming import label_columns
from forewarn.features.spec import LabelSpec

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
EV = {"asset_id": pl.String, "ts": TS, "kind": pl.String, "component": pl.String, "code": pl.String}


def _snaps(days: list[float], asset: str = "a") -> pl.DataFrame:
    times = [T0 + timedelta(days=d) for d in days]
    return pl.DataFrame({"asset_id": [asset] * len(times), "as_of": pl.Series(times, dtype=TS)})


def _events(rows: list[tuple[float, str, str | None]]) -> pl.DataFrame:
    data = [("a", T0 + timedelta(days=d), kind, comp, None) for d, kind, comp in rows]
    return pl.DataFrame(data, schema=EV, orient="row")


WEEK = LabelSpec(horizon="7d")


def _labels(days, events, spec=WEEK, end_day=30.0) -> pl.DataFrame:
    return label_frame(_snaps(days), _events(events), spec, T0 + timedelta(days=end_day))


def test_failure_inside_and_on_the_horizon_boundary_is_positive() -> None:
    out = _labels([0, 2.999, 3, 10], [(10.0, "failure", None)])
    # (as_of, as_of + 7d]: day 3 reaches exactly day 10; day 2.999 falls short; day 10 is excluded.
    assert out["fails_within_7d"].to_list() == [False, False, True, False]


def test_rul_is_hours_to_next_failure_and_multiple_failures_restart_it() -> None:
    out = _labels([0, 5, 12], [(5.0, "failure", None), (15.0, "failure", None)])
    assert out["rul_hours"].to_list() == [120.0, 240.0, 72.0]
    assert out["rul_censored"].to_list() == [False, False, False]
    assert out["fails_within_7d"].to_list() == [True, False, True]


def test_censoring_and_unknown_labels_near_the_end_of_data() -> None:
    out = _labels([20, 25, 29], [], end_day=30.0)
    assert out["fails_within_7d"].to_list() == [False, None, None]
    assert out["rul_censored"].to_list() == [True, True, True]
    assert out["rul_hours"].to_list() == [240.0, 120.0, 24.0]


def test_failure_after_data_end_is_not_observed() -> None:
    out = _labels([25], [(31.0, "failure", None)], end_day=30.0)
    assert out["fails_within_7d"].to_list() == [None]
    assert out["rul_censored"].to_list() == [True]


def test_rul_hours_is_the_true_time_to_failure_and_the_cap_is_the_models() -> None:
    out = _labels([0], [(20.0, "failure", None)], spec=LabelSpec(horizon="7d"))
    assert out["rul_hours"].to_list() == [480.0]  # [model] rul_cap caps the RUL target
    with pytest.raises(ValueError, match=r"set once, as \[model\] rul_cap"):
        LabelSpec(horizon="7d", rul_cap="10d")
    assert LabelSpec.model_validate({"horizon": "7d", "rul_cap": None}) == LabelSpec()  # old runs


def test_downtime_rows_are_excluded_and_counted() -> None:
    snaps = _snaps([0, 5, 5.5, 6, 7]).with_columns(x__mean_1d=pl.lit(1.0))
    events = _events([(5.0, "failure", "bearing"), (9.0, "failure", "seal")])
    spec = LabelSpec(horizon="3d", downtime="1d", components=("bearing", "seal"))
    frame, report = attach_labels(snaps, events, spec, T0 + timedelta(days=30))
    assert frame["as_of"].to_list() == [T0 + timedelta(days=d) for d in (0, 6, 7)]
    assert report.snapshots == 5 and report.excluded_downtime == 2
    assert frame["fails_within_3d__seal"].to_list() == [False, True, True]
    assert frame["fails_within_3d__bearing"].to_list() == [False, False, False]
    assert report.positives == 2 and report.unknown_label == 0 and report.censored == 0
    assert frame.columns[-len(label_columns(spec)) :] == list(label_columns(spec))


@pytest.mark.parametrize("end_day", [8.0, 12.0, 30.0])
def test_labels_match_the_reference(end_day: float) -> None:
    days = [0, 1, 2.5, 4, 5, 6, 9, 11]
    events = [
        (2.0, "failure", "bearing"),
        (4.0, "maintenance", None),
        (6.5, "failure", "seal"),
        (9.0, "alarm", None),
    ]
    spec = LabelSpec(horizon="3d", downtime="12h", components=("seal",))
    snaps, ev = _snaps(days), _events(events)
    got = label_frame(snaps, ev, spec, T0 + timedelta(days=end_day))
    ref = pl.from_pandas(
        reference_labels(snaps.to_pandas(), ev.to_pandas(), spec, T0 + timedelta(days=end_day))
    )
    for col in [*label_columns(spec), "in_downtime"]:
        assert got[col].to_list() == ref[col].to_list(), col
