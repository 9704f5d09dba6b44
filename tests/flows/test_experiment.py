"""Experiment files as a data scientist edits them: cross-section checks at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.features.spec import LabelSpec
from forewarn.flows.experiment import EXPERIMENTS_DIR, ConfigError, load_experiment
from forewarn.flows.steps import logged_labels


def _old_file(tmp_path: Path, labels_cap: str, model_cap: str) -> Path:
    """default.toml as it was before the RUL cap was one key: a cap in both sections."""
    text = (EXPERIMENTS_DIR / "default.toml").read_text()
    edited = text.replace('horizon = "7d"\n', f'horizon = "7d"\nrul_cap = "{labels_cap}"\n', 1)
    edited = edited.replace('rul_cap = "60d"  ', f'rul_cap = "{model_cap}"  ')
    assert edited.count("rul_cap =") == 2
    path = tmp_path / "old.toml"
    path.write_text(edited)
    return path


def test_an_old_labels_rul_cap_that_changes_nothing_loads_with_a_warning(tmp_path: Path) -> None:
    # Old files kept [model] rul_cap <= [labels] rul_cap (the loader enforced it) and the
    # model's cap shaped the target: dropping the labels' one trains the same model.
    path = _old_file(tmp_path, labels_cap="120d", model_cap="90d")
    with pytest.warns(FutureWarning, match=r"\[labels\] rul_cap = '120d' is deprecated") as seen:
        exp = load_experiment(path)
    assert "[model] rul_cap = '90d'" in str(seen[0].message) and str(path) in str(seen[0].message)
    assert exp.model.rul_cap == "90d" and "rul_cap" not in exp.labels.model_dump()


def test_an_old_labels_rul_cap_below_the_models_fails_naming_the_one_key(tmp_path: Path) -> None:
    path = _old_file(tmp_path, labels_cap="30d", model_cap="60d")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert str(path) in message and "[labels] rul_cap = '30d' is no longer a key" in message
    assert "set once, as [model] rul_cap (here '60d')" in message


@pytest.mark.parametrize("name", ["default", "short_horizon", "long_windows"])
def test_shipped_experiments_pass_the_cross_section_checks(name: str) -> None:
    assert load_experiment(name).name == name


def test_a_champion_logged_with_a_labels_rul_cap_still_gives_its_label_spec() -> None:
    # Runs before the cap was one key logged [labels] rul_cap; scoring rebuilds the
    # champion's spec from them (steps.champion_experiment) and must not fail on it.
    logged = {"horizon": "3d", "rul_cap": "60d", "downtime": "12h", "components": []}
    labels = LabelSpec.model_validate(logged_labels(logged))
    assert labels == LabelSpec(horizon="3d", downtime="12h")
