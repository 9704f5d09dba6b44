"""Experiment files as a data scientist edits them: cross-section checks at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.flows.experiment import EXPERIMENTS_DIR, ConfigError, load_experiment


def test_a_model_rul_cap_above_the_labels_cap_fails_at_load_naming_both_keys(
    tmp_path: Path,
) -> None:
    # default.toml says "keep it <= [labels] rul_cap": the loader must hold it to that,
    # before any work, not train a RUL model on labels capped lower than it thinks.
    text = (EXPERIMENTS_DIR / "default.toml").read_text()
    edited = text.replace('rul_cap = "60d"                 # RUL', 'rul_cap = "90d"  # RUL')
    assert edited != text
    path = tmp_path / "rul_cap.toml"
    path.write_text(edited)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert str(path) in message
    assert "[model] rul_cap='90d'" in message and "[labels] rul_cap '60d'" in message


@pytest.mark.parametrize("name", ["default", "short_horizon", "long_windows"])
def test_shipped_experiments_pass_the_cross_section_checks(name: str) -> None:
    assert load_experiment(name).name == name
