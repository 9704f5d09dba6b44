"""`forewarn generate` errors as a new user meets them: the option named, the CLI's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.test_cli_data import run


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--freq", "1x", "--freq '1x': invalid duration '1x'"),
        ("--scenario", "bogus", "--scenario 'bogus': Input should be 'none'"),
    ],
)
def test_a_bad_fleet_setting_names_its_option(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    out = run("generate", "--out", str(tmp_path / "f"), "--days", "2", option, value, home=tmp_path)
    assert out.returncode == 2
    assert says in " ".join(out.stderr.split())
    assert not (tmp_path / "f").exists()


def test_an_existing_output_folder_points_to_the_option_not_the_python_keyword(
    tmp_path: Path,
) -> None:
    target = tmp_path / "f"
    target.mkdir()
    (target / "old.txt").write_text("x")
    out = run("generate", "--out", str(target), "--assets", "2", "--days", "2", home=tmp_path)
    text = " ".join(out.stderr.split())
    assert out.returncode == 2
    assert "is not empty" in text and "--overwrite" in text
    assert "overwrite=True" not in text


def test_the_default_fleet_is_long_enough_for_the_default_experiment() -> None:
    """`forewarn generate` then `forewarn train` must work with every default."""
    import inspect
    from datetime import timedelta

    from forewarn.features.preflight import minimum_history
    from forewarn.flows.commands_data import generate
    from forewarn.flows.experiment import load_experiment

    exp = load_experiment(None)
    needs = exp.model.history_needs(exp.labels.horizon)
    days = inspect.signature(generate).parameters["days"].default
    assert timedelta(days=days) > minimum_history(exp.features, exp.labels, needs)
