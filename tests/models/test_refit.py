"""Refit for service, the split by assets, and RUL candidates compared by CV."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from forewarn.models.config import LightGBMParams, ModelConfig
from forewarn.models.training import train_models
from tests.models.conftest import FEATURES, small_config


def _flip_after(frame: pl.DataFrame, when: object) -> pl.DataFrame:
    later = pl.col("as_of") > when
    label = pl.col("fails_within_7d")
    return frame.with_columns(
        pl.when(later).then(~label).otherwise(label).alias(label.meta.output_name())
    )


@pytest.mark.slow
def test_served_models_are_refit_on_every_labelled_row(snapshots: pl.DataFrame) -> None:
    held_out = train_models(snapshots, FEATURES, small_config(cv_folds=0, refit=False))
    served = train_models(snapshots, FEATURES, small_config(cv_folds=0))
    # Validation grades the held-out fit: the logged metrics are the same either way.
    for key in (
        "risk.lightgbm.pr_auc",
        "rul.lightgbm.mae_capped",
        "rul.lightgbm.interval_coverage",
    ):
        assert served.metrics[key] == pytest.approx(held_out.metrics[key])
    assert served.metrics["data.refit"] == 1.0 and held_out.metrics["data.refit"] == 0.0
    assert served.metrics["data.refit_risk_rows"] > held_out.metrics["data.train_rows"] * 0.25
    assert served.metrics["data.refit_rul_rows"] > held_out.metrics["data.rul_train_rows"]
    assert any(
        n.startswith("validation metrics are those of the held-out fit") for n in served.notes
    )
    # Kept from the held-out fit: the probability map and the interval offsets.
    assert served.risk.calibrator_.to_dict() == held_out.risk.calibrator_.to_dict()
    assert served.rul.intervals_ == held_out.rul.intervals_
    # The served booster learned from the newest labels (the validation window's).
    flipped = _flip_after(snapshots, served.split.train_end)
    relearned = train_models(flipped, FEATURES, small_config(cv_folds=0))
    ours, theirs = (m.risk.predict_raw(served.validation) for m in (served, relearned))
    assert not np.allclose(ours, theirs)


@pytest.mark.slow
def test_split_by_assets_keeps_every_asset_in_one_group(snapshots: pl.DataFrame) -> None:
    cfg = small_config(split="assets", holdout_assets=0.2, cv_folds=2, refit=False)
    result = train_models(snapshots, FEATURES, cfg)
    split = result.split
    validated = set(result.validation["asset_id"].unique().to_list())
    assert validated == set(split.holdout)
    assert not split.holdout & split.calibration_assets and split.calibration_assets
    assert set(result.rul_validation["asset_id"].unique().to_list()) <= set(split.holdout)
    # Every time is used: validation spans the whole history, not its last window.
    assert result.validation["as_of"].min() == snapshots["as_of"].min()
    assert {f.valid_start for f in result.cv_folds} == {"assets fold 1/2", "assets fold 2/2"}
    assert not np.isnan(result.metrics["rul.lightgbm.interval_coverage"])


def test_split_by_assets_needs_a_holdout_share() -> None:
    with pytest.raises(ValidationError, match="holdout_assets"):
        ModelConfig(split="assets")


@pytest.mark.slow
def test_rul_candidates_are_compared_by_cross_validation(snapshots: pl.DataFrame) -> None:
    weak = LightGBMParams(n_estimators=1, num_leaves=2, min_child_samples=20)
    good = LightGBMParams(n_estimators=60, num_leaves=15, min_child_samples=20)
    cfg = small_config(refit=False, rul_lightgbm=weak, rul_candidates=(good,))
    result = train_models(snapshots, FEATURES, cfg)
    assert result.selected_rul_candidate == 1
    assert {f.candidate for f in result.rul_cv_folds} == {0, 1}
    assert result.rul.params == good
    by_candidate = {
        c: np.mean([f.metrics["mae_capped"] for f in result.rul_cv_folds if f.candidate == c])
        for c in (0, 1)
    }
    assert by_candidate[1] < by_candidate[0]
