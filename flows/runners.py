"""Where batch tasks run: one after another in this process, or across a Dask cluster.

``FOREWARN_RUNNER=local`` (the default) runs a flow's batch tasks one at a time, so
memory holds one batch. ``FOREWARN_RUNNER=dask`` hands them to Prefect's
``DaskTaskRunner``: the scheduler at ``FOREWARN_DASK_ADDRESS``, or a local cluster of
``FOREWARN_DASK_WORKERS`` single-threaded worker processes when no address is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from prefect import Task
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from forewarn.flows import progress
from forewarn.flows.cluster import cluster_kwargs
from forewarn.flows.settings import Settings

R = TypeVar("R")


def task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings ask for (see the module docstring)."""
    if settings.runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs=cluster_kwargs(settings))
    # One worker thread: batches run in turn, so memory is bounded by one batch.
    return ThreadPoolTaskRunner(max_workers=1)


def gather(task: Task[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]:
    """Submit ``task`` once per argument tuple to the flow's runner; results in order.

    The first failed batch raises (after its own retries); the others still finish,
    since their futures were submitted already.
    """
    futures = [task.submit(*args) for args in calls]
    results = []
    for i, future in enumerate(futures):
        results.append(future.result())
        progress.advance("batches", i + 1, len(futures))
    return results
