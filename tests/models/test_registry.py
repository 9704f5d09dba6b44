"""MLflow logging, registration, champion/challenger and loading, on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest
from mlflow import MlflowClient

from forewarn.models.champion import FeatureMismatchError
from forewarn.models.config import LightGBMParams
from forewarn.models.registry import (
    NoChampionError,
    RegistrationOutcome,
    list_models,
    load_champion,
    log_and_register,
    promote,
)
from forewarn.models.training import TrainingResult, train_models
from tests.models.conftest import FEATURES, small_config

WEAK = LightGBMParams(n_estimators=1, num_leaves=2, learning_rate=0.01, num_threads=1)
MEDIUM = LightGBMParams(n_estimators=8, num_leaves=4, num_threads=1)
BY_PR_AUC = {"promotion_metric": "pr_auc", "tie_break_metric": "roc_auc", "cv_folds": 0}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"


@pytest.fixture(scope="module")
def weak(snapshots: pl.DataFrame) -> TrainingResult:
    return train_models(snapshots, FEATURES, small_config(lightgbm=WEAK, **BY_PR_AUC))


@pytest.fixture(scope="module")
def medium(snapshots: pl.DataFrame) -> TrainingResult:
    return train_models(snapshots, FEATURES, small_config(lightgbm=MEDIUM, **BY_PR_AUC))


@pytest.fixture(scope="module")
def history(
    store: str, weak: TrainingResult, trained: TrainingResult, medium: TrainingResult
) -> list:
    """A weak model first (it loses to its baselines: no champion), then the strong one
    (the first champion), then a medium one (fit to serve, but worse than the champion)."""
    config = {"name": "test", "model": {"seed": 42}}
    dataset = {
        "fingerprint": "abc123",
        "rows": 14400,
        "span": {"sensors": ["a", "b"], "complete": True},
    }
    return [
        log_and_register(result, store, "forewarn-test", config, dataset, commit="deadbeef")
        for result in (weak, trained, medium)
    ]


def test_no_champion_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoChampionError, match="run `forewarn train` first"):
        load_champion(f"sqlite:///{tmp_path}/empty.db")
    assert list_models(f"sqlite:///{tmp_path}/empty.db") == []


def test_promotion_sequence(history: list[RegistrationOutcome]) -> None:
    first, second, third = history
    assert first.versions == {"risk": "1", "rul": "1"}
    gated = first.decisions["risk"]
    assert not gated.promoted and gated.reason.startswith("quality gate failed")
    assert "does not beat the logistic baseline on pr_auc" in gated.reason and gated.gate
    assert second.decisions["risk"].promoted and second.decisions["rul"].promoted
    assert second.decisions["risk"].reason == "no champion yet"  # v1 never was one
    kept = third.decisions["risk"]
    assert not kept.gate
    assert not kept.promoted and "does not beat champion v2" in kept.reason
    # The champion was re-scored on the new run's validation rows.
    assert kept.champion_score > kept.challenger_score


def test_aliases_and_listing(store: str, history: list[RegistrationOutcome]) -> None:
    infos = {(i.name, i.version): i for i in list_models(store)}
    assert infos[("forewarn-risk", "2")].aliases == ("champion",)
    assert infos[("forewarn-risk", "3")].aliases == ("challenger",)
    assert infos[("forewarn-rul", "1")].aliases == ()
    risk = infos[("forewarn-risk", "2")]
    assert risk.horizon == "7d" and risk.metrics["pr_auc"] > 0.8 and risk.run_id
    # The RUL promotion metric (mae_capped by default) is among the listed key metrics.
    assert {"mae_capped", "rmse_capped"} <= set(infos[("forewarn-rul", "2")].metrics)
    # Versions say which experiment trained them (several experiments share a model name).
    assert {i.experiment for i in infos.values()} == {"forewarn-test"}


def test_run_contents(store: str, history: list[RegistrationOutcome]) -> None:
    client = MlflowClient(tracking_uri=store)
    run = client.get_run(history[1].run_id)
    assert run.data.metrics["risk.lightgbm.pr_auc"] > 0.8
    assert "risk.logistic.pr_auc" in run.data.metrics
    assert "promotion.risk.champion_score" in client.get_run(history[2].run_id).data.metrics
    gated = client.get_run(history[0].run_id).data.tags
    assert gated["promotion.risk.decision"] == "quality gate failed"
    assert "logistic baseline" in gated["promotion.risk.reason"]
    assert run.data.params["model.calibration"] == "platt"
    assert run.data.tags["git_commit"] == "deadbeef"
    assert run.data.tags["dataset.fingerprint"] == "abc123"
    # Non-string values become JSON text (a real MLflow server refuses non-string tags).
    assert run.data.tags["dataset.rows"] == "14400"
    assert run.data.tags["dataset.span.sensors"] == '["a", "b"]'
    assert run.data.tags["dataset.span.complete"] == "true"  # JSON, not str(True)
    assert run.data.tags["promotion.risk.decision"] == "promoted"
    # The logged validation metrics are the held-out fit's; the served models were refit.
    assert run.data.tags["forewarn.validation_of"] == "held-out fit"
    assert run.data.metrics["data.refit"] == 1.0
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"plots", "config", "data", "baselines", "validation", "curves", "summary.json"} <= files
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert "plots/pr_curve.png" in plots
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == 2  # two CV folds, one candidate
    artifact_root = client.get_experiment(run.info.experiment_id).artifact_location
    assert artifact_root.startswith("file://") and Path(store[10:]).parent.name in artifact_root


def test_champion_scores_like_the_trained_model(
    store: str,
    history: list[RegistrationOutcome],
    trained: TrainingResult,
    snapshots: pl.DataFrame,
) -> None:
    models = load_champion(store)
    assert models.versions == {"forewarn-risk": "2", "forewarn-rul": "2"}
    assert models.horizon == "7d" and models.feature_cols == FEATURES
    tonight = snapshots.filter(pl.col("as_of") == pl.col("as_of").max()).drop("p_true_7d")
    out = models.predict(tonight)
    assert out.columns == [
        "asset_id",
        "p_fail",
        "p_raw",
        "rul_hours",
        "rul_low_hours",
        "rul_high_hours",
        "rul_censored",
        "rul_cap_hours",
        "component_risk",
        "likely_component",
        "likely_component_share",
    ]
    # no per-component labels in this frame: the component columns are there, empty
    assert out["likely_component"].null_count() == out.height
    np.testing.assert_allclose(out["p_raw"].to_numpy(), trained.risk.predict_raw(tonight))
    at_cap = out["rul_hours"].to_numpy() >= trained.rul.cap_hours
    assert out["rul_censored"].to_list() == at_cap.tolist()
    assert (out["rul_cap_hours"] == trained.rul.cap_hours).all()
    np.testing.assert_allclose(out["p_fail"].to_numpy(), trained.risk.predict_proba(tonight))
    assert (out["rul_low_hours"] <= out["rul_hours"]).all()
    top = tonight.filter(pl.col("asset_id").is_in(out.sort("p_fail")["asset_id"].tail(2)))
    sentences = models.explain(top, top_k=3)
    assert len(sentences) == 2 and all(isinstance(s, str) for row in sentences for s in row)


def test_feature_mismatch_names_columns(store: str, history: list, snapshots: pl.DataFrame) -> None:
    models = load_champion(store)
    tonight = snapshots.filter(pl.col("as_of") == pl.col("as_of").max())
    with pytest.raises(FeatureMismatchError, match=r"missing columns \['alarms__E101_7d'\]"):
        models.predict(tonight.drop("alarms__E101_7d", "p_true_7d"))
    with pytest.raises(FeatureMismatchError, match=r"extra columns \['p_true_7d'\]"):
        models.predict(tonight)
    assert models.predict(tonight, strict=False).height == tonight.height


def test_generic_pyfunc_returns_probabilities(
    store: str, history: list, snapshots: pl.DataFrame
) -> None:
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    source = client.get_model_version_download_uri("forewarn-risk", "2")
    model = mlflow.pyfunc.load_model(source)
    sample = snapshots.select(FEATURES).head(20).to_pandas()
    p = model.predict(sample)["p_fail"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all() and len(np.unique(p)) > 1


def test_manual_promote(store: str, history: list) -> None:
    promote(store, "forewarn-risk", "3")
    try:
        assert load_champion(store).versions["forewarn-risk"] == "3"
    finally:
        promote(store, "forewarn-risk", "2")


def test_artifact_location_rules(tmp_path: Path) -> None:
    from forewarn.models.registry_store import artifact_uri

    local = f"sqlite:///{tmp_path}/db/mlflow.db"
    assert artifact_uri(local, None) == (tmp_path / "db" / "artifacts").as_uri()
    assert artifact_uri(local, tmp_path / "arts") == (tmp_path / "arts").as_uri()
    assert artifact_uri("http://mlflow:5000", tmp_path / "arts") is None
    assert artifact_uri("https://mlflow", "s3://bucket/x") == "s3://bucket/x"
