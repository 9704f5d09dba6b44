"""Validation in asset batches: the report and rejects of one pass, in bounded memory.

Every telemetry check looks at its own row except the duplicate check, whose window is
partitioned by ``asset_id``; so a batch of known assets is checked exactly as in one pass
over the whole table. Rows that belong to no known asset (unknown or empty ids, all of
them rejects) are checked in one more pass that keeps only them. Events and assets are
small and checked whole. ``merge_report`` then adds the parts up into the
``ValidationReport`` that ``features.dataset.summarize`` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from forewarn.features import validate as v
from forewarn.features.batches import AssetBatch
from forewarn.features.contract import MUST_HAVE_ROWS
from forewarn.features.dataset import Dataset, TableCounts, ValidationReport
from forewarn.features.readers import DatasetError


@dataclass(frozen=True)
class PartCheck:
    """One part's telemetry: rows per reason (``None``: accepted) and accepted time span."""

    reasons: dict[str | None, int]
    start: datetime | None
    end: datetime | None


def in_batch(batch: AssetBatch) -> pl.Expr:
    """Telemetry rows of the batch's assets (ids as validation trims them)."""
    return pl.col("asset_id").is_in(list(batch.assets))


def of_no_asset(known: Sequence[str]) -> pl.Expr:
    """Telemetry rows whose id is empty or not in the assets table."""
    return pl.col("asset_id").is_null() | ~pl.col("asset_id").is_in(list(known))


def check_part(data: Dataset, keep: pl.Expr) -> tuple[PartCheck, pl.DataFrame]:
    """Reason counts, accepted span and rejected rows of the telemetry rows ``keep`` selects.

    Polars pushes ``keep`` (a predicate on ``asset_id`` only) below the duplicate check,
    so only the selected rows are checked.
    """
    checked = data.checked["telemetry"].filter(keep)
    groups = checked.group_by(v.REASON).agg(
        pl.len().alias("n"), pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end")
    )
    counts = groups.collect(engine="streaming")
    accepted = counts.filter(pl.col(v.REASON).is_null())
    span = accepted.row(0, named=True) if accepted.height else {"start": None, "end": None}
    reasons = {r: int(n) for r, n in counts.select(v.REASON, "n").iter_rows()}
    part = PartCheck(reasons, span["start"], span["end"])
    if accepted.height == counts.height:  # nothing rejected: skip the pass that types raw text
        return part, pl.DataFrame()
    raw = [c.removeprefix("_raw_") for c in checked.collect_schema() if c.startswith("_raw_")]
    return part, v.rejects_of("telemetry", checked, raw).collect(engine="streaming")


def check_small_tables(data: Dataset) -> tuple[dict[str, dict[str | None, int]], pl.DataFrame]:
    """Reason counts and rejects of the assets and events tables."""
    names = [n for n in data.checked if n != "telemetry"]
    raws = {
        n: [c.removeprefix("_raw_") for c in data.checked[n].collect_schema() if c[:5] == "_raw_"]
        for n in names
    }
    counts = pl.collect_all(
        [data.checked[n].group_by(v.REASON).agg(pl.len().alias("n")) for n in names]
    )
    rejects = pl.concat(
        [v.rejects_of(n, data.checked[n], raws[n]) for n in names], how="vertical"
    ).collect()
    table = {n: {r: int(k) for r, k in c.iter_rows()} for n, c in zip(names, counts, strict=True)}
    return table, rejects


def _counts(reasons: dict[str | None, int]) -> TableCounts:
    total = sum(reasons.values())
    rejected = sum(n for r, n in reasons.items() if r is not None)
    return TableCounts(total, total - rejected, rejected)


def merge_report(
    data: Dataset, parts: Sequence[PartCheck], small: dict[str, dict[str | None, int]]
) -> ValidationReport:
    """The whole dataset's ``ValidationReport`` from its telemetry parts and small tables.

    Raises:
        DatasetError: telemetry or assets has no rows at all (as ``summarize``).
    """
    telemetry: dict[str | None, int] = {}
    for part in parts:
        for reason, n in part.reasons.items():
            telemetry[reason] = telemetry.get(reason, 0) + n
    tables = {"telemetry": telemetry, **small}
    counts = {name: _counts(reasons) for name, reasons in tables.items()}
    for name in MUST_HAVE_ROWS:
        if counts[name].input == 0:
            raise DatasetError(
                f"{data.files[name][0]}: table '{name}' is empty (header only or no rows). "
                f"forewarn needs at least one row of {name}."
            )
    by_reason = {
        f"{name}: {r}": n for name, reasons in tables.items() for r, n in reasons.items() if r
    }
    starts = [p.start for p in parts if p.start is not None]
    ends = [p.end for p in parts if p.end is not None]
    kinds = data.events.group_by("kind").agg(pl.len()).sort("kind").collect()
    assets = data.assets.collect()
    types = assets.group_by("asset_type").agg(pl.len()).sort("asset_type")
    return ValidationReport(
        url=data.url,
        counts=counts,
        rejects_by_reason=dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        n_assets=assets.height,
        sensors=data.sensors,
        start=min(starts) if starts else None,
        end=max(ends) if ends else None,
        events_by_kind={k: int(n) for k, n in kinds.iter_rows()},
        asset_types={k: int(n) for k, n in types.iter_rows()},
        text_columns=data.text_columns,
    )
