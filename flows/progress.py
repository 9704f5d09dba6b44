"""Step progress of long commands: what runs now, how far along, how long it has taken.

Flows name their steps through ``tasks.run_step``, which reports here; a flow says how
many steps it will run (``expect``) so the display reads "step 3/7". Work inside a step
(feature batches, CV folds, the nights of a backtest) reports with ``advance``; code
below flows/ cannot import this module and logs instead, to a ``forewarn.*`` logger with
``extra={"progress": (label, done, total)}`` (``ProgressLogHandler`` forwards it).

Nothing is shown until the CLI installs a ``Reporter`` (``reporting``): library callers
and tests that call flows directly see no output.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Reporter(Protocol):
    """Where progress goes: a live display in a terminal, or plain lines in a log."""

    def step(self, done: int, total: int, name: str, elapsed: float) -> None:
        """Step ``done + 1`` of ``total``, named ``name``, starts ``elapsed`` s into the run."""

    def advance(self, label: str, done: int, total: int) -> None:
        """Work inside the current step: ``done`` of ``total`` ``label`` (e.g. batches)."""

    def finish(self, done: int, total: int, elapsed: float, ok: bool) -> None:
        """The command ends (``ok``: without an error)."""


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reporter: Reporter | None = None
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.done = 0
        self.current: str | None = None
        self.planned = False
        self.started = time.monotonic()


_state = _State()


def expect(steps: int) -> None:
    """Add a flow's steps to the total (ignored inside ``planned``: the parent counted)."""
    with _state.lock:
        if not _state.planned:
            _state.total += steps


@contextmanager
def planned(steps: int) -> Iterator[None]:
    """Run flows whose steps the caller counted already (the demo runs four flows)."""
    with _state.lock:
        outer = _state.planned
        if not outer:
            _state.total += steps
        _state.planned = True
    try:
        yield
    finally:
        with _state.lock:
            _state.planned = outer


def step(name: str) -> None:
    """A named step starts; a repeat of the step running now is the same step."""
    with _state.lock:
        if _state.reporter is None or name == _state.current:
            _state.current = name
            return
        if _state.current is not None:
            _state.done += 1
        _state.current = name
        _state.total = max(_state.total, _state.done + 1)
        args = (_state.done, _state.total, name, time.monotonic() - _state.started)
        reporter = _state.reporter
    reporter.step(*args)


def advance(label: str, done: int, total: int) -> None:
    """Report work inside the current step (``done`` of ``total`` ``label``)."""
    reporter = _state.reporter
    if reporter is not None:
        reporter.advance(label, done, total)


@contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send the progress of everything run inside to ``reporter`` (the CLI's)."""
    with _state.lock:
        _state.reset()
        _state.reporter = reporter
    ok = False
    try:
        yield
        ok = True
    finally:
        with _state.lock:
            done = _state.done + (1 if ok and _state.current is not None else 0)
            total = max(_state.total, done)
            elapsed = time.monotonic() - _state.started
            _state.reporter = None
        reporter.finish(done, total, elapsed, ok)


class ProgressLogHandler(logging.Handler):
    """Forwards ``extra={"progress": (label, done, total)}`` log records to ``advance``."""

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "progress", None)
        if isinstance(info, tuple) and len(info) == 3:
            advance(*info)
