"""Prefect's ephemeral API server, tied to the life of the command that started it.

Without a configured ``PREFECT_API_URL`` Prefect starts a local uvicorn server as a
child process (``SubprocessASGIServer``) and stops it in an ``atexit`` hook. A command
killed by SIGKILL (the OOM killer), a segfault, an abort or SIGTERM (systemd stop, a
timeout, a Prefect cancel) never runs that hook: the server lived on under PID 1, one
more per crash, and kept the command's stdout open, so a supervisor reading the output
(cron mail, CI, a subprocess capture) waited for it for as long as it lived.

``install`` changes how the server is started, nothing else:

- it runs under ``flows.ephemeral_child``, which exits within a second or two once its
  parent is gone (it polls its parent pid, so it also works when the thread that
  started it has ended, unlike ``PR_SET_PDEATHSIG``);
- its stdout and stderr go to ``<PREFECT_HOME>/ephemeral/server.log``, never to the
  command's own, so nothing a supervisor reads waits on the server;
- each server records itself in ``<PREFECT_HOME>/ephemeral/<pid>.json``; ``reap_orphans``
  (run by ``install``) ends a recorded server whose parent is dead, when its pid, start
  time and command line still prove it is that server.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

from forewarn.flows.ephemeral_child import MARKER, start_time

SERVER_MODULE = "prefect.server.api.server"
_INSTALLED = {"done": False}


def pid_dir(prefect_home: Path) -> Path:
    """Where the ephemeral servers of one Prefect home record themselves."""
    return Path(prefect_home) / "ephemeral"


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _orphaned(entry: dict[str, Any]) -> bool:
    """True when the recorded server still runs, provably, and its parent does not."""
    pid = int(entry["pid"])
    if entry.get("start") is None or start_time(pid) != entry["start"]:
        return False  # gone, or the pid now names another process
    if MARKER not in _cmdline(pid):
        return False
    return start_time(int(entry["parent"])) != entry.get("parent_start")


def _end(pid: int, grace_s: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + grace_s
    while start_time(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    if start_time(pid) is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return


def reap_orphans(folder: Path, grace_s: float = 5.0) -> list[int]:
    """End the recorded ephemeral servers whose command died; forget dead records.

    A server is ended only when its pid, start time and command line match the record
    and the parent named in the record is gone: a recycled pid or a live command's
    server is never touched.

    Returns:
        The pids that were ended.
    """
    ended = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        pid = int(entry["pid"])
        if _orphaned(entry):
            _end(pid, grace_s)
            ended.append(pid)
        if pid in ended or start_time(pid) != entry.get("start"):  # ended, gone or recycled
            path.unlink(missing_ok=True)
    return ended


def _start_child(self: Any) -> subprocess.Popen[Any]:
    """``SubprocessASGIServer._run_uvicorn_command`` under the watchdog (same arguments)."""
    import prefect
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    folder = pid_dir(Path(settings.home))
    folder.mkdir(parents=True, exist_ok=True)
    args = [
        *("--app-dir", str(prefect.__module_path__.parent)),
        *("--factory", "prefect.server.api.server:create_app"),
        *("--host", "127.0.0.1", "--port", str(self.port)),
        *("--log-level", "error", "--lifespan", "on"),
    ]
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        **settings.to_environment_variables(exclude_unset=True),
    }
    with (folder / "server.log").open("ab") as log:
        return subprocess.Popen(  # nosec B603  # our interpreter, fixed module and arguments
            [sys.executable, "-m", MARKER, str(folder), str(os.getpid()), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _patch(module: ModuleType) -> None:
    module.SubprocessASGIServer._run_uvicorn_command = _start_child


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patch Prefect's server module when something first imports it: importing it up
    front would add ~5 s to commands that never start a server."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if name != SERVER_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader, run = spec.loader, spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install(prefect_home: Path) -> None:
    """Start Prefect's ephemeral server under the watchdog from now on, after ending
    any orphan an earlier, crashed command of this workspace left behind. Idempotent.
    """
    reap_orphans(pid_dir(prefect_home))
    if _INSTALLED["done"]:
        return
    _INSTALLED["done"] = True
    if SERVER_MODULE in sys.modules:
        _patch(sys.modules[SERVER_MODULE])
    else:
        sys.meta_path.insert(0, _PatchOnImport())
