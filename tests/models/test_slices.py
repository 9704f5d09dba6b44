"""Training from a lazy scan of Parquet parts equals training from the frame in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forewarn.models import slices
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder
from forewarn.models.slices import FrameSource, asset_chunks, encode_rows
from forewarn.models.splits import sample_negatives
from forewarn.models.training import TrainingResult, train_models
from tests.models.conftest import FEATURES, small_config

LABEL = "fails_within_7d"


def _write_parts(frame: pl.DataFrame, folder: Path, parts: int) -> Path:
    """The frame as ``parts`` Parquet files by asset, rows shuffled inside each file
    (as a batched build writes them: asset batches, in no particular time order)."""
    folder.mkdir()
    assets = frame["asset_id"].unique().sort().to_list()
    for i, group in enumerate(np.array_split(np.array(assets), parts)):
        part = frame.filter(pl.col("asset_id").is_in(group.tolist()))
        part.sample(fraction=1.0, shuffle=True, seed=i).write_parquet(folder / f"part-{i}.parquet")
    return folder


def _same(a: TrainingResult, b: TrainingResult) -> None:
    assert a.risk.to_state() == b.risk.to_state()
    assert a.rul.to_state() == b.rul.to_state()
    # repr: exact for floats, and NaN equals NaN
    timeless = sorted((k, v) for k, v in a.metrics.items() if not k.startswith("time."))
    assert repr(timeless) == repr(
        sorted((k, v) for k, v in b.metrics.items() if not k.startswith("time."))
    )
    assert a.baselines["logistic"].to_dict() == b.baselines["logistic"].to_dict()
    for name in ("prevalence_age", "mean_life"):
        assert repr(a.baselines[name].to_dict()) == repr(b.baselines[name].to_dict())
    assert a.validation.equals(b.validation)
    assert a.predictions.equals(b.predictions)
    assert a.rul_validation.equals(b.rul_validation)
    assert a.rul_predictions.equals(b.rul_predictions)
    assert repr(a.cv_folds) == repr(b.cv_folds) and a.split == b.split


@pytest.mark.parametrize("holdout", [0.0, 0.25])
def test_scan_of_parts_trains_the_same_models_as_the_frame_in_memory(
    snapshots: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holdout: float
) -> None:
    # Sampled negatives, CV on, the logistic baseline capped below the training slice,
    # held-out assets: every slice that is read differently from a scan is exercised.
    cfg = small_config(negative_sample_rate=0.3, baseline_max_rows=2_000, holdout_assets=holdout)
    in_memory = train_models(snapshots, FEATURES, cfg, "7d", oracle_col="p_true_7d")
    assert in_memory.metrics["data.train_rows"] > 2_000  # the cap did cut
    assert len(in_memory.cv_folds) == 2

    monkeypatch.setattr(slices, "CHUNK_ROWS", 700)  # the RUL matrix in many chunks
    monkeypatch.setattr(slices, "PREDICT_ROWS", 900)  # predictions too
    scan = pl.scan_parquet(_write_parts(snapshots, tmp_path / "frame", parts=5))
    lazy = train_models(scan, FEATURES, cfg, "7d", oracle_col="p_true_7d")
    _same(in_memory, lazy)
    # Row order in memory does not matter either (slices are sorted, sampling hashes rows).
    shuffled = snapshots.sample(fraction=1.0, shuffle=True, seed=9)
    _same(in_memory, train_models(shuffled, FEATURES, cfg, "7d", oracle_col="p_true_7d"))


def test_negative_sample_depends_on_the_row_not_its_position(snapshots: pl.DataFrame) -> None:
    known = snapshots.filter(pl.col(LABEL).is_not_null())
    keys = ["as_of", "asset_id"]
    sample = sample_negatives(known, LABEL, 0.2, seed=3).sort(keys)
    shuffled = known.sample(fraction=1.0, shuffle=True, seed=1)
    assert sample.equals(sample_negatives(shuffled, LABEL, 0.2, seed=3).sort(keys))
    assert sample[LABEL].sum() == known[LABEL].sum()  # every failure
    negatives = sample.filter(~pl.col(LABEL)).height / known.filter(~pl.col(LABEL)).height
    assert 0.17 < negatives < 0.23
    other = sample_negatives(known, LABEL, 0.2, seed=4).sort(keys)
    assert not other.equals(sample)  # the seed matters


def test_encoded_chunks_equal_one_transform(snapshots: pl.DataFrame) -> None:
    where = pl.col("asset_type") != "fan"
    source = FrameSource.of(snapshots)
    keys = source.narrow(where, [])
    encoder = FeatureEncoder(FEATURES).fit(source.rows.filter(where))
    whole = encoder.transform(source.wide(where), TRAINING_DTYPE)
    chunked = encode_rows(encoder, source.rows.filter(where), keys, chunk_rows=500)
    assert chunked.dtype == TRAINING_DTYPE
    assert np.array_equal(whole, chunked, equal_nan=True)
    assert encoder.to_dict() == FeatureEncoder(FEATURES).fit(source.wide(where)).to_dict()
    assert len(asset_chunks(keys, 500)) == keys.height // 480  # 240 rows per asset, 2 a chunk


def test_encode_rows_refuses_rows_and_keys_that_disagree(snapshots: pl.DataFrame) -> None:
    source = FrameSource.of(snapshots)
    keys = source.narrow(pl.col("asset_type") == "pump", [])
    encoder = FeatureEncoder(FEATURES).fit(snapshots)
    with pytest.raises(ValueError, match="not in keys"):
        encode_rows(encoder, source.rows, keys.head(keys.height - 1))
    with pytest.raises(ValueError, match="rows read"):
        encode_rows(encoder, source.rows.filter(pl.col("as_of") > keys["as_of"].min()), keys)
