"""The nightly score frame: one definition shared by scoring, the store, the list and the report.

Each column is written once, with its Polars type, its DuckDB type and a planner-readable
description, so the store's ``CREATE TABLE``, the README's schema table and the frame
validation can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl


@dataclass(frozen=True)
class Column:
    """One column of the score frame."""

    name: str
    dtype: pl.DataType
    sql_type: str
    doc: str
    nullable: bool = True


UTC_US = pl.Datetime("us", "UTC")
_S, _F = pl.String(), pl.Float64()
COMPONENT_RISK = pl.List(pl.Struct({"component": _S, "p_fail": _F}))

COLUMNS: tuple[Column, ...] = (
    Column("as_of", UTC_US, "TIMESTAMPTZ", "night the scores describe (UTC); key part 1", False),
    Column("asset_id", _S, "VARCHAR", "machine identifier; key part 2", False),
    Column("asset_type", _S, "VARCHAR", "asset type from the assets table"),
    Column("plant", _S, "VARCHAR", "plant the asset stands in"),
    Column("line", _S, "VARCHAR", "production line within the plant"),
    Column("p_fail", _F, "DOUBLE", "calibrated P(failure within horizon); null if unscorable"),
    Column("p_raw", _F, "DOUBLE", "the risk model's raw score: breaks ties in p_fail when ranking"),
    Column("rul_hours", _F, "DOUBLE", "remaining useful life, median estimate (hours)"),
    Column("rul_low_hours", _F, "DOUBLE", "RUL lower bound of the interval (hours)"),
    Column("rul_high_hours", _F, "DOUBLE", "RUL upper bound of the interval (hours)"),
    Column("rul_censored", pl.Boolean(), "BOOLEAN", "median at the cap: 'more than rul_cap_hours'"),
    Column("rul_cap_hours", _F, "DOUBLE", "cap of the RUL model's target (hours); null: uncapped"),
    Column("likely_component", _S, "VARCHAR", "part most likely to fail (models with components)"),
    Column("likely_component_share", _F, "DOUBLE", "that component's share of p_fail (0-1)"),
    Column("component_risk", COMPONENT_RISK, "STRUCT(component VARCHAR, p_fail DOUBLE)[]",
           "each named component's P(failure within horizon), highest first; empty if none"),
    Column("top_drivers", pl.List(_S), "VARCHAR[]", "3-5 planner-language reasons, or empty"),
    Column("data_freshness_hours", _F, "DOUBLE", "hours since the last reading, at as_of"),
    Column("status", _S, "VARCHAR", "scored, stale, short_history or unscorable", False),
    Column("status_reason", _S, "VARCHAR", "why the status is not 'scored' (free text)"),
    Column("risk_model_version", _S, "VARCHAR", "registry version of the risk model"),
    Column("rul_model_version", _S, "VARCHAR", "registry version of the RUL model"),
    Column("horizon_hours", _F, "DOUBLE", "failure horizon the probability refers to (hours)"),
    Column("scored_at", UTC_US, "TIMESTAMPTZ", "when the scoring run produced the row (UTC)"),
)  # fmt: skip

SCORE_SCHEMA: pl.Schema = pl.Schema({c.name: c.dtype for c in COLUMNS})
"""Polars schema of a score frame, in storage column order."""

KEY: tuple[str, str] = ("as_of", "asset_id")
STATUSES: frozenset[str] = frozenset({"scored", "stale", "short_history", "unscorable"})


def validate_scores(frame: pl.DataFrame) -> pl.DataFrame:
    """Check a night's score frame and return it in canonical column order and types.

    Refusing a bad frame here is what keeps the store's history trustworthy: a night
    is written whole or not at all, so problems must surface before the write.

    Args:
        frame: one night of scores; extra columns (e.g. ranks) are dropped.

    Returns:
        The frame restricted to ``SCORE_SCHEMA``, columns in storage order.

    Raises:
        ValueError: on missing or mistyped columns, several or no ``as_of`` values,
            null keys, duplicate asset ids, NaN or out-of-range ``p_fail``, or
            unknown statuses.
    """
    missing = [c.name for c in COLUMNS if c.name not in frame.columns]
    if missing:
        raise ValueError(f"score frame lacks columns {missing}")
    wrong = [
        f"{c.name}: {frame.schema[c.name]} (want {c.dtype})"
        for c in COLUMNS
        if frame.schema[c.name] != c.dtype and frame.schema[c.name] != pl.Null
    ]
    if wrong:
        raise ValueError(f"score frame has wrong column types: {wrong}")
    out = frame.select(pl.col(c.name).cast(c.dtype) for c in COLUMNS)
    nulls = [c.name for c in COLUMNS if not c.nullable and out[c.name].null_count()]
    if nulls:
        raise ValueError(f"score frame has nulls in required columns {nulls}")
    nights = out["as_of"].unique()
    if len(nights) != 1:
        raise ValueError(f"a score frame holds exactly one night; got {len(nights)} as_of values")
    if out["asset_id"].n_unique() != out.height:
        dupes = out.filter(pl.col("asset_id").is_duplicated())["asset_id"].unique().head(5)
        raise ValueError(f"duplicate asset_id in score frame, e.g. {dupes.to_list()}")
    _check_probabilities(out["p_fail"])
    unknown = set(out["status"].unique().to_list()) - STATUSES
    if unknown:
        raise ValueError(f"unknown status values {sorted(unknown)}; allowed {sorted(STATUSES)}")
    return out


def _check_probabilities(p_fail: pl.Series) -> None:
    # NaN would sort above every real probability and top the list: refuse it loudly.
    if p_fail.is_nan().any():
        raise ValueError("p_fail holds NaN; use null for rows that could not be scored")
    if ((p_fail < 0) | (p_fail > 1)).any():
        raise ValueError("p_fail must lie in [0, 1]")


def to_utc(as_of: datetime) -> datetime:
    """Return ``as_of`` as an aware UTC datetime; naive datetimes are taken as UTC."""
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=UTC)
    return as_of.astimezone(UTC)


def night_key(as_of: datetime) -> str:
    """File-name-safe key of a night, e.g. ``2025-03-01T020000Z`` (sorts by time)."""
    return to_utc(as_of).strftime("%Y-%m-%dT%H%M%SZ")


def empty_scores() -> pl.DataFrame:
    """A score frame with no rows, for stores that hold no night yet."""
    return SCORE_SCHEMA.to_frame()
