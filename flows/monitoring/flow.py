"""The monitoring flow: drift + data quality + realised performance → gate → maybe retrain.

Runs after a night was scored (it reads the night's saved inputs, not the features again).
When the gate triggers, it runs the training flow on the data known tonight; the new
model becomes champion only through the training flow's promotion gate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from forewarn.flows import progress
from forewarn.flows.experiment import load_experiment
from forewarn.flows.monitoring import steps
from forewarn.flows.settings import load_settings
from forewarn.flows.tasks import io_task, run_step
from forewarn.flows.training import training_flow
from forewarn.serving.store import ScoreStore

monitor_task = io_task(steps.monitor_night, "monitor the night")
gate_task = io_task(steps.gate_night, "retraining gate")
record_task = io_task(steps.record_decision, "record the decision")


def latest_night(settings) -> datetime:
    """The newest stored night (monitoring defaults to it)."""
    night = ScoreStore(settings.scores_dir).latest()
    if night is None:
        raise LookupError("the score store is empty: run `forewarn score` first")
    return night


def monitoring_steps(find_night: bool) -> int:
    """Steps the monitoring flow reports (a retraining adds the training flow's)."""
    return 5 if find_night else 4


@flow(name="forewarn-monitoring", log_prints=False, validate_parameters=False)
def monitoring_flow(
    data: str,
    as_of: datetime | None = None,
    experiment: str | None = None,
    home: str | None = None,
    retrain: bool = True,
) -> dict[str, Any]:
    """Monitor one scored night and retrain when the policy says so.

    Args:
        data: the dataset the night was scored from (events give the late labels).
        as_of: the night (default: the newest stored night).
        experiment: experiment name or path.
        home: workspace folder.
        retrain: allow the gate to run the training flow (off: decide and log only).
    """
    progress.expect(monitoring_steps(as_of is None))
    settings = load_settings(home=home)
    exp = run_step("load experiment config", load_experiment, experiment)
    night = as_of or run_step("find the night", latest_night, settings)
    record = run_step("monitor the night", monitor_task, data, night, exp, settings)
    decision = run_step("retraining gate", gate_task, record, exp, settings)
    decision["retrained"] = False
    # The record keeps what the gate decided; that a run was not allowed to act on it is
    # its own field, so the log and the console say the same thing.
    wanted = bool(decision["retrain"] and decision["enabled"])
    decision["retrain_suppressed"] = wanted and not retrain
    if wanted and retrain:
        trained = training_flow(data, experiment, str(settings.home), until=night)
        decision["retrained"] = True
        decision["training"] = {
            "run_id": trained["run_id"],
            "versions": trained["versions"],
            "promoted": trained["promoted"],
            "decisions": trained["decisions"],
        }
    outputs = run_step("record the decision", record_task, decision, record, exp, settings)
    return {**record, "decision": decision, **outputs}
