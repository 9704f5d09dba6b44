"""Where batch tasks run: one after another in this process, or across a Dask cluster.

``FOREWARN_RUNNER=local`` (the default) runs a flow's batch tasks one at a time, so
memory holds one batch. ``FOREWARN_RUNNER=dask`` hands them to Prefect's
``DaskTaskRunner``: the scheduler at ``FOREWARN_DASK_ADDRESS``, or a local cluster of
``FOREWARN_DASK_WORKERS`` single-threaded worker processes when no address is set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from prefect import Task
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from forewarn.flows.settings import Settings

if TYPE_CHECKING:  # distributed is imported only when a Dask runner is asked for
    from distributed import Client

R = TypeVar("R")


def _cluster_kwargs(settings: Settings) -> dict[str, Any]:
    # One thread per worker: Polars and LightGBM use every core of their process already.
    return {"n_workers": settings.dask_workers, "threads_per_worker": 1, "dashboard_address": None}


def task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings ask for (see the module docstring)."""
    if settings.runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs=_cluster_kwargs(settings))
    # One worker thread: batches run in turn, so memory is bounded by one batch.
    return ThreadPoolTaskRunner(max_workers=1)


def gather(task: Task[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]:
    """Submit ``task`` once per argument tuple to the flow's runner; results in order.

    The first failed batch raises (after its own retries); the others still finish,
    since their futures were submitted already.
    """
    futures = [task.submit(*args) for args in calls]
    return [future.result() for future in futures]


@contextmanager
def dask_client(settings: Settings) -> Iterator[Client]:
    """A ``distributed`` client for LightGBM on Dask: the configured scheduler, or a local
    cluster (closed on exit) when no address is set."""
    from distributed import Client, LocalCluster

    if settings.dask_address:
        with Client(settings.dask_address) as client:
            yield client
        return
    with LocalCluster(**_cluster_kwargs(settings)) as cluster, Client(cluster) as client:
        yield client
