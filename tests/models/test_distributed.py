"""LightGBM on a 2-worker Dask cluster: the same pipeline, models that rank and grade alike.

``lightgbm.dask`` builds histograms per worker and merges them, so its trees are not
bit-identical to a single process's; the checks are that every booster really trains on
Dask, that predictions correlate closely and that validation metrics are close.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest

from forewarn.flows.cluster import trains_on_dask
from forewarn.flows.settings import load_settings
from forewarn.models import boosting
from forewarn.models.distributed import boosting_on
from forewarn.models.training import TrainingResult, train_models
from tests.models.conftest import FEATURES, small_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def local_and_dask(
    snapshots: pl.DataFrame, client: object
) -> tuple[TrainingResult, TrainingResult]:
    cfg = small_config()
    local = train_models(snapshots, FEATURES, cfg, "7d")
    patch = pytest.MonkeyPatch()

    def no_local_training(*_a: object, **_k: object) -> lgb.Booster:
        raise AssertionError("a booster was trained in-process inside boosting_on")

    patch.setattr(boosting.lgb, "train", no_local_training)  # lightgbm.dask does not use it
    try:
        with boosting_on(client):  # type: ignore[arg-type]
            on_dask = train_models(snapshots, FEATURES, cfg, "7d")
    finally:
        patch.undo()
    return local, on_dask


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_risk_model_on_dask_ranks_and_grades_like_one_process(
    local_and_dask: tuple[TrainingResult, TrainingResult],
) -> None:
    local, on_dask = local_and_dask
    assert on_dask.risk.booster_.num_trees() == small_config().lightgbm.n_estimators
    a = local.risk.predict_raw(local.validation)
    b = on_dask.risk.predict_raw(local.validation)
    assert _corr(a, b) > 0.95
    for metric in ("roc_auc", "pr_auc"):
        ours, theirs = local.model_metrics("risk")[metric], on_dask.model_metrics("risk")[metric]
        assert abs(ours - theirs) < 0.03, metric


def test_rul_model_on_dask_predicts_like_one_process(
    local_and_dask: tuple[TrainingResult, TrainingResult],
) -> None:
    local, on_dask = local_and_dask
    point = [m.rul.predict(local.rul_validation)[0] for m in (local, on_dask)]
    assert _corr(*point) > 0.95
    ours, theirs = (m.model_metrics("rul")["mae_capped"] for m in (local, on_dask))
    # One part per asset type, and the types' failure signatures differ (conftest): each
    # worker's histograms see one signature, so the data-parallel trees differ more.
    assert theirs == pytest.approx(ours, rel=0.25)


def test_the_settings_choose_when_to_train_on_dask() -> None:
    def on(rows: int, **kw: object) -> bool:
        return trains_on_dask(load_settings(local_training_rows=1000, **kw), rows)

    assert not on(10**6)  # the local runner keeps training local
    assert not on(999, runner="dask") and on(1001, runner="dask")
    assert on(10, dask_training="always") and not on(10**6, runner="dask", dask_training="never")


def test_workers_read_the_boosters_rows_from_the_parquet_parts(
    snapshots: pl.DataFrame, client: object, tmp_path: Path
) -> None:
    """A frame given as Parquet parts: no booster matrix is built here or shipped from here
    (``dask.array.from_array`` and the chunked encoder are off); the workers read the
    parts, and the models rank and grade like the in-process ones."""
    import dask.array

    from forewarn.models import refit
    from forewarn.models.slices import FrameSource

    for i, asset_type in enumerate(snapshots["asset_type"].unique().sort()):
        part = snapshots.filter(pl.col("asset_type") == asset_type)
        part.write_parquet(tmp_path / f"part-{i}.parquet")
    cfg = small_config(cv_folds=0, negative_sample_rate=0.5)
    local = train_models(snapshots, FEATURES, cfg, "7d")

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a booster's rows were built in this process")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boosting.lgb, "train", refuse)
        patch.setattr(dask.array, "from_array", refuse)
        patch.setattr(refit, "encode_rows", refuse)
        with boosting_on(client):  # type: ignore[arg-type]
            on_dask = train_models(FrameSource.parquet(tmp_path), FEATURES, cfg, "7d")

    assert on_dask.validation.equals(local.validation)  # the same slices
    a, b = (m.risk.predict_raw(local.validation) for m in (local, on_dask))
    assert _corr(a, b) > 0.95
    for metric in ("roc_auc", "pr_auc"):
        ours, theirs = local.model_metrics("risk")[metric], on_dask.model_metrics("risk")[metric]
        assert abs(ours - theirs) < 0.03, metric
    point = [m.rul.predict(local.rul_validation)[0] for m in (local, on_dask)]
    assert _corr(*point) > 0.95
    ours, theirs = (m.model_metrics("rul")["mae_capped"] for m in (local, on_dask))
    # One part per asset type, and the types' failure signatures differ (conftest): each
    # worker's histograms see one signature, so the data-parallel trees differ more.
    assert theirs == pytest.approx(ours, rel=0.25)
