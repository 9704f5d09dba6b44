"""MLflow tracking and model registry: the only place (with its ``registry_*`` helpers)
that imports mlflow.

The tracking URI is always an argument (the flow reads settings once, at the edge):
``sqlite:////abs/path/mlflow.db`` with a local artifact folder by default, or any
remote server unchanged. Nothing here reads the environment or sets global MLflow
state; every call builds an ``MlflowClient`` bound to the URI it was given.

Models are stored as MLflow *models from code*: a three-line entry script plus the
bundle (LightGBM text files and JSON); nothing is pickled. ``load_champion`` reads
the bundle directly, so scoring never executes code from the artifact store.

Public API:
    log_and_register(result, tracking_uri, experiment_name, config_dict, dataset_info,
                     *, artifact_location=None, run_name=None, commit=None)
        -> RegistrationOutcome
    load_champion(tracking_uri, *, alias="champion", risk_name="forewarn-risk",
                  rul_name="forewarn-rul", cache_dir=None) -> ChampionModels
    list_models(tracking_uri, names=("forewarn-risk", "forewarn-rul"))
        -> list[ModelVersionInfo]
    promote(tracking_uri, name, version, alias="champion") -> None
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from forewarn.models.promotion import PromotionDecision
from forewarn.models.registry_pyfunc import ForewarnPyfunc, log_model
from forewarn.models.registry_store import (
    RegistryUnavailableError,
    artifact_uri,
    check_tracking_store,
    client_for,
    experiment_id_for,
    flatten,
    git_commit,
    log_flat,
    tag_text,
)
from forewarn.models.registry_versions import (
    CHALLENGER,
    CHAMPION,
    ModelVersionInfo,
    NoChampionError,
    champion_config,
    check_champion_files,
    list_models,
    load_champion,
    promote,
    promote_if_better,
    register,
)
from forewarn.models.training import TrainingResult

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "KEY_METRICS",
    "ForewarnPyfunc",
    "ModelVersionInfo",
    "NoChampionError",
    "RegistrationOutcome",
    "RegistryUnavailableError",
    "champion_config",
    "check_champion_files",
    "check_tracking_store",
    "git_commit",
    "list_models",
    "load_champion",
    "log_and_register",
    "promote",
]

# Shown by `forewarn models`; the default promotion metrics (event_recall, mae_capped) are
# among them, so the list shows the number that made a version champion.
KEY_METRICS = {
    "risk": ("pr_auc", "event_recall", "precision_at_k", "brier"),
    "rul": ("mae_capped", "rmse_capped", "phm_score_mean", "interval_coverage"),
}


@dataclass(frozen=True)
class RegistrationOutcome:
    """What ``log_and_register`` did: the run, the new versions and the decisions."""

    run_id: str
    experiment_id: str
    versions: dict[str, str]
    decisions: dict[str, PromotionDecision]


def _log_cv(client: MlflowClient, experiment_id: str, parent: str, result: TrainingResult) -> None:
    """One nested run per (fold, candidate), so fold-to-fold spread is visible."""
    for fold in result.cv_folds:
        run = client.create_run(
            experiment_id,
            run_name=f"cv-fold{fold.fold}-candidate{fold.candidate}",
            tags={"mlflow.parentRunId": parent, "forewarn.kind": "cv-fold"},
        )
        params = {
            "fold": fold.fold,
            "candidate": fold.candidate,
            "train_end": fold.train_end,
            "valid_start": fold.valid_start,
            "valid_end": fold.valid_end,
        }
        log_flat(client, run.info.run_id, prefixed_metrics(fold.metrics), params, {})
        client.set_terminated(run.info.run_id)


def prefixed_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """CV fold metrics under the same names as the parent run's LightGBM metrics."""
    return {f"risk.lightgbm.{k}": v for k, v in metrics.items()}


def _log_files(
    client: MlflowClient,
    run_id: str,
    result: TrainingResult,
    config: dict,
    dataset: dict,
    folder: Path,
) -> None:
    files = {
        "config/experiment.json": config,
        "config/model.json": result.cfg.model_dump(mode="json"),
        "data/dataset.json": dataset,
        "data/features.json": result.feature_cols,
        "summary.json": {
            "beats_baselines": result.beats_baselines,
            "notes": result.notes,
            "selected_candidate": result.selected_candidate,
            "horizon": result.horizon,
        },
        "baselines/baselines.json": {k: b.to_dict() for k, b in result.baselines.items()},
        "curves/risk_curves.json": result.curves,
    }
    for rel, body in files.items():
        path = folder / "files" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
    client.log_artifacts(run_id, str(folder / "files"))
    for name, table in (("risk", result.predictions), ("rul", result.rul_predictions)):
        path = folder / f"{name}_validation_predictions.parquet"
        table.write_parquet(path)
        client.log_artifact(run_id, str(path), "validation")
    for path in result.plots.values():
        client.log_artifact(run_id, str(path), "plots")


def _decision_record(decisions: dict[str, PromotionDecision]) -> tuple[dict, dict]:
    metrics, tags = {}, {}
    for task, d in decisions.items():
        verdict = "quality gate failed" if d.gate else "kept champion"
        tags[f"promotion.{task}.decision"] = "promoted" if d.promoted else verdict
        tags[f"promotion.{task}.reason"] = d.reason
        metrics[f"promotion.{task}.challenger_score"] = d.challenger_score
        if d.champion_score is not None:
            metrics[f"promotion.{task}.champion_score"] = d.champion_score
    return metrics, tags


def log_and_register(
    result: TrainingResult,
    tracking_uri: str,
    experiment_name: str,
    config_dict: dict[str, Any],
    dataset_info: dict[str, Any],
    *,
    artifact_location: str | Path | None = None,
    run_name: str | None = None,
    commit: str | None = None,
) -> RegistrationOutcome:
    """Log a training run, register both models and decide on promotion.

    Args:
        result: output of ``train_models``.
        tracking_uri: e.g. ``sqlite:////abs/path/mlflow.db`` or a server URL.
        experiment_name: MLflow experiment (created if new).
        config_dict: the whole experiment config, logged as JSON.
        dataset_info: dataset fingerprint and description, logged as JSON and tags.
        artifact_location: artifact folder/URI for a *new* experiment; default beside
            a SQLite database, the server's choice for a remote store.
        run_name: optional MLflow run name.
        commit: code commit; default ``git rev-parse HEAD`` if available.
    """
    client = client_for(tracking_uri)
    experiment_id = experiment_id_for(
        client, experiment_name, artifact_uri(tracking_uri, artifact_location)
    )
    commit = commit or git_commit()
    tags = {
        "forewarn.kind": "training",
        "forewarn.horizon": result.horizon,
        **{f"beats_baselines.{k}": str(v).lower() for k, v in result.beats_baselines.items()},
        **{f"dataset.{k}": tag_text(v) for k, v in flatten("", dataset_info).items()},
        # What the logged validation metrics describe, and any coverage warning, in the
        # run list itself (the notes also go to summary.json and train's output).
        "forewarn.validation_of": "held-out fit" if result.metrics.get("data.refit") else "served",
    }
    warnings = [n for n in result.notes if n.startswith("WARNING: RUL interval")]
    if warnings:
        tags["forewarn.warning.rul_interval"] = tag_text(warnings[0])
    if commit:
        tags |= {"git_commit": commit, "mlflow.source.git.commit": commit}
    run_id = client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id
    try:
        outcome = _log_run(
            client, tracking_uri, experiment_id, run_id, result, config_dict, dataset_info
        )
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return outcome


def _log_run(
    client: MlflowClient,
    tracking_uri: str,
    experiment_id: str,
    run_id: str,
    result: TrainingResult,
    config: dict,
    dataset: dict,
) -> RegistrationOutcome:
    params = {
        "horizon": result.horizon,
        "n_features": len(result.feature_cols),
        "selected_candidate": result.selected_candidate,
        **flatten("model", result.cfg.model_dump(mode="json")),
    }
    log_flat(client, run_id, result.metrics, params, {})
    versions, decisions = {}, {}
    with tempfile.TemporaryDirectory(prefix="forewarn-log-") as tmp:
        folder = Path(tmp)
        _log_files(client, run_id, result, config, dataset, folder)
        _log_cv(client, experiment_id, run_id, result)
        names = {"risk": result.cfg.risk_model_name, "rul": result.cfg.rul_model_name}
        experiment = client.get_experiment(experiment_id).name
        for task, model in (("risk", result.risk), ("rul", result.rul)):
            logged = log_model(client, experiment_id, run_id, task, model, result, folder)
            key = {
                f"metric.{m}": str(v)
                for m, v in result.model_metrics(task).items()
                if m in KEY_METRICS[task]
            }
            # The experiment tag tells versions of one model name apart in `forewarn models`
            # when a data scientist trains several experiments into it.
            tags = {"horizon": result.horizon, "task": task, "experiment": experiment, **key}
            if dataset.get("end"):  # the model's age is counted from here, in data time
                tags["data_end"] = str(dataset["end"])
            versions[task] = register(client, names[task], logged, run_id, tags)
            decisions[task] = promote_if_better(
                client, tracking_uri, task, names[task], versions[task], result, folder
            )
    metrics, tags = _decision_record(decisions)
    log_flat(client, run_id, metrics, {}, tags)
    return RegistrationOutcome(run_id, experiment_id, versions, decisions)


# --- Monitoring (flows/monitoring): drift references and nightly monitoring runs ----------


def log_artifacts(tracking_uri: str, run_id: str, folder: Path, artifact_path: str) -> None:
    """Attach every file of ``folder`` to an existing run (e.g. a model's drift reference)."""
    client_for(tracking_uri).log_artifacts(run_id, str(folder), artifact_path)


def log_monitoring_night(
    tracking_uri: str,
    experiment_name: str,
    run_name: str,
    metrics: dict[str, float],
    tags: dict[str, str],
    files: list[Path],
    *,
    artifact_location: str | Path | None = None,
) -> str:
    """One MLflow run per monitored night: headline metrics, the decision as tags, reports.

    Returns:
        The run id.
    """
    client = client_for(tracking_uri)
    experiment_id = experiment_id_for(
        client, experiment_name, artifact_uri(tracking_uri, artifact_location)
    )
    run_tags = {"forewarn.kind": "monitoring", **tags}
    run_id = client.create_run(experiment_id, run_name=run_name, tags=run_tags).info.run_id
    try:
        log_flat(client, run_id, metrics, {}, {})
        for path in files:
            client.log_artifact(run_id, str(path), "monitoring")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id
