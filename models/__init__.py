"""Failure-risk and RUL models, baselines, evaluation, explanations and the MLflow registry.

Public API (flows and serving call these; everything else is internal):

Training (pure; no MLflow, no clock, no environment)::

    from forewarn.models import ModelConfig, train_models
    result = train_models(
        frame: pl.DataFrame,            # labelled snapshots: asset_id, as_of, features,
                                        # fails_within_{H}, rul_hours, rul_censored
        feature_cols: list[str],        # text columns become categories
        cfg: ModelConfig,               # the [model] section of an experiment file
        horizon: str = "7d",            # label column fails_within_{horizon}
        oracle_col: str | None = None,  # true probabilities (synthetic truth), graded too
        plot_dir: Path | None = None,   # PNG plots written here
    ) -> TrainingResult
    # result.metrics: flat dict "risk.{lightgbm|logistic|prevalence_age|oracle}.{metric}",
    #   "risk.lightgbm_over_oracle.{metric}", "rul.{lightgbm|mean_life}.{metric}",
    #   "data.*", "time.*"; result.beats_baselines, result.notes, result.plots,
    #   result.validation / .rul_validation (raw rows of each validation window),
    #   result.predictions / .rul_predictions, result.cv_folds, result.split

Registry (the only MLflow code: ``forewarn.models.registry``)::

    from forewarn.models.registry import log_and_register, load_champion, list_models
    outcome = log_and_register(result, tracking_uri, experiment_name, config_dict,
                               dataset_info, *, artifact_location=None, run_name=None,
                               commit=None) -> RegistrationOutcome
    # outcome.run_id, .versions {"risk": "3", "rul": "3"}, .decisions {task: PromotionDecision}
    models = load_champion(tracking_uri, *, alias="champion", risk_name="forewarn-risk",
                           rul_name="forewarn-rul") -> ChampionModels
    models.predict(frame, *, strict=True)
        -> pl.DataFrame[asset_id, p_fail, rul_hours, rul_low_hours, rul_high_hours]
    models.explain(frame, top_k=5) -> list[list[str]]   # driver sentences per row
    models.drivers(frame, top_k=5) -> pl.DataFrame[asset_id, rank, feature, contribution,
                                                   sentence]
    models.versions, models.feature_cols, models.horizon
    list_models(tracking_uri, names=("forewarn-risk", "forewarn-rul"))
        -> list[ModelVersionInfo(name, version, aliases, run_id, created_at, horizon, metrics,
           experiment)]
    promote(tracking_uri, name, version, alias="champion")   # manual override

Errors: ``ValueError`` naming the key/column for bad config, missing or leaky columns,
no failures to learn from; ``FeatureMismatchError`` (missing/extra snapshot columns);
``NoChampionError`` when nothing is registered ("run `forewarn train` first").

Imports are lazy and the registry is not imported here: importing mlflow, LightGBM and
matplotlib costs seconds, which a CLI that only parses a config should not pay.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ChampionModels": "forewarn.models.champion",
    "FeatureMismatchError": "forewarn.models.champion",
    "LightGBMParams": "forewarn.models.config",
    "ModelConfig": "forewarn.models.config",
    "TrainingResult": "forewarn.models.training",
    "train_models": "forewarn.models.training",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # Lazy: `forewarn.models.config` is imported by every CLI command, and should not
    # drag in LightGBM, scikit-learn and matplotlib just to parse a config file.
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
