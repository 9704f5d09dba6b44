"""Technicians' outcomes in the score store: table ``outcomes`` beside ``scores``.

One row per (night, asset); recording a pair again replaces it (a corrected answer). Each
write is one transaction under the store's write lock, all rows or none, and refreshes
``outcomes.parquet`` (written to a temporary file, then renamed) for other tools.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from forewarn.serving.outcomes import OUTCOME_SCHEMA
from forewarn.serving.schema import to_utc
from forewarn.serving.store import ScoreStore

CREATE_OUTCOMES_SQL = """CREATE TABLE IF NOT EXISTS outcomes (
    as_of TIMESTAMPTZ NOT NULL,      -- the night whose list the inspection answers
    asset_id VARCHAR NOT NULL,       -- the asset inspected
    outcome VARCHAR NOT NULL,        -- found_fault, no_fault or not_inspected
    component VARCHAR,               -- what was found (or looked at), free text
    note VARCHAR,                    -- the technician's note
    inspected_at TIMESTAMPTZ NOT NULL, -- when; a finding's label event time
    recorded_at TIMESTAMPTZ NOT NULL,  -- when the outcome was entered
    source VARCHAR,                  -- cli, or the imported file's name
    PRIMARY KEY (as_of, asset_id)
);"""

_COLUMNS = ", ".join(OUTCOME_SCHEMA.names())
_O_COLUMNS = ", ".join(f"o.{c}" for c in OUTCOME_SCHEMA.names())


def parquet_path(store: ScoreStore) -> Path:
    """The Parquet copy of every outcome."""
    return store.path / "outcomes.parquet"


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    sql = "SELECT 1 FROM duckdb_tables() WHERE table_name = 'outcomes'"
    return bool(con.sql(sql).fetchall())


def write_outcomes(store: ScoreStore, frame: pl.DataFrame) -> int:
    """Store checked outcomes (``outcomes.check_outcomes``), replacing earlier ones of a pair.

    Returns:
        The number of outcomes the store now holds.
    """
    rows = frame.select(pl.col(n).cast(t) for n, t in OUTCOME_SCHEMA.items())
    with store.connect(write=True) as con:
        con.execute(CREATE_OUTCOMES_SQL)
        con.register("incoming_outcomes", rows)
        try:
            con.execute("BEGIN")
            try:
                con.execute(
                    "DELETE FROM outcomes WHERE (as_of, asset_id) IN "
                    "(SELECT (as_of, asset_id) FROM incoming_outcomes)"
                )
                con.execute(f"INSERT INTO outcomes SELECT {_COLUMNS} FROM incoming_outcomes")  # nosec B608  # constant column list
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.unregister("incoming_outcomes")
        everything = con.sql(f"SELECT {_COLUMNS} FROM outcomes ORDER BY as_of, asset_id").pl()  # nosec B608  # constant column list
        _export(everything, parquet_path(store))
    return everything.height


def _export(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        frame.write_parquet(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_outcomes(store: ScoreStore) -> pl.DataFrame:
    """Every stored outcome with ``p_fail_then``, the asset's probability on that night."""
    empty = OUTCOME_SCHEMA.to_frame().with_columns(pl.lit(None, pl.Float64).alias("p_fail_then"))
    if not store.db_path.exists():
        return empty
    with store.connect(write=False) as con:
        if not _has_table(con):
            return empty
        sql = (
            f"SELECT {_O_COLUMNS}, "  # nosec B608  # constant column list
            "s.p_fail AS p_fail_then FROM outcomes o "
            "LEFT JOIN scores s ON s.as_of = o.as_of AND s.asset_id = o.asset_id "
            "ORDER BY o.as_of, o.asset_id"
        )
        frame = con.sql(sql).pl()
    return frame.cast({n: t for n, t in OUTCOME_SCHEMA.items()} | {"p_fail_then": pl.Float64})


def scored_pairs(store: ScoreStore, nights: list[datetime]) -> set[tuple[datetime, str]]:
    """The stored (night, asset) pairs of ``nights``: what an outcome may answer."""
    if not nights or not store.db_path.exists():
        return set()
    with store.connect(write=False) as con:
        frame = con.sql(
            "SELECT as_of, asset_id FROM scores WHERE as_of IN (SELECT unnest($1))",
            params=[[to_utc(n) for n in nights]],
        ).pl()
    return {(to_utc(t), a) for t, a in frame.iter_rows()}
