"""Steps of ``forewarn feedback``: read outcomes, check them against the store, write them;
and the training flow's step that turns confirmed faults into label events.

Nothing here imports prefect; the clock is read here (``recorded_at``), never below.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from forewarn.features.atomic import write_parquet_atomic
from forewarn.flows.settings import Settings
from forewarn.serving.outcome_store import read_outcomes, scored_pairs, write_outcomes
from forewarn.serving.outcomes import Checked, RawOutcome, check_outcomes, findings
from forewarn.serving.store import ScoreStore
from forewarn.serving.web_data import resolve_night

REQUIRED = ("asset_id", "as_of", "outcome")
OPTIONAL = {
    "outcome_component": "component",
    "outcome_note": "note",
    "inspected_at": "inspected_at",
}


class FeedbackFileError(ValueError):
    """An outcomes file that cannot be read at all; the message names the file and the fix."""


@dataclass(frozen=True)
class FeedbackResult:
    """What one record or import did: ``recorded + blank + len(rejected)`` = rows given."""

    rows: int
    recorded: int
    blank: int
    rejected: list[str] = field(default_factory=list)
    by_outcome: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    written: bool = False


def read_outcome_file(path: Path) -> list[RawOutcome]:
    """The rows of a filled-in risk-list CSV (every cell as text; row 1 is the header).

    Raises:
        FeedbackFileError: the file is missing, not CSV, or lacks a required column.
    """
    if not path.is_file():
        raise FeedbackFileError(f"{path}: no such file")
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FeedbackFileError(f"{path}: cannot read it as CSV ({exc})") from exc
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FeedbackFileError(
            f"{path}: no column {', '.join(missing)}; import the risk-list CSV that "
            "`forewarn score` / `forewarn report` wrote, with its `outcome` column filled "
            "(found_fault, no_fault or not_inspected)"
        )
    rows = []
    for i, r in enumerate(frame.iter_rows(named=True)):
        extra = {key: r.get(col) for col, key in OPTIONAL.items()}
        rows.append(RawOutcome(i + 2, r["asset_id"], r["as_of"], r["outcome"], **extra))
    return rows


def record_outcomes(
    settings: Settings, rows: list[RawOutcome], source: str, *, dry_run: bool = False
) -> FeedbackResult:
    """Check outcomes against the score store and store the ones that pass (atomically).

    Refused rows are returned with their reasons, never dropped silently; a dry run
    checks and writes nothing.
    """
    store = ScoreStore(settings.scores_dir)
    nights = store.nights()
    named = {resolve_night(r.night.strip(), nights) for r in rows if r.night and r.night.strip()}
    pairs = scored_pairs(store, sorted(n for n in named if n is not None))
    checked: Checked = check_outcomes(rows, nights, pairs, datetime.now(UTC), source)
    stored, written = 0, False
    if checked.accepted.height and not dry_run:
        stored, written = write_outcomes(store, checked.accepted), True
    return FeedbackResult(
        rows=len(rows),
        recorded=checked.accepted.height,
        blank=checked.blank,
        rejected=[why for _, why in checked.rejected],
        by_outcome=dict(Counter(checked.accepted["outcome"].to_list())),
        stored=stored,
        written=written,
    )


def list_outcomes(settings: Settings, asset: str | None, night: str | None) -> pl.DataFrame:
    """Stored outcomes, newest night first, optionally of one asset or one night.

    Raises:
        LookupError: ``night`` names no stored night.
    """
    store = ScoreStore(settings.scores_dir)
    frame = read_outcomes(store)
    if asset:
        frame = frame.filter(pl.col("asset_id") == asset)
    if night:
        when = resolve_night(night, store.nights())
        if when is None:
            raise LookupError(f"night {night!r} is not in the score store")
        frame = frame.filter(pl.col("as_of") == when)
    return frame.sort(["as_of", "asset_id"], descending=[True, False])


def collect_findings(settings: Settings, until: datetime | None, out: Path) -> str | None:
    """Write the store's confirmed faults as ``finding`` events for a training run.

    Returns:
        The events file, or None when the store holds no confirmed fault (known at
        ``until``): the run then trains on recorded failures alone.
    """
    events = findings(read_outcomes(ScoreStore(settings.scores_dir)), until)
    if events.height == 0:
        return None
    return str(write_parquet_atomic(events, out))


def findings_in(path: str) -> pl.DataFrame:
    """The finding events a training run used (``collect_findings``' file)."""
    return pl.read_parquet(path)
