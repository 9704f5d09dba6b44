"""A night is whole or absent: undo what a failed scoring run stored for tonight.

A run stores tonight's scores (DuckDB rows and a Parquet export), then its monitoring
inputs, then the planners' report. A failure between those steps (a full disk, most
often) used to leave a stored night without its report or monitoring inputs, which the
next steps then read as a finished night. ``NightUndo`` remembers what the night was
before the run (a re-run replaces an older version of it) and, on failure, puts that
back and removes what this run wrote for the night.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.settings import Settings
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore


@dataclass(frozen=True)
class NightUndo:
    """What tonight was before this run, and when the run started (file times)."""

    settings: Settings
    as_of: datetime
    scored_at: datetime
    previous: pl.DataFrame
    started: float

    @classmethod
    def begin(cls, settings: Settings, as_of: datetime, scored_at: datetime) -> NightUndo:
        previous = ScoreStore(settings.scores_dir).night(as_of)
        return cls(settings, as_of, scored_at, previous, scored_at.timestamp() - 1.0)

    def _written(self) -> list[Path]:
        """Tonight's report files and monitoring inputs this run wrote."""
        key = night_key(self.as_of)
        paths = [MonitoringPaths(self.settings.home).night_inputs(self.as_of)]
        reports = self.settings.reports_dir
        paths += sorted(reports.glob(f"*{key}*")) if reports.is_dir() else []
        return [p for p in paths if p.is_file() and p.stat().st_mtime >= self.started]

    def undo(self) -> str:
        """Put tonight back as it was before the run; say what was done ("" for nothing)."""
        store = ScoreStore(self.settings.scores_dir)
        stored = store.night(self.as_of)
        ours = stored.height > 0 and (stored["scored_at"] == self.scored_at).all()
        for path in self._written():
            path.unlink()
        if not ours:
            return ""
        if self.previous.height:
            store.write_night(self.previous)
            return "tonight's earlier scores were put back"
        with suppress(LookupError):  # nothing of tonight was stored yet
            store.delete_night(self.as_of)
        return "tonight's scores were removed again (a night is stored whole or not at all)"
