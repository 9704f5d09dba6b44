"""The process that runs Prefect's ephemeral API server and dies with its parent.

Prefect starts ``python -m uvicorn …`` as a plain child of the command. When the command
is killed (SIGKILL by the OOM killer, a segfault, SIGTERM from systemd or a timeout) its
``atexit`` never runs, and the server lived on under PID 1, holding ~230 MB and the
supervisor's stdout. ``flows.ephemeral`` starts this module instead; it

- records itself in ``<dir>/<pid>.json`` (its pid and start time, its parent's pid and
  start time), so a later command can prove an orphan is one of ours and end it;
- watches its parent: once it is re-parented (the parent died, however), it stops
  uvicorn with SIGTERM and exits hard if that takes more than a few seconds;
- then runs uvicorn's own command line with the arguments it was given.

No prefect import here: uvicorn imports Prefect's app itself.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

MARKER = "forewarn.flows.ephemeral_child"
POLL_S = 0.5
GRACE_S = 5.0


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22),
    which with the pid names one process for good; None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return None if fields[0] == "Z" else int(fields[19])


def _watch(parent: int, record: Path) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    record.unlink(missing_ok=True)  # this process is ending either way (below)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
    time.sleep(GRACE_S)
    os._exit(1)


def _record(folder: Path, parent: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    me = os.getpid()
    path = folder / f"{me}.json"
    entry = {
        "pid": me,
        "start": start_time(me),
        "parent": parent,
        "parent_start": start_time(parent),
    }
    tmp = folder / f".{me}.json.tmp"
    tmp.write_text(json.dumps(entry), encoding="utf-8")
    tmp.replace(path)
    atexit.register(path.unlink, missing_ok=True)
    return path


def main(argv: list[str]) -> None:
    """``python -m forewarn.flows.ephemeral_child <pid dir> <parent pid> <uvicorn args…>``.

    The parent passes its pid: if it died before this process got here, the watchdog
    sees a different parent at once and the server never starts serving an orphan.
    """
    folder, parent, uvicorn_args = Path(argv[0]), int(argv[1]), argv[2:]
    record = _record(folder, parent)
    watch = threading.Thread(target=_watch, args=(parent, record), daemon=True, name="watch")
    watch.start()
    from uvicorn.main import main as uvicorn_main

    sys.argv = ["uvicorn", *uvicorn_args]
    uvicorn_main()


if __name__ == "__main__":
    main(sys.argv[1:])
