"""Data helpers behind the web page: choosing a night, filtering, caching, JSON values.

Separate from the routes so each can be tested without a server.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

import polars as pl

from forewarn.serving.outcome_store import read_outcomes
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.schema import night_key, to_utc
from forewarn.serving.store import ScoreStore


def resolve_night(text: str | None, nights: list[datetime]) -> datetime | None:
    """The stored night a request names, or None when there is no such night.

    Accepts nothing (the latest night), an ISO timestamp (``2025-03-10T02:00:00Z``),
    a night key as in file names (``2025-03-10T020000Z``) or a date (the last night
    scored on that date), so links from reports and hand-typed URLs both work.
    """
    if not nights:
        return None
    if not text:
        return nights[-1]
    by_key = {night_key(n): n for n in nights}
    if text in by_key:
        return by_key[text]
    try:
        wanted = to_utc(datetime.fromisoformat(text))
        if len(text) == len("2025-03-10"):
            same_day = [n for n in nights if n.date() == date.fromisoformat(text)]
            return same_day[-1] if same_day else None
        return by_key.get(night_key(wanted))
    except (ValueError, OverflowError):  # garbage, or an offset past year 1 / 9999
        return None


def filter_list(ranked: pl.DataFrame, chosen: dict[str, str | None]) -> pl.DataFrame:
    """Rows matching every given filter (empty or None values are ignored)."""
    for column, value in chosen.items():
        if value:
            ranked = ranked.filter(pl.col(column) == value)
    return ranked


def jsonable(value: Any) -> Any:
    """Plain JSON values: UTC timestamps as ISO text with ``Z``, NaN as null."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return to_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class ListCache:
    """Risk lists per night, rebuilt only when the store file changes.

    Building a 10,000-asset list with its history takes a few hundred milliseconds;
    caching it keeps page loads and filter changes instant between nightly writes.
    """

    def __init__(self, store: ScoreStore, config: RiskListConfig, size: int = 4) -> None:
        self.store, self.config, self.size = store, config, size
        self._lists: OrderedDict[tuple[object, ...], pl.DataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def _version(self) -> tuple[object, ...]:
        files = (self.store.db_path, self.store.db_path.with_name("scores.duckdb.wal"))
        return tuple((s.st_mtime_ns, s.st_size) for p in files if p.exists() for s in [p.stat()])

    def get(self, night: datetime) -> pl.DataFrame:
        """The risk list of ``night`` (which must be stored)."""
        key = (night, self._version())
        with self._lock:
            if key in self._lists:
                self._lists.move_to_end(key)
                return self._lists[key]
        history = self.store.history_for(night, self.config.trend_nights)
        outcomes = read_outcomes(self.store)
        ranked = build_risk_list(self.store.night(night), history, self.config, outcomes)
        with self._lock:
            self._lists[key] = ranked
            while len(self._lists) > self.size:
                self._lists.popitem(last=False)
        return ranked
