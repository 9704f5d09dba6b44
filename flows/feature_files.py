"""``forewarn features``: feature snapshots of a dataset written to a file, for data scientists.

The same code paths as the flows: one snapshot per asset at ``as_of`` is what the nightly
run scores (``scoring_snapshot``, reading only the telemetry its features need); a frame of
snapshots every ``every`` with labels is what training learns from (``training_frame``).
Only accepted rows are used; rejected ones are counted so nothing disappears unseen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from pydantic import ValidationError

from forewarn.features.atomic import write_atomic
from forewarn.features.contract import Reason
from forewarn.features.dataset import load_dataset, summarize
from forewarn.features.snapshots import scoring_snapshot
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.steps import labelled_frame, scoring_since, stale_after, training_span

SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True)
class FeatureFile:
    """What was written: where, how many rows and columns, and what was left out."""

    path: str
    rows: int
    columns: int
    start: datetime
    end: datetime
    rejected_rows: int
    later_rows: int = 0
    labels: dict[str, int] | None = None


def check_out(out: Path) -> None:
    """Refuse an output name whose format is unknown, before any work."""
    if out.suffix.lower() not in SUFFIXES:
        raise ValueError(f"--out {out}: use a .parquet or .csv file name")


def write_frame(frame: pl.DataFrame, out: Path) -> None:
    """Parquet or CSV by suffix, atomically (a crash leaves the old file or none)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        write_atomic(out, frame.write_csv)
    else:
        write_atomic(out, frame.write_parquet)


def snapshot_file(url: str, as_of: datetime, exp: ExperimentConfig, out: Path) -> FeatureFile:
    """One row per asset known at ``as_of``: tonight's scoring input, bit for bit."""
    check_out(out)
    since = scoring_since(url, as_of, exp)
    dataset = load_dataset(url, as_of=as_of, telemetry_since=since)
    report = summarize(dataset)
    frame = scoring_snapshot(dataset.telemetry, dataset.events, dataset.assets, as_of, exp.features)
    write_frame(frame, out)
    later = report.rejected_for(Reason.FUTURE_TS)  # not faults: not known yet at as_of
    faulty = report.total_rejected - later
    return FeatureFile(str(out), frame.height, frame.width, as_of, as_of, faulty, later)


def frame_file(
    url: str,
    exp: ExperimentConfig,
    out: Path,
    every: str | None,
    start: datetime | None,
    end: datetime | None,
) -> FeatureFile:
    """Labelled snapshots every ``every`` (default: the config's ``snapshot_every``).

    ``start`` and ``end`` default to the first and last whole step inside the data;
    labels looking past the data's end are unknown or censored, as in training.
    """
    check_out(out)
    features = exp.features
    if every is not None:
        try:
            features = type(features).model_validate(
                features.model_dump() | {"snapshot_every": every}
            )
        except ValidationError as exc:
            raise ValueError(f"--every {every!r}: {exc.errors()[0]['msg']}") from exc
    dataset = load_dataset(url)
    report = summarize(dataset)
    if report.start is None or report.end is None:
        raise ValueError(f"{url}: no accepted telemetry to build snapshots from")
    first, last = training_span(report.start, report.end, features.snapshot_every)
    first, last = start or first, end or last
    if last < first:
        raise ValueError(f"--start {first.isoformat()} is after --end {last.isoformat()}")
    frame, labels = labelled_frame(
        dataset, report, features, exp.labels, first, last, stale_after(exp)
    )
    write_frame(frame, out)
    return FeatureFile(
        str(out),
        frame.height,
        frame.width,
        first,
        last,
        report.total_rejected,
        labels=asdict(labels),
    )
