"""Write a fleet to disk one asset batch at a time, atomically.

Layout: ``assets.parquet``, ``events.parquet``, ``telemetry/part-NNNNN.parquet`` and
``truth/part-NNNNN.parquet`` (one part per batch), ``fleet.json`` (config, counts,
rates, drift record). Everything goes to a hidden temporary folder next to ``out_dir``
that is renamed into place at the end, so readers never see half a dataset. Memory
is bounded by one batch of telemetry whatever the fleet size; the small tables
(assets, events) are kept until the end.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.config import FleetConfig
from forewarn.synthetic.fleet import describe, rates, simulate_batch

ProgressCallback = Callable[[int, int], None]


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    # Fixed compression and row groups keep the bytes a function of the data alone.
    frame.write_parquet(path, compression="zstd", compression_level=3, row_group_size=1_000_000)


def _check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} is not empty; pass overwrite=True to replace it")


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished folder onto ``out``, removing what was there only afterwards."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    if old.exists():
        shutil.rmtree(old)


def _generate(
    cfg: FleetConfig, tmp: Path, batch_assets: int, on_progress: ProgressCallback | None
) -> dict[str, Any]:
    (tmp / "telemetry").mkdir(parents=True)
    (tmp / "truth").mkdir()
    counts: dict[str, int] = {}
    events: list[pl.DataFrame] = []
    assets: list[pl.DataFrame] = []
    affected: list[AssetSpec] = []
    for part, first in enumerate(range(0, cfg.n_assets, batch_assets)):
        stop = min(first + batch_assets, cfg.n_assets)
        batch = simulate_batch(cfg, range(first, stop))
        _write_parquet(batch.fleet.telemetry, tmp / "telemetry" / f"part-{part:05d}.parquet")
        _write_parquet(batch.fleet.truth, tmp / "truth" / f"part-{part:05d}.parquet")
        events.append(batch.fleet.events)
        assets.append(batch.fleet.assets)
        affected.extend(batch.affected)
        counts = {k: counts.get(k, 0) + v for k, v in batch.counts.items()}
        del batch
        if on_progress is not None:
            on_progress(stop, cfg.n_assets)
    _write_parquet(pl.concat(events), tmp / "events.parquet")
    _write_parquet(pl.concat(assets), tmp / "assets.parquet")
    summary = describe(cfg, affected) | {"counts": counts, "rates": rates(cfg, counts)}
    text = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False)
    (tmp / "fleet.json").write_text(text + "\n", encoding="utf-8")
    return summary


def write_fleet(
    cfg: FleetConfig,
    out_dir: str | os.PathLike[str],
    batch_assets: int = 500,
    on_progress: ProgressCallback | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Simulate the fleet ``cfg`` describes and write it to ``out_dir``.

    The output does not depend on ``batch_assets`` except for how telemetry and truth
    are split into part files: each asset is seeded from (seed, index).

    Args:
        cfg: what to simulate.
        out_dir: target folder; must be absent or empty unless ``overwrite``.
        batch_assets: assets generated and written together (bounds memory).
        on_progress: called as ``on_progress(done_assets, total_assets)`` after each batch.
        overwrite: replace a non-empty ``out_dir`` (only once the new one is complete).

    Returns:
        The summary also written to ``fleet.json``: config, sensors, types, counts,
        realised rates and the drift record.

    Raises:
        FileExistsError: ``out_dir`` is a file, or a non-empty folder without ``overwrite``.
        ValueError: ``batch_assets`` is not positive.
    """
    if batch_assets < 1:
        raise ValueError("batch_assets must be at least 1")
    out = Path(out_dir)
    _check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        summary = _generate(cfg, tmp, batch_assets, on_progress)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary
