"""Column-wide judgements from a bounded sample (issue 18, items 2 and 3)."""

from __future__ import annotations

import polars as pl
import pytest

from forewarn.features import column_kinds
from forewarn.features.inputs import absent_columns
from forewarn.features.readers import FILE_COLUMN, DatasetError
from forewarn.features.spec import FeatureSpec


def _rows(**columns: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame({**columns, FILE_COLUMN: ["f.csv"] * n}, schema_overrides=None)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1735689600", "epoch seconds would be 2025-01-01T00:00:00Z"),
        ("1735689600000", "epoch milliseconds would be 2025-01-01T00:00:00Z"),
        ("1735689600000000", "epoch microseconds would be 2025-01-01T00:00:00Z"),
        ("20250101", "no Unix epoch time"),
    ],
)
def test_a_ts_of_bare_numbers_is_refused_saying_what_it_looks_like(value: str, says: str) -> None:
    with pytest.raises(DatasetError, match="holds numbers, not timestamps") as info:
        column_kinds.refuse_numeric_ts(_rows(ts=[value, None, " 1735693200 "]), "ts", "telemetry")
    assert says in str(info.value) and "f.csv" in str(info.value)


def test_a_ts_with_any_timestamp_text_is_left_to_the_row_checks() -> None:
    rows = _rows(ts=["1735689600", "2025-01-01T00:00:00Z"])
    column_kinds.refuse_numeric_ts(rows, "ts", "telemetry")  # row rejects, not structural
    column_kinds.refuse_numeric_ts(_rows(ts=[None, " "]), "ts", "telemetry")


def test_columns_of_words_are_text_and_null_tokens_are_no_evidence() -> None:
    rows = _rows(
        shift=["night", None, "late"],
        t=["1.5", "hot", None],  # one number: a sensor with a bad value (a row reject)
        dropout=["n/a", "NA", ""],  # only "no value": still a sensor
        inf=["inf", "-inf", "nan"],  # numbers (non-finite ones are row rejects)
    )
    schema = pl.Schema({c: pl.String for c in ("shift", "t", "dropout", "inf")})
    assert column_kinds.text_columns(rows, schema, ["shift", "t", "dropout", "inf"]) == ["shift"]


def test_a_listed_sensor_that_is_text_is_absent_but_a_text_regime_is_not() -> None:
    spec = FeatureSpec(sensors=("temp", "shift"), regime_column="mode")
    assert absent_columns(["temp", "shift", "mode"], spec, text=["shift", "mode"]) == ["shift"]
    assert absent_columns(["temp", "shift", "mode"], spec) == []
