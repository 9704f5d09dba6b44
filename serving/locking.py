"""A reader/writer file lock with a timeout, so store users wait for each other or fail clearly.

DuckDB lets one process open a database file for writing and refuses every other
process outright (no waiting). Taking this lock around each connection turns that
refusal into an orderly queue: writers hold it exclusively, readers share it, and
anyone who cannot get it in time gets a ``StoreLockTimeoutError`` that names the file.

``fcntl.flock`` locks are released by the kernel when the holder dies, so a crashed
writer never leaves a stale lock behind (POSIX only: Linux and macOS).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_POLL_S = 0.05


class StoreLockTimeoutError(TimeoutError):
    """Another process held the store for longer than the caller was willing to wait."""


@contextmanager
def locked(path: Path, *, exclusive: bool, timeout_s: float) -> Iterator[None]:
    """Hold a shared or exclusive lock on ``path`` for the duration of the block.

    Args:
        path: the lock file; created if missing (its content is never used).
        exclusive: True for writers, False for readers.
        timeout_s: how long to wait before giving up.

    Raises:
        StoreLockTimeoutError: the lock was not free within ``timeout_s``.
    """
    fd = _open_lock(path, exclusive)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        _acquire(fd, mode, path, timeout_s)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock(path: Path, exclusive: bool) -> int:
    """Open the lock file: writers create it, readers only open it (a shared ``flock``
    needs no write access), so a read-only workspace or a mounted copy stays readable."""
    if not exclusive:
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            pass  # a store read before its first write: create the lock as writers do
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _acquire(fd: int, mode: int, path: Path, timeout_s: float) -> None:
    # Polling with LOCK_NB keeps the timeout exact without signals or threads.
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                kind = "write" if mode == fcntl.LOCK_EX else "read"
                raise StoreLockTimeoutError(
                    f"could not get the {kind} lock on {path} within {timeout_s:g} s: "
                    "another process is using the score store"
                ) from None
            time.sleep(_POLL_S)
