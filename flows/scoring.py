"""The nightly scoring flow: validate → snapshot → champion → scores → risk list + report."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from forewarn.flows.batched import night_inputs
from forewarn.flows.experiment import load_experiment
from forewarn.flows.prepare import PreparedRun
from forewarn.flows.settings import load_settings
from forewarn.flows.steps import champion_experiment, claim_night, night_since
from forewarn.flows.tasks import run_step, score_night, write_report
from forewarn.flows.training import validated


@flow(
    name="forewarn-scoring",
    flow_run_name="scoring-{as_of}",
    log_prints=False,
    validate_parameters=False,
)
def scoring_flow(
    data: str,
    as_of: datetime,
    experiment: str | None = None,
    home: str | None = None,
    max_reject_share: float | None = None,
    report: bool = True,
    runner: str | None = None,
    dask_address: str | None = None,
    batch_assets: int | None = None,
    prepared: PreparedRun | None = None,
) -> dict[str, Any]:
    """Score every asset at ``as_of`` and write that night's risk list and report.

    Idempotent per ``as_of``: a re-run replaces the night's scores and report files; a
    second run while one is scoring the same night fails at once ("claim the night").
    A fleet bigger than one feature batch is built in batches first (``flows.batched``;
    ``runner``, ``dask_address`` and ``batch_assets`` override the settings).
    ``prepared``: the night as the CLI checked it before Prefect started
    (``flows.prepare``: the champion's experiment against the data's columns).
    """
    settings = load_settings(
        home=home, runner=runner, dask_address=dask_address, batch_assets=batch_assets
    )
    if prepared is not None:
        exp = prepared.experiment
    else:
        exp = run_step("load experiment config", load_experiment, experiment)
        exp = run_step("load the champion's config", champion_experiment, exp, settings)
    with run_step("claim the night", claim_night, settings.scores_dir, as_of):
        since = run_step("validate data", night_since, data, as_of, exp)
        validated(data, settings, as_of, max_reject_share, since)
        inputs = run_step(
            "build tonight's features", night_inputs, data, as_of, exp, settings, since
        )
        now = datetime.now(UTC)
        scored = run_step(
            "score the fleet", score_night, data, as_of, exp, settings, now, None, inputs
        )
        if inputs is not None:  # the store and monitoring keep what the night needs
            shutil.rmtree(Path(inputs["snapshot"]).parent, ignore_errors=True)
        if report:
            scored["report"] = run_step(
                "write risk list and report", write_report, data, as_of, exp, settings
            )
    return scored
