"""The nightly scheduled flow and its deployment: cron, time zone, concurrency, late runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy

from forewarn.flows import nightly
from forewarn.flows.schedules import ScheduleError, build_deployments
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, NIGHT, Trained

SHANGHAI_2AM = datetime(2025, 4, 7, 18, 0, tzinfo=UTC)  # 2025-04-08 02:00 in Asia/Shanghai


def test_deployment_carries_cron_timezone_and_one_run_at_a_time(tmp_path: Path) -> None:
    (dep,) = build_deployments(
        str(tmp_path / "data"),
        cron="30 3 * * 1-5",
        timezone="Asia/Shanghai",
        experiment="short_horizon",
        home=str(tmp_path),
    )
    (schedule,) = dep.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 3 * * 1-5", "Asia/Shanghai")
    assert schedule.active
    assert dep.flow_name == "forewarn-nightly" and dep.name == "nightly"
    assert dep.concurrency_limit == 1
    # a colliding run waits for the slot: cancelling it could drop the latest night
    assert dep.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert dep.parameters["data"] == str(tmp_path / "data")
    assert dep.parameters["experiment"] == "short_horizon"
    assert (dep.parameters["cron"], dep.parameters["timezone"]) == ("30 3 * * 1-5", "Asia/Shanghai")


def test_default_schedule_is_nightly_at_two_utc(tmp_path: Path) -> None:
    (dep,) = build_deployments(str(tmp_path))
    assert (dep.schedules[0].schedule.cron, dep.schedules[0].schedule.timezone) == (
        "0 2 * * *",
        "UTC",
    )


@pytest.mark.parametrize(
    ("cron", "tz", "needle"),
    [("0 25 * * *", "UTC", "invalid cron"), ("0 2 * * *", "Mars/Olympus", "unknown time zone")],
)
def test_bad_cron_or_timezone_is_refused(cron: str, tz: str, needle: str) -> None:
    with pytest.raises(ScheduleError, match=needle):
        build_deployments("data", cron=cron, timezone=tz)


def test_as_of_is_the_cron_instant_in_its_timezone() -> None:
    late_start = SHANGHAI_2AM + timedelta(minutes=47)
    assert nightly.latest_fire("0 2 * * *", "Asia/Shanghai", SHANGHAI_2AM) == SHANGHAI_2AM
    assert nightly.latest_fire("0 2 * * *", "Asia/Shanghai", late_start) == SHANGHAI_2AM
    assert nightly.next_fire(
        "0 2 * * *", "Asia/Shanghai", SHANGHAI_2AM
    ) == SHANGHAI_2AM + timedelta(days=1)


def test_only_the_latest_late_run_is_not_superseded() -> None:
    now = SHANGHAI_2AM + timedelta(days=2, hours=5)  # three nights due, none run yet
    nights = [SHANGHAI_2AM + timedelta(days=i) for i in range(3)]
    verdicts = [nightly.superseded_by(n, now, "0 2 * * *", "Asia/Shanghai") for n in nights]
    assert verdicts == [nights[1], nights[2], None]


def _at(monkeypatch: pytest.MonkeyPatch, scheduled: datetime, now: datetime) -> None:
    """Pretend the run was scheduled for ``scheduled`` and starts at ``now``."""
    monkeypatch.setattr(
        nightly,
        "runtime",
        SimpleNamespace(flow_run=SimpleNamespace(scheduled_start_time=scheduled)),
    )
    monkeypatch.setattr(nightly, "utc_now", lambda: now)


def test_nightly_scores_the_scheduled_night_then_monitors(
    trained: Trained, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduled = NIGHT + timedelta(hours=2)
    _at(monkeypatch, scheduled, scheduled + timedelta(minutes=40))  # started 40 min late
    seen: list[dict[str, Any]] = []

    def monitoring_flow(as_of: datetime, home: str) -> str:
        seen.append(
            {"as_of": as_of, "home": home, "nights": ScoreStore(Path(home) / "scores").nights()}
        )
        return "monitored"

    monkeypatch.setattr(nightly, "monitoring_flow", lambda: monitoring_flow)
    out = nightly.nightly_flow(str(trained.fleet), str(trained.config), str(home))

    assert out["as_of"] == scheduled.isoformat()
    assert out["scoring"]["assets"] == FLEET_ASSETS
    assert ScoreStore(home / "scores").nights() == [scheduled]  # scheduled time, not start time
    assert out["monitoring"] == "monitored"
    assert seen == [{"as_of": scheduled, "home": str(home), "nights": [scheduled]}]


def test_superseded_late_run_skips_without_scoring(
    trained: Trained, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduled = NIGHT + timedelta(hours=2)
    _at(monkeypatch, scheduled, scheduled + timedelta(days=1, minutes=5))
    monkeypatch.setattr(nightly, "monitoring_flow", lambda: None)
    out = nightly.nightly_flow(str(trained.fleet), str(trained.config), str(home))
    assert out["skipped"].startswith("superseded")
    assert ScoreStore(home / "scores").nights() == []


def test_schedule_command_without_prefect_server_explains_how(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"FOREWARN_HOME": str(tmp_path), "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "schedule", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert "no Prefect server configured" in out.stderr
    assert "forewarn servers start" in out.stderr
