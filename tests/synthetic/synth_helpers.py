"""Helpers shared by the synthetic-fleet tests (plain functions, importable by name)."""

from __future__ import annotations

import polars as pl

from forewarn.synthetic import Fleet


def failures(fleet: Fleet) -> pl.DataFrame:
    """Failure events as (asset_id, fts, component)."""
    return fleet.events.filter(pl.col("kind") == "failure").select(
        "asset_id", pl.col("ts").alias("fts"), "component"
    )


def labelled_days(fleet: Fleet, days: int) -> pl.DataFrame:
    """Truth rows whose horizon ends inside the window, with ``hit``: a failure within ``days``.

    Counted the naive way (a join against every failure of the asset), independent of
    the simulator's own counting.
    """
    end = fleet.truth["ts"].max()
    rows = fleet.truth.filter(pl.col("ts") <= end - pl.duration(days=days - 1))
    joined = rows.join(failures(fleet), on="asset_id", how="left").with_columns(
        hit=(pl.col("fts") > pl.col("ts"))
        & (pl.col("fts") <= pl.col("ts") + pl.duration(days=days))
    )
    return joined.group_by("asset_id", "ts").agg(
        pl.col("hit").any().fill_null(False), pl.col(f"p_fail_{days}d").first().alias("p")
    )
