"""Terminal presentation: summaries as tables, progress bars, and errors that say how to fix.

Kept out of the command definitions so commands stay a list of options and one call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from forewarn.features.dataset import ValidationReport

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[callable]:
    """Yield ``update(done, total)`` driving a progress bar (quiet when not a terminal)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, total_: int) -> None:
            progress.update(task, completed=done, total=total_)

        yield update


def fail(message: str, hint: str | None = None) -> None:
    """Print an error (and how to fix it) to stderr."""
    err_console.print(f"[bold red]error:[/] {message}")
    if hint:
        err_console.print(f"[yellow]hint:[/] {hint}")


def validation_table(report: ValidationReport) -> Table:
    """Per-table input/accepted/rejected counts."""
    table = Table(title=f"Dataset {report.url}", title_justify="left")
    for col in ("table", "input rows", "accepted", "rejected", "rejected %"):
        table.add_column(col, justify="right" if col != "table" else "left")
    for name, c in report.counts.items():
        table.add_row(
            name,
            f"{c.input:,}",
            f"{c.accepted:,}",
            f"{c.rejected:,}",
            f"{100 * c.reject_share:.2f}",
        )
    return table


def print_validation(report: ValidationReport, rejects_path: str | None) -> None:
    """Print the summary ``forewarn validate`` promises."""
    console.print(validation_table(report))
    span = (
        f"{report.start:%Y-%m-%d %H:%M} → {report.end:%Y-%m-%d %H:%M} UTC" if report.start else "-"
    )
    types = ", ".join(f"{k} {v}" for k, v in report.asset_types.items())
    console.print(f"assets: {report.n_assets:,}  ({types})")
    console.print(f"time span: {span}")
    console.print(f"sensors ({len(report.sensors)}): {', '.join(report.sensors)}")
    kinds = ", ".join(f"{k} {v:,}" for k, v in report.events_by_kind.items()) or "none"
    console.print(f"events: {kinds}")
    if report.rejects_by_reason:
        reasons = Table(title="Rejected rows by reason", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("rows", justify="right")
        for reason, n in report.rejects_by_reason.items():
            reasons.add_row(reason, f"{n:,}")
        console.print(reasons)
        if rejects_path:
            console.print(f"rejected rows with reasons and raw values: {rejects_path}")
    else:
        console.print("no rejected rows")
