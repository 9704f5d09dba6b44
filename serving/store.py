"""The score store: every night's scores in one DuckDB table, plus a Parquet copy per night.

Layout of a store folder (``ScoreStore(path)``)::

    path/scores.duckdb                                  the record: table ``scores``
    path/scores.lock                                    reader/writer lock (see locking.py)
    path/scores/as_of=2025-03-01T020000Z/scores.parquet one export per night, for other tools

History is kept across nights so the risk list can tell a new alert from a still-open one
and show trends. Writing a night replaces that night only (idempotent re-runs).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from forewarn.serving.locking import locked
from forewarn.serving.schema import (
    COLUMNS,
    UTC_US,
    empty_scores,
    night_key,
    to_utc,
    validate_scores,
)

_COLUMN_LIST = ", ".join(c.name for c in COLUMNS)
# What DuckDB says of a damaged file (truncated, overwritten, a bad block); a lock held
# by another program or a full disk is not damage and keeps its own error.
_DAMAGE_SIGNS = (
    "corrupt database file",
    "not a valid duckdb database file",
    "could not read enough bytes",
    "checksum",
    "serialization error",
    "internal error",
)


class StoreDamagedError(ValueError):
    """The store's database file cannot be read: say which file and what to do.

    A ``ValueError``: like bad input, a retry cannot fix it (the CLI exits 2).
    """

    def __init__(self, db_path: Path, detail: str) -> None:
        exports = db_path.parent / "scores"
        self.hint = (
            f"restore {db_path} from a backup, or move it aside (the next `forewarn score` "
            f"starts a new store) and re-score the nights you need; each night's scores "
            f"are also kept as Parquet under {exports}"
        )
        super().__init__(f"the score store {db_path} is damaged ({detail}); {self.hint}")


def _clear(db_path: Path, exc: duckdb.Error) -> BaseException:
    found = damaged(db_path, exc)
    if found is None:
        return exc
    # Not chained: a held DuckDB traceback keeps its objects alive to interpreter exit,
    # where nanobind prints ~50 lines of "leaked" noise under the message.
    found.__suppress_context__ = True
    return found


def damaged(db_path: Path, exc: BaseException) -> StoreDamagedError | None:
    """The clear error for ``exc`` if it says the database file is damaged, else None."""
    text = str(exc)
    if not isinstance(exc, duckdb.Error) or not any(s in text.lower() for s in _DAMAGE_SIGNS):
        return None
    return StoreDamagedError(db_path, text.splitlines()[0][:200])


def _create_table_sql() -> str:
    lines = []
    for i, col in enumerate(COLUMNS):
        null = " NOT NULL" if not col.nullable else ""
        lines.append(f"    {col.name} {col.sql_type}{null},  -- {col.doc}")
        if i == len(COLUMNS) - 1:
            lines.append("    PRIMARY KEY (as_of, asset_id)")
    return "CREATE TABLE IF NOT EXISTS scores (\n" + "\n".join(lines) + "\n);"


def _comment_sql() -> list[str]:
    # Comments also live in DuckDB's catalog, so `duckdb_columns()` documents the store.
    return [
        f"COMMENT ON COLUMN scores.{c.name} IS '{c.doc.replace(chr(39), chr(39) * 2)}'"
        for c in COLUMNS
    ]


CREATE_TABLE_SQL: str = _create_table_sql()
"""DDL of the ``scores`` table, one commented line per column."""

SCHEMA_DOC: str = (
    "### Score store\n\n"
    "Table `scores` in `scores.duckdb`, one row per (`as_of`, `asset_id`); every night is kept. "
    "Each night is also exported to `scores/as_of=YYYY-MM-DDTHHMMSSZ/scores.parquet` "
    "with the same columns.\n\n"
    "| column | type | meaning |\n|---|---|---|\n"
    + "\n".join(
        f"| `{c.name}` | `{c.sql_type}`{' not null' if not c.nullable else ''} | {c.doc} |"
        for c in COLUMNS
    )
    + "\n\n```sql\n"
    + CREATE_TABLE_SQL
    + "\n```\n"
)
"""Markdown description of the store for the README, generated from the column list."""


class ScoreStore:
    """Nightly scores kept in a folder; safe for one writer and many readers across processes.

    Every operation opens DuckDB for just its own duration under a file lock, because
    DuckDB refuses (rather than queues) a second process while one holds the file.

    Args:
        path: the store folder; created on the first write.
        lock_timeout_s: how long an operation waits for another process before failing.
    """

    def __init__(self, path: Path | str, lock_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    @property
    def db_path(self) -> Path:
        return self.path / "scores.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.path / "scores.lock"

    def parquet_path(self, as_of: datetime) -> Path:
        """Where the Parquet export of the night ``as_of`` lives."""
        return self.path / "scores" / f"as_of={night_key(as_of)}" / "scores.parquet"

    def write_night(self, frame: pl.DataFrame) -> Path:
        """Replace one night's scores, atomically, and export the night to Parquet.

        The old rows of that ``as_of`` are deleted and the new ones inserted in one
        transaction, so re-running a night never duplicates rows and a crash leaves
        the previous state. The export is written to a temporary file and renamed
        only after the commit, so a reader never sees a half-written file.

        Args:
            frame: one night of scores (see ``schema.COLUMNS``); extra columns are ignored.

        Returns:
            The path of the night's Parquet export.

        Raises:
            ValueError: the frame breaks the score schema (nothing is written).
            StoreLockTimeout: another process held the store too long.
        """
        scores = validate_scores(frame)
        as_of = scores["as_of"][0]
        final = self.parquet_path(as_of)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".scores.parquet.tmp-{os.getpid()}")
        with self._connect(write=True) as con:
            # Under the write lock no other writer is mid-write: any temp file is a crash's.
            for stale in final.parent.glob(".scores.parquet.tmp-*"):
                stale.unlink()
            try:
                _write_synced(scores, tmp)
                _replace_night(con, scores, as_of)
                os.replace(tmp, final)
            finally:
                with suppress(FileNotFoundError):
                    tmp.unlink()
        _fsync_dir(final.parent)
        return final

    def delete_night(self, as_of: datetime) -> int:
        """Remove one night's rows and its Parquet export; every other night is untouched.

        The export folder is moved aside first and the rows deleted in one transaction
        under the write lock; a failed delete puts the export back, so the store never
        holds a night without its export or an export without its night.

        Returns:
            How many rows were removed.

        Raises:
            LookupError: the night is not stored (nothing is changed).
        """
        as_of = to_utc(as_of)
        folder = self.parquet_path(as_of).parent
        aside = folder.with_name(f".deleting-{folder.name}-{os.getpid()}")
        with self._connect(write=True) as con:
            self._recover_deletes(con)
            rows = con.execute("SELECT count(*) FROM scores WHERE as_of = $1", [as_of]).fetchone()
            if not rows or not rows[0]:
                raise LookupError(f"no night {as_of.isoformat()} in the score store {self.path}")
            moved = folder.exists()
            if moved:
                os.replace(folder, aside)
            try:
                con.execute("BEGIN")
                con.execute("DELETE FROM scores WHERE as_of = $1", [as_of])
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                if moved:
                    os.replace(aside, folder)
                raise
        if moved:
            shutil.rmtree(aside, ignore_errors=True)
        return int(rows[0])

    def check(self) -> None:
        """Read every stored value once, so a damaged file fails a run before its work.

        DuckDB checks a block's checksum only when it reads the block; a query of the
        latest night would pass over a bad block of an old one. About 0.1 s per
        million stored rows.

        Raises:
            StoreDamagedError: the database file is truncated or damaged.
        """
        self._query("SELECT sum(hash(COLUMNS(*))) FROM scores", [])

    def _recover_deletes(self, con: duckdb.DuckDBPyConnection) -> None:
        """Finish what a delete that died left behind (called under the write lock): an
        export moved aside goes back if its night's rows are still there, else away."""
        stored = {
            night_key(n) for (n,) in con.execute("SELECT DISTINCT as_of FROM scores").fetchall()
        }
        for aside in (self.path / "scores").glob(".deleting-as_of=*"):
            name = aside.name.removeprefix(".deleting-").rsplit("-", 1)[0]
            home = aside.with_name(name)
            if name.removeprefix("as_of=") in stored and not home.exists():
                os.replace(aside, home)
            else:
                shutil.rmtree(aside, ignore_errors=True)

    def nights(self) -> list[datetime]:
        """All stored nights, oldest first."""
        frame = self._query("SELECT DISTINCT as_of FROM scores ORDER BY as_of", [])
        return [] if frame is None else frame["as_of"].to_list()

    def night_summary(self) -> pl.DataFrame:
        """Per stored night: assets, scored assets and when scoring ran, oldest first."""
        sql = (
            "SELECT as_of, count(*) AS assets, count(p_fail) AS scored, "
            "max(scored_at) AS scored_at FROM scores GROUP BY as_of ORDER BY as_of"
        )
        frame = self._query(sql, [])
        if frame is None:
            schema = {"as_of": UTC_US, "assets": pl.Int64, "scored": pl.Int64, "scored_at": UTC_US}
            return pl.DataFrame(schema=schema)
        return frame

    def latest(self) -> datetime | None:
        """The most recent stored night, or None for an empty store."""
        nights = self.nights()
        return nights[-1] if nights else None

    def night(self, as_of: datetime) -> pl.DataFrame:
        """All scores of one night (empty frame if the night is not stored)."""
        sql = f"SELECT {_COLUMN_LIST} FROM scores WHERE as_of = $1 ORDER BY asset_id"  # nosec B608  # column list is a constant; values are bound ($n)
        return self._frame(sql, [to_utc(as_of)])

    def history(self, asset_id: str, n: int, until: datetime | None = None) -> pl.DataFrame:
        """One asset's last ``n`` stored nights, oldest first.

        Args:
            asset_id: the asset.
            n: how many nights at most.
            until: newest night to include (default: the latest stored).
        """
        sql = (
            f"SELECT {_COLUMN_LIST} FROM scores WHERE asset_id = $1 AND as_of <= $2 "  # nosec B608  # column list is a constant; values are bound ($n)
            "ORDER BY as_of DESC LIMIT $3"
        )
        cap = _far_future() if until is None else to_utc(until)
        return self._frame(sql, [asset_id, cap, n]).sort("as_of")

    def history_for(self, as_of: datetime, n: int) -> pl.DataFrame:
        """Every asset's scores on the ``n`` stored nights strictly before ``as_of``.

        This is the input the risk list needs to rebuild previous nights' lists (for
        new vs still-open alerts) and trends.
        """
        sql = (
            "WITH prior AS (SELECT DISTINCT as_of FROM scores WHERE as_of < $1 "
            "ORDER BY as_of DESC LIMIT $2) "  # nosec B608  # column list is a constant; values are bound ($n)
            f"SELECT {_COLUMN_LIST} FROM scores JOIN prior USING (as_of) "
            "ORDER BY as_of, asset_id"
        )
        return self._frame(sql, [to_utc(as_of), n])

    def connect(self, *, write: bool) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The store's DuckDB under its lock, for modules that own other tables of the store
        (``outcome_store``); the ``scores`` table exists once a write connection opened."""
        return self._connect(write=write)

    def _frame(self, sql: str, params: list[object]) -> pl.DataFrame:
        frame = self._query(sql, params)
        return empty_scores() if frame is None else frame

    def _query(self, sql: str, params: list[object]) -> pl.DataFrame | None:
        if not self.db_path.exists():
            return None
        with self._connect(write=False) as con:
            return con.sql(sql, params=params).pl()

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with locked(self.lock_path, exclusive=write, timeout_s=self.lock_timeout_s):
            try:
                con = duckdb.connect(str(self.db_path), read_only=not write)
            except duckdb.Error as exc:
                raise _clear(self.db_path, exc) from None
            try:
                con.execute("SET TimeZone = 'UTC'")
                if write:
                    _ensure_schema(con)
                yield con
            except duckdb.Error as exc:
                raise _clear(self.db_path, exc) from None
            finally:
                con.close()


def _far_future() -> datetime:
    return to_utc(datetime(9999, 1, 1))


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    found = con.sql("SELECT 1 FROM duckdb_tables() WHERE table_name = 'scores'").fetchall()
    if found:
        _add_new_columns(con)
        return
    con.execute("BEGIN")
    con.execute(CREATE_TABLE_SQL)
    for stmt in _comment_sql():
        con.execute(stmt)
    con.execute("COMMIT")


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A store written before a column existed gets it (null for its old nights), so an
    upgrade never refuses to write tonight's scores."""
    have = {
        row[0]
        for row in con.sql(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'scores'"
        ).fetchall()
    }
    for col in COLUMNS:
        if col.name not in have:
            con.execute(f"ALTER TABLE scores ADD COLUMN {col.name} {col.sql_type}")  # nosec B608  # names and types are constants of schema.COLUMNS


def _replace_night(con: duckdb.DuckDBPyConnection, scores: pl.DataFrame, as_of: datetime) -> None:
    con.register("incoming_scores", scores)
    try:
        con.execute("BEGIN")
        try:
            con.execute("DELETE FROM scores WHERE as_of = $1", [as_of])
            # Columns by name: a store upgraded by ALTER TABLE has them in another order.
            insert = (
                f"INSERT INTO scores ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM incoming_scores"  # nosec B608  # constant column list, no values
            )
            con.execute(insert)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.unregister("incoming_scores")


def _write_synced(frame: pl.DataFrame, path: Path) -> None:
    # fsync before the rename: otherwise a power cut can leave a renamed but empty file.
    frame.write_parquet(path)
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
