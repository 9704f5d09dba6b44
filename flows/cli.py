"""The ``forewarn`` command line: parse options, call one library function or flow, report.

Each command's help ends with an example. Exit codes: 0 success, 1 the run finished but
a quality gate failed (e.g. too many rejected rows), 2 bad input or configuration.
"""

from __future__ import annotations

import os
import tempfile
import traceback
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


VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Show library warnings (numpy, scikit-learn, MLflow, Prefect) instead of "
        "writing them to <home>/logs/forewarn.log.",
    ),
]


@app.callback()
def _root(ctx: typer.Context, home: HomeOption = None, verbose: VerboseOption = False) -> None:
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
        if not verbose:
            from forewarn.flows.logfile import capture_library_output

            capture_library_output(settings.home)
    _check_registry(settings, write=ctx.invoked_subcommand not in READ_ONLY_COMMANDS)
    prepare_environment(settings)
    if not os.environ.get("PREFECT_API_URL"):  # Prefect would start its ephemeral server
        from forewarn.flows.ephemeral import install

        install(Path(os.environ["PREFECT_HOME"]))
    ctx.obj = settings


def _check_registry(settings: Settings, *, write: bool) -> None:
    """A locked or damaged local MLflow store fails in seconds, before Prefect starts."""
    from forewarn.models.registry_sqlite import RegistryDamagedError, check_local_store

    try:
        check_local_store(settings.tracking_uri, write=write)
    except RegistryDamagedError as exc:
        from forewarn.flows import console

        console.fail(str(exc).removesuffix(f"; {exc.hint}"), exc.hint)
        raise typer.Exit(2) from None


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built from --home and the environment."""
    assert isinstance(ctx.obj, Settings)
    return ctx.obj


def register() -> None:
    """Attach every command module (kept small: one module per area)."""
    from forewarn.flows import (  # noqa: F401  (register commands)
        commands_data,
        commands_feedback,
        commands_monitor,
        commands_ops,
        commands_pipeline,
        commands_registry,
        commands_scores,
        commands_suggest,
    )


def release(exc: BaseException) -> None:
    """Drop the tracebacks of an error the CLI has reported (and of its causes).

    A traceback keeps its frames, and so the modules of the code that failed, alive to
    interpreter exit, where DuckDB's bindings then print ~50 lines of "nanobind: leaked"
    noise under the one clear message (a full disk, a damaged store).
    """
    stack: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if err.__traceback__ is not None:
            traceback.clear_frames(err.__traceback__)
            err.__traceback__ = None
        stack += [err.__cause__, err.__context__, getattr(err, "error", None)]


def hoist_home(argv: list[str]) -> list[str]:
    """Move the root options given after the subcommand to the front: ``--home X`` /
    ``--home=X`` and ``--verbose`` / ``-v``.

    They belong to the root command, yet users type them where the other options are
    (``forewarn score --home X --data ...``); Click would refuse them there.
    """
    args, moved, i = list(argv), [], 0
    while i < len(args):
        if args[i] == "--":
            break
        if args[i] == "--home" and i + 1 < len(args):
            moved += args[i : i + 2]
            del args[i : i + 2]
            continue
        if args[i].startswith("--home=") or args[i] in ("--verbose", "-v"):
            moved.append(args.pop(i))
            continue
        i += 1
    return moved + args


def main() -> None:
    """Console-script entry point.

    ``--home`` is accepted after the subcommand too (``hoist_home``). A damaged store
    (the score store's or the registry's files) is reported as one clear error with its
    ``hint``, exit 2, whichever command met it: never a traceback.
    """
    import sys

    register()
    try:
        app(args=hoist_home(sys.argv[1:]))
    except Exception as exc:
        hint = getattr(exc, "hint", None)
        if not isinstance(exc, ValueError | LookupError | RuntimeError) or not hint:
            raise
        from forewarn.flows import console

        console.fail(str(exc).removesuffix(f"; {hint}"), hint)
        release(exc)
        raise SystemExit(2) from None
