"""LightGBM on a Dask cluster (``lightgbm.dask``), behind ``train_booster``.

Inside ``boosting_on(client)`` every booster ``train_models`` fits (cross-validation,
risk, RUL point and quantiles) is trained by ``lightgbm.dask``: each worker builds its
LightGBM dataset from its chunks of rows, and the workers grow the trees together over
LightGBM's socket network. When the training frame is a folder of Parquet parts
(``slices.FrameSource.parquet``), the risk and RUL boosters' rows are read by the workers:
one chunk per part, filtered, sampled and encoded on the worker (``slices.PartRows``), so
no feature value passes through the driver. Otherwise (an in-memory frame, and the
cross-validation folds) the encoded rows are split into one chunk per worker and sent. The
result is an ordinary ``lgb.Booster``, so calibration, explanations and the registry
are unchanged. Models are not bit-identical to single-process ones (histograms are
built per worker and merged); tests check they rank and grade alike.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from forewarn.models.boosting import trained_by
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import TRAINING_DTYPE
from forewarn.models.slices import PartRows

if TYPE_CHECKING:  # distributed is an optional dependency (the ``dask`` extra)
    from distributed import Client


def _chunks(client: Client, rows: int) -> int:
    """Rows per chunk: one chunk per worker (a worker without data would sit idle)."""
    workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    return max(1, math.ceil(rows / workers))


def train_on_dask(
    client: Client,
    x: np.ndarray | PartRows,
    y: np.ndarray | None,
    *,
    params: LightGBMParams,
    seed: int,
    objective: str,
    feature_names: list[str],
    categorical: list[int],
    **extra: Any,
) -> lgb.Booster:
    """``train_booster``'s contract, trained by ``lightgbm.dask`` on ``client``'s workers."""
    import dask.array as da
    from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRegressor

    if isinstance(x, PartRows):  # the workers read the Parquet parts themselves
        data, label = _read_on_workers(x)
    else:
        rows = _chunks(client, len(y))
        data = da.from_array(np.asarray(x), chunks=(rows, x.shape[1]))  # float32 stays
        label = da.from_array(np.asarray(y, dtype=np.float64), chunks=(rows,))
    data, label = client.persist([data, label])  # ship (or read) the chunks once
    booster = params.booster_params(seed, objective, **extra)
    booster.pop("num_threads", None)  # lightgbm.dask uses each worker's own thread count
    kind = DaskLGBMClassifier if objective == "binary" else DaskLGBMRegressor
    model = kind(client=client, n_estimators=params.n_estimators, **booster)
    with warnings.catch_warnings():  # the Dask estimators pass n_jobs themselves, then drop it
        warnings.filterwarnings("ignore", "Parameter (n_jobs|num_threads) will be ignored")
        model.fit(
            data, label, feature_name=feature_names, categorical_feature=categorical or "auto"
        )
    return model.booster_


def _read_on_workers(rows: PartRows) -> tuple[Any, Any]:
    """Dask arrays of one chunk per Parquet part, each read and encoded by a worker.

    The driver only counts each part's rows (a narrow scan) so the chunks have known
    shapes; no feature value passes through it.
    """
    import dask
    import dask.array as da

    width = len(rows.feature_names)
    xs, ys = [], []
    for path, n in zip(rows.parts, rows.counts(), strict=True):
        if n == 0:
            continue
        x, y = dask.delayed(rows.read, nout=2, pure=True)(path)
        xs.append(da.from_delayed(x, shape=(n, width), dtype=TRAINING_DTYPE))
        ys.append(da.from_delayed(y, shape=(n,), dtype=np.float64))
    return da.concatenate(xs), da.concatenate(ys)


@contextmanager
def boosting_on(client: Client) -> Iterator[None]:
    """Train every booster inside the block on ``client``'s Dask cluster; a training
    slice given as Parquet parts (``slices.PartRows``) is read by the workers."""
    with trained_by(partial(train_on_dask, client), reads_parts=True):
        yield
