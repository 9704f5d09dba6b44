"""Registered versions and aliases: register, promote, load by alias, list."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import LoggedModel
from mlflow.exceptions import MlflowException

from forewarn.models.bundle import BundleDamagedError, find_bundle, load_bundle, verify_bundle
from forewarn.models.champion import ChampionModels
from forewarn.models.promotion import PromotionDecision, decide
from forewarn.models.registry_store import (
    RegistryDamagedError,
    client_for,
    is_missing,
    rebased,
    unavailable,
)
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
    data_end: datetime | None = None  # newest reading of the training data

    @property
    def trained_until(self) -> datetime:
        """Where the model's age starts: its training data's end, else its registration."""
        return self.data_end or self.created_at


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


def check_champion_files(tracking_uri: str, names: tuple[str, ...], alias: str = CHAMPION) -> None:
    """Fail in seconds when the champion's files are missing, truncated or garbled,
    before a night builds its features (models without the alias are skipped: the
    scoring step says "train first").

    Raises:
        RegistryDamagedError: naming the model, its version, the folder and what to do.
    """
    client = client_for(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="forewarn-check-") as tmp:
        for name in names:
            _download(client, tracking_uri, name, alias, Path(tmp) / name, load=verify_bundle)


def _download(
    client: MlflowClient,
    tracking_uri: str,
    name: str,
    alias: str,
    dst: Path,
    load: Callable[[Path], Any] = load_bundle,
) -> tuple[Any, str] | None:
    """The bundle behind ``name@alias`` (``load``ed), or ``None`` if the alias does not
    exist."""
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
    recorded = client.get_model_version_download_uri(name, version)
    source = rebased(client, tracking_uri, recorded)
    dst.mkdir(parents=True, exist_ok=True)
    local = source.removeprefix("file://") if source.startswith("file:///") else None
    what = f"the files of model {name!r} version {version} ({alias}) at {local or source}"
    path = ""
    try:
        path = mlflow.artifacts.download_artifacts(
            artifact_uri=source, dst_path=str(dst), tracking_uri=tracking_uri
        )
        return load(find_bundle(Path(path))), version
    except BundleDamagedError as exc:  # name the stored file, not the download's copy
        problem = f"{what} are damaged: {str(exc).replace(str(path), local or '…')}"
    except (MlflowException, OSError) as exc:
        problem = f"{what} cannot be read ({str(exc).splitlines()[0][:200]})"
    except ValueError as exc:  # no bundle in the folder
        problem = f"{what} hold no model bundle ({exc})"
    raise RegistryDamagedError(
        problem,
        "restore that folder from a backup, retrain (`forewarn train`), or point the alias "
        "at another version; `forewarn models` lists them",
    )


def promote_if_better(
    client: MlflowClient,
    tracking_uri: str,
    task: str,
    name: str,
    version: str,
    result: TrainingResult,
    folder: Path,
) -> PromotionDecision:
    try:
        current = _download(client, tracking_uri, name, CHAMPION, folder / f"champion_{task}")
    except RegistryDamagedError:
        current = None  # a champion whose files are damaged cannot stand against a new one
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
                    _parse_time(mv.tags.get("data_end")),
                )
            )
    return out


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        if not run_id:
            return None  # registered by hand, without a run
        run_root = rebased(client, tracking_uri, client.get_run(run_id).info.artifact_uri)
    except MlflowException as exc:
        if is_missing(exc):
            return None
        raise unavailable(tracking_uri, exc) from exc
    with tempfile.TemporaryDirectory(prefix="forewarn-config-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{run_root}/config/experiment.json",
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
        except (MlflowException, OSError):
            return None
        return json.loads(Path(path).read_text(encoding="utf-8"))
