"""Command-line options for big fleets, shared by ``forewarn train`` and ``forewarn score``.

Each overrides one setting (``flows.settings``) for the run; unset, the environment's
``FOREWARN_RUNNER`` / ``FOREWARN_DASK_ADDRESS`` / ``FOREWARN_BATCH_ASSETS`` apply.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Runner(StrEnum):
    """Where feature batches run (``flows.runners``)."""

    local = "local"
    dask = "dask"


RunnerOption = Annotated[
    Runner | None,
    typer.Option(
        "--runner",
        help="Where feature batches run: one at a time here, or on Dask.",
        show_default="local",
    ),
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786; unset with --runner dask: a local cluster.",
    ),
]
BatchAssetsOption = Annotated[
    int | None,
    typer.Option(
        "--batch-assets",
        min=1,
        help="Assets per feature batch (default: batches of about 8M readings).",
    ),
]
