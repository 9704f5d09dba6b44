"""The slices ``train_models`` learns from, each read from a lazy frame when it is needed.

Why: at 10,000 assets x 365 days the training frame is 3.6M rows x 288 columns (about
8.7 GB as float64). Reading it whole and filtering afterwards holds the frame and
several slices at once. Here every slice is a query on a ``pl.LazyFrame`` (a scan of
the frame's Parquet parts, or an in-memory frame's ``.lazy()``), so its row filter and
column choice are pushed into the scan:

- the split is planned on three narrow columns (asset, time, label);
- negative sampling is a filter on a hash of each row (``splits.seeded_draw``), so the
  risk booster's sample is read without reading the rows it drops;
- the RUL rows (unsampled, the largest matrix) are encoded one asset chunk at a time
  straight into a preallocated float64 array, in the order the booster expects.

In-memory and lazy callers run this same code, so they train the same models; every
wide slice is sorted by ``(as_of, asset_id)``, the order ``train_models`` always used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from forewarn.models.encoding import FeatureEncoder

ORDER = ("as_of", "asset_id")
CHUNK_ROWS = 200_000
"""Rows per encoded chunk: about 0.45 GB of frame plus as much matrix at 283 features."""


@dataclass(frozen=True)
class FrameSource:
    """A training frame as a lazy query, with its column names.

    Attributes:
        rows: the frame (``pl.scan_parquet`` of a file or a folder of parts, or an
            in-memory frame made lazy).
        columns: its column names, from the schema (no data read).
    """

    rows: pl.LazyFrame
    columns: tuple[str, ...]

    @classmethod
    def of(cls, frame: pl.DataFrame | pl.LazyFrame) -> FrameSource:
        """Wrap an in-memory frame or a lazy scan."""
        rows = frame.lazy()
        return cls(rows, tuple(rows.collect_schema().names()))

    def narrow(self, where: pl.Expr, columns: list[str], **extra: pl.Expr) -> pl.DataFrame:
        """The rows matching ``where``, only ``columns`` (those the frame has) plus ``extra``
        computed columns, sorted by ``(as_of, asset_id)``."""
        wanted = {*ORDER, *columns}
        keep = [c for c in self.columns if c in wanted]  # the frame's column order
        query = self.rows.filter(where).select(*keep, **extra)
        return query.collect().sort(*ORDER)

    def wide(self, where: pl.Expr, columns: list[str] | None = None) -> pl.DataFrame:
        """Like ``narrow``; ``columns=None`` keeps every column."""
        return self.narrow(where, list(self.columns) if columns is None else columns)


def asset_chunks(keys: pl.DataFrame, chunk_rows: int) -> list[list[str]]:
    """Assets of ``keys`` in groups of about ``chunk_rows`` rows (an asset is never split)."""
    counts = keys.group_by("asset_id").len().sort("asset_id")
    groups: list[list[str]] = [[]]
    filled = 0
    for asset, n in counts.iter_rows():
        if groups[-1] and filled + n > chunk_rows:
            groups.append([])
            filled = 0
        groups[-1].append(asset)
        filled += n
    return [g for g in groups if g]


def encode_rows(
    encoder: FeatureEncoder,
    rows: pl.LazyFrame,
    keys: pl.DataFrame,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """The encoded features of ``rows``, one matrix row per row of ``keys``, in its order.

    ``rows`` (a filtered scan) must hold exactly the snapshots of ``keys`` (its
    ``asset_id`` and ``as_of``). Each chunk of about ``chunk_rows`` (default
    ``CHUNK_ROWS``) rows is read, encoded inside the query and
    written to its rows' positions, so memory is the matrix plus one chunk.

    Raises:
        ValueError: ``rows`` and ``keys`` disagree (a row not in ``keys``, or missing).
    """
    index = keys.select(ORDER).with_row_index("_pos")
    out = np.empty((keys.height, len(encoder.feature_cols)), dtype=np.float64)
    written = 0
    for assets in asset_chunks(keys, chunk_rows or CHUNK_ROWS):
        part = rows.filter(pl.col("asset_id").is_in(assets)).select(*ORDER, *encoder.exprs())
        part = part.collect().join(index, on=list(ORDER), how="left")
        pos = part.get_column("_pos")
        if pos.null_count():
            raise ValueError("encode_rows: the scan returned rows that are not in keys")
        out[pos.to_numpy()] = part.select(encoder.feature_cols).to_numpy()
        written += part.height
    if written != keys.height:
        raise ValueError(f"encode_rows: {written} rows read for {keys.height} keys")
    return out
