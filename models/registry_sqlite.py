"""A local SQLite MLflow store checked in seconds, without importing mlflow.

MLflow meets a locked store by waiting out SQLite's busy timeout and then raising raw
SQLAlchemy text, and a truncated or overwritten one with "file is not a database",
neither naming the file. The CLI checks the store here first (cheap: the standard
library's sqlite3), and the registry modules turn SQLite's words into the same errors.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class RegistryUnavailableError(RuntimeError):
    """The MLflow tracking store / registry cannot be reached or read."""


class RegistryDamagedError(RegistryUnavailableError, ValueError):
    """The local MLflow store (its database or a model's files) is locked or damaged.

    A ``ValueError`` too: a retry cannot fix it and the CLI exits 2. ``hint`` says
    what to do (restore, retrain, ``forewarn models`` to inspect).
    """

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(f"{problem}; {hint}")
        self.hint = hint


RESTORE_HINT = (
    "restore the workspace's mlflow/ folder (mlflow.db with its artifacts/) from a backup, "
    "or retrain (`forewarn train`) into a fresh workspace; `forewarn models` lists the "
    "registered versions"
)
_LOCKED = ("database is locked", "database table is locked")
_DAMAGED = ("file is not a database", "malformed", "disk image", "file is encrypted")


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a local SQLite tracking URI, else None."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


def sqlite_problem(tracking_uri: str, text: str) -> RegistryDamagedError | None:
    """The clear error for SQLite's ``text`` about a local store, or None."""
    path, low = sqlite_path(tracking_uri), text.lower()
    if path is None:
        return None
    if any(s in low for s in _LOCKED):
        return RegistryDamagedError(
            f"the MLflow store {path} is locked by another process",
            "wait for it to finish (a training run, an MLflow UI or a backup writing to it; "
            f"`fuser {path}` names it) and re-run",
        )
    if any(s in low for s in _DAMAGED):
        return RegistryDamagedError(
            f"the MLflow store {path} is damaged ({text[:120]})", RESTORE_HINT
        )
    return None


def check_local_store(tracking_uri: str, *, write: bool = True, timeout_s: float = 5.0) -> None:
    """Fail in seconds when a local SQLite store is locked, truncated or corrupt.

    MLflow would wait out SQLite's busy timeout and then raise raw SQLAlchemy text,
    or fail on "file is not a database" without naming the file. A write lock is
    taken and released at once (nothing is written), so a writer holding the store is
    seen too (``write=False`` for commands that only read: a read-only workspace).

    Raises:
        RegistryDamagedError: naming the file and what to do.
    """
    path = sqlite_path(tracking_uri)
    if path is None or not path.exists():
        return
    try:
        con = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        try:
            if write:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
            verdict = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        problem = sqlite_problem(tracking_uri, str(exc))
        raise problem or RegistryDamagedError(
            f"the MLflow store {path} cannot be read ({exc})", RESTORE_HINT
        ) from None
    if verdict != "ok":
        raise RegistryDamagedError(f"the MLflow store {path} is damaged ({verdict})", RESTORE_HINT)
