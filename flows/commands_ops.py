"""Operations commands: ``forewarn backtest``, ``forewarn schedule``, ``forewarn servers``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from forewarn.flows import console, console_ops
from forewarn.flows.cli import app, parse_time, settings_of
from forewarn.flows.commands_pipeline import (
    ExperimentOption,
    MaxRejectOption,
    _fail_on,
    champion_run,
    prepared_run,
)
from forewarn.flows.settings import Settings

servers_app = typer.Typer(
    help="Local Prefect and MLflow servers for this workspace.", no_args_is_help=True
)
app.add_typer(servers_app, name="servers")


class ModelMode(StrEnum):
    retrain = "retrain"
    fixed = "fixed"


def _local_absolute(data: str) -> str:
    """Scheduled runs may start elsewhere: make a local path absolute, keep URLs as they are."""
    return data if "://" in data else str(Path(data).resolve())


@app.command(
    epilog=(
        "Example: [bold]forewarn backtest --data fleet/ --start 2025-05-01 --end 2025-06-30 "
        "--retrain-every 30d[/]\n\n"
        "Scores every night of the period with only the data known that night, retraining on "
        "the cadence into a separate backtest registry (or --model fixed: today's champion), "
        "and writes <home>/backtests/<id>/summary.html|md|json."
    )
)
def backtest(
    ctx: typer.Context,
    data: Annotated[str, typer.Option(help="Dataset covering the period and what came after.")],
    start: Annotated[str, typer.Option(help="First night to replay (UTC).")],
    end: Annotated[str, typer.Option(help="Last night to replay (UTC).")],
    retrain_every: Annotated[
        str, typer.Option(help="Retrain cadence (a duration such as 30d).")
    ] = "30d",
    model: Annotated[
        ModelMode, typer.Option(help="retrain on the cadence, or fixed: the current champion.")
    ] = ModelMode.retrain,
    config: ExperimentOption = None,
    max_reject_share: MaxRejectOption = None,
) -> None:
    """Replay the nightly job over a past period and grade what planners would have seen."""
    from forewarn.features.durations import parse_duration

    settings = settings_of(ctx)
    try:
        parse_duration(retrain_every)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--retrain-every") from exc
    first, last = parse_time(start, "--start"), parse_time(end, "--end")
    assert first is not None and last is not None  # required options
    # Before Prefect starts: the first retrain trains on the data known at --start; a
    # fixed model scores with the champion's features.
    if model is ModelMode.retrain:
        prepared_run(data, config, "train", first)
    else:
        champion_run(data, config, settings, first, force=True)  # a past night by design
    from forewarn.flows.backtest import backtest_flow  # Prefect: import only for a real run

    every = retrain_every if model is ModelMode.retrain else None
    try:
        with console.running("forewarn backtest"):
            out = backtest_flow(
                data,
                first,
                last,
                config,
                str(settings.home),
                every,
                max_reject_share,
            )
    except Exception as exc:  # the flow names the failing step
        _fail_on(exc)
        return
    console_ops.print_backtest(out)


@app.command(
    epilog=(
        "Example: [bold]forewarn schedule --data /data/tonight --cron '0 2 * * *' "
        "--timezone Asia/Shanghai[/]\n\n"
        "Needs a Prefect server (PREFECT_API_URL; `forewarn servers start` runs one). Each "
        "night scores at the scheduled time, then runs monitoring when it is installed; "
        "late runs superseded by a later night are skipped, one run at a time."
    )
)
def schedule(
    ctx: typer.Context,
    data: Annotated[str, typer.Option(help="Dataset each night reads (the nightly extract).")],
    cron: Annotated[str, typer.Option(help="When to run, in --timezone.")] = "0 2 * * *",
    timezone: Annotated[str, typer.Option(help="IANA time zone of --cron.")] = "UTC",
    config: ExperimentOption = None,
    max_reject_share: MaxRejectOption = None,
) -> None:
    """Serve the nightly scoring (+ monitoring) flow on a cron schedule until stopped."""
    from forewarn.flows.nightly import monitoring_flow
    from forewarn.flows.schedules import PrefectLostError, ScheduleError, build_deployments, serve

    settings = settings_of(ctx)
    if not settings.prefect_api_url:
        console.fail(
            "no Prefect server configured: schedules need one (the ephemeral API has no scheduler)",
            _server_hint(settings),
        )
        raise typer.Exit(2)
    try:
        deployments = build_deployments(
            _local_absolute(data),
            cron=cron,
            timezone=timezone,
            experiment=config,
            home=str(settings.home.resolve()),
            max_reject_share=max_reject_share,
        )
    except ScheduleError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    console_ops.print_schedule(deployments, monitoring_flow() is not None)
    try:
        serve(deployments, settings.shutdown_grace_s)
    except PrefectLostError as exc:
        console.fail(str(exc))
        raise typer.Exit(1) from exc


def _server_hint(settings: Settings) -> str:
    from forewarn.flows.servers import alive, env_exports, read_state

    running = [s for s in read_state(settings) if alive(s.pid)]
    if running:
        return "this workspace's servers are running: " + "; ".join(env_exports(running))
    return "run `forewarn servers start` and export the PREFECT_API_URL it prints"


@servers_app.command(
    "start",
    epilog="Example: [bold]forewarn servers start --prefect-port 4200 --mlflow-port 5000[/]",
)
def servers_start(
    ctx: typer.Context,
    prefect_port: Annotated[int, typer.Option(min=0, max=65535, help="0: any free port.")] = 4200,
    mlflow_port: Annotated[int, typer.Option(min=0, max=65535, help="0: any free port.")] = 5000,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for both to be healthy.")] = 120,
) -> None:
    """Start a Prefect server and an MLflow server on loopback, state in the workspace."""
    from forewarn.flows.servers import env_exports, start_servers

    settings = settings_of(ctx)
    try:
        servers = start_servers(settings, {"prefect": prefect_port, "mlflow": mlflow_port}, timeout)
    except RuntimeError as exc:
        console.fail(str(exc), "`forewarn servers status` shows what runs; `stop` ends them")
        raise typer.Exit(1) from exc
    console_ops.print_servers(servers, env_exports(servers))


@servers_app.command("status", epilog="Example: [bold]forewarn servers status[/]")
def servers_status(ctx: typer.Context) -> None:
    """Show the workspace's servers: PID, URL, alive and healthy; exit 1 if any is down."""
    from forewarn.flows.servers import alive, env_exports, healthy, read_state

    servers = read_state(settings_of(ctx))
    if not servers:
        console.console.print("no servers started for this workspace")
        raise typer.Exit(1)
    ok = True
    for s in servers:
        up, fine = alive(s.pid), healthy(s)
        ok = ok and up and fine
        state = "healthy" if fine else ("running, not answering" if up else "not running")
        console.console.print(f"{s.name}: {state}  {s.url}  (pid {s.pid})")
    if ok:
        for line in env_exports(servers):
            console.console.print(line, soft_wrap=True)
    raise typer.Exit(0 if ok else 1)


@servers_app.command("stop", epilog="Example: [bold]forewarn servers stop[/]")
def servers_stop(ctx: typer.Context) -> None:
    """Stop the workspace's servers by their recorded PIDs."""
    from forewarn.flows.servers import stop_servers

    lines = stop_servers(settings_of(ctx))
    for line in lines or ["no servers recorded for this workspace"]:
        console.console.print(line)
