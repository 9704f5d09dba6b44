"""The step detector on hand-built nights: what it counts, what it cancels, what it skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from forewarn.flows.monitoring.config import StepConfig
from forewarn.flows.monitoring.step import calibrate_steps, changes, judge_steps

T0 = datetime(2025, 3, 1, tzinfo=UTC)
COL = "temperature_c__z_regime_1d"
CFG = StepConfig(min_share=0.25, min_move=8.0, asset_z=4.0)


def nights(n_nights: int, seed: int = 0) -> pl.DataFrame:
    """60 assets in plants A and B, one row per night: noise around each asset's level."""
    rng = np.random.default_rng(seed)
    ids = [f"{p}{i:02d}" for p in "AB" for i in range(30)]
    level = rng.normal(0, 1, len(ids))
    rows = []
    for k in range(n_nights):
        for i, a in enumerate(ids):
            value = level[i] + rng.normal(0, 0.3)
            rows.append((a, T0 + timedelta(days=k), a[0], "pump", value, 1000.0))
    schema = {
        "asset_id": pl.String,
        "as_of": pl.Datetime("us", "UTC"),
        "plant": pl.String,
        "asset_type": pl.String,
        COL: pl.Float64,
        "life_hours": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def tonight_with(frame: pl.DataFrame, expr: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the recent nights, the last night with ``expr`` applied to it)."""
    last = frame["as_of"].max()
    return frame.filter(pl.col("as_of") < last), frame.filter(pl.col("as_of") == last).with_columns(
        expr
    )


def verdicts(recent: pl.DataFrame, tonight: pl.DataFrame, table: pl.DataFrame) -> dict:
    out = judge_steps(recent, tonight, table, ("asset_type", "plant"), 20, CFG)
    return {v.scope: v for v in out}


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return calibrate_steps(nights(40, seed=1), [COL], ("asset_type", "plant"), CFG)


def test_change_is_against_the_median_of_previous_nights_never_tonight() -> None:
    frame = pl.DataFrame(
        {
            "asset_id": ["a"] * 5,
            "as_of": [T0 + timedelta(days=k) for k in range(5)],
            COL: [1.0, 3.0, 2.0, 100.0, 5.0],
        }
    )
    ch = changes(frame, [COL], StepConfig(recent_nights=3, min_recent=3, center_by=None))
    d = ch[f"d::{COL}"].to_list()
    assert d[:3] == [None, None, None]  # fewer than min_recent previous nights
    assert d[3] == pytest.approx(100.0 - 2.0)  # median(1, 3, 2)
    assert d[4] == pytest.approx(5.0 - 3.0)  # median(3, 2, 100): tonight's 5 not included


def test_quiet_night_raises_nothing(table: pl.DataFrame) -> None:
    recent, tonight = tonight_with(nights(9, seed=2), pl.col(COL))
    assert not any(v.alarm for v in verdicts(recent, tonight, table).values())


def test_part_of_one_plant_stepping_is_named_with_its_plant(table: pl.DataFrame) -> None:
    part = pl.col("asset_id").is_in([f"A{i:02d}" for i in range(12)])  # 40 % of plant A
    recent, tonight = tonight_with(
        nights(9, seed=2), pl.when(part).then(pl.col(COL) + 3.0).otherwise(pl.col(COL))
    )
    out = verdicts(recent, tonight, table)
    assert out["plant=A"].alarm and not out["plant=B"].alarm
    hit = out["plant=A"].stepped[0]
    assert hit["column"] == COL and hit["share"] == pytest.approx(0.4, abs=0.05)
    assert out["plant=A"].sensors == ["temperature_c"]


def test_a_small_plant_wide_move_is_weather_and_cancels(table: pl.DataFrame) -> None:
    # The whole of plant A warms a little: centring on the plant cancels it for the share,
    # and the plant's median change stays inside its training spread.
    recent, tonight = tonight_with(
        nights(9, seed=2),
        pl.when(pl.col("plant") == "A").then(pl.col(COL) + 0.5).otherwise(pl.col(COL)),
    )
    assert not any(v.alarm for v in verdicts(recent, tonight, table).values())


def test_a_large_plant_wide_move_is_caught_by_the_median_change(table: pl.DataFrame) -> None:
    recent, tonight = tonight_with(
        nights(9, seed=2),
        pl.when(pl.col("plant") == "A").then(pl.col(COL) + 5.0).otherwise(pl.col(COL)),
    )
    hit = verdicts(recent, tonight, table)["plant=A"]
    assert hit.alarm and hit.stepped[0]["share"] < 0.25 and hit.stepped[0]["move_z"] >= 8.0


def test_assets_in_a_new_life_sit_out(table: pl.DataFrame) -> None:
    half = pl.col("asset_id").is_in([f"A{i:02d}" for i in range(15)])
    recent, tonight = tonight_with(
        nights(9, seed=2), pl.when(half).then(pl.col(COL) + 3.0).otherwise(pl.col(COL))
    )
    tonight = tonight.with_columns(
        pl.when(half).then(pl.lit(30.0)).otherwise(pl.col("life_hours")).alias("life_hours")
    )
    out = verdicts(recent, tonight, table)
    assert not out["plant=A"].alarm  # their baselines restarted: their jump is no evidence


def test_scopes_with_too_few_assets_are_not_judged(table: pl.DataFrame) -> None:
    recent, tonight = tonight_with(nights(9, seed=2), pl.col(COL))
    out = judge_steps(recent, tonight.head(25), table, ("plant",), 20, CFG)
    assert {v.scope: v.judged for v in out} == {"fleet": True, "plant=A": True}
    short = judge_steps(recent, tonight.head(10), table, ("plant",), 20, CFG)
    assert not any(v.judged for v in short)


def test_too_short_a_training_window_gives_no_limits_and_no_alarm() -> None:
    short = calibrate_steps(nights(6, seed=1), [COL], ("plant",), CFG)
    assert short.height == 0  # 6 nights: at most 3 with a recent median of 3 nights
    part = pl.col("asset_id").is_in([f"A{i:02d}" for i in range(12)])
    recent, tonight = tonight_with(
        nights(9, seed=2), pl.when(part).then(pl.col(COL) + 3.0).otherwise(pl.col(COL))
    )
    assert not any(v.judged for v in judge_steps(recent, tonight, short, ("plant",), 20, CFG))


def test_no_step_features_gives_an_empty_table() -> None:
    # An experiment without a regime column has no z_regime features to compare.
    assert calibrate_steps(nights(12).drop(COL), [], ("plant",), CFG).height == 0
