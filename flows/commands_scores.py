"""``forewarn scores list`` and ``forewarn scores delete``: the store's nights, managed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from forewarn.flows import console
from forewarn.flows.cli import app, settings_of

scores_app = typer.Typer(help="List or delete the nights in the score store.", no_args_is_help=True)
app.add_typer(scores_app, name="scores")


@scores_app.command("list", epilog="Example: [bold]forewarn scores list[/]")
def scores_list(ctx: typer.Context) -> None:
    """Show every stored night, newest first: assets, scored, unscorable, when it ran."""
    from forewarn.flows.nights import night_table
    from forewarn.serving.store import ScoreStore

    settings = settings_of(ctx)
    nights = night_table(ScoreStore(settings.scores_dir))
    if nights.is_empty():
        console.console.print(f"the score store {settings.scores_dir} holds no night yet")
        return
    table = Table(title=f"Nights in {settings.scores_dir}", title_justify="left")
    for col in ("night (as_of, UTC)", "key", "assets", "scored", "unscorable", "scored at"):
        table.add_column(col, justify="left" if col[0] in "nks" else "right")
    for i, row in enumerate(nights.iter_rows(named=True)):
        latest = "  (latest)" if i == 0 else ""
        table.add_row(
            f"{row['as_of']:%Y-%m-%d %H:%M}{latest}",
            row["key"],
            f"{row['assets']:,}",
            f"{row['scored']:,}",
            f"{row['unscorable']:,}",
            f"{row['scored_at']:%Y-%m-%d %H:%M}" if row["scored_at"] else "-",
        )
    console.console.print(table)


@scores_app.command(
    "delete",
    epilog=(
        "Example: [bold]forewarn scores delete --night 2025-06-30[/]\n\n"
        "Removes the night's scores, its Parquet export, its report files and its "
        "monitoring inputs; every other night stays as it was."
    ),
)
def scores_delete(
    ctx: typer.Context,
    night: Annotated[
        str,
        typer.Option(
            help="The night: a date (its last stored night), an ISO time, or a key as listed."
        ),
    ],
) -> None:
    """Delete one stored night (e.g. one scored by mistake past the data's end)."""
    from forewarn.flows.nights import delete_night
    from forewarn.serving.store import ScoreStore
    from forewarn.serving.web_data import resolve_night

    settings = settings_of(ctx)
    stored = ScoreStore(settings.scores_dir).nights()
    found = resolve_night(night, stored)
    if found is None:
        console.fail(
            f"no night {night!r} in the score store {settings.scores_dir}",
            "`forewarn scores list` shows the stored nights",
        )
        raise typer.Exit(2)
    removed = delete_night(settings, found)
    console.console.print(f"deleted the night {found:%Y-%m-%d %H:%M} UTC from the score store")
    for path in removed:
        console.console.print(f"  removed {path}")
    left = len(stored) - 1
    console.console.print(f"{left} night{'s' if left != 1 else ''} left")
