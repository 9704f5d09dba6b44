"""ModelConfig: impossible values fail at load time, naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from forewarn.models.config import LightGBMParams, ModelConfig

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


def test_defaults_are_valid_and_frozen() -> None:
    cfg = ModelConfig()
    assert cfg.risk_model_name == "forewarn-risk"
    assert cfg.promotion_metric == "event_recall"
    assert cfg.tie_break_metric == "pr_auc"
    with pytest.raises(ValidationError):
        cfg.seed = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"validation_windw": "30d"}, "validation_windw"),
        ({"validation_window": "30 days"}, "validation_window"),
        ({"inspection_budget": 0.0}, "inspection_budget"),
        ({"rul_quantiles": (0.6, 0.9)}, "rul_quantiles"),
        ({"lightgbm": {"num_leaves": 1}}, "num_leaves"),
        ({"lightgbm": {"learning_rat": 0.1}}, "learning_rat"),
        ({"promotion_metric": "accuracy"}, "promotion_metric"),
        ({"calibration": "beta"}, "calibration"),
    ],
)
def test_bad_values_name_the_key(values: dict, key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        ModelConfig.model_validate(values)


def test_same_names_for_risk_and_rul_refused() -> None:
    with pytest.raises(ValidationError, match="rul_model_name"):
        ModelConfig(risk_model_name="m", rul_model_name="m")


def test_check_horizon_names_gap_and_lead_time() -> None:
    with pytest.raises(ValueError, match="gap"):
        ModelConfig(gap="3d").check_horizon("7d")
    with pytest.raises(ValueError, match="lead_time"):
        ModelConfig(lead_time="7d").check_horizon("7d")
    ModelConfig(gap="14d", rul_cap="60d").check_horizon("7d")
    assert ModelConfig().gap_hours("7d") == 168.0


def test_booster_params_carry_seed_and_objective() -> None:
    params = LightGBMParams(num_leaves=7).booster_params(3, "quantile", alpha=0.1)
    assert params["seed"] == 3 and params["objective"] == "quantile" and params["alpha"] == 0.1
    assert "n_estimators" not in params


@pytest.mark.parametrize("name", ["default", "short_horizon", "long_windows"])
def test_shipped_experiment_model_sections_are_valid(name: str) -> None:
    path = EXPERIMENTS / f"{name}.toml"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    data = tomllib.loads(path.read_text())
    assert "model" in data, f"{path.name} has no [model] section"
    cfg = ModelConfig.model_validate(data["model"])
    labels = data.get("labels", {})
    assert "rul_cap" not in labels  # one RUL cap: [model] rul_cap
    cfg.check_horizon(labels.get("horizon", "7d"))


def test_time_unit_is_a_duration_and_phm_uses_it() -> None:
    assert ModelConfig(time_unit="1h").time_unit_hours() == 1.0
    assert ModelConfig().time_unit_hours() == 24.0
    with pytest.raises(ValueError, match="time_unit"):
        ModelConfig(time_unit="one cycle")
