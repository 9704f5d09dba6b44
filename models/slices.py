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
  straight into a preallocated float32 array (``encoding.TRAINING_DTYPE``), in the
  order the booster expects.

In-memory and lazy callers run this same code, so they train the same models; every
wide slice is sorted by ``(as_of, asset_id)``, the order ``train_models`` always used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from forewarn.models.boosting import reads_parts
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder

ORDER = ("as_of", "asset_id")
CHUNK_ROWS = 50_000
"""Rows per encoded chunk: about 0.1 GB of frame plus as much matrix at 283 features (a
chunk reads only the parts holding its assets, so small chunks cost little)."""
PREDICT_ROWS = 100_000
"""Rows per prediction chunk: a model's matrix of a big validation slice, a piece at a time."""


def by_chunks(frame: pl.DataFrame, predict: Callable[[pl.DataFrame], np.ndarray]) -> np.ndarray:
    """``predict`` applied to ``frame`` ``PREDICT_ROWS`` rows at a time, concatenated.

    Row-wise models give the same numbers; only one chunk's encoded matrix (and a
    pipeline's copies of it) is in memory instead of the whole frame's.
    """
    if frame.height <= PREDICT_ROWS:
        return predict(frame)
    pieces = [predict(frame.slice(i, PREDICT_ROWS)) for i in range(0, frame.height, PREDICT_ROWS)]
    return np.concatenate(pieces)


def collect(query: pl.LazyFrame) -> pl.DataFrame:
    """Run a slice's query on Polars' streaming engine.

    Measured on the 10,000-asset frame (11 parts, 3.6M x 288), reading the risk sample
    (625k rows, 1.44 GB): streaming 4.6 s and 2.1 GB peak; the in-memory engine 10.9 s
    and 7.5 GB (it decodes whole files before filtering them).
    """
    return query.collect(engine="streaming")


def sort_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by ``(as_of, asset_id)``, one column at a time.

    ``DataFrame.sort`` builds every sorted column before dropping the old ones (twice
    the frame at once); gathering a column at a time frees each old column as it goes.
    Measured on the 10k risk sample (625k x 288, 1.44 GB): peak 4.7 GB vs 2.2 GB.
    """
    order = frame.select(ORDER).with_row_index("_i").sort(*ORDER, maintain_order=True)
    index = order.get_column("_i")
    for col in frame.columns:
        frame = frame.with_columns(frame.get_column(col).gather(index))
    return frame


@dataclass(frozen=True)
class PartRows:
    """A training slice given as Parquet parts, a row filter and a target: what a Dask
    trainer needs to read and encode the booster's rows on its workers.

    Attributes:
        parts: Parquet files (local paths or fsspec URLs the workers can read).
        where: the slice's row filter.
        target: the booster's target, an expression over the same rows.
        encoder: fitted encoder; its expressions build the matrix inside the scan
            (set by the model that fits it, ``with_encoder``).
    """

    parts: tuple[str, ...]
    where: pl.Expr
    target: pl.Expr
    encoder: FeatureEncoder | None = None

    def with_encoder(self, encoder: FeatureEncoder) -> PartRows:
        """The same rows, encoded by ``encoder``."""
        return replace(self, encoder=encoder)

    @property
    def _encoder(self) -> FeatureEncoder:
        if self.encoder is None:
            raise ValueError("PartRows has no encoder: call with_encoder first")
        return self.encoder

    @property
    def feature_names(self) -> list[str]:
        """Matrix columns, in order."""
        return self._encoder.feature_cols

    def counts(self) -> list[int]:
        """Rows of the slice in each part (a narrow scan, no feature read)."""
        return [
            collect(pl.scan_parquet(p).filter(self.where).select(pl.len())).item()
            for p in self.parts
        ]

    def read(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """One part's rows of the slice as ``(x, y)``, sorted by ``(as_of, asset_id)``."""
        query = pl.scan_parquet(part).filter(self.where)
        rows = query.select(*ORDER, self.target.alias("_y"), *self._encoder.exprs())
        rows = collect(rows).sort(*ORDER)
        x = rows.select(self.feature_names).to_numpy().astype(TRAINING_DTYPE, copy=False)
        return x, rows.get_column("_y").cast(pl.Float64).to_numpy()


@dataclass(frozen=True)
class FrameSource:
    """A training frame as a lazy query, with its column names.

    Attributes:
        rows: the frame (``pl.scan_parquet`` of a file or a folder of parts, or an
            in-memory frame made lazy).
        columns: its column names, from the schema (no data read).
        parts: the Parquet files behind ``rows`` when known (``FrameSource.parquet``),
            so Dask workers can read a slice themselves (``PartRows``).
    """

    rows: pl.LazyFrame
    columns: tuple[str, ...]
    parts: tuple[str, ...] = ()

    @classmethod
    def of(cls, frame: pl.DataFrame | pl.LazyFrame | FrameSource) -> FrameSource:
        """Wrap an in-memory frame or a lazy scan (a ``FrameSource`` is returned as is)."""
        if isinstance(frame, FrameSource):
            return frame
        rows = frame.lazy()
        return cls(rows, tuple(rows.collect_schema().names()))

    @classmethod
    def parquet(cls, path: str | Path) -> FrameSource:
        """A Parquet file, or a folder of parts (``part-*.parquet``, a batched build)."""
        folder = Path(path)
        parts = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
        parts = parts or [str(path)]
        rows = pl.scan_parquet(parts)
        return cls(rows, tuple(rows.collect_schema().names()), tuple(parts))

    def part_rows(self, where: pl.Expr, target: pl.Expr) -> PartRows | None:
        """The slice ``where`` for a trainer that reads Parquet parts itself (Dask), or
        None: no parts known, or the active trainer builds its matrix in this process."""
        if not self.parts or not reads_parts():
            return None
        return PartRows(self.parts, where, target)

    def narrow(self, where: pl.Expr, columns: list[str], **extra: pl.Expr) -> pl.DataFrame:
        """The rows matching ``where``, only ``columns`` (those the frame has) plus ``extra``
        computed columns, sorted by ``(as_of, asset_id)``."""
        wanted = {*ORDER, *columns}
        keep = [c for c in self.columns if c in wanted]  # the frame's column order
        query = self.rows.filter(where).select(*keep, **extra)
        return sort_rows(collect(query))

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
    """The encoded features of ``rows`` (``TRAINING_DTYPE``), one matrix row per row of
    ``keys``, in its order.

    ``rows`` (a filtered scan) must hold exactly the snapshots of ``keys`` (its
    ``asset_id`` and ``as_of``). Each chunk of about ``chunk_rows`` (default
    ``CHUNK_ROWS``) rows is read, encoded inside the query and
    written to its rows' positions, so memory is the matrix plus one chunk.

    Raises:
        ValueError: ``rows`` and ``keys`` disagree (a row not in ``keys``, or missing).
    """
    index = keys.select(ORDER).with_row_index("_pos")
    out = np.empty((keys.height, len(encoder.feature_cols)), dtype=TRAINING_DTYPE)
    written = 0
    for assets in asset_chunks(keys, chunk_rows or CHUNK_ROWS):
        part = rows.filter(pl.col("asset_id").is_in(assets)).select(*ORDER, *encoder.exprs())
        part = collect(part).join(index, on=list(ORDER), how="left")
        pos = part.get_column("_pos")
        if pos.null_count():
            raise ValueError("encode_rows: the scan returned rows that are not in keys")
        out[pos.to_numpy()] = part.select(encoder.feature_cols).to_numpy()
        written += part.height
    if written != keys.height:
        raise ValueError(f"encode_rows: {written} rows read for {keys.height} keys")
    return out
