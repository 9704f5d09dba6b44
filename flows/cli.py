"""The ``forewarn`` command line: parse options, call one library function or flow, report.

Each command's help ends with an example. Exit codes: 0 success, 1 the run finished but
a quality gate failed (e.g. too many rejected rows), 2 bad input or configuration.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from forewarn.flows.prepare import time_problem
from forewarn.flows.settings import Settings, SettingsError, load_settings, prepare_environment

app = typer.Typer(
    name="forewarn",
    help=(
        "forewarn turns equipment sensor histories into a nightly, ranked, explained list "
        "of the machines most likely to fail soon.\n\n"
        "Quick start: [bold]forewarn demo[/] runs the whole pipeline on a synthetic fleet."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="FOREWARN_HOME",
        help="Workspace folder for data, MLflow, Prefect state, scores and reports.",
        show_default="./.forewarn",
    ),
]


def parse_time(text: str | None, option: str) -> datetime | None:
    """Parse an ISO date/time option as UTC (naive input is taken as UTC), 1970..2100."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not a date/time; use ISO form such as 2025-06-30 or 2025-06-30T02:00Z",
            param_hint=option,
        ) from exc
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    problem = time_problem(value, option)
    if problem is not None:  # 1925 or 2999: a typo, and date arithmetic would overflow
        raise typer.BadParameter(f"{problem.message}. {problem.fix}", param_hint=option)
    return value


READ_ONLY_COMMANDS = frozenset({"serve", "models", "config"})
"""Commands that never write the workspace: they work on a read-only one."""


def workspace_problem(home: Path) -> str | None:
    """Why the workspace cannot be written, or None when it can.

    Checked before Prefect starts: its state lives in the workspace, and a read-only one
    would otherwise end in hundreds of lines of database tracebacks naming nothing.
    """
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as exc:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename or home}"
    return None


@app.callback()
def _root(ctx: typer.Context, home: HomeOption = None) -> None:
    try:
        settings = load_settings(home=home)
    except SettingsError as exc:
        from forewarn.flows import console

        console.fail(str(exc), "fix or unset the variable (README: Settings)")
        raise typer.Exit(2) from exc
    if ctx.invoked_subcommand not in READ_ONLY_COMMANDS:
        problem = workspace_problem(settings.home)
        if problem:
            from forewarn.flows import console

            console.fail(
                f"the workspace {settings.home} is not writable ({problem})",
                "free space or fix its permissions, or pass --home / FOREWARN_HOME",
            )
            raise typer.Exit(2)
    prepare_environment(settings)
    ctx.obj = settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built from --home and the environment."""
    assert isinstance(ctx.obj, Settings)
    return ctx.obj


def register() -> None:
    """Attach every command module (kept small: one module per area)."""
    from forewarn.flows import (  # noqa: F401  (register commands)
        commands_data,
        commands_monitor,
        commands_ops,
        commands_pipeline,
        commands_registry,
        commands_suggest,
    )


def main() -> None:
    """Console-script entry point."""
    register()
    app()
