"""Registered versions and aliases: register, promote, load by alias, list."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import LoggedModel
from mlflow.exceptions import MlflowException

from forewarn.models.bundle import find_bundle, load_bundle
from forewarn.models.champion import ChampionModels
from forewarn.models.promotion import PromotionDecision, decide
from forewarn.models.registry_store import client_for, is_missing, unavailable
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel
from forewarn.models.training import TrainingResult

CHAMPION, CHALLENGER = "champion", "challenger"


class NoChampionError(LookupError):
    """No registered model carries the requested alias."""


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered version, for ``forewarn models``."""

    name: str
    version: str
    aliases: tuple[str, ...]
    run_id: str | None
    created_at: datetime
    horizon: str | None
    metrics: dict[str, float]
    experiment: str | None = None  # the experiment config it was trained with


def register(
    client: MlflowClient, name: str, logged: LoggedModel, run_id: str, tags: dict[str, str]
) -> str:
    """New version of ``name``, aliased ``challenger``."""
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if "ALREADY_EXISTS" not in str(exc.error_code):
            raise
    # The storage location, not ``models:/<id>``: MLflow's SQL registry resolves the
    # latter through the process-global tracking URI, which may point elsewhere.
    version = client.create_model_version(
        name,
        source=logged.artifact_location,
        run_id=run_id,
        model_id=logged.model_id,
        tags=tags,
    ).version
    client.set_registered_model_alias(name, CHALLENGER, version)
    return str(version)


def _download(
    client: MlflowClient, tracking_uri: str, name: str, alias: str, dst: Path
) -> tuple[RiskModel | RulModel, str] | None:
    """The bundle behind ``name@alias``, or ``None`` if the alias does not exist."""
    try:
        version = str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        # Only "no such model/alias" means none; a server that is down must not pass
        # for an empty registry (scoring would say "train first", promotion would skip
        # the comparison with the champion).
        if is_missing(exc):
            return None
        raise unavailable(tracking_uri, exc) from exc
    # Resolve the storage location with our own client: MLflow's ``models:/`` artifact
    # repository looks the version up through the process-global registry URI.
    source = client.get_model_version_download_uri(name, version)
    dst.mkdir(parents=True, exist_ok=True)
    path = mlflow.artifacts.download_artifacts(
        artifact_uri=source, dst_path=str(dst), tracking_uri=tracking_uri
    )
    return load_bundle(find_bundle(Path(path))), version


def promote_if_better(
    client: MlflowClient,
    tracking_uri: str,
    task: str,
    name: str,
    version: str,
    result: TrainingResult,
    folder: Path,
) -> PromotionDecision:
    current = _download(client, tracking_uri, name, CHAMPION, folder / f"champion_{task}")
    champion, champion_version = current if current else (None, None)
    decision = decide(task, result, champion, champion_version)
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promotion", decision.reason)
    return decision


def load_champion(
    tracking_uri: str,
    *,
    alias: str = CHAMPION,
    risk_name: str = "forewarn-risk",
    rul_name: str = "forewarn-rul",
    cache_dir: Path | None = None,
) -> ChampionModels:
    """Load ``risk_name@alias`` and ``rul_name@alias`` for scoring.

    Raises:
        NoChampionError: if either model has no version with that alias.
    """
    client = client_for(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="forewarn-load-") as tmp:
        root = Path(cache_dir) if cache_dir else Path(tmp)
        loaded = {}
        for name in (risk_name, rul_name):
            found = _download(client, tracking_uri, name, alias, root / name)
            if found is None:
                raise NoChampionError(
                    f"no model {name!r} with alias {alias!r} in the registry at {tracking_uri}: "
                    "run `forewarn train` first"
                )
            loaded[name] = found
    (risk, risk_v), (rul, rul_v) = loaded[risk_name], loaded[rul_name]
    if not isinstance(risk, RiskModel) or not isinstance(rul, RulModel):
        raise ValueError(f"{risk_name!r} / {rul_name!r} do not hold a risk and a RUL model")
    return ChampionModels(risk, rul, {risk_name: risk_v, rul_name: rul_v})


def promote(tracking_uri: str, name: str, version: str, alias: str = CHAMPION) -> None:
    """Point ``alias`` at ``version`` by hand (e.g. after a feature-spec change).

    Raises:
        LookupError: no such model version (the message names it).
    """
    client = client_for(tracking_uri)
    try:
        client.get_model_version(name, version)
    except MlflowException as exc:
        if is_missing(exc):
            raise LookupError(
                f"no version {version} of model {name!r} in the registry at {tracking_uri} "
                "(`forewarn models` lists the versions)"
            ) from exc
        raise unavailable(tracking_uri, exc) from exc
    client.set_registered_model_alias(name, alias, version)
    client.set_model_version_tag(name, version, "promotion", f"set to {alias} by hand")


def list_models(
    tracking_uri: str, names: tuple[str, ...] = ("forewarn-risk", "forewarn-rul")
) -> list[ModelVersionInfo]:
    """Every version of the given registered models, newest first, with key metrics."""
    client = client_for(tracking_uri)
    out = []
    for name in names:
        try:
            aliases = client.get_registered_model(name).aliases or {}
        except MlflowException as exc:
            if is_missing(exc):
                continue  # never registered: nothing to list
            raise unavailable(tracking_uri, exc) from exc
        by_version: dict[str, list[str]] = {}
        for alias, version in aliases.items():
            by_version.setdefault(str(version), []).append(alias)
        versions = client.search_model_versions(f"name='{name}'")
        for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
            metrics = {
                k.removeprefix("metric."): float(v)
                for k, v in mv.tags.items()
                if k.startswith("metric.")
            }
            created = datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC)
            out.append(
                ModelVersionInfo(
                    name,
                    str(mv.version),
                    tuple(sorted(by_version.get(str(mv.version), []))),
                    mv.run_id,
                    created,
                    mv.tags.get("horizon"),
                    metrics,
                    mv.tags.get("experiment"),
                )
            )
    return out


def champion_config(
    tracking_uri: str, name: str = "forewarn-risk", alias: str = CHAMPION
) -> dict | None:
    """The experiment config logged with the run that trained ``name@alias``.

    Scoring rebuilds features with the spec the champion was trained on, not whatever
    the caller's experiment file says today, so a config edit cannot silently skew
    tonight's features. ``None`` when there is no such model or no logged config.
    """
    client = client_for(tracking_uri)
    try:
        run_id = client.get_model_version_by_alias(name, alias).run_id
    except MlflowException as exc:
        if is_missing(exc):
            return None
        raise unavailable(tracking_uri, exc) from exc
    with tempfile.TemporaryDirectory(prefix="forewarn-config-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id,
                artifact_path="config/experiment.json",
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
        except (MlflowException, OSError):
            return None
        return json.loads(Path(path).read_text(encoding="utf-8"))
