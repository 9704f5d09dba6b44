"""LightGBM on a Dask cluster (``lightgbm.dask``), behind ``train_booster``.

Inside ``boosting_on(client)`` every booster ``train_models`` fits (cross-validation,
risk, RUL point and quantiles) is trained by ``lightgbm.dask``: the encoded rows are
split into one chunk per worker, each worker builds its LightGBM dataset from its
chunk, and the workers grow the trees together over LightGBM's socket network. The
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

if TYPE_CHECKING:  # distributed is an optional dependency (the ``dask`` extra)
    from distributed import Client


def _chunks(client: Client, rows: int) -> int:
    """Rows per chunk: one chunk per worker (a worker without data would sit idle)."""
    workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    return max(1, math.ceil(rows / workers))


def train_on_dask(
    client: Client,
    x: np.ndarray,
    y: np.ndarray,
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

    rows = _chunks(client, len(y))
    data = da.from_array(np.asarray(x, dtype=np.float64), chunks=(rows, x.shape[1]))
    label = da.from_array(np.asarray(y, dtype=np.float64), chunks=(rows,))
    data, label = client.persist([data, label])  # ship the chunks to the workers once
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


@contextmanager
def boosting_on(client: Client) -> Iterator[None]:
    """Train every booster inside the block on ``client``'s Dask cluster."""
    with trained_by(partial(train_on_dask, client)):
        yield
