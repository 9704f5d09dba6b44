"""The scheduled nightly job: score the fleet at the scheduled time, then monitor.

The night scored (``as_of``) is the run's *scheduled* time, not the time it happens to
start, so a run delayed by an hour still scores 02:00 and a re-run scores the same night.
When runs were missed (the serving process was down for a few nights) Prefect still holds
one late run per missed night; only the latest one scores, the others finish at once as
superseded, so the backlog never piles up into hours of stale work.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, runtime

# The same cron implementation Prefect's scheduler uses, so as_of and the scheduled
# times agree, DST changes included.
from prefect._vendor.croniter import croniter

from forewarn.flows.scoring import scoring_flow

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "UTC"
MONITORING_MODULES = ("forewarn.flows.monitoring.flow", "forewarn.flows.monitoring")


def utc_now() -> datetime:
    """The clock the superseded check reads (one place, so tests can set it)."""
    return datetime.now(UTC)


def latest_fire(cron: str, timezone: str, at: datetime) -> datetime:
    """The most recent cron instant at or before ``at`` (UTC)."""
    local = at.astimezone(ZoneInfo(timezone)) + timedelta(seconds=1)
    return croniter(cron, local).get_prev(datetime).astimezone(UTC)


def next_fire(cron: str, timezone: str, after: datetime) -> datetime:
    """The first cron instant strictly after ``after`` (UTC)."""
    local = after.astimezone(ZoneInfo(timezone))
    return croniter(cron, local).get_next(datetime).astimezone(UTC)


def superseded_by(as_of: datetime, now: datetime, cron: str, timezone: str) -> datetime | None:
    """The later night that is already due when a run for ``as_of`` starts, if any.

    A late run whose successor is due has nothing useful to add: the successor scores
    fresher data, and planners read only the latest list.
    """
    later = next_fire(cron, timezone, as_of)
    return later if later <= now else None


def monitoring_flow() -> Callable[..., Any] | None:
    """The monitoring flow, when installed (``flows/monitoring``: its ``flow`` module or
    the package itself exporting ``monitoring_flow``); None until then."""
    for name in MONITORING_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # not there (yet); a missing dependency inside it still raises
            raise
        found = getattr(module, "monitoring_flow", None)
        if found is not None:
            return found
    return None


def call_with_known(fn: Callable[..., Any], **available: Any) -> Any:
    """Call ``fn`` with the arguments it declares among ``available``."""
    accepted = inspect.signature(getattr(fn, "fn", fn)).parameters
    return fn(**{k: v for k, v in available.items() if k in accepted})


@flow(name="forewarn-nightly", log_prints=False, validate_parameters=False)
def nightly_flow(
    data: str,
    experiment: str | None = None,
    home: str | None = None,
    cron: str = DEFAULT_CRON,
    timezone: str = DEFAULT_TIMEZONE,
    as_of: datetime | None = None,
    max_reject_share: float | None = None,
) -> dict[str, Any]:
    """Score the night this run was scheduled for, then run monitoring if it exists.

    Args:
        data: tonight's dataset (folder or fsspec URL).
        experiment: experiment name or path.
        home: workspace folder.
        cron: the deployment's schedule; a scheduled run scores its latest instant.
        timezone: IANA time zone of ``cron``.
        as_of: score this instant instead (a manual backfill; never skipped).
        max_reject_share: reject gate (default from settings).

    Returns:
        ``{"as_of", "scoring", "monitoring"}``, or ``{"as_of", "skipped"}`` for a late run
        superseded by a later one.
    """
    logger = get_run_logger()
    night = as_of
    if night is None:
        scheduled = runtime.flow_run.scheduled_start_time
        night = latest_fire(cron, timezone, scheduled)
        later = superseded_by(night, utc_now(), cron, timezone)
        if later is not None:
            reason = f"superseded: the run for {later.isoformat()} is already due"
            logger.warning("skipping night %s (%s)", night.isoformat(), reason)
            return {"as_of": night.isoformat(), "skipped": reason}
    scored = scoring_flow(data, night, experiment, home, max_reject_share)
    out: dict[str, Any] = {"as_of": night.isoformat(), "scoring": scored, "monitoring": None}
    monitor = monitoring_flow()
    if monitor is not None:
        out["monitoring"] = call_with_known(
            monitor, data=data, as_of=night, experiment=experiment, home=home
        )
    return out
