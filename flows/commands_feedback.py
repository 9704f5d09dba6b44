"""``forewarn feedback``: what the crews found at the assets the list sent them to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from forewarn.flows import console
from forewarn.flows.cli import app, settings_of

feedback_app = typer.Typer(
    help="Record what inspections found (found_fault, no_fault, not_inspected).",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")

MAX_SHOWN = 20
"""Refused rows printed one per line; the rest are counted."""


def _report(result, source: str, dry_run: bool) -> None:
    from forewarn.flows.feedback import FeedbackResult

    assert isinstance(result, FeedbackResult)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(result.by_outcome.items())) or "none"
    verb = "would record" if dry_run else "recorded"
    console.console.print(
        f"{escape(source)}: {result.rows:,} rows: {verb} {result.recorded:,} outcomes ({kinds}), "
        f"{result.blank:,} left blank, {len(result.rejected):,} refused"
    )
    if result.written:
        console.console.print(f"the score store holds {result.stored:,} outcomes")
    for why in result.rejected[:MAX_SHOWN]:
        console.fail(why)
    if len(result.rejected) > MAX_SHOWN:
        console.fail(f"... and {len(result.rejected) - MAX_SHOWN:,} more refused rows")
    if result.rejected:
        console.fail(
            f"{len(result.rejected):,} rows were refused",
            "fix them and run the command again: recording a night and asset again "
            "replaces its outcome, so a re-import never duplicates",
        )
        raise typer.Exit(2)


@feedback_app.command(
    "record",
    epilog=(
        "Example: [bold]forewarn feedback record --asset A-0042 --night 2025-08-28 "
        '--outcome found_fault --component bearing --note "outer race pitted"[/]'
    ),
)
def record(
    ctx: typer.Context,
    asset: Annotated[str, typer.Option(help="The asset inspected.")],
    night: Annotated[
        str, typer.Option(help="The night whose list sent the crew (as_of, or its date).")
    ],
    outcome: Annotated[str, typer.Option(help="found_fault, no_fault or not_inspected.")],
    component: Annotated[str | None, typer.Option(help="What was found or checked.")] = None,
    note: Annotated[str | None, typer.Option(help="The technician's note.")] = None,
    inspected_at: Annotated[
        str | None,
        typer.Option(help="When it was inspected (UTC).", show_default="the night + 12 h"),
    ] = None,
) -> None:
    """Record one inspection's outcome in the score store."""
    from forewarn.flows.feedback import record_outcomes
    from forewarn.serving.outcomes import RawOutcome

    settings = settings_of(ctx)
    row = RawOutcome(None, asset, night, outcome, component, note, inspected_at)
    result = record_outcomes(settings, [row], "cli")
    if result.recorded:
        console.console.print(f"recorded {outcome.strip().lower()} for {escape(asset)} ({night})")
        return
    for why in result.rejected:
        console.fail(why, "the night's risk-list CSV names its as_of and every asset scored")
    raise typer.Exit(2)


@feedback_app.command(
    "import",
    epilog=(
        "Example: [bold]forewarn feedback import .forewarn/reports/"
        "risk_list_2025-08-28T000000Z.csv[/]\n\n"
        "Fill the risk-list CSV's empty `outcome` column (found_fault, no_fault, "
        "not_inspected) and optionally `outcome_component`, `outcome_note` and "
        "`inspected_at`; rows left blank are skipped. Rows are numbered as in a "
        "spreadsheet (the header is row 1)."
    ),
)
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The filled-in risk-list CSV.")],
    dry_run: Annotated[bool, typer.Option(help="Check the rows, write nothing.")] = False,
) -> None:
    """Import outcomes from a filled-in risk-list CSV."""
    from forewarn.flows.feedback import FeedbackFileError, read_outcome_file, record_outcomes

    settings = settings_of(ctx)
    try:
        rows = read_outcome_file(file)
    except FeedbackFileError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    result = record_outcomes(settings, rows, file.name, dry_run=dry_run)
    _report(result, str(file), dry_run)


@feedback_app.command("list", epilog="Example: [bold]forewarn feedback list --asset A-0042[/]")
def list_(
    ctx: typer.Context,
    asset: Annotated[str | None, typer.Option(help="Only this asset.")] = None,
    night: Annotated[str | None, typer.Option(help="Only this night.")] = None,
    last: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 50,
) -> None:
    """List recorded outcomes, newest night first."""
    from forewarn.flows.feedback import list_outcomes

    settings = settings_of(ctx)
    try:
        frame = list_outcomes(settings, asset, night)
    except LookupError as exc:
        console.fail(str(exc))
        raise typer.Exit(2) from exc
    if frame.height == 0:
        console.console.print("no outcomes recorded: forewarn feedback record / import")
        return
    table = Table(title=f"Outcomes ({frame.height:,})", title_justify="left")
    for col in ("night", "asset", "outcome", "component", "inspected", "note"):
        table.add_column(col)
    for r in frame.head(last).iter_rows(named=True):
        table.add_row(
            f"{r['as_of']:%Y-%m-%d %H:%M}",
            escape(r["asset_id"]),
            r["outcome"],
            escape(r["component"] or "—"),
            f"{r['inspected_at']:%Y-%m-%d %H:%M}",
            escape(r["note"] or ""),
        )
    console.console.print(table)
