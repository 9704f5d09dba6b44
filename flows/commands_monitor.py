"""``forewarn monitor``: drift, data quality, realised performance and the retraining gate."""

from __future__ import annotations

from typing import Annotated

import typer

from forewarn.flows import console
from forewarn.flows.cli import app, parse_time, settings_of
from forewarn.flows.commands_pipeline import ExperimentOption, _fail_on


@app.command(
    epilog=(
        "Example: [bold]forewarn monitor --data fleet/ --as-of 2025-08-28[/]\n\n"
        "Compares the night's features and predictions with the champion's training "
        "reference (Evidently), checks the raw input, grades past nights whose horizon "
        "has passed, and retrains when the [monitoring.gate] policy says so."
    )
)
def monitor(
    ctx: typer.Context,
    data: Annotated[str, typer.Option(help="Dataset the night was scored from.")],
    as_of: Annotated[
        str | None, typer.Option(help="Night to monitor (UTC).", show_default="latest scored")
    ] = None,
    config: ExperimentOption = None,
    retrain: Annotated[bool, typer.Option(help="Let the gate run the training flow.")] = True,
) -> None:
    """Monitor a scored night and decide whether to retrain."""
    from forewarn.flows.monitoring.flow import monitoring_flow, monitoring_steps

    settings = settings_of(ctx)
    try:
        with console.running("forewarn monitor", monitoring_steps(as_of is None)):
            out = monitoring_flow(
                data, parse_time(as_of, "--as-of"), config, str(settings.home), retrain
            )
    except Exception as exc:  # the flow names the failing step
        _fail_on(exc)
        return
    decision = out["decision"]
    state = "ALARM" if out["alarm"] else "no alarm"
    console.console.print(
        f"[bold]monitored[/] {out['as_of']}: drift share {out['drift_share']:.3f} ({state})"
    )
    for scope in out["alarm_scopes"]:
        console.console.print(f"  drifting: {console.safe(scope)}")
    for alert in out["quality_alerts"]:
        console.console.print(f"  data quality: {console.safe(alert)}")
    verdict = gate_verdict(decision)
    console.console.print(f"gate: {verdict} ({console.safe('; '.join(decision['reasons']))})")
    console.console.print(f"report: {out['report']}")


def gate_verdict(decision: dict) -> str:
    """What the gate decided and what was done, in the words the decision file records."""
    if decision["retrained"]:
        return "retrained"
    if decision.get("retrain_suppressed"):
        return "retraining due but not run (--no-retrain)"
    if decision["retrain"] and not decision.get("enabled", True):
        return "retraining due but the gate is disabled ([monitoring.gate] enabled = false)"
    return "no retraining"
