"""The bad-config corpus: each stored file in tests/corpus/configs/ and what the error names.

Every one must fail with ``ConfigError`` before any work, naming the file and the key
(or the parse problem); none may run code (``!!python/...`` tags) or hang (alias bombs).
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "configs"

CONFIG_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "negative_window.toml": ("negative durations in config", ("features.windows.1", "'-7d'")),
    "negative_horizon.toml": ("negative durations in config", ("labels.horizon", "'-1d'")),
    "zero_duration.toml": ("negative durations in config", ("model.validation_window", "0d")),
    "unknown_key.toml": ("config with unknown keys", ("features.colour", "unknown key")),
    "unknown_section.toml": ("config with unknown keys", ("modle", "unknown key")),
    "wrong_type.toml": ("config value of the wrong type", ("model.cv_folds", "integer")),
    "nan_value.toml": ("config value of the wrong type", ("model.lightgbm.learning_rate",)),
    "unknown_stat.toml": ("config value of the wrong type", ("features.stats", "median2")),
    "toml_syntax.toml": ("unparseable config", ("cannot parse", "line 2")),
    "duplicate_key.toml": ("unparseable config", ("cannot parse", "line 4")),
    "gap_shorter_than_horizon.toml": ("impossible config", ("gap='1d'", "horizon '7d'")),
    "quote_in_model_name.toml": ("hostile config", ("model.risk_model_name", "pattern")),
    "python_object.yaml": ("YAML object tags", ("cannot parse", "python/object/apply:os.system")),
    "python_name.yaml": ("YAML object tags", ("cannot parse", "python/name:os.system")),
    "alias_bomb.yaml": ("hostile config", ("features.windows", "valid string")),
    "top_level_list.yaml": ("unparseable config", ("top level must be a mapping",)),
    "empty.yaml": ("unparseable config", ("top level must be a mapping",)),
}
"""file name -> (kind of input, fragments the ConfigError message must contain)."""

EXECUTED_MARKER = Path("/tmp/forewarn-yaml-was-executed")
"""What python_object.yaml would create if its tag were ever run."""
