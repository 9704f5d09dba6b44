"""The nightly scoring flow: validate → snapshot → champion → scores → risk list + report."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from forewarn.flows import progress
from forewarn.flows.batched import night_inputs
from forewarn.flows.experiment import load_experiment
from forewarn.flows.night_undo import NightUndo
from forewarn.flows.nights import pick_night
from forewarn.flows.prepare import PreparedRun
from forewarn.flows.settings import load_settings
from forewarn.flows.steps import champion_experiment, check_champion, claim_night, night_since
from forewarn.flows.tasks import StepFailedError, run_step, score_night, write_report
from forewarn.flows.training import validated
from forewarn.serving.store import ScoreStore


def scoring_steps(report: bool, prepared: bool = False) -> int:
    """Steps the scoring flow reports (a repeated name is one step): a night the CLI
    prepared before Prefect started skips loading the configs and choosing the night."""
    return (6 if prepared else 9) + int(report)


@flow(
    name="forewarn-scoring",
    flow_run_name="scoring-{as_of}",
    log_prints=False,
    validate_parameters=False,
)
def scoring_flow(
    data: str,
    as_of: datetime | None,
    experiment: str | None = None,
    home: str | None = None,
    max_reject_share: float | None = None,
    report: bool = True,
    runner: str | None = None,
    dask_address: str | None = None,
    batch_assets: int | None = None,
    prepared: PreparedRun | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Score every asset at ``as_of`` and write that night's risk list and report.

    Idempotent per ``as_of``: a re-run replaces the night's scores and report files; a
    second run while one is scoring the same night fails at once ("claim the night").
    A fleet bigger than one feature batch is built in batches first (``flows.batched``;
    ``runner``, ``dask_address`` and ``batch_assets`` override the settings).
    ``prepared``: the night as the CLI checked it before Prefect started
    (``flows.prepare``: the champion's experiment against the data's columns).

    ``as_of`` None scores the last night the data covers; a night past the data's newest
    reading plus the stale limit is refused (``NightOutOfRangeError``) unless ``force``.
    Without an ``experiment`` the risk-list rules are the champion's (saved at training).
    """
    progress.expect(scoring_steps(report, prepared is not None))
    settings = load_settings(
        home=home, runner=runner, dask_address=dask_address, batch_assets=batch_assets
    )
    if prepared is not None:  # the CLI chose and checked the night before Prefect started
        exp, as_of = prepared.experiment, prepared.as_of
    else:
        exp = run_step("load experiment config", load_experiment, experiment)
        exp = run_step(
            "load the champion's config", champion_experiment, exp, settings, experiment is None
        )
        as_of = run_step(
            "choose the night",
            pick_night,
            data,
            as_of,
            exp.features.snapshot_every,
            exp.risk_list.stale_after_hours,
            force,
        )
    run_step("check the champion's files", check_champion, exp, settings)
    with run_step("claim the night", claim_night, settings.scores_dir, as_of):
        run_step("check the score store", ScoreStore(settings.scores_dir).check)
        since = run_step("validate data", night_since, data, as_of, exp)
        validated(data, settings, as_of, max_reject_share, since)
        inputs = run_step(
            "build tonight's features", night_inputs, data, as_of, exp, settings, since
        )
        now = datetime.now(UTC)
        undo = NightUndo.begin(settings, as_of, now)
        try:
            scored = run_step(
                "score the fleet", score_night, data, as_of, exp, settings, now, None, inputs
            )
            if report:
                scored["report"] = run_step(
                    "write risk list and report", write_report, data, as_of, exp, settings
                )
        except StepFailedError as exc:
            _undo(undo, exc)
            raise
        finally:
            if inputs is not None:  # the store and monitoring keep what the night needs
                shutil.rmtree(Path(inputs["snapshot"]).parent, ignore_errors=True)
    return scored


def _undo(undo: NightUndo, exc: StepFailedError) -> None:
    """Undo tonight after a failed step and add what was done to the error's message."""
    try:
        done = undo.undo()
    except Exception as again:  # a disk still full: say so, the re-run fixes it
        done = f"undoing tonight failed too ({again}); re-run once the cause is fixed"
    if done:
        exc.args = (f"{exc.args[0]}; {done}",)
