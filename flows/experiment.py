"""An experiment: one TOML/YAML file a data scientist edits and runs.

It composes the typed sections each layer owns — ``[features]`` and ``[labels]``
(features/), ``[model]`` (models/), ``[risk_list]`` (serving/), ``[monitoring]``
(flows/monitoring/) — into one frozen object.
Unknown keys and impossible values fail at load time, naming the key, before any work.
"""

from __future__ import annotations

import json
import tomllib
import warnings
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from forewarn.features.durations import hours
from forewarn.features.spec import FeatureSpec, LabelSpec
from forewarn.flows.monitoring.config import MonitoringConfig
from forewarn.models.config import ModelConfig
from forewarn.serving.risklist import RiskListConfig


def shipped_dir() -> Path:
    """The folder of shipped experiments: package data of ``forewarn.experiments``.

    Found with ``importlib.resources``, so a wheel install (no source tree next to the
    code) finds them as well as a clone, where it is the repo's ``experiments/`` folder.
    """
    return Path(str(resources.files("forewarn.experiments")))


EXPERIMENTS_DIR = shipped_dir()
DEFAULT_EXPERIMENT = "default"


class ConfigError(ValueError):
    """An experiment file that cannot be used; the message names the file and key."""


class ExperimentConfig(BaseModel):
    """Everything that defines a run: features, labels, model and the planners' list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="experiment name (MLflow experiment)")
    description: str = ""
    features: FeatureSpec = FeatureSpec()
    labels: LabelSpec = LabelSpec()
    model: ModelConfig = ModelConfig()
    risk_list: RiskListConfig = RiskListConfig()
    monitoring: MonitoringConfig = MonitoringConfig()

    def check(self) -> ExperimentConfig:
        """Cross-section checks (e.g. the split gap must cover the label horizon)."""
        self.model.check_horizon(self.labels.horizon)
        return self


def resolve_path(name_or_path: str | Path | None) -> Path:
    """Map ``None``/a bare name (``short_horizon``) to ``experiments/<name>.toml``."""
    if name_or_path is None:
        return EXPERIMENTS_DIR / f"{DEFAULT_EXPERIMENT}.toml"
    path = Path(name_or_path)
    if path.suffix or path.exists():
        return path
    return EXPERIMENTS_DIR / f"{name_or_path}.toml"


def _read(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text)  # safe: no object tags, ever
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections")
        return data
    return tomllib.loads(text)


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"{path}: invalid experiment config"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key (not allowed here)" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  - {key}: {msg}")
    return "\n".join(lines)


def _moved_rul_cap(data: dict, path: Path) -> dict:
    """Drop an old ``[labels] rul_cap`` that changes nothing, refuse one that would.

    Files from before the cap was one key held ``[labels] rul_cap`` >= ``[model] rul_cap``
    (the loader enforced it), and the model's cap was the one that shaped the target: such
    a file loads with a warning. Any other value is an error naming the key to set.
    """
    labels, model = data.get("labels"), data.get("model", {})
    if not isinstance(labels, dict) or "rul_cap" not in labels:
        return data
    old = labels["rul_cap"]
    default = ModelConfig.model_fields["rul_cap"].default
    new = model.get("rul_cap", default) if isinstance(model, dict) else None
    rest = {**data, "labels": {k: v for k, v in labels.items() if k != "rul_cap"}}
    if old is None:
        return rest
    try:
        kept = new is not None and hours(new) <= hours(old)
    except (TypeError, ValueError, AttributeError):  # not a duration at all
        kept = False
    if not kept:
        raise ConfigError(
            f"{path}: [labels] rul_cap = {old!r} is no longer a key: the RUL cap is set once, "
            f"as [model] rul_cap (here {new!r}). Set [model] rul_cap to the cap you mean and "
            "delete the line from [labels]."
        )
    warnings.warn(
        f"{path}: [labels] rul_cap = {old!r} is deprecated and ignored: the one RUL cap is "
        f"[model] rul_cap = {new!r}, which shaped the RUL target before too. Delete the "
        "line from [labels].",
        FutureWarning,
        stacklevel=3,
    )
    return rest


def load_experiment(name_or_path: str | Path | None = None) -> ExperimentConfig:
    """Load and check an experiment file.

    Args:
        name_or_path: a path to a ``.toml``/``.yaml`` file, a name in ``experiments/``,
            or ``None`` for the default experiment.

    Raises:
        ConfigError: the file is missing, unparseable, has unknown keys or impossible
            values; the message names the file and each bad key.
    """
    path = resolve_path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.toml")))
        raise ConfigError(f"experiment config not found: {path} (shipped: {known})")
    try:
        data = _read(path)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot parse: {exc}") from exc
    data.setdefault("name", path.stem)
    data = _moved_rul_cap(data, path)
    try:
        return ExperimentConfig.model_validate(data).check()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def schema_json() -> str:
    """The JSON schema of experiment files (``forewarn config schema``)."""
    return json.dumps(ExperimentConfig.model_json_schema(), indent=2)
