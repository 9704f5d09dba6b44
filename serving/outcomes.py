"""The technicians' answer back: what an inspection of a listed asset found (pure logic).

A planner records, per (night, asset), ``found_fault``, ``no_fault`` or ``not_inspected``,
by hand (``forewarn feedback record``) or by filling the ``outcome`` column of the night's
risk-list CSV (``forewarn feedback import``). The rows are checked here, against the
nights and assets the score store holds, before ``outcome_store`` writes them; nothing
here reads or writes files.

The list uses them so an asset checked and found healthy is not alerted again unless its
risk rises (``with_outcomes``); confirmed faults become ``finding`` label events for
training (``findings``); monitoring grades lists by them before failures can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from forewarn.features.labels import FINDING
from forewarn.serving.schema import UTC_US, to_utc

OUTCOMES: tuple[str, ...] = ("found_fault", "no_fault", "not_inspected")

INSPECTED_AFTER = timedelta(hours=12)
"""Default inspection time after the night: the crew works the day after the list, and a
finding must fall after the night's snapshot to label it (labels look strictly ahead)."""

MAX_NOTE = 1000
_FORMULA_QUOTE = ("'=", "'+", "'-", "'@", "'\t", "'\r")  # undo report.guard_formulas

OUTCOME_SCHEMA: pl.Schema = pl.Schema(
    {
        "as_of": UTC_US,
        "asset_id": pl.String(),
        "outcome": pl.String(),
        "component": pl.String(),
        "note": pl.String(),
        "inspected_at": UTC_US,
        "recorded_at": UTC_US,
        "source": pl.String(),
    }
)
"""One stored outcome; key (``as_of``, ``asset_id``): a later record of a pair replaces it."""

LIST_COLUMNS: dict[str, pl.DataType] = {
    "last_outcome": pl.String(),
    "last_outcome_night": UTC_US,
    "last_outcome_component": pl.String(),
    "last_outcome_note": pl.String(),
}
"""Columns the risk list gains: each asset's latest outcome on or before the night."""

FILL_IN_COLUMNS: tuple[str, ...] = ("outcome", "outcome_component", "outcome_note")
"""Empty columns of the exported CSV that planners fill for ``forewarn feedback import``."""


@dataclass(frozen=True)
class RawOutcome:
    """One outcome as typed or read from a file, before checking (all text)."""

    line: int | None
    asset_id: str | None
    night: str | None
    outcome: str | None
    component: str | None = None
    note: str | None = None
    inspected_at: str | None = None


@dataclass(frozen=True)
class Checked:
    """Rows that passed, rows refused (with the reason), and rows left blank.

    ``len(accepted) + len(rejected) + blank`` equals the rows given, always.
    """

    accepted: pl.DataFrame
    rejected: list[tuple[int | None, str]]
    blank: int


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _unguard(asset_id: str) -> str:
    """The id as stored: the CSV export quotes cells a spreadsheet would run as formulas."""
    return asset_id[1:] if asset_id.startswith(_FORMULA_QUOTE) else asset_id


def _parse_time(text: str) -> datetime | None:
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def _where(line: int | None) -> str:
    return "" if line is None else f"row {line}: "


def _check_one(
    raw: RawOutcome,
    resolve: Any,
    scored: set[tuple[datetime, str]],
) -> tuple[dict[str, Any] | None, str | None]:
    """The outcome's stored row, or the reason it is refused."""
    outcome = (_text(raw.outcome) or "").lower()
    if outcome not in OUTCOMES:
        return None, f"outcome {raw.outcome!r} is not one of {', '.join(OUTCOMES)}"
    asset = _text(raw.asset_id)
    if asset is None:
        return None, "asset_id is empty"
    asset = _unguard(asset)
    text = _text(raw.night)
    if text is None:
        return None, "the night (as_of) is empty"
    night = resolve(text)
    if night is None:
        return None, (
            f"night {text!r} is not in the score store (use the as_of value of the "
            "night's exported risk list)"
        )
    if (night, asset) not in scored:
        return None, f"asset {asset!r} has no score on the night {night:%Y-%m-%dT%H:%M:%SZ}"
    inspected = night + INSPECTED_AFTER
    if _text(raw.inspected_at) is not None:
        parsed = _parse_time(raw.inspected_at.strip())
        if parsed is None:
            return None, f"inspected_at {raw.inspected_at!r} is not an ISO date/time"
        if parsed < night:
            return None, f"inspected_at {raw.inspected_at!r} is before the night it answers"
        inspected = parsed
    note = _text(raw.note)
    if note is not None and len(note) > MAX_NOTE:
        return None, f"note is {len(note)} characters long (at most {MAX_NOTE})"
    row = {
        "as_of": night,
        "asset_id": asset,
        "outcome": outcome,
        "component": _text(raw.component),
        "note": note,
        "inspected_at": inspected,
    }
    return row, None


def check_outcomes(
    rows: Iterable[RawOutcome],
    nights: list[datetime],
    scored: set[tuple[datetime, str]],
    recorded_at: datetime,
    source: str,
) -> Checked:
    """Check outcomes against the store: known night, asset scored that night, one per pair.

    Args:
        rows: the outcomes as given; rows with an empty ``outcome`` are counted as blank
            (an exported list holds every asset, and planners fill only the inspected ones).
        nights: the stored nights (``ScoreStore.nights``).
        scored: the stored (night, asset) pairs of the nights the rows name.
        recorded_at: when this record is made (provenance; passed in, never read here).
        source: where the rows come from (``cli`` or the file name), stored with them.

    Returns:
        Accepted rows (``OUTCOME_SCHEMA``), refused rows with the reason naming the row,
        and the count of blank rows.
    """
    from forewarn.serving.web_data import resolve_night  # shared night parsing

    def resolve(text: str) -> datetime | None:
        return resolve_night(text, nights)

    accepted: list[dict[str, Any]] = []
    rejected: list[tuple[int | None, str]] = []
    first: dict[tuple[datetime, str], int | None] = {}
    blank = 0
    for raw in rows:
        if _text(raw.outcome) is None:
            blank += 1
            continue
        row, why = _check_one(raw, resolve, scored)
        if row is not None and (row["as_of"], row["asset_id"]) in first:
            earlier = first[(row["as_of"], row["asset_id"])]
            why, row = f"repeats asset {row['asset_id']!r} and night of row {earlier}", None
        if row is None:
            rejected.append((raw.line, _where(raw.line) + str(why)))
            continue
        first[(row["as_of"], row["asset_id"])] = raw.line
        accepted.append({**row, "recorded_at": to_utc(recorded_at), "source": source})
    frame = pl.DataFrame(accepted, schema=OUTCOME_SCHEMA, orient="row")
    return Checked(accepted=frame, rejected=rejected, blank=blank)


def last_outcomes(outcomes: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Each asset's latest outcome on a night up to ``as_of``, with that night's ``p_fail``.

    Args:
        outcomes: stored outcomes with ``p_fail_then`` (``outcome_store.read_outcomes``).
        as_of: tonight; outcomes of later nights are not known yet.

    Returns:
        ``asset_id``, ``LIST_COLUMNS`` and ``p_fail_then``.
    """
    known = outcomes.filter(pl.col("as_of") <= to_utc(as_of))
    latest = known.sort("as_of", "recorded_at").group_by("asset_id").agg(pl.all().last())
    return latest.select(
        "asset_id",
        pl.col("outcome").alias("last_outcome"),
        pl.col("as_of").alias("last_outcome_night"),
        pl.col("component").alias("last_outcome_component"),
        pl.col("note").alias("last_outcome_note"),
        "p_fail_then",
    )


def with_outcomes(
    ranked: pl.LazyFrame, last: pl.DataFrame | None, recheck_factor: float
) -> pl.LazyFrame:
    """Add ``LIST_COLUMNS`` and hold back alerts on assets found healthy.

    An asset on the list whose latest inspection found no fault is ``checked`` rather
    than ``new`` or ``still_open``, until its probability reaches ``recheck_factor``
    times the one of the inspected night: then it is alerted as ``new`` again.
    """
    if last is None or last.height == 0:
        nulls = [pl.lit(None, dtype).alias(name) for name, dtype in LIST_COLUMNS.items()]
        return ranked.with_columns(nulls)
    joined = ranked.join(last.lazy(), on="asset_id", how="left")
    healthy = (pl.col("last_outcome") == "no_fault").fill_null(False)
    risen = (pl.col("p_fail") >= recheck_factor * pl.col("p_fail_then")).fill_null(True)
    alert = pl.col("alert_state")
    state = (
        pl.when(alert.is_null() | ~healthy)
        .then(alert)
        .when(risen)
        .then(pl.lit("new"))
        .otherwise(pl.lit("checked"))
    )
    return joined.with_columns(alert_state=state).drop("p_fail_then")


def findings(outcomes: pl.DataFrame, until: datetime | None = None) -> pl.DataFrame:
    """Confirmed faults as label events in the events contract's columns (kind ``finding``).

    ``until``: a run trained on the data known then sees only inspections made by then.
    """
    found = outcomes.filter(pl.col("outcome") == "found_fault")
    if until is not None:
        found = found.filter(pl.col("inspected_at") <= to_utc(until))
    return found.select(
        "asset_id",
        pl.col("inspected_at").alias("ts"),
        pl.lit(FINDING).alias("kind"),
        "component",
        pl.lit(None, pl.String).alias("code"),
    ).sort("asset_id", "ts")
