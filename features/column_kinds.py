"""Judge telemetry columns as a whole from a bounded sample: epoch times, descriptive text.

Row checks (``features.validate``) judge each row alone, so a fault of a whole column
became one reject per row: every row "null or unparseable ts" for epoch seconds, every
row "non-numeric sensor value" for a ``shift`` column of night/early/late, and the night
failed with a hint to raise the reject threshold. A column-wide fault is structural; a
column of words is descriptive, not a sensor. Both are judged on the first rows of the
table (``SAMPLE_ROWS``), read once, before any row is checked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from forewarn.features.readers import FILE_COLUMN, DatasetError

SAMPLE_ROWS = 10_000
"""Rows read to judge a column; a bounded read, whatever the table's size."""

# Written for "no value" by exporters; not evidence that a column holds words.
NULL_TOKENS = ("", "na", "n/a", "#n/a", "nan", "null", "none", "-", "--", "?")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# Magnitudes of epoch numbers for dates in 2001..2286, by unit: the ranges do not overlap,
# so the message can say which unit a number looks like (forewarn never guesses it).
_EPOCH_UNITS = (("seconds", 1e9, 1), ("milliseconds", 1e12, 1e3), ("microseconds", 1e15, 1e6))
_TEXT_TYPES = (pl.Categorical, pl.Enum)


def sample(raw: pl.LazyFrame, columns: list[str]) -> pl.DataFrame:
    """The first ``SAMPLE_ROWS`` rows of ``columns`` (and the file they came from).

    A sample that cannot be parsed (bad encoding, a ragged line) judges nothing: the full
    read that follows names that fault with its file and line.
    """
    try:
        return raw.select(*columns, FILE_COLUMN).head(SAMPLE_ROWS).collect()
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError, OSError):
        return pl.DataFrame(schema=dict.fromkeys([*columns, FILE_COLUMN], pl.String))


def _looks_numeric(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).str.strip_chars().str.contains(_NUMBER)


def refuse_numeric_ts(rows: pl.DataFrame, column: str, table: str) -> None:
    """Raise when every sampled ``column`` value is a bare number (epoch time, most likely).

    Parquet with an integer ``ts`` is refused for its type; CSV text of the same numbers
    must be refused the same way, not rejected row by row. The unit of a bare number is
    not guessed: a wrong guess (seconds for milliseconds) would move every reading by a
    factor of 1000 without any error.

    Raises:
        DatasetError: naming the file, the column, the first value and what it looks like.
    """
    values = rows.filter(pl.col(column).cast(pl.String).str.strip_chars() != "")
    if values.height == 0 or not values.select(_looks_numeric(pl.col(column)).all()).item():
        return
    first, where = values[column][0], values[FILE_COLUMN][0]
    raise DatasetError(
        f"{where}: table '{table}', column '{column}' holds numbers, not timestamps "
        f"(first value {str(first).strip()}{_epoch_hint(str(first))}). forewarn does not "
        "guess the unit of a number. Store datetimes, or ISO-8601 text such as "
        "2025-01-31T14:00:00Z (pandas: pd.to_datetime(df.ts, unit='s', utc=True); "
        "Polars: pl.from_epoch('ts', time_unit='s'))."
    )


def _epoch_hint(text: str) -> str:
    try:
        number = abs(float(text))
    except ValueError:
        return ""
    for unit, low, per_second in _EPOCH_UNITS:
        if low <= number < low * 10:
            when = datetime.fromtimestamp(float(text) / per_second, tz=UTC)
            return f", which as Unix epoch {unit} would be {when:%Y-%m-%dT%H:%M:%SZ}"
    return ", which is no Unix epoch time in seconds, ms or µs of 2001-2286 either"


def text_columns(rows: pl.DataFrame, schema: pl.Schema, sensors: list[str]) -> list[str]:
    """The candidate sensor columns that hold words, not numbers: descriptive columns.

    A column is descriptive when its type is categorical, or when it is text and its
    sampled values include at least one word and not one number (``NULL_TOKENS`` are no
    evidence either way). Such a column (a ``shift`` of night/early/late, an ``ASSET_ID``
    copy of the key) is kept as text beside the sensors, never a reason to reject rows.
    """
    out = []
    for name in sensors:
        dtype = schema[name]
        if isinstance(dtype, _TEXT_TYPES):
            out.append(name)
            continue
        if dtype != pl.String or name not in rows.columns:
            continue
        text = rows[name].cast(pl.String).str.strip_chars()
        words = text.filter(~text.str.to_lowercase().is_in(NULL_TOKENS) & text.is_not_null())
        if words.len() and words.cast(pl.Float64, strict=False).is_null().all():
            out.append(name)
    return out
