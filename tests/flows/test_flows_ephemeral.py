"""Prefect's ephemeral server dies with its command, and a later command ends an orphan
only when it can prove the orphan is its own (flows.ephemeral, flows.ephemeral_child)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from forewarn.flows.ephemeral import reap_orphans
from forewarn.flows.ephemeral_child import MARKER, start_time

ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        await send({"type": "lifespan.shutdown.complete"})
"""


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while start_time(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def sleeper(started: list[subprocess.Popen[bytes]], *argv: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv])
    started.append(proc)
    deadline = time.monotonic() + 10
    while start_time(proc.pid) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def record(folder: Path, pid: int, parent: int, parent_start: int | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.json"
    entry = {"pid": pid, "start": start_time(pid), "parent": parent, "parent_start": parent_start}
    path.write_text(json.dumps(entry), encoding="utf-8")
    return path


def dead_parent() -> tuple[int, int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    started = start_time(proc.pid)
    proc.wait()
    assert started is not None
    return proc.pid, started


def test_an_orphan_whose_command_died_is_ended(tmp_path: Path, sleepers: list) -> None:
    orphan = sleeper(sleepers, MARKER)
    parent, parent_start = dead_parent()
    path = record(tmp_path, orphan.pid, parent, parent_start)
    assert reap_orphans(tmp_path, grace_s=2) == [orphan.pid]
    assert orphan.wait(timeout=5) is not None and not path.exists()


def test_what_cannot_be_proven_ours_is_left_alone(tmp_path: Path, sleepers: list) -> None:
    parent, parent_start = dead_parent()
    stranger = sleeper(sleepers)  # no marker on its command line: not a server of ours
    record(tmp_path / "a", stranger.pid, parent, parent_start)
    live = sleeper(sleepers, MARKER)  # its command (this process) is alive
    record(tmp_path / "b", live.pid, os.getpid(), start_time(os.getpid()))
    recycled = sleeper(sleepers, MARKER)  # the pid now names a process started later
    stale = record(tmp_path / "c", recycled.pid, parent, parent_start)
    stale.write_text(json.dumps({**json.loads(stale.read_text()), "start": 1}))
    for folder in ("a", "b", "c"):
        assert reap_orphans(tmp_path / folder, grace_s=1) == []
    assert all(p.poll() is None for p in (stranger, live, recycled))
    assert not stale.exists()  # a recycled pid's record is forgotten
    assert (tmp_path / "b" / f"{live.pid}.json").exists()


def test_the_server_process_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    (tmp_path / "asgi_app.py").write_text(ASGI_APP, encoding="utf-8")
    records = tmp_path / "records"
    launcher = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-m', sys.argv[1], sys.argv[2],"
        " str(os.getpid()), '--app-dir', sys.argv[3], '--port', '0', 'asgi_app:app'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", launcher, MARKER, str(records), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        server = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not list(records.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (records / f"{server}.json").exists()
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        assert gone_within(server, 10), "the server outlived its parent"
        assert not list(records.glob("*.json"))
    finally:
        parent.kill()
