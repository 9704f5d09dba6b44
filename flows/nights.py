"""Which night to score, and keeping the store's nights tidy (list, delete).

A forgotten ``--as-of`` used to score "today" on an extract that ended weeks ago: every
asset unscorable, stored as the latest night, then served, reported and monitored as
if it were real. The default night is now the last one the data covers, and a night
past the data's last reading (plus the stale limit) is refused unless forced.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from forewarn.features.durations import parse_duration
from forewarn.features.readers import DatasetError, locate_tables, scan_table
from forewarn.features.validate import parse_ts
from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.settings import Settings
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore

NIGHT_KEY_FORMAT = "%Y-%m-%dT%H%M%SZ"  # as serving.schema.night_key writes it


class NightOutOfRangeError(ValueError):
    """The night asked for lies beyond what the data can tell (exit code 2)."""


def last_reading(url: str) -> datetime | None:
    """The newest telemetry timestamp of a dataset (None: no parseable reading).

    Reads the ``ts`` column only, raw: validation would read every column for a number
    that needs one.
    """
    raw = scan_table(locate_tables(url)["telemetry"])
    dtype = raw.collect_schema().get("ts")
    if dtype is None:
        return None
    newest = raw.select(parse_ts("ts", dtype, "telemetry").max()).collect().item()
    return None if newest is None else newest.astimezone(UTC)


def covered_night(newest: datetime, every: str) -> datetime:
    """The last snapshot instant at or before ``newest`` (midnight UTC for ``1d``).

    Snapshots sit on whole multiples of ``every`` since the epoch, as in training.
    """
    step = int(parse_duration(every).total_seconds())
    return datetime.fromtimestamp(int(newest.timestamp()) // step * step, tz=UTC)


def check_night(as_of: datetime, newest: datetime | None, stale_after_hours: float) -> None:
    """Refuse a night later than the data's newest reading plus the stale limit.

    Raises:
        NightOutOfRangeError: naming the night, the newest reading and the fixes.
    """
    if newest is None:
        return  # no telemetry: validation says so, naming the files
    limit = newest + timedelta(hours=stale_after_hours)
    if as_of > limit:
        raise NightOutOfRangeError(
            f"--as-of {as_of:%Y-%m-%d %H:%M} UTC is past the data: its newest reading is "
            f"{newest:%Y-%m-%d %H:%M} UTC and readings older than {stale_after_hours:g} h are "
            "stale, so every asset would be stale or unscorable. Leave --as-of out to score "
            f"the last night the data covers, give an earlier night, or pass --force."
        )


def pick_night(
    url: str, as_of: datetime | None, every: str, stale_after_hours: float, force: bool
) -> datetime:
    """The night to score: ``as_of`` (checked unless ``force``) or the last one covered.

    Raises:
        NightOutOfRangeError: ``as_of`` is past the data, or no night can be chosen.
    """
    if as_of is not None and force:
        return as_of
    try:
        newest = last_reading(url)
    except DatasetError:
        if as_of is not None:
            return as_of  # the validation step names what is wrong with the data
        raise
    if as_of is None:
        if newest is None:
            raise NightOutOfRangeError(f"{url}: no telemetry reading to choose a night from")
        return covered_night(newest, every)
    check_night(as_of, newest, stale_after_hours)
    return as_of


def night_files(settings: Settings, night: datetime) -> list[Path]:
    """Files outside the store that belong to one night: its reports and monitoring inputs."""
    key = night_key(night)
    reports = [
        settings.reports_dir / f"{stem}_{key}{ext}"
        for stem, ext in (("report", ".html"), ("risk_list", ".csv"), ("risk_list", ".xlsx"))
    ]
    monitoring = MonitoringPaths(settings.home)
    return [*reports, monitoring.night_inputs(night).parent, monitoring.report_dir(night)]


def delete_night(settings: Settings, night: datetime) -> list[Path]:
    """Remove one stored night: its rows and export (one store transaction), then its files.

    Returns:
        The files and folders removed besides the store rows.
    """
    ScoreStore(settings.scores_dir).delete_night(night)
    removed = []
    for path in night_files(settings, night):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def night_table(store: ScoreStore) -> pl.DataFrame:
    """Per stored night: assets, scored, unscorable and when it was scored, newest first."""
    summary = store.night_summary()
    return summary.with_columns(
        unscorable=pl.col("assets") - pl.col("scored"),
        key=pl.col("as_of").dt.strftime(NIGHT_KEY_FORMAT),
    ).sort("as_of", descending=True)
