"""Events tell a consistent story with telemetry and the hidden health."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from synth_helpers import failures

from forewarn.synthetic import Fleet, FleetConfig


def _repairs(fleet: Fleet) -> pl.DataFrame:
    """Each failure with the next corrective maintenance of the asset (or null)."""
    cm = fleet.events.filter(pl.col("code") == "CM").select(
        "asset_id", pl.col("ts").alias("cm_ts"), pl.col("component").alias("cm_component")
    )
    return (
        failures(fleet)
        .sort("asset_id", "fts")
        .join_asof(
            cm.sort("asset_id", "cm_ts"),
            left_on="fts",
            right_on="cm_ts",
            by="asset_id",
            check_sortedness=False,
            strategy="forward",
        )
    )


def test_every_failure_is_repaired_before_the_next_one(hourly_fleet: Fleet) -> None:
    reps = _repairs(hourly_fleet)
    cfg = FleetConfig.model_validate(hourly_fleet.metadata["config"])
    assert reps.height >= 20
    done = reps.filter(pl.col("cm_ts").is_not_null())
    unrepaired = reps.filter(pl.col("cm_ts").is_null())
    # Only repairs that would finish after the window may be missing.
    assert (unrepaired["fts"] > cfg.end - timedelta(days=10)).all()
    assert (done["cm_component"] == done["component"]).all()
    gap = (done["cm_ts"] - done["fts"]).dt.total_seconds()
    assert (gap >= 3600).all() and (gap % 3600 == 0).all()
    nxt = done.with_columns(next_fail=pl.col("fts").shift(-1).over("asset_id"))
    assert nxt.filter(pl.col("next_fail") < pl.col("cm_ts")).height == 0


def test_no_telemetry_while_down_for_repair(hourly_fleet: Fleet) -> None:
    down = _repairs(hourly_fleet).drop_nulls("cm_ts")
    tel = hourly_fleet.telemetry.select("asset_id", "ts")
    inside = tel.join(down, on="asset_id").filter(
        (pl.col("ts") >= pl.col("fts")) & (pl.col("ts") < pl.col("cm_ts"))
    )
    assert inside.height == 0
    # ... while right after the repair the machine reports again.
    after = tel.join(down, on="asset_id").filter(
        (pl.col("ts") >= pl.col("cm_ts")) & (pl.col("ts") < pl.col("cm_ts") + pl.duration(hours=3))
    )
    assert after.height > 0


def test_truth_flags_downtime_at_midnights_inside_repairs(hourly_fleet: Fleet) -> None:
    down = _repairs(hourly_fleet).drop_nulls("cm_ts")
    flagged = hourly_fleet.truth.join(down, on="asset_id").filter(
        (pl.col("ts") > pl.col("fts")) & (pl.col("ts") < pl.col("cm_ts"))
    )
    assert flagged.height > 0 and flagged["in_downtime"].all()


def test_planned_maintenance_idles_the_machine(hourly_fleet: Fleet) -> None:
    pm = hourly_fleet.events.filter(pl.col("code") == "PM")
    assert pm.height >= hourly_fleet.assets.height  # about one per 60-120 days each
    assert pm["component"].null_count() == pm.height
    # A planned stop lasts at least four hours before its completion is logged.
    before = hourly_fleet.telemetry.join(
        pm.select("asset_id", pl.col("ts").alias("pm_ts")), on="asset_id"
    )
    stop = before.filter(
        (pl.col("ts") < pl.col("pm_ts")) & (pl.col("ts") >= pl.col("pm_ts") - pl.duration(hours=4))
    )
    assert stop.height > 0 and (stop["operating_mode"] == 0).all()


def test_wear_out_failures_follow_low_hidden_health(year_fleet: Fleet) -> None:
    truth = year_fleet.truth.sort("asset_id", "ts")
    last = (
        failures(year_fleet)
        .sort("asset_id", "fts")
        .join_asof(
            truth,
            left_on="fts",
            right_on="ts",
            by="asset_id",
            check_sortedness=False,
            strategy="backward",
        )
    )
    health = last.select(
        pl.coalesce(
            pl.when(pl.col("component") == c).then(pl.col(f"health_{c}"))
            for c in year_fleet.metadata["components"]
        )
    ).to_series()
    assert health.median() < 0.15  # the failed part was nearly worn out the midnight before
    assert (health > 0.5).mean() < 0.25  # shocks and early failures are the exception


def test_alarms_grow_as_health_falls(year_fleet: Fleet) -> None:
    comps = year_fleet.metadata["components"]
    long = (
        year_fleet.truth.unpivot(
            index=["asset_id", "ts"],
            on=[f"health_{c}" for c in comps],
            variable_name="component",
            value_name="health",
        )
        .drop_nulls("health")
        .with_columns(pl.col("component").str.strip_prefix("health_"))
    )
    alarms = (
        year_fleet.events.filter((pl.col("kind") == "alarm") & pl.col("component").is_not_null())
        .with_columns(pl.col("ts").dt.truncate("1d"))
        .group_by("asset_id", "ts", "component")
        .len()
    )
    rates = (
        long.join(alarms, on=["asset_id", "ts", "component"], how="left")
        .with_columns(pl.col("len").fill_null(0), low=pl.col("health") < 0.3)
        .group_by("low")
        .agg(pl.col("len").mean())
    )
    by = dict(rates.iter_rows())
    assert by[True] > 5 * by[False]


def test_bearing_wear_shows_in_vibration(hourly_fleet: Fleet) -> None:
    daily = (
        hourly_fleet.telemetry.filter(pl.col("operating_mode") == 1)
        .group_by("asset_id", pl.col("ts").dt.truncate("1d"))
        .agg(pl.col("vibration_mm_s").median())
        .with_columns(
            rel=pl.col("vibration_mm_s") / pl.col("vibration_mm_s").median().over("asset_id")
        )
    )
    joined = daily.join(hourly_fleet.truth.drop_nulls("health_bearing"), on=["asset_id", "ts"])
    worn = joined.filter(pl.col("health_bearing") < 0.25)["rel"].mean()
    fresh = joined.filter(pl.col("health_bearing") > 0.75)["rel"].mean()
    assert worn > 1.15 * fresh
