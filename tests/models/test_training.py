"""train_models end to end on a small fleet with a learnable signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forewarn.models.config import LightGBMParams
from forewarn.models.training import TrainingResult, _compare, train_models
from tests.models.conftest import FEATURES, small_config


def test_lightgbm_learns_and_beats_the_prevalence_baseline(trained: TrainingResult) -> None:
    m = trained.metrics
    assert m["risk.lightgbm.pr_auc"] > 0.8
    assert m["risk.lightgbm.pr_auc"] > m["risk.prevalence_age.pr_auc"] + 0.3
    assert m["risk.lightgbm_over_oracle.pr_auc"] > 0.8
    assert m["risk.lightgbm.event_recall"] >= 0.8
    assert m["rul.lightgbm.rmse_capped"] < m["rul.mean_life.rmse_capped"]
    assert 0.6 <= m["rul.lightgbm.interval_coverage"] <= 0.97
    assert m["data.train_positives"] > 0 and m["data.validation_rows"] > 0
    assert set(trained.beats_baselines) == {"risk", "rul"}


def test_probabilities_are_calibrated(trained: TrainingResult) -> None:
    assert trained.metrics["risk.lightgbm.ece"] < 0.05
    assert trained.risk.calibrator_ is not None
    table = trained.curves["lightgbm"]["calibration"]
    assert len(table) == 10 and sum(row["count"] for row in table) > 0
    assert len(trained.curves["lightgbm"]["lead_hours"]) > 0


def test_plots_are_png_files(trained: TrainingResult) -> None:
    expected = {"pr_curve", "calibration", "lead_time", "feature_importance", "rul_pred_vs_true"}
    assert set(trained.plots) == expected
    for path in trained.plots.values():
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_cv_folds_are_time_ordered(trained: TrainingResult) -> None:
    folds = trained.cv_folds
    assert len(folds) == 2 and all(f.candidate == 0 for f in folds)
    assert folds[0].valid_end < folds[1].valid_end
    assert folds[1].valid_end <= str(trained.split.train_end)


def test_booster_never_sees_labels_after_training_end(snapshots: pl.DataFrame) -> None:
    # The held-out fit (the one validation grades); the service refit learns from
    # everything by design (test_refit.py).
    cfg = small_config(cv_folds=0, refit=False)
    base = train_models(snapshots, FEATURES, cfg)
    later = pl.col("as_of") > base.split.train_end
    flipped = snapshots.with_columns(
        pl.when(later)
        .then(~pl.col("fails_within_7d"))
        .otherwise(pl.col("fails_within_7d"))
        .alias("fails_within_7d")
    )
    other = train_models(flipped, FEATURES, cfg)
    np.testing.assert_allclose(
        other.risk.predict_raw(base.validation), base.risk.predict_raw(base.validation)
    )


def test_negative_sampling_keeps_quality_and_calibration(snapshots: pl.DataFrame) -> None:
    result = train_models(snapshots, FEATURES, small_config(negative_sample_rate=0.3, cv_folds=0))
    assert result.metrics["risk.lightgbm.pr_auc"] > 0.8
    assert result.metrics["risk.lightgbm.ece"] < 0.05  # calibration undoes the sampling


def test_rul_is_graded_on_its_own_window(trained: TrainingResult) -> None:
    assert trained.rul_validation["as_of"].max() <= trained.split.rul_validation.end
    assert trained.rul_predictions.height == trained.rul_validation.height
    m = trained.metrics
    assert m["data.rul_validation_rows"] == m["rul.lightgbm.rows_capped"]


def test_cv_selects_the_better_candidate(snapshots: pl.DataFrame) -> None:
    weak = LightGBMParams(n_estimators=1, num_leaves=2, learning_rate=0.01, num_threads=1)
    strong = small_config().lightgbm
    by_pr_auc = {"promotion_metric": "pr_auc", "tie_break_metric": "roc_auc"}
    first = train_models(
        snapshots, FEATURES, small_config(lightgbm=weak, candidates=(strong,), **by_pr_auc)
    )
    assert first.selected_candidate == 1
    means = [first.cv_folds[i].metrics["pr_auc"] for i in range(2)]
    assert means[1] > means[0]


def test_holdout_assets_are_validated_only(snapshots: pl.DataFrame) -> None:
    result = train_models(snapshots, FEATURES, small_config(holdout_assets=0.3, cv_folds=0))
    assert set(result.validation["asset_id"]) == set(result.split.holdout)
    assert result.metrics["data.holdout_assets"] == len(result.split.holdout)


def test_zero_positive_labels_is_a_clear_error(snapshots: pl.DataFrame) -> None:
    none = snapshots.with_columns(pl.col("fails_within_7d") & pl.lit(False))
    with pytest.raises(ValueError, match="no positive 'fails_within_7d' labels"):
        train_models(none, FEATURES, small_config(cv_folds=0))


@pytest.mark.parametrize(
    ("features", "match"),
    [
        ([*FEATURES, "fails_within_7d"], "label, id or oracle"),
        ([*FEATURES, "rul_hours"], "label, id or oracle"),
        ([*FEATURES, "p_true_7d"], "label, id or oracle"),
        ([*FEATURES, "nope__mean_7d"], "lacks columns: \\['nope__mean_7d'\\]"),
        ([], "feature_cols is empty"),
        (["plant", "plant"], "twice"),
    ],
)
def test_bad_feature_lists_are_refused(
    snapshots: pl.DataFrame, features: list[str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        train_models(snapshots, features, small_config(), oracle_col="p_true_7d")


def test_bad_config_fails_before_any_work(snapshots: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="gap"):
        train_models(snapshots, FEATURES, small_config(gap="2d"), "7d")
    with pytest.raises(ValueError, match="fails_within_3d"):
        train_models(snapshots, FEATURES, small_config(lead_time="1h"), "3d")


def test_compare_reports_a_model_that_loses() -> None:
    metrics = {
        "risk.lightgbm.event_recall": 0.5,
        "risk.lightgbm.pr_auc": 0.4,
        "risk.logistic.event_recall": 0.6,
        "risk.logistic.pr_auc": 0.3,
        "risk.prevalence_age.event_recall": 0.1,
        "risk.prevalence_age.pr_auc": 0.1,
        "rul.lightgbm.mae_capped": 10.0,
        "rul.mean_life.mae_capped": 20.0,
    }
    verdict, notes = _compare(metrics, small_config())
    assert verdict == {"risk": False, "rul": True}
    assert notes == [
        "LightGBM risk model does NOT beat the logistic baseline on event_recall: 0.5 vs 0.6"
    ]


def test_plots_are_optional(tmp_path: Path, trained: TrainingResult) -> None:
    assert trained.plots  # fixture asked for plots; the cheaper runs above did not
    assert not list(tmp_path.iterdir())
