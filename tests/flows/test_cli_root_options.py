"""Root options typed after the subcommand, where users type the other options."""

from __future__ import annotations

from forewarn.flows.cli import hoist_home


def test_home_and_verbose_move_to_the_front_wherever_they_are_typed() -> None:
    argv = ["score", "--data", "d", "--home", "h", "-v"]
    assert hoist_home(argv) == ["--home", "h", "-v", "score", "--data", "d"]
    assert hoist_home(["train", "--verbose", "--home=x"]) == ["--verbose", "--home=x", "train"]
    # after "--" everything is an argument
    assert hoist_home(["config", "show", "--", "-v"]) == ["config", "show", "--", "-v"]
