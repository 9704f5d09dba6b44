"""The training flow: validate → training frame → train + evaluate → MLflow → promotion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from forewarn.features.dataset import ValidationReport
from forewarn.flows import progress
from forewarn.flows.batched import build_frame, validate_fleet
from forewarn.flows.feedback import collect_findings, findings_in
from forewarn.flows.gates import QualityGateError
from forewarn.flows.monitoring.tasks import save_reference
from forewarn.flows.prepare import PreparedRun, prepare_run
from forewarn.flows.settings import Settings, load_settings
from forewarn.flows.steps import check_tracking
from forewarn.flows.tasks import StepFailedError, run_step, train_and_register

TRAINING_STEPS = 6
"""Steps the training flow reports (a repeated name is one step), findings aside."""


class TooManyRejectsError(QualityGateError, ValueError):
    """The share of rejected rows passed the configured threshold (exit code 1, as
    ``forewarn validate`` gives for the same data)."""


def reject_gate(report: ValidationReport, threshold: float) -> None:
    """Stop a run whose input fails ``ValidationReport.gate_failure`` (too many faulty
    rows in a table, or no accepted telemetry or assets at all)."""
    why = report.gate_failure(threshold)
    if why is not None:
        raise TooManyRejectsError(f"{why}; see `forewarn validate {report.url}` for the reasons")


def validated(
    data: str,
    settings: Settings,
    as_of: datetime | None,
    threshold: float | None,
    telemetry_since: datetime | None = None,
) -> ValidationReport:
    """Validate (writing rejects) and apply the reject gate; the first step of every flow."""
    report, _ = run_step(
        "validate data",
        validate_fleet,
        data,
        as_of,
        settings.rejects_dir,
        telemetry_since,
        settings,
    )
    limit = settings.reject_threshold if threshold is None else threshold
    run_step("validate data", reject_gate, report, limit)
    return report


@flow(name="forewarn-training", log_prints=False, validate_parameters=False)
def training_flow(
    data: str,
    experiment: str | None = None,
    home: str | None = None,
    until: datetime | None = None,
    max_reject_share: float | None = None,
    runner: str | None = None,
    dask_address: str | None = None,
    batch_assets: int | None = None,
    prepared: PreparedRun | None = None,
) -> dict[str, Any]:
    """Train risk and RUL models on a dataset and register them (challenger/champion).

    Args:
        data: dataset folder or fsspec URL.
        experiment: experiment name or path (default ``experiments/default.toml``).
        home: workspace folder (default from settings).
        until: train only on data known at this time.
        max_reject_share: reject gate (default from settings).
        runner: ``local`` or ``dask`` (default from settings, see ``flows.runners``).
        dask_address: Dask scheduler address (default from settings; unset: local cluster).
        batch_assets: assets per feature batch (default: by the settings' reading budget).
        prepared: the run as ``flows.prepare.prepare_run`` checked it (the CLI does so
            before Prefect starts); default: prepared here, as the first step.
    """
    progress.expect(TRAINING_STEPS)
    settings = load_settings(
        home=home, runner=runner, dask_address=dask_address, batch_assets=batch_assets
    )
    if prepared is None:
        prepared = run_step("prepare the run", prepare_run, data, experiment, "train", until)
    exp = prepared.experiment
    run_step("connect to MLflow", check_tracking, settings.tracking_uri)
    report = validated(data, settings, None, max_reject_share)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    run_dir = settings.home / "runs" / f"{exp.name}-{stamp}"
    findings = None
    if exp.labels.use_findings:
        progress.expect(1)
        findings = run_step(
            "collect technicians' findings",
            collect_findings,
            settings,
            until,
            run_dir / "findings.parquet",
        )
    built = run_step(
        "build training frame", build_frame, data, exp, run_dir, until, settings, report, findings
    )
    info = {**built["dataset"], "labels": built["labels"], "until": until and until.isoformat()}
    info["findings"] = 0 if findings is None else len(findings_in(findings))
    outcome = run_step(
        "train, evaluate and register",
        train_and_register,
        built["frame"],
        exp,
        settings,
        info,
        run_dir / "plots",
    )
    run_step(
        "save drift reference",
        save_reference,
        built["frame"],
        data,
        until,
        exp,
        settings,
        outcome["run_id"],
        outcome["versions"],
    )
    return {
        "experiment": exp.name,
        "frame": built["frame"],
        "labels": built["labels"],
        "findings": info["findings"],
        **outcome,
    }


__all__ = ["StepFailedError", "TooManyRejectsError", "training_flow"]
