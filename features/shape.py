"""Read a dataset's shape for the run-preparation checks: schema and time span only.

Telemetry columns come from file metadata (a Parquet footer, a CSV header); the span is
one pass over the ``ts`` column alone (Parquet reads that one column; nothing else is
parsed); events, a small table, are read for their kinds, codes and components. Seconds
on a fleet whose full validation takes a minute, so a config mistake is reported before
any feature is built (``features.preflight``).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from forewarn.features.contract import TS
from forewarn.features.preflight import DataShape
from forewarn.features.readers import locate_tables, scan_table
from forewarn.features.validate import EPOCH, UTC_TS, parse_ts


def column_kind(dtype: pl.DataType) -> str:
    """``number``, ``text``, ``time`` or ``other``: what a check needs of a column type."""
    if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
        return "number"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    if dtype.is_temporal():
        return "time"
    return "other"


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars()


def _span(telemetry: pl.LazyFrame, until: datetime | None) -> tuple[datetime | None, ...]:
    schema = telemetry.collect_schema()
    if TS not in schema:
        return None, None  # validation names the missing column
    ts = parse_ts(TS, schema[TS], "telemetry")
    keep = ts >= pl.lit(EPOCH).cast(UTC_TS)  # validation rejects older readings
    if until is not None:
        keep = keep & (ts <= pl.lit(until).cast(UTC_TS))
    row = (
        telemetry.select(ts.filter(keep).alias(TS))
        .select(pl.col(TS).min().alias("start"), pl.col(TS).max().alias("end"))
        .collect(engine="streaming")
    )
    return row["start"][0], row["end"][0]


def _events(sources: dict, until: datetime | None) -> tuple[frozenset, frozenset, int]:
    if "events" not in sources:
        return frozenset(), frozenset(), 0
    events = scan_table(sources["events"])
    schema = events.collect_schema()
    if not {"kind", TS} <= set(schema.names()):
        return frozenset(), frozenset(), 0  # validation names the missing column
    cols = [_text("kind").str.to_lowercase().alias("kind")]
    cols += [_text(c).alias(c) for c in ("code", "component") if c in schema]
    frame = events.filter(
        parse_ts(TS, schema[TS], "events") <= pl.lit(until).cast(UTC_TS)
        if until is not None
        else pl.lit(True)
    ).select(cols)
    seen = frame.group_by(pl.all()).len().collect()
    alarms = seen.filter(pl.col("kind") == "alarm")
    codes = frozenset(alarms["code"].drop_nulls()) if "code" in seen.columns else frozenset()
    parts = seen.filter(pl.col("kind").is_in(["failure", "maintenance"]))
    comps = (
        frozenset(parts["component"].drop_nulls()) if "component" in seen.columns else frozenset()
    )
    failures = int(seen.filter(pl.col("kind") == "failure")["len"].sum())
    return codes, comps, failures


def read_shape(url: str, until: datetime | None = None) -> DataShape:
    """The telemetry's columns, the span of its readings and what its events name.

    Args:
        url: dataset folder or fsspec URL.
        until: the run's cut (``--until`` of training, ``--as-of`` of a night): later
            readings and events are left out of the span and the event lists.

    Raises:
        DatasetError: the folder or a required table is missing, or a file is unreadable.
    """
    sources = locate_tables(url)
    telemetry = scan_table(sources["telemetry"])
    columns = {c: column_kind(t) for c, t in telemetry.collect_schema().items()}
    start, end = _span(telemetry, until)
    codes, comps, failures = _events(sources, until)
    return DataShape(
        url=str(url),
        columns=columns,
        start=start,
        end=end,
        alarm_codes=codes,
        components=comps,
        failures=failures,
    )
