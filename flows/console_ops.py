"""Terminal output of the operations commands: backtest, schedule and servers."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from forewarn.flows.console import console


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_backtest(out: dict[str, Any]) -> None:
    """Headline totals, the models used per period and where the summary files are."""
    # The backtest grader pulls in scikit-learn (seconds): every `forewarn` command
    # imports this module at start-up, so only a finished backtest pays for it.
    from forewarn.flows.backtest_report import TOTAL_LABELS

    console.print(f"[bold]backtest[/] {out['id']}")
    for period in out["periods"]:
        trained = period["trained_until"]
        how = f"retrained on data until {trained[:16]}" if trained else "fixed champion"
        console.print(
            f"  {period['first_night'][:10]} → {period['last_night'][:10]}: "
            f"{period['model']} ({how})"
        )
    table = Table(title="What the planners would have seen", title_justify="left")
    table.add_column("total")
    table.add_column("value", justify="right")
    for key, label in TOTAL_LABELS.items():
        table.add_row(label, _fmt(out["totals"].get(key)))
    console.print(table)
    for kind in ("html", "markdown", "json"):
        console.print(f"{kind}: {out['paths'][kind]}")


def print_schedule(deployments: list, monitoring: bool) -> None:
    """What is about to be served, before serving blocks."""
    for dep in deployments:
        for sched in dep.schedules:
            cron = sched.schedule
            console.print(
                f"[bold]{dep.flow_name}/{dep.name}[/]: cron '{cron.cron}' ({cron.timezone}), "
                f"concurrency limit {dep.concurrency_limit}, as_of = scheduled time"
            )
    if monitoring:
        console.print("each night: scoring, then monitoring")
    else:
        console.print(
            "[yellow]note:[/] no monitoring flow (forewarn.flows.monitoring) is installed: "
            "each night runs scoring alone"
        )
    console.print("serving; runs appear in the Prefect UI; Ctrl+C stops (schedules pause)")


def print_servers(servers: list, exports: list[str]) -> None:
    """URLs and PIDs of the servers, then the lines to paste into a shell."""
    for s in servers:
        console.print(f"{s.name}: {s.url}  (pid {s.pid}, log {s.log})")
    console.print("point forewarn at them:")
    for line in exports:
        console.print(f"  {line}", soft_wrap=True)
