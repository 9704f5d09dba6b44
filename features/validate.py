"""Check raw tables against the data contract: type them, quarantine bad rows with a reason.

Structural faults (a missing column, a type that cannot be cast, an empty telemetry or
assets table) raise ``DatasetError`` naming the file and column. Row faults never raise:
each bad row goes to the rejects table with its reason, file, row number and the raw
values, so accepted + rejected = input for every table, always.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from forewarn.features import column_kinds
from forewarn.features.contract import (
    ASSET_ID,
    EVENT_COLUMNS,
    EVENT_KINDS,
    REQUIRED,
    TS,
    Reason,
)
from forewarn.features.readers import FILE_COLUMN, ROW_COLUMN, DatasetError

REASON = "_reason"
UTC_TS = pl.Datetime("us", "UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TS_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_CASTABLE_TO_FLOAT = (pl.Boolean,)
REJECT_SCHEMA = {
    "table": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "asset_id": pl.String,
    "ts": pl.String,
    "reason": pl.String,
    "raw": pl.String,
}


def _where(table: str, schema: pl.Schema, column: str) -> str:
    return f"table '{table}', column '{column}' (type {schema.get(column)})"


def require_columns(table: str, schema: pl.Schema, files: tuple[str, ...]) -> None:
    """Raise a ``DatasetError`` naming the missing required columns of ``table``."""
    missing = [c for c in REQUIRED[table] if c not in schema]
    if missing:
        present = ", ".join(c for c in schema if not c.startswith("_")) or "none"
        raise DatasetError(
            f"{files[0] if files else table}: table '{table}' lacks required column(s) "
            f"{', '.join(missing)} (found: {present}). Rename or add them; the data contract "
            f"needs {', '.join(REQUIRED[table])}."
        )


def parse_ts(column: str, dtype: pl.DataType, table: str) -> pl.Expr:
    """Expression turning ``column`` into UTC microsecond datetimes (null when unparseable).

    Naive datetimes and offset-free strings are taken as UTC, as the contract states;
    strings with an offset (``+08:00``, ``Z``) are converted to UTC.
    """
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        col = col.cast(pl.Datetime("us", dtype.time_zone))
        if dtype.time_zone is None:
            return col.dt.replace_time_zone("UTC")
        return col.dt.convert_time_zone("UTC")
    if dtype == pl.Date:
        return col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype in (pl.String, pl.Null):
        text = col.cast(pl.String).str.strip_chars().str.replace(r"[zZ]$", "+00:00")
        parsed = []
        for fmt in _TS_FORMATS:
            expr = text.str.to_datetime(fmt, strict=False, time_unit="us")
            if "z" in fmt:
                parsed.append(expr.dt.convert_time_zone("UTC"))
            else:
                parsed.append(expr.dt.replace_time_zone("UTC"))
        return pl.coalesce(parsed)
    raise DatasetError(
        f"{_where(table, pl.Schema({column: dtype}), column)}: cannot be read as a timestamp. "
        "Store datetimes, or ISO-8601 text such as 2025-01-31T14:00:00Z."
    )


def numeric_value(column: str, dtype: pl.DataType, table: str) -> pl.Expr:
    """Expression casting a sensor column to Float64 (null where the value is not a number)."""
    if dtype.is_numeric() or dtype in _CASTABLE_TO_FLOAT or dtype == pl.Null:
        return pl.col(column).cast(pl.Float64)
    if dtype == pl.String:
        return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)
    raise DatasetError(
        f"{_where(table, pl.Schema({column: dtype}), column)}: sensor columns must be numbers. "
        "Drop the column or export it as numeric values."
    )


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars()


def _first_reason(checks: list[tuple[pl.Expr, pl.Expr | str]]) -> pl.Expr:
    """The reason of the first failing check (checks run in order), else null."""
    expr: pl.Expr | None = None
    for failed, reason in checks:
        value = pl.lit(reason) if isinstance(reason, str) else reason
        expr = pl.when(failed).then(value) if expr is None else expr.when(failed).then(value)
    assert expr is not None
    return expr.otherwise(pl.lit(None, dtype=pl.String))


def _flag_duplicates(frame: pl.LazyFrame, keys: list[str], reason: str) -> pl.LazyFrame:
    """Reject every repeat of a key among otherwise-valid rows; the first one stays."""
    ok = pl.col(REASON).is_null()
    repeat = pl.int_range(pl.len()).over([*keys, ok.alias("_ok")]) > 0
    return frame.with_columns(
        pl.when(ok & repeat).then(pl.lit(reason)).otherwise(pl.col(REASON)).alias(REASON)
    )


def _pre_epoch() -> pl.Expr:
    return pl.col(TS) < pl.lit(EPOCH).cast(UTC_TS)


def _future(as_of: datetime | None) -> pl.Expr:
    if as_of is None:
        return pl.lit(False)
    return pl.col(TS) > pl.lit(as_of).cast(UTC_TS)


def check_assets(raw: pl.LazyFrame, files: tuple[str, ...]) -> pl.LazyFrame:
    """Type the assets table and mark rows with a null or repeated ``asset_id``."""
    schema = raw.collect_schema()
    require_columns("assets", schema, files)
    cols = [
        _text(ASSET_ID).alias(ASSET_ID),
        _text("asset_type").alias("asset_type"),
        *[_text(c).alias(c) for c in ("plant", "line") if c in schema],
    ]
    if "installed_at" in schema:
        cols.append(
            parse_ts("installed_at", schema["installed_at"], "assets").alias("installed_at")
        )
    typed = raw.with_columns(cols)
    null_id = pl.col(ASSET_ID).is_null() | (pl.col(ASSET_ID) == "")
    typed = typed.with_columns(_first_reason([(null_id, Reason.NULL_ASSET)]).alias(REASON))
    return _flag_duplicates(typed, [ASSET_ID], Reason.DUPLICATE_ASSET)


def sensor_columns(schema: pl.Schema) -> list[str]:
    """Telemetry columns other than the keys and provenance: the sensors."""
    return [c for c in schema if c not in (ASSET_ID, TS) and not c.startswith("_")]


def window_filter(raw: pl.LazyFrame, since: datetime | None) -> pl.LazyFrame:
    """Keep readings at or after ``since`` (and rows whose time cannot be read).

    A nightly run needs only the recent readings its features use; rows before ``since``
    are outside the run, neither accepted nor rejected. When ``ts`` is stored as a
    datetime the filter runs on the raw column, so Parquet scans skip old row groups.
    """
    if since is None:
        return raw
    dtype = raw.collect_schema()[TS]
    if isinstance(dtype, pl.Datetime):
        bound = pl.lit(since).cast(UTC_TS)
        if dtype.time_zone is None:
            bound = bound.dt.replace_time_zone(None)
        bound = bound.cast(pl.Datetime(dtype.time_unit, dtype.time_zone))
        return raw.filter((pl.col(TS) >= bound) | pl.col(TS).is_null())
    parsed = parse_ts(TS, dtype, "telemetry")
    return raw.filter((parsed >= pl.lit(since).cast(UTC_TS)) | parsed.is_null())


def judge_columns(raw: pl.LazyFrame, schema: pl.Schema, table: str) -> list[str]:
    """Column-wide checks on a bounded sample (``features.column_kinds``).

    Returns:
        The telemetry columns that are descriptive text, not sensors (none for events).

    Raises:
        DatasetError: ``ts`` holds bare numbers (epoch times) rather than timestamps.
    """
    candidates = sensor_columns(schema) if table == "telemetry" else []
    texts = [c for c in candidates if schema[c] == pl.String]
    wanted = ([TS] if schema[TS] == pl.String else []) + texts
    rows = column_kinds.sample(raw, wanted) if wanted else pl.DataFrame()
    if schema[TS] == pl.String:
        column_kinds.refuse_numeric_ts(rows, TS, table)
    return column_kinds.text_columns(rows, schema, candidates)


def check_telemetry(
    raw: pl.LazyFrame,
    files: tuple[str, ...],
    known_assets: pl.Series,
    as_of: datetime | None,
    since: datetime | None = None,
) -> pl.LazyFrame:
    """Type telemetry and mark row faults (see ``Reason``), first failing check wins.

    ``since`` limits the check to recent readings (see ``window_filter``).
    """
    schema = raw.collect_schema()
    require_columns("telemetry", schema, files)
    text = judge_columns(raw, schema, "telemetry")
    raw = window_filter(raw, since)
    sensors = [c for c in sensor_columns(schema) if c not in text]
    if not sensors:
        also = f" (text, not sensors: {', '.join(text)})" if text else ""
        raise DatasetError(
            f"{files[0]}: table 'telemetry' has no sensor columns besides asset_id and ts"
            f"{also}. Add one numeric column per sensor (e.g. vibration_rms, temperature_c)."
        )
    values = {c: numeric_value(c, schema[c], "telemetry") for c in sensors}
    non_numeric = [pl.col(c).is_not_null() & values[c].is_null() for c in sensors]
    bad_names = pl.concat_str(
        [pl.when(b).then(pl.lit(c)) for c, b in zip(sensors, non_numeric, strict=True)],
        separator=", ",
        ignore_nulls=True,
    )
    non_finite = [values[c].is_nan() | values[c].is_infinite() for c in sensors]
    typed = raw.with_columns(
        _text(ASSET_ID).alias(ASSET_ID),
        parse_ts(TS, schema[TS], "telemetry").alias(TS),
        *[_text(c).alias(c) for c in text],
        pl.any_horizontal(non_numeric).alias("_non_numeric"),
        bad_names.alias("_bad_names"),
        pl.any_horizontal(non_finite).fill_null(False).alias("_non_finite"),
    )
    reason = _first_reason(
        [
            (pl.col(ASSET_ID).is_null() | (pl.col(ASSET_ID) == ""), Reason.NULL_ASSET),
            (pl.col(TS).is_null(), Reason.BAD_TS),
            (_pre_epoch(), Reason.PRE_EPOCH_TS),
            (_future(as_of), Reason.FUTURE_TS),
            (~pl.col(ASSET_ID).is_in(known_assets.implode()), Reason.UNKNOWN_ASSET),
            (
                pl.col("_non_numeric"),
                pl.concat_str([pl.lit(Reason.NON_NUMERIC + " in "), pl.col("_bad_names")]),
            ),
            (pl.col("_non_finite"), Reason.NON_FINITE),
        ]
    )
    typed = typed.with_columns(reason.alias(REASON)).with_columns(
        [values[c].alias(c) for c in sensors]
    )
    typed = _flag_duplicates(typed, [ASSET_ID, TS], Reason.DUPLICATE + " (asset_id, ts)")
    return typed.drop("_non_numeric", "_bad_names", "_non_finite")


def check_events(
    raw: pl.LazyFrame,
    files: tuple[str, ...],
    known_assets: pl.Series,
    as_of: datetime | None,
) -> pl.LazyFrame:
    """Type events and mark row faults; ``kind`` is matched case-insensitively."""
    schema = raw.collect_schema()
    require_columns("events", schema, files)
    judge_columns(raw, schema, "events")
    optional = [
        (_text(c) if c in schema else pl.lit(None, dtype=pl.String)).alias(c)
        for c in ("component", "code")
    ]
    typed = raw.with_columns(
        _text(ASSET_ID).alias(ASSET_ID),
        parse_ts(TS, schema[TS], "events").alias(TS),
        _text("kind").str.to_lowercase().alias("kind"),
        *optional,
    )
    reason = _first_reason(
        [
            (pl.col(ASSET_ID).is_null() | (pl.col(ASSET_ID) == ""), Reason.NULL_ASSET),
            (pl.col(TS).is_null(), Reason.BAD_TS),
            (_pre_epoch(), Reason.PRE_EPOCH_TS),
            (_future(as_of), Reason.FUTURE_TS),
            (~pl.col(ASSET_ID).is_in(known_assets.implode()), Reason.UNKNOWN_ASSET),
            (
                ~pl.col("kind").is_in(list(EVENT_KINDS)) | pl.col("kind").is_null(),
                Reason.UNKNOWN_KIND + f" (expected one of {', '.join(EVENT_KINDS)})",
            ),
        ]
    )
    typed = typed.with_columns(reason.alias(REASON))
    return _flag_duplicates(typed, list(EVENT_COLUMNS), Reason.DUPLICATE + " (identical event)")


def rejects_of(table: str, checked: pl.LazyFrame, raw_columns: list[str]) -> pl.LazyFrame:
    """The rejected rows of a checked table in the common rejects layout."""
    return checked.filter(pl.col(REASON).is_not_null()).select(
        pl.lit(table).alias("table"),
        pl.col(FILE_COLUMN).cast(pl.String).alias("file"),
        pl.col(ROW_COLUMN).cast(pl.Int64).alias("row"),
        pl.col(f"_raw_{ASSET_ID}").alias("asset_id"),
        (pl.col(f"_raw_{TS}") if TS in raw_columns else pl.lit(None, pl.String)).alias("ts"),
        pl.col(REASON).alias("reason"),
        pl.struct([pl.col(f"_raw_{c}") for c in raw_columns])
        .struct.rename_fields(raw_columns)
        .struct.json_encode()
        .alias("raw"),
    )


def accepted_of(checked: pl.LazyFrame) -> pl.LazyFrame:
    """The accepted rows of a checked table, without the bookkeeping columns."""
    schema = checked.collect_schema()
    drop = [c for c in schema if c.startswith("_")]
    return checked.filter(pl.col(REASON).is_null()).drop(drop)


def keep_raw(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, list[str]]:
    """Copy every data column as text so a rejected row keeps its original values."""
    columns = [c for c in raw.collect_schema() if not c.startswith("_")]
    copies = [pl.col(c).cast(pl.String).alias(f"_raw_{c}") for c in columns]
    return raw.with_columns(copies), columns
