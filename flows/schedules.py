"""Schedules: the nightly job as a Prefect deployment, built here and served by the CLI.

``build_deployments`` only builds objects (testable without a server); ``serve`` registers
them with the Prefect API and runs scheduled runs in this process until stopped.

How missed and overlapping runs are kept from piling up (Prefect 3.8):

- The server's scheduler creates runs from "now" on: nights missed while the *server* was
  down are never created, so there is no catch-up storm.
- Nights missed while only this serving process was down exist as late runs; each starts,
  sees that a later night is already due, and finishes at once (``nightly.superseded_by``).
- ``concurrency_limit=1`` with the ``ENQUEUE`` strategy on the deployment, and
  ``limit=1`` on the serving process: one nightly run at a time; a run that collides
  waits for the slot instead of being cancelled, so the latest night is never the one
  dropped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from prefect._vendor.croniter import croniter
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron

from forewarn.flows.nightly import DEFAULT_CRON, DEFAULT_TIMEZONE, monitoring_flow, nightly_flow

DEPLOYMENT_NAME = "nightly"


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be scheduled; the message says which."""


def check_schedule(cron: str, timezone: str) -> None:
    """Refuse a bad cron expression or unknown time zone before anything is registered."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"unknown time zone {timezone!r}: use an IANA name such as UTC or Asia/Shanghai"
        ) from exc
    if not croniter.is_valid(cron):
        raise ScheduleError(f"invalid cron expression {cron!r}: e.g. '0 2 * * *' (02:00 daily)")


def build_deployments(
    data: str,
    *,
    cron: str = DEFAULT_CRON,
    timezone: str = DEFAULT_TIMEZONE,
    experiment: str | None = None,
    home: str | None = None,
    max_reject_share: float | None = None,
) -> list[RunnerDeployment]:
    """The deployments ``forewarn schedule`` serves: the nightly job (scoring → monitoring).

    Args:
        data: the dataset each night reads (a folder the nightly extract lands in).
        cron: when to run, in ``timezone`` (default 02:00 daily).
        timezone: IANA time zone of the cron expression.
        experiment: experiment name or path; the champion of its model names scores.
        home: workspace folder (absolute, so the served runs find it from anywhere).
        max_reject_share: reject gate for each night.

    Raises:
        ScheduleError: bad cron expression or time zone.
    """
    check_schedule(cron, timezone)
    parameters: dict[str, Any] = {
        "data": data,
        "experiment": experiment,
        "home": home,
        "cron": cron,
        "timezone": timezone,
        "max_reject_share": max_reject_share,
    }
    nightly = nightly_flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        description=describe(cron, timezone),
        tags=["forewarn", "nightly"],
    )
    return [nightly]


def describe(cron: str, timezone: str) -> str:
    """One line saying what the nightly deployment does (shown in the Prefect UI)."""
    steps = "scoring, then monitoring" if monitoring_flow() else "scoring (no monitoring flow yet)"
    return f"forewarn nightly job at '{cron}' ({timezone}): {steps}; as_of = scheduled time"


def exit_after(seconds: float, code: int) -> threading.Timer:
    """Arm a watchdog that ends the process with ``code`` unless it exits before ``seconds``.

    A daemon timer thread calls ``os._exit``: no cleanup that could block again runs.
    """

    def _exit() -> None:
        print(  # the process is going away; stderr is all that is left
            f"forewarn schedule: shutdown did not finish within {seconds:.0f} s (is the "
            "Prefect server gone?); exiting without pausing the schedules",
            file=sys.stderr,
            flush=True,
        )
        os._exit(code)

    timer = threading.Timer(seconds, _exit)
    timer.daemon = True
    timer.start()
    return timer


class PrefectLostError(RuntimeError):
    """The Prefect API stopped answering while ``forewarn schedule`` was serving."""


class BoundedRunner(Runner):
    """Prefect's runner, whose shutdown cannot hang.

    Stopping (SIGTERM, Ctrl+C, or the runner failing because the API went away) pauses
    the schedules through the Prefect API. With the server already gone (a host shutting
    down stops it first) those calls retry for minutes and the process never exits, so a
    watchdog armed when the shutdown starts ends it after ``grace_s`` seconds.
    """

    def __init__(self, grace_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grace_s = grace_s
        self.exit_code = 0

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        self.exit_code = 128 + signal.SIGTERM
        exit_after(self.grace_s, self.exit_code)
        super().handle_sigterm(*args, **kwargs)

    def handle_sigint(self, signum: int, frame: Any) -> None:
        self.exit_code = 128 + signal.SIGINT
        exit_after(self.grace_s, self.exit_code)
        signal.default_int_handler(signum, frame)

    async def __aexit__(self, *exc_info: Any) -> None:
        if not self.exit_code:  # the runner failed (or finished): bound its clean-up too
            self.exit_code = 1 if exc_info[0] is not None else 0
            exit_after(self.grace_s, self.exit_code)
        await super().__aexit__(*exc_info)


def network_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or any exception it groups) says the API could not be reached."""
    if isinstance(exc, BaseExceptionGroup):
        return any(network_error(e) for e in exc.exceptions)
    return isinstance(exc, httpx.TransportError | OSError)


def serve(deployments: list[RunnerDeployment], grace_s: float = 20.0) -> None:
    """Register the deployments and run their scheduled runs here, one at a time (blocks).

    Prefect's ``serve`` without its start message, and with a shutdown bounded by
    ``grace_s`` seconds (see ``BoundedRunner``).
    """
    runner = BoundedRunner(grace_s, pause_on_shutdown=True, limit=1)
    for deployment in deployments:
        runner.add_deployment(deployment)
    signal.signal(signal.SIGINT, runner.handle_sigint)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        return
    except Exception as exc:
        if not network_error(exc):
            raise
        raise PrefectLostError(
            f"lost the Prefect API ({type(exc).__name__}: {exc}); "
            "restart `forewarn schedule` when the server is back"
        ) from exc
