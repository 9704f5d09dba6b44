"""Time splits: gaps at least the horizon, hold-out assets only in validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.models.rul import rul_target
from forewarn.models.splits import holdout_assets, plan_split, rolling_origins, sample_negatives

H = timedelta(days=7)


def _plan(frame: pl.DataFrame, **kw: object):
    base = {"validation": timedelta(days=40), "calibration": timedelta(days=40), "gap": H}
    return plan_split(frame, "fails_within_7d", **(base | kw))


def test_slices_are_ordered_with_gaps(snapshots: pl.DataFrame) -> None:
    plan = _plan(snapshots)
    train = snapshots.filter(plan.train_filter())
    cal = snapshots.filter(plan.calibration_filter())
    val = snapshots.filter(plan.validation_filter())
    # Leakage guard: a training label window (as_of, as_of + H] ends before calibration.
    assert train["as_of"].max() + H <= cal["as_of"].min()
    assert cal["as_of"].max() + H <= val["as_of"].min()
    last_labelled = snapshots.filter(pl.col("fails_within_7d").is_not_null())["as_of"].max()
    assert val["as_of"].max() == last_labelled


def test_holdout_assets_only_in_validation(snapshots: pl.DataFrame) -> None:
    plan = _plan(snapshots, holdout_share=0.25, seed=1)
    assert 5 <= len(plan.holdout) <= 25
    train_assets = set(snapshots.filter(plan.train_filter())["asset_id"])
    val_assets = set(snapshots.filter(plan.validation_filter())["asset_id"])
    assert not train_assets & plan.holdout
    assert val_assets == set(plan.holdout)


def test_too_little_history_says_which_settings(snapshots: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="shorten the windows"):
        _plan(snapshots, validation=timedelta(days=200))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(5, 60), st.integers(1, 20))
def test_rolling_origins_respect_gap(folds: int, window_days: int, gap_days: int) -> None:
    first = datetime(2024, 1, 1, tzinfo=UTC)
    end = first + timedelta(days=300)
    window, gap = timedelta(days=window_days), timedelta(days=gap_days)
    origins = rolling_origins(first, end, folds=folds, window=window, gap=gap)
    assert len(origins) <= folds
    for cutoff, win in origins:
        assert cutoff + gap <= win.start and cutoff > first
        assert win.end - win.start == window and win.end <= end
    ends = [w.end for _, w in origins]
    assert ends == sorted(ends) and (not ends or ends[-1] == end)


def test_holdout_choice_is_stable_and_seeded() -> None:
    ids = [f"A{i}" for i in range(500)]
    a, b = holdout_assets(ids, 0.2, 7), holdout_assets(list(reversed(ids)), 0.2, 7)
    assert a == b and 60 <= len(a) <= 140
    assert holdout_assets(ids, 0.2, 8) != a
    assert holdout_assets(ids, 0.0, 7) == frozenset()


def test_rul_window_holds_only_rows_with_known_capped_rul(snapshots: pl.DataFrame) -> None:
    cap = timedelta(days=30)
    plan = _plan(snapshots, rul_cap=cap)
    rows = snapshots.filter(plan.rul_validation_filter())
    assert rows.height > 0
    assert plan.rul_validation.end == snapshots["as_of"].max() - cap
    # Every row's min(RUL, cap) is known: it failed, or was censored beyond the cap.
    assert rows.select(rul_target(cap.total_seconds() / 3600)).to_series().null_count() == 0


def test_rul_history_check_names_the_settings(snapshots: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"lower \[model\] rul_cap"):
        _plan(snapshots, rul_cap=timedelta(days=100))


def test_sample_negatives_keeps_every_failure(snapshots: pl.DataFrame) -> None:
    known = snapshots.filter(pl.col("fails_within_7d").is_not_null())
    sample = sample_negatives(known, "fails_within_7d", 0.2, seed=3)
    assert sample["fails_within_7d"].sum() == known["fails_within_7d"].sum()
    negatives = (~sample["fails_within_7d"]).sum() / (~known["fails_within_7d"]).sum()
    assert 0.17 < negatives < 0.23
    assert sample.equals(sample_negatives(known, "fails_within_7d", 0.2, seed=3))
    assert sample_negatives(known, "fails_within_7d", 1.0, seed=3) is known
