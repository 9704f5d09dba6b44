"""A killed command leaves no process behind and does not hold its supervisor's output.

``forewarn score`` runs here as a user runs it, without ``PREFECT_API_URL``, so Prefect
starts its own ephemeral API server as a child. The command is stopped inside a step
(``FOREWARN_FAULT=…=hang``) and then killed from outside, as the OOM killer (SIGKILL) or
systemd / a timeout (SIGTERM) would: its stdout pipe must close, and its server must be
gone, within seconds.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forewarn.flows.faults import FAULT_ENV
from tests.reliability.workspace import NIGHT, Trained

WITHIN_S = 10.0


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Prefect home for the module: its database is created once, not per test."""
    return tmp_path_factory.mktemp("prefect-home")


def start_hanging_score(trained: Trained, home: Path, prefect: Path) -> subprocess.Popen[bytes]:
    """``forewarn score`` with the ephemeral Prefect API, hanging inside "score the fleet"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    env |= {FAULT_ENV: "before:score the fleet=hang", "FOREWARN_HOME": str(home)}
    env |= {"PREFECT_HOME": str(prefect)}
    argv = ["score", "--data", str(trained.fleet), "--as-of", NIGHT.isoformat()]
    argv += ["-c", str(trained.config), "--max-reject-share", "1"]
    return subprocess.Popen(
        [sys.executable, "-m", "forewarn.flows", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_line(proc: subprocess.Popen[bytes], text: bytes, timeout_s: float) -> bytes:
    """Read stderr until a line holds ``text`` (the command reached the hang)."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout_s
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and proc.poll() is None, seen.decode(errors="replace")[-2000:]
        ready, _, _ = select.select([proc.stderr], [], [], min(left, 1.0))
        if ready:
            seen += os.read(proc.stderr.fileno(), 65536)
    return seen


def closes_within(proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """True when the command's stdout reaches end of file within ``timeout_s``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready and not os.read(proc.stdout.fileno(), 65536):
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_score_leaves_no_server_and_releases_its_output(
    trained: Trained, home: Path, prefect_home: Path, sig: signal.Signals
) -> None:
    proc = start_hanging_score(trained, home, prefect_home)
    servers: list[int] = []
    try:
        wait_for_line(proc, b"hanging at", timeout_s=240)
        servers = children(proc.pid)
        assert servers, "Prefect's ephemeral server was not started as a child"
        proc.send_signal(sig)
        assert proc.wait(timeout=WITHIN_S) == -sig
        assert closes_within(proc, WITHIN_S), "a child still holds the command's stdout"
        deadline = time.monotonic() + WITHIN_S
        while any(alive(p) for p in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in servers if alive(p)], "the ephemeral server outlived its command"
        assert not list((prefect_home / "ephemeral").glob("*.json"))  # it said goodbye
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in servers:  # never leave behind what this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
