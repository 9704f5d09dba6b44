"""The steps flows are made of: each reads inputs from paths, calls pure library code,
and writes its outputs to paths. Flows wrap these as Prefect tasks; the CLI may call the
quick ones directly. Nothing here imports prefect.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from forewarn.features.atomic import write_parquet_atomic
from forewarn.features.dataset import ValidationReport, load_dataset, summarize


def _dataset_name(url: str) -> str:
    name = str(url).rstrip("/").rsplit("/", 1)[-1]
    return name or "dataset"


def validate_and_quarantine(
    url: str, as_of: datetime | None, rejects: Path
) -> tuple[ValidationReport, Path | None]:
    """Validate the dataset at ``url`` and write its rejected rows, if any.

    Args:
        url: dataset folder or fsspec URL.
        as_of: rows after this time are rejected (scoring must not see the future).
        rejects: a ``.parquet`` file path, or a folder for ``<dataset name>.parquet``.

    Returns:
        The validation report and the rejects file written (None when nothing was rejected).
    """
    dataset = load_dataset(url, as_of=as_of)
    report = summarize(dataset)
    if report.total_rejected == 0:
        return report, None
    path = rejects if rejects.suffix == ".parquet" else rejects / f"{_dataset_name(url)}.parquet"
    write_parquet_atomic(dataset.rejects.collect(), path)
    return report, path
