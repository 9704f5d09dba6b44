"""Real local Prefect and MLflow servers for one workspace: start, check, stop by PID.

Both bind to loopback only and keep their state in the workspace (the same SQLite files
the CLI uses without servers, so earlier runs and models show up in their UIs):
Prefect in ``<home>/prefect/prefect.db``, MLflow in ``<home>/mlflow/mlflow.db`` with
artifacts in ``<home>/mlflow/artifacts``. PIDs, URLs and log files are recorded in
``<home>/servers/servers.json``; ``stop`` ends exactly those process groups.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from forewarn.flows.settings import Settings

HOST = "127.0.0.1"
DEFAULT_PORTS = {"prefect": 4200, "mlflow": 5000}


@dataclass(frozen=True)
class Server:
    """One started server: its process (group) id, where it answers and where it logs."""

    name: str
    pid: int
    port: int
    url: str
    health: str
    log: str
    env_var: str
    env_value: str


def state_file(settings: Settings) -> Path:
    return settings.home / "servers" / "servers.json"


def free_port() -> int:
    """A currently free loopback port (for tests and ``--port 0``)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _commands(settings: Settings, ports: dict[str, int]) -> dict[str, list[str]]:
    mlflow_dir = (settings.home / "mlflow").resolve()
    py = sys.executable
    return {
        "prefect": [
            *(py, "-m", "prefect", "server", "start"),
            *("--host", HOST, "--port", str(ports["prefect"])),
        ],
        "mlflow": [
            *(py, "-m", "mlflow", "server", "--host", HOST, "--port", str(ports["mlflow"])),
            *("--backend-store-uri", f"sqlite:///{mlflow_dir / 'mlflow.db'}"),
            *("--artifacts-destination", str(mlflow_dir / "artifacts"), "--workers", "1"),
        ],
    }


def _env(settings: Settings, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    if name == "prefect":
        env |= {
            "PREFECT_HOME": str(settings.prefect_home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "true",
        }
    else:
        # Job execution serves MLflow's GenAI features; it would start seven more
        # Python processes that forewarn never uses.
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return env


def _describe(name: str, port: int, pid: int, log: Path) -> Server:
    base = f"http://{HOST}:{port}"
    if name == "prefect":
        return Server(
            name, pid, port, base, f"{base}/api/health", str(log), "PREFECT_API_URL", f"{base}/api"
        )
    return Server(name, pid, port, base, f"{base}/health", str(log), "MLFLOW_TRACKING_URI", base)


def healthy(server: Server, timeout_s: float = 2.0) -> bool:
    """True when the server answers its health endpoint with 200."""
    try:
        with urllib.request.urlopen(server.health, timeout=timeout_s) as resp:  # nosec B310  # loopback URL we built
            return resp.status == 200
    except OSError:
        return False


def alive(pid: int) -> bool:
    """True while the process exists (and is not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def read_state(settings: Settings) -> list[Server]:
    """The servers recorded for this workspace (empty if none were started)."""
    path = state_file(settings)
    if not path.exists():
        return []
    return [Server(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]


def _write_state(settings: Settings, servers: list[Server]) -> None:
    path = state_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(s) for s in servers], indent=2), encoding="utf-8")


def start_servers(
    settings: Settings, ports: dict[str, int] | None = None, timeout_s: float = 120.0
) -> list[Server]:
    """Start Prefect and MLflow servers for the workspace and wait until both are healthy.

    Each runs in its own process group (``start_new_session``) so ``stop_servers`` can end
    it with its workers. The state file is written before waiting, so a failed start can
    still be stopped.

    Raises:
        RuntimeError: servers of this workspace are already running, or one did not become
            healthy in ``timeout_s`` (both are stopped again; the message ends with its log).
    """
    running = [s for s in read_state(settings) if alive(s.pid)]
    if running:
        names = ", ".join(f"{s.name} (pid {s.pid}, {s.url})" for s in running)
        raise RuntimeError(f"servers already running for {settings.home}: {names}")
    ports = {**DEFAULT_PORTS, **(ports or {})}
    ports = {k: v or free_port() for k, v in ports.items()}
    logs = settings.home / "servers"
    logs.mkdir(parents=True, exist_ok=True)
    (settings.home / "mlflow" / "artifacts").mkdir(parents=True, exist_ok=True)
    started = []
    for name, cmd in _commands(settings, ports).items():
        log = logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(  # nosec B603  # our interpreter and arguments
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_env(settings, name),
                start_new_session=True,
                cwd=settings.home,
            )
        started.append(_describe(name, ports[name], proc.pid, log))
    _write_state(settings, started)
    try:
        _wait_healthy(started, timeout_s)
    except RuntimeError:
        stop_servers(settings)
        raise
    return started


def _wait_healthy(servers: list[Server], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(servers)
    while pending:
        pending = [s for s in pending if not healthy(s)]
        dead = [s for s in pending if not alive(s.pid)]
        if dead or (pending and time.monotonic() > deadline):
            s = (dead or pending)[0]
            why = "exited" if dead else f"was not healthy after {timeout_s:.0f} s"
            tail = Path(s.log).read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{s.name} server {why} ({s.health}); log {s.log}:\n{tail}")
        if pending:
            time.sleep(0.5)


def _ours(server: Server) -> bool:
    """Guard against a recycled PID: the process must still be that server."""
    try:
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return server.name in cmdline and "server" in cmdline


def stop_servers(settings: Settings, timeout_s: float = 20.0) -> list[str]:
    """Stop the recorded servers by PID (their process groups): TERM, then KILL if needed.

    Returns:
        A line per server saying what happened; the state file is removed.
    """
    report = []
    for server in read_state(settings):
        if not alive(server.pid):
            report.append(f"{server.name}: not running (pid {server.pid})")
            continue
        if not _ours(server):
            report.append(f"{server.name}: pid {server.pid} is now another process; left alone")
            continue
        os.killpg(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while alive(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
        report.append(f"{server.name}: stopped (pid {server.pid})")
    state_file(settings).unlink(missing_ok=True)
    return report


def env_exports(servers: list[Server]) -> list[str]:
    """Shell lines that point forewarn (and the Prefect/MLflow CLIs) at the servers."""
    return [f"export {s.env_var}={s.env_value}" for s in servers]
