"""Real Prefect and MLflow servers as subprocesses: train and score through them with the
``forewarn`` CLI, check the results through their HTTP APIs, stop them by PID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest

from forewarn.flows.servers import (
    Server,
    alive,
    env_exports,
    read_state,
    start_servers,
    state_file,
    stop_servers,
)
from forewarn.flows.settings import load_settings
from tests.flows.conftest import NIGHT, TRAIN_UNTIL


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _post(url: str, body: dict) -> list:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def _client_env(
    servers: list[Server], home: Path, **extra: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The servers' URLs, and an environment pointing a forewarn process at them only."""
    urls = dict(line.removeprefix("export ").split("=", 1) for line in env_exports(servers))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    return urls, env | urls | {"FOREWARN_HOME": str(home), **extra}


def _forewarn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out


@pytest.mark.integration
def test_train_and_score_through_real_servers(
    small_fleet: Path, fast_config: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    settings = load_settings(home=home)
    servers = start_servers(settings, {"prefect": 0, "mlflow": 0}, timeout_s=120)
    try:
        assert [s.name for s in read_state(settings)] == ["prefect", "mlflow"]
        urls, env = _client_env(servers, home, COLUMNS="200")
        common = ["--data", str(small_fleet), "-c", str(fast_config)]
        _forewarn(env, "train", *common, "--until", TRAIN_UNTIL.isoformat())
        _forewarn(env, "score", *common, "--as-of", NIGHT.isoformat(), "--no-report")

        mlflow = urls["MLFLOW_TRACKING_URI"]
        model = _get(f"{mlflow}/api/2.0/mlflow/registered-models/get?name=flowtest-risk")
        aliases = {a["alias"]: a["version"] for a in model["registered_model"]["aliases"]}
        assert aliases["champion"] == "1"

        prefect = urls["PREFECT_API_URL"]
        names = ["forewarn-training", "forewarn-scoring"]
        flows = _post(f"{prefect}/flows/filter", {"flows": {"name": {"any_": names}}})
        runs = _post(f"{prefect}/flow_runs/filter", {"flows": {"name": {"any_": names}}})
        by_flow = {f["id"]: f["name"] for f in flows}
        done = sorted((by_flow[r["flow_id"]], r["state_type"]) for r in runs)
        assert done == [("forewarn-scoring", "COMPLETED"), ("forewarn-training", "COMPLETED")]
        _check_scheduler(prefect, env, str(small_fleet))
    finally:
        stopped = stop_servers(settings)
    assert all("stopped" in line for line in stopped), stopped
    assert not any(alive(s.pid) for s in servers)
    assert read_state(settings) == []


APPLY = (
    "from forewarn.flows.schedules import build_deployments\n"
    "(dep,) = build_deployments({data!r}, cron='*/10 * * * *', timezone='Asia/Shanghai')\n"
    "print(dep.apply())\n"
)


def _check_scheduler(prefect: str, env: dict[str, str], data: str) -> None:
    """The nightly deployment registers, and the server's scheduler creates its runs
    (SQLAlchemy 2.1 broke that silently: deployments registered, runs never came)."""
    out = subprocess.run(
        [sys.executable, "-c", APPLY.format(data=data)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    dep_id = out.stdout.strip().splitlines()[-1]
    deployment = _get(f"{prefect}/deployments/{dep_id}")
    assert deployment["schedules"][0]["schedule"]["cron"] == "*/10 * * * *"
    assert deployment["global_concurrency_limit"]["limit"] == 1
    deadline = time.monotonic() + 60
    runs: list = []
    while not runs and time.monotonic() < deadline:
        time.sleep(1)
        body = {"deployments": {"id": {"any_": [dep_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
        runs = _post(f"{prefect}/flow_runs/filter", body)
    assert runs, "the scheduler created no runs for the nightly deployment"
    first = datetime.fromisoformat(runs[0]["expected_start_time"])
    assert first.minute % 10 == 0 and first.second == 0
    assert all(r["state_type"] == "SCHEDULED" for r in runs)


@pytest.mark.integration
def test_schedule_stops_when_the_prefect_server_is_gone(small_fleet: Path, tmp_path: Path) -> None:
    """SIGTERM after the server died: Prefect's runner retries pausing its schedules for
    minutes; the watchdog ends the process after the grace period, saying why."""
    home = tmp_path / "home"
    settings = load_settings(home=home)
    servers = start_servers(settings, {"prefect": 0, "mlflow": 0}, timeout_s=120)
    urls, env = _client_env(servers, home, FOREWARN_SHUTDOWN_GRACE_S="3")
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # nosec B603  # this interpreter, fixed argv, no shell
            [sys.executable, "-m", "forewarn.flows", "schedule", "--data", str(small_fleet)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        prefect, deadline, served = urls["PREFECT_API_URL"], time.monotonic() + 120, []
        while not served and time.monotonic() < deadline:  # the runner registered its deployment
            assert proc.poll() is None, log.read_text()
            time.sleep(1)
            served = _post(f"{prefect}/deployments/filter", {})
        assert served, log.read_text()
        time.sleep(3)  # the runner is polling the API for due runs
    finally:
        stop_servers(settings)
    proc.terminate()
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("forewarn schedule hung on SIGTERM after the Prefect server was stopped")
    assert code == 128 + 15, log.read_text()[-2000:]
    assert "exiting without pausing the schedules" in log.read_text()


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process whose PID ends up in a state file (a recycled PID)."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def _record(home: Path, pid: int) -> None:
    url = "http://127.0.0.1:9"
    fake = Server("prefect", pid, 9, url, f"{url}/api/health", "p.log", "PREFECT_API_URL", url)
    path = state_file(load_settings(home=home))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([asdict(fake)]))


def test_stop_never_kills_a_process_that_is_not_the_server(
    tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:
    _record(tmp_path, bystander.pid)
    (line,) = stop_servers(load_settings(home=tmp_path))
    assert line == f"prefect: pid {bystander.pid} is now another process; left alone"
    assert bystander.poll() is None  # still alive
    assert read_state(load_settings(home=tmp_path)) == []


def test_start_refuses_while_recorded_servers_run(
    tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:
    _record(tmp_path, bystander.pid)
    with pytest.raises(RuntimeError, match="already running"):
        start_servers(load_settings(home=tmp_path))
