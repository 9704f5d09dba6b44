"""Big fleets: the training frame and tonight's snapshot built in asset batches.

A fleet within one batch's budget (``FOREWARN_BATCH_READINGS``) is built in one run, as
always. A bigger one runs as a subflow whose task runner the settings choose
(``flows.runners``): pass one builds each batch's rows on its own, pass two pools the
fleet norms over all batches, pass three finishes each batch. The rows are the ones a
single in-memory run gives, bit for bit (``features.batches``).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow

from forewarn.features.batches import AssetBatch, fixed_sensors
from forewarn.features.dataset import ValidationReport, load_dataset
from forewarn.features.fingerprint import fingerprint
from forewarn.flows import batch_steps as bs
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.runners import gather, task_runner
from forewarn.flows.settings import Settings
from forewarn.flows.steps import check_windows_fit, longest_window, stale_after, training_span
from forewarn.flows.tasks import build_training_frame, io_task, validate_data
from forewarn.serving.schema import night_key

span_task = io_task(bs.batch_span, "span of a feature batch")
build_task = io_task(bs.build_batch, "build a feature batch")
pool_task = io_task(bs.pool_batches, "pool fleet norms")
finish_task = io_task(bs.finish_training_batch, "finish a training batch")
finish_night_task = io_task(bs.finish_scoring_batches, "finish tonight's snapshot")
validate_task = io_task(bs.validate_batch, "validate a batch")


def _whole(spans: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    starts = [s["start"] for s in spans if s["start"] is not None]
    ends = [s["end"] for s in spans if s["end"] is not None]
    if not starts:
        raise ValueError("no accepted telemetry to build training snapshots from")
    return min(starts), max(ends)


@flow(name="forewarn-training-batches", log_prints=False, validate_parameters=False)
def training_batches(
    url: str,
    plan: list[AssetBatch],
    exp: ExperimentConfig,
    run_dir: str,
    until: datetime | None,
    span: tuple[datetime, datetime] | None,
    findings: str | None = None,
) -> dict[str, Any]:
    """The labelled training frame as a folder of parts, one per batch.

    Args:
        url: dataset folder or fsspec URL.
        plan: the asset batches.
        exp: the experiment.
        run_dir: the run's folder; parts go to ``training_frame/``.
        until: train on data known at this time only.
        span: first and last accepted reading (skips a pass when known already).
        findings: technicians' confirmed faults for the labels (``collect_findings``).
    """
    if span is None:
        span = _whole(gather(span_task, [(url, b, until) for b in plan]))
    first, last = training_span(*span, exp.features.snapshot_every)
    spec = fixed_sensors(exp.features, load_dataset(url).telemetry)
    job = bs.BatchJob(
        spec,
        first,
        last,
        until=until,
        labels=exp.labels,
        stale_after=stale_after(exp),
        findings=findings,
    )
    spill = Path(run_dir) / "batches"
    built = gather(build_task, [(url, b, job, str(spill)) for b in plan])
    norms = pool_task(built, spec, str(spill / "fleet_norms.parquet"))
    out = str(Path(run_dir) / "training_frame")
    done = gather(finish_task, [(b, norms, job, span[1], out) for b in built])
    shutil.rmtree(spill, ignore_errors=True)  # as big as the frame; the parts are written
    return {
        "frame": out,
        "rows": sum(d["rows"] for d in done),
        "labels": asdict(bs.label_totals(done)),
        "span": span,
    }


def build_frame(
    url: str,
    exp: ExperimentConfig,
    run_dir: Path,
    until: datetime | None,
    settings: Settings,
    report: ValidationReport,
    findings: str | None = None,
) -> dict[str, Any]:
    """The training frame: in one run when the fleet fits one batch, else in batches.

    ``report`` is the validation of the whole dataset; its time span is the frame's
    unless ``until`` cuts the data (then each batch's span is read).

    Returns:
        What ``steps.build_training_frame`` returns: frame path (a file, or a folder of
        parts), row count, label report and dataset fingerprint.
    """
    end = report.end if until is None or report.end is None else min(report.end, until)
    check_windows_fit(exp, report.start, end)
    plan = bs.plan_feature_batches(url, settings)
    if len(plan) == 1 and settings.runner == "local":
        frame = run_dir / "training_frame.parquet"
        return build_training_frame(url, exp, frame, until, report, findings)
    known = None if until is not None else (report.start, report.end)
    runner = task_runner(settings)
    built = training_batches.with_options(task_runner=runner)(
        url, plan, exp, str(run_dir), until, known, findings
    )
    start, end = built.pop("span")
    built["dataset"] = fingerprint(load_dataset(url), replace(report, start=start, end=end))
    built["batches"] = len(plan)
    return built


@flow(name="forewarn-night-batches", log_prints=False, validate_parameters=False)
def night_batches(
    url: str,
    plan: list[AssetBatch],
    exp: ExperimentConfig,
    as_of: datetime,
    since: datetime | None,
    out_dir: str,
) -> dict[str, str]:
    """Tonight's snapshot and reading stats, built batch by batch (files in ``out_dir``)."""
    spec = fixed_sensors(exp.features, load_dataset(url, as_of=as_of).telemetry)
    job = bs.BatchJob(spec, as_of, as_of, as_of=as_of, since=since, lookback=longest_window(exp))
    spill = Path(out_dir) / "batches"
    built = gather(build_task, [(url, b, job, str(spill)) for b in plan])
    norms = pool_task(built, spec, str(spill / "fleet_norms.parquet"))
    inputs = finish_night_task(built, norms, job, out_dir)
    shutil.rmtree(spill, ignore_errors=True)
    return inputs


def night_inputs(
    url: str, as_of: datetime, exp: ExperimentConfig, settings: Settings, since: datetime | None
) -> dict[str, str] | None:
    """Tonight's snapshot and stats files built in batches, or ``None`` when the fleet
    fits one batch on this machine (the scoring step then builds them itself)."""
    plan = bs.plan_feature_batches(url, settings)
    if len(plan) == 1 and settings.runner == "local":
        return None
    out = settings.home / "runs" / f"night-{night_key(as_of)}"
    runner = task_runner(settings)
    return night_batches.with_options(task_runner=runner)(url, plan, exp, as_of, since, str(out))


@flow(name="forewarn-validation-batches", log_prints=False, validate_parameters=False)
def validation_batches(
    url: str,
    plan: list[AssetBatch],
    check: tuple[datetime | None, datetime | None],
    rejects: str,
    spill: str,
) -> tuple[ValidationReport, Path | None]:
    """Validate batch by batch, plus the rows of no known asset; one report, one rejects file.

    Args:
        url: dataset folder or fsspec URL.
        plan: the asset batches.
        check: ``as_of`` and ``telemetry_since`` of the validation.
        rejects: rejects file, or folder for ``<dataset name>.parquet``.
        spill: scratch folder for the batches' rejected rows (removed at the end).
    """
    known = tuple(a for b in plan for a in b.assets)
    calls = [(url, b, (), check, spill) for b in plan] + [(url, None, known, check, spill)]
    checked = gather(validate_task, calls)
    out = bs.merge_validation(url, checked, check, Path(rejects))
    shutil.rmtree(spill, ignore_errors=True)
    return out


def validate_fleet(
    url: str,
    as_of: datetime | None,
    rejects: Path,
    since: datetime | None,
    settings: Settings,
) -> tuple[ValidationReport, Path | None]:
    """``steps.validate_and_quarantine``, in batches when the fleet is bigger than one."""
    plan = bs.plan_feature_batches(url, settings)
    if len(plan) == 1 and settings.runner == "local":
        return validate_data(url, as_of, rejects, since)
    (settings.home / "runs").mkdir(parents=True, exist_ok=True)
    spill = tempfile.mkdtemp(prefix="validate-", dir=settings.home / "runs")
    flow_ = validation_batches.with_options(task_runner=task_runner(settings))
    return flow_(url, plan, (as_of, since), str(rejects), spill)
