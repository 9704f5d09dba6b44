"""How step progress looks (``flows.progress``): a live Rich display in a terminal, one
plain line per step on stderr otherwise (cron mail, CI logs, ``| tee``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from forewarn.flows import progress

STARTUP_STEP = "start the flow engine (Prefect)"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class LineReporter:
    """One line per step on a non-terminal stream: ``[3/7] build training frame (0:41)``."""

    def __init__(self, out: Console, command: str) -> None:
        self.out, self.command = out, command

    def step(self, done: int, total: int, name: str, elapsed: float) -> None:
        self.out.print(f"[{done + 1}/{total}] {escape(name)} ({_clock(elapsed)})", markup=False)

    def advance(self, label: str, done: int, total: int) -> None:
        """Nothing: a log gets one line per step, not one per batch or fold."""

    def finish(self, done: int, total: int, elapsed: float, ok: bool) -> None:
        state = "done" if ok else "stopped"
        self.out.print(
            f"{self.command}: {state} after {done}/{total} steps in {_clock(elapsed)}",
            markup=False,
        )


class LiveReporter:
    """A Rich display: the step bar (done/total, elapsed) and a bar for work inside it."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.steps: TaskID = bars.add_task("starting", total=None)
        self.inner: dict[str, TaskID] = {}

    def step(self, done: int, total: int, name: str, elapsed: float) -> None:
        for task in self.inner.values():
            self.bars.remove_task(task)
        self.inner.clear()
        self.bars.update(self.steps, description=escape(name), completed=done, total=total)

    def advance(self, label: str, done: int, total: int) -> None:
        if label not in self.inner:
            self.inner[label] = self.bars.add_task(f"  {escape(label)}", total=total)
        self.bars.update(self.inner[label], completed=done, total=total)

    def finish(self, done: int, total: int, elapsed: float, ok: bool) -> None:
        self.bars.update(self.steps, description="done" if ok else "stopped", completed=done)
        state = "done" if ok else "stopped"
        self.bars.console.print(f"{state} after {done}/{total} steps in {_clock(elapsed)}")


@contextmanager
def long_command(err: Console, command: str, steps_: int | None = None) -> Iterator[None]:
    """Progress of the flows run inside, with library output kept in the log file.

    ``steps_``: the steps the command's flow will run (then the total reads right from
    the first line); None lets each flow add its own as it starts (a backtest, whose
    model periods are planned inside the flow).

    Prefect is imported here (the flows import it anyway) so that its stderr handlers
    can be swapped for the log file's; records of ``forewarn.*`` loggers that carry
    ``progress`` drive the inner bar. Ends with where captured warnings went.
    """
    import prefect  # noqa: F401  (installs its handlers, replaced just below)

    from forewarn.flows import logfile

    captured = logfile.active_handler()
    if captured is not None:
        logfile.quiet_prefect_console(captured)
    before = captured.count if captured is not None else 0
    ours = logging.getLogger("forewarn")
    relay = progress.ProgressLogHandler(logging.DEBUG)
    ours.addHandler(relay)
    level = ours.level
    ours.setLevel(logging.DEBUG)
    try:
        plan = progress.planned(1 + steps_) if steps_ else nullcontext()
        with steps(err, command), plan:
            # Prefect's local API starts with the first flow: up to a minute on a busy
            # machine, which is a step a user should see rather than silence.
            progress.expect(1)
            progress.step(STARTUP_STEP)
            yield
    finally:
        ours.removeHandler(relay)
        ours.setLevel(level)
        if captured is not None and captured.count > before:
            err.print(
                f"{captured.count - before} library warning(s) written to {captured.baseFilename}"
                " (--verbose shows them)",
                markup=False,
                highlight=False,
            )


@contextmanager
def steps(err: Console, command: str) -> Iterator[None]:
    """Show the progress of the flow run inside (see the module docstring)."""
    if not err.is_terminal:
        with progress.reporting(LineReporter(err, command)):
            yield
        return
    bars = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bars, progress.reporting(LiveReporter(bars)):
        yield
