"""Fault injection for reliability tests: one environment variable, inert unless set.

``FOREWARN_FAULT="<point>=<action>"`` makes the process fail when it reaches ``point``:
``raise`` raises ``InjectedFaultError`` (the step crashes), ``kill`` sends the process
SIGKILL (a power cut or an OOM kill: no ``finally`` block, no cleanup), ``hang`` says so
on stderr and sleeps until the process is killed (a stuck step, for tests that kill a
running command from outside). The points are
``before:<step>`` and ``after:<step>`` for every step a flow runs through
``tasks.run_step`` (e.g. ``before:score the fleet``), so a test can stop the nightly run
at each boundary and check that no score, store or registry entry was corrupted or lost
(tests/reliability). Unset, as in production, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import sys
import time

FAULT_ENV = "FOREWARN_FAULT"


class InjectedFaultError(RuntimeError):
    """The failure a test asked for at a fault point."""


def fault_point(point: str) -> None:
    """Fail here if ``FOREWARN_FAULT`` names this point; otherwise do nothing.

    Raises:
        InjectedFaultError: the variable is ``<point>=raise``.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    target, _, action = spec.rpartition("=")
    if target != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "hang":
        print(f"fault: hanging at {point!r}", file=sys.stderr, flush=True)
        while True:
            time.sleep(1)
    raise InjectedFaultError(f"fault injected at {point!r} by {FAULT_ENV}")
