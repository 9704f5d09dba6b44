"""Steps of a batched feature build: each reads one batch's files and writes its parts.

A big fleet is built in asset batches (``features.batches``) so that memory is bounded
by one batch, whichever machine runs it: the local process or a Dask worker. Steps pass
paths, never frames; every batch writes its own numbered files into a spill folder under
the run's folder, which Dask workers must see too (a shared filesystem). Nothing here
imports prefect: ``flows.batched`` wraps these as tasks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forewarn.features.atomic import write_parquet_atomic
from forewarn.features.batch_checks import (
    check_part,
    check_small_tables,
    in_batch,
    merge_report,
    of_no_asset,
)
from forewarn.features.batches import (
    AssetBatch,
    asset_placement,
    finish,
    fleet_inputs,
    plan_batches,
    pool_norms,
    restrict,
    sum_reports,
)
from forewarn.features.dataset import Dataset, ValidationReport, load_dataset
from forewarn.features.inputs import resolve_sensors
from forewarn.features.labels import LabelReport, attach_labels, with_findings
from forewarn.features.observed import STALE_AFTER, Observation, observe
from forewarn.features.snapshots import build_snapshots, snapshot_times
from forewarn.features.spec import FeatureSpec, LabelSpec
from forewarn.flows.settings import Settings
from forewarn.flows.steps import cut_at, rejects_file
from forewarn.serving.score import reading_stats


@dataclass(frozen=True)
class BatchJob:
    """What every batch of one build shares.

    Attributes:
        spec: the feature spec, sensors resolved on the whole fleet (``fixed_sensors``).
        start: first snapshot instant.
        end: last snapshot instant.
        as_of: rows after it are rejects (scoring), else ``None``.
        since: read telemetry from this instant only (scoring), else ``None``.
        until: leave rows after it out (training on the past), else ``None``.
        lookback: also write reading stats over this window (scoring), else ``None``.
        labels: also keep the batch's events to label it (training), else ``None``;
            a training batch builds only snapshots that observe their asset.
        stale_after: with ``labels``: how long past its last reading an asset is observed.
        findings: technicians' confirmed faults to label with (training), else ``None``.
    """

    spec: FeatureSpec
    start: datetime
    end: datetime
    as_of: datetime | None = None
    since: datetime | None = None
    until: datetime | None = None
    lookback: str | None = None
    labels: LabelSpec | None = None
    stale_after: timedelta = STALE_AFTER
    findings: str | None = None


def plan_feature_batches(url: str, settings: Settings) -> list[AssetBatch]:
    """Batches of the dataset's assets within the settings' budget (one batch if it fits)."""
    ids = load_dataset(url).assets.select("asset_id").collect()["asset_id"].to_list()
    try:
        placement = asset_placement(url)
    except (pl.exceptions.PolarsError, OSError):
        # A file that cannot be read: one batch, so validation names it as it always does.
        return [AssetBatch(0, tuple(sorted(ids)), None, 0)]
    return plan_batches(ids, placement, settings.batch_readings, settings.batch_assets)


def _tables(
    url: str,
    batch: AssetBatch,
    as_of: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Dataset:
    """The batch's files of the dataset, validated as a whole run validates them."""
    data = load_dataset(url, as_of=as_of, telemetry_since=since, telemetry_files=batch.files)
    return cut_at(data, until)


def batch_span(url: str, batch: AssetBatch, until: datetime | None) -> dict[str, Any]:
    """First and last accepted reading time of a batch's assets (known at ``until``)."""
    telemetry = restrict(_tables(url, batch, until=until).telemetry, batch.assets)
    span = telemetry.select(start=pl.col("ts").min(), end=pl.col("ts").max()).collect()
    return span.row(0, named=True)


def _spill(folder: str, kind: str, index: int) -> Path:
    return Path(folder) / f"{kind}-{index:05d}.parquet"


def build_batch(url: str, batch: AssetBatch, job: BatchJob, spill: str) -> dict[str, Any]:
    """Pass one: a batch's snapshots with their fleet-norm inputs, written to ``spill``.

    Returns:
        ``index``, ``rows`` and the paths written: ``frame``, ``fleet`` and, when the
        job asks for them, ``events`` (to label it) and ``stats`` (reading stats).
    """
    data = _tables(url, batch, job.as_of, job.since, job.until)
    tel, ev, assets = (
        restrict(t, batch.assets) for t in (data.telemetry, data.events, data.assets)
    )
    seen = None
    if job.labels is not None:
        times = snapshot_times(job.start, job.end, job.spec.snapshot_every)
        seen = observe(tel, ev, assets, times, job.stale_after)
    frame = build_snapshots(
        tel,
        ev,
        assets,
        job.start,
        job.end,
        job.spec,
        since=job.since,
        fleet_parts=True,
        observed=seen and seen.spans,
    )
    out: dict[str, Any] = {"index": batch.index, "rows": frame.height}
    out["fleet"] = write_parquet_atomic(
        fleet_inputs(frame, job.spec), _spill(spill, "fleet", batch.index)
    )
    out["frame"] = write_parquet_atomic(frame, _spill(spill, "snapshots", batch.index))
    if seen is not None:
        found = None if job.findings is None else pl.read_parquet(job.findings)
        labelled = restrict(with_findings(ev, found), batch.assets).collect()
        out["events"] = write_parquet_atomic(labelled, _spill(spill, "events", batch.index))
        out["spans"] = write_parquet_atomic(seen.spans, _spill(spill, "spans", batch.index))
        out["census"] = [seen.snapshots, seen.before_first, seen.after_last]
    if job.lookback is not None and job.as_of is not None:
        stats = reading_stats(tel, job.as_of, job.lookback, resolve_sensors(tel, job.spec))
        out["stats"] = write_parquet_atomic(stats, _spill(spill, "stats", batch.index))
    return {k: str(v) if isinstance(v, Path) else v for k, v in out.items()}


def _observation(built: dict[str, Any]) -> Observation:
    """A batch's observed spans and census, as ``build_batch`` wrote them."""
    return Observation(pl.read_parquet(built["spans"]), *built["census"])


def pool_batches(built: list[dict[str, Any]], spec: FeatureSpec, out: str) -> str:
    """Pass two: fleet norms over every batch, ``as_of`` chunk by chunk (``pool_norms``)."""
    inputs = pl.scan_parquet([b["fleet"] for b in built])
    norms = pool_norms(inputs, spec) if spec.fleet_norm else pl.DataFrame()
    return str(write_parquet_atomic(norms, out))


def finish_training_batch(
    built: dict[str, Any], norms: str, job: BatchJob, data_end: datetime, out: str
) -> dict[str, Any]:
    """Pass three: add ``z_fleet`` and labels to a batch, write it as one training part."""
    assert job.labels is not None, "a training job carries its label spec"
    frame = finish(pl.read_parquet(built["frame"]), pl.read_parquet(norms), job.spec)
    events = pl.read_parquet(built["events"])
    labelled, report = attach_labels(frame, events, job.labels, data_end, _observation(built))
    path = write_parquet_atomic(labelled, _spill(out, "part", built["index"]))
    return {"part": str(path), "rows": labelled.height, "labels": asdict(report)}


def finish_scoring_batches(
    built: list[dict[str, Any]], norms: str, job: BatchJob, out: str
) -> dict[str, str]:
    """Pass three for a night: every batch's finished rows in one snapshot, sorted by asset
    as one run returns it, and the batches' reading stats beside it."""
    pooled = pl.read_parquet(norms)
    frames = [finish(pl.read_parquet(b["frame"]), pooled, job.spec) for b in built]
    snapshot = pl.concat(frames).sort("asset_id", "as_of")
    stats = pl.concat([pl.read_parquet(b["stats"]) for b in built])
    return {
        "snapshot": str(write_parquet_atomic(snapshot, Path(out) / "snapshot.parquet")),
        "stats": str(write_parquet_atomic(stats, Path(out) / "stats.parquet")),
    }


def label_totals(finished: list[dict[str, Any]]) -> LabelReport:
    """The whole frame's label report from its parts'."""
    return sum_reports([LabelReport(**f["labels"]) for f in finished])


def validate_batch(
    url: str,
    batch: AssetBatch | None,
    known: tuple[str, ...],
    check: tuple[datetime | None, datetime | None],
    spill: str,
) -> dict[str, Any]:
    """Check one batch's telemetry, or with ``batch=None`` the rows of no known asset.

    Args:
        url: dataset folder or fsspec URL.
        batch: the batch, or ``None`` for the rows whose id is not in ``known``.
        known: every accepted asset id (used when ``batch`` is ``None``).
        check: ``as_of`` and ``telemetry_since`` of the validation (see ``load_dataset``).
        spill: folder for the part's rejected rows.
    """
    files = batch.files if batch is not None else None
    data = load_dataset(url, as_of=check[0], telemetry_since=check[1], telemetry_files=files)
    part, rejects = check_part(data, in_batch(batch) if batch else of_no_asset(known))
    name = f"rejects-{batch.index:05d}" if batch else "rejects-rest"
    path = (
        write_parquet_atomic(rejects, Path(spill) / f"{name}.parquet") if rejects.height else None
    )
    return {"part": part, "rejects": path and str(path)}


def merge_validation(
    url: str,
    checked: list[dict[str, Any]],
    check: tuple[datetime | None, datetime | None],
    rejects: Path,
) -> tuple[ValidationReport, Path | None]:
    """The report and rejects file ``steps.validate_and_quarantine`` writes, from the parts."""
    data = load_dataset(url, as_of=check[0], telemetry_since=check[1])
    small, small_rejects = check_small_tables(data)
    report = merge_report(data, [c["part"] for c in checked], small)
    if report.total_rejected == 0:
        return report, None
    parts = [pl.read_parquet(c["rejects"]) for c in checked if c["rejects"]]
    path = rejects_file(url, rejects)
    write_parquet_atomic(pl.concat([small_rejects, *parts], how="vertical"), path)
    return report, path
