"""Dask clusters for work outside Prefect tasks: LightGBM training on Dask.

Prefect's ``DaskTaskRunner`` spreads feature batches (``flows.runners``); a booster that
trains across workers needs a ``distributed`` client of its own, from the same settings:
the scheduler at ``FOREWARN_DASK_ADDRESS``, or a local cluster when none is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from forewarn.flows.settings import Settings

if TYPE_CHECKING:  # distributed is imported only when Dask is asked for
    from distributed import Client


def cluster_kwargs(settings: Settings) -> dict[str, Any]:
    """A local cluster's shape: ``dask_workers`` processes of one thread each (Polars and
    LightGBM use every core of their process already)."""
    return {"n_workers": settings.dask_workers, "threads_per_worker": 1, "dashboard_address": None}


@contextmanager
def dask_client(settings: Settings) -> Iterator[Client]:
    """A client of the configured scheduler, or of a local cluster closed on exit."""
    from distributed import Client, LocalCluster

    if settings.dask_address:
        with Client(settings.dask_address) as client:
            yield client
        return
    with LocalCluster(**cluster_kwargs(settings)) as cluster, Client(cluster) as client:
        yield client


def trains_on_dask(settings: Settings, rows: int) -> bool:
    """``dask_training``: ``always``, ``never``, or ``auto`` = with the Dask runner when the
    training frame has more than ``local_training_rows`` rows."""
    if settings.dask_training == "auto":
        return settings.runner == "dask" and rows > settings.local_training_rows
    return settings.dask_training == "always"


@contextmanager
def _on_dask(settings: Settings) -> Iterator[None]:
    from forewarn.models.distributed import boosting_on

    with dask_client(settings) as client, boosting_on(client):
        yield


def training_backend(settings: Settings, rows: int) -> AbstractContextManager[None]:
    """Where the boosters of a ``train_models`` call inside this block are trained."""
    return _on_dask(settings) if trains_on_dask(settings, rows) else nullcontext()
