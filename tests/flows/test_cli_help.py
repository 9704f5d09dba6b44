"""Every command's --help as a new user reads it: each option says what it is for, and
each command ends with an example (README: "every command's --help ends with an example")."""

from __future__ import annotations

from typing import Any

import typer

from forewarn.flows.cli import app, register


def _commands() -> dict[str, Any]:
    """Leaf commands by their full name (``config show``); typer carries its own click."""
    register()
    root: Any = typer.main.get_command(app)
    out: dict[str, Any] = {}
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            out.update({f"{name} {n}": c for n, c in command.commands.items()})
        else:
            out[name] = command
    return out


def test_every_command_has_an_example_and_every_option_a_help_text() -> None:
    commands = _commands()
    assert {"score", "backtest", "schedule", "config show", "servers start"} <= set(commands)
    undocumented = [
        f"{name} {param.name}"
        for name, command in commands.items()
        for param in command.params
        if not getattr(param, "help", None) and param.name != "help"
    ]
    no_example = [n for n, c in commands.items() if "Example" not in (c.epilog or "")]
    assert undocumented == []
    assert no_example == []
